"""findings.csv: one row per finding, for a spreadsheet (UTF-8 with BOM so Excel reads
accents; formula-injection safe)."""

from __future__ import annotations

import csv
from pathlib import Path

from lotsync.reconcile.result import Result
from lotsync.writers.json_report import _num_text
from lotsync.writers.safe import atomic_output, safe_text

COLUMNS = ["id", "severity", "code", "message", "product", "lot", "location", "date", "quantity",
           "value", "suggestion", "file", "sheet", "row", "column", "cell"]


def write_findings_csv(r: Result, out_dir: Path) -> Path:
    path = Path(out_dir) / "findings.csv"
    with atomic_output(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for f in r.findings:
            s = f.source
            text = [safe_text(x) for x in (f.id, f.severity.value, f.code, f.message, f.product,
                                           f.lot, f.location)]
            numbers = [f.date.isoformat() if f.date else "",
                       _num_text(f.quantity) if f.quantity is not None else "",
                       _num_text(f.value) if f.value is not None else ""]
            where = [safe_text(x) for x in (f.suggestion, s.file, s.sheet)] + [s.row, safe_text(s.column), s.cell]
            w.writerow(text + numbers + where)
    return path
