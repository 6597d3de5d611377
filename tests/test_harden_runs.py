"""Hardening (issue 15) of a whole run: never over an input, never our own outputs read back,
FIFOs refused at once, one locked output set swapped in after the history commits.

Real files, real processes (`lotsync` as a user runs it), nothing mocked."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from helpers import write_book, write_csv

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = "2026-06-30"


def sha(p: Path) -> str:
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


def lotsync(*args: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lotsync", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=timeout)


def records(folder: Path, inventory_name: str = "Inventory.xlsx") -> Path:
    """A clinic's records folder: an inventory workbook and a visit log CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    write_book(folder / inventory_name, {
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Remaining"],
                      ["Botox", "C3709C3", dt.date(2026, 12, 31), 100, 6.12, 90],
                      ["Juvederm", "JV1", dt.date(2027, 1, 31), 10, 300, 10]]})
    write_csv(folder / "visits.csv", [["Date", "Patient", "Product", "Lot", "Units"],
                                      ["2026-02-01", "P1", "Botox", "C3709C3", 20],
                                      ["2026-02-02", "P2", "Botox", "C3709C3", 10],
                                      ["2026-03-01", "P3", "Juvederm", "JV1", 1]])
    return folder


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    return lines[0]


# ------------------------------------------------------------------ item 1: never over an input
def test_trace_out_naming_an_input_is_refused_and_the_input_is_unchanged(tmp_path):
    rec = records(tmp_path / "records")
    before = sha(rec / "Inventory.xlsx")
    proc = lotsync("trace", "C3709C3", str(rec), "--as-of", AS_OF, "--out", str(rec / "Inventory.xlsx"))
    line = one_line_error(proc)
    assert "Inventory.xlsx" in line and "reads" in line
    assert sha(rec / "Inventory.xlsx") == before


def test_reconcile_out_over_an_input_named_report_xlsx_is_refused(tmp_path):
    rec = records(tmp_path / "records", inventory_name="report.xlsx")
    before = {p.name: sha(p) for p in rec.iterdir()}
    hist = tmp_path / "h" / "history.sqlite"
    proc = lotsync("reconcile", str(rec), "--out", str(rec), "--as-of", AS_OF, "--history", str(hist))
    line = one_line_error(proc)
    assert "report.xlsx" in line and "--out" in line
    assert {p.name: sha(p) for p in rec.iterdir() if p.is_file() and not p.name.startswith(".")} == before
    assert not (rec / "report.json").exists()  # nothing of the refused run was swapped in
    import sqlite3
    with sqlite3.connect(hist) as conn:  # and the history did not record it
        assert conn.execute("SELECT count(*) FROM run").fetchone()[0] == 0


def test_an_output_that_is_a_hard_link_to_an_input_is_refused(tmp_path):
    rec = records(tmp_path / "records")
    out = tmp_path / "out"
    out.mkdir()
    os.link(rec / "visits.csv", out / "findings.csv")  # the same inode under an output's name
    before = sha(rec / "visits.csv")
    line = one_line_error(lotsync("reconcile", str(rec), "--out", str(out), "--as-of", AS_OF,
                                  "--no-history", "--format", "json,csv"))
    assert "findings.csv" in line and "visits.csv" in line
    assert sha(rec / "visits.csv") == before


def test_an_out_folder_that_is_a_symlink_to_the_sources_is_checked_by_resolved_path(tmp_path):
    rec = records(tmp_path / "records")
    write_csv(rec / "findings.csv", [["Date", "Patient", "Product", "Lot", "Units"],
                                     ["2026-02-03", "P4", "Botox", "C3709C3", 1]])
    before = sha(rec / "findings.csv")
    (tmp_path / "link").symlink_to(rec, target_is_directory=True)
    line = one_line_error(lotsync("reconcile", str(rec), "--out", str(tmp_path / "link"),
                                  "--as-of", AS_OF, "--no-history", "--format", "csv"))
    assert "findings.csv" in line
    assert sha(rec / "findings.csv") == before


# ------------------------------------------------------------------ item 2 and 14.10: own outputs
def test_out_inside_the_source_folder_does_not_double_visits_run_after_run(tmp_path):
    """The issue's case: no report.json among the outputs, so 0.1 did not know them."""
    rec = records(tmp_path / "records")
    out = rec / "lotsync-out"
    rows = []
    for _ in range(3):
        proc = lotsync("reconcile", str(rec), "--out", str(out), "--as-of", AS_OF, "--no-history",
                       "--format", "csv,xlsx,corrected", "--json")
        assert proc.returncode in (0, 1), proc.stderr
        rows.append(json.loads(proc.stdout)["summary"]["visit_rows"])
    assert rows == [3, 3, 3]
    assert sorted(p.name for p in (out / "corrected").iterdir()) == ["Inventory.xlsx"]


