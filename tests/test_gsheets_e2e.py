"""`lotsync reconcile gsheet://...` end to end: the demo practice loaded into the local fake
Sheets API reconciles exactly like the same practice in xlsx, and --write-back leaves the
expected cells, notes, tabs and backup. The CLI runs as a separate process over real HTTP."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from fake_sheets import sheets_server  # noqa: F401  (fixture)
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice


def _tabs(path: Path) -> dict[str, list[list]]:
    wb = openpyxl.load_workbook(path, data_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _lotsync(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lotsync", *args], capture_output=True, text=True,
                          timeout=180, env={**os.environ, **(env or {})})


@pytest.fixture
def demo_in_sheets(tmp_path, sheets_server):
    files = write_demo_practice(tmp_path / "practice")
    inv, tx, csv = files
    sheets_server.add_spreadsheet("inv123", "Glow Inventory", _tabs(inv))
    sheets_server.add_spreadsheet("tx456", "Glow Treatments 2026", _tabs(tx))
    return sheets_server, files


def _key_findings(report: dict) -> set[tuple]:
    return {(f["code"], f["source"]["sheet"], f["source"]["cell"], f["product"], f["lot"],
             f["quantity"]) for f in report["findings"]}


def _key_lots(report: dict) -> list[dict]:
    return [{k: v for k, v in lot.items() if k != "source"} for lot in report["lots"]]


def test_sheets_practice_reconciles_like_the_same_practice_in_xlsx(demo_in_sheets, tmp_path):
    server, (inv, tx, csv) = demo_in_sheets
    asof = DEMO_AS_OF.isoformat()
    a = _lotsync("reconcile", "gsheet://inv123", "gsheet://tx456", str(csv), "--as-of", asof,
                 "--out", str(tmp_path / "sheets"), "--format", "json", "--verbose")
    b = _lotsync("reconcile", str(inv), str(tx), str(csv), "--as-of", asof,
                 "--out", str(tmp_path / "xlsx"), "--format", "json")
    assert a.returncode == b.returncode == 1, a.stderr + b.stderr  # the demo has errors
    ra = json.loads((tmp_path / "sheets" / "report.json").read_text("utf-8"))
    rb = json.loads((tmp_path / "xlsx" / "report.json").read_text("utf-8"))
    assert _key_lots(ra) == _key_lots(rb)
    assert _key_findings(ra) == _key_findings(rb)
    assert ra["totals"] == rb["totals"]
    # findings point at the spreadsheet, tab and cell
    f = next(f for f in ra["findings"] if f["code"] == "REMAINING_MISMATCH")
    assert f["source"]["file"] == "gsheet://inv123" and f["source"]["sheet"] == "Receiving"
    assert f["source"]["title"] == "Glow Inventory"  # spreadsheet title › tab › A1 for people
    assert "Glow Inventory" in a.stdout  # the costliest findings name the title
    # metadata, then row blocks each answered in at most 2 MB (issue 10): every request counted
    assert f"Google Sheets API requests this run: {server.count()}" in a.stdout
    print([r.query.get("ranges") for r in server.requests], server.response_sizes)
    assert server.count(method="GET") == server.count() and max(server.response_sizes) <= 2_000_000
    # without --write-back nothing is written, the run says what would change
    assert "--write-back would change" in a.stdout
    assert server.titles("inv123") == list(_tabs(inv))


def test_write_back_changes_remaining_cells_with_notes_tabs_and_backup(demo_in_sheets, tmp_path):
    server, (inv, tx, csv) = demo_in_sheets
    before = {c: server.cell("inv123", "Receiving", c) for c in ("H11", "H93", "H132", "H134")}
    untouched = server.cell("inv123", "Receiving", "H12")
    r = _lotsync("reconcile", "gsheet://inv123", "gsheet://tx456", str(csv), "--as-of",
                 DEMO_AS_OF.isoformat(), "--out", str(tmp_path / "out"), "--format", "json",
                 "--write-back")
    assert r.returncode == 1, r.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    mismatched = {f["source"]["cell"] for f in report["findings"]
                  if f["code"] == "REMAINING_MISMATCH" and f["source"]["file"] == "gsheet://inv123"}
    assert mismatched == set(before)
    for a1, old in before.items():
        new = server.cell("inv123", "Receiving", a1)
        assert new.value != old.value, a1
        assert new.note and "lotsync" in new.note
    assert server.cell("inv123", "Receiving", "H12").value == untouched.value
    titles = server.titles("inv123")
    backup = f"Receiving (before lotsync {dt.date.today().isoformat()})"
    assert backup in titles and "lotsync findings" in titles and "lotsync summary" in titles
    assert server.cell("inv123", backup, "H11").value == before["H11"].value
    # a second run reads the corrected sheet: no REMAINING_MISMATCH left, backups ignored
    again = _lotsync("reconcile", "gsheet://inv123", "gsheet://tx456", str(csv), "--as-of",
                     DEMO_AS_OF.isoformat(), "--out", str(tmp_path / "again"), "--format", "json")
    rep2 = json.loads((tmp_path / "again" / "report.json").read_text("utf-8"))
    assert not [f for f in rep2["findings"] if f["code"] == "REMAINING_MISMATCH"]
    assert again.returncode == 1


def test_unshared_spreadsheet_is_one_line_exit_2(demo_in_sheets, tmp_path):
    r = _lotsync("reconcile", "gsheet://nope999", "--out", str(tmp_path / "o"))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
