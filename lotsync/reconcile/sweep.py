"""The lean sweep: the reference booking with a fast lane for the common visit row.

Rules: exactly those of `booking.py` (SPEC §2), which stays the REFERENCE. The property
tests in tests/test_ledger_properties.py reconcile random event streams with both and
require identical lots, findings, COGS and movements.

What is fast, and why it is exact:
- **The common visit row** (its lot recorded and found under its own product at its own
  location, its unit converts, not a duplicate, not expired, used on or after receipt,
  no earlier-expiring lot able to cover it) is booked inline in the sweep's own loop (no
  call per row): one memo lookup per distinct (product, lot, location, unit) for the lot,
  product and unit factor, a Decimal subtraction, the day bookkeeping NEGATIVE_BALANCE
  needs. Every other row (a missing, unknown or mismatched lot; a lot at another site; an
  alias; a finding of any kind) is handed to the reference `Booker.book_visit` *before*
  anything was changed, so it runs exactly the reference rules on exactly the reference
  state. The FEFO question is skipped outright when no lot earlier in the group's FEFO
  order holds stock (the usual case: the lot in use is the oldest one left).
- **FEFO without a tree walk per row.** The reference asks a max-segment-tree "the first
  lot in [lo, hi) holding at least q" for every recorded row (about 4 µs in Python) and
  updates the tree on every balance change (about 2 µs). Here each FEFO group also keeps
  the sorted positions of its lots that hold stock (balance > 0). A lot holding at least
  q > 0 holds stock, so the first stocked position in range that holds q is the answer;
  for inference (balance > 0) it is the first stocked position in range, full stop.
  Stock comes and goes rarely (a receipt, a lot running out), so the list changes rarely;
  the tree is only brought up to date (from the balances changed since) when a range
  holds many stocked lots, which is when it pays.
- **COGS while booking.** Each visit row is added into its visit and its (provider,
  product, month) cell (`cogs.CogsSums`) as soon as it is booked: the common row makes
  no `VisitTake`, and there is no second pass over the rows. Exact Decimal sums do not
  depend on the order of their terms, so adding in the sweep's (date) order equals the
  reference's sheet order; a visit's first row is the one with the least sheet index,
  whatever order it came in. The reference (`reconcile(..., reference=True)`) still books
  takes and runs `compute_cogs` over them; a part of a partitioned run keeps its takes
  (`keep_takes`) for the merge.
- **Once per date, not per row**: the duplicate keys seen are dropped at each new date
  (a duplicate repeats its date), so the key leaves the date out; the day's ordinal and
  its month's COGS cells are looked up when the date changes.

Measured (the bench practice's typed rows reconciled alone, best of several runs
interleaved with the previous code, on a shared 2-core machine under load): 200k rows
1.24-1.34 s -> 1.12-1.14 s CPU (movements kept: 1.50-1.64 -> 1.40-1.49 s); the traced
peak 126 -> 109 MB (1M rows: 560 -> 458 MB); at 1M the CPU difference is inside the
noise. Not the halving issue 10 asks for. What is left is spread over the
fast lane's ~40 steps a row (a memo lookup, a duplicate set, a visit dict, a cell dict,
five Decimal operations), 138,000 VisitCogs to build, and the rows the reference books
(2% of the rows: their open-vial evidence, near-key search and findings are a quarter
of the stage at 1M).

Fourth pass (measured unprofiled at 200k, the bench practice's typed rows, interleaved with
main's sweep; cProfile inflates this loop two- to threefold): the sweep is ~0.75 s CPU, of
which the rows handed to the reference ~0.13 s (2.3% of the rows, ~28 µs each: near-key
search, findings, inference), the movements the periods need ~0.2 s (`used_movement`; the
reconcile command now appends to the ledger's columns instead, `ledger_used`), and
the common-row loop ~0.42 s (~2 µs a row), of which the COGS adds are nearly half (~0.19 s).
The duplicate key is now hashed once per common row (added at once, taken out again for a
row going to the reference) and stock is tested Decimal to Decimal (`> ZERO`: an int
operand is converted per comparison): the loop 0.45 -> 0.415 s.

Rejected alternatives: per-lot (or per product and location) array booking for the
partitions holding only common rows: on the bench practice none does (0 of 100 product and
location partitions at 200k; the ~2% of rows without a lot fall everywhere), and a rare
row may take from any lot of its group (inference), so such a path would never run there;
and the COGS adds (nearly half the loop) and the movements stay a step per row whatever
books the balances. Balances as
scaled ints: the Decimal operations on a lot's balance are ~4 of the row's ~40 steps
(~70 ns a row against an int's, ~0.07 s at 1M), while every rule of the reference, the
FEFO tree and the checks read `Lot.balance` as a Decimal: a conversion at each hand-off for
less than 1% of the run. Balances per lot by cumulative sums over arrays (NEGATIVE_BALANCE,
counts, transfers and inference all need the running state of *other* lots in global
order, so the rule rows would walk anyway; numpy is available now, through pandas, but
after the memo and the FEFO shortcut a common row costs about 1 µs, and the arrays would
first have to be built from the typed rows, a Python step per row and column that costs
about as much: the gain is in a column-wise parse that hands the core arrays, not here);
a second, independent implementation of the rules (two places to fix
every rule: the fast lane delegates every rule to the reference instead).
"""

