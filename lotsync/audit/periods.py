"""Period figures: by month, with quarter and year roll-ups, a per-provider view, and the
supply left at the current rate of use. Pure: a `Result` reconciled with
`Options(keep_ledger=True)` (the ledger's compact columns: what the reconcile command
keeps) or `Options(keep_movements=True)` in, frozen figures out. From the columns: numpy
group-bys ("from the ledger's columns" below) for a large ledger, the one pass below over records
rebuilt from them for a small one; from Movements: the one pass. The tests hold all three
to tests/periods_reference.py, digit for digit.

The ledger is always built from the first row (so opening balances are right); `date_from`
and `date_to` only choose which days are reported. A month cut by the range covers only
its days inside it (`start`, `end` say which).

Per period:
- `cogs`: exact cost of the visit rows dated in it (the used movements' values: the same
  numbers as `cogs.by_month`); `revenue` from the visits dated in it (a visit is dated by
  its first row, as in `cogs.by_visit`), None when no visit in it has a price;
  `margin` = revenue - cogs.
- `units_used` per product: units taken from lots (recorded or inferred). Quantity no lot
  could cover takes from no lot and is not here (it is in `cogs.estimated`).
- values at each lot's own cost (lots without a cost left out, as in `totals`):
  `received_value` (receipts, plus transfers in at the receiving lot's cost, minus
  transfers out), `waste_value`, `expired_value`, `returned_value`, `adjusted_value`,
  `count_variance_value` (signed), `shrinkage_value` (the counts that found less than the
  ledger expected, as a positive loss); `waste_share` and `expired_share` of received value
  (None when nothing was received); `opening_value` and `closing_value` on hand, with
  closing = opening + received - cogs - waste - expired - returned + adjusted + count variance.
  A receipt without a date is before every period: it is in the first opening value.
- visit rows: `visit_rows`; `lot_gaps` (rows with MISSING_LOT, UNKNOWN_LOT or
  LOT_PRODUCT_MISMATCH); `traceability` = share of rows with a recorded, matched lot (no
  such gap); `fefo_violations`; `fefo_compliance` = share of rows with a recorded, matched
  lot and no FEFO_VIOLATION. A row with an unknown lot does not count as "recorded": FEFO
  cannot judge a lot it cannot find.
Shares are rounded to 4 decimal places; money and quantities are exact.

Supply (as of `as_of`, a projection, labelled `projection: true`): per product, the usable
stock (on hand, not expired), the daily rate of use over the last 90 days up to as_of,
the days of supply left at that rate, and the stock that will expire before it is used if
use goes on at that rate at each location, lots used first-expiry-first (`value_at_risk`).
With no use in the last 90 days every lot with an expiration is at risk.

Per provider (over the reported range): units per product, visit rows, lot gaps and FEFO
violations, and each provider's share of all the gaps and of all the violations.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from operator import attrgetter

from lotsync.reconcile.ledger import NOT_SCALED, scaled_decimal
from lotsync.reconcile.lots import DIVISION, LEDGER_CONTEXT, ZERO
from lotsync.reconcile.result import Result
from lotsync.tables.values import clean_text
# laid out by the writers (the core never imports audit); importable from here as before
from lotsync.writers.period_tables import PERIOD_HEADERS, period_table, provider_table, supply_table  # noqa: F401

GAP_CODES = frozenset({"MISSING_LOT", "UNKNOWN_LOT", "LOT_PRODUCT_MISMATCH"})
#: Findings that only a visit row that is in the ledger gets (rows kept out by
#: INVALID_VALUE / MISSING_REQUIRED get only those two).
ROW_CODES = GAP_CODES | {"UNKNOWN_UNIT", "EXPIRED_USE", "FEFO_VIOLATION", "DUPLICATE_ENTRY",
                         "PRODUCT_ALIAS", "UNLOGGED_TRANSFER", "USE_BEFORE_RECEIPT"}
SUPPLY_WINDOW_DAYS = 90
#: From this many used movements on, the period figures are group-bys over the ledger's
#: columns (numpy); below it, the one pass over the columns' records: importing numpy costs
#: ~0.1 s CPU, which the group-bys save back at ~50,000 movements (bench/README.md).
NUMPY_FROM = 50_000
SHARE = Decimal("0.0001")
NO_PROVIDER = "(not recorded)"

#: How each movement kind changes its lot's balance (`Movement.quantity` is positive
#: except for `adjusted` and `count`, which carry their own sign): the one table for
#: period values here and for the signed `movements` frame (lotsync.frames).
MOVEMENT_SIGN = {"received": 1, "transfer_in": 1, "transfer_out": -1, "used": -1, "wasted": -1,
                 "expired": -1, "returned": -1, "adjusted": 1, "count": 1}


@dataclass(frozen=True)
class ProductQty:
    product: str
    quantity: Decimal


@dataclass(frozen=True)
class PeriodFigures:
    kind: str  # month | quarter | year
    period: str  # 2026-03 | 2026-Q1 | 2026
    start: dt.date
    end: dt.date
    cogs: Decimal
    revenue: Decimal | None
    margin: Decimal | None
    units_used: tuple[ProductQty, ...]
    received_value: Decimal
    waste_value: Decimal
    expired_value: Decimal
    returned_value: Decimal
    adjusted_value: Decimal
    count_variance_value: Decimal
    shrinkage_value: Decimal
    waste_share: Decimal | None
    expired_share: Decimal | None
    opening_value: Decimal
    closing_value: Decimal
    visit_rows: int
    lot_gaps: int
    fefo_violations: int
    traceability: Decimal | None
    fefo_compliance: Decimal | None


@dataclass(frozen=True)
class SupplyLine:
    product: str
    unit: str | None
    on_hand: Decimal  # usable: on hand and not expired at as_of
    used_in_window: Decimal
    daily_use: Decimal
    days_of_supply: Decimal | None  # None: no use in the window
    quantity_at_risk: Decimal
    value_at_risk: Decimal
    projection: bool = True


@dataclass(frozen=True)
class ProviderFigures:
    provider: str
    visit_rows: int
    units: tuple[ProductQty, ...]
    lot_gaps: int
    lot_gap_share: Decimal | None  # of all rows with a gap in the range
    lot_gap_rate: Decimal | None  # of this provider's own rows
    fefo_violations: int
    fefo_share: Decimal | None


@dataclass(frozen=True)
class Periods:
    date_from: dt.date | None
    date_to: dt.date | None
    as_of: dt.date
    months: tuple[PeriodFigures, ...]
    quarters: tuple[PeriodFigures, ...]
    years: tuple[PeriodFigures, ...]
    supply: tuple[SupplyLine, ...]
    providers: tuple[ProviderFigures, ...]
    supply_window_days: int = SUPPLY_WINDOW_DAYS


# --- visit rows ---------------------------------------------------------------------------


class _Row:
    __slots__ = ("date", "provider", "product", "gap", "fefo", "has_provider")

    def __init__(self) -> None:
        self.date = None
        self.provider = None
        self.product = None
        self.gap = False
        self.fefo = False
        self.has_provider = False


def visit_rows(result: Result) -> dict[tuple, _Row]:
    """Every visit row in the ledger, keyed (file, sheet, row): those that took from a lot
    (their used movements) and those that did not but got a row finding."""
    rows: dict[tuple, _Row] = {}
    tables: dict[tuple, object] = {}
    for m in result.movements:
        if m.kind != "used" or m.ref is None:
            continue
        t = m.ref.table
        k = (t.file, t.sheet, m.ref.row)
        r = rows.get(k)
        if r is None:
            r = rows[k] = _Row()
            r.date, r.product, r.provider, r.has_provider = m.date, m.product, m.provider, True
            tables.setdefault((t.file, t.sheet), t)
    _mark_finding_rows(result, rows)
    for k, r in rows.items():  # rows that took nothing: the provider from the sheet's cells
        if r.has_provider:
            continue
        t = tables.get(k[:2])
        col = t.columns.get("provider") if t is not None else None
        if col is not None and t.cells and k[2] - 1 < len(t.cells):
            row = t.cells[k[2] - 1]
            r.provider = clean_text(row[col.index]) if col.index < len(row) else None
        r.has_provider = True
    return rows


# --- periods ------------------------------------------------------------------------------


def _month_end(y: int, m: int) -> dt.date:
    return (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))


def _share(n, d) -> Decimal | None:
    if not d:
        return None
    return DIVISION.divide(Decimal(n), Decimal(d)).quantize(SHARE, rounding=ROUND_HALF_EVEN)


class _Acc:
    def __init__(self) -> None:
        self.cogs = ZERO
        self.revenue = ZERO
        self.has_revenue = False
        self.units: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self.v: dict[str, Decimal] = defaultdict(lambda: ZERO)  # values by movement kind
        self.shrink = ZERO
        self.net = ZERO
        self.rows = self.gaps = self.fefo = 0

    def add(self, o: "_Acc") -> None:
        self.cogs += o.cogs
        self.revenue += o.revenue
        self.has_revenue |= o.has_revenue
        for k, q in o.units.items():
            self.units[k] += q
        for k, q in o.v.items():
            self.v[k] += q
        self.shrink += o.shrink
        self.net += o.net
        self.rows += o.rows
        self.gaps += o.gaps
        self.fefo += o.fefo


def compute_periods(result: Result, date_from: dt.date | None = None,
                    date_to: dt.date | None = None) -> Periods:
    """Monthly figures (and quarter/year roll-ups) for the days from `date_from` to
    `date_to` (default: the first dated event to as_of), the per-provider view over the
    same days, and the supply projection at as_of.

    By one pass over the result's `Movement`s when it has them (`_compute`); else from the
    ledger's columns (`Options.keep_ledger`, what the reconcile command keeps): numpy
    group-bys ("from the ledger's columns" below) from NUMPY_FROM used movements on, below that the
    one pass over records rebuilt from the columns. The tests hold all of them to
    tests/periods_reference.py."""
    ledger = result.ledger
    # Movements, when there are any, are the record: a result made from another by
    # replacing its movements (a journal's location and category, a masked result) keeps
    # the other's ledger, which then no longer describes it
    if ledger is not None and not result.movements:
        with localcontext(LEDGER_CONTEXT):
            if len(ledger) >= NUMPY_FROM:
                return compute_from_columns(result, date_from, date_to)
            return _compute(replace(result, movements=tuple(ledger.movements()), ledger=None),
                            date_from, date_to)
    if not result.movements and result.lots:
        raise ValueError("period figures need the ledger's movements: reconcile with "
                         "Options(keep_ledger=True) or Options(keep_movements=True)")
    with localcontext(LEDGER_CONTEXT):
        return _compute(result, date_from, date_to)


def _finding_rows(result: Result) -> dict[tuple, _Row]:
    """The visit rows with a row finding, keyed (file, sheet, row), dated by their first
    such finding (a row that also took from a lot is re-dated by its movement)."""
    return _mark_finding_rows(result, {})


def _mark_finding_rows(result: Result, rows: dict[tuple, _Row]) -> dict[tuple, _Row]:
    """Mark the gaps and FEFO violations of visit rows in `rows` (keyed (file, sheet,
    row)), adding a row dated and named by its first row finding where `rows` lacks it.
    One loop for `visit_rows` (rows from the movements first) and `_finding_rows`."""
    visit_tables = {(i.file, i.sheet) for i in result.inputs if i.kind == "visits"}
    for f in result.findings:
        if f.code not in ROW_CODES:
            continue
        s = f.source
        if (s.file, s.sheet) not in visit_tables or s.row is None:
            continue
        k = (s.file, s.sheet, s.row)
        r = rows.get(k)
        if r is None:
            r = rows[k] = _Row()
            r.date, r.product = f.date, f.product
        if f.code in GAP_CODES:
            r.gap = True
        elif f.code == "FEFO_VIOLATION":
            r.fefo = True
    return rows


def _first_date(result: Result, frows: dict[tuple, _Row]) -> dt.date | None:
    """The first dated event: a movement, or a visit row that took nothing but has a finding."""
    movements = result.movements
    first = min(filter(None, map(_DATE, movements)), default=None)  # dates are never falsy
    early = [k for k, r in frows.items() if r.date is not None and (first is None or r.date < first)]
    if early:  # rare: is such a row dated by a movement of its own (then not by its finding)?
        used = {(m.ref.table.file, m.ref.table.sheet, m.ref.row) for m in movements
                if m.kind == "used" and m.ref is not None}
        dates = [frows[k].date for k in early if k not in used]
        if dates:
            first = min(dates) if first is None else min(first, min(dates))
    return first


def month_buckets(start: dt.date, end: dt.date):
    """The months from `start` to `end` (none when start is after end), an accumulator
    for each, and `bucket(date)`: its month's accumulator, or None outside start..end."""
    months: list[tuple[int, int]] = []
    if start <= end:
        y, m = start.year, start.month
        while (y, m) <= (end.year, end.month):
            months.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    index = {ym: i for i, ym in enumerate(months)}
    accs = [_Acc() for _ in months]

    def bucket(d: dt.date | None) -> _Acc | None:
        if d is None or d < start or d > end:
            return None
        return accs[index[(d.year, d.month)]]

    return months, accs, bucket


