"""Every workbook is parsed in the guarded child, forked before the preflight's scan (issue
10, fifth pass): the scan runs in this process while the child parses, and its verdict
decides as before.  These tests hold the new order: the preflight's message wins over
whatever the child was doing, no child outlives a refused file, a child stopped by its
memory cap gives the damaged-file line, and without a fork the file is read here, after
the preflight.  Every file is written by the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl
import pytest
import readers_files as rf
from readers_files import no_child_left
from test_harden_reads import poc_shared_strings

from lotsync.readers import ReadError, preflight, read_path, workbook


def running_children() -> list[str]:
    """This process's children that are running (not zombies), by their /proc state."""
    out = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children") as fh:
                kids = fh.read().split()
        except OSError:
            continue
        for pid in kids:
            try:
                with open(f"/proc/{pid}/stat") as fh:
                    state = fh.read().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state not in ("Z", "X"):
                out.append(pid)
    return out


def rows_workbook(path: Path, n: int) -> Path:
    """A visit log of `n` rows, written with openpyxl."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Treatments"
    ws.append(["Date", "Product", "Lot #", "Units Used", "Patient"])
    for i in range(n):
        ws.append([f"1/{i % 28 + 1}/2025", f"Product {i % 40}", f"LOT{i % 900:05d}", i % 40 + 1, f"P{i}"])
    wb.save(path)
    return path


def start_observed(path: Path) -> tuple[list[list[str]], object]:
    """`start_path`'s workbook steps, with the children running at the moment the
    preflight's scan ends recorded (an observer around the scan: nothing replaced)."""
    quick, verdict = preflight.start_check(path)
    seen: list[list[str]] = []

    def observed() -> preflight.Preflight:
        try:
            return verdict()
        finally:
            seen.append(running_children())

    return seen, lambda: workbook.start_workbook(quick, observed)()


@pytest.mark.skipif(not workbook._CAN_FORK, reason="no fork here: nothing is parsed before the preflight")
def test_a_file_the_preflight_refuses_while_its_child_parses_gives_the_preflights_message(tmp_path):
    # One 1 MB shared string in 9,000 cells: the child would expand it to 9 GB (and be
    # stopped by its cap after seconds); the scan refuses it in milliseconds.
    path = poc_shared_strings(tmp_path / "amplified.xlsx")
    seen, read = start_observed(path)
    with pytest.raises(ReadError) as err:
        read()
    msg = str(err.value)
    assert "known attack" in msg and "amplified.xlsx" in msg and "\n" not in msg
    assert len(seen) == 1 and len(seen[0]) == 1, "the child was still parsing when the scan refused"
    assert no_child_left()


def test_the_same_refusal_through_read_path_leaves_no_child_behind(tmp_path):
    path = poc_shared_strings(tmp_path / "amplified.xlsx")
    with pytest.raises(ReadError) as err:
        read_path(path)
    assert "known attack" in str(err.value)
    assert no_child_left()