from __future__ import annotations

import bisect
from decimal import Decimal
from typing import Any

from lotsync.model import VisitRow
from lotsync.reconcile.booking import PH_VISIT, Booker, VisitTake, visit_key
from lotsync.reconcile.cogs import CogsSum, CogsSums, VisitSums
from lotsync.reconcile.fefo import FefoGroup
from lotsync.reconcile.lots import ZERO, Lot
from lotsync.reconcile.result import used_movement

#: Above this many stocked lots in a query's range, the segment tree answers instead.
SCAN_LIMIT = 24


class StockedFefoGroup(FefoGroup):
    """A FEFO group that answers its two queries from the positions holding stock."""

    __slots__ = ("stocked", "_dirty")

    def __init__(self, lots: list[Any]) -> None:
        super().__init__(lots)
        self.stocked = [i for i, l in enumerate(self.lots) if l.balance > 0]
        self._dirty: dict[int, Decimal] = {}

    def update(self, pos: int, balance: Decimal) -> None:
        stocked = self.stocked
        i = bisect.bisect_left(stocked, pos)
        there = i < len(stocked) and stocked[i] == pos
        if balance > 0:
            if not there:
                stocked.insert(i, pos)
        elif there:
            del stocked[i]
        self._dirty[pos] = balance

    def _flush(self) -> None:
        for pos, balance in self._dirty.items():
            FefoGroup.update(self, pos, balance)
        self._dirty.clear()

    def first_at_least(self, lo: int, hi: int, threshold: Decimal, strict: bool = False) -> int:
        if lo >= hi:
            return -1
        if threshold < 0 or (threshold == 0 and not strict):
            self._flush()  # a lot without stock would qualify: the tree knows them all
            return FefoGroup.first_at_least(self, lo, hi, threshold, strict)
        stocked = self.stocked
        i = bisect.bisect_left(stocked, lo)
        j = bisect.bisect_left(stocked, hi, i)
        if i == j:
            return -1
        if strict and threshold == 0:
            return stocked[i]
        if j - i > SCAN_LIMIT:
            self._flush()
            return FefoGroup.first_at_least(self, lo, hi, threshold, strict)
        lots = self.lots
        for k in range(i, j):
            b = lots[stocked[k]].balance
            if b > threshold or (not strict and b == threshold):
                return stocked[k]
        return -1