_DATE = attrgetter("date")
_NOT_SEEN = object()


def _compute(result: Result, date_from, date_to) -> Periods:
    """One pass over the movements (`visit_rows` says what a visit row is):
    the month figures, the provider view and the supply window's use at once, each visit
    row counted when its first movement is met; the visit rows that took nothing but got
    a finding are counted after it. The same figures as the several passes it replaced
    (tests/periods_reference.py, held to it by tests/test_periods_lean.py)."""
    as_of = result.as_of
    frows = _finding_rows(result)
    end = min(date_to, as_of) if date_to else as_of
    start = date_from or _first_date(result, frows) or as_of
    months, accs, bucket = month_buckets(start, end)
    opening = ZERO

    by_date: dict = {}  # date -> its month's accumulator or None: a few hundred dates
    window_start = as_of - dt.timedelta(days=SUPPLY_WINDOW_DAYS - 1)
    used_loc: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    prov: dict[str, list] = defaultdict(lambda: [0, 0, 0, defaultdict(lambda: ZERO)])
    seen: set[tuple] = set()  # visit rows met
    tables: dict[tuple, object] = {}
    last_table = None
    for mv in result.movements:
        d, kind, val = mv.date, mv.kind, mv.value
        a = by_date.get(d, _NOT_SEEN)
        if a is _NOT_SEEN:
            a = by_date[d] = bucket(d)
        if kind == "used":
            q = mv.quantity
            if d is not None and window_start <= d <= as_of:
                used_loc[(mv.product, mv.location)] += q
            ref = mv.ref
            if ref is not None:
                t = ref.table
                k = (t.file, t.sheet, ref.row)
                if k not in seen:
                    seen.add(k)
                    if t is not last_table:
                        tables.setdefault((t.file, t.sheet), t)
                        last_table = t
                    r = frows.get(k)
                    if r is not None:  # counted below with its findings, dated by this movement
                        r.date, r.product, r.provider, r.has_provider = d, mv.product, mv.provider, True
                    elif a is not None:
                        a.rows += 1
                        prov[mv.provider or NO_PROVIDER][0] += 1
        signed = (val * MOVEMENT_SIGN[kind]) if val is not None else ZERO
        if d is None or d < start:
            opening += signed
            continue
        if a is None:
            continue
        a.net += signed
        if kind == "used":
            a.units[mv.product] += q
            if val is not None:
                a.cogs += val
            prov[mv.provider or NO_PROVIDER][3][mv.product] += q
        elif val is not None:
            a.v[kind] += val
            if kind == "count" and val < 0:
                a.shrink -= val
    return _finish(result, start, end, months, accs, bucket, opening, prov, frows, tables, used_loc, date_from,
                   date_to)


