"""The parse stage alone, A/B in one process: tables/parse.py against the parser it
replaced (tests/parse_reference.py), on a bench practice read once.

Why in one process: on a shared machine two runs taken minutes apart differed by more
than the change measured; here the two parsers alternate on the same Grids, and the best
CPU time of each is printed (gc paused, as the CLI runs the parse).

    python bench/bench_parse.py bench/out/practice-200000-L10000-s20260101 --repeat 6
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import parse_reference  # noqa: E402  (tests/: the oracle)

from lotsync import pipeline  # noqa: E402
from lotsync.tables import parse as current  # noqa: E402
from lotsync.tables.detect import detect_table  # noqa: E402
from lotsync.tables.mapping import Mapping  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("practice", help="a bench/out/practice-* folder (inventory.xlsx, visits.xlsx)")
    ap.add_argument("--repeat", type=int, default=4)
    ap.add_argument("--as-of", default="2026-01-01")
    args = ap.parse_args()
    folder = Path(args.practice)
    sheets = pipeline.read_sources([str(folder / "inventory.xlsx"), str(folder / "visits.xlsx")])
    dets = [d for d in (detect_table(s, Mapping()) for s in sheets)]
    opts = current.ParseOptions(as_of=dt.date.fromisoformat(args.as_of))
    times: dict[str, list[float]] = {"reference": [], "current": []}
    gc.disable()
    for _ in range(args.repeat):
        for name, mod in (("reference", parse_reference), ("current", current)):
            t = time.process_time()
            out = [mod.parse_table(d, o, opts) for o, d in enumerate(dets) if d.kind is not None]
            times[name].append(time.process_time() - t)
            del out
    for name, ts in times.items():
        print(f"{name:9s} best {min(ts):.3f} s CPU  runs " + " ".join(f"{t:.3f}" for t in ts))


if __name__ == "__main__":
    main()
