"""The period figures as lotsync computed them before the one-pass aggregation
(lotsync/audit/periods.py `_compute`), kept as the reference the tests hold it to:
a dict of visit rows, then one pass over the movements per figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, localcontext

from lotsync.audit.periods import (MOVEMENT_SIGN, NO_PROVIDER, SUPPLY_WINDOW_DAYS, Periods,
                                   ProductQty, ProviderFigures, SupplyLine, _Acc, _make, _month_end,
                                   _roll, _share, visit_rows)
from lotsync.audit.periods import _supply as supply_from_use
from lotsync.reconcile.lots import LEDGER_CONTEXT, ZERO
from lotsync.reconcile.result import Result


def reference_periods(result: Result, date_from: dt.date | None = None,
                      date_to: dt.date | None = None) -> Periods:
    with localcontext(LEDGER_CONTEXT):
        return _compute(result, date_from, date_to)


def _compute(result: Result, date_from, date_to) -> Periods:
    as_of = result.as_of
    rows = visit_rows(result)
    dated = [m.date for m in result.movements if m.date is not None]
    dated += [r.date for r in rows.values() if r.date is not None]
    end = min(date_to, as_of) if date_to else as_of
    start = date_from or (min(dated) if dated else as_of)
    months: list[tuple[int, int]] = []
    if start <= end:
        y, m = start.year, start.month
        while (y, m) <= (end.year, end.month):
            months.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    index = {ym: i for i, ym in enumerate(months)}
    accs = [_Acc() for _ in months]
    opening = ZERO

    def bucket(d: dt.date | None) -> _Acc | None:
        if d is None or d < start or d > end:
            return None
        return accs[index[(d.year, d.month)]]

    for mv in result.movements:
        val = mv.value
        signed = (val * MOVEMENT_SIGN[mv.kind]) if val is not None else ZERO
        if mv.date is None or mv.date < start:
            opening += signed
            continue
        a = bucket(mv.date)
        if a is None:
            continue
        a.net += signed
        if mv.kind == "used":
            a.units[mv.product] += mv.quantity
            if val is not None:
                a.cogs += val
        elif val is not None:
            a.v[mv.kind] += val
            if mv.kind == "count" and val < 0:
                a.shrink -= val
    for v in result.cogs.by_visit:
        a = bucket(v.date)
        if a is not None and v.revenue is not None:
            a.revenue += v.revenue
            a.has_revenue = True
    prov: dict[str, list] = defaultdict(lambda: [0, 0, 0, defaultdict(lambda: ZERO)])
    for r in rows.values():
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
    for mv in result.movements:
        if mv.kind == "used" and bucket(mv.date) is not None:
            prov[mv.provider or NO_PROVIDER][3][mv.product] += mv.quantity

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
                   supply=_supply(result), providers=providers)


def _supply(result: Result) -> tuple[SupplyLine, ...]:
    """The 90 days' use per (product, location) by its own pass over the movements, as
    before; what is made of it is lotsync's `_supply`, which the one-pass change left as
    it was (only where `used_loc` comes from changed)."""
    as_of = result.as_of
    window_start = as_of - dt.timedelta(days=SUPPLY_WINDOW_DAYS - 1)
    used_loc: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    for mv in result.movements:
        if mv.kind == "used" and mv.date is not None and window_start <= mv.date <= as_of:
            used_loc[(mv.product, mv.location)] += mv.quantity
    return supply_from_use(result, used_loc)
