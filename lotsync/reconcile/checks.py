"""End-of-ledger checks per lot, and each lot frozen into its `LotResult` (SPEC §2–§4).

At as_of: REMAINING_MISMATCH (the sheet's Remaining vs the derived balance),
EXPIRED_ON_HAND and EXPIRING_SOON (stock above the tolerance), MISSING_COST and
MISSING_EXPIRATION (receipt lots only: a lot created by a transfer inherits its source's).
Status is the first that applies of negative, depleted, expired, expiring, ok.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lotsync.findings import make_finding
from lotsync.model import Finding
from lotsync.reconcile.booking import _fmt
from lotsync.reconcile.lots import Lot
from lotsync.reconcile.result import LotResult, Options, make_lot_result


def lot_status(derived: Decimal, expiration: dt.date | None, opts: Options) -> str:
    tol = opts.tolerance
    if derived < -tol:
        return "negative"
    if abs(derived) <= tol:
        return "depleted"
    if expiration is not None and expiration < opts.as_of:
        return "expired"
    if expiration is not None and expiration <= opts.as_of + dt.timedelta(days=opts.expiring_days):
        return "expiring"
    return "ok"


def check_lots(lots: list[Lot], opts: Options) -> tuple[list[LotResult], list[Finding]]:
    """Freeze every lot and raise its end-of-ledger findings."""
    findings: list[Finding] = []
    results: list[LotResult] = []
    tol = opts.tolerance
    window_end = opts.as_of + dt.timedelta(days=opts.expiring_days)

    def add(code: str, msg: str, lot: Lot, fld: str | None, **kw) -> None:
        ref = lot.first_ref
        findings.append(make_finding(code, msg, ref.source(fld), identity=ref.fingerprint,
                                     product=lot.product, lot=lot.lot,
                                     location=lot.location or None, **kw))

    for lot in lots:
        derived = lot.balance
        cost = lot.cost
        variance = None
        if lot.recorded_remaining is not None and not lot.created_by_transfer:
            variance = lot.recorded_remaining - derived
            if abs(variance) > tol:
                ref = lot.remaining_ref
                findings.append(make_finding(
                    "REMAINING_MISMATCH",
                    f"The sheet says {_fmt(lot.recorded_remaining)} {lot.unit or ''} of lot {lot.lot} "
                    f"remain; the logs give {_fmt(derived)}.".replace("  ", " "),
                    ref.source("remaining"), identity=ref.fingerprint, product=lot.product,
                    lot=lot.lot, location=lot.location or None, date=opts.as_of, quantity=variance,
                    value=variance * cost if cost is not None else None,
                    suggestion=f"Set Remaining to {_fmt(derived)}."))
        exp = lot.expiration
        if derived > tol and exp is not None:
            if exp < opts.as_of:
                add("EXPIRED_ON_HAND",
                    f"{_fmt(derived)} {lot.unit or ''} of lot {lot.lot} expired on {exp.isoformat()} "
                    "and are still on hand.".replace("  ", " "),
                    lot, "expiration", date=exp, quantity=derived,
                    value=derived * cost if cost is not None else None,
                    suggestion="Write it off as expired (an adjustment of type 'expired') and "
                               "return or discard it.")
            elif exp <= window_end:
                add("EXPIRING_SOON",
                    f"{_fmt(derived)} {lot.unit or ''} of lot {lot.lot} expire on {exp.isoformat()}.".replace("  ", " "),
                    lot, "expiration", date=exp, quantity=derived,
                    value=derived * cost if cost is not None else None,
                    suggestion="Use this lot first.")
        if not lot.created_by_transfer and lot.first_ref is not None:
            cols = lot.first_ref.table.columns
            if cost is None:
                add("MISSING_COST",
                    f"Lot {lot.lot} of {lot.product} has no cost: the cost of its use is estimated.",
                    lot, "unit_cost" if "unit_cost" in cols else ("total_cost" if "total_cost" in cols else "lot"),
                    date=lot.first_received, quantity=lot.received,
                    suggestion="Enter the cost from the invoice.")
            if exp is None:
                add("MISSING_EXPIRATION",
                    f"Lot {lot.lot} of {lot.product} has no expiration date: it is never treated "
                    "as expired and FEFO ignores it.",
                    lot, "expiration" if "expiration" in cols else "lot",
                    date=lot.first_received,
                    suggestion="Enter the expiration printed on the box.")
        src = lot.first_ref.source("lot") if lot.first_ref is not None else None
        # `make_lot_result` takes every field in LotResult's order (result.py)
        results.append(make_lot_result(
            lot.product, lot.lot, lot.location, exp, lot.unit, cost, lot.received, lot.used,
            lot.wasted, lot.expired_out, lot.returned, lot.adjusted, lot.transferred_in,
            lot.transferred_out, lot.count_variance, lot.used_inferred, derived,
            None if lot.created_by_transfer else lot.recorded_remaining,
            variance, lot_status(derived, exp, opts), src, lot.lot_key, lot.first_received,
            lot.created_by_transfer))
    results.sort(key=lambda r: (r.product.casefold(), r.lot_key, r.location))
    return results, findings
