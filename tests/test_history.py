"""The run history (lotsync/history.py) and the run log: real workbooks, real SQLite, real
processes. Two runs with an edit between them, stable ids, unchanged inputs, two runs at
once, a run killed mid-transaction, migration from the first schema, a newer schema."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from logging.handlers import RotatingFileHandler

import pytest

from helpers import AS_OF, write_book
from lotsync.nightly import history as hist
from lotsync.nightly.history import (HistoryError, InputRecorder, apply_history, fingerprint_file, format_run,
                             format_runs, open_history)
from lotsync.pipeline import run
from lotsync.reconcile import Options
from lotsync.nightly.runlog import close_run_log, log_finish, log_inputs, log_start, setup_run_log
from lotsync.writers.json_report import report_dict

D = dt.date
FIXTURES = Path(__file__).parent / "fixtures"
CHILD = FIXTURES / "history_child.py"

RECEIVING = [["Product", "Lot", "Expiration", "Qty", "Unit Cost"],
             ["Botox", "C3709C3", D(2026, 12, 31), 100, 6.12],
             ["Juvederm", "JV100", D(2027, 1, 31), 10, 300],
             ["Dysport", "DY1", D(2026, 5, 1), 300, 4]]
TREATMENTS = [["Date", "Patient", "Product", "Lot", "Units"],
              [D(2026, 3, 4), "Jane Roe", "Botox", "C3709C3", 20],
              [D(2026, 3, 5), "John Poe", "Botox", "C3709X3", 10],   # UNKNOWN_LOT
              [D(2026, 3, 6), "Ann Lee", "Juvederm", None, 1]]       # MISSING_LOT
# and DY1 is EXPIRED_ON_HAND


def practice(path: Path, receiving=RECEIVING, treatments=TREATMENTS, first: str = "Receiving") -> str:
    tabs = {"Receiving": receiving, "Treatments": treatments}
    if first != "Receiving":
        tabs = {"Treatments": treatments, "Receiving": receiving}
    return write_book(path, tabs)


def reconcile_and_record(h, book: str, started: dt.datetime | None = None):
    rec = InputRecorder()
    result, _ = run([book], Options(as_of=AS_OF), read=rec.read)
    report = report_dict(result)
    record = h.record_run(result, report, rec.inputs, {"as_of": AS_OF, "tolerance": result.options.tolerance},
                          started or dt.datetime.now().astimezone())
    return result, report, record


def ids_by_code(result) -> dict[str, str]:
    out = {}
    for f in result.findings:
        assert f.code not in out, f"two {f.code} in this practice"
        out[f.code] = f.id
    return out


def run_count(path: Path) -> int:
    with sqlite3.connect(path) as c:
        return c.execute("SELECT count(*) FROM run").fetchone()[0]


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHILD), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# --- what is new since last night ---------------------------------------------------------


def test_two_runs_with_one_cell_edited_give_new_ongoing_and_resolved(tmp_path):
    book = tmp_path / "clinic.xlsx"
    h = open_history(tmp_path / ".lotsync" / "history.sqlite")
    r1, _, rec1 = reconcile_and_record(h, practice(book), dt.datetime(2026, 6, 29, 2, 0).astimezone())
    first = ids_by_code(r1)
    assert set(first) == {"UNKNOWN_LOT", "MISSING_LOT", "EXPIRED_ON_HAND"}
    assert rec1.run_id == 1 and rec1.previous_run_id is None
    assert rec1.new == tuple(sorted(first.values())) and rec1.ongoing == () and rec1.resolved == ()
    assert {h_.first_seen for h_ in rec1.findings.values()} == {D(2026, 6, 29)}

    # one cell: Ann Lee's blank lot becomes a typo of JV100
    edited = [row[:] for row in TREATMENTS]
    edited[3][3] = "JV1OO"
    r2, report2, rec2 = reconcile_and_record(h, practice(book, treatments=edited),
                                             dt.datetime(2026, 6, 30, 2, 0).astimezone())
    second = {f.id: f for f in r2.findings}
    new_unknown = [i for i, f in second.items() if f.code == "UNKNOWN_LOT" and f.lot == "JV1OO"]
    assert len(new_unknown) == 1
    assert rec2.previous_run_id == rec1.run_id == 1 and rec2.run_id == 2
    assert rec2.new == tuple(new_unknown)
    assert rec2.ongoing == tuple(sorted([first["UNKNOWN_LOT"], first["EXPIRED_ON_HAND"]]))
    assert rec2.resolved == (first["MISSING_LOT"],)
    assert [f.code for f in rec2.resolved_findings] == ["MISSING_LOT"]
    assert rec2.findings[first["UNKNOWN_LOT"]].first_seen == D(2026, 6, 29)
    assert rec2.findings[new_unknown[0]].first_seen == D(2026, 6, 30)
    assert rec2.inputs_unchanged is False

    # report.json gains status, first_seen and history
    out = apply_history(report2, rec2)
    assert "history" not in report2 and "status" not in report2["findings"][0]  # not modified
    by_id = {f["id"]: f for f in out["findings"]}
    assert by_id[new_unknown[0]]["status"] == "new" and by_id[new_unknown[0]]["first_seen"] == D(2026, 6, 30)
    assert by_id[first["UNKNOWN_LOT"]]["status"] == "ongoing"
    assert by_id[first["UNKNOWN_LOT"]]["first_seen"] == D(2026, 6, 29)
    assert out["history"] == {"run_id": 2, "previous_run_id": 1, "resolved": [first["MISSING_LOT"]],
                              "inputs_unchanged": False}

    # and the history shows it
    runs = h.runs()
    assert [(r.run_id, r.new, r.resolved, r.errors) for r in runs] == [(1, 3, 0, 2), (2, 1, 1, 2)]
    detail = h.run(2)
    assert {f["id"]: f["status"] for f in detail.findings} == {i: rec2.findings[i].status for i in second}
    assert [f.id for f in detail.resolved] == [first["MISSING_LOT"]]
    assert detail.inputs[0].source == str(book) and detail.options["as_of"] == "2026-06-30"
    text = format_run(detail)
    assert "New (1):" in text and "Resolved since run 1 (1):" in text and "MISSING_LOT" in text
    assert "Ann Lee" not in text and "Jane Roe" not in text
    assert len(format_runs(runs).splitlines()) == 3
    trend = h.trend(limit=5)
    assert [(t.run_id, t.open_errors) for t in trend] == [(1, 2), (2, 2)]
    assert trend[-1].cogs == r2.totals.cogs and trend[-1].on_hand_value == r2.totals.on_hand_value
    assert trend[-1].expired_on_hand_value == r2.totals.expired_on_hand_value
    assert [t.run_id for t in h.trend(limit=1)] == [2]
    with pytest.raises(HistoryError, match=r"no run 7 \(runs 1 to 2\)"):
        h.run(7)


def test_ids_survive_inserted_unrelated_rows_and_reordered_tabs(tmp_path):
    h = open_history(tmp_path / "history.sqlite")
    r1, _, _ = reconcile_and_record(h, practice(tmp_path / "clinic.xlsx"))
    receiving = RECEIVING[:1] + [["Sculptra", "SC9", D(2027, 9, 30), 4, 200]] + RECEIVING[1:]
    treatments = (TREATMENTS[:2] + [[D(2026, 3, 4), "Kim Wu", "Sculptra", "SC9", 1]]
                  + TREATMENTS[2:] + [[D(2026, 4, 1), "Lee Ray", "Sculptra", "SC9", 1]])
    book2 = practice(tmp_path / "clinic.xlsx", receiving, treatments, first="Treatments")
    r2, _, rec2 = reconcile_and_record(h, book2)
    assert [f.source.row for f in r1.findings] != [f.source.row for f in r2.findings]  # rows did move
    assert sorted(f.id for f in r2.findings) == sorted(f.id for f in r1.findings)
    assert rec2.new == () and rec2.resolved == () and len(rec2.ongoing) == 3


def test_unchanged_inputs_are_said_and_still_recorded(tmp_path):
    book = practice(tmp_path / "clinic.xlsx")
    h = open_history(tmp_path / "history.sqlite")
    _, _, rec1 = reconcile_and_record(h, book)
    os.utime(book, (time.time() + 60, time.time() + 60))  # touched, not changed
    _, _, rec2 = reconcile_and_record(h, book)
    assert rec1.inputs_unchanged is False and rec2.inputs_unchanged is True
    assert rec2.new == () and rec2.resolved == ()
    assert h.count() == 2 and h.runs()[1].inputs_unchanged is True
    fp = fingerprint_file(book)
    assert len(fp.sha256) == 64 and fp.size == Path(book).stat().st_size and fp.mtime
    assert h.run(2).inputs == [fp]


def test_a_returning_finding_is_new_again_but_keeps_first_seen(tmp_path):
    book = tmp_path / "clinic.xlsx"
    h = open_history(tmp_path / "history.sqlite")
    fixed = [row[:] for row in TREATMENTS]
    fixed[2][3] = "C3709C3"
    day = lambda n: dt.datetime(2026, 7, n, 2, 0).astimezone()  # noqa: E731
    r1, _, _ = reconcile_and_record(h, practice(book), day(1))
    reconcile_and_record(h, practice(book, treatments=fixed), day(2))
    _, _, rec3 = reconcile_and_record(h, practice(book), day(3))
    unknown = ids_by_code(r1)["UNKNOWN_LOT"]
    assert rec3.findings[unknown].status == "new" and rec3.findings[unknown].first_seen == D(2026, 7, 1)


# --- safety -------------------------------------------------------------------------------


def test_two_runs_at_once_in_two_processes_both_finish_one_after_the_other(tmp_path):
    book = practice(tmp_path / "clinic.xlsx")
    path = tmp_path / "history.sqlite"
    open_history(path).close()
    procs = [child("run", str(path), book, "0.7") for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    results = sorted((json.loads(o) for o, _ in outs), key=lambda r: r["run_id"])
    assert [r["run_id"] for r in results] == [1, 2]
    assert results[1]["previous_run_id"] == 1 and results[1]["new"] == []  # serialised, not interleaved
    assert integrity(path) == "ok" and run_count(path) == 2


def test_a_second_run_gives_up_with_a_clear_message_and_a_dead_run_leaves_no_lock(tmp_path):
    path = tmp_path / "history.sqlite"
    h = open_history(path)
    holder = child("hold", str(path))
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(HistoryError) as e:
            with h.lock(wait=0.3):
                pass
        assert str(e.value) == f"another lotsync run is using {path}; try again when it finishes"
        assert 0.3 <= time.monotonic() - started < 5
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate(timeout=10)
    with h.lock(wait=2):  # the kernel dropped the dead process's lock
        pass


def test_a_run_killed_inside_its_transaction_leaves_the_history_as_it_was(tmp_path):
    book = practice(tmp_path / "clinic.xlsx")
    path = tmp_path / "history.sqlite"
    with open_history(path) as h:
        reconcile_and_record(h, book)
    assert run_count(path) == 1
    victim = child("hang", str(path), book)
    try:
        assert victim.stdout.readline().strip() == "in-transaction"
        # the run's rows are written but not committed: a reader still sees one run
        assert run_count(path) == 1
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=10)
    assert victim.returncode == -signal.SIGKILL
    assert integrity(path) == "ok" and run_count(path) == 1
    with open_history(path) as h:
        assert h.integrity_ok()
        _, _, rec = reconcile_and_record(h, book)  # and the next run goes on from run 1
        assert rec.run_id == 2 and rec.previous_run_id == 1 and rec.inputs_unchanged is True
    assert run_count(path) == 2


def test_an_exception_inside_the_transaction_or_while_writing_outputs_rolls_back(tmp_path, monkeypatch):
    book = practice(tmp_path / "clinic.xlsx")
    h = open_history(tmp_path / "history.sqlite")

    def boom():
        raise RuntimeError("disk full")
    monkeypatch.setattr(hist, "_before_commit", boom)
    with pytest.raises(RuntimeError):
        reconcile_and_record(h, book)
    monkeypatch.setattr(hist, "_before_commit", None)
    assert h.count() == 0 and h.conn.execute("SELECT count(*) FROM finding_seen").fetchone()[0] == 0

    # outputs written inside `recording`: a run whose outputs fail is not recorded
    result, _ = run([book], Options(as_of=AS_OF))
    with pytest.raises(OSError):
        with h.recording(result) as record:
            assert record.run_id == 1 and len(apply_history(report_dict(result), record)["findings"]) == 3
            raise OSError("No space left on device")
    assert h.count() == 0 and integrity(h.path) == "ok"
    with h.recording(result) as record:
        pass
    assert record.run_id == 1 and h.count() == 1


# --- schema versions ----------------------------------------------------------------------


def test_a_version_0_history_is_migrated_and_runs_go_on_from_it(tmp_path):
    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as c:
        c.executescript((FIXTURES / "history_v0.sql").read_text())
    h = open_history(path)
    assert h.conn.execute("PRAGMA user_version").fetchone()[0] == hist.SCHEMA_VERSION == 2
    assert h.conn.execute("PRAGMA application_id").fetchone()[0] == hist.APPLICATION_ID
    assert {"runs", "findings"}.isdisjoint(r[0] for r in h.conn.execute("SELECT name FROM sqlite_master"))
    runs = h.runs()
    assert [(r.run_id, r.as_of, r.errors, r.warnings, r.new, r.resolved) for r in runs] == [
        (1, "2026-05-01", 2, 1, 3, 0), (2, "2026-05-02", 1, 2, 1, 1)]
    assert runs[1].cogs == Decimal("1260.50")
    assert [f.id for f in h.run(2).resolved] == ["bbbbbbbbbbbbbbbb"]
    assert {f["id"]: (f["status"], f["first_seen"]) for f in h.run(2).findings} == {
        "aaaaaaaaaaaaaaaa": ("ongoing", "2026-05-01"), "cccccccccccccccc": ("ongoing", "2026-05-01"),
        "dddddddddddddddd": ("new", "2026-05-02")}
    assert [(t.cogs, t.expired_on_hand_value) for t in h.trend()] == [
        (Decimal("1200.50"), None), (Decimal("1260.50"), None)]

    # a run after the migration compares with the last v0 run
    result, _ = run([practice(tmp_path / "clinic.xlsx")], Options(as_of=AS_OF))
    report = report_dict(result)
    report["findings"][0]["id"] = "aaaaaaaaaaaaaaaa"  # as if that finding were still there
    rec = h.record_run(result, report, [], {}, dt.datetime(2026, 5, 3, 2, 0).astimezone())
    assert rec.run_id == 3 and rec.previous_run_id == 2
    assert rec.findings["aaaaaaaaaaaaaaaa"] == hist.FindingHistory("ongoing", D(2026, 5, 1))
    assert rec.resolved == ("cccccccccccccccc", "dddddddddddddddd")
    assert h.integrity_ok()
    h.close()
    open_history(path).close()  # opening again migrates nothing
    assert run_count(path) == 3


def test_a_history_from_a_newer_lotsync_is_refused_untouched(tmp_path):
    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE run_v3 (x)")
        c.execute("PRAGMA user_version = 3")
    before = path.read_bytes()
    with pytest.raises(HistoryError) as e:
        open_history(path)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg == (f"{path}: this run history was written by a newer lotsync (history schema 3; this lotsync "
                   "reads up to 2); upgrade lotsync or use another --history file")
    assert path.read_bytes() == before


def test_files_that_are_not_a_history_are_refused(tmp_path):
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database")
    with pytest.raises(HistoryError, match="not a lotsync run history"):
        open_history(text)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as c:
        c.execute("CREATE TABLE customers (name)")
    with pytest.raises(HistoryError, match="not a lotsync run history"):
        open_history(other)
    with pytest.raises(HistoryError, match="no run history yet"):
        open_history(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()


# --- the run log --------------------------------------------------------------------------


def test_the_run_log_rotates_and_names_no_patient(tmp_path, capsys):
    folder = tmp_path / ".lotsync"
    book = practice(tmp_path / "clinic.xlsx")
    h = open_history(folder / "history.sqlite")
    log = setup_run_log(folder, verbose=True)
    rec = InputRecorder()
    log_start(log, [book], AS_OF)
    result, _ = run([book], Options(as_of=AS_OF), read=rec.read)
    log_inputs(log, rec.inputs)
    record = h.record_run(result, None, rec.inputs, {}, dt.datetime.now().astimezone())
    log_finish(log, result, record, [tmp_path / "out" / "report.json"], exit_status=1, seconds=0.5)
    close_run_log(log)
    text = (folder / "lotsync.log").read_text()
    assert "run start" in text and "clinic.xlsx" in text and "exit=1" in text and "run_id=1" in text
    assert "UNKNOWN_LOT" in text  # verbose: new finding ids by code
    for name in ("Jane", "Roe", "John", "Poe", "Ann", "Lee"):
        assert name not in text
    assert "run end" in capsys.readouterr().err  # verbose also prints to stderr
    handler = next(x for x in setup_run_log(folder, False).handlers if isinstance(x, RotatingFileHandler))
    assert (handler.maxBytes, handler.backupCount) == (1_000_000, 5)
    assert sum(isinstance(x, RotatingFileHandler) for x in setup_run_log(folder, False).handlers) == 1  # set up twice: no duplicate lines
    close_run_log(log)
