"""Every error that means "lotsync cannot run", one class per cause, all in one place.

Findings are data and never raised; every error a user can cause (a missing file, a bad
mapping or config, no inventory table) derives from `LotsyncError`, carries a one-line
message that names no cell contents, and is turned into exit status 2 by the command line
alone (the library never imports click). Rejected: one `except` clause per error class in
the CLI (it listed eight and missed new ones).

The classes live here, not beside the code that raises them, so that `import lotsync`
can offer every one of them (`lotsync.ReadError`, ...) without importing pydantic, the
readers or the run history; the modules that raise them import them from here, and the
old names (`lotsync.nightly.settings.ConfigError`, ...) still work.

    LotsyncError                 cannot run (exit 2)
    ├── CannotRun                a bad combination of options (--from after --to, ...)
    │   └── NoSourcesError       no source named, in the call or in lotsync.toml
    ├── ConfigError              lotsync.toml, or an option's value (as_of, tolerance, outputs)
    ├── MappingError             a --mapping file
    ├── ReadError                a source that exists but cannot be read (damaged,
    │   │                        password-protected, not a spreadsheet, Google refused)
    │   └── SourceNotFoundError  a file, folder or glob that is not there
    ├── NoInventoryError         no inventory table in any source: nothing to reconcile
    ├── MaskKeyError             masking asked for without a usable LOTSYNC_MASK_KEY
    ├── HistoryError             the run history is locked, newer, or not a history
    └── TraceError               a trace query that is not a lot number, or no movements
"""

from __future__ import annotations


class LotsyncError(Exception):
    """Cannot run: the message is one line a clinic manager can act on."""

    exit_code = 2


class CannotRun(LotsyncError):
    """A bad combination of options or settings (no sources, --from after --to, ...)."""


class NoSourcesError(CannotRun):
    """No source to read: none named in the call, and no `[[sources]]` in lotsync.toml."""


class ConfigError(LotsyncError):
    """A config file (or an option's value) that cannot be used; the message is one line
    naming the file, the key path and the problem."""


class MappingError(LotsyncError):
    """A mapping file that cannot be used; the message is one line."""


class ReadError(LotsyncError):
    """A source cannot be read at all. Its message is one line for the user: it names the
    file and says what to do. It never contains cell contents (patient names are PHI)."""


class SourceNotFoundError(ReadError):
    """A named file or folder does not exist, or a glob matches no file."""


class NoInventoryError(LotsyncError):
    """No inventory table in any source: nothing to reconcile against."""


class MaskKeyError(LotsyncError):
    """No usable masking key (LOTSYNC_MASK_KEY missing, too short or guessable)."""


class HistoryError(LotsyncError):
    """The history cannot be used (locked, newer schema, not a history); one line."""


class TraceError(LotsyncError):
    """The query cannot be traced (not a lot number, no movements kept)."""


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
