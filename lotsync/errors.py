"""The one error base class: an exception here means "lotsync cannot run at all".

Findings are data and never raised; every error a user can cause (a missing file, a bad
mapping or config, no inventory table) derives from `LotsyncError`, carries a one-line
message that names no cell contents, and is turned into exit status 2 by the command line
alone (the library never imports click). Rejected: one `except` clause per error class in
the CLI (it listed eight and missed new ones).
"""

from __future__ import annotations


class LotsyncError(Exception):
    """Cannot run: the message is one line a clinic manager can act on."""

    exit_code = 2


class CannotRun(LotsyncError):
    """A bad combination of options or settings (no sources, --from after --to, ...)."""


def describe_failure(exc: BaseException) -> str:
    """One line about why a run stopped, safe for a log: a `LotsyncError`'s own message
    (written to name files and settings, never cells), else only the exception's type and
    where in lotsync it was raised. An unexpected exception's text is never used: a
    library's message may quote the cell it choked on (openpyxl's IllegalCharacterError
    quotes the whole value), and a cell may hold a patient's name."""
    if isinstance(exc, LotsyncError):
        text = str(exc)
        return text.splitlines()[0] if text else type(exc).__name__
    import traceback
    from pathlib import Path
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if "lotsync" in Path(f.filename).parts] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    return f"internal error {type(exc).__name__}{where}"
