"""POSTED_PERIOD_CHANGED: a posted month whose figures are no longer what was posted.

Pure: the changes (from `books.journal.posted_changes`) in, findings out, and a Result
with them added (ids, order and summary counts as `reconcile` makes them). A finding, not
an exception: the books are closed for that month, so the run goes on and the next
journal carries the adjusting entry; the bookkeeper needs to know why it is there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from decimal import Decimal

from lotsync.books.journal import Change, parse_month
from lotsync.findings import assign_ids, make_finding, sort_findings
from lotsync.model import Finding, Severity, Source
from lotsync.reconcile.result import Result

CODE = "POSTED_PERIOD_CHANGED"
ROWS_NAMED = 5


def cents_text(c: int) -> str:
    """Cents as money for a message: -$1,234.50."""
    return f"{'-' if c < 0 else ''}${abs(c) // 100:,}.{abs(c) % 100:02d}"


def posted_findings(changes: list[Change]) -> list[Finding]:
    out = []
    for c in changes:
        _, end = parse_month(c.month)
        named = [r.where for r in c.added[:ROWS_NAMED]]
        more = len(c.added) - len(named)
        rows = ""
        if named:
            rows = " Rows not in the posted figures: " + ", ".join(named) + (f" and {more} more" if more > 0 else "") + "."
        elif c.removed:
            rows = f" {len(c.removed)} posted row(s) are gone or changed (e.g. {c.removed[0].where})."
        at = f" at {c.location}" if c.location else ""
        msg = (f"{c.month} is posted: {c.account}{at} was posted at {cents_text(c.posted)} and its figures now "
               f"give {cents_text(c.now)} ({'+' if c.now >= c.posted else ''}{cents_text(c.now - c.posted)})."
               + rows)
        first = next((r.source for r in c.added if r.source is not None), None)
        source = first or Source(file=f"posted journal {c.month}", sheet=None, row=None, column=None, cell=None)
        out.append(make_finding(
            CODE, msg, source, identity=f"{c.month}|{c.location}|{c.account}|{c.posted}|{c.now}",
            location=c.location or None, date=end, value=Decimal(c.now - c.posted) / 100,
            suggestion=f"Leave {c.month} closed: the next `lotsync journal --month` for the current month "
                       "carries an adjusting entry for the difference."))
    return out


def with_findings(result: Result, extra: list[Finding]) -> Result:
    """`result` with `extra` findings added: ids, SPEC order and the summary counts."""
    if not extra:
        return result
    findings = sort_findings(list(result.findings) + assign_ids(extra))
    counts = Counter(f.code for f in findings)
    sev = Counter(f.severity for f in findings)
    summary = replace(result.summary, errors=sev[Severity.ERROR], warnings=sev[Severity.WARNING],
                      infos=sev[Severity.INFO], findings_by_code=dict(sorted(counts.items())))
    return replace(result, findings=tuple(findings), summary=summary)
