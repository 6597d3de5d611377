"""Cost of goods: per visit, provider, product and month (SPEC §2, §4).

`cogs.total` and every `by_*` list hold exact cost only (quantity times its lot's own
cost per unit of use); estimated cost (quantity no lot covered, or use of a lot without a
cost, at the product's weighted mean) is reported apart. Each `by_*` list adds up to
`cogs.total` exactly. A visit is the rows sharing a visit ID, or else date + patient
(+ provider).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from lotsync.model import VisitRow
from lotsync.reconcile.booking import VisitTake, visit_key
from lotsync.reconcile.lots import ZERO
from lotsync.reconcile.result import Cogs, CogsLine, VisitCogs


class _Acc:
    __slots__ = ("cogs", "revenue", "quantity", "has_revenue", "estimated", "inferred", "first")

    def __init__(self) -> None:
        self.cogs = self.revenue = self.quantity = self.estimated = ZERO
        self.has_revenue = False
        self.inferred = False
        self.first = None


def _line(key: str, a: _Acc) -> CogsLine:
    rev = a.revenue if a.has_revenue else None
    return CogsLine(key=key, cogs=a.cogs, revenue=rev,
                    margin=(rev - a.cogs) if rev is not None else None, quantity=a.quantity)


def compute_cogs(visits: tuple[VisitRow, ...], takes: list[VisitTake | None],
                 product_names: dict[str, str]) -> Cogs:
    by_visit: dict[str, _Acc] = defaultdict(_Acc)
    by_provider: dict[str, _Acc] = defaultdict(_Acc)
    by_product: dict[str, _Acc] = defaultdict(_Acc)
    by_month: dict[str, _Acc] = defaultdict(_Acc)
    total = estimated = ZERO
    for v, t in zip(visits, takes):
        if t is None:
            continue
        accs = (by_visit[visit_key(v)], by_provider[v.provider or ""],
                by_product[product_names[t.product_key]], by_month[v.date.isoformat()[:7]])
        for a in accs:
            a.cogs += t.exact
            a.quantity += t.quantity
            a.estimated += t.estimated
            if v.price is not None:
                a.revenue += v.price
                a.has_revenue = True
            if t.inferred:
                a.inferred = True
        if accs[0].first is None:
            accs[0].first = v
        total += t.exact
        estimated += t.estimated
    visits_out = []
    for key, a in by_visit.items():
        v = a.first
        rev = a.revenue if a.has_revenue else None
        visits_out.append(VisitCogs(visit=key, date=v.date, patient=v.patient, provider=v.provider,
                                    location=v.location, cogs=a.cogs, revenue=rev,
                                    margin=(rev - a.cogs) if rev is not None else None,
                                    inferred=a.inferred, estimated=a.estimated, quantity=a.quantity))
    visits_out.sort(key=lambda x: (x.date, x.visit))
    return Cogs(
        total=total, estimated=estimated, by_visit=tuple(visits_out),
        by_provider=tuple(_line(k, a) for k, a in sorted(by_provider.items())),
        by_product=tuple(_line(k, a) for k, a in sorted(by_product.items(), key=lambda kv: kv[0].casefold())),
        by_month=tuple(_line(k, a) for k, a in sorted(by_month.items())),
    )
