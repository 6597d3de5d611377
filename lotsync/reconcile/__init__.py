"""The pure core: typed rows in, a frozen `Result` out. No files, network or printing.
May import tables (values), findings, model, errors; never readers, pipeline, writers or above.

Pipeline (each stage returns data and findings, Beancount-style):
    build_catalog -> book_events (lots, sweep, inference) -> check_lots -> compute_cogs
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import fields
from decimal import Decimal, localcontext
from operator import attrgetter
from typing import Iterable, Sequence

from lotsync.findings import assign_ids, sort_findings
from lotsync.model import Finding, Practice, Severity, TableInput, make_slotted
from lotsync.reconcile.booking import Booker
from lotsync.reconcile.catalog import build_catalog
from lotsync.reconcile.checks import check_lots
from lotsync.reconcile.cogs import compute_cogs, visit_key
from lotsync.reconcile.lots import LEDGER_CONTEXT, ZERO
from lotsync.reconcile.result import Cogs, LotResult, Options, Result, Summary, Totals, UseNext
from lotsync.reconcile.sweep import SweepBooker

__all__ = ["reconcile", "Options", "Result"]


def reconcile(practice: Practice, opts: Options, inputs: tuple[TableInput, ...] = (),
              parse_findings: list[Finding] | tuple[Finding, ...] = (),
              reference: bool = False) -> Result:
    """Derive every lot's ledger, the findings and COGS from typed rows.

    `reference=True` books with the row-by-row reference (`booking.Booker`) instead of the
    lean sweep (`sweep.SweepBooker`); the tests hold the two to identical results."""
    with localcontext(LEDGER_CONTEXT):
        catalog = build_catalog(practice)
        booker = (Booker if reference else SweepBooker)(practice, catalog, opts)
        booking = booker.run()
        if booking.ledger is not None:
            booking.ledger.done()
        missing_lot_notes = booker.missing_lot_suggestions
        names = {k: p.name for k, p in catalog.products.items()}
        if reference:  # COGS from every row's take, after the booking
            cogs = compute_cogs(practice.visits, booking.takes, names)
            visits = len({visit_key(v) for v in practice.visits})
        else:  # the sweep added every row into COGS as it booked it
            visits = len(booker.cogs.by_visit)
            # the event order (three lists of a million, and their ints: ~80 MB at 1M rows)
            # is done with: freed before COGS builds its visits, the run's peak (issue 10)
            booker._order = booker._rows = booker._kinds = None
            cogs = booker.cogs.result(names)
        del booker  # its working state (the event order, duplicate keys, ...) is done with
        lots, lot_findings = check_lots(list(booking.lots.values()), opts)
        return assemble_result(practice, opts, inputs, parse_findings, missing_lot_notes,
                               [*booking.findings, *lot_findings], lots, cogs, visits,
                               booking.movements, booking.ledger)


def assemble_result(practice: Practice, opts: Options, inputs: Sequence[TableInput],
                    parse_findings: Sequence[Finding], missing_lot_notes: dict,
                    ledger_findings: Iterable[Finding], lots: list[LotResult], cogs: Cogs,
                    visits: int, movements: Iterable, ledger=None) -> Result:
    """The step every way of booking ends with (one run, or parts merged): parse findings
    given their MISSING_LOT suggestion, every finding sorted and given its id, the totals,
    the summary and the frozen Result. `ledger`: the booking's `LedgerColumns` (one run
    with Options.keep_ledger; parts merged have none: their period figures come from
    movements)."""
    findings: list[Finding] = []
    for f in parse_findings:
        if f.code == "MISSING_LOT":
            note = missing_lot_notes.get((f.source.file, f.source.sheet, f.source.row))
            if note:
                f = with_suggestion(f, note)
        findings.append(f)
    findings.extend(ledger_findings)
    findings = assign_ids(sort_findings(findings))
    totals = compute_totals(lots, cogs.total, cogs.estimated, opts)
    counts = Counter(f.code for f in findings)
    sev = Counter(f.severity for f in findings)
    summary = Summary(
        lots=len(lots), visit_rows=len(practice.visits), visits=visits,
        errors=sev[Severity.ERROR], warnings=sev[Severity.WARNING], infos=sev[Severity.INFO],
        findings_by_code=dict(sorted(counts.items())))
    return Result(as_of=opts.as_of, options=opts, inputs=tuple(inputs), lots=tuple(lots),
                  findings=tuple(findings), cogs=cogs, totals=totals, summary=summary,
                  fefo_next=tuple(use_next(lots, opts)), movements=tuple(movements),
                  ledger=ledger)


_FINDING_FIELDS = [f.name for f in fields(Finding)]
_finding_values = attrgetter(*_FINDING_FIELDS)
_make_finding = make_slotted(Finding)
_SUGGESTION = _FINDING_FIELDS.index("suggestion")


def with_suggestion(f: Finding, note: str) -> Finding:
    """`replace(f, suggestion=note)` in a quarter of the time (the parse stage raises a
    MISSING_LOT for 2% of a practice's rows; `replace` costs ~6 µs each)."""
    values = list(_finding_values(f))
    values[_SUGGESTION] = note
    return _make_finding(*values)


def compute_totals(lots: list[LotResult], cogs: Decimal, estimated: Decimal, opts: Options) -> Totals:
    """Practice-wide values at each lot's own cost (lots without a cost left out).

    received_value counts stock at the cost of the lot that holds it, so a transfer into a
    lot of another cost re-values the moved quantity there; with that, received value =
    COGS + waste + expired + returned - adjusted - count variance + on hand, exactly.
    """
    t = dict.fromkeys(("received", "waste", "expired", "returned", "adjusted", "cv", "on_hand",
                       "expired_on_hand", "expiring"), ZERO)
    for lot in lots:
        c = lot.unit_cost
        if c is None:
            continue
        t["received"] += (lot.received + lot.transferred_in - lot.transferred_out) * c
        t["waste"] += lot.wasted * c
        t["expired"] += lot.expired_out * c
        t["returned"] += lot.returned * c
        t["adjusted"] += lot.adjusted * c
        t["cv"] += lot.count_variance * c
        t["on_hand"] += lot.derived_remaining * c
        if lot.derived_remaining > opts.tolerance:
            if lot.status == "expired":
                t["expired_on_hand"] += lot.derived_remaining * c
            elif lot.status == "expiring":
                t["expiring"] += lot.derived_remaining * c
    return Totals(received_value=t["received"], cogs=cogs, cogs_estimated=estimated,
                  waste_value=t["waste"], expired_value=t["expired"], returned_value=t["returned"],
                  adjusted_value=t["adjusted"], count_variance_value=t["cv"],
                  on_hand_value=t["on_hand"], expired_on_hand_value=t["expired_on_hand"],
                  expiring_value=t["expiring"])


def use_next(lots: list[LotResult], opts: Options) -> list[UseNext]:
    """Per product and location, the lot to use first: FEFO among lots on hand, not expired."""
    best: dict[tuple[str, str], LotResult] = {}
    for lot in lots:
        if lot.derived_remaining <= opts.tolerance:
            continue
        if lot.expiration is not None and lot.expiration < opts.as_of:
            continue
        k = (lot.product, lot.location)
        cur = best.get(k)
        rank = (lot.expiration or dt.date.max, lot.received_date or dt.date.min, lot.lot_key)
        if cur is None or rank < (cur.expiration or dt.date.max, cur.received_date or dt.date.min, cur.lot_key):
            best[k] = lot
    return [UseNext(product=l.product, location=l.location, lot=l.lot, expiration=l.expiration,
                    on_hand=l.derived_remaining, unit=l.unit)
            for (_, _), l in sorted(best.items(), key=lambda kv: (kv[0][0].casefold(), kv[0][1]))]
