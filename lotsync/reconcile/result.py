"""The frozen result of a reconcile: one object that every renderer reads (datacompy's
model). Field names follow report.json (SPEC §4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from lotsync.model import Finding, Source, TableInput, make_slotted


@dataclass(frozen=True, slots=True)
class LotResult:
    product: str
    lot: str
    location: str
    expiration: dt.date | None
    unit: str | None
    unit_cost: Decimal | None  # per unit of use
    received: Decimal
    used: Decimal
    wasted: Decimal
    expired_out: Decimal
    returned: Decimal
    adjusted: Decimal
    transferred_in: Decimal
    transferred_out: Decimal
    count_variance: Decimal
    used_inferred: Decimal
    derived_remaining: Decimal
    recorded_remaining: Decimal | None
    variance: Decimal | None
    status: str
    source: Source | None
    lot_key: str = ""
    received_date: dt.date | None = None
    created_by_transfer: bool = False


@dataclass(frozen=True, slots=True)
class CogsLine:
    """One entry of a cogs `by_*` list; `key` is the visit, provider, product or month."""

    key: str
    cogs: Decimal
    revenue: Decimal | None
    margin: Decimal | None
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class VisitCogs:
    visit: str
    date: dt.date
    patient: str | None
    provider: str | None
    location: str
    cogs: Decimal
    revenue: Decimal | None
    margin: Decimal | None
    inferred: bool
    estimated: Decimal
    quantity: Decimal


@dataclass(frozen=True)
class Cogs:
    total: Decimal
    estimated: Decimal
    by_visit: tuple[VisitCogs, ...]
    by_provider: tuple[CogsLine, ...]
    by_product: tuple[CogsLine, ...]
    by_month: tuple[CogsLine, ...]


@dataclass(frozen=True)
class Totals:
    received_value: Decimal
    cogs: Decimal
    cogs_estimated: Decimal
    waste_value: Decimal
    expired_value: Decimal
    returned_value: Decimal
    adjusted_value: Decimal
    count_variance_value: Decimal
    on_hand_value: Decimal
    expired_on_hand_value: Decimal
    expiring_value: Decimal


@dataclass(frozen=True)
class Summary:
    lots: int
    visit_rows: int
    visits: int
    errors: int
    warnings: int
    infos: int
    findings_by_code: dict[str, int]


@dataclass(frozen=True, slots=True)
class Movement:
    """One change to one lot's balance, for traces, the books journal and the frames (kept
    only when `Options.keep_movements` is set: a million visits make a million of these;
    the period figures need only `Options.keep_ledger`'s compact columns).

    kind: received, used, wasted, expired, returned, adjusted, transfer_out, transfer_in,
    count (quantity = the count variance). Quantities are in units of use; `value` is at
    the lot's own cost (None when the lot has none).
    """

    kind: str
    product: str
    lot: str
    lot_key: str
    location: str
    date: dt.date | None
    quantity: Decimal
    value: Decimal | None
    inferred: bool
    ref: object  # RowRef of the row that moved it (source cell on demand)
    patient: str | None = None
    provider: str | None = None
    visit: str | None = None
    other_location: str | None = None

    @property
    def source(self) -> Source | None:
        return self.ref.source("lot") if self.ref is not None else None


#: `Movement(...)` and `VisitCogs(...)` made through their slot setters
#: (`model.make_slotted`): a million of each at a million rows when movements are kept.
#: The objects are the same in every respect; the property tests compare the sweep's
#: movements with the reference's, which are built by the constructor.
make_movement = make_slotted(Movement)
visit_cogs = make_slotted(VisitCogs)
#: `LotResult(...)` likewise (24 fields set through object.__setattr__ cost ~5 µs a lot).
make_lot_result = make_slotted(LotResult)


def used_movement(product: str, lot: str, lot_key: str, location: str, date: dt.date | None,
                  quantity: Decimal, value: Decimal | None, inferred: bool, ref: object,
                  patient: str | None, provider: str | None, visit: str | None) -> Movement:
    """`Movement("used", ...)` for the sweep's common row."""
    return make_movement("used", product, lot, lot_key, location, date, quantity, value, inferred,
                         ref, patient, provider, visit, None)


@dataclass(frozen=True)
class Options:
    """What a reconcile was asked to do (recorded so a report says how it was made)."""

    as_of: dt.date
    tolerance: Decimal = Decimal("0.01")
    expiring_days: int = 60
    infer_lots: bool = True
    day_first: bool = False
    keep_movements: bool = False
    #: the ledger as compact columns (`ledger.LedgerColumns`): all the period figures need,
    #: without a `Movement` per movement (the reconcile command's choice)
    keep_ledger: bool = False


@dataclass(frozen=True)
class Result:
    as_of: dt.date
    options: Options
    inputs: tuple[TableInput, ...]
    lots: tuple[LotResult, ...]
    findings: tuple[Finding, ...]
    cogs: Cogs
    totals: Totals
    summary: Summary
    fefo_next: tuple["UseNext", ...] = ()
    movements: tuple[Movement, ...] = ()
    # ledger.LedgerColumns when Options.keep_ledger, else None: a working record of the
    # movements (the period figures' input), not part of what a result is compared by
    ledger: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class UseNext:
    """The lot to use first for a product at a location (FEFO among lots on hand, not expired)."""

    product: str
    location: str
    lot: str
    expiration: dt.date | None
    on_hand: Decimal
    unit: str | None
