"""Cost of goods: per visit, provider, product and month (SPEC §2, §4).

`cogs.total` and every `by_*` list hold exact cost only (quantity times its lot's own
cost per unit of use); estimated cost (quantity no lot covered, or use of a lot without a
cost, at the product's weighted mean) is reported apart. Each `by_*` list adds up to
`cogs.total` exactly. A visit is the rows sharing a visit ID, or else date + patient
(+ provider).

`CogsSums` takes the rows one at a time in any order: each row into its visit (a visit
of one row keeps that row's own figures; its first row is the one with the least sheet
index) and into one (provider, product, month) cell (exact Decimal sums from zero); the
provider, product and month lines are sums of those cells. An exact Decimal sum has the
same value and digits in any order and grouping, so the order rows come in changes
nothing. The lean sweep (sweep.py) feeds it as it books each row; `compute_cogs` feeds it
every row's take in sheet order (the reference booking, and merged parts).
tests/cogs_reference.py keeps the grouped computation this replaced, and
tests/test_ledger_properties.py holds them all to identical results.
"""

from __future__ import annotations

import datetime as dt
from operator import attrgetter

from lotsync.model import VisitRow
from lotsync.reconcile.booking import VisitTake, visit_key
from lotsync.reconcile.lots import ZERO
from lotsync.reconcile.result import Cogs, CogsLine, visit_cogs

_DATE, _VISIT = attrgetter("date"), attrgetter("visit")


class CogsSum:
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


class VisitSums(CogsSum):
    """A visit of two rows or more: its first row (in sheet order) and the sums of all its
    rows, made from the first row the sums met (`CogsSums.add` keeps a visit's first row
    as a tuple of these arguments until a second one comes)."""

    __slots__ = ("first", "first_index", "estimated", "inferred")

    def __init__(self, v: VisitRow, i: int, exact, quantity, estimated, inferred: bool) -> None:
        self.first = v
        self.first_index = i
        self.cogs = ZERO + exact
        self.quantity = ZERO + quantity
        self.estimated = ZERO + estimated
        price = v.price
        self.revenue = None if price is None else ZERO + price
        self.inferred = inferred

    def add_row(self, exact, price, quantity, estimated, inferred) -> None:
        self.cogs += exact
        self.quantity += quantity
        self.estimated += estimated
        if price is not None:
            self.revenue = (ZERO if self.revenue is None else self.revenue) + price
        if inferred:
            self.inferred = True


