"""The ledger as compact columns: what the period figures need of every movement, filled
by the booking as it moves (`Options.keep_ledger`), without a Python object per movement.

Rules:
- A **used** movement (a visit row taking from a lot: the bulk, one or more per visit row)
  is one entry in each of seven typed arrays: the day (date ordinal, 0 = no date), the lot
  (an index into `lots`: product, location and the lot's cost at that moment), the
  provider (an index into `providers`, as written, None included), the visit row (an
  index into `tables`, by (file, sheet), and the sheet row; -1 when the movement has no
  row), and the quantity as a scaled integer: `qc` = quantity x 10**SCALE and `qe` = the
  Decimal's exponent. The exponent is kept because an exact Decimal sum has the least
  exponent of its terms, and report.json prints those digits: 30.0 and 30.00 are
  different bytes.
- A quantity that does not fit (more than SCALE decimals, an exponent over 100, or
  |qc| >= 2**31) is not scaled: `qc` holds NOT_SCALED and the Decimal is kept in `odd`
  under its movement's index (the Decimal side path). |qc| < 2**31 makes every int64 sum
  over fewer than 2**32 movements exact.
- Every other movement (receipts, waste, expiry, returns, adjustments, transfers, counts:
  a few per lot) is a tuple (kind, date, value) in `other`: the period figures need only
  its value and date.
- The order of the used arrays is the ledger's order (a visit row's first movement is
  the first with its row): the period figures date a visit row by its first movement.

Rejected alternatives: a `Movement` per movement (~250 bytes each with its value, a
million at a million visit rows: most of the CLI's peak above the pipeline's); summing in
the booking per (month, lot) (the report's range, `date_from`/`date_to`, is chosen after
the booking, and a visit row's findings are not all known until the booking ends);
numpy arrays grown in the sweep (an append to an `array` is a C call; numpy has none).
"""

from __future__ import annotations

import datetime as dt
from array import array
from decimal import Decimal

from lotsync.model import RowRef
from lotsync.reconcile.result import make_movement

SCALE = 6
NOT_SCALED = -(2 ** 63)
_FACTOR = Decimal(10) ** SCALE
_LIMIT = 2 ** 31


class LedgerColumns:
    """The columns (module doc), appended to by `used` and `moved` during the booking."""

    __slots__ = ("day", "lot", "provider", "table", "row", "qc", "qe", "odd", "lots",
                 "providers", "tables", "other", "_lot_ix", "_prov_ix", "_table_ix",
                 "_last_table", "_last_code", "_q_seen", "_held")

    def __init__(self) -> None:
        self.day = array("i")
        self.lot = array("i")
        self.provider = array("i")
        self.table = array("i")
        self.row = array("i")
        self.qc = array("q")
        self.qe = array("b")
        self.odd: dict[int, Decimal] = {}
        self.lots: list[tuple[str, str, Decimal | None]] = []  # product, location, cost
        self.providers: list[str | None] = []
        self.tables: list = []  # the visit tables (TableRef), by (file, sheet)
        self.other: list[tuple[str, dt.date | None, Decimal | None]] = []
        self._lot_ix: dict[int, int] = {}
        self._prov_ix: dict[str | None, int] = {}
        self._table_ix: dict[tuple, int] = {}
        self._last_table = None
        self._last_code = -1
        self._q_seen: dict[int, tuple[Decimal, int, int]] = {}
        self._held: list = []

    def __len__(self) -> int:
        return len(self.day)

    def lot_index(self, lot) -> int:
        """The entry of `lot` as it is now (a lot created by a transfer may get its cost
        later: a new cost is a new entry)."""
        ix = self._lot_ix.get(id(lot))
        if ix is None or self.lots[ix][2] is not lot.cost:
            ix = self._lot_ix[id(lot)] = len(self.lots)
            self.lots.append((lot.product, lot.location, lot.cost))
            self._held.append(lot)  # held, so its id is never another lot's while keyed here
        return ix

    def used(self, lot, date: dt.date | None, q: Decimal, ref, provider: str | None) -> None:
        """One used movement: `q` of `lot` by the visit row `ref` on `date`. Called once per
        used movement (a million at a million rows): the arrays' appends are bound once,
        and a quantity object met before (the parse makes one per distinct cell value) is
        looked up, not converted again."""
        ix = self._lot_ix.get(id(lot))
        if ix is None or self.lots[ix][2] is not lot.cost:
            ix = self.lot_index(lot)
        p = self._prov_ix.get(provider)
        if p is None:
            p = self._prov_ix[provider] = len(self.providers)
            self.providers.append(provider)
        if ref is None:
            code, row = -1, 0
        else:
            t = ref.table
            if t is not self._last_table:
                k = (t.file, t.sheet)
                code = self._table_ix.get(k)
                if code is None:
                    code = self._table_ix[k] = len(self.tables)
                    self.tables.append(t)
                self._last_table, self._last_code = t, code
            code, row = self._last_code, ref.row
        hit = self._q_seen.get(id(q))
        if hit is None or hit[0] is not q:
            hit = _scaled(q)
            if len(self._q_seen) >= 4096:
                self._q_seen.clear()
            self._q_seen[id(q)] = hit  # it holds q: the id cannot be reused while it is here
        c = hit[1]
        if c == NOT_SCALED:
            self.odd[len(self.qc)] = q
        self.lot.append(ix)
        self.day.append(date.toordinal() if date is not None else 0)
        self.provider.append(p)
        self.table.append(code)
        self.row.append(row)
        self.qc.append(c)
        self.qe.append(hit[2])

    def moved(self, kind: str, lot, date: dt.date | None, q: Decimal) -> None:
        """Any other movement (module doc): its value at the lot's cost, as a `Movement`'s."""
        self.other.append((kind, date, q * lot.cost if lot.cost is not None else None))

    def done(self) -> None:
        """The booking is over: drop what only appending needed (the lots held for their
        ids, the lookups), so a Result's ledger holds its columns and tables alone."""
        self._lot_ix, self._prov_ix, self._table_ix, self._q_seen = {}, {}, {}, {}
        self._held, self._last_table = [], None

    def with_tables(self, tables: list) -> "LedgerColumns":
        """A copy sharing every column, its visit tables replaced by `tables` (same order):
        a masked result's ledger must name the masked tables its findings and inputs name,
        or the period figures could not match a visit row's movements to its findings."""
        other = LedgerColumns.__new__(LedgerColumns)
        for name in LedgerColumns.__slots__:
            setattr(other, name, getattr(self, name))
        other.tables = list(tables)
        return other

    def movements(self) -> list:
        """The movements as `Movement` records again (what the period figures read of them:
        kind, product, location, date, quantity, value, the visit row, the provider), used
        movements in ledger order, then the others: for a small ledger, where a pass over
        records costs less than importing numpy for the group-bys (audit/periods.py)."""
        out = []
        lots, providers, tables, qc = self.lots, self.providers, self.tables, self.qc
        for i in range(len(qc)):
            product, location, cost = lots[self.lot[i]]
            q = self.quantity(i)
            o, t = self.day[i], self.table[i]
            out.append(make_movement("used", product, None, None, location,
                                     dt.date.fromordinal(o) if o > 0 else None, q,
                                     q * cost if cost is not None else None, False,
                                     RowRef(tables[t], self.row[i]) if t >= 0 else None, None,
                                     providers[self.provider[i]], None, None))
        for kind, d, value in self.other:
            out.append(make_movement(kind, None, None, None, None, d, None, value, False, None, None,
                                     None, None, None))
        return out

    def quantity(self, i: int) -> Decimal:
        """Used movement `i`'s quantity, exactly as booked (the tests read it back)."""
        c = self.qc[i]
        if c == NOT_SCALED:
            return self.odd[i]
        return scaled_decimal(c, self.qe[i])


