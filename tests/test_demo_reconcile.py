"""`lotsync demo` end to end: it runs as the README says, finds every planted problem at
its cell, and is deterministic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lotsync.demo.plan import PLANTED


def run_demo(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lotsync", "demo", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory) -> tuple[dict, subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("demo")
    proc = run_demo(out)
    return json.loads((out / "report.json").read_text("utf-8")), proc, out


def test_demo_exits_zero_and_prints_a_summary(demo_report):
    _, proc, _ = demo_report
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "lots" in proc.stdout and "COGS" in proc.stdout


@pytest.mark.parametrize("planted", PLANTED, ids=lambda p: f"{p.code}-{p.sheet}-{p.cell}")
def test_demo_finds_each_planted_problem_at_its_cell(demo_report, planted):
    report, _, _ = demo_report
    hits = [f for f in report["findings"]
            if f["code"] == planted.code and Path(f["source"]["file"]).name == planted.file
            and f["source"]["sheet"] == planted.sheet and f["source"]["cell"] == planted.cell]
    assert hits, f"{planted.code} not found at {planted.file} › {planted.sheet} › {planted.cell}"


def test_demo_raises_nothing_but_the_planted_problems(demo_report):
    report, _, _ = demo_report
    planted = {(p.code, p.sheet, p.cell) for p in PLANTED}
    extra = [(f["code"], f["source"]["sheet"], f["source"]["cell"]) for f in report["findings"]
             if (f["code"], f["source"]["sheet"], f["source"]["cell"]) not in planted]
    assert extra == []


def test_demo_ledger_identities_hold_for_every_lot(demo_report):
    from decimal import Decimal
    report, _, _ = demo_report
    for lot in report["lots"]:
        d = {k: Decimal(str(v)) for k, v in lot.items() if isinstance(v, (int, float))}
        assert d["derived_remaining"] == (d["received"] + d["transferred_in"] - d["transferred_out"]
                                          - d["used"] - d["wasted"] - d["expired_out"] - d["returned"]
                                          + d["adjusted"] + d["count_variance"]), lot["lot"]


def test_demo_report_is_byte_identical_across_runs(tmp_path):
    out = tmp_path / "demo"
    assert run_demo(out).returncode == 0
    first = {n: (out / n).read_bytes() for n in ("report.json", "findings.csv")}
    again = run_demo(out)  # the same practice files, reconciled again
    assert again.returncode == 0 and "already in" in again.stdout
    for name, data in first.items():
        assert (out / name).read_bytes() == data, name


def test_a_folder_holding_lotsync_outputs_is_read_without_them(tmp_path):
    """`lotsync reconcile lotsync-demo` must not read report.xlsx or corrected/ back in:
    that would count every receipt twice."""
    out = tmp_path / "demo"
    assert run_demo(out).returncode == 0
    first = json.loads((out / "report.json").read_text("utf-8"))
    again = subprocess.run([sys.executable, "-m", "lotsync", "reconcile", str(out), "--as-of",
                            first["as_of"], "--out", str(tmp_path / "again"), "--format", "json"],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1, again.stderr
    rep = json.loads((tmp_path / "again" / "report.json").read_text("utf-8"))
    assert rep["summary"]["lots"] == first["summary"]["lots"]
    assert rep["summary"]["visit_rows"] == first["summary"]["visit_rows"]
    assert not any("corrected" in i["file"] or i["file"].endswith("report.xlsx") for i in rep["inputs"])


def test_demo_writes_every_output_with_period_figures(demo_report):
    report, _, out = demo_report
    import openpyxl
    names = openpyxl.load_workbook(out / "report.xlsx", read_only=True).sheetnames
    assert {"Summary", "Findings", "Lots", "Use next", "Expiring", "Periods", "Providers",
            "Units by provider"} <= set(names)
    months = [p for p in report["periods"] if p["kind"] == "month"]
    assert [p["period"] for p in months][:2] == ["2026-01", "2026-02"]
    assert report["supply"]["projection"] is True
    html = (out / "report.html").read_text("utf-8")
    assert "Units used per product, by provider" in html and "<svg" in html
    assert (out / "corrected" / "Inventory.xlsx").is_file()