def _finish(result: Result, start, end, months, accs, bucket, opening, prov, frows, tables, used_loc,
            date_from, date_to) -> Periods:
    """What both ways of summing the movements end with (`_compute`, `_compute_columns`):
    revenue, the visit rows that took nothing but got a finding, the month figures and
    their roll-ups, the provider view and the supply."""
    as_of = result.as_of
    for v in result.cogs.by_visit:
        a = bucket(v.date)
        if a is not None and v.revenue is not None:
            a.revenue += v.revenue
            a.has_revenue = True
    for k, r in frows.items():
        if not r.has_provider:  # took nothing: the provider from the sheet's cells
            t = tables.get(k[:2])
            col = t.columns.get("provider") if t is not None else None
            if col is not None and t.cells and k[2] - 1 < len(t.cells):
                row = t.cells[k[2] - 1]
                r.provider = clean_text(row[col.index]) if col.index < len(row) else None
        a = bucket(r.date)
        if a is None:
            continue
        a.rows += 1
        p = prov[r.provider or NO_PROVIDER]
        p[0] += 1
        if r.gap:
            a.gaps += 1
            p[1] += 1
        elif r.fefo:
            a.fefo += 1
            p[2] += 1

    month_figs = []
    for (y, m), a in zip(months, accs):
        s = max(start, dt.date(y, m, 1))
        e = min(end, _month_end(y, m))
        month_figs.append(_make("month", f"{y:04d}-{m:02d}", s, e, a, opening))
        opening += a.net
    quarters = _roll(month_figs, accs, lambda f: f"{f.start.year:04d}-Q{(f.start.month - 1) // 3 + 1}", "quarter")
    years = _roll(month_figs, accs, lambda f: f"{f.start.year:04d}", "year")

    total_gaps = sum(p[1] for p in prov.values())
    total_fefo = sum(p[2] for p in prov.values())
    providers = tuple(
        ProviderFigures(provider=name, visit_rows=p[0],
                        units=tuple(ProductQty(k, q) for k, q in sorted(p[3].items(), key=lambda kv: kv[0].casefold())),
                        lot_gaps=p[1], lot_gap_share=_share(p[1], total_gaps),
                        lot_gap_rate=_share(p[1], p[0]), fefo_violations=p[2],
                        fefo_share=_share(p[2], total_fefo))
        for name, p in sorted(prov.items(), key=lambda kv: (kv[0] == NO_PROVIDER, kv[0].casefold())))
    return Periods(date_from=start if months else date_from, date_to=end if months else date_to,
                   as_of=as_of, months=tuple(month_figs), quarters=quarters, years=years,
                   supply=_supply(result, used_loc), providers=providers)


