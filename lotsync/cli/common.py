"""What every command shares: fail levels and exit status, date options, the progress bar.

Exit status (SPEC §5): 0 reconciled with nothing at or above --fail-on; 1 reconciled with
findings at or above it; 2 could not run — one line on stderr, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import sys

import click

from lotsync.findings import FAIL_LEVELS, exit_status


def parse_date(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def exit_code(result, fail_on: str) -> int:
    return exit_status(result.findings, fail_on)


def common_options(fn):
    opts = [
        click.option("--as-of", "as_of", metavar="DATE", help="End the ledger on this date (default: today)."),
        click.option("--mapping", type=click.Path(dir_okay=False), help="TOML file naming sheets' kinds and columns."),
        click.option("--day-first", is_flag=True, help="Read ambiguous text dates as day/month (default month/day)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


class StderrProgress:
    """A progress bar on stderr, only when stderr is a terminal (never in cron logs)."""

    def __init__(self) -> None:
        self._progress = None
        self._task = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
            self._progress = Progress(TextColumn("{task.description:<32}"), BarColumn(),
                                      TimeElapsedColumn(), console=Console(stderr=True),
                                      transient=True)

    def __enter__(self):
        if self._progress:
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=1)
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._progress:
            self._progress.update(self._task, description=stage, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.__exit__(*exc)