class CogsSums:
    """The running sums COGS is made of, fed one visit row at a time in ANY order (the
    sweep feeds them in booking order, `compute_cogs` in sheet order): per visit (its first
    row in sheet order, its sums) and per (provider, product key, month) cell.

    `by_visit` holds a visit of one row as the tuple (row, index, exact, quantity,
    estimated, inferred) and turns it into a `VisitSums` of sums at its second row; `cells`
    is keyed by month, then by (provider, product key): the sweep goes month by month, so
    its current month's dict stays small. `add` is the one way in for a row; the sweep
    inlines the same steps for its common row (sweep.py)."""

    __slots__ = ("by_visit", "cells", "month_of", "estimated")

    def __init__(self) -> None:
        self.by_visit: dict[str, VisitSums | tuple] = {}
        self.cells: dict[str, dict[tuple[str, str], CogsSum]] = {}
        self.month_of: dict[dt.date, str] = {}
        self.estimated = ZERO

    def month(self, d: dt.date) -> str:
        m = self.month_of.get(d)
        if m is None:
            m = self.month_of[d] = d.isoformat()[:7]
        return m

    def add(self, v: VisitRow, i: int, key: str, exact, quantity, estimated, inferred: bool,
            product_key: str) -> None:
        """Row `i` (`v`), of visit `key`, took `quantity` at `exact` cost (+ `estimated`)."""
        price = v.price
        if estimated is not ZERO:
            self.estimated += estimated
        by_visit = self.by_visit
        g = by_visit.get(key)
        if g is None:
            by_visit[key] = (v, i, exact, quantity, estimated, inferred)
        else:
            if g.__class__ is tuple:
                g = by_visit[key] = VisitSums(*g)
            if i < g.first_index:
                g.first, g.first_index = v, i
            g.add_row(exact, price, quantity, estimated, inferred)
        cells = self.cells.get(self.month(v.date))
        if cells is None:
            cells = self.cells[self.month(v.date)] = {}
        ck = (v.provider or "", product_key)
        c = cells.get(ck)
        if c is None:
            c = cells[ck] = CogsSum()
        c.cogs += exact
        c.quantity += quantity
        if price is not None:
            c.revenue = (ZERO if c.revenue is None else c.revenue) + price

    def result(self, product_names: dict[str, str]) -> Cogs:
        """The frozen `Cogs` (it empties `by_visit`: count the visits first): the provider,
        product and month lines are sums over the cells;
        an exact Decimal sum has the same value and digits in any order and grouping (its
        exponent is the least of its terms'), so this equals summing row by row."""
        by_provider: dict[str, CogsSum] = {}
        by_product: dict[str, CogsSum] = {}
        by_month: dict[str, CogsSum] = {}
        cogs_cells = []
        for month, cells in self.cells.items():
            for (provider, pk), c in cells.items():
                cogs_cells.append(c.cogs)
                for groups, k in ((by_provider, provider), (by_product, product_names[pk]),
                                  (by_month, month)):
                    s = groups.get(k)
                    if s is None:
                        s = groups[k] = CogsSum()
                    s.add(c.cogs, c.revenue, c.quantity)
        total = sum(cogs_cells, ZERO)
        visits_out = []
        append = visits_out.append
        by_visit = self.by_visit
        pop = by_visit.popitem
        # a VisitCogs per visit, 100,000s of them (built by `visit_cogs`, result.py), each as
        # its visit's sums leave `by_visit`: the two are not all held at once
        for _ in range(len(by_visit)):
            key, g = pop()
            if g.__class__ is tuple:  # one row: its own figures, as written
                v, _first, cogs, q, est, inferred = g
                rev = v.price
                append(visit_cogs(key, v.date, v.patient, v.provider, v.location, cogs, rev,
                                  (rev - cogs) if rev is not None else None, inferred, est, q))
                continue
            v = g.first
            rev, cogs = g.revenue, g.cogs
            append(visit_cogs(key, v.date, v.patient, v.provider, v.location, cogs, rev,
                              (rev - cogs) if rev is not None else None,
                              g.inferred, g.estimated, g.quantity))
        # by (date, visit): two stable sorts, the second on the first key, make no key tuples
        # (138,000 of them were 8 MB) and take half the time
        visits_out.sort(key=_VISIT)
        visits_out.sort(key=_DATE)
        return Cogs(
            total=total, estimated=self.estimated, by_visit=tuple(visits_out),
            by_provider=tuple(by_provider[k].line(k) for k in sorted(by_provider)),
            by_product=tuple(by_product[k].line(k) for k in sorted(by_product, key=str.casefold)),
            by_month=tuple(by_month[k].line(k) for k in sorted(by_month)),
        )


def compute_cogs(visits: tuple[VisitRow, ...], takes: list[VisitTake | None],
                 product_names: dict[str, str], keys: list[str] | None = None) -> Cogs:
    """COGS per visit, provider, product and month from every row's take (the reference
    booking, and merged parts). `keys`: each visit row's visit_key, when the caller has them
    already. The lean sweep feeds the same `CogsSums` as it books, with no takes."""
    if keys is None:
        keys = [visit_key(v) for v in visits]
    sums = CogsSums()
    add = sums.add
    for i, (v, t, key) in enumerate(zip(visits, takes, keys)):
        if t is not None:
            add(v, i, key, t.exact, t.quantity, t.estimated, t.inferred, t.product_key)
    return sums.result(product_names)