def _make(kind: str, label: str, s: dt.date, e: dt.date, a: _Acc, opening: Decimal) -> PeriodFigures:
    v = a.v
    received = v["received"] + v["transfer_in"] - v["transfer_out"]
    rev = a.revenue if a.has_revenue else None
    return PeriodFigures(
        kind=kind, period=label, start=s, end=e, cogs=a.cogs, revenue=rev,
        margin=(rev - a.cogs) if rev is not None else None,
        units_used=tuple(ProductQty(p, q) for p, q in sorted(a.units.items(), key=lambda kv: kv[0].casefold())),
        received_value=received, waste_value=v["wasted"], expired_value=v["expired"],
        returned_value=v["returned"], adjusted_value=v["adjusted"],
        count_variance_value=v["count"], shrinkage_value=a.shrink,
        waste_share=_share(v["wasted"], received) if received > 0 else None,
        expired_share=_share(v["expired"], received) if received > 0 else None,
        opening_value=opening, closing_value=opening + a.net, visit_rows=a.rows,
        lot_gaps=a.gaps, fefo_violations=a.fefo,
        traceability=_share(a.rows - a.gaps, a.rows),
        fefo_compliance=_share(a.rows - a.gaps - a.fefo, a.rows))


def _roll(month_figs: list[PeriodFigures], accs: list[_Acc], label, kind: str) -> tuple[PeriodFigures, ...]:
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(month_figs):
        groups.setdefault(label(f), []).append(i)
    out = []
    for name, idx in groups.items():
        a = _Acc()
        for i in idx:
            a.add(accs[i])
        first, last = month_figs[idx[0]], month_figs[idx[-1]]
        out.append(_make(kind, name, first.start, last.end, a, first.opening_value))
    return tuple(out)

