"""CPU of the period figures: from the ledger's columns (what the reconcile command runs)
against the one pass over Movements (the fallback and oracle), on one reconcile of a bench
practice kept with both, interleaved and repeated. Also checks the two agree, digit for digit.

    python bench/bench_periods.py bench/out/practice-200000-L10000-s20260101 [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import resource
import time

from lotsync.audit.periods import compute_periods
from lotsync.pipeline import run
from lotsync.reconcile import Options
from lotsync.tables.mapping import load_mapping


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("practice")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    opts = Options(as_of=dt.date(2026, 1, 1), keep_movements=True, keep_ledger=True)
    result, _ = run([f"{a.practice}/inventory.xlsx", f"{a.practice}/visits.xlsx"], opts, load_mapping(None))
    movements_only = dataclasses.replace(result, ledger=None)
    columns_only = dataclasses.replace(result, movements=())
    print(f"{len(result.movements):,} movements, {len(result.ledger):,} used; "
          f"peak so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")
    times: dict[str, list[float]] = {"columns": [], "one pass": []}
    figures = {}
    for _ in range(a.repeat):
        for name, r in (("one pass", movements_only), ("columns", columns_only)):
            t = time.process_time()
            figures[name] = compute_periods(r)
            times[name].append(time.process_time() - t)
    assert repr(figures["columns"]) == repr(figures["one pass"]), "the two paths disagree"
    for name, ts in times.items():
        print(f"{name:9s} CPU s: " + " ".join(f"{t:.2f}" for t in ts) + f"  (best {min(ts):.2f})")


if __name__ == "__main__":
    main()