def test_out_equal_to_the_source_folder_reads_only_the_clinics_files(tmp_path):
    rec = records(tmp_path / "records")
    for _ in range(2):
        proc = lotsync("reconcile", str(rec), "--out", str(rec), "--as-of", AS_OF, "--no-history",
                       "--format", "csv,xlsx,html,corrected", "--json")
        assert proc.returncode in (0, 1), proc.stderr
        assert json.loads(proc.stdout)["summary"]["visit_rows"] == 3
    assert sorted(p.name for p in (rec / "corrected").iterdir()) == ["Inventory.xlsx"]


def test_marked_outputs_moved_elsewhere_are_skipped_until_a_person_saves_them(tmp_path):
    rec = records(tmp_path / "records")
    out = tmp_path / "out"
    assert lotsync("reconcile", str(rec), "--out", str(out), "--as-of", AS_OF, "--no-history",
                   "--format", "json,xlsx,corrected").returncode in (0, 1)
    moved = tmp_path / "moved"
    moved.mkdir()
    shutil.copy(out / "corrected" / "Inventory.xlsx", moved / "Inventory copy.xlsx")
    shutil.copy(out / "report.xlsx", moved / "report.xlsx")
    shutil.copy(rec / "visits.csv", moved / "visits.csv")
    assert lotsync("reconcile", str(moved), "--out", str(tmp_path / "o2"), "--as-of", AS_OF,
                   "--no-history").returncode == 2  # no inventory: both workbooks were skipped
    # the clinic adopts the corrected copy: opens it, edits, saves (Excel sets lastModifiedBy)
    wb = openpyxl.load_workbook(moved / "Inventory copy.xlsx")
    wb.properties.lastModifiedBy = "Dana"
    wb.save(moved / "Inventory copy.xlsx")
    proc = lotsync("reconcile", str(moved), "--out", str(tmp_path / "o3"), "--as-of", AS_OF, "--no-history")
    assert proc.returncode in (0, 1), proc.stderr
    names = {i["file"].rsplit("/", 1)[-1] for i in report(tmp_path / "o3")["inputs"]}
    assert names == {"Inventory copy.xlsx", "visits.csv"}


def test_config_source_dot_skips_own_outputs_and_the_out_folder(tmp_path):
    rec = records(tmp_path / "clinic")
    (rec / "lotsync.toml").write_text('out = "lotsync-out"\nhistory = false\nas_of = "2026-06-30"\n'
                                      'outputs = ["json", "csv", "xlsx", "corrected"]\n'
                                      '[[sources]]\npath = "."\n')
    counts = []
    for _ in range(2):
        proc = lotsync("reconcile", cwd=rec)
        assert proc.returncode in (0, 1), proc.stderr
        counts.append(report(rec / "lotsync-out")["summary"]["visit_rows"])
    assert counts == [3, 3]
    # a person's own copy of the visit log dropped into the out folder is not read either
    shutil.copy(rec / "visits.csv", rec / "lotsync-out" / "visits copy.csv")
    assert lotsync("reconcile", cwd=rec).returncode in (0, 1)
    assert report(rec / "lotsync-out")["summary"]["visit_rows"] == 3


# ------------------------------------------------------------------ item 3: FIFO
@pytest.mark.parametrize("history", [True, False])
def test_a_fifo_named_as_a_source_is_refused_at_once(tmp_path, history):
    rec = records(tmp_path / "records")
    fifo = tmp_path / "visits.xlsx"
    os.mkfifo(fifo)
    args = ["reconcile", str(rec / "Inventory.xlsx"), str(fifo), "--out", str(tmp_path / "out"),
            "--as-of", AS_OF]
    args += ["--history", str(tmp_path / "h.sqlite")] if history else ["--no-history"]
    started = time.monotonic()
    line = one_line_error(lotsync(*args, timeout=60))
    assert time.monotonic() - started < 30
    assert "visits.xlsx" in line and "not a regular file" in line


def test_a_fifo_named_in_lotsync_toml_is_refused_at_once(tmp_path):
    rec = records(tmp_path / "clinic")
    os.mkfifo(rec / "pipe.csv")
    (rec / "lotsync.toml").write_text('history = false\n[[sources]]\npath = "pipe.csv"\n')
    line = one_line_error(lotsync("reconcile", cwd=rec, timeout=60))
    assert "pipe.csv" in line and "not a regular file" in line


