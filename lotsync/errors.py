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