# --- from the ledger's columns ------------------------------------------------------------
#
# The period figures as group-bys over the ledger's columns (reconcile/ledger.py), with no
# Python object per movement: the same figures, digit for digit, as the one pass over
# `Movement`s above (`_compute`), which the tests hold this to.
#
# How the used movements (the bulk) are summed, and why it is exact:
# - Every figure of a used movement is its quantity q, or its value q x c at its lot's cost
#   c. Movements are grouped by (month bucket, lot entry) (and by (provider, lot entry) for
#   the provider view, by lot entry for the 90-day supply window); a group's quantities are
#   summed as int64 scaled integers (|q x 10**6| < 2**31 each, so no sum overflows) and the
#   least exponent of its terms is kept. The group's sum Q is the exact Decimal with that
#   exponent, which is what adding the terms as Decimals gives; c x Q then has the value and
#   the exponent (e_c + least e_q) of the sum of the terms' values. Each figure adds those
#   group sums into the same zero-started accumulators the one pass adds the terms into:
#   an exact sum's value and exponent do not depend on order or grouping.
# - A quantity that is not scaled (the Decimal side path: `LedgerColumns.odd`) is added
#   on its own, as the one pass adds it.
# - A visit row is dated, named and counted by its first movement in ledger order (the
#   first occurrence of its (table, row) key: `np.unique(..., return_index=True)`); the few
#   rows with a row finding are handled in Python as in `_compute`.
# - The other movements (receipts, waste, transfers, counts...: a few per lot) are a short
#   Python loop, as before.
#
# numpy is imported only here, for a ledger of NUMPY_FROM used movements or more: its
# import costs ~0.1 s CPU, the group-bys save ~1.4 s at a million movements (bench/README.md,
# fourth pass: aggregate).
# Rejected: a Python loop over the columns (a dict update per movement: most of the
# one pass's cost again); summing in the booking (see reconcile/ledger.py).


