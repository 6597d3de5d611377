"""Finding codes (SPEC §3) as data, and the one function that makes a finding.

Like frictionless' error types, each code has a fixed severity; the message is written
where the finding is raised, in words a clinic manager understands, and never holds a
patient's name (PHI). `assign_ids` gives every finding a stable id: a hash of its code
and content but not its row number, so that inserting unrelated rows changes no id.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from operator import attrgetter

from lotsync.model import Finding, Severity, Source, make_slotted

SEVERITY: dict[str, Severity] = {
    "INVALID_VALUE": Severity.ERROR,
    "MISSING_REQUIRED": Severity.ERROR,
    "MISSING_LOT": Severity.ERROR,
    "UNKNOWN_LOT": Severity.ERROR,
    "LOT_PRODUCT_MISMATCH": Severity.ERROR,
    "UNKNOWN_UNIT": Severity.ERROR,
    "EXPIRED_USE": Severity.ERROR,
    "NEGATIVE_BALANCE": Severity.ERROR,
    "USE_BEFORE_RECEIPT": Severity.WARNING,
    "UNLOGGED_TRANSFER": Severity.WARNING,
    "FEFO_VIOLATION": Severity.WARNING,
    "DUPLICATE_ENTRY": Severity.WARNING,
    "REMAINING_MISMATCH": Severity.WARNING,
    "COUNT_VARIANCE": Severity.WARNING,
    "COST_CONFLICT": Severity.WARNING,
    "MISSING_COST": Severity.WARNING,
    "MISSING_EXPIRATION": Severity.WARNING,
    "EXPIRED_ON_HAND": Severity.WARNING,
    "EXPIRING_SOON": Severity.INFO,
    "PRODUCT_ALIAS": Severity.INFO,
    # issue 11: raised by a run with a history when a posted month's journal figures changed
    "POSTED_PERIOD_CHANGED": Severity.WARNING,
}

CODES: tuple[str, ...] = tuple(SEVERITY)

#: `--fail-on` / `fail_on`: the severity rank at or above which a finding fails the run.
FAIL_LEVELS = {"error": 0, "warning": 1, "info": 2, "never": -1}


def exit_status(findings, fail_on: str) -> int:
    """SPEC §5: 1 when a finding is at or above `fail_on` (never: always 0), else 0."""
    level = FAIL_LEVELS[fail_on]
    if level < 0:
        return 0
    return 1 if any(f.severity.rank <= level for f in findings) else 0


def make_finding(code: str, message: str, source: Source, *, identity: str = "", **fields) -> Finding:
    """A finding of `code` (its severity comes from the table above)."""
    return Finding(code=code, severity=SEVERITY[code], message=message, source=source,
                   identity=identity, **fields)


def sort_findings(findings: list[Finding] | tuple[Finding, ...]) -> list[Finding]:
    """SPEC §4 order: severity (error first), then file, sheet, row, code."""
    return sorted(findings, key=lambda f: (
        f.severity.rank, f.source.file, f.source.sheet or "", f.source.row or 0, f.code,
        f.source.column or "", f.lot or "", str(f.date or ""), f.identity))


def assign_ids(findings: list[Finding]) -> list[Finding]:
    """Give each finding its stable `id` (16 hex digits of SHA-256 over code and content).

    Two findings of identical content (a row pasted twice) are told apart by their
    order of occurrence, which inserting unrelated rows does not change.

    Each finding is copied with its id through its slots (`_with_id`), not
    `dataclasses.replace` (which checks every field by name: half of the ~5 µs a finding
    cost); the copy is equal to what `replace` makes (tests/test_findings.py).
    """
    seen: dict[str, int] = {}
    seen_get = seen.get
    sha256 = hashlib.sha256
    out = []
    append = out.append
    for f in findings:
        s = f.source
        content = "\x1f".join(map(str, (
            f.code, s.file.rsplit("/", 1)[-1], s.sheet, s.column, f.product, f.lot,
            f.location, f.date, f.quantity, f.identity)))
        digest = sha256(content.encode("utf-8")).hexdigest()[:16]
        n = seen_get(digest, 0) + 1
        seen[digest] = n
        if n > 1:
            digest = sha256(f"{content}\x1f{n}".encode()).hexdigest()[:16]
        append(_with_id(f, digest))
    return out


_finding_values = attrgetter(*(f.name for f in fields(Finding) if f.name != "id"))
_make_finding = make_slotted(Finding)
assert fields(Finding)[-1].name == "id"  # `_with_id` passes the id last


def _with_id(f: Finding, digest: str) -> Finding:
    """`replace(f, id=digest)`, made through the slots."""
    return _make_finding(*_finding_values(f), digest)
