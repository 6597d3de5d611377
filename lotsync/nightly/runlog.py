"""The run log: `lotsync.log` in the history folder (e.g. `.lotsync/`), rotated, for the
bookkeeper who wants to know what last night's run did.

What goes in it: counts, finding codes and ids, file names, totals, exit status, timings.
What never does: a patient's name or any other cell content. Only the helpers below write
to it, and they take counts and ids, not rows or messages (a finding's message holds no
patient name either, but the log does not need it).

    log = setup_run_log(folder, verbose)
    log_start(log, sources, as_of)
    ...
    log_finish(log, result, record, written, exit_status, seconds)
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Iterable

LOG_NAME = "lotsync.log"
LOGGER = "lotsync.run"
MAX_BYTES = 1_000_000
BACKUPS = 5
_FORMAT = "%(asctime)s %(process)d %(levelname)s %(message)s"


def setup_run_log(folder: Path, verbose: bool = False) -> logging.Logger:
    """The `lotsync.run` logger writing to `folder/lotsync.log` (1 MB × 5 rotations), at
    DEBUG when `verbose` (INFO otherwise); with `verbose`, INFO lines also go to stderr.
    Calling it again (another run in the same process) replaces the handlers it added."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    log = logging.getLogger(LOGGER)
    for h in list(log.handlers):
        if getattr(h, "_lotsync", False):
            log.removeHandler(h)
            h.close()
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False
    fh = RotatingFileHandler(folder / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8",
                             delay=True)
    fh.setFormatter(logging.Formatter(_FORMAT))
    fh._lotsync = True  # type: ignore[attr-defined]
    log.addHandler(fh)
    if verbose:
        sh = logging.StreamHandler(sys.stderr)
        sh.setLevel(logging.INFO)
        sh.setFormatter(logging.Formatter("lotsync: %(message)s"))
        sh._lotsync = True  # type: ignore[attr-defined]
        log.addHandler(sh)
    return log


def close_run_log(log: logging.Logger) -> None:
    """Remove what `setup_run_log` added and give the logger back as it was: a run from
    the Python API must not leave a notebook's logging changed (nor a test runner's)."""
    for h in list(log.handlers):
        if getattr(h, "_lotsync", False):
            log.removeHandler(h)
            h.close()
    log.propagate = True
    log.setLevel(logging.NOTSET)


def _cents(v) -> str:
    """Money for a log line, to the cent (report.json keeps every digit)."""
    return f"{v:.2f}"


def _name(source: str) -> str:
    return source if source.startswith(("gsheet://", "https://")) else Path(source).name


def log_start(log: logging.Logger, sources: Iterable[str], as_of, config: Path | None = None) -> None:
    sources = list(sources)
    log.info("run start: as_of=%s config=%s sources=%d (%s)", as_of, config.name if config else "-",
             len(sources), ", ".join(_name(s) for s in sources))


def log_inputs(log: logging.Logger, inputs: Iterable) -> None:
    """DEBUG: each input's name, size and hash prefix."""
    for i in inputs:
        log.debug("input %s sha256=%s size=%s", _name(i.source), i.sha256[:12], i.size)


def log_finish(log: logging.Logger, result, record=None, written: Iterable[Path] = (),
               exit_status: int | None = None, seconds: float | None = None) -> None:
    """One INFO line of counts and totals; DEBUG lines with the new and resolved ids by code."""
    s, t = result.summary, result.totals
    parts = [f"run end: lots={s.lots} visit_rows={s.visit_rows} errors={s.errors} warnings={s.warnings}"
             f" infos={s.infos} cogs={_cents(t.cogs)} on_hand={_cents(t.on_hand_value)}"
             f" expired_on_hand={_cents(t.expired_on_hand_value)}"]
    if record is not None:
        parts.append(f"run_id={record.run_id} previous={record.previous_run_id} new={len(record.new)}"
                     f" resolved={len(record.resolved)} inputs_unchanged={record.inputs_unchanged}")
    written = list(written)
    if written:
        parts.append("wrote=" + ",".join(Path(p).name for p in written))
    if exit_status is not None:
        parts.append(f"exit={exit_status}")
    if seconds is not None:
        parts.append(f"seconds={seconds:.2f}")
    log.info(" ".join(parts))
    if record is not None and log.isEnabledFor(logging.DEBUG):
        codes = {f.id: f.code for f in result.findings}
        for i in record.new:
            log.debug("new %s %s", codes.get(i, "?"), i)
        for f in record.resolved_findings:
            log.debug("resolved %s %s", f.code, f.id)


def log_failure(log: logging.Logger, message: str, exit_status: int = 2) -> None:
    """A run that could not run: the one line the user saw (it names files and keys, not
    cells), and the exit status."""
    log.error("run failed: %s exit=%d", message, exit_status)
