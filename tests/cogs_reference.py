"""The grouped COGS computation lotsync used before the one-pass aggregation
(lotsync/reconcile/cogs.py), kept as the reference the property tests hold it to.

Cost of goods: per visit, provider, product and month (SPEC §2, §4).

`cogs.total` and every `by_*` list hold exact cost only (quantity times its lot's own
cost per unit of use); estimated cost (quantity no lot covered, or use of a lot without a
cost, at the product's weighted mean) is reported apart. Each `by_*` list adds up to
`cogs.total` exactly. A visit is the rows sharing a visit ID, or else date + patient
(+ provider).
"""

from __future__ import annotations


from lotsync.model import VisitRow
from lotsync.reconcile.booking import VisitTake, visit_key
from lotsync.reconcile.lots import ZERO
from lotsync.reconcile.result import Cogs, CogsLine, VisitCogs


def _group(keys: list, n: int) -> dict:
    """key -> the row positions that have it, in row order."""
    groups: dict = {}
    for i, k in enumerate(keys):
        g = groups.get(k)
        if g is None:
            groups[k] = [i]
        else:
            g.append(i)
    return groups


def _line(key: str, idx: list[int], exact: list, qty: list, price: list) -> CogsLine:
    cogs = sum([exact[i] for i in idx], ZERO)
    prices = [price[i] for i in idx if price[i] is not None]
    rev = sum(prices, ZERO) if prices else None
    return CogsLine(key=key, cogs=cogs, revenue=rev,
                    margin=(rev - cogs) if rev is not None else None,
                    quantity=sum([qty[i] for i in idx], ZERO))


def compute_cogs(visits: tuple[VisitRow, ...], takes: list[VisitTake | None],
                 product_names: dict[str, str]) -> Cogs:
    """Group once per dimension and add with the C `sum`: no per-row accumulator objects,
    so a million visit rows cost a few list appends each."""
    rows = [(v, t) for v, t in zip(visits, takes) if t is not None]
    exact = [t.exact for _, t in rows]
    est = [t.estimated for _, t in rows]
    qty = [t.quantity for _, t in rows]
    price = [v.price for v, _ in rows]
    month_of: dict = {}
    months = []
    for v, _ in rows:
        m = month_of.get(v.date)
        if m is None:
            m = month_of[v.date] = v.date.isoformat()[:7]
        months.append(m)
    n = len(rows)
    by_visit = _group([visit_key(v) for v, _ in rows], n)
    visits_out = []
    for key, idx in by_visit.items():
        v, t = rows[idx[0]]
        if len(idx) == 1:  # most visits are one row: no grouping sums
            rev = v.price
            visits_out.append(VisitCogs(visit=key, date=v.date, patient=v.patient, provider=v.provider,
                                        location=v.location, cogs=t.exact, revenue=rev,
                                        margin=(rev - t.exact) if rev is not None else None,
                                        inferred=t.inferred, estimated=t.estimated, quantity=t.quantity))
            continue
        line = _line(key, idx, exact, qty, price)
        visits_out.append(VisitCogs(visit=key, date=v.date, patient=v.patient, provider=v.provider,
                                    location=v.location, cogs=line.cogs, revenue=line.revenue,
                                    margin=line.margin,
                                    inferred=any(rows[i][1].inferred for i in idx),
                                    estimated=sum([est[i] for i in idx], ZERO), quantity=line.quantity))
    visits_out.sort(key=lambda x: (x.date, x.visit))
    by_provider = _group([v.provider or "" for v, _ in rows], n)
    by_product = _group([product_names[t.product_key] for _, t in rows], n)
    by_month = _group(months, n)
    return Cogs(
        total=sum(exact, ZERO), estimated=sum(est, ZERO), by_visit=tuple(visits_out),
        by_provider=tuple(_line(k, by_provider[k], exact, qty, price) for k in sorted(by_provider)),
        by_product=tuple(_line(k, by_product[k], exact, qty, price)
                         for k in sorted(by_product, key=str.casefold)),
        by_month=tuple(_line(k, by_month[k], exact, qty, price) for k in sorted(by_month)),
    )
