"""File readers: a spreadsheet, CSV file or Google Sheet in, its sheets as `RawSheet`s out.
May import lotsync.errors only: the bottom of the core (tables and all above read through it).

    from lotsync.readers import read_path, RawSheet, ReadError
    sheets = read_path("inventory.xlsx")   # list[RawSheet], tab order

`read_path` decides what a file is by its content (magic bytes), not its name, checks it
before any parser sees it (`preflight`), and reads it with `workbook` (xlsx, xlsm, xls,
xlsb, ods) or `csvfile`.  Anything it cannot read is a `ReadError` whose message is one
line naming the file and saying what to do; never a traceback, never a cell's contents.
Input files are opened read-only and never written; nothing is written anywhere else.
"""

from __future__ import annotations

import gc
import os
from typing import Any, Callable

from lotsync.readers.raw import Cell, RawSheet, ReadError

__all__ = ["read_path", "start_path", "RawSheet", "ReadError", "Cell"]


def read_path(path: str | os.PathLike) -> list[RawSheet]:
    """Every sheet of the file at `path`, in tab order (one sheet, named None, for a CSV).

    A workbook with no tabs gives an empty list; a tab with no cells gives a sheet with no
    rows: the caller decides what that means.  `RawSheet.notes` says when a file was read
    in an unusual way (hidden tab, fallback reader, text encoding, delimiter, ...)."""
    return start_path(path)()


def start_path(path: str | os.PathLike) -> Callable[[], list[RawSheet]]:
    """`read_path` in two steps, so that a run reads its files on both cores: the
    preflight runs now (a ReadError for an unusable file is raised here) and a workbook's
    guarded child is forked now, before the preflight's scan, which runs beside it; the function returned finishes the read
    (waits for the child) and gives the sheets or raises the ReadError.  Call it once;
    its `cancel()` stops a child whose sheets are no longer wanted."""
    from lotsync.readers import csvfile, preflight, workbook

    quick, verdict = preflight.start_check(path)
    if quick.kind == "csv":
        pf = verdict()

        def finish() -> list[RawSheet]:
            return _guarded(pf, lambda: [csvfile.read_csv(pf)])
        finish.cancel = lambda: None  # type: ignore[attr-defined]
        return finish
    # The workbook's child is forked on the first step's word and parses while the
    # preflight's scan (the second step) runs here; the scan's verdict decides.
    started = _guarded(quick, lambda: workbook.start_workbook(quick, verdict))

    def finish_workbook() -> list[RawSheet]:
        return _guarded(quick, started)

    finish_workbook.cancel = getattr(started, "cancel", lambda: None)  # type: ignore[attr-defined]
    return finish_workbook


def _guarded(pf, step: Callable[[], Any]) -> Any:
    """One step of a read with the cyclic GC paused and OS errors as one-line ReadErrors."""
    from lotsync.readers import preflight

    # The cyclic GC runs every 700 new containers and rescans everything that survived:
    # building a million row lists triggers it thousands of times for nothing (rows hold
    # no cycles).  Measured: csv.reader over 1,000,000 rows 3.9 s with the GC on, 0.77 s
    # paused; calamine to_python of 200k rows 1.06 s on, 0.93 s paused.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return step()
    except ReadError:
        raise
    except MemoryError:
        raise preflight.fail(pf.name, "it is too large to read in this computer's memory",
                             "split it into smaller files") from None
    except OSError as exc:
        raise preflight.fail(pf.name, "the file could not be read "
                             f"({exc.strerror or type(exc).__name__})",
                             "copy it to a local folder and try again") from None
    finally:
        if gc_was_enabled:
            gc.enable()
