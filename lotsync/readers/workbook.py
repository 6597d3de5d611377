"""Workbooks (.xlsx .xlsm .xls .xlsb .ods) as `RawSheet`s: python-calamine first, openpyxl
read-only as the safe fallback.

How a workbook is read (`preflight.start_check` says what the file is; its scan, run
beside the child (item 3), says for xlsx/xlsm how far the cells really reach):

1. **Too large for a dense grid.**  calamine builds each sheet as a dense grid of
   32-byte cells from the first to the last cell with a value, so one stray cell at
   XFD1048576 asks for 512 GB and *aborts* the process (SIGABRT: no `except` can catch
   it).  If an xlsx/xlsm's scanned extent, max_row × max(max_col, 26), exceeds
   `DENSE_CELL_BUDGET` (30 M cells: about 1 GB of grid plus 240 MB of list slots), the
   whole workbook is read with openpyxl read-only instead, which streams rows and never
   builds a grid (0.25 s for the XFD1048576 file), and every sheet gets a note.
   Extents past Excel's own limits are refused by the preflight.  A Strict OOXML file
   cannot take this path (openpyxl silently sees no sheets in one): it is refused with a
   message asking for a regular .xlsx.
2. **The guard (`run_guarded`, the one place a parser meets a file's bytes).** Every
   workbook is parsed in a forked child (`os.fork`, not `multiprocessing`), vouched for
   or not, whatever its size, by calamine and by openpyxl alike (its streaming read gets
   `OPENPYXL_TIME_FACTOR` times the time budget): where it can fork, this process never
   hands a workbook's bytes to a parser itself.  The child gets `RLIMIT_AS` = its current size + `CHILD_MEMORY_HEADROOM`
   (4 GiB), no core dumps, stderr to /dev/null, and `CHILD_TIMEOUT_BASE` +
   `CHILD_TIMEOUT_PER_MIB` × size seconds; it builds each sheet's compact `Grid`
   (readers/grid.py) and pickles the sheets back through a pipe (0.04 s at 200k visit
   rows, 0.27 s at 1M: a Grid is a few arrays of codes and each distinct value once).
   If it dies (an abort, a signal, a MemoryError under its cap) or runs out of time, the
   file is reported as damaged: `ReadError("... the file looks damaged ...: open it in
   Excel ... and save a copy")`.  Nothing crashes the caller.  Another reader (a columnar
   one) uses the same guard: `run_guarded(pf, parse)` with its own picklable `parse(pf)`.
3. **The child is forked before the preflight's scan** (`start_workbook(pf, verdict)`):
   `preflight.start_check` first says what the file is (magic bytes, the zip's
   directory, the workbook part: milliseconds), the child is forked on that and parses
   on the other core while this process inflates and scans every part (0.4 s at 200k,
   ~2 s at 1M).  The scan's verdict then decides exactly as when it came first: refused
   (a zip bomb, a cell past Excel's last row, amplified shared strings, a damaged zip)
   -> the child is killed and reaped and the preflight's own message is raised, whatever
   the child was doing (still parsing, dead on the same bytes, or done); a sheet too
   large for calamine -> the child is killed and openpyxl reads the file; else the
   child's sheets.  A hostile file the scan has not yet judged is contained by the
   child's `RLIMIT_AS` and timeout, as a file the scan could not vouch for always was.
   Where there is no fork (or the fork fails) nothing is parsed before the verdict: the
   parse then runs in this process after it, with every exception caught (`BaseException`:
   calamine's `PanicException` derives from it; `KeyboardInterrupt` and `SystemExit`
   are re-raised).  `start_workbook` returns without waiting (a thread drains the pipe):
   a run starts each file's child before reading the next file (`pipeline.read_sources`),
   so the two workbooks and the preflights overlap.  Threads cannot do that: calamine
   holds the GIL while it parses (measured: a thread reading visits.xlsx beside a Python
   loop made both take their sum, 2.2 s for 1.5 s).
4. **When calamine raises** (in the child, or here where there is no fork): a password error becomes
   "password-protected: save an unprotected copy"; for a non-Strict xlsx/xlsm, openpyxl
   read-only gets a second try (note on every sheet; in a child of its own), and a
   failure there is "damaged";
   for xls/xlsb/ods (openpyxl cannot read them) it is "damaged" at once.  Exception text
   never reaches a message (it may quote a cell).

Rejected alternatives:
- large vouched files parsed in this process, after the preflight (issue 10's first four
  passes): pickling row *lists* back from a child cost as much as parsing them (1.5-1.9 s
  at 200k rows), but the Grid pickles almost for free, and in the child the parse
  overlaps the scan (read wall at 1M 10.7 -> 9.5 s) and calamine's own grid (the read's
  peak: 922 MB at 1M) never lives in this process (its ru_maxrss over the read 936 -> 201
  MB at 1M).  See bench/README.md, "Fifth pass: childread".
- the preflight first, then the fork: the scan's 0.4-2 s on one core while the other idles.
- two children for a workbook of several large tabs (one per half of its tabs): on twelve
  monthly tabs of 200k rows in all the halves' CPU summed to the whole's, but the run's
  CPU rose 0.3 s and the tree's peak 83 -> 112 MB, and on a shared machine the wall did
  not show the gain (bench/README.md, fifth pass).
- openpyxl always: 45-56 s for 200k rows against 1-4 s, and its read-only mode trusts
  the `<dimension>` tag (we call `reset_dimensions()` on the fallback path).
- trusting `<dimension>` or calamine's own sizes for the budget: hostile and buggy files
  lie, and calamine aborts before it reports a size.
- a full XML parse in the preflight to find the extent: seconds for a 100 MB sheet; the
  regex scan costs 0.05 s and the inflate it rides on 0.08 s.
- `multiprocessing` (fork or spawn): queues and a resource tracker for what one
  `os.fork` and one pipe do; spawn/forkserver also re-import lotsync in a new interpreter.
- `setrlimit` in our own process: it would cap the whole command, and the abort it
  provokes still kills it.  A thread with a timeout cannot stop a running Rust call.
- fastexcel: the same calamine core (the same abort), and Arrow columns force one type
  per column where a clinic's date column mixes date cells, text and serial numbers.

What is not covered: the scan is still a heuristic for what it vouches for.  It reads
cell references written as `<c r="..."` (either quote), rows in any order (the row bound
comes from the longest reference's digit count), and long shared strings; a cell element
with a namespace prefix and a spaced attribute (`<x:c r = "XFD1">`) is not seen by it; such a file
is parsed in the child under its caps like any other.  Small shared strings (up to 4 KiB)
repeated in many cells are not bounded (each cell expands at most that much).  The budget
is per sheet (the largest), not summed over tabs: twelve monthly tabs of 100k rows are
fine; it is the sparse blow-up that a budget must stop, and that happens within one sheet.

Cells: calamine's empty cells ("") become None; a whole number may be int or float (xlsx
through calamine: float, as Excel stores doubles; .xls, .ods and the openpyxl path: int):
compare numbers by value; a date cell is `date` when it has no time of day,
else `datetime` (the openpyxl path is normalised the same way), in the 1900 or 1904
system as the workbook says (a bare serial number stays a number: `RawSheet.date1904`
tells the parser which system it counts in); an xlsx sheet carries a `CellFormats` so
the parser can look up the few number formats it needs (readers/cellformats.py); formula cells give their cached value; error cells
(#DIV/0!) come back as None from calamine and as the error text from openpyxl.

Measured in this process, before the fifth pass moved every parse to the child (2 cores;
200,000 rows × 10 columns xlsx with shared strings, 10 MB on disk, 73 MB of sheet XML;
runs of each interleaved, so load hits both alike; now see bench/README.md "Fifth pass:
childread": visits.xlsx at 200k is read in 1.67-1.78 s wall with a core free, the child's
parse and pickle 1.28-1.35 s after a 0.39-0.43 s scan here):
  bare `CalamineWorkbook.from_path(p).get_sheet_by_index(0).to_python()`
      quiet machine 1.03-1.07 s; with the GC paused 0.92-0.94 s
  preflight (inflate every part + scan the sheet)      0.10 s quiet, 0.11-0.19 s loaded
  ""→None                                              0.03-0.07 s
  `read_path` (all of it, GC paused while it builds rows)
      quiet: 1.03-1.12 s, i.e. 0.97-0.99 × bare calamine as usually called;
      loaded: median 0.93 × bare calamine, and 1.14 × bare calamine with the GC paused
      too (the fair comparison of the work added: preflight + ""→None ≈ 12-14 %).
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import os
import pickle
import select
import signal
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

try:  # POSIX only; elsewhere every file is parsed in-process (still guarded)
    import fcntl
    import resource
except ImportError:  # pragma: no cover - Windows
    fcntl = resource = None  # type: ignore[assignment]

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from lotsync.readers.cellformats import CellFormats
from lotsync.readers.grid import Grid, GridBuilder
from lotsync.readers.preflight import DAMAGED_ADVICE, Preflight, fail
from lotsync.readers.raw import RawSheet, ReadError

#: Cells (max_row × max_col of the largest sheet) above which calamine's dense grid is
#: not risked: ~32 bytes a cell in Rust plus 8 a list slot in Python, so 30 M ≈ 1.2 GB.
#: 1,048,576 rows × 26 columns (27.3 M) still fits: any sheet up to column Z goes to
#: calamine whatever its length.
DENSE_CELL_BUDGET = 30_000_000
CHILD_MEMORY_HEADROOM = 4 * 1024**3
CHILD_TIMEOUT_BASE = 60.0
CHILD_TIMEOUT_PER_MIB = 10.0

# Extensions calamine's from_path dispatches on; any other name is read from a file
# object, so calamine sniffs the content instead of trusting the name.
_CALAMINE_EXTS = {".xlsx", ".xlsm", ".xlam", ".xlsb", ".xls", ".xla", ".ods"}

_CAN_FORK = hasattr(os, "fork") and resource is not None and hasattr(select, "poll")
_DAMAGED = "the file looks damaged (the spreadsheet reader crashed on it)"


def read_workbook(pf: Preflight) -> list[RawSheet]:
    """Every sheet of the workbook `pf` describes, in tab order (see the module doc)."""
    return start_workbook(pf)()


def start_workbook(pf: Preflight, verdict: Callable[[], Preflight] | None = None
                   ) -> Callable[[], list[RawSheet]]:
    """`read_workbook` in two steps: the guarded child is forked now and parses on the
    other core while the caller goes on; the function returned waits for it and gives the
    sheets, or raises the ReadError.

    With `verdict` (the second step of `preflight.start_check`, whose first step gave `pf`)
    the child is forked *before* the preflight's scan, which runs here meanwhile; the
    scan's verdict then decides as it always has: refused -> the child is killed (and
    reaped) and the preflight's ReadError raised, whatever the child was doing; a sheet
    too large for calamine -> the child is killed and openpyxl reads the file; else the
    child's sheets.  Without a fork (no `os.fork`, or the fork failed) nothing is parsed
    before the verdict: the parse then runs in this process, after it."""
    child = _Child.start(pf, _calamine_read) if _CAN_FORK else None
    try:
        full = verdict() if verdict is not None else pf
    except BaseException:
        if child is not None:
            child.kill()
        raise
    if full.kind == "xlsx" and full.max_cells > DENSE_CELL_BUDGET:
        if child is not None:
            child.kill()
        return lambda: _too_large_for_calamine(full)
    pending = Pending(child=child) if child is not None else Pending(outcome=_parse_guarded(full))

    def finish() -> list[RawSheet]:
        return _sheets_from(full, pending.result())

    finish.cancel = pending.cancel  # type: ignore[attr-defined]
    return finish


def _too_large_for_calamine(pf: Preflight) -> list[RawSheet]:
    if pf.strict:
        raise fail(pf.name, "it is saved as Strict Open XML and a sheet's used area "
                   f"(to row {pf.max_row:,}, column {_col_letter(max(pf.max_col, 1))}) is "
                   "too large for the fast reader, while the streaming reader cannot read "
                   "Strict files", "open it in Excel and save it as 'Excel Workbook "
                   "(.xlsx)', not Strict Open XML")
    note = (f"read with openpyxl (streaming): a sheet's used area reaches row "
            f"{pf.max_row:,} and column {_col_letter(max(pf.max_col, 1))}, too large "
            "for the fast reader")
    return _openpyxl_read(pf, note)


def _sheets_from(pf: Preflight, outcome: tuple) -> list[RawSheet]:
    status = outcome[0]
    if status == "ok":
        return _to_raw(pf, outcome[1], ())
    if status == "password":
        raise _password(pf.name)
    if status == "died":
        raise fail(pf.name, _DAMAGED, DAMAGED_ADVICE)
    if status == "timeout":
        raise fail(pf.name, f"reading it took over {outcome[1]:.0f} seconds, so the file "
                   "looks damaged", DAMAGED_ADVICE)
    # status == "error": calamine raised
    if pf.kind == "xlsx" and not pf.strict:
        return _openpyxl_read(pf, "read with openpyxl: the fast reader could not parse this file")
    raise fail(pf.name, f"the file looks damaged ({_KIND_WORDS.get(pf.kind, 'the workbook')} "
               "could not be parsed)", DAMAGED_ADVICE)


_KIND_WORDS = {"xlsx": "the workbook", "xls": "the Excel 97-2003 workbook",
               "xlsb": "the Excel binary workbook", "ods": "the OpenDocument spreadsheet"}


def _password(name: str) -> ReadError:
    return fail(name, "it is password-protected",
                "save an unprotected copy (in Excel: File > Info > Protect Workbook > "
                "Encrypt with Password, clear the password) and read the copy")


# ---------------------------------------------------------------------------- calamine
#: (name, "visible" | "hidden" | "veryHidden", chart, rows (a Grid, or a list from
#: openpyxl: RawSheet makes it a Grid), equal text/date cells shared)
_Sheet = tuple[str, str, bool, Any, bool]


def _calamine_parse(path: str, by_path: bool) -> list[_Sheet]:
    """All sheets with calamine: rows from A1, empty cells as None."""
    if by_path:
        return _calamine_sheets(CalamineWorkbook.from_path(path))
    with open(path, "rb") as fh:
        return _calamine_sheets(CalamineWorkbook.from_filelike(fh))


def _calamine_sheets(wb: CalamineWorkbook) -> list[_Sheet]:
    out: list[_Sheet] = []
    with wb:
        for index, meta in enumerate(wb.sheets_metadata):
            visible = meta.visible
            state = ("hidden" if visible == SheetVisibleEnum.Hidden
                     else "veryHidden" if visible == SheetVisibleEnum.VeryHidden else "visible")
            chart = meta.typ == SheetTypeEnum.ChartSheet
            rows: list = []
            shared = False
            if not chart:
                rows, shared = _sheet_rows(wb.get_sheet_by_index(index))
            out.append((meta.name, state, chart, rows, shared))
    return out


def _sheet_rows(sheet) -> tuple[Grid, bool]:
    """The sheet's rows from A1 as a `Grid` (readers/grid.py), empty cells as None.

    A sheet that starts at A1 (nearly all: a title or a header there) is read row by row
    (`iter_rows`) into the grid a block of rows at a time, so that the Python row lists of
    the whole sheet never exist at once: while calamine's own grid is alive (the read's
    peak) only its codes and distinct values are added (1M visit rows: the read's peak
    953 MB with every row list built, see bench/README.md for the after figure).  Equal text
    and date cells come back as one object, numbers as the reader gave them (grid.py's rules).
    Another start (data from C5) takes `to_python(skip_empty_area=False)`, which pads
    the empty rows and columns before it, then "" -> None."""
    if tuple(sheet.start or (0, 0)) == (0, 0):
        builder = GridBuilder(blank_text=True)
        builder.add_rows(sheet.iter_rows())
        return builder.grid(), True
    # skip_empty_area=False: rows[0] is row 1 and column A is index 0 even when the data
    # starts at C5 (the default drops the empty rows and columns).
    rows = sheet.to_python(skip_empty_area=False)
    _blank_to_none(rows)
    return Grid.from_rows(rows), False


def _blank_to_none(rows: list[list[Any]]) -> None:
    """calamine returns "" for an empty cell; lotsync's readers give None (as openpyxl and
    the CSV reader do).  In place, and only in rows that hold one: 0.03-0.07 s for 2 M
    cells, against 0.31 s for a list comprehension over every row."""
    for row in rows:
        if "" in row:
            i = row.index("")
            while True:
                row[i] = None
                try:
                    i = row.index("", i + 1)
                except ValueError:
                    break


def _by_path(pf: Preflight) -> bool:
    return pf.ext_matches and Path(pf.path).suffix.lower() in _CALAMINE_EXTS


def _calamine_read(pf: Preflight) -> list[_Sheet]:
    return _calamine_parse(pf.path, _by_path(pf))


# ---------------------------------------------------------------------------- the guard

def needs_child(pf: Preflight) -> bool:
    """Parse in the guarded child: every workbook, vouched for or not, whatever its size
    (the child's sheets come back as compact Grids, which pickle almost for free; see the
    module doc).  Only where there is no fork does a parse run in this process."""
    return pf.kind != "csv"


def run_guarded(pf: Preflight, parse: Callable[[Preflight], Any], slow: float = 1.0) -> tuple:
    """THE place a parser meets a file's bytes: `parse(pf)` in the guarded child when
    `needs_child(pf)` (memory and time budget; an abort kills only the child), else in this
    process with every exception caught.  `parse` must return something picklable.

    Outcome: ("ok", value) | ("password",) | ("error", exception type name) | ("died",)
    | ("timeout", seconds).  Any reader (calamine here, a columnar reader elsewhere) goes
    through this; it never raises for what the file does.  `slow` multiplies the child's
    time budget (for a parser slower than calamine)."""
    return start_guarded(pf, parse, slow).result()


class Pending:
    """A guarded parse started by `start_guarded`: `result()` gives its outcome (waiting
    for the child if there is one), `cancel()` stops a child whose result is not wanted."""

    def __init__(self, outcome: tuple | None = None, child: "_Child | None" = None) -> None:
        self._outcome, self._child = outcome, child

    def result(self) -> tuple:
        if self._outcome is None:
            assert self._child is not None
            self._outcome = self._child.wait()
            self._child = None
        return self._outcome

    def cancel(self) -> None:
        if self._child is not None:
            self._child.kill()
            self._child = None


def start_guarded(pf: Preflight, parse: Callable[[Preflight], Any], slow: float = 1.0) -> Pending:
    """`run_guarded` without waiting for the child: the child is forked now and its
    result is read by a thread as it comes (so the child never blocks on a full pipe),
    while this process reads its next file; an in-process parse is done now."""
    if needs_child(pf) and _CAN_FORK:
        child = _Child.start(pf, parse, slow)
        if child is not None:
            return Pending(child=child)
    return Pending(outcome=_parse_guarded(pf, parse))


def _parse_guarded(pf: Preflight, parse: Callable[[Preflight], Any] = _calamine_read,
                   in_child: bool = False) -> tuple:
    """`parse` in this process; every exception it can raise becomes an outcome.

    In the child a MemoryError is its memory cap refusing an allocation, as when calamine
    aborts on one: ("died",), the damaged-file line, not a second try with openpyxl in the
    parent.  In this process it is raised (readers._guarded words it)."""
    try:
        return ("ok", parse(pf))
    except (KeyboardInterrupt, SystemExit):
        raise
    except PasswordError:
        return ("password",)
    except MemoryError:
        if in_child:
            return ("died",)
        raise
    except BaseException as exc:  # noqa: BLE001 - pyo3 PanicException is a BaseException
        return ("error", type(exc).__name__)


# ---------------------------------------------------------------------------- the child
class _Child:
    """One forked child parsing one file; a thread in this process drains its pipe.

    The thread only waits in `poll` and `os.read`, which release the GIL, so the parent
    keeps (nearly) all of its core while the child parses on the other one.  Measured at
    200k visit rows: the 0.6 MB inventory workbook's child (fork, calamine, pickle back)
    overlaps the parent's preflight and calamine read of visits.xlsx."""

    def __init__(self, pid: int, read_fd: int, timeout: float) -> None:
        self.pid, self.read_fd, self.timeout = pid, read_fd, timeout
        self.chunks: list[bytes] = []
        self.timed_out = False
        self.reaped = False
        self.status = 0
        # held while the pid is reaped or signalled: a pid once reaped may be another
        # process's, so `kill` signals only a child not yet reaped
        self._reap = threading.Lock()
        self._thread = threading.Thread(target=self._drain, name="lotsync-child-pipe", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, pf: Preflight, parse: Callable[[Preflight], Any],
              slow: float = 1.0) -> "_Child | None":
        """Fork the child; None if the fork failed (then parse in-process)."""
        timeout = slow * (CHILD_TIMEOUT_BASE + CHILD_TIMEOUT_PER_MIB * pf.size / 1024**2)
        address_space = _address_space()
        parent = os.getpid()
        # The kernel's parent-death signal follows the forking *thread*: asked for only
        # when that is the main thread, whose end is the process's end.
        die_with_parent = threading.current_thread() is threading.main_thread()
        read_fd, write_fd = os.pipe()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork with threads
                pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return None

        if pid == 0:  # the child: never returns, never runs the parent's cleanup
            code = 1
            try:
                os.close(read_fd)
                if die_with_parent:
                    _die_with_parent(parent)
                _child_limits(address_space)
                payload = pickle.dumps(_parse_guarded(pf, parse, in_child=True),
                                       protocol=pickle.HIGHEST_PROTOCOL)
                view = memoryview(payload)
                while view:
                    view = view[os.write(write_fd, view):]
                code = 0
            except BaseException:  # noqa: BLE001 - the child must reach os._exit
                pass
            finally:
                os._exit(code)

        os.close(write_fd)
        try:  # a bigger pipe: fewer wake-ups while a few MB of rows come back (Linux only)
            fcntl.fcntl(read_fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        except OSError:
            pass
        try:
            return cls(pid, read_fd, timeout)
        except BaseException:  # no thread to drain and reap it (or Ctrl-C just now): stop it
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_fd)
            raise

    def _drain(self) -> None:
        deadline = time.monotonic() + self.timeout
        poller = select.poll()  # not select.select: it fails for descriptors over 1023
        poller.register(self.read_fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.timed_out = True
                    return
                if not poller.poll(max(1, int(remaining * 1000))):
                    continue
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    break
                self.chunks.append(chunk)
            with self._reap:
                _, self.status = os.waitpid(self.pid, 0)
                self.reaped = True
        except OSError:
            return

    def wait(self) -> tuple:
        try:
            self._thread.join()
        except BaseException:
            # Ctrl-C (or any other interruption) while waiting: the child must not outlive
            # this wait, since only this process enforces its time budget.
            self.kill()
            raise
        try:
            if self.timed_out:
                return ("timeout", self.timeout)
            if not self.reaped or os.waitstatus_to_exitcode(self.status) != 0 or not self.chunks:
                return ("died",)
            try:
                return pickle.load(_Chunks(self.chunks))
            except Exception:  # noqa: BLE001 - a truncated payload: the child died mid-write
                return ("died",)
        finally:
            self._close()

    def kill(self) -> None:
        """Stop the child (its result is not wanted: another file failed)."""
        with self._reap:
            if not self.reaped:
                try:
                    os.kill(self.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._thread.join()
        self._close()

    def _close(self) -> None:
        if self.read_fd >= 0:
            os.close(self.read_fd)
            self.read_fd = -1
        if not self.reaped:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.reaped = True
        self.chunks = []


class _Chunks:
    """The pipe's chunks read as one file by `pickle.load`, without joining them first:
    a joined copy of the payload (27 MB at 1M visit rows) would be one more allocation
    the size of the whole result, freed at once."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks, self._i, self._pos = chunks, 0, 0

    def read(self, n: int = -1) -> bytes:
        out = []
        while (n < 0 or n > 0) and self._i < len(self._chunks):
            chunk = self._chunks[self._i]
            piece = chunk[self._pos:] if n < 0 else chunk[self._pos:self._pos + n]
            out.append(piece)
            self._pos += len(piece)
            if n > 0:
                n -= len(piece)
            if self._pos >= len(chunk):
                self._chunks[self._i] = b""  # free what was read
                self._i, self._pos = self._i + 1, 0
        return out[0] if len(out) == 1 else b"".join(out)

    def readinto(self, buf) -> int:
        data = self.read(len(buf))
        buf[:len(data)] = data
        return len(data)

    def readline(self) -> bytes:  # pickle asks for it; protocol 2+ never needs a line
        raise pickle.UnpicklingError("no line in a binary pickle")


def _address_space() -> int | None:
    """This process's virtual size in bytes (Linux), or None if unknown."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            pages = int(fh.read().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _die_with_parent(parent: int) -> None:
    """In the child: be killed when this process ends, however it ends (SIGTERM from a
    scheduler, SIGKILL, the OOM killer).  Only the parent enforces the child's time
    budget, so a child outliving it would parse a possibly hostile file unwatched, for as
    long as the parser loops.  Linux only (prctl PR_SET_PDEATHSIG); elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent ended before the prctl took effect
        os._exit(1)


def _child_limits(address_space: int | None) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)  # a Rust panic or abort message must not reach the user's screen
    os.close(devnull)
    faulthandler.disable()  # nor Python's report of the abort (it keeps its own fd)
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    if address_space is not None:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = address_space + CHILD_MEMORY_HEADROOM
        if soft != resource.RLIM_INFINITY:
            want = min(want, soft)
        if hard != resource.RLIM_INFINITY:
            want = min(want, hard)
        try:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
        except (ValueError, OSError):
            pass


# ---------------------------------------------------------------------------- openpyxl
def _openpyxl_read(pf: Preflight, note: str) -> list[RawSheet]:
    """The whole workbook with openpyxl read-only (streams rows, builds no grid), in the
    guarded child like calamine: the scan has judged these bytes, but they are still a
    stranger's, and openpyxl is a parser.  Where there is no fork, in this process."""
    outcome = run_guarded(pf, _openpyxl_parse, slow=OPENPYXL_TIME_FACTOR)
    status = outcome[0]
    if status == "ok":
        if outcome[1][0] == "fail":
            raise ReadError(outcome[1][1])
        return _to_raw(pf, outcome[1][1], (note,))
    if status == "timeout":
        raise fail(pf.name, f"reading it took over {outcome[1]:.0f} seconds, so the file "
                   "looks damaged", DAMAGED_ADVICE)
    raise fail(pf.name, "the file looks damaged (it could not be parsed)", DAMAGED_ADVICE)


#: openpyxl streams a sheet 10-40 times slower than calamine parses it (45-56 s against
#: 1-4 s for 200k rows), so its child's time budget is this many times calamine's.
OPENPYXL_TIME_FACTOR = 10.0


def _openpyxl_parse(pf: Preflight) -> tuple:
    """("sheets", [_Sheet]) with each sheet's rows as a Grid (cheap to pickle back from
    the child), or ("fail", the one-line message): run by `run_guarded`."""
    import openpyxl  # imported here: only the fallback path pays for it

    sheets: list[_Sheet] = []
    try:
        with warnings.catch_warnings(), open(pf.path, "rb") as fh:
            warnings.simplefilter("ignore")
            # A file object, not the path: openpyxl refuses names not ending in .xlsx etc.
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True, keep_links=False)
            try:
                names = list(wb.sheetnames)
                if pf.declared_sheets and len(names) < pf.declared_sheets:
                    raise fail(pf.name, f"the workbook lists {pf.declared_sheets} tabs but only "
                               f"{len(names)} could be read", DAMAGED_ADVICE)
                for sheet_name in names:
                    ws = wb[sheet_name]
                    state = getattr(ws, "sheet_state", "visible") or "visible"
                    if not hasattr(ws, "iter_rows"):  # a chart sheet
                        sheets.append((sheet_name, state, True, [], False))
                        continue
                    ws.reset_dimensions()  # read-only mode trusts <dimension>: it may lie
                    rows = Grid.from_rows(_openpyxl_rows(ws))
                    sheets.append((sheet_name, state, False, rows, False))
            finally:
                wb.close()
    except ReadError as exc:
        return ("fail", str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except MemoryError:
        return ("fail", str(fail(pf.name, "it is too large to read in this computer's memory",
                                 "split it into smaller workbooks")))
    except Exception:  # noqa: BLE001 - openpyxl raises many types on broken files
        return ("fail", str(fail(pf.name, "the file looks damaged (it could not be parsed)",
                                 DAMAGED_ADVICE)))
    return ("sheets", sheets)


def _openpyxl_rows(ws) -> list[list[Any]]:
    rows: list[list[Any]] = []
    append = rows.append
    midnight = dt.time(0, 0)
    for values in ws.iter_rows(values_only=True):
        row = list(values)
        for i, v in enumerate(row):
            if v.__class__ is dt.datetime and v.time() == midnight and v.tzinfo is None:
                row[i] = v.date()  # as calamine gives a date cell with no time of day
            elif v == "":
                row[i] = None
        append(row)
    # Trailing rows with no value (styled empty cells) hold nothing; calamine drops them too.
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


# ---------------------------------------------------------------------------- results
def _to_raw(pf: Preflight, sheets: list[_Sheet], engine_notes: tuple[str, ...]) -> list[RawSheet]:
    out = []
    for name, state, chart, rows, shared in sheets:
        notes = list(pf.notes) + list(engine_notes)
        if state == "hidden":
            notes.append("hidden tab")
        elif state == "veryHidden":
            notes.append("very hidden tab (not shown by Excel's Unhide)")
        if chart:
            notes.append("chart sheet: no cells")
        xlsx = pf.kind == "xlsx"
        out.append(RawSheet(file=pf.path, sheet=name, rows=rows, notes=tuple(notes),
                            date1904=pf.date1904, cells_shared=shared,
                            formats=CellFormats(pf.path, name) if xlsx and not chart else None))
    return out


def _col_letter(n: int) -> str:
    letters = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


__all__ = ["read_workbook", "start_workbook", "run_guarded", "start_guarded", "Pending", "needs_child",
           "DENSE_CELL_BUDGET"]
