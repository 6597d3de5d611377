"""A bookkeeper's nightly run, as cron runs it: no terminal, a lotsync.toml, a history.

Two runs on the demo practice with an edit in between: each prints one line, exits as
SPEC §5 says, and the second report shows exactly the new and resolved findings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from lotsync.demo.practice import write_demo_practice


def cron(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TERM", "COLUMNS")}
    env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "lotsync", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=180, env=env, stdin=subprocess.DEVNULL)


def test_two_nightly_runs_with_an_edit_report_exactly_the_new_and_resolved(tmp_path):
    write_demo_practice(tmp_path / "practice")
    (tmp_path / "lotsync.toml").write_text(
        'practice = "Glow"\nas_of = 2026-11-30\noutputs = ["json", "csv"]\n'
        '[[sources]]\npath = "practice"\n', encoding="utf-8")
    first = cron(tmp_path, "reconcile")
    assert first.returncode == 1, first.stderr  # the demo has errors
    assert len(first.stdout.strip().splitlines()) == 1 and first.stderr == ""
    rep1 = json.loads((tmp_path / "lotsync-out" / "report.json").read_text("utf-8"))
    assert rep1["history"]["previous_run_id"] is None
    assert {f["status"] for f in rep1["findings"]} == {"new"}

    # the clinic fixes one Remaining cell (a planted REMAINING_MISMATCH) and mistypes a lot
    mismatch = next(f for f in rep1["findings"] if f["code"] == "REMAINING_MISMATCH")
    inv = tmp_path / "practice" / "Inventory.xlsx"
    wb = openpyxl.load_workbook(inv)
    ws = wb[mismatch["source"]["sheet"]]
    lot = next(l for l in rep1["lots"] if l["source"]["row"] == mismatch["source"]["row"]
               and l["source"]["sheet"] == mismatch["source"]["sheet"])
    # derived remaining in the row's own unit (the receiving log counts packages)
    qty_cell = ws.cell(row=mismatch["source"]["row"], column=5).value
    ws[mismatch["source"]["cell"]] = float(lot["derived_remaining"]) * qty_cell / float(lot["received"])
    wb.save(inv)

    second = cron(tmp_path, "reconcile")
    assert second.returncode == 1
    assert len(second.stdout.strip().splitlines()) == 1
    assert "1 resolved" in second.stdout
    rep2 = json.loads((tmp_path / "lotsync-out" / "report.json").read_text("utf-8"))
    assert rep2["history"]["previous_run_id"] == rep1["history"]["run_id"]
    assert rep2["history"]["resolved"] == [mismatch["id"]]
    assert [f for f in rep2["findings"] if f["status"] == "new"] == []
    assert all(f["first_seen"] for f in rep2["findings"])

    listing = cron(tmp_path, "history", "--json")
    runs = json.loads(listing.stdout)
    assert [r["run_id"] for r in runs] == [1, 2]


def test_json_summary_for_scripts_and_exit_2_for_a_bad_config(tmp_path):
    write_demo_practice(tmp_path / "practice")
    (tmp_path / "lotsync.toml").write_text('as_of = 2026-11-30\noutputs = ["json"]\n'
                                           '[[sources]]\npath = "practice"\n', encoding="utf-8")
    r = cron(tmp_path, "reconcile", "--json", "--fail-on", "never")
    assert r.returncode == 0
    data = json.loads(r.stdout)
    assert data["exit_status"] == 0 and data["summary"]["lots"] > 0
    (tmp_path / "lotsync.toml").write_text('as_of = 2026-11-30\ntolerence = 1\n[[sources]]\npath = "practice"\n',
                                           encoding="utf-8")
    bad = cron(tmp_path, "reconcile")
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "tolerence" in bad.stderr and "Traceback" not in bad.stderr


def test_trace_reads_the_sources_lotsync_toml_names(tmp_path):
    write_demo_practice(tmp_path / "practice")
    (tmp_path / "lotsync.toml").write_text('as_of = 2026-11-30\n[[sources]]\npath = "practice"\n',
                                           encoding="utf-8")
    r = cron(tmp_path, "trace", "82H350", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["lot"] == "82H350" and len(data["uses"]) > 10
    assert {u["location"] for u in data["uses"]} == {"Main St", "Westside"}  # used at both sites
