"""The month's inventory journal: a `Result` plus accounts and a month in, balanced
entries in cents out. Pure: no files, no history; the caller hands in what was posted.

Rules (issue 11; docs/ACCOUNTING.md says how the import files are laid out):

- Figures come from `audit.periods.compute_periods` (the one place that sums a month's
  movement values), run once per location and product category over the whole ledger
  (`MonthTable`: one pass serves the journal and the check of every posted month):
  COGS (exact cost of the visit rows dated in the month, the same numbers as
  `cogs.by_month`), waste, expired, returned, adjusted (signed), shrinkage (counts that
  found less) and count gains (counts that found more = count variance + shrinkage).
  Estimated COGS is the month's `cogs.by_visit[].estimated` (quantity no lot's cost
  covered, SPEC §2), on its own line, to the COGS account.
- Each figure is a pair of lines of the same amount (Dr the expense / Cr inventory, or
  the other way for a gain or a positive adjustment), so every entry balances by
  construction. One entry per location when the practice has several.
- Cents: each practice-wide monthly figure is rounded once (half up, to the cent) and
  its cents are allocated over its parts (locations x categories) by largest remainder:
  every part is floored to the cent and the cents left go to the parts with the largest
  fractions (ties: the earlier part). So the lines of a figure add up exactly to the
  figure rounded once, and no line is off by more than a cent. Rejected: rounding each
  line on its own (the lines then miss the report's figure by a cent or more), and
  putting all the rounding on one "rounding" line (a bookkeeper must then explain it).
- Posted months stay closed: for every posted month before the one asked for, the
  difference between what its figures are now and what was posted for it (with earlier
  adjustments) is an adjusting entry dated in the asked month, per location and account.
  `posted_changes` lists the same differences for the POSTED_PERIOD_CHANGED finding.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext

from lotsync.audit.periods import compute_periods
from lotsync.reconcile.lots import LEDGER_CONTEXT, ZERO
from lotsync.model import Source
from lotsync.reconcile.result import Cogs, Result
from lotsync.tables.values import product_key

CENT = Decimal("0.01")
NO_CATEGORY = ""

#: Figure kinds in the order their lines appear in an entry.
KINDS = ("cogs", "estimated", "waste", "expired", "returned", "shrinkage", "count_gain", "adjusted")

_LABEL = {
    "cogs": "Cost of goods sold",
    "estimated": "Estimated cost of goods sold (use no lot cost covered, at the product's mean cost)",
    "waste": "Waste",
    "expired": "Expired write-off",
    "returned": "Returns to vendor",
    "shrinkage": "Inventory shrinkage (counts below the ledger)",
    "count_gain": "Inventory count gain (counts above the ledger)",
    "adjusted": "Inventory adjustments",
}


@dataclass(frozen=True)
class Accounts:
    """The chart-of-accounts names the journal posts to (lotsync.toml `[accounting]`)."""

    inventory: str = "1400 Inventory"
    cogs: str = "5000 Cost of goods sold"
    waste: str = "5100 Waste"
    expired: str = "5110 Expired write-off"
    shrinkage: str = "5120 Inventory shrinkage"
    adjustment: str = "5130 Inventory adjustments"
    returns: str = "2000 Accounts payable"
    cogs_by_category: tuple[tuple[str, str], ...] = ()  # (category, account)

    def cogs_for(self, category: str) -> str:
        want = category.casefold()
        for cat, acct in self.cogs_by_category:
            if cat.casefold() == want:
                return acct
        return self.cogs

    def expense(self, kind: str, category: str = NO_CATEGORY) -> str:
        """The account a figure of `kind` moves against inventory."""
        if kind == "cogs":
            return self.cogs_for(category) if category else self.cogs
        return {"estimated": self.cogs, "waste": self.waste, "expired": self.expired,
                "returned": self.returns, "shrinkage": self.shrinkage, "count_gain": self.shrinkage,
                "adjusted": self.adjustment}[kind]


@dataclass(frozen=True)
class RowMark:
    """A ledger row that contributed to a line: enough to tell later whether it changed
    (file name, sheet, the row's content fingerprint, its value) and to name its cell."""

    file: str
    sheet: str | None
    fingerprint: str
    value: str
    where: str
    source: Source | None = field(default=None, compare=False, repr=False)  # this run's rows only


@dataclass(frozen=True)
class Line:
    account: str
    debit: int  # cents
    credit: int  # cents
    description: str
    location: str
    kind: str
    for_month: str  # the month whose figures this line books (an adjusting line: the posted month)
    rows: tuple[RowMark, ...] = field(default=(), compare=False, repr=False)

    @property
    def net(self) -> int:
        return self.debit - self.credit


@dataclass(frozen=True)
class Entry:
    number: str  # QuickBooks "JournalNo": one per entry
    date: dt.date
    narration: str  # Xero groups lines by narration and date
    location: str
    lines: tuple[Line, ...]
    adjusting_for: str | None = None  # the posted month this entry corrects

    @property
    def debits(self) -> int:
        return sum(l.debit for l in self.lines)

    @property
    def credits(self) -> int:
        return sum(l.credit for l in self.lines)


@dataclass(frozen=True)
class Figure:
    """One practice-wide monthly figure, exact and rounded once, with the cents of its parts."""

    kind: str
    exact: Decimal
    cents: int  # the figure rounded once, in cents
    parts: tuple[tuple[str, str, int], ...]  # (location, category, cents)


@dataclass(frozen=True)
class Journal:
    month: str
    entries: tuple[Entry, ...]
    figures: tuple[Figure, ...]
    locations: tuple[str, ...]


@dataclass(frozen=True)
class PostedLine:
    """A line as the history keeps it after `lotsync journal --post`."""

    posted_month: str  # the month of the journal it was posted in
    for_month: str
    location: str
    account: str
    net: int  # cents, debit positive
    rows: tuple[RowMark, ...] = ()


@dataclass(frozen=True)
class Change:
    """A posted month whose figure for one account (and location) is not what was posted."""

    month: str
    location: str
    account: str
    posted: int  # cents, debit positive, with adjustments already posted
    now: int
    added: tuple[RowMark, ...]  # rows not in what was posted (or with another value)
    removed: tuple[RowMark, ...]  # rows posted that are gone or changed


# --- figures ------------------------------------------------------------------------------


def parse_month(text: str) -> tuple[dt.date, dt.date]:
    """'YYYY-MM' -> (first day, last day); ValueError worded for the user."""
    try:
        first = dt.date.fromisoformat(f"{text.strip()}-01")
    except ValueError:
        raise ValueError(f"{text!r} is not a month (use YYYY-MM, e.g. 2026-03)") from None
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def category_map(products) -> dict[str, str]:
    """product key -> category, from the catalog's rows (names and aliases)."""
    out: dict[str, str] = {}
    for p in products:
        if not p.category:
            continue
        for name in (p.product, *p.aliases):
            out.setdefault(product_key(name), p.category.strip())
    return out


def round_cents(v: Decimal) -> int:
    return int((v / CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def allocate(total: Decimal, parts: list[Decimal]) -> list[int]:
    """Cents for each part so that they add up to `total` rounded once (largest remainder)."""
    target = round_cents(total)
    scaled = [p / CENT for p in parts]
    floors = [int(s.to_integral_value(rounding=ROUND_FLOOR)) for s in scaled]
    left = target - sum(floors)
    order = sorted(range(len(parts)), key=lambda i: (-(scaled[i] - floors[i]), i))
    out = list(floors)
    for i in order[:max(0, left)]:
        out[i] += 1
    return out


def _mark(m) -> RowMark | None:
    ref = m.ref
    if ref is None:
        return None
    src = ref.source("lot")
    return RowMark(src.file.rsplit("/", 1)[-1], src.sheet, ref.fingerprint, str(m.value), src.where, src)


class MonthTable:
    """Every month's exact figures per (kind, location, category), built once per result:
    one `compute_periods` per part (location x category) over the whole ledger, so a
    journal and the check of every posted month cost one pass, not one pass a month.
    The rows behind a month's figures are marked (content fingerprints) only when asked."""

    def __init__(self, result: Result, categories: dict[str, str]) -> None:
        with localcontext(LEDGER_CONTEXT):
            self._build(result, categories)

    def _build(self, result: Result, categories: dict[str, str]) -> None:
        if result.lots and not result.movements:
            raise ValueError("the journal needs the ledger's movements: reconcile with "
                             "Options(keep_movements=True)")
        self.as_of = result.as_of
        cat_of: dict[str, str] = {}
        groups: dict[tuple[str, str], list] = defaultdict(list)
        self._moves: dict[str, list] = defaultdict(list)  # month -> (movement, location, category)
        for m in result.movements:
            cat = cat_of.get(m.product)
            if cat is None:
                cat = cat_of[m.product] = categories.get(product_key(m.product), NO_CATEGORY)
            groups[(m.location, cat)].append(m)
            if m.value and m.date is not None and m.date <= result.as_of:
                self._moves[m.date.isoformat()[:7]].append((m, m.location, cat))
        self.values: dict[str, dict[tuple[str, str, str], Decimal]] = defaultdict(dict)
        empty = Cogs(total=ZERO, estimated=ZERO, by_visit=(), by_provider=(), by_product=(), by_month=())
        for (loc, cat), movements in sorted(groups.items()):
            sub = replace(result, movements=tuple(movements), lots=(), findings=(), inputs=(), cogs=empty)
            for f in compute_periods(sub).months:
                gain = f.count_variance_value + f.shrinkage_value
                for kind, v in (("cogs", f.cogs), ("waste", f.waste_value), ("expired", f.expired_value),
                                ("returned", f.returned_value), ("shrinkage", f.shrinkage_value),
                                ("count_gain", gain), ("adjusted", f.adjusted_value)):
                    if v:
                        self.values[f.period][(kind, loc, cat)] = v
        for v in result.cogs.by_visit:
            if v.estimated and v.date <= result.as_of:
                month = self.values[v.date.isoformat()[:7]]
                k = ("estimated", v.location, NO_CATEGORY)
                month[k] = month.get(k, ZERO) + v.estimated
        self._rows: dict[str, dict] = {}

    def rows(self, month: str) -> dict[tuple[str, str, str], list[RowMark]]:
        got = self._rows.get(month)
        if got is None:
            got = self._rows[month] = defaultdict(list)
            for m, loc, cat in self._moves.get(month, ()):
                kind = ("shrinkage" if m.value < 0 else "count_gain") if m.kind == "count" else _KIND_OF.get(m.kind)
                mk = _mark(m) if kind is not None else None
                if mk is not None:
                    got[(kind, loc, cat)].append(mk)
        return got

    def figures(self, month: str) -> tuple[Figure, ...]:
        """The month's figures, each rounded once and allocated over its parts."""
        values = self.values.get(month, {})
        out = []
        with localcontext(LEDGER_CONTEXT):
            for kind in KINDS:
                keys = sorted(k for k in values if k[0] == kind)
                if not keys:
                    continue
                exact = sum((values[k] for k in keys), ZERO)
                cents = allocate(exact, [values[k] for k in keys])
                out.append(Figure(kind, exact, round_cents(exact),
                                  tuple((k[1], k[2], c) for k, c in zip(keys, cents))))
        return tuple(out)

    def lines(self, month: str, accounts: Accounts, with_rows: bool = True) -> list[Line]:
        """The month's lines; `with_rows=False` skips marking the rows behind them (a
        posted month is checked by amounts first, its rows read only when one differs)."""
        return month_lines(self.figures(month), self.rows(month) if with_rows else {}, accounts, month)


_KIND_OF = {"used": "cogs", "wasted": "waste", "expired": "expired", "returned": "returned",
            "adjusted": "adjusted"}


# --- lines and entries --------------------------------------------------------------------


def _pair(kind: str, cents: int, expense: str, accounts: Accounts, desc: str, loc: str,
          month: str, rows: tuple[RowMark, ...]) -> list[Line]:
    """Dr expense / Cr inventory for a positive loss; the other way for a gain, or a
    positive adjustment (stock added)."""
    stock_added = kind == "count_gain" or (kind == "adjusted" and cents > 0)
    a = abs(cents)
    if stock_added:
        return [Line(accounts.inventory, a, 0, desc, loc, kind, month, rows),
                Line(expense, 0, a, desc, loc, kind, month, rows)]
    return [Line(expense, a, 0, desc, loc, kind, month, rows),
            Line(accounts.inventory, 0, a, desc, loc, kind, month, rows)]


def month_lines(figures: tuple[Figure, ...], rows, accounts: Accounts, month: str) -> list[Line]:
    lines: list[Line] = []
    for f in figures:
        for loc, cat, cents in f.parts:
            if cents == 0:
                continue
            what = _LABEL[f.kind] + (f": {cat}" if f.kind == "cogs" and cat else "")
            desc = f"{what}, {month}" + (f" ({loc})" if loc else "")
            marks = tuple(rows.get((f.kind, loc, cat), ()))
            lines += _pair(f.kind, cents, accounts.expense(f.kind, cat), accounts, desc, loc, month, marks)
    # one line per account, location and kind: several categories sharing an account merge
    merged: dict[tuple, Line] = {}
    for l in lines:
        k = (l.location, l.kind, l.account, l.debit > 0, l.description if l.kind == "cogs" else "")
        cur = merged.get(k)
        merged[k] = l if cur is None else replace(cur, debit=cur.debit + l.debit, credit=cur.credit + l.credit,
                                                  rows=cur.rows + l.rows)
    return list(merged.values())


def _entry_number(month: str, i: int, adjusting_for: str | None = None) -> str:
    y, m = month.split("-")
    n = f"LS{y[2:]}{m}"
    if adjusting_for:
        ay, am = adjusting_for.split("-")
        n += f"-A{ay[2:]}{am}"
    return f"{n}-{i}"


def _locations(result: Result) -> tuple[str, ...]:
    return tuple(sorted({l.location for l in result.lots} | {m.location for m in result.movements}
                        | {v.location for v in result.cogs.by_visit}))


def build_journal(result: Result, month: str, accounts: Accounts, categories: dict[str, str],
                  posted: list[PostedLine] | tuple[PostedLine, ...] = (),
                  practice: str | None = None, table: MonthTable | None = None) -> Journal:
    """The month's entries (one per location), then an adjusting entry per posted earlier
    month whose figures changed since it was posted (`table`: the result's MonthTable when
    the caller has one already)."""
    _, end = parse_month(month)
    table = table or MonthTable(result, categories)
    figures = table.figures(month)
    lines = table.lines(month, accounts)
    locations = _locations(result) or ("",)
    several = len(locations) > 1
    head = f"{practice}: " if practice else ""
    entries = []
    for i, loc in enumerate(locations, 1):
        mine = tuple(l for l in lines if l.location == loc)
        if not mine:
            continue
        where = f" - {loc or '(no location)'}" if several else ""
        entries.append(Entry(_entry_number(month, i), end,
                             f"{head}lotsync inventory journal {month}{where}", loc, mine))
    for change_month, changes in _group_changes(posted_changes(table, accounts, posted, before=month)):
        by_loc: dict[str, list[Line]] = defaultdict(list)
        for c in changes:
            d = c.now - c.posted
            desc = f"Adjustment to posted {c.month}: {c.account}" + (f" ({c.location})" if c.location else "")
            by_loc[c.location].append(Line(c.account, max(d, 0), max(-d, 0), desc, c.location, "adjusting",
                                           c.month, c.added))
        for i, loc in enumerate(locations, 1):
            if by_loc.get(loc):
                where = f" - {loc or '(no location)'}" if several else ""
                entries.append(Entry(_entry_number(month, i, change_month), end,
                                     f"{head}lotsync adjustment to posted {change_month}{where}", loc,
                                     tuple(by_loc[loc]), adjusting_for=change_month))
    return Journal(month, tuple(entries), figures, locations)


def _group_changes(changes: list[Change]) -> list[tuple[str, list[Change]]]:
    out: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        out[c.month].append(c)
    return sorted(out.items())


# --- posted months ------------------------------------------------------------------------


def posted_changes(table: MonthTable, accounts: Accounts, posted: list[PostedLine] | tuple[PostedLine, ...],
                   before: str | None = None) -> list[Change]:
    """Every (posted month, location, account) whose net amount now differs from what was
    posted for it (original entry plus adjustments posted since), for posted months
    before `before` (all when None). Accounts the month did not touch when posted count
    as posted at zero."""
    by_month: dict[str, dict[tuple[str, str], list[PostedLine]]] = defaultdict(lambda: defaultdict(list))
    for p in posted:
        by_month[p.for_month][(p.location, p.account)].append(p)
    out: list[Change] = []
    for month in sorted(by_month):
        if before is not None and month >= before:
            continue
        was = by_month[month]
        amounts: dict[tuple[str, str], int] = defaultdict(int)
        for l in table.lines(month, accounts, with_rows=False):
            amounts[(l.location, l.account)] += l.net
        differ = [k for k in sorted(set(amounts) | set(was))
                  if amounts.get(k, 0) != sum(x.net for x in was.get(k, ()))]
        if not differ:
            continue
        now: dict[tuple[str, str], list[Line]] = defaultdict(list)
        for l in table.lines(month, accounts):
            now[(l.location, l.account)].append(l)
        for key in differ:
            n = amounts.get(key, 0)
            p = sum(x.net for x in was.get(key, ()))
            now_rows = {(r.file, r.sheet, r.fingerprint, r.value): r for l in now.get(key, ()) for r in l.rows}
            was_rows = {(r.file, r.sheet, r.fingerprint, r.value): r for x in was.get(key, ()) for r in x.rows}
            out.append(Change(month, key[0], key[1], p, n,
                              tuple(now_rows[k] for k in now_rows if k not in was_rows),
                              tuple(was_rows[k] for k in was_rows if k not in now_rows)))
    return out


def posted_lines_of(journal: Journal) -> list[PostedLine]:
    """What `--post` records: every line, by the month it books (adjusting lines: the
    posted month they correct, so that month then matches again)."""
    return [PostedLine(journal.month, l.for_month, l.location, l.account, l.net, l.rows)
            for e in journal.entries for l in e.lines]