def _scaled(q: Decimal) -> tuple[Decimal, int, int]:
    """(q, qc, qe) as the columns hold it (module doc): qc NOT_SCALED when q does not fit."""
    e = q.as_tuple()[2]
    if e.__class__ is int and -SCALE <= e <= 100:
        c = int(q * _FACTOR)
        if -_LIMIT < c < _LIMIT:
            return q, c, e
    return q, NOT_SCALED, 0


def scaled_decimal(c: int, e: int) -> Decimal:
    """The Decimal with exponent `e` whose value is c / 10**SCALE (exact: c is a multiple
    of 10**(SCALE + e), as every term of a sum whose least exponent is e)."""
    shift = SCALE + e
    return Decimal(c // 10 ** shift).scaleb(e) if shift >= 0 else Decimal(c * 10 ** -shift).scaleb(e)


def join_ledgers(a: LedgerColumns, b: LedgerColumns) -> LedgerColumns:
    """One ledger of two that booked disjoint rows (two parts of a practice: see
    partition.py's `merge_parts`): `a`'s movements, then `b`'s, with `b`'s lot, provider and
    visit-table codes renumbered into the joined lists. The period figures need of the order
    only that a visit row's first movement comes first among its own, and a visit row's
    movements are all in one part. Both must be `done()`; neither is changed."""
    out = LedgerColumns()
    n = len(a)
    lot_base = len(a.lots)
    prov_ix = {p: i for i, p in enumerate(a.providers)}
    providers = list(a.providers)
    prov_map = []
    for p in b.providers:
        i = prov_ix.get(p)
        if i is None:
            i = prov_ix[p] = len(providers)
            providers.append(p)
        prov_map.append(i)
    table_ix = {(t.file, t.sheet): i for i, t in enumerate(a.tables)}
    tables = list(a.tables)
    table_map = []
    for t in b.tables:
        i = table_ix.get((t.file, t.sheet))
        if i is None:
            i = table_ix[(t.file, t.sheet)] = len(tables)
            tables.append(t)
        table_map.append(i)
    table_map.append(-1)  # a movement with no row (-1) stays so: table_map[-1]
    for name in ("day", "row", "qc", "qe"):
        col = getattr(a, name)
        col = array(col.typecode, col)  # a copy (a memcpy): `a` stays as it was
        col.extend(getattr(b, name))
        setattr(out, name, col)
    out.lot = array("i", a.lot)
    out.lot.extend(array("i", map(lot_base.__add__, b.lot)))
    out.provider = array("i", a.provider)
    out.provider.extend(array("i", map(prov_map.__getitem__, b.provider)))
    out.table = array("i", a.table)
    out.table.extend(array("i", map(table_map.__getitem__, b.table)))
    out.odd = {**a.odd, **{n + i: q for i, q in b.odd.items()}}
    out.lots = a.lots + b.lots
    out.providers = providers
    out.tables = tables
    out.other = a.other + b.other
    return out
