"""findings.csv: one row per finding, for a spreadsheet (UTF-8 with BOM so Excel reads
accents; formula-injection safe).

Written a column at a time (as report.json's big lists are): each column of a batch of
findings is read with one `attrgetter` and made safe through a cache of what
`safe_text` returned for each distinct text (codes, products, files, tabs and columns
repeat on almost every row), so a row costs a few C-level steps instead of eleven Python
calls. Quantities go through `_num_text` once per distinct value: it depends on the value
alone (`1.0` and `1` both give `1`), so equal Decimals may share an entry.
"""

from __future__ import annotations

import csv
from operator import attrgetter
from pathlib import Path

from lotsync.pipeline import gc_paused
from lotsync.reconcile.result import Result
from lotsync.writers.json_report import _Memo, _num_text
from lotsync.writers.safe import atomic_output, safe_text

COLUMNS = ["id", "severity", "code", "message", "product", "lot", "location", "date", "quantity",
           "value", "suggestion", "file", "sheet", "row", "column", "cell"]

#: where each column's value is read from a Finding, and whether it is text from a sheet
#: (through the formula-injection guard), a date, a quantity, or written as it is
_FIELDS = (("id", "text"), ("severity.value", "text"), ("code", "text"), ("message", "text"),
           ("product", "text"), ("lot", "text"), ("location", "text"), ("date", "date"),
           ("quantity", "number"), ("value", "number"), ("suggestion", "text"),
           ("source.file", "text"), ("source.sheet", "text"), ("source.row", "raw"),
           ("source.column", "text"), ("source.cell", "raw"))
_BATCH = 4096


def _date_cell(d) -> str:
    return d.isoformat() if d else ""


def _number_cell(q) -> str:
    return _num_text(q) if q is not None else ""


def write_findings_csv(r: Result, out_dir: Path) -> Path:
    path = Path(out_dir) / "findings.csv"
    safe = _Memo(safe_text).__getitem__  # one cache for every text column: same text, same cell
    formats = {"text": lambda: safe, "date": lambda: _date_cell,
               "number": lambda: _Memo(_number_cell).__getitem__, "raw": lambda: None}
    columns = [(attrgetter(a), formats[kind]()) for a, kind in _FIELDS]
    findings = r.findings
    with gc_paused(), atomic_output(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for start in range(0, len(findings), _BATCH):
            batch = findings[start:start + _BATCH]
            w.writerows(zip(*(map(get, batch) if f is None else map(f, map(get, batch))
                              for get, f in columns)))
    return path