class SweepBooker(Booker):
    """The reference Booker with the fast lane for the common visit row (module doc), which
    also adds every visit row into COGS as it books it (`self.cogs`, a `CogsSums`).

    `keep_takes`: also keep every row's `VisitTake` in `takes` (a part of a partitioned run
    hands them to the merge); otherwise only the rows the reference booked have one."""

    def __init__(self, practice, catalog, opts, keep_takes: bool = False) -> None:
        super().__init__(practice, catalog, opts)
        self.keep_takes = keep_takes
        self.cogs = CogsSums()
        self._dup_class: dict[tuple, int] = {}

    def _build_fefo(self) -> None:
        members: dict[tuple[str, str], list[Lot]] = {}
        for lot in list(self.lots.values()) + list(self.pending.values()):
            if lot.expiration is not None:
                members.setdefault((lot.product_key, lot.location), []).append(lot)
        for gk, lots in members.items():
            self.groups[gk] = StockedFefoGroup(lots)

    def duplicate_key(self, v: VisitRow, pk: str) -> tuple:
        """The reference's key without the date (the sweep keeps one day's keys: see
        `sweep`), its (product, lot key, unit) as one small int: the same rows match."""
        dunit = v.unit if v.unit is not None else self.cat.info(pk).unit
        return (v.patient, v.provider, self._dup_class_of(pk, v.lot_key, dunit), v.quantity)

    def _dup_class_of(self, pk: str, key: str | None, dunit: str | None) -> int:
        ck = (pk, key, dunit)
        c = self._dup_class.get(ck)
        if c is None:
            c = self._dup_class[ck] = len(self._dup_class)
        return c

    def sweep(self) -> None:
        """The reference order, with the common visit row booked inline (module doc), and
        every visit row added into COGS as soon as it is booked.

        Everything a row's checks need that does not change during the sweep is looked up
        once per distinct (product as written, lot key, location, unit) and memoised: the
        lot (a lot once registered is never replaced), the product key, the unit factor
        (None when it is 1) and the class of (product, lot key, unit of use) a duplicate is
        judged by. Every check runs before anything is changed, so a row that fails one
        goes to the reference `book_visit` on exactly the reference state.

        The duplicate keys seen are kept for one day only: a duplicate repeats its row's
        date, and every visit row of a day is swept before any of the next day's, so an
        earlier day's keys can never match again (200,000 keys of 7 fields were ~30 MB);
        so the key leaves the date out. What changes only with the date (its ordinal, its
        month's COGS cells) is looked up once per date."""
        rows, kinds = self._rows, self._kinds
        visits = self.p.visits
        takes = self.takes
        keep_takes = self.keep_takes
        seen = self._seen_visits
        seen_add = seen.add
        by_pk_get = self.by_pk.get
        cat = self.cat
        movements = self.movements
        ledger_used = self.ledger.used if self.ledger is not None else None
        book_visit = self.book_visit
        book_event = self.book_event
        close_day = self._close_day
        neg_tol = -self.tol
        means = self._means
        dup_class_of = self._dup_class_of
        sums = self.cogs
        by_visit = sums.by_visit
        by_visit_get = by_visit.get
        month_cells = sums.cells
        add_taken = sums.add
        def by_reference(i: int, v: VisitRow) -> None:
            """A row the reference books (every rule), and its cost added as it took."""
            book_visit(i)
            t = takes[i]
            add_taken(v, i, v.visit_id or visit_key(v), t.exact, t.quantity, t.estimated,
                      t.inferred, t.product_key)

        memo: dict[tuple, tuple] = {}
        memo_get = memo.get
        bisect_left = bisect.bisect_left
        seen_day = None
        day = 0
        cells: dict = {}
        cells_get = cells.get
        for idx in self._order:
            k = kinds[idx]
            if k != PH_VISIT:
                book_event(k, rows[idx])
                continue
            i = rows[idx]
            v: VisitRow = visits[i]
            date = v.date
            if date != seen_day:  # a duplicate shares its date, and days come in order
                seen.clear()
                seen_day = date
                day = date.toordinal()
                month = sums.month(date)
                cells = month_cells.get(month)
                if cells is None:
                    cells = month_cells[month] = {}
                cells_get = cells.get
            key = v.lot_key
            if key is None:
                by_reference(i, v)
                continue
            unit = v.unit
            m = memo_get((v.product, key, v.location, unit))
            if m is None:
                pk = cat.resolve(v.product)
                locs = by_pk_get((pk, key))
                lot = locs.get(v.location) if locs else None
                f = cat.factor(pk, unit) if lot is not None else None
                if f is None:  # no lot here (yet), or a unit that does not convert
                    by_reference(i, v)
                    continue
                m = memo[(v.product, key, v.location, unit)] = (
                    lot, pk, f if f != 1 else None,
                    dup_class_of(pk, key, unit if unit is not None else cat.info(pk).unit),
                    lot.first_received_ord, lot.expiration, lot.fefo_group, lot.fefo_pos)
            lot, pk, f, dup_class, first_ord, exp, group, pos = m
            qty = v.quantity
            # the key is added now (one hash, not a test and an add) and taken out again
            # before a row goes to the reference, which judges it on its own state
            dup_key = (v.patient, v.provider, dup_class, qty)
            n_seen = len(seen)
            seen_add(dup_key)
            if len(seen) == n_seen or day < first_ord:
                if len(seen) != n_seen:
                    seen.discard(dup_key)
                by_reference(i, v)
                continue
            q = qty * f if f is not None else qty
            if exp is not None:
                slow = date > exp
                if not slow and group is not None and q > ZERO:
                    stocked = group.stocked
                    # only a lot earlier in FEFO order can be a better one; usually none holds stock
                    if stocked and stocked[0] < pos:
                        lo = bisect_left(group.expirations, date)
                        hi = bisect_left(group.expirations, exp)
                        # FEFO_VIOLATION: the reference says it
                        slow = lo < hi and group.first_at_least(lo, hi, q) >= 0
                if slow:
                    seen.discard(dup_key)
                    by_reference(i, v)
                    continue
            # the common row: nothing to report, book it (its duplicate key is in `seen`)
            if lot.cur_day != day:
                # the day the lot last moved is over: judged only when it ended below
                # -tolerance or the one before did (`_close_day`); else nothing changes
                if lot.cur_day is not None and (lot.prev_neg or lot.balance < neg_tol):
                    close_day(lot)
                lot.cur_day = day
            before = lot.balance
            balance = before - q
            lot.balance = balance
            if group is not None:
                if (before > ZERO) is (balance > ZERO):  # Decimal to Decimal: no int converted
                    group._dirty[pos] = balance  # still (or still not) stocked
                else:
                    group.update(pos, balance)
            lot.last_taker = v.ref
            lot.used += q
            cost = lot.cost
            est = ZERO
            if cost is not None:
                value = q * cost
                exact = ZERO + value  # a take's cost is a sum from zero (0 + 2E+1 is 20)
            else:  # the use of a lot without a cost is estimated at the product's mean
                value = None
                exact = ZERO
                mean = means.get(pk)
                if mean is not None:
                    est = ZERO + q * mean
                    sums.estimated += est
            if keep_takes:
                take = takes[i] = VisitTake(pk)
                take.quantity, take.booked, take.exact, take.estimated = q, True, exact, est
            # COGS: the row into its visit and its (provider, product) cell of the month.
            # `cogs.CogsSums.add` inlined (a call per common row cost more than the add);
            # a change there is a change here: test_ledger_properties holds both to the reference
            visit = v.visit_id or visit_key(v)
            price = v.price
            g = by_visit_get(visit)
            if g is None:
                by_visit[visit] = (v, i, exact, q, est, False)
            else:
                if g.__class__ is tuple:
                    g = by_visit[visit] = VisitSums(*g)
                if i < g.first_index:
                    g.first, g.first_index = v, i
                g.cogs += exact
                g.quantity += q
                if est is not ZERO:
                    g.estimated += est
                if price is not None:
                    rev = g.revenue
                    g.revenue = (ZERO + price) if rev is None else rev + price
            ck = (v.provider or "", pk)
            c = cells_get(ck)
            if c is None:
                c = cells[ck] = CogsSum()
            c.cogs += exact
            c.quantity += q
            if price is not None:
                rev = c.revenue
                c.revenue = (ZERO + price) if rev is None else rev + price
            if movements is not None:
                movements.append(used_movement(
                    lot.product, lot.lot, lot.lot_key, lot.location, date, q, value, False, v.ref,
                    v.patient, v.provider, visit))
            if ledger_used is not None:
                ledger_used(lot, date, q, v.ref, v.provider)