def _view(a, dtype):
    """An array.array as a numpy array without a copy (an empty one as an empty array)."""
    import numpy as np
    return np.frombuffer(a, dtype=dtype) if len(a) else np.zeros(0, dtype=dtype)


def _groups(key, qc, qe):
    """(keys, sum of qc, least qe) per distinct key: one stable sort, two reduceats."""
    import numpy as np
    if key.size == 0:
        return key, qc, qe
    order = np.argsort(key, kind="stable")
    k = key[order]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    return k[starts], np.add.reduceat(qc[order], starts), np.minimum.reduceat(qe[order], starts)


def _sums(key, qc, qe):
    """(key, Q) for every group: Q the exact Decimal sum of its quantities (module doc)."""
    keys, sums, mins = _groups(key, qc, qe)
    return zip(keys.tolist(), map(scaled_decimal, sums.tolist(), mins.tolist()))


def compute_from_columns(result: Result, date_from: dt.date | None, date_to: dt.date | None) -> Periods:
    """`_compute`'s figures from `result.ledger` (the section's comment above)."""
    import numpy as np  # only here: a json run of a small ledger imports no numpy
    L = result.ledger
    as_of = result.as_of
    frows = _finding_rows(result)
    # views of the arrays (no copy); keys are made int64 only where they are combined
    day, lot, provider, table = (_view(a, np.int32) for a in (L.day, L.lot, L.provider, L.table))
    qc, qe = _view(L.qc, np.int64), _view(L.qe, np.int8)
    lots, providers = L.lots, L.providers
    nlots = max(len(lots), 1)

    # visit rows: the first movement of each (table, row)
    with_row = np.flatnonzero(table >= 0)
    ukeys, first = np.unique((table[with_row].astype(np.int64) << 32) | _view(L.row, np.int32)[with_row],
                             return_index=True)
    first = with_row[first]
    del with_row
    codes = {(t.file, t.sheet): i for i, t in enumerate(L.tables)}

    def fkey(k: tuple) -> int | None:
        c = codes.get(k[:2])
        return None if c is None else (c << 32) | k[2]

    def took(k: tuple) -> bool:
        fk = fkey(k)
        if fk is None:
            return False
        i = int(np.searchsorted(ukeys, fk))
        return i < ukeys.size and int(ukeys[i]) == fk

    # the first dated event (periods._first_date)
    dated = day[day > 0]
    first_date = dt.date.fromordinal(int(dated.min())) if dated.size else None
    other_dates = [d for _, d, _ in L.other if d is not None]
    if other_dates:
        first_date = min(other_dates) if first_date is None else min(first_date, min(other_dates))
    early = [k for k, r in frows.items() if r.date is not None and (first_date is None or r.date < first_date)]
    if early:
        dates = [frows[k].date for k in early if not took(k)]
        if dates:
            first_date = min(dates) if first_date is None else min(first_date, min(dates))

    end = min(date_to, as_of) if date_to else as_of
    start = date_from or first_date or as_of
    months, accs, bucket = month_buckets(start, end)
    opening = ZERO
    # a bucket per movement: 0 = opening (no date, or before start), 1 + month, -1 = after end
    udays, inv = np.unique(day, return_inverse=True)
    index = {a: i for i, a in enumerate(accs)}
    codes_of_day = []
    for o in udays.tolist():
        d = dt.date.fromordinal(o) if o > 0 else None
        if d is None or d < start:
            codes_of_day.append(0)
        else:
            a = bucket(d)
            codes_of_day.append(-1 if a is None else 1 + index[a])
    b = np.array(codes_of_day, dtype=np.int32)[inv.reshape(-1)] if day.size else day
    del inv
    scaled = qc != NOT_SCALED

    # value, net, opening and units per month: by (bucket, lot)
    sel = (b >= 0) & scaled
    for k, q in _sums(b[sel].astype(np.int64) * nlots + lot[sel], qc[sel], qe[sel]):
        bk, li = divmod(k, nlots)
        opening = _add_used(accs, bk, lots[li], q, opening)
    # the provider view's units: in range, by (provider, lot)
    prov: dict[str, list] = defaultdict(lambda: [0, 0, 0, defaultdict(lambda: ZERO)])
    sel = (b >= 1) & scaled
    for k, q in _sums(provider[sel].astype(np.int64) * nlots + lot[sel], qc[sel], qe[sel]):
        pi, li = divmod(k, nlots)
        prov[providers[pi] or NO_PROVIDER][3][lots[li][0]] += q
    # the supply window's use: by lot
    window_start = (as_of - dt.timedelta(days=SUPPLY_WINDOW_DAYS - 1)).toordinal()
    used_loc: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    in_window = (day > 0) & (day >= window_start) & (day <= as_of.toordinal())
    sel = in_window & scaled
    for li, q in _sums(lot[sel], qc[sel], qe[sel]):
        product, location, _ = lots[li]
        used_loc[(product, location)] += q
    # the Decimal side path: one movement at a time, as the one pass
    for i, q in L.odd.items():
        bk, li, pi = int(b[i]), int(lot[i]), int(provider[i])
        if bk >= 0:
            opening = _add_used(accs, bk, lots[li], q, opening)
        if bk >= 1:
            prov[providers[pi] or NO_PROVIDER][3][lots[li][0]] += q
        if in_window[i]:
            used_loc[lots[li][:2]] += q

    # visit rows met: those with a row finding are dated by their first movement; the
    # others are counted in their first movement's month, under its provider
    tables = {(t.file, t.sheet): t for t in L.tables}
    counted = np.ones(ukeys.size, dtype=bool)
    if frows:
        fk = [x for x in map(fkey, frows) if x is not None]
        if fk:
            counted = ~np.isin(ukeys, np.array(fk, dtype=np.int64))
            for j in first[~counted].tolist():
                t = L.tables[int(table[j])]
                r = frows[(t.file, t.sheet, int(L.row[j]))]
                o = int(day[j])
                r.date = dt.date.fromordinal(o) if o > 0 else None
                r.product, r.provider, r.has_provider = lots[int(lot[j])][0], providers[int(provider[j])], True
    firsts = first[counted]
    firsts = firsts[b[firsts] >= 1]
    pairs, n = np.unique((b[firsts].astype(np.int64) << 32) | provider[firsts], return_counts=True)
    for k, c in zip(pairs.tolist(), n.tolist()):
        bk, pi = k >> 32, k & 0xFFFFFFFF
        accs[bk - 1].rows += c
        prov[providers[pi] or NO_PROVIDER][0] += c

    # the other movements: a few per lot
    by_date: dict = {}
    for kind, d, val in L.other:
        signed = (val * MOVEMENT_SIGN[kind]) if val is not None else ZERO
        if d is None or d < start:
            opening += signed
            continue
        a = by_date.get(d, _NOT_SEEN)
        if a is _NOT_SEEN:
            a = by_date[d] = bucket(d)
        if a is None:
            continue
        a.net += signed
        if val is not None:
            a.v[kind] += val
            if kind == "count" and val < 0:
                a.shrink -= val
    return _finish(result, start, end, months, accs, bucket, opening, prov, frows, tables, used_loc,
                   date_from, date_to)


