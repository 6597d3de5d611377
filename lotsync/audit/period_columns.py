"""The period figures as group-bys over the ledger's columns (reconcile/ledger.py), with no
Python object per movement: the same figures, digit for digit, as the one pass over
`Movement`s in periods.py (`_compute`), which the tests hold this to.

How the used movements (the bulk) are summed, and why it is exact:
- Every figure of a used movement is its quantity q, or its value q x c at its lot's cost
  c. Movements are grouped by (month bucket, lot entry) (and by (provider, lot entry) for
  the provider view, by lot entry for the 90-day supply window); a group's quantities are
  summed as int64 scaled integers (|q x 10**6| < 2**31 each, so no sum overflows) and the
  least exponent of its terms is kept. The group's sum Q is the exact Decimal with that
  exponent, which is what adding the terms as Decimals gives; c x Q then has the value and
  the exponent (e_c + least e_q) of the sum of the terms' values. Each figure adds those
  group sums into the same zero-started accumulators the one pass adds the terms into:
  an exact sum's value and exponent do not depend on order or grouping.
- A quantity that is not scaled (the Decimal side path: `LedgerColumns.odd`) is added
  on its own, as the one pass adds it.
- A visit row is dated, named and counted by its first movement in ledger order (the
  first occurrence of its (table, row) key: `np.unique(..., return_index=True)`); the few
  rows with a row finding are handled in Python as in `_compute`.
- The other movements (receipts, waste, transfers, counts...: a few per lot) are a short
  Python loop, as before.

numpy is imported here only (the reconcile command's period figures): its import costs
~0.1 s, the group-bys save ~2 s at a million movements (bench/README.md, fourth pass).
Rejected: a Python loop over the columns (a dict update per movement: most of the
one pass's cost again); summing in the booking (see reconcile/ledger.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import numpy as np

from lotsync.audit.periods import (MOVEMENT_SIGN, NO_PROVIDER, SUPPLY_WINDOW_DAYS, Periods, _finding_rows,
                                   _finish, month_buckets)
from lotsync.reconcile.ledger import NOT_SCALED, LedgerColumns, scaled_decimal
from lotsync.reconcile.lots import ZERO
from lotsync.reconcile.result import Result

_NOT_SEEN = object()


def _view(a, dtype) -> np.ndarray:
    """An array.array as a numpy array without a copy (an empty one as an empty array)."""
    return np.frombuffer(a, dtype=dtype) if len(a) else np.zeros(0, dtype=dtype)


def _groups(key: np.ndarray, qc: np.ndarray, qe: np.ndarray):
    """(keys, sum of qc, least qe) per distinct key: one stable sort, two reduceats."""
    if key.size == 0:
        return key, qc, qe
    order = np.argsort(key, kind="stable")
    k = key[order]
    starts = np.flatnonzero(np.concatenate(([True], k[1:] != k[:-1])))
    return k[starts], np.add.reduceat(qc[order], starts), np.minimum.reduceat(qe[order], starts)


def _sums(key: np.ndarray, qc: np.ndarray, qe: np.ndarray):
    """(key, Q) for every group: Q the exact Decimal sum of its quantities (module doc)."""
    keys, sums, mins = _groups(key, qc, qe)
    return zip(keys.tolist(), map(scaled_decimal, sums.tolist(), mins.tolist()))


def compute_from_columns(result: Result, date_from: dt.date | None, date_to: dt.date | None) -> Periods:
    """`periods._compute`'s figures from `result.ledger` (module doc)."""
    L: LedgerColumns = result.ledger
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
