"""Google Sheets at size: a generated practice served by the fake Sheets API, read by lotsync.

    python bench/bench_gsheets.py --rows 50000          # N visit rows (default 200000)

The practice is bench/generate.py's (inventory.xlsx "Receiving", visits.xlsx "Treatments"),
loaded cell for cell into the fake server of tests/fake_sheets.py (dates as DATE-formatted
serials, as Google stores them) in this process; lotsync runs in a fresh interpreter
(`pipeline.run` on `gsheet://inv` and `gsheet://tx`, then report.json), so its peak RSS is
its own. Printed and written to bench/out/gsheets-<N>.json: wall seconds, requests, seconds
spent waiting for the read quota, lotsync's own CPU seconds (the rest of the wall time
is the fake server building its JSON on the same cores), peak RSS, the largest response and the number of visit
rows and findings (to compare with the xlsx run of the same practice).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
sys.path.insert(0, str(HERE))

CHILD = r"""
import json, sys, time, datetime as dt, resource, tempfile
from pathlib import Path
t0 = time.perf_counter()
from lotsync import pipeline
from lotsync.readers import gsheets
from lotsync.reconcile import Options
from lotsync.writers.json_report import write_report_json
clients = []
real_open = gsheets.open_client
def counted(*a, **k):
    c = real_open(*a, **k); clients.append(c); return c
gsheets.open_client = counted
result, loaded = pipeline.run(["gsheet://inv", "gsheet://tx"], Options(as_of=dt.date(2026, 1, 1)))
t_read = time.perf_counter() - t0
with tempfile.TemporaryDirectory() as out:
    write_report_json(result, Path(out))
http = [c.http_client for c in clients]
print(json.dumps({
    "wall_s": round(time.perf_counter() - t0, 2), "read_and_reconcile_s": round(t_read, 2),
    "requests": sum(h.requests_made for h in http),
    "throttled_s": round(sum(h.throttled for h in http), 2),
    "largest_response_bytes": max((b for h in http for b in h.response_bytes), default=0),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "cpu_s": round(resource.getrusage(resource.RUSAGE_SELF).ru_utime
                   + resource.getrusage(resource.RUSAGE_SELF).ru_stime, 2),
    "visit_rows": result.summary.visit_rows, "lots": result.summary.lots,
    "findings": len(result.findings)}))
"""


def load_tabs(path: Path) -> dict[str, list[list]]:
    """A workbook's tabs as fake-server cells: dates become DATE-formatted serials."""
    from python_calamine import CalamineWorkbook

    from fake_sheets import date_cell

    wb = CalamineWorkbook.from_path(str(path))
    tabs = {}
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        tabs[name] = [[date_cell(v) if isinstance(v, dt.date) and not isinstance(v, dt.datetime)
                       else (None if v == "" else v) for v in r] for r in rows]
    return tabs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--lots", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--quota", type=int, default=60, help="read requests a minute (0: no throttle)")
    a = ap.parse_args(argv)

    from fake_sheets import FakeSheetsServer
    from generate import generate

    practice = HERE / "out" / f"practice-{a.rows}-L{a.lots}-s{a.seed}"
    if not (practice / "visits.xlsx").exists():
        generate(a.rows, practice, n_lots=a.lots, seed=a.seed)
    t = time.perf_counter()
    server = FakeSheetsServer().start()
    inv, tx = load_tabs(practice / "inventory.xlsx"), load_tabs(practice / "visits.xlsx")
    server.add_spreadsheet("inv", "Inventory", inv, cols=12)
    server.add_spreadsheet("tx", "Treatments", tx, cols=12)
    print(f"fake server loaded in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    env = {**os.environ, "LOTSYNC_SHEETS_API_URL": server.url,
           "LOTSYNC_SHEETS_READS_PER_MINUTE": str(a.quota)}
    proc = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True)
    server.stop()
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        return 1
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    figures.update(rows=a.rows, quota=a.quota, server_responses=len(server.response_sizes),
                   server_largest_response_bytes=max(server.response_sizes))
    (HERE / "out").mkdir(exist_ok=True)
    (HERE / "out" / f"gsheets-{a.rows}.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