def _add_used(accs: list, bk: int, entry: tuple, q: Decimal, opening: Decimal) -> Decimal:
    """Quantity `q` used of lot `entry` (product, location, cost) in bucket `bk` (0: the
    opening; 1 + i: month i): as the one pass adds a used movement. Returns the opening."""
    product, _, cost = entry
    val = q * cost if cost is not None else None
    signed = (val * -1) if val is not None else ZERO  # as the one pass: MOVEMENT_SIGN["used"]
    if bk == 0:
        return opening + signed
    a = accs[bk - 1]
    a.net += signed
    a.units[product] += q
    if val is not None:
        a.cogs += val
    return opening


# --- supply ---------------------------------------------------------------------------------


def _supply(result: Result, used_loc: dict[tuple[str, str], Decimal]) -> tuple[SupplyLine, ...]:
    """Days of supply and value at risk of expiring before use, at the last 90 days' rate.
    `used_loc`: units used per (product, location) in the 90 days up to as_of."""
    as_of = result.as_of
    days = Decimal(SUPPLY_WINDOW_DAYS)
    tol = result.options.tolerance
    usable: dict[tuple[str, str], list] = defaultdict(list)
    products: dict[str, str | None] = {}
    for l in result.lots:
        products.setdefault(l.product, l.unit)
        if l.derived_remaining > tol and (l.expiration is None or l.expiration >= as_of):
            usable[(l.product, l.location)].append(l)
    per_product: dict[str, list] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])  # on hand, used, risk q, risk $
    for (product, loc), lots in usable.items():
        acc = per_product[product]
        acc[0] += sum((l.derived_remaining for l in lots), ZERO)
        rate = DIVISION.divide(used_loc.get((product, loc), ZERO), days)
        t = ZERO  # days of use already spoken for by earlier-expiring lots
        for l in sorted((l for l in lots if l.expiration is not None),
                        key=lambda l: (l.expiration, l.received_date or dt.date.min, l.lot_key)):
            q = l.derived_remaining
            left = Decimal((l.expiration - as_of).days)  # days as_of+1 .. expiration
            if rate > 0:
                can = min(q, max(ZERO, rate * (left - t)))
                t += DIVISION.divide(can, rate)
            else:
                can = ZERO
            risk = q - can
            if risk > 0:
                acc[2] += risk
                if l.unit_cost is not None:
                    acc[3] += risk * l.unit_cost
    for (product, _), q in used_loc.items():
        per_product[product][1] += q
    out = []
    for product in sorted(set(per_product), key=str.casefold):
        on_hand, used, rq, rv = per_product[product]
        daily = DIVISION.divide(used, days)
        out.append(SupplyLine(
            product=product, unit=products.get(product), on_hand=on_hand, used_in_window=used,
            daily_use=daily.quantize(SHARE),
            days_of_supply=DIVISION.divide(on_hand, daily).quantize(Decimal("0.1")) if daily > 0 else None,
            quantity_at_risk=rq.quantize(SHARE), value_at_risk=rv.quantize(Decimal("0.01"))))
    return tuple(out)