# ------------------------------------------------------------------ items 7 and 8
def test_a_run_killed_before_its_history_commits_leaves_the_previous_set_as_it_was(tmp_path):
    rec = records(tmp_path / "records")
    out, hist = tmp_path / "out", tmp_path / "h" / "history.sqlite"
    assert lotsync("reconcile", str(rec), "--out", str(out), "--as-of", AS_OF,
                   "--history", str(hist)).returncode in (0, 1)
    before = {p.relative_to(out).as_posix(): sha(p) for p in out.rglob("*")
              if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)}
    assert {"report.json", "findings.csv", "report.xlsx", "report.html", "lotsync-manifest.json",
            "corrected/Inventory.xlsx"} <= set(before)
    # a changed visit log: the killed run's outputs would differ from the previous set
    write_csv(rec / "visits.csv", [["Date", "Patient", "Product", "Lot", "Units"],
                                   ["2026-02-01", "P1", "Botox", "C3709C3", 50]])
    victim = subprocess.Popen([sys.executable, str(FIXTURES / "run_child.py"), "hang", str(rec),
                               "--out", str(out), "--as-of", AS_OF, "--history", str(hist)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert victim.stdout.readline().strip() == "in-transaction"
        assert list(out.glob(".lotsync-staging-*"))  # the new set is staged, not swapped in
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=10)
    after = {p.relative_to(out).as_posix(): sha(p) for p in out.rglob("*")
             if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)}
    assert after == before
    # the next run cleans what the killed one left, records run 2 and writes a matching set
    proc = lotsync("reconcile", str(rec), "--out", str(out), "--as-of", AS_OF, "--history", str(hist),
                   "--json")
    assert proc.returncode in (0, 1), proc.stderr
    assert not list(out.glob(".lotsync-staging-*"))
    rep = report(out)
    assert rep["history"]["run_id"] == 2 and rep["summary"]["visit_rows"] == 1
    manifest = json.loads((out / "lotsync-manifest.json").read_text())["files"]
    assert manifest["report.json"]["sha256"] == sha(out / "report.json")


def test_stale_temporary_files_of_killed_runs_are_cleaned_and_a_persons_hidden_file_is_kept(tmp_path):
    rec = records(tmp_path / "records")
    out = tmp_path / "out"
    (out / "corrected").mkdir(parents=True)
    stale = [out / ".report.ab12cd34.xlsx", out / ".report.q9w8e7r6.json",
             out / "corrected" / ".Treatments 2026.x1y2z3q4.xlsx", out / ".lotsync-staging-k2j3h4g5" / "report.json"]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    (out / ".notes.txt").write_text("mine")
    assert lotsync("reconcile", str(rec), "--out", str(out), "--as-of", AS_OF,
                   "--no-history").returncode in (0, 1)
    assert not any(p.exists() for p in stale)
    assert not (out / ".lotsync-staging-k2j3h4g5").exists()
    assert (out / ".notes.txt").read_text() == "mine"


def test_a_second_run_on_the_same_out_waits_for_the_first_and_does_not_mix_its_files(tmp_path):
    rec = records(tmp_path / "records")
    rec2 = records(tmp_path / "records2")
    write_csv(rec2 / "visits.csv", [["Date", "Patient", "Product", "Lot", "Units"],
                                    ["2026-02-01", "P1", "Botox", "C3709C3", 5]])
    out = tmp_path / "out"
    first = subprocess.Popen([sys.executable, str(FIXTURES / "run_child.py"), "hang", str(rec),
                              "--out", str(out), "--as-of", AS_OF, "--history", str(tmp_path / "a.sqlite")],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline().strip() == "in-transaction"  # it holds the out folder
        second = subprocess.Popen([sys.executable, "-m", "lotsync", "reconcile", str(rec2), "--out", str(out),
                                   "--as-of", AS_OF, "--history", str(tmp_path / "b.sqlite")],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert second.poll() is None  # waiting for the lock, not writing
        assert not (out / "report.json").exists()
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=10)
    _, err = second.communicate(timeout=60)
    assert second.returncode in (0, 1), err
    rep = report(out)
    assert rep["summary"]["visit_rows"] == 1  # all of the second run's set, none of the first's
    manifest = json.loads((out / "lotsync-manifest.json").read_text())["files"]
    for name, entry in manifest.items():
        assert sha(out / name) == entry["sha256"]


def test_output_lock_gives_up_with_one_line(tmp_path):
    from lotsync.writers.outset import OutputBusy, OutputSet
    with OutputSet(tmp_path / "out"):
        with pytest.raises(OutputBusy) as e:
            with OutputSet(tmp_path / "out", wait=0.2):
                pass
    assert str(e.value).startswith("another lotsync run is writing to ") and "\n" not in str(e.value)
