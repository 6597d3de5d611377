"""lotsync: re-derive every lot's ledger from a med spa's own spreadsheets.

The public API (everything in `__all__`; anything else may change):

    import lotsync
    r = lotsync.reconcile(["Inventory.xlsx", "visits/"], as_of="2026-06-30")
    r.summary, r.lots, r.findings        # the frozen Result
    frames = r.to_pandas()               # "lots", "movements", "findings", "visits"
    lotsync.check(["Inventory.xlsx"])    # what `lotsync check --json` says, as objects
    lotsync.trace(r, "C3709C3")          # what `lotsync trace` says
    lotsync.read_parquet("lotsync-out")  # the frames a `--format parquet` run wrote

Errors: `lotsync.LotsyncError` and one subclass per cause (see `lotsync.errors`).

A name clash, settled here: `lotsync.reconcile` is the function above, while the pure
ledger core is the package `lotsync/reconcile/`. The package is imported first and the
function bound over its attribute afterwards, so `lotsync.reconcile(...)` is the function
however the program imported lotsync, and `from lotsync.reconcile import Options` (how
all of lotsync imports the core) still works. Only the forms that reach the package
through the attribute fail: write `from lotsync.reconcile import result`, not
`import lotsync.reconcile.result as result`. Rejected: renaming the core package (every
module and every engineer's branch imports it), and a callable module (`help()` and a
notebook's `?` would show the core package's documentation, not the function's).
"""

from lotsync.version import __version__  # noqa: E402  (one place; the writers read it there)
from lotsync import reconcile as _ledger  # noqa: E402,F401  (the package, before the name is rebound)
from lotsync.api import Reconciliation, check, read_parquet, reconcile, trace  # noqa: E402
from lotsync.errors import (  # noqa: E402
    CannotRun,
    ConfigError,
    HistoryError,
    LotsyncError,
    MappingError,
    MaskKeyError,
    NoInventoryError,
    NoSourcesError,
    ReadError,
    SourceNotFoundError,
    TraceError,
)

del _ledger

__all__ = [
    "__version__",
    "reconcile", "check", "trace", "read_parquet", "Reconciliation",
    "LotsyncError", "CannotRun", "NoSourcesError", "ConfigError", "MappingError", "ReadError",
    "SourceNotFoundError", "NoInventoryError", "MaskKeyError", "HistoryError", "TraceError",
]