def test_a_cell_past_excels_last_row_gets_the_preflights_message_not_the_childs_crash(tmp_path):
    path = rf.write(tmp_path / "past-last-row.xlsx", rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>", b'<row r="1048577"><c r="A1048577"><v>1</v></c></row></sheetData>')))
    with pytest.raises(ReadError) as err:
        read_path(path)
    assert "beyond Excel's last row" in str(err.value) and "crashed" not in str(err.value)
    assert no_child_left()


@pytest.mark.skipif(not workbook._CAN_FORK, reason="no fork here")
def test_a_child_that_dies_before_the_preflight_refuses_the_file_still_gives_the_preflights_message(tmp_path):
    # A cell at XFD1048577: calamine's grid would be 550 GB, so the child dies at once
    # (its cap); the scan refuses the row past Excel's last.  The scan is held until the
    # child has died (an observer: it waits, then runs the real scan).
    import time

    path = rf.write(tmp_path / "past-last-row.xlsx", rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>", b'<row r="1048577"><c r="XFD1048577"><v>1</v></c></row></sheetData>')))
    quick, verdict = preflight.start_check(path)
    alive_at_verdict: list[list[str]] = []

    def after_the_child() -> preflight.Preflight:
        deadline = time.monotonic() + 60
        while running_children() and time.monotonic() < deadline:
            time.sleep(0.02)
        alive_at_verdict.append(running_children())
        return verdict()

    with pytest.raises(ReadError) as err:
        workbook.start_workbook(quick, after_the_child)()
    assert alive_at_verdict == [[]]
    assert "beyond Excel's last row" in str(err.value) and "crashed" not in str(err.value)
    assert no_child_left()


def test_a_sheet_too_large_for_calamine_stops_the_child_and_is_read_by_openpyxl(tmp_path):
    # A real cell at XFD1048576: the scan sees it (too large for a dense grid), the child
    # forked before the scan is stopped, and openpyxl streams the file instead.
    path = rf.write(tmp_path / "far-cell.xlsx", rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>7</v></c></row></sheetData>')))
    sheet = read_path(path)[0]
    assert sheet.rows[1][:3] == ["Botox 100U", "C3709C3", 2]
    assert any("read with openpyxl (streaming)" in n for n in sheet.notes)
    assert no_child_left()


@pytest.mark.skipif(not workbook._CAN_FORK, reason="no fork here")
def test_a_child_stopped_by_its_memory_cap_gives_the_damaged_file_line(tmp_path, monkeypatch):
    # A 30 KB shared string (under the size the preflight refuses) in 6,000 cells: a
    # healthy file that the reader expands to about 180 MB.  Under a 16 MB cap the child
    # cannot: the file is reported as damaged, and not re-read here with openpyxl.
    path = poc_shared_strings(tmp_path / "notes.xlsx", string_bytes=30_000, rows=2_000)
    assert len(read_path(path)[0].rows) == 2_000  # read in the child under its usual cap
    monkeypatch.setattr(workbook, "CHILD_MEMORY_HEADROOM", 16 * 1024**2)
    with pytest.raises(ReadError) as err:
        read_path(path)
    msg = str(err.value)
    assert "notes.xlsx" in msg and "looks damaged" in msg and "\n" not in msg
    assert "fIdrLGOpeo" not in msg  # never a cell's text
    assert no_child_left()


_NO_FORK = r"""
import json, os, resource, sys
from lotsync.readers import read_path, ReadError
for warm in sys.argv[1:]:  # every module (and codec) the reads need, imported while readable
    try:
        read_path(warm)
    except ReadError:
        pass
resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
if os.geteuid() == 0:  # root's processes are never counted against RLIMIT_NPROC
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
try:
    pid = os.fork()
except OSError:
    pass
else:
    if pid == 0:
        os._exit(0)
    print(json.dumps({"skip": "fork still works under RLIMIT_NPROC"}))
    sys.exit(0)
out = {"fork_failed": True}
rows = read_path(sys.argv[1])[0].rows
out["rows"] = [list(rows[i]) for i in range(3)]
try:
    read_path(sys.argv[2])
except ReadError as exc:
    out["refused"] = str(exc)
print(json.dumps(out, default=str))
"""


@pytest.mark.skipif(not workbook._CAN_FORK, reason="no fork here to fail")
def test_when_the_fork_fails_the_workbook_is_read_in_this_process_after_the_preflight(tmp_path):
    # A real fork failure: RLIMIT_NPROC at 0 for a user other than root (root is exempt),
    # in a process of its own.  Its files must be readable by that user.
    folder = Path(tempfile.mkdtemp(prefix="lotsync-nofork-", dir="/tmp"))
    try:
        folder.chmod(0o755)
        good = rows_workbook(folder / "visits.xlsx", 50)
        refused = poc_shared_strings(folder / "amplified.xlsx")
        for p in (good, refused):
            p.chmod(0o644)
        done = subprocess.run([sys.executable, "-c", _NO_FORK, str(good), str(refused)],
                              capture_output=True, text=True, timeout=120, cwd=folder, check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done.returncode != 0 and "Permission denied" in done.stderr:
        pytest.skip("the unprivileged user cannot reach this interpreter's modules")
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout)
    if "skip" in out:
        pytest.skip(out["skip"])
    assert out["fork_failed"]
    assert out["rows"][0] == ["Date", "Product", "Lot #", "Units Used", "Patient"]
    assert out["rows"][1][1:4] == ["Product 0", "LOT00000", 1]
    assert "known attack" in out["refused"]


@pytest.mark.skipif(not workbook._CAN_FORK, reason="no fork here")
def test_the_streaming_read_of_a_sheet_too_large_for_calamine_runs_under_the_childs_budget(tmp_path, monkeypatch):
    # openpyxl is a parser too: it reads in the guarded child, so the child's time budget
    # (here none at all) stops it, and the person gets one line.
    path = rf.write(tmp_path / "far-cell.xlsx", rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>7</v></c></row></sheetData>')))
    monkeypatch.setattr(workbook, "CHILD_TIMEOUT_BASE", 0.0)
    monkeypatch.setattr(workbook, "CHILD_TIMEOUT_PER_MIB", 0.0)
    with pytest.raises(ReadError) as err:
        read_path(path)
    assert "far-cell.xlsx" in str(err.value) and "reading it took over 0 seconds" in str(err.value)
    assert no_child_left()


def test_a_payload_read_from_the_pipes_chunks_is_the_payload_joined():
    # the reference: pickle.loads of the joined chunks (what the reader did before)
    import pickle
    import random

    from lotsync.readers.grid import Grid

    grid = Grid.from_rows([[f"Product {i % 7}", i * 1.5, None, "x" * (i % 300)] for i in range(5_000)])
    payload = pickle.dumps(("ok", [("Visits", "visible", False, grid, True)], b"\x00" * 300_000),
                           protocol=pickle.HIGHEST_PROTOCOL)
    rng = random.Random(7)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(payload)), rng.randint(1, 40)))
        chunks = [payload[a:b] for a, b in zip([0] + cuts, cuts + [len(payload)])]
        expected = pickle.loads(b"".join(chunks))
        got = pickle.load(workbook._Chunks(list(chunks)))
        assert [list(r) for r in got[1][0][3]] == [list(r) for r in expected[1][0][3]]
        assert got[0] == expected[0] and got[2] == expected[2]