# --- JSON and tables --------------------------------------------------------------------------


def _period_json(f: PeriodFigures) -> dict:
    return {
        "kind": f.kind, "period": f.period, "start": f.start.isoformat(), "end": f.end.isoformat(),
        "cogs": f.cogs, "revenue": f.revenue, "margin": f.margin,
        "units_used": [{"product": u.product, "quantity": u.quantity} for u in f.units_used],
        "received_value": f.received_value, "waste_value": f.waste_value,
        "expired_value": f.expired_value, "waste_share": f.waste_share,
        "expired_share": f.expired_share, "returned_value": f.returned_value,
        "adjusted_value": f.adjusted_value, "count_variance_value": f.count_variance_value,
        "shrinkage_value": f.shrinkage_value, "opening_value": f.opening_value,
        "closing_value": f.closing_value, "visit_rows": f.visit_rows, "lot_gaps": f.lot_gaps,
        "fefo_violations": f.fefo_violations, "traceability": f.traceability,
        "fefo_compliance": f.fefo_compliance,
    }


def periods_json(p: Periods) -> list[dict]:
    """report.json `periods`: every month, then every quarter, then every year (`kind` says which)."""
    return [_period_json(f) for f in (*p.months, *p.quarters, *p.years)]


def supply_json(p: Periods) -> dict:
    """report.json `supply`: a projection at as_of, labelled as one."""
    return {"as_of": p.as_of.isoformat(), "window_days": p.supply_window_days, "projection": True,
            "products": [{"product": s.product, "unit": s.unit, "on_hand": s.on_hand,
                          "used_in_window": s.used_in_window, "daily_use": s.daily_use,
                          "days_of_supply": s.days_of_supply, "quantity_at_risk": s.quantity_at_risk,
                          "value_at_risk": s.value_at_risk, "projection": True} for s in p.supply]}


def providers_json(p: Periods) -> list[dict]:
    """report.json `providers`: the per-provider view over the reported days."""
    return [{"provider": v.provider, "visit_rows": v.visit_rows,
             "units": [{"product": u.product, "quantity": u.quantity} for u in v.units],
             "lot_gaps": v.lot_gaps, "lot_gap_share": v.lot_gap_share, "lot_gap_rate": v.lot_gap_rate,
             "fefo_violations": v.fefo_violations, "fefo_share": v.fefo_share} for v in p.providers]


def periods_report(p: Periods) -> dict:
    """The three report.json keys at once: `report_dict(r).update(periods_report(p))`."""
    return {"period_range": {"from": p.date_from.isoformat() if p.date_from else None,
                             "to": p.date_to.isoformat() if p.date_to else None},
            "periods": periods_json(p), "supply": supply_json(p), "providers": providers_json(p)}
