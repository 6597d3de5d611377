"""Booking: apply every event to its lot in order, and raise the findings that need order.

Rules (SPEC §2):
- Events are applied per lot in date order; within one date: receipts, then transfers,
  then visit rows in sheet order, then adjustments in sheet order, then counts. A receipt
  without a received date comes before every other event. This is one global sort (an
  integer key `date * 8 + phase`, stable, so sheet order survives) and one sweep: no row
  ever rescans the lots.
- A row takes from the lot with its key under its own product at its own location; else
  from the lot with that key at another location (the one with the most on hand just
  before the row: UNLOGGED_TRANSFER); else (visit and adjustment rows) from the one lot with that key
  at the row's location under a product sharing a word with the row's (PRODUCT_ALIAS);
  else LOT_PRODUCT_MISMATCH (the key exists under another product) or UNKNOWN_LOT.
- Lot inference for visit rows whose lot is missing, unknown or mismatched (unless
  switched off), first rule that gives a lot: (1) repair, UNKNOWN_LOT only: exactly one
  key of the product within Levenshtein distance 2; (2) open vial: the lot the same
  provider used for the same product at the same location on the same date, nearest
  earlier recorded row, else nearest later; (3) FEFO, greedy across lots; what no lot
  covers is costed as estimated. Inferred quantities count in `used` and `used_inferred`.
- A count sets the balance; the difference is count variance. NEGATIVE_BALANCE is judged
  at the end of each day a lot moved, only when the previous such day ended above
  -tolerance (so one shortfall is one finding, not one per later visit).

Rejected alternatives: per-lot event lists sorted separately (FEFO and inference need the
balances of *other* lots just before each row, which only a global order gives); taking
inferred stock proportionally from all candidate lots (no vial is used that way, and the
trace would name lots nobody touched); raising an exception on a bad row (a finding is
data: the rest of the practice must still reconcile).
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from lotsync.findings import make_finding
from lotsync.model import (AdjustmentRow, AdjustmentType, CountRow, Finding, Practice,
                           RowRef, VisitRow)
from lotsync.reconcile.catalog import Catalog
from lotsync.reconcile.fefo import FefoGroup, check_fefo, pick_fefo
from lotsync.reconcile.lots import (COST_TOLERANCE, DIVISION, NO_DATE_ORD, ZERO, Lot, Receipt,
                                   weighted_cost)
from lotsync.reconcile.ledger import LedgerColumns
from lotsync.reconcile.result import Movement, Options

PH_RECEIPT, PH_TRANSFER, PH_VISIT, PH_ADJUST, PH_COUNT = 0, 1, 2, 3, 4


def _fmt(q: Decimal) -> str:
    """A quantity for a message: no exponent, no trailing zeros."""
    s = format(q.normalize(), "f") if q == q.to_integral_value() else format(q, "f").rstrip("0")
    return s.rstrip(".") if "." in s else s


def _money(v: Decimal) -> str:
    return f"${v.quantize(Decimal('0.01')):,}"


class VisitTake:
    """What one visit row took and cost (indexed like practice.visits). A slotted mutable
    record: the sweep fills it in place, a million times."""

    __slots__ = ("exact", "estimated", "inferred", "quantity", "booked", "product_key")

    def __init__(self, product_key: str) -> None:
        self.exact = ZERO  # cost at its lots' own unit costs
        self.estimated = ZERO  # uncovered quantity, or lots without a cost, at the product mean
        self.inferred = False
        self.quantity = ZERO  # in units of use
        self.booked = False  # False: the row took nothing (unknown unit)
        self.product_key = product_key


@dataclass
class Booking:
    lots: dict[tuple[str, str, str], Lot]
    findings: list[Finding]
    takes: list[VisitTake | None]
    product_mean_cost: dict[str, Decimal | None]
    movements: list  # Movement records, when Options.keep_movements
    ledger: object = None  # ledger.LedgerColumns, when Options.keep_ledger


class Booker:
    """One sweep over all events. State lives here; the result is frozen by the caller."""

    def __init__(self, practice: Practice, catalog: Catalog, opts: Options) -> None:
        self.p = practice
        self.cat = catalog
        self.opts = opts
        self.tol = opts.tolerance
        self.findings: list[Finding] = []
        self.lots: dict[tuple[str, str, str], Lot] = {}
        self.pending: dict[tuple[str, str, str], Lot] = {}  # transfer destinations, not yet created
        self.by_pk: dict[tuple[str, str], dict[str, Lot]] = defaultdict(dict)
        self.by_key: dict[str, set[str]] = defaultdict(set)
        self.groups: dict[tuple[str, str], FefoGroup] = {}
        self.keys_of_product: dict[str, list[str]] = defaultdict(list)
        self._near_cache: dict[tuple[str, str], list[str]] = {}
        self._evidence: dict | None = None
        self._order: list[int] = []
        self._kinds: list[int] = []
        self._rows: list = []
        self.receipts: dict[tuple[str, str, str], list[Receipt]] = defaultdict(list)
        self.takes: list[VisitTake | None] = [None] * len(practice.visits)
        self.visit_index: dict[int, int] = {}
        self.movements: list[Movement] | None = [] if opts.keep_movements else None
        self.ledger: LedgerColumns | None = LedgerColumns() if opts.keep_ledger else None
        self.moving = opts.keep_movements or opts.keep_ledger  # a record of the movements is kept
        self.missing_lot_suggestions: dict[tuple, str | None] = {}
        self._seen_visits: set[tuple] = set()
        self._means: dict[str, Decimal | None] = {}

    # --- findings ----------------------------------------------------------------------
    def add(self, code: str, message: str, ref: RowRef, fld: str | None, **kw) -> None:
        self.findings.append(make_finding(code, message, ref.source(fld), identity=ref.fingerprint, **kw))

    # --- lots --------------------------------------------------------------------------
    def build_lots(self) -> None:
        """Receipts grouped into lots; COST_CONFLICT, and the lots' cost and expiration."""
        for row in self.p.inventory:
            pk = self.cat.resolve(row.product)
            f = self.cat.factor(pk, row.unit)
            if f is None:
                self._unknown_unit(row, pk, "quantity")
                continue
            self.receipts[(pk, row.lot_key, row.location)].append(
                Receipt(row, f, self._cost_factor(row, pk, f)))
        for ident, recs in self.receipts.items():
            pk, key, loc = ident
            first = recs[0]
            info = self.cat.info(pk)
            # compared with the first receipt that HAS a cost: a receipt with no cost
            # states no price, so it can neither conflict nor hide a conflict
            costed = [r for r in recs if r.cost is not None]
            for r in costed[1:]:
                base = costed[0]
                if abs(r.cost - base.cost) > COST_TOLERANCE:
                    self.add("COST_CONFLICT",
                             f"Lot {first.row.lot} of {info.name} was received at "
                             f"{_money(base.cost)} per {info.unit or 'unit'} and again at "
                             f"{_money(r.cost)}; lotsync uses the quantity-weighted mean.",
                             r.row.ref, "unit_cost" if r.row.unit_cost is not None else "total_cost",
                             product=info.name, lot=first.row.lot, location=loc or None,
                             date=r.row.received_date,
                             value=abs(r.cost - base.cost) * r.quantity)
            dates = [r.row.received_date for r in recs]
            first_received = None if any(d is None for d in dates) else min(dates)
            expiration = next((r.row.expiration for r in recs if r.row.expiration), None)
            lot = Lot(pk, info.name, first.row.lot, key, loc, expiration, info.unit,
                      weighted_cost(recs), first_received, first.row.ref)
            rem = [r for r in recs if r.remaining is not None]
            if rem:
                lot.recorded_remaining = sum((r.remaining for r in rem), ZERO)
                lot.remaining_ref = rem[0].row.ref
            self._register(lot)

    def _cost_factor(self, row, pk: str, factor: Decimal) -> Decimal | None:
        """Units of use in what the row's unit cost is per: its own unit, or the package
        the cost column's header names (`Cost per Vial`, SPEC §1). None, with an
        UNKNOWN_UNIT on the cost cell, when that package does not convert: the receipt
        still counts (its unit converts), its unit cost is not used."""
        if row.cost_per is None or row.unit_cost is None:
            return factor
        info = self.cat.info(pk)
        if row.cost_per == "package" and info.package_unit is None:
            return factor  # `Cost per Package` with no package known: the row's unit is it
        per = info.package_unit if row.cost_per == "package" else row.cost_per
        cf = self.cat.factor(pk, per)
        if cf is None:
            self.add("UNKNOWN_UNIT",
                     f"The cost is per {per}, but how many {info.unit or 'units'} one {per} "
                     f"of {info.name} holds is not known; the receipt counts, its cost is not used.",
                     row.ref, "unit_cost", product=info.name, lot=row.lot,
                     location=row.location or None, date=row.received_date,
                     suggestion=f"Add {info.name} to the Products tab with its package unit "
                                f"({per}) and units per package.")
        return cf

    def _register(self, lot: Lot) -> None:
        """Index a lot: O(1) per lot (a list-membership test here once made a receiving log
        of 50,000 lots take 43 s)."""
        self.lots[lot.identity] = lot
        pk_key = (lot.product_key, lot.lot_key)
        if pk_key not in self.by_pk:  # the product's first lot with this key (any location)
            self.keys_of_product[lot.product_key].append(lot.lot_key)
        self.by_pk[pk_key][lot.location] = lot
        self.by_key[lot.lot_key].add(lot.product_key)

    def _plan_transfer_lots(self) -> None:
        """Lots a transfer will create get their FEFO place now (balance 0 until created)."""
        for row in self.p.adjustments:
            if row.type is not AdjustmentType.TRANSFER:
                continue
            pk = self.cat.resolve(row.product)
            sources = self.by_pk.get((pk, row.lot_key))
            if not sources:  # a transfer of a lot under a product sharing a word (SPEC §1)
                src = self._alias_lot(pk, row.lot_key, row.location)
                if src is None:
                    continue
                pk, sources = src.product_key, {src.location: src}
            ident = (pk, row.lot_key, row.to_location)
            if ident in self.lots or ident in self.pending:
                continue
            src = sources.get(row.location) or sources[sorted(sources)[0]]
            self.pending[ident] = Lot(pk, src.product, src.lot, src.lot_key, row.to_location,
                                      src.expiration, src.unit, src.cost, None, None,
                                      created_by_transfer=True)

    def _build_fefo(self) -> None:
        members: dict[tuple[str, str], list[Lot]] = defaultdict(list)
        for lot in list(self.lots.values()) + list(self.pending.values()):
            if lot.expiration is not None:
                members[(lot.product_key, lot.location)].append(lot)
        for gk, lots in members.items():
            self.groups[gk] = FefoGroup(lots)

    def _move(self, kind: str, lot: Lot, date: dt.date | None, q: Decimal, ref, inferred: bool = False,
              **kw) -> None:
        """Record a movement: a `Movement` (Options.keep_movements) and/or its entry in the
        ledger's columns (Options.keep_ledger)."""
        if self.movements is not None:
            self.movements.append(Movement(kind, lot.product, lot.lot, lot.lot_key, lot.location, date, q,
                                           q * lot.cost if lot.cost is not None else None, inferred,
                                           ref, **kw))
        if self.ledger is not None:
            if kind == "used":
                self.ledger.used(lot, date, q, ref, kw.get("provider"))
            else:
                self.ledger.moved(kind, lot, date, q)

    # --- balance changes -----------------------------------------------------------------
    def _touch(self, lot: Lot, day: int) -> None:
        if lot.cur_day != day:
            if lot.cur_day is not None:
                self._close_day(lot)
            lot.cur_day = day
            lot.last_taker = None

    def _close_day(self, lot: Lot) -> None:
        neg = lot.balance < -self.tol
        if neg and not lot.prev_neg:
            ref = lot.last_taker or lot.first_ref
            day = dt.date.fromordinal(lot.cur_day) if lot.cur_day and lot.cur_day > NO_DATE_ORD else None
            value = lot.balance * lot.cost if lot.cost is not None else None
            if ref is not None:
                self.add("NEGATIVE_BALANCE",
                         f"Lot {lot.lot} of {lot.product}{_at(lot.location)} went below zero "
                         f"({_fmt(lot.balance)} {lot.unit or ''}) at the end of "
                         f"{day.isoformat() if day else 'the first day'}: more was used than received.".replace(" )", ")"),
                         ref, "lot", product=lot.product, lot=lot.lot, location=lot.location or None,
                         date=day, quantity=lot.balance, value=value,
                         suggestion="Check for a missing receipt, a mistyped lot, or a quantity entered twice.")
        lot.prev_neg = neg

    def _set(self, lot: Lot, balance: Decimal) -> None:
        lot.balance = balance
        if lot.fefo_group is not None:
            lot.fefo_group.update(lot.fefo_pos, balance)

    def _take(self, lot: Lot, q: Decimal, ref: RowRef, day: int) -> None:
        self._touch(lot, day)
        self._set(lot, lot.balance - q)
        lot.last_taker = ref

    # --- lot lookups ---------------------------------------------------------------------
    def _most_on_hand(self, locs: dict[str, Lot]) -> Lot:
        return max(locs.values(), key=lambda l: (l.balance, [-ord(c) for c in l.location]))

    def resolve(self, pk: str, key: str, loc: str, alias: bool) -> tuple[Lot | None, str]:
        """(lot, how): how is own, other, alias, LOT_PRODUCT_MISMATCH or UNKNOWN_LOT.
        `alias`: look for the shared-word lot (visit and adjustment rows, SPEC §1)."""
        locs = self.by_pk.get((pk, key))
        if locs:
            lot = locs.get(loc)
            if lot is not None:
                return lot, "own"
            return self._most_on_hand(locs), "other"
        if key in self.by_key:
            if alias:
                lot = self._alias_lot(pk, key, loc)
                if lot is not None:
                    return lot, "alias"
            return None, "LOT_PRODUCT_MISMATCH"
        return None, "UNKNOWN_LOT"

    def _alias_lot(self, pk: str, key: str, loc: str) -> Lot | None:
        """The one lot with `key` at `loc` under a product whose name shares a word with
        product `pk`'s (numbers and unit words do not count), or None."""
        words = self.cat.info(pk).words
        cands = [self.by_pk[(o, key)][loc] for o in sorted(self.by_key.get(key, ()))
                 if loc in self.by_pk[(o, key)] and words & self.cat.info(o).words]
        return cands[0] if len(cands) == 1 else None

    def _product_alias(self, row, lot: Lot, q: Decimal) -> None:
        self.add("PRODUCT_ALIAS",
                 f"'{row.product}' was matched to {lot.product} through lot {lot.lot}.",
                 row.ref, "product", product=lot.product, lot=lot.lot,
                 location=row.location or None, date=row.date, quantity=q)

    def near_keys(self, pk: str, key: str) -> list[str]:
        """Known lot keys of the product within Levenshtein distance 2 of `key`."""
        ck = (pk, key)
        hit = self._near_cache.get(ck)
        if hit is None:
            keys = self.keys_of_product.get(pk, [])
            hit = sorted(m[0] for m in process.extract(key, keys, scorer=Levenshtein.distance,
                                                       score_cutoff=2, limit=None))
            self._near_cache[ck] = hit
        return hit

    def _display(self, pk: str, key: str) -> str:
        locs = self.by_pk.get((pk, key))
        return next(iter(locs.values())).lot if locs else key

    # --- the sweep -----------------------------------------------------------------------
    def sort_events(self) -> None:
        keys: list[int] = []
        rows: list = []
        kinds: list[int] = []
        for ident, recs in self.receipts.items():
            for r in recs:
                keys.append(r.date_ord * 8 + PH_RECEIPT)
                rows.append((self.lots[ident], r))
                kinds.append(PH_RECEIPT)
        for a in self.p.adjustments:
            if a.type is AdjustmentType.TRANSFER:
                keys.append(a.date.toordinal() * 8 + PH_TRANSFER)
                rows.append(a)
                kinds.append(PH_TRANSFER)
        visits = self.p.visits
        keys.extend([d.toordinal() * 8 + PH_VISIT for d in map(attrgetter("date"), visits)])
        rows.extend(range(len(visits)))
        kinds.extend([PH_VISIT] * len(visits))
        for a in self.p.adjustments:
            if a.type is not AdjustmentType.TRANSFER:
                keys.append(a.date.toordinal() * 8 + PH_ADJUST)
                rows.append(a)
                kinds.append(PH_ADJUST)
        for c in self.p.counts:
            keys.append(c.date.toordinal() * 8 + PH_COUNT)
            rows.append(c)
            kinds.append(PH_COUNT)
        self._order = sorted(range(len(keys)), key=keys.__getitem__)
        self._rows, self._kinds = rows, kinds

    def run(self) -> Booking:
        self.build_lots()
        self._means = self.product_mean_costs()
        self._plan_transfer_lots()
        self._build_fefo()
        self.sort_events()
        self.sweep()
        for lot in self.lots.values():
            if lot.cur_day is not None:
                self._close_day(lot)
        return Booking(self.lots, self.findings, self.takes, self._means, self.movements or [],
                       self.ledger)

    def sweep(self) -> None:
        """Every event in the global order (module doc), one at a time."""
        rows, kinds = self._rows, self._kinds
        for idx in self._order:
            k = kinds[idx]
            if k == PH_VISIT:
                self.book_visit(rows[idx])
            else:
                self.book_event(k, rows[idx])

    def book_event(self, k: int, row) -> None:
        """A receipt, transfer, adjustment or count (`k`: its phase)."""
        if k == PH_RECEIPT:
            lot, r = row
            self._touch(lot, r.date_ord)
            lot.received += r.quantity
            self._set(lot, lot.balance + r.quantity)
            if self.moving:
                self._move("received", lot, r.row.received_date, r.quantity, r.row.ref)
        elif k == PH_COUNT:
            self.book_count(row)
        else:
            self.book_adjustment(row)

    def product_mean_costs(self) -> dict[str, Decimal | None]:
        """Received-quantity weighted mean cost per product, over lots with a cost."""
        qty: dict[str, Decimal] = defaultdict(lambda: ZERO)
        val: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for (pk, key, loc), recs in self.receipts.items():
            lot_cost = self.lots[(pk, key, loc)].cost
            if lot_cost is not None:
                for r in recs:
                    qty[pk] += r.quantity
                    val[pk] += r.quantity * lot_cost
        return {pk: (DIVISION.divide(val[pk], qty[pk]) if qty[pk] else None) for pk in self.cat.products}

    # --- rows ----------------------------------------------------------------------------
    def _unknown_unit(self, row, pk: str, qfield: str) -> None:
        info = self.cat.info(pk)
        fld = "unit" if "unit" in row.ref.table.columns and row.unit else qfield
        conv = f" or {info.package_unit}" if info.package_unit else ""
        self.add("UNKNOWN_UNIT",
                 f"'{row.unit}' cannot be converted to {info.name}'s unit of use "
                 f"({info.unit or 'none known'}{conv}); the row takes nothing.",
                 row.ref, fld, product=info.name, lot=getattr(row, "lot", None),
                 location=row.location or None,
                 date=getattr(row, "date", None) or getattr(row, "received_date", None),
                 suggestion=(f"Add units per package for {info.package_unit or row.unit} to the "
                             f"Products tab, or record the quantity in {info.unit}."
                             if info.unit else None))

    def duplicate_key(self, v: VisitRow, pk: str) -> tuple:
        """What makes two visit rows one treatment entered twice (DUPLICATE_ENTRY). A blank
        unit is the unit of use (SPEC §1): `20` and `20 units` are one entry."""
        return (v.date, v.patient, v.provider, pk, v.lot_key, v.quantity,
                v.unit if v.unit is not None else self.cat.info(pk).unit)

    def book_visit(self, i: int) -> None:
        v: VisitRow = self.p.visits[i]
        cat = self.cat
        pk = cat.resolve(v.product)
        take = VisitTake(pk)
        self.takes[i] = take
        dup_key = self.duplicate_key(v, pk)
        if dup_key in self._seen_visits:
            self.add("DUPLICATE_ENTRY",
                     "This treatment repeats an earlier row exactly (date, patient, provider, "
                     "product, lot, quantity); it still counts as used.",
                     v.ref, "lot" if "lot" in v.ref.table.columns else "product",
                     product=cat.info(pk).name, lot=v.lot, location=v.location or None,
                     date=v.date, quantity=v.quantity,
                     suggestion="Delete the row if it was entered twice.")
        else:
            self._seen_visits.add(dup_key)
        q = self._in_units_of_use(v, pk, v.quantity, "quantity")
        if q is None:
            return
        take.quantity = q
        take.booked = True
        day = v.date.toordinal()
        info = cat.info(pk)
        loc = v.location
        key = v.lot_key
        lot: Lot | None = None
        error = "MISSING_LOT" if key is None else None
        if key is not None:
            lot, how = self.resolve(pk, key, loc, alias=True)
            if lot is None:
                error = how
            else:
                if how == "other":
                    self._unlogged(v, lot, q)
                elif how == "alias":
                    self._product_alias(v, lot, q)
                exp = lot.expiration
                if exp is not None and v.date > exp:
                    self.add("EXPIRED_USE",
                             f"Lot {lot.lot} of {lot.product} expired on {exp.isoformat()} and was "
                             f"used on {v.date.isoformat()}.",
                             v.ref, "lot", product=lot.product, lot=lot.lot, location=loc or None,
                             date=v.date, quantity=q,
                             value=q * lot.cost if lot.cost is not None else None,
                             suggestion="Quarantine the lot and review the patient's record.")
                group = lot.fefo_group
                if group is not None and exp is not None:
                    better = check_fefo(group, lot, v.date, q)
                    if better is not None:
                        self.add("FEFO_VIOLATION",
                                 f"Lot {lot.lot} (expires {exp.isoformat()}) was used while lot "
                                 f"{better.lot} (expires {better.expiration.isoformat()}) had "
                                 f"{_fmt(better.balance)} {lot.unit or ''} on hand.".replace(" on", " on").replace("  ", " "),
                                 v.ref, "lot", product=lot.product, lot=lot.lot,
                                 location=loc or None, date=v.date, quantity=q,
                                 suggestion=f"Use lot {better.lot} first.")
                self._book_take(v, i, take, lot, q, day, inferred=False)
                return
        # the lot is missing, unknown or under another product: a traceability gap
        suggestion = None
        near: list[str] = []
        if error == "UNKNOWN_LOT":
            near = self.near_keys(pk, key)
            if near:
                suggestion = "Did you mean " + " or ".join(self._display(pk, k) for k in near) + "?"
        inferred_lots: list[tuple[Lot, Decimal]] = []
        uncovered = q
        if self.opts.infer_lots:
            one = None
            if error == "UNKNOWN_LOT" and len(near) == 1:  # rule 1: repair
                one, how = self.resolve(pk, near[0], loc, alias=False)
                if one is not None and how == "other":
                    self._unlogged(v, one, q)
            if one is None:  # rule 2: open vial
                one = self._open_vial(i, v, pk)
            if one is not None:
                self._book_take(v, i, take, one, q, day, inferred=True)
                inferred_lots.append((one, q))
                uncovered = ZERO
            else:  # rule 3: FEFO, greedy
                group = self.groups.get((pk, loc))
                while group is not None and uncovered > 0:
                    cand = pick_fefo(group, v.date)
                    if cand is None:
                        break
                    part = min(cand.balance, uncovered)
                    self._book_take(v, i, take, cand, part, day, inferred=True)
                    inferred_lots.append((cand, part))
                    uncovered -= part
        if inferred_lots:
            names = ", ".join(f"{l.lot} ({_fmt(qq)})" if len(inferred_lots) > 1 else l.lot
                              for l, qq in inferred_lots)
            used = f"Inferred for this treatment: lot {names}."
            suggestion = f"{suggestion} {used}" if suggestion else used
        if uncovered > 0:
            self._estimate(take, pk, uncovered)
        if error == "MISSING_LOT":
            # the parse stage raised MISSING_LOT; attach the inference to it
            self._amend_missing_lot(v, suggestion)
        elif error == "UNKNOWN_LOT":
            self.add("UNKNOWN_LOT",
                     f"Lot {v.lot} of {info.name} was never received"
                     f"{_at(loc)}: it matches no lot in the inventory.",
                     v.ref, "lot", product=info.name, lot=v.lot, location=loc or None,
                     date=v.date, quantity=q, suggestion=suggestion)
        else:
            owners = sorted(self.cat.info(o).name for o in self.by_key.get(key, ()))
            self.add("LOT_PRODUCT_MISMATCH",
                     f"Lot {v.lot} belongs to {', '.join(owners)}, not to {info.name}.",
                     v.ref, "lot", product=info.name, lot=v.lot, location=loc or None,
                     date=v.date, quantity=q, suggestion=suggestion)

    def _amend_missing_lot(self, v: VisitRow, suggestion: str | None) -> None:
        self.missing_lot_suggestions[(v.ref.table.file, v.ref.table.sheet, v.ref.row)] = suggestion

    def _unlogged(self, row, lot: Lot, q: Decimal) -> None:
        self.add("UNLOGGED_TRANSFER",
                 f"Lot {lot.lot} of {lot.product} is recorded{_at(row.location)} but was only "
                 f"received{_at(lot.location)}: product moved without a transfer row.",
                 row.ref, "lot", product=lot.product, lot=lot.lot, location=row.location or None,
                 date=row.date, quantity=q,
                 suggestion=f"Add a transfer of lot {lot.lot} from {lot.location or '(blank)'} "
                            f"to {row.location or '(blank)'}.")

    def _book_take(self, v: VisitRow, i: int, take: VisitTake, lot: Lot, q: Decimal, day: int,
                   inferred: bool) -> None:
        if v.date.toordinal() < lot.first_received_ord:
            self.add("USE_BEFORE_RECEIPT",
                     f"Lot {lot.lot} was used on {v.date.isoformat()}, before it was received on "
                     f"{lot.first_received.isoformat()}.",
                     v.ref, "date", product=lot.product, lot=lot.lot, location=v.location or None,
                     date=v.date, quantity=q,
                     suggestion="Check the visit date and the receipt date.")
        self._take(lot, q, v.ref, day)
        lot.used += q
        if inferred:
            lot.used_inferred += q
            take.inferred = True
        if lot.cost is not None:
            take.exact += q * lot.cost
        else:
            self._estimate(take, lot.product_key, q)
        if self.moving:
            self._move("used", lot, v.date, q, v.ref, inferred, patient=v.patient,
                       provider=v.provider, visit=visit_key(v))

    def _estimate(self, take: VisitTake, pk: str, q: Decimal) -> None:
        mean = self._means.get(pk)
        if mean is not None:
            take.estimated += q * mean

    def _open_vial(self, i: int, v: VisitRow, pk: str) -> Lot | None:
        if not v.provider:
            return None
        if self._evidence is None:
            self._evidence = self._open_vial_evidence()
        lst = self._evidence.get((pk, v.provider, v.location, v.date))
        if not lst:
            return None
        pos = bisect.bisect_left(lst, (i, ""))
        if pos > 0:
            key = lst[pos - 1][1]
        elif pos < len(lst):
            key = lst[pos][1] if lst[pos][0] != i else (lst[pos + 1][1] if pos + 1 < len(lst) else None)
        else:
            key = None
        if key is None:
            return None
        lot, how = self.resolve(pk, key, v.location, alias=False)
        return lot

    def _open_vial_evidence(self) -> dict[tuple, list[tuple[int, str]]]:
        """Per (product, provider, location, date) that a row without a usable lot could
        ask about, the recorded lots of that day in sheet order: [(visit index, lot key)].

        Rows of one date are swept in sheet order, so a visit's index orders them as the
        sweep does. Only the groups some row could ask about are built: a row asks only
        when its lot is missing or its (product, lot key) is not a lot (`resolve`), and the
        set of (product, lot key) pairs that are lots is fixed once the receipts are booked
        (a transfer creates a lot under its source's pair)."""
        visits = self.p.visits
        by_pk = self.by_pk
        pk_of = {name: self.cat.resolve(name) for name in dict.fromkeys(map(attrgetter("product"), visits))}
        asked: set[tuple] = set()
        recorded: list[int] = []
        for j, row in enumerate(visits):
            if not row.provider:
                continue
            key = row.lot_key
            if key is None or (pk_of[row.product], key) not in by_pk:
                asked.add((pk_of[row.product], row.provider, row.location, row.date))
            else:
                recorded.append(j)
        ev: dict[tuple, list[tuple[int, str]]] = {}
        if not asked:
            return ev
        days = {a[3] for a in asked}
        for j in recorded:
            row = visits[j]
            if row.date in days:
                gk = (pk_of[row.product], row.provider, row.location, row.date)
                if gk in asked:
                    ev.setdefault(gk, []).append((j, row.lot_key))
        return ev

    def _in_units_of_use(self, row, pk: str, quantity: Decimal, qfield: str) -> Decimal | None:
        """The row's quantity in its product's unit of use; None (and UNKNOWN_UNIT) when
        its unit does not convert: such a row takes nothing."""
        f = self.cat.factor(pk, row.unit)
        if f is None:
            self._unknown_unit(row, pk, qfield)
            return None
        return quantity * f if f != 1 else quantity

    def book_adjustment(self, a: AdjustmentRow) -> None:
        pk = self.cat.resolve(a.product)
        q = self._in_units_of_use(a, pk, a.quantity, "quantity")
        if q is None:
            return
        lot, how = self.resolve(pk, a.lot_key, a.location, alias=True)
        info = self.cat.info(pk)
        if lot is None:
            self._lot_error(a, pk, how, q)
            return
        if how == "other":
            self._unlogged(a, lot, q)
        elif how == "alias":
            self._product_alias(a, lot, q)
            info = self.cat.info(lot.product_key)
        day = a.date.toordinal()
        removes = a.type is not AdjustmentType.ADJUSTMENT or q < 0
        if removes and day < lot.first_received_ord:
            self.add("USE_BEFORE_RECEIPT",
                     f"Lot {lot.lot} has a {a.type.value} on {a.date.isoformat()}, before it was "
                     f"received on {lot.first_received.isoformat()}.",
                     a.ref, "date", product=info.name, lot=lot.lot, location=a.location or None,
                     date=a.date, quantity=q)
        t = a.type
        if self.moving:
            kind = {AdjustmentType.WASTE: "wasted", AdjustmentType.EXPIRED: "expired",
                    AdjustmentType.RETURN: "returned", AdjustmentType.ADJUSTMENT: "adjusted",
                    AdjustmentType.TRANSFER: "transfer_out"}[t]
            self._move(kind, lot, a.date, q, a.ref,
                       other_location=a.to_location if t is AdjustmentType.TRANSFER else None)
        if t is AdjustmentType.ADJUSTMENT:
            self._touch(lot, day)
            lot.adjusted += q
            self._set(lot, lot.balance + q)
            if q < 0:
                lot.last_taker = a.ref
            return
        self._take(lot, q, a.ref, day)
        if t is AdjustmentType.WASTE:
            lot.wasted += q
        elif t is AdjustmentType.EXPIRED:
            lot.expired_out += q
        elif t is AdjustmentType.RETURN:
            lot.returned += q
        else:
            lot.transferred_out += q
            dest_ident = (lot.product_key, lot.lot_key, a.to_location)
            dest = self.lots.get(dest_ident)
            if dest is None:
                dest = self.pending.pop(dest_ident, None)
                if dest is None:
                    dest = Lot(lot.product_key, lot.product, lot.lot, lot.lot_key, a.to_location, lot.expiration,
                               lot.unit, lot.cost, None, None, created_by_transfer=True)
                else:
                    dest.cost = lot.cost
                dest.first_ref = a.ref
                self._register(dest)
            self._touch(dest, day)
            dest.transferred_in += q
            self._set(dest, dest.balance + q)
            if self.moving:
                self._move("transfer_in", dest, a.date, q, a.ref, other_location=lot.location)

    def _lot_error(self, row, pk: str, how: str, q: Decimal) -> None:
        info = self.cat.info(pk)
        if how == "UNKNOWN_LOT":
            near = self.near_keys(pk, row.lot_key)
            where = _at(row.location)
            self.add("UNKNOWN_LOT",
                     f"Lot {row.lot} of {info.name} is not in the inventory{where}; the row takes nothing.",
                     row.ref, "lot", product=info.name, lot=row.lot, location=row.location or None,
                     date=row.date, quantity=q,
                     suggestion=("Did you mean " + " or ".join(self._display(pk, k) for k in near) + "?")
                     if near else None)
        else:
            owners = sorted(self.cat.info(o).name for o in self.by_key.get(row.lot_key, ()))
            self.add("LOT_PRODUCT_MISMATCH",
                     f"Lot {row.lot} belongs to {', '.join(owners)}, not to {info.name}; the row takes nothing.",
                     row.ref, "lot", product=info.name, lot=row.lot, location=row.location or None,
                     date=row.date, quantity=q)

    def book_count(self, c: CountRow) -> None:
        pk = self.cat.resolve(c.product)
        counted = self._in_units_of_use(c, pk, c.counted, "counted")
        if counted is None:
            return
        locs = self.by_pk.get((pk, c.lot_key))
        lot = locs.get(c.location) if locs else None
        if lot is None:
            how = "UNKNOWN_LOT" if locs or not self.by_key.get(c.lot_key) else "LOT_PRODUCT_MISMATCH"
            self._lot_error(c, pk, how, counted)
            return
        day = c.date.toordinal()
        self._touch(lot, day)
        diff = counted - lot.balance
        lot.count_variance += diff
        if self.moving:
            self._move("count", lot, c.date, diff, c.ref)
        if abs(diff) > self.tol:
            self.add("COUNT_VARIANCE",
                     f"Counted {_fmt(counted)} of lot {lot.lot}; the ledger expected "
                     f"{_fmt(lot.balance)} ({'+' if diff > 0 else ''}{_fmt(diff)}).",
                     c.ref, "counted", product=lot.product, lot=lot.lot, location=c.location or None,
                     date=c.date, quantity=diff,
                     value=diff * lot.cost if lot.cost is not None else None)
        self._set(lot, counted)


def visit_key(v: VisitRow) -> str:
    """A visit is the rows sharing a visit ID, or else date + patient (+ provider)."""
    if v.visit_id:
        return v.visit_id
    return "|".join((v.date.isoformat(), v.patient or "", v.provider or ""))


def _at(location: str) -> str:
    return f" at {location}" if location else ""


def book_events(practice: Practice, catalog: Catalog, opts: Options) -> tuple[Booking, dict]:
    """Run the sweep. Returns the booking and the suggestions to attach to MISSING_LOT
    findings (raised by the parse stage, amended here with the inferred lot)."""
    b = Booker(practice, catalog, opts)
    booking = b.run()
    return booking, b.missing_lot_suggestions
