"""Cost of goods: per visit, provider, product and month (SPEC §2, §4).

`cogs.total` and every `by_*` list hold exact cost only (quantity times its lot's own
cost per unit of use); estimated cost (quantity no lot covered, or use of a lot without a
cost, at the product's weighted mean) is reported apart. Each `by_*` list adds up to
`cogs.total` exactly. A visit is the rows sharing a visit ID, or else date + patient
(+ provider).

One pass over the rows adds every row into its visit and into one (provider, product,
month) cell (exact Decimal sums from zero); the provider, product and month lines are sums
of those cells. Nothing is grouped into index lists and summed again. A
visit of one row reports that row's own figures. tests/cogs_reference.py keeps the grouped
computation this replaced, and tests/test_ledger_properties.py holds the two to identical
results.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter

from lotsync.model import VisitRow
from lotsync.reconcile.booking import VisitTake, visit_key
from lotsync.reconcile.lots import ZERO
from lotsync.reconcile.result import Cogs, CogsLine, visit_cogs

_DATE_VISIT = attrgetter("date", "visit")


class _Sum:
    """A group's running sums (row order, from zero): cogs, revenue (None until a row has
    a price), quantity."""

    __slots__ = ("cogs", "revenue", "quantity")

    def __init__(self) -> None:
        self.cogs = ZERO
        self.revenue = None
        self.quantity = ZERO

    def add(self, exact, price, quantity) -> None:
        self.cogs += exact
        if price is not None:
            self.revenue = (ZERO if self.revenue is None else self.revenue) + price
        self.quantity += quantity

    def line(self, key: str) -> CogsLine:
        rev = self.revenue
        return CogsLine(key=key, cogs=self.cogs, revenue=rev,
                        margin=(rev - self.cogs) if rev is not None else None, quantity=self.quantity)


class _Visit(_Sum):
    """A visit of two rows or more: its first row and the sums of all its rows."""

    __slots__ = ("first", "estimated", "inferred")

    def __init__(self, v: VisitRow, t: VisitTake) -> None:
        super().__init__()
        self.first = v
        self.estimated = ZERO
        self.inferred = False


def _add_row(g: _Visit, t: VisitTake, price) -> None:
    g.cogs += t.exact
    g.quantity += t.quantity
    g.estimated += t.estimated
    if price is not None:
        g.revenue = (ZERO if g.revenue is None else g.revenue) + price
    if t.inferred:
        g.inferred = True


def compute_cogs(visits: tuple[VisitRow, ...], takes: list[VisitTake | None],
                 product_names: dict[str, str], keys: list[str] | None = None) -> Cogs:
    """COGS per visit, provider, product and month. `keys`: each visit row's visit_key,
    when the caller has them already.

    Rows are added into their visit and into one (provider, product, month) cell; the
    provider, product and month lines are then sums over those few thousand cells. An exact
    Decimal sum has the same value and digits in any order (its exponent is the least of
    its terms'), so this equals summing each dimension row by row."""
    if keys is None:
        keys = [visit_key(v) for v in visits]
    # a visit's first row is kept as (row, take); a second row makes it a _Visit of sums
    by_visit: dict[str, _Visit | tuple[VisitRow, VisitTake]] = {}
    cells: dict[tuple[str, str, str], _Sum] = {}
    month_of: dict[dt.date, str] = {}
    estimated = ZERO
    for v, t, key in zip(visits, takes, keys):
        if t is None:
            continue
        exact, price, q, est = t.exact, v.price, t.quantity, t.estimated
        if est is not ZERO:  # most rows estimate nothing: their `estimated` is ZERO itself
            estimated += est
        g = by_visit.get(key)
        if g is None:
            by_visit[key] = (v, t)
        else:
            if g.__class__ is tuple:
                first, ft = g
                g = by_visit[key] = _Visit(first, ft)
                _add_row(g, ft, first.price)
            _add_row(g, t, price)
        m = month_of.get(v.date)
        if m is None:
            m = month_of[v.date] = v.date.isoformat()[:7]
        ck = (v.provider or "", t.product_key, m)
        c = cells.get(ck)
        if c is None:
            c = cells[ck] = _Sum()
        c.cogs += exact
        c.quantity += q
        if price is not None:
            c.revenue = (ZERO if c.revenue is None else c.revenue) + price
    # the total from the cells: an exact sum has the same value and digits in any grouping
    total = sum([c.cogs for c in cells.values()], ZERO)
    by_provider: dict[str, _Sum] = {}
    by_product: dict[str, _Sum] = {}
    by_month: dict[str, _Sum] = {}
    for (provider, pk, month), c in cells.items():
        for groups, k in ((by_provider, provider), (by_product, product_names[pk]), (by_month, month)):
            s = groups.get(k)
            if s is None:
                s = groups[k] = _Sum()
            s.add(c.cogs, c.revenue, c.quantity)
    visits_out = []
    append = visits_out.append
    for key, g in by_visit.items():
        # a VisitCogs per visit, 100,000s of them: built by `visit_cogs` (result.py)
        if g.__class__ is tuple:  # one row: its own figures, as written
            v, t = g
            rev, cogs = v.price, t.exact
            append(visit_cogs(key, v.date, v.patient, v.provider, v.location, cogs, rev,
                              (rev - cogs) if rev is not None else None,
                              t.inferred, t.estimated, t.quantity))
            continue
        v = g.first
        rev, cogs = g.revenue, g.cogs
        append(visit_cogs(key, v.date, v.patient, v.provider, v.location, cogs, rev,
                          (rev - cogs) if rev is not None else None,
                          g.inferred, g.estimated, g.quantity))
    visits_out.sort(key=_DATE_VISIT)
    return Cogs(
        total=total, estimated=estimated, by_visit=tuple(visits_out),
        by_provider=tuple(by_provider[k].line(k) for k in sorted(by_provider)),
        by_product=tuple(by_product[k].line(k) for k in sorted(by_product, key=str.casefold)),
        by_month=tuple(by_month[k].line(k) for k in sorted(by_month)),
    )
