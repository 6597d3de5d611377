"""The bundled sample practice: a year of a two-location med spa's own spreadsheets.

Why it exists: `lotsync demo` writes this practice into a folder and reconciles it. It is the
first thing a new user sees, so the files must look like a real clinic's (title rows above
the header, a hand-kept Remaining column, expirations typed as "05/2027", a totals row,
one treatments tab per month, part of the waste log in a CSV), and the report must show
every kind of finding on books that are otherwise right. A demo that raised dozens of
accidental findings would teach the user to ignore the report.

How it stays "otherwise right": the practice is not drawn at random cell by cell. It is a
day-by-day simulation of stock (`_Sim`) that applies the ledger rules of SPEC §2 the same
way lotsync will: receipts, then transfers, then visit rows in sheet order, then
adjustments, then counts; lots chosen first-expired-first-out; reorders when stock runs
low; end-of-vial residue and expired stock written off; a quarterly count that matches.
The hand-kept Remaining column, the Q3 count and every write-off are read off that
simulation, so they agree with what lotsync derives. The planted problems are then either
made *during* the simulation (when they change balances: a FEFO violation, an over-use, a
duplicated row, a row that takes nothing) so that everything after them stays
consistent, or *after* it when they only change how a cell reads (a missing or mistyped
lot that lotsync's inference rules recover, a blank cost). `lotsync/demo_plan.py` lists
them; `plan_demo_practice().planted` recomputes that list and a test keeps the two equal.

Determinism: one seeded `random.Random`, no wall clock, no set iteration; two calls give
files with identical cell contents.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any

from lotsync.demo.plan import Planted

#: The demo's reconcile date: the last day of the simulated year.
DEMO_AS_OF: dt.date = dt.date(2026, 11, 30)

CLINIC = "Glow Aesthetics"
MAIN = "Main St"
WEST = "Westside"
LOCATIONS = (MAIN, WEST)

INVENTORY_FILE = "Inventory.xlsx"
TREATMENTS_FILE = "Treatments 2026.xlsx"
WASTE_CSV = "westside-waste.csv"

RECEIVING_SHEET = "Receiving"
PRODUCTS_SHEET = "Products"
ADJUST_SHEET = "Waste & Transfers"
COUNT_SHEET = "Q3 Count"
MONTH_TABS = tuple(calendar.month_abbr[m] for m in range(1, 12))  # Jan .. Nov

RECEIVING_HEADER = (
    "Date Received", "Product", "Lot #", "Exp Date", "Qty Received", "Unit",
    "Unit Cost", "Remaining", "Location", "Supplier", "Invoice #",
)
RECEIVING_TITLE_ROWS = 2  # title, blank; the header is row 3
PRODUCTS_HEADER = ("Product", "Aliases", "Unit", "Package Unit", "Units per Package", "Category")
ADJUST_HEADER = ("Date", "Product", "Lot #", "Qty", "Unit", "Type", "Reason", "Location", "To Location", "Staff")
COUNT_HEADER = ("Date", "Product", "Lot #", "Counted", "Location")
TREATMENTS_HEADER = (
    "Date of Service", "Patient", "Provider", "Product", "Lot #", "Units Used", "Unit",
    "Location", "Visit ID", "Charge",
)

_SEED = 20261130
_START = dt.date(2026, 1, 2)
_COUNT_DAY = dt.date(2026, 9, 30)
_HOLIDAYS = (dt.date(2026, 1, 1), dt.date(2026, 5, 25), dt.date(2026, 7, 4), dt.date(2026, 9, 7),
             dt.date(2026, 11, 26))
_WINDOW = dt.timedelta(days=60)  # SPEC: default expiring-soon window

D = Decimal
ZERO = D(0)


# --------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class _Product:
    name: str
    aliases: tuple[str, ...]
    unit: str  # unit of use
    package_unit: str
    per_package: Decimal
    category: str
    cost: Decimal  # per package
    supplier: str
    shelf: tuple[int, int]  # months to a month-end expiry, or days to a BUD date
    bud: bool  # compounded: expires on an exact date (beyond-use date)
    lot_style: str
    min_dose: Decimal  # below this a lot's residue is unusable and is wasted
    min_order: int  # packages
    charge: Decimal  # per unit of use
    kind: str  # toxin, filler, biostim, glp1, vitamin


BOTOX = _Product("Botox Cosmetic 100U", ("Botox",), "units", "vial", D(100), "Neurotoxin", D("612.00"),
                 "Allergan Aesthetics", (18, 30), False, "botox", D(20), 10, D(13), "toxin")
DYSPORT = _Product("Dysport 300U", ("Dysport",), "units", "vial", D(300), "Neurotoxin", D("720.00"),
                   "Galderma", (12, 21), False, "dysport", D(30), 4, D("4.50"), "toxin")
XEOMIN = _Product("Xeomin 100U", ("Xeomin",), "units", "vial", D(100), "Neurotoxin", D("545.00"),
                  "Merz Aesthetics", (24, 36), False, "xeomin", D(20), 4, D(11), "toxin")
JUVEDERM = _Product("Juvederm Ultra XC 1mL", ("Juvederm Ultra XC",), "mL", "syringe", D(1), "Dermal Filler",
                    D("330.00"), "Allergan Aesthetics", (12, 24), False, "juvederm", D("0.5"), 6, D(725), "filler")
LYFT = _Product("Restylane Lyft 1mL", ("Restylane Lyft", "Lyft"), "mL", "syringe", D(1), "Dermal Filler",
                D("345.00"), "Galderma", (12, 24), False, "lyft", D("0.5"), 6, D(750), "filler")
RHA2 = _Product("RHA 2", ("RHA2",), "mL", "syringe", D(1), "Dermal Filler", D("310.00"),
                "Revance", (12, 24), False, "rha", D("0.5"), 6, D(700), "filler")
SCULPTRA = _Product("Sculptra", ("Sculptra Aesthetic",), "vial", "vial", D(1), "Biostimulator", D("460.00"),
                    "Galderma", (18, 30), False, "sculptra", D(1), 4, D(900), "biostim")
SEMA = _Product("Semaglutide 2.5 mg/mL 2 mL vial", ("Semaglutide", "Sema"), "mg", "vial", D(5),
                "GLP-1 (compounded)", D("120.00"), "Cedar Park Compounding", (150, 180), True, "sema",
                D("0.25"), 4, D(0), "glp1")
TIRZ = _Product("Tirzepatide 10 mg/mL 2 mL", ("Tirzepatide", "Tirz"), "mg", "vial", D(20),
                "GLP-1 (compounded)", D("235.00"), "Cedar Park Compounding", (150, 180), True, "tirz",
                D("2.5"), 2, D(0), "glp1")
B12 = _Product("B12 Cyanocobalamin 1mL", ("B12", "Vitamin B12"), "mL", "box", D(25), "Wellness", D("38.50"),
               "Henry Schein", (12, 24), False, "b12", D(1), 2, D(25), "vitamin")

PRODUCTS: tuple[_Product, ...] = (BOTOX, DYSPORT, XEOMIN, JUVEDERM, LYFT, RHA2, SCULPTRA, SEMA, TIRZ, B12)

#: Botox went up on July 1 (the COST_CONFLICT story hangs on it).
_BOTOX_NEW_PRICE = D("624.00")
_PRICE_CHANGE = dt.date(2026, 7, 1)

_PLURAL = {"vial": "vials", "syringe": "syringes", "box": "boxes"}

# Providers, the days they work (Mon=0), and how they spell things in the EMR.
_PROVIDERS = {
    MAIN: (("Dr. Kim", (0, 2, 4, 5)), ("Jessica RN", (0, 1, 2, 3, 4)), ("Maria NP", (1, 3))),
    WEST: (("Maria NP", (2, 4, 5)), ("Tara PA-C", (1, 2, 3, 4, 5))),
}
_OPEN_DAYS = {MAIN: (0, 1, 2, 3, 4, 5), WEST: (1, 2, 3, 4, 5)}
_SHORT_NAMES = {"Jessica RN", "Tara PA-C"}  # write "Botox", "Lyft" rather than the catalog name
_SYRINGE_WRITERS = {"Jessica RN"}  # write whole fillers as "1 syringe"
_U_WRITERS = {"Tara PA-C"}  # write toxin units as "u"

_FIRST = ("Ava", "Olivia", "Emma", "Sophia", "Mia", "Isabella", "Charlotte", "Amelia", "Harper", "Evelyn",
          "Abigail", "Emily", "Ella", "Elizabeth", "Camila", "Luna", "Sofia", "Avery", "Mila", "Aria",
          "Scarlett", "Penelope", "Layla", "Chloe", "Victoria", "Madison", "Eleanor", "Grace", "Nora",
          "Riley", "Zoey", "Hannah", "Hazel", "Lily", "Ellie", "Violet", "Lillian", "Zoe", "Stella",
          "Aurora", "Natalie", "Emilia", "Leah", "Lucy", "Michael", "David", "James", "Daniel", "Ryan",
          "Chris")
_LAST = ("Thompson", "Martinez", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee",
         "Perez", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker",
         "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
         "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
         "Gomez", "Phillips", "Evans")


# --------------------------------------------------------------------------- state


@dataclass(eq=False)
class _Receipt:
    lot: _Lot
    date: dt.date  # as written on the receiving log
    packages: int
    cost: Decimal | None
    supplier: str
    invoice: str
    remaining: Decimal | None = None  # as written (row unit); filled at the end
    exp_blank: bool = False
    row: int = 0


@dataclass(eq=False)
class _Lot:
    product: _Product
    lot: str
    location: str
    exp: dt.date
    first_received: dt.date
    bal: Decimal = ZERO  # units of use
    receipts: list[_Receipt] = field(default_factory=list)
    from_transfer: bool = False
    exp_text: bool = False  # expiration written as "MM/YYYY" text
    writeoff_on: dt.date | None = None
    hold_writeoff: bool = False  # waiting for the EXPIRED_USE visit
    never_writeoff: bool = False  # the EXPIRED_ON_HAND lot
    tags: list[str] = field(default_factory=list)  # planted problems it is part of

    def fefo_key(self) -> tuple:
        return (self.exp, self.first_received, _key(self.lot))


@dataclass(eq=False)
class _Visit:
    date: dt.date
    location: str
    provider: str
    patient: str
    product: _Product
    q: Decimal  # units of use
    unit: str
    charge: Decimal
    visit: int  # index of the visit the row belongs to
    minute: int
    # what the row records and what it took (SPEC view)
    product_text: str = ""
    lot_text: str | None = None
    qty_cell: Any = None
    date_cell: Any = None
    unit_cell: Any = None
    lot: _Lot | None = None  # the lot the row records (and, unless noted, takes from)
    applied: bool = True  # False: the row takes nothing (kept out / unknown unit)
    fefo_head: _Lot | None = None  # engine-FEFO first lot with stock just before the row
    head_covers: bool = False
    planted: str | None = None
    reserved: bool = False  # evidence for a planted row: leave it alone
    sheet: str = ""
    row: int = 0
    visit_id: int = 0
    seq: int = 0  # position in sheet order across all month tabs


@dataclass(eq=False)
class _Adjust:
    date: dt.date
    lot: _Lot
    qty: Decimal  # in `unit`
    unit: str
    type: str
    reason: str
    location: str
    to_location: str | None
    staff: str
    in_csv: bool
    row: int = 0


@dataclass(eq=False)
class _Count:
    date: dt.date
    lot: _Lot
    counted: Decimal
    row: int = 0


@dataclass(frozen=True)
class DemoPractice:
    """The demo as cell values, before any file is written.

    `workbooks` maps a file name to its tabs in order; each tab is a list of rows (row 1
    first) of cell values. `csv_files` maps a file name to its rows of text. `files` is the
    order to pass them to reconcile. `number_formats` maps (file, sheet, column letter) to an
    Excel number format, for looks only.
    """

    workbooks: dict[str, dict[str, list[list[Any]]]]
    csv_files: dict[str, list[list[str]]]
    files: tuple[str, ...]
    planted: list[Planted]
    number_formats: dict[tuple[str, str, str], str]


def _key(lot: str) -> str:
    return "".join(ch for ch in lot.upper() if ch.isalnum())


def _lev(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return _month_end(d.year + m // 12, m % 12 + 1)


def _num(x: Decimal) -> int | float:
    """A Decimal as the plain number a person would have typed."""
    return int(x) if x == x.to_integral_value() else float(x)


def _fmt(x: Decimal) -> str:
    """A Decimal as plain text without trailing zeros ("0.5", "43.3", "2")."""
    return format(x.normalize(), "f")


def _unit_word(unit: str, qty: Decimal) -> str:
    return _PLURAL.get(unit, unit) if qty != 1 else unit


# --------------------------------------------------------------------------- simulation


class _Sim:
    """A year of stock movements at both locations, and the rows that record them."""

    def __init__(self) -> None:
        self.rng = random.Random(_SEED)
        # ~200 made-up patients from common first and last names (real ones would be PHI).
        pairs = [f"{first} {last}" for first in _FIRST for last in _LAST]
        self.rng.shuffle(pairs)
        self.patients = pairs[:200]
        self.lots: dict[tuple[str, str], list[_Lot]] = {(loc, p.name): [] for loc in LOCATIONS for p in PRODUCTS}
        self.all_lots: list[_Lot] = []
        self.receipts: list[_Receipt] = []
        self.visits: list[_Visit] = []
        self.adjusts: list[_Adjust] = []
        self.counts: list[_Count] = []
        self.keys: dict[str, _Product] = {}
        self.pending: dict[tuple[str, str], tuple[dt.date, int] | None] = {k: None for k in self.lots}
        self.usage: dict[tuple[str, str], list[tuple[dt.date, Decimal]]] = {k: [] for k in self.lots}
        self.invoices: dict[tuple[dt.date, str, str], str] = {}
        self.scheduled: list[tuple[dt.date, str, tuple]] = []  # end-of-day actions
        self.hooks: dict[str, Any] = {}
        self.skipped = 0
        self.visit_count = 0
        self.glp1 = self._glp1_patients()
        self.special: dict[str, _Lot] = {}
        self.fefo_skipped: dict[str, _Lot] = {}
        self.neg_before = ZERO

    # ----------------------------------------------------------------- calendar

    @staticmethod
    def is_open(loc: str, day: dt.date) -> bool:
        return day.weekday() in _OPEN_DAYS[loc] and day not in _HOLIDAYS

    def next_open(self, loc: str, day: dt.date) -> dt.date:
        while not self.is_open(loc, day):
            day += dt.timedelta(days=1)
        return day

    def providers(self, loc: str, day: dt.date) -> list[str]:
        return [name for name, days in _PROVIDERS[loc] if day.weekday() in days]

    # ----------------------------------------------------------------- lots

    def new_lot_number(self, p: _Product, day: dt.date) -> str:
        rng = self.rng
        dg = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
        while True:
            s = p.lot_style
            if s == "botox":
                lot = f"{rng.choice('CDE')}{dg(4)}{rng.choice('CR')}{rng.randint(2, 6)}"
            elif s == "dysport":
                lot = f"{rng.choice('NPT')}{dg(5)}"
            elif s == "xeomin":
                lot = f"{rng.randint(1, 6)}{dg(5)}"
            elif s == "juvederm":
                lot = f"V{dg(2)}{rng.choice('ABCDEGLMSX')}{rng.choice('ABCEGLMX')}{dg(5)}"
            elif s == "lyft":
                lot = f"{rng.randint(1, 9)}{dg(4)}-{rng.randint(1, 9)}"
            elif s == "rha":
                lot = f"R2{dg(4)}-{dg(2)}"
            elif s == "sculptra":
                lot = f"{dg(2)}{rng.choice('HJKLMN')}{dg(3)}"
            elif s == "sema":
                lot = f"SG{day:%y%m%d}-{rng.randint(1, 9)}"
            elif s == "tirz":
                lot = f"TZ{day:%y%m%d}-{rng.randint(1, 9)}"
            else:
                lot = f"B{dg(5)}"
            k = _key(lot)
            if k in self.keys:
                continue
            if not p.bud and any(_lev(k, other) <= 3 for other, q in self.keys.items() if q is p):
                continue  # keeps any one-character typo repairable to exactly one lot
            self.keys[k] = p
            return lot

    def expiration(self, p: _Product, day: dt.date) -> dt.date:
        lo, hi = p.shelf
        if p.bud:
            exp = day + dt.timedelta(days=self.rng.randint(lo, hi))
        else:
            exp = _add_months(day, self.rng.randint(lo, hi))
        # Only the planted lots may be short-dated near the end of the year: no accidental
        # EXPIRING_SOON. (Anything expiring earlier is used up or written off.)
        if dt.date(2026, 11, 1) <= exp <= DEMO_AS_OF + _WINDOW + dt.timedelta(days=16):
            exp = dt.date(2027, 2, 15) if p.bud else dt.date(2027, 2, 28)
        return exp

    def invoice(self, day: dt.date, loc: str, supplier: str) -> str:
        k = (day, loc, supplier)
        if k not in self.invoices:
            prefix = {"Allergan Aesthetics": "9", "Galderma": "GA", "Merz Aesthetics": "MZ", "Revance": "RV",
                      "Cedar Park Compounding": "CP-", "Henry Schein": "HS"}[supplier]
            self.invoices[k] = f"{prefix}{self.rng.randint(1000000, 9999999)}"
        return self.invoices[k]

    def cost(self, p: _Product, day: dt.date) -> Decimal:
        if p is BOTOX and day >= _PRICE_CHANGE:
            return _BOTOX_NEW_PRICE
        return p.cost

    def receive(self, day: dt.date, loc: str, p: _Product, packages: int, *, exp: dt.date | None = None,
                exp_text: bool | None = None, lot: _Lot | None = None) -> _Lot:
        if lot is None:
            lot = _Lot(p, self.new_lot_number(p, day), loc, exp or self.expiration(p, day), day)
            lot.exp_text = (self.rng.random() < 0.12 and not p.bud) if exp_text is None else exp_text
            self.lots[(loc, p.name)].append(lot)
            self.all_lots.append(lot)
        r = _Receipt(lot, day, packages, self.cost(p, day), p.supplier,
                     self.invoice(day, loc, p.supplier))
        lot.receipts.append(r)
        lot.bal += packages * p.per_package
        self.receipts.append(r)
        return lot

    def live(self, loc: str, p: _Product, day: dt.date) -> list[_Lot]:
        """Lots not expired on `day`, in FEFO order."""
        return sorted((x for x in self.lots[(loc, p.name)] if x.exp >= day), key=_Lot.fefo_key)

    def pick(self, loc: str, p: _Product, day: dt.date, q: Decimal) -> _Lot | None:
        for x in self.live(loc, p, day):
            if x.bal >= q:
                return x
        return None

    # ----------------------------------------------------------------- demand

    def _glp1_patients(self) -> list[dict]:
        rng = self.rng
        out = []
        pool = list(range(200))
        rng.shuffle(pool)
        specs = [(MAIN, SEMA)] * 11 + [(MAIN, TIRZ)] * 4 + [(WEST, SEMA)] * 7 + [(WEST, TIRZ)] * 2
        for i, (loc, drug) in enumerate(specs):
            start = dt.date(2026, 1, 5) + dt.timedelta(days=rng.randint(0, 250))
            ladder = [D("0.25"), D("0.5"), D(1), D("1.7"), D("2.4")] if drug is SEMA else \
                [D("2.5"), D(5), D("7.5"), D(10), D("12.5")]
            out.append(dict(loc=loc, drug=drug, patient=self.patients[pool[i]], start=start,
                            weeks=rng.randint(14, 44), every=rng.choice((7, 14, 14, 14)),
                            top=rng.randint(2, len(ladder) - 1), ladder=ladder))
        return out

    def _glp1_today(self, loc: str, day: dt.date) -> list[tuple[dict, Decimal]]:
        out = []
        for g in self.glp1:
            if g["loc"] != loc or day < g["start"]:
                continue
            d = g["start"]
            end = g["start"] + dt.timedelta(weeks=g["weeks"])
            while d <= day and d <= end:
                if self.next_open(loc, d) == day:
                    weeks = (d - g["start"]).days // 7
                    step = min(g["top"], weeks // 4)
                    out.append((g, g["ladder"][step]))
                    break
                d += dt.timedelta(days=g["every"])
        return out

    def make_visits(self, day: dt.date) -> list[_Visit]:
        rng = self.rng
        rows: list[_Visit] = []
        seen: set[str] = set()
        for loc in LOCATIONS:
            if not self.is_open(loc, day):
                continue
            provs = self.providers(loc, day)
            visits: list[list[tuple[_Product, Decimal]]] = []
            patients: list[str] = []
            for g, dose in self._glp1_today(loc, day):
                items = [(g["drug"], dose)]
                if rng.random() < 0.35:
                    items.append((B12, D(1)))
                visits.append(items)
                patients.append(g["patient"])
            n = rng.randint(3, 7) if loc == MAIN else rng.randint(2, 4)
            lo, hi = (0, 140) if loc == MAIN else (90, 200)
            for _ in range(n):
                r = rng.random()
                items = []
                if r < 0.64:
                    items = [self._toxin(loc)]
                elif r < 0.80:
                    items = [self._filler()]
                elif r < 0.88:
                    items = [self._toxin(loc), self._filler()]
                elif r < 0.92:
                    items = [(SCULPTRA, D(rng.choice((1, 1, 1, 2, 2))))]
                else:
                    items = [(B12, D(1))]
                visits.append(items)
                while True:
                    pt = self.patients[rng.randrange(lo, hi)]
                    if pt not in seen and pt not in patients:
                        break
                patients.append(pt)
            for items, pt in zip(visits, patients):
                seen.add(pt)
                prov = rng.choice(provs)
                minute = rng.randrange(9 * 60, 18 * 60)
                self.visit_count += 1
                for p, q in items:
                    rows.append(self._row(day, loc, prov, pt, p, q, self.visit_count, minute))
        rows.sort(key=lambda v: (v.minute, v.location, v.visit))
        return rows

    def _toxin(self, loc: str) -> tuple[_Product, Decimal]:
        rng = self.rng
        r = rng.random()
        p = BOTOX if r < (0.70 if loc == MAIN else 0.75) else DYSPORT if r < 0.90 else XEOMIN
        if p is DYSPORT:
            q = rng.choice((30, 60, 60, 90, 90, 120, 120, 150))
        else:
            q = rng.choice((20, 20, 24, 24, 28, 30, 30, 32, 36, 36, 40, 40, 40, 44, 50, 50, 60, 64))
        return p, D(q)

    def _filler(self) -> tuple[_Product, Decimal]:
        rng = self.rng
        r = rng.random()
        p = JUVEDERM if r < 0.45 else LYFT if r < 0.80 else RHA2
        q = rng.choice((D(1),) * 14 + (D(2),) * 6 + (D("0.5"), D(3), D(3)))
        return p, q

    def _row(self, day, loc, prov, pt, p: _Product, q: Decimal, visit: int, minute: int) -> _Visit:
        if p.kind == "toxin":
            unit = "u" if prov in _U_WRITERS else "units"
        elif p.kind == "filler":
            unit = "syringe" if prov in _SYRINGE_WRITERS and q == q.to_integral_value() else "mL"
            if unit == "syringe":
                unit = _unit_word("syringe", q)
        elif p.kind == "biostim":
            unit = _unit_word("vial", q)
        else:
            unit = p.unit
        if p is SEMA:
            charge = D(99) if q <= D("0.5") else D(149) if q <= 1 else D(199)
        elif p is TIRZ:
            charge = D(249) if q <= 5 else D(299) if q <= 10 else D(349)
        else:
            charge = p.charge * q
        v = _Visit(day, loc, prov, pt, p, q, unit, charge, visit, minute)
        v.product_text = p.aliases[0] if prov in _SHORT_NAMES else p.name
        v.qty_cell = _num(q)
        v.date_cell = day
        v.unit_cell = unit
        return v

    # ----------------------------------------------------------------- the day loop

    def run(self) -> None:
        self._opening_stock()
        day = _START
        while day <= DEMO_AS_OF:
            self._scripted_receipts(day)
            self._arrivals(day)
            self._transfers(day)
            for v in self.make_visits(day):
                self._take(v)
            self._end_of_day(day)
            if day == _COUNT_DAY:
                self._count(day)
            self._reorder(day)
            day += dt.timedelta(days=1)

    def _opening_stock(self) -> None:
        opening = {
            MAIN: {BOTOX: 30, DYSPORT: 8, XEOMIN: 6, JUVEDERM: 20, LYFT: 16, RHA2: 10, SCULPTRA: 6,
                   SEMA: 8, TIRZ: 2, B12: 4},
            WEST: {BOTOX: 16, DYSPORT: 4, XEOMIN: 4, JUVEDERM: 10, LYFT: 8, RHA2: 6, SCULPTRA: 4,
                   SEMA: 4, TIRZ: 2, B12: 2},
        }
        for loc in LOCATIONS:
            for p, n in opening[loc].items():
                self.receive(_START, loc, p, n)

    #: Receipts the story needs on fixed dates: (date, location, product, packages, exp, text?, role)
    _SCRIPTED = (
        (dt.date(2026, 4, 7), WEST, SEMA, 14, dt.date(2026, 6, 30), False, "expired_use"),
        (dt.date(2026, 10, 6), WEST, XEOMIN, 3, dt.date(2026, 10, 31), False, "expired_on_hand"),
        (dt.date(2026, 11, 12), WEST, LYFT, 12, dt.date(2026, 12, 31), True, "expiring_lyft"),
        (dt.date(2026, 11, 16), MAIN, SEMA, 10, dt.date(2027, 1, 15), False, "expiring_sema"),
    )

    def _scripted_receipts(self, day: dt.date) -> None:
        for d, loc, p, n, exp, text, role in self._SCRIPTED:
            if d == day:
                lot = self.receive(day, loc, p, n, exp=exp, exp_text=text)
                lot.tags.append(role)
                self.special[role] = lot
                if role == "expired_use":
                    lot.hold_writeoff = True
                if role == "expired_on_hand":
                    lot.never_writeoff = True

    def _arrivals(self, day: dt.date) -> None:
        for k, pend in self.pending.items():
            if pend and pend[0] == day:
                loc, pname = k
                p = next(x for x in PRODUCTS if x.name == pname)
                self.pending[k] = None
                own = [x for x in self.lots[k] if x.receipts and not x.from_transfer]
                prev = max(own, key=lambda x: x.receipts[-1].date) if own else None
                if (p is BOTOX and loc == MAIN and day >= _PRICE_CHANGE and "cost_conflict" not in self.hooks
                        and prev is not None and prev.exp > day + dt.timedelta(days=300)):
                    # The distributor ships more of the lot already on the shelf, now at the new price.
                    prev.tags.append("cost_conflict")
                    self.receive(day, loc, p, pend[1], lot=prev)
                    self.hooks["cost_conflict"] = prev.receipts[-1]
                    continue
                # Distributors ship from big lots: a reorder is often the same lot as last time.
                if (prev is not None and not p.bud and prev.exp > day + dt.timedelta(days=240)
                        and all(r.cost == self.cost(p, day) for r in prev.receipts)
                        and not prev.tags and self.rng.random() < 0.85):
                    self.receive(day, loc, p, pend[1], lot=prev)
                    continue
                self.receive(day, loc, p, pend[1])

    _TRANSFERS = (
        (dt.date(2026, 2, 12), DYSPORT, 1),
        (dt.date(2026, 5, 6), JUVEDERM, 2),
        (dt.date(2026, 7, 22), BOTOX, 2),
        (dt.date(2026, 10, 8), SCULPTRA, 2),
    )

    def _transfers(self, day: dt.date) -> None:
        for d, p, n in self._TRANSFERS:
            if d != day:
                continue
            q = n * p.per_package
            src = next((x for x in self.live(MAIN, p, day) if x.bal >= q and not x.tags), None)
            if src is None:
                raise AssertionError(f"demo: no Main St lot of {p.name} to transfer on {day}")
            src.bal -= q
            dst = _Lot(p, src.lot, WEST, src.exp, day, from_transfer=True)
            dst.bal = q
            dst.tags.append("transfer_target")
            src.tags.append("transfer_source")
            self.lots[(WEST, p.name)].append(dst)
            self.all_lots.append(dst)
            self.adjusts.append(_Adjust(day, src, D(n), _unit_word(p.package_unit, D(n)), "transfer",
                                        "Westside running low", MAIN, WEST, "Jessica RN", False))

    def _take(self, v: _Visit) -> None:
        """Choose the row's lot as the clinic would (FEFO), plant what is planted here, apply."""
        p, loc, day, q = v.product, v.location, v.date, v.q
        live = self.live(loc, p, day)
        head = next((x for x in live if x.bal > 0), None)
        v.fefo_head, v.head_covers = head, bool(head and head.bal >= q)
        lot = self.pick(loc, p, day, q)
        h = self.hooks

        # EXPIRED_USE: the first Westside semaglutide visit after the scripted lot expired.
        xl = self.special.get("expired_use")
        if (xl and "expired_use" not in h and p is SEMA and loc == WEST and day > xl.exp and xl.bal >= q):
            h["expired_use"] = v
            v.planted = "EXPIRED_USE"
            self._record(v, xl)
            xl.hold_writeoff = False
            xl.writeoff_on = day + dt.timedelta(days=1)
            return

        if lot is None:
            self.skipped += 1
            return  # nothing on the shelf can cover it: the visit used another product; no row

        # Rows that take nothing (SPEC §2): planted, written, never applied.
        if "unknown_unit" not in h and p is B12 and loc == MAIN and day >= dt.date(2026, 2, 2):
            h["unknown_unit"] = v
            v.planted, v.unit_cell = "UNKNOWN_UNIT", "ampules"
            self._record(v, lot, apply=False)
            return
        if "invalid_date" not in h and p.kind == "toxin" and loc == WEST and day >= dt.date(2026, 4, 13):
            h["invalid_date"] = v
            v.planted, v.date_cell = "INVALID_VALUE:date", "13/45/2026"
            self._record(v, lot, apply=False)
            return
        if "invalid_qty" not in h and p is BOTOX and loc == MAIN and q == 20 and day >= dt.date(2026, 6, 8):
            h["invalid_qty"] = v
            v.planted, v.qty_cell = "INVALID_VALUE:qty", "twenty"
            self._record(v, lot, apply=False)
            return

        # FEFO_VIOLATION: a newer lot opened while the earlier-expiring one had enough.
        for name, kinds, where, since in (("fefo1", ("toxin",), MAIN, dt.date(2026, 3, 16)),
                                          ("fefo2", ("filler",), WEST, dt.date(2026, 9, 1))):
            if name not in h and p.kind in kinds and loc == where and day >= since and not lot.tags:
                alt = next((x for x in live if x.exp > lot.exp and x.bal >= q and not x.tags
                            and not x.from_transfer), None)
                if alt is not None:
                    h[name] = v
                    self.fefo_skipped[name] = lot
                    v.planted = "FEFO_VIOLATION"
                    lot.tags.append(f"{name}_skipped")
                    alt.tags.append(name)
                    self._record(v, alt)
                    return

        # NEGATIVE_BALANCE: a visit charged to the previous lot (the old sticker), which had too
        # little left or was used up. No earlier-expiring lot could have covered it, so it is not
        # also a FEFO violation. A count correction a few days later brings the lot back to zero.
        if "negative" not in h and p.kind in ("toxin", "filler") and loc == MAIN and day >= dt.date(2026, 5, 11):
            old = next((x for x in self.lots[(loc, p.name)]
                        if x is not lot and not x.from_transfer and x.exp >= day and ZERO <= x.bal < q
                        and x.first_received < lot.first_received and not x.tags
                        and not any(y.exp < x.exp and y.bal >= q for y in live)), None)
            if old is not None:
                h["negative"] = v
                v.planted = "NEGATIVE_BALANCE"
                old.tags.append("negative")
                self.neg_before = old.bal
                self._record(v, old)
                fix = self.next_open(MAIN, day + dt.timedelta(days=3))
                self.scheduled.append((fix, "correction", (old, v)))
                return

        # UNLOGGED_TRANSFER: Westside uses a lot only Main St ever received.
        if "unlogged" not in h and p is BOTOX and loc == WEST and day >= dt.date(2026, 8, 17):
            west_keys = {_key(x.lot) for x in self.lots[(WEST, p.name)]}
            src = self.pick(MAIN, p, day, q)
            if src is not None and _key(src.lot) not in west_keys and not src.tags:
                h["unlogged"] = v
                v.planted = "UNLOGGED_TRANSFER"
                src.tags.append("unlogged")
                # FEFO at Main St judges this row: it took Main St's FEFO lot, so it is fine.
                self._record(v, src)
                return

        self._record(v, lot)

        # DUPLICATE_ENTRY: the row pasted twice; the copy takes again.
        if "dup" not in h and p is JUVEDERM and loc == MAIN and day >= dt.date(2026, 3, 9) \
                and lot.bal >= q and not lot.tags:
            dup = _Visit(**{f: getattr(v, f) for f in v.__dataclass_fields__})
            dup.planted = "DUPLICATE_ENTRY"
            v.reserved = True
            lot.tags.append("dup")
            h["dup"] = dup
            self._record(dup, lot)

    def _record(self, v: _Visit, lot: _Lot, apply: bool = True) -> None:
        v.lot, v.lot_text, v.applied = lot, lot.lot, apply
        v.seq = len(self.visits)
        if apply:
            lot.bal -= v.q
            self.usage[(v.location, v.product.name)].append((v.date, v.q))
        self.visits.append(v)

    # ----------------------------------------------------------------- end of day

    _WASTE_EVENTS = (
        (dt.date(2026, 2, 19), MAIN, JUVEDERM, D(1), "Syringe dropped - contaminated"),
        (dt.date(2026, 4, 23), WEST, BOTOX, D(100), "Vial cracked during reconstitution"),
        (dt.date(2026, 7, 9), MAIN, SCULPTRA, D(1), "Reconstituted vial not used within 72 h"),
        (dt.date(2026, 10, 14), WEST, RHA2, D(1), "Plunger failure, product not injected"),
    )
    _RETURNS = ((dt.date(2026, 6, 3), MAIN, LYFT, 2, "Outer box crushed in shipping, RA issued"),)

    def _staff(self, loc: str, day: dt.date) -> str:
        provs = self.providers(loc, day) or [n for n, _ in _PROVIDERS[loc]]
        return provs[0]

    def _adjust(self, day, lot: _Lot, q_use: Decimal, type_: str, reason: str, *, signed: bool = False) -> None:
        """Record a removal (or, for a signed adjustment, an addition) of `q_use` units of use."""
        p = lot.product
        whole = q_use % p.per_package == 0 and q_use > 0
        if whole:
            qty, unit = q_use / p.per_package, _unit_word(p.package_unit, q_use / p.per_package)
        elif p.kind == "filler":
            qty, unit = q_use, "mL"
        else:
            qty, unit = q_use, p.unit if p.kind != "biostim" else _unit_word("vial", q_use)
        lot.bal += q_use if signed else -q_use
        self.adjusts.append(_Adjust(day, lot, qty, unit, type_, reason, lot.location, None,
                                    self._staff(lot.location, day), lot.location == WEST))

    def _end_of_day(self, day: dt.date) -> None:
        # scheduled corrections first (sheet order within the day does not matter across lots)
        for when, what, args in self.scheduled:
            if when == day and what == "correction":
                lot, v = args
                self._adjust(day, lot, -lot.bal, "count correction",
                             f"Lot went negative after {v.date:%-m/%-d} visit was charted to it; reset to 0",
                             signed=True)
        for d, loc, p, q, reason in self._WASTE_EVENTS:
            if d == day:
                lot = self.pick(loc, p, day, q)
                if lot is not None and not lot.tags:
                    self._adjust(day, lot, q, "wasted", reason)
        for d, loc, p, n, reason in self._RETURNS:
            if d == day:
                q = n * p.per_package
                lot = next((x for x in reversed(self.live(loc, p, day)) if x.bal >= q and not x.tags), None)
                if lot is not None:
                    lot.tags.append("returned")
                    self._adjust(day, lot, q, "return to vendor", reason)
        # expired stock comes off the shelf within a few days of its date
        for lot in self.all_lots:
            if lot.exp < day and lot.bal > 0 and not lot.never_writeoff and not lot.hold_writeoff:
                if lot.writeoff_on is None:
                    lot.writeoff_on = min(day + dt.timedelta(days=self.rng.randint(0, 4)), DEMO_AS_OF)
                if lot.writeoff_on <= day:
                    self._adjust(day, lot, lot.bal, "expired", "Expired - pulled from stock")
        # end-of-vial residue and the unused half of an opened syringe
        for lot in self.all_lots:
            if lot.exp < day or lot.bal <= 0:
                continue
            p = lot.product
            if p.kind == "filler" and lot.bal % 1:
                self._adjust(day, lot, lot.bal % 1, "wasted", "Remainder of opened syringe discarded")
            elif p.kind in ("toxin", "glp1") and lot.bal < p.min_dose:
                self._adjust(day, lot, lot.bal, "wasted",
                             "End of vial - residue" if p.kind == "toxin" else "Residual in vial")

    def _count(self, day: dt.date) -> None:
        for loc in LOCATIONS:
            for p in PRODUCTS:
                for lot in sorted(self.lots[(loc, p.name)], key=_Lot.fefo_key):
                    if lot.bal <= 0:
                        continue
                    counted = lot.bal
                    if "count_botox" not in self.hooks and loc == MAIN and p is BOTOX and lot.bal >= 200:
                        self.hooks["count_botox"] = lot
                        counted = lot.bal - 10
                    elif "count_filler" not in self.hooks and loc == WEST and p is LYFT and lot.bal >= 2 \
                            and not lot.tags:
                        self.hooks["count_filler"] = lot
                        counted = lot.bal - 1
                    if counted != lot.bal:
                        lot.tags.append("count_variance")
                    self.counts.append(_Count(day, lot, counted))
                    lot.bal = counted

    def _reorder(self, day: dt.date) -> None:
        horizon = day + dt.timedelta(days=14)
        for (loc, pname), pend in self.pending.items():
            if pend is not None:
                continue
            p = next(x for x in PRODUCTS if x.name == pname)
            use = self.usage[(loc, pname)]
            recent = sum((q for d, q in use if (day - d).days < 28), ZERO)
            usable = sum((x.bal for x in self.lots[(loc, pname)] if x.exp > horizon and x.bal > 0), ZERO)
            if usable >= max(recent * D("0.8"), p.min_order * p.per_package / 2):
                continue
            want = max(recent * (D("2.5") if p.bud else D("1.5")), p.min_order * p.per_package)
            packages = int(-(-want // p.per_package))
            arrive = self.next_open(loc, day + dt.timedelta(days=self.rng.randint(2, 4)))
            if arrive <= DEMO_AS_OF:
                self.pending[(loc, pname)] = (arrive, packages)

    # ----------------------------------------------------------------- after the year

    def finish(self) -> None:
        """Check the story held, then plant the problems that only change how cells read."""
        for name in ("expired_use", "unknown_unit", "invalid_date", "invalid_qty", "fefo1", "fefo2",
                     "negative", "unlogged", "dup", "cost_conflict", "count_botox", "count_filler"):
            if name not in self.hooks:
                raise AssertionError(f"demo: planted problem {name!r} found no place")
        for lot in self.all_lots:
            if lot.bal < 0:
                raise AssertionError(f"demo: lot {lot.lot} ends negative")
            if lot.bal > 0 and lot.exp < DEMO_AS_OF and not lot.never_writeoff:
                raise AssertionError(f"demo: lot {lot.lot} expired with stock")
            soon = DEMO_AS_OF <= lot.exp <= DEMO_AS_OF + _WINDOW
            if lot.bal > 0 and soon and not lot.tags:
                raise AssertionError(f"demo: lot {lot.lot} expiring soon by accident")
        for role in ("expired_on_hand", "expiring_lyft", "expiring_sema"):
            if self.special[role].bal <= 0:
                raise AssertionError(f"demo: scripted lot {role} has no stock at as_of")
        self._assign_rows()
        self.by_key: dict[tuple, list[_Visit]] = {}
        for v in self.visits:
            self.by_key.setdefault((v.date, v.location, v.provider, v.product.name), []).append(v)
        self._plant_cells()

    def _assign_rows(self) -> None:
        ids = {MAIN: 10400, WEST: 52100}
        vid: dict[int, int] = {}
        per_month: dict[int, int] = {}
        for v in self.visits:
            if v.visit not in vid:
                ids[v.location] += 1
                vid[v.visit] = ids[v.location]
            v.visit_id = vid[v.visit]
            v.sheet = MONTH_TABS[v.date.month - 1]
            per_month[v.date.month] = per_month.get(v.date.month, 1) + 1
            v.row = per_month[v.date.month]

    def _same_key_rows(self, v: _Visit) -> list[_Visit]:
        """Other rows of the same date, location, provider and product, in sheet order."""
        return [w for w in self.by_key[(v.date, v.location, v.provider, v.product.name)] if w is not v]

    def _open_vial_ok(self, v: _Visit) -> bool:
        """Rule 2 (open vial) of SPEC §2 infers the row's own lot, from a clean row."""
        same = self._same_key_rows(v)
        earlier = [w for w in same if w.seq < v.seq]
        later = [w for w in same if w.seq > v.seq]
        w = earlier[-1] if earlier else later[0] if later else None
        if w is None:
            return False
        return w.planted is None and w.lot is v.lot and w.applied

    def _plant_cells(self) -> None:
        # A row free to carry a planted cell. Its lot may be part of another story (a transfer, a
        # count): lotsync's inference lands on the same lot either way.
        clean = lambda v: v.planted is None and not v.reserved and v.applied  # noqa: E731

        # MISSING_LOT: ten toxin rows whose provider's earlier row that day names the open vial.
        plan = [(1, MAIN, "N/A"), (2, WEST, None), (3, MAIN, "N/A"), (4, WEST, "N/A"), (5, MAIN, None),
                (6, WEST, "N/A"), (7, MAIN, "N/A"), (8, WEST, None), (9, MAIN, "N/A"), (10, WEST, None)]
        for month, loc, text in plan:
            for v in self.visits:
                if (v.date.month == month and v.location == loc and v.product.kind == "toxin" and clean(v)
                        and v.date.day >= 5 and self._open_vial_ok(v)
                        and any(w.seq < v.seq for w in self._same_key_rows(v))):
                    v.planted, v.lot_text = "MISSING_LOT", text
                    for w in self._same_key_rows(v):
                        w.reserved = True
                    break
            else:
                raise AssertionError(f"demo: no MISSING_LOT row in month {month}")

        # UNKNOWN_LOT: one character off a real lot; exactly one lot of the product is that close.
        for month, loc, prod in ((5, MAIN, BOTOX), (10, MAIN, RHA2)):
            for v in self.visits:
                if not (v.date.month == month and v.location == loc and v.product is prod and clean(v)
                        and v.date.day >= 10 and not v.lot.from_transfer):
                    continue
                lot = v.lot.lot
                i = max(j for j, ch in enumerate(lot) if ch.isalpha()) if prod is BOTOX else len(lot) - 2
                alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ" if lot[i].isalpha() else "0123456789"
                for ch in alphabet:
                    typo = lot[:i] + ch + lot[i + 1:]
                    k = _key(typo)
                    near = [x for x, q in self.keys.items() if q is prod and _lev(x, k) <= 2]
                    if ch != lot[i] and k not in self.keys and near == [_key(lot)]:
                        break
                else:
                    continue
                v.planted, v.lot_text = "UNKNOWN_LOT", typo
                break
            else:
                raise AssertionError("demo: no UNKNOWN_LOT row")

        # LOT_PRODUCT_MISMATCH: a Lyft row that copied the Botox lot from the row above (same visit).
        for a, v in zip(self.visits, self.visits[1:]):
            if (v.date.month >= 6 and v.location == MAIN and v.product is LYFT and a.product is BOTOX
                    and a.visit == v.visit and clean(v) and clean(a) and a.lot_text == a.lot.lot):
                same = self._same_key_rows(v)
                if same:
                    ok = self._open_vial_ok(v)
                else:
                    ok = v.fefo_head is v.lot and v.head_covers
                if ok:
                    v.planted, v.lot_text = "LOT_PRODUCT_MISMATCH", a.lot.lot
                    a.reserved = True
                    for w in same:
                        w.reserved = True
                    break
        else:
            raise AssertionError("demo: no LOT_PRODUCT_MISMATCH row")

        # PRODUCT_ALIAS: one provider at Westside writes plain "Juvederm" for a month.
        n = 0
        who = None
        for v in self.visits:
            if (v.date.month in (8, 9) and v.location == WEST and v.product is JUVEDERM and clean(v)
                    and not v.lot.from_transfer and who in (None, v.provider)):
                who = v.provider
                v.planted, v.product_text = "PRODUCT_ALIAS", "Juvederm"
                n += 1
                if n == 3:
                    break
        if n < 2:
            raise AssertionError("demo: too few PRODUCT_ALIAS rows")

        # Receiving-log cells.
        def single(lot: _Lot) -> bool:
            return len(lot.receipts) == 1 and not lot.tags and not lot.from_transfer

        def used_by_planted(lot: _Lot) -> bool:
            return any(v.planted and v.lot is lot for v in self.visits)

        def first_lot(pred, what: str) -> _Lot:
            for lot in self.all_lots:
                if single(lot) and not used_by_planted(lot) and pred(lot):
                    return lot
            raise AssertionError(f"demo: no lot for the planted {what}")

        # USE_BEFORE_RECEIPT: a box opened for a patient before anyone logged it in; the
        # receiving row is dated the next business day after that first use. Only that one row
        # uses the lot before the logged date, so lotsync sees one use before receipt (and the
        # lot below zero that evening), and nothing else changes: the rows in between took
        # other lots, and no planted row of the same product and site falls in that window.
        for lot in self.all_lots:
            if not (lot.receipts and not lot.tags and not used_by_planted(lot)
                    and lot.product.kind in ("filler", "toxin")
                    and dt.date(2026, 6, 1) <= lot.first_received <= dt.date(2026, 10, 31)):
                continue
            r = lot.receipts[0]
            uses = [v for v in self.visits if v.lot is lot and v.applied]
            if not uses or (uses[0].date - r.date).days > 7:
                continue
            if len(lot.receipts) > 1 and lot.receipts[1].date <= uses[0].date + dt.timedelta(days=1):
                continue
            logged = self.next_open(lot.location, uses[0].date + dt.timedelta(days=1))
            early = [v for v in uses if v.date < logged]
            busy = [v for v in self.visits if r.date <= v.date < logged and v.location == lot.location
                    and v.product is lot.product and v.planted]
            moved = [a for a in self.adjusts if a.lot is lot and a.date < logged]
            counted = [c for c in self.counts if c.lot is lot and c.date < logged]
            if len(early) == 1 and clean(early[0]) and not busy and not moved and not counted:
                v = early[0]
                v.planted = "USE_BEFORE_RECEIPT"
                lot.tags.append("use_before_receipt")
                r.date = logged
                break
        else:
            raise AssertionError("demo: no USE_BEFORE_RECEIPT lot")

        self.cells: dict[str, _Lot] = {}
        self.cells["missing_cost"] = first_lot(lambda x: x.product is TIRZ and x.location == WEST
                                               and x.first_received.month >= 4, "missing cost")
        self.cells["missing_cost"].receipts[0].cost = None
        self.cells["missing_cost"].tags.append("missing_cost")
        # (B12 or Sculptra: no planted row of theirs relies on FEFO, which ignores an undated lot.
        # Every receipt of the lot leaves the expiration blank, so the lot has none.)
        self.cells["missing_exp"] = next(
            x for x in self.all_lots
            if x.product.kind in ("vitamin", "biostim") and x.receipts and not x.tags and not x.from_transfer
            and not used_by_planted(x) and x.exp > DEMO_AS_OF + _WINDOW)
        for r in self.cells["missing_exp"].receipts:
            r.exp_blank = True
        self.cells["missing_exp"].tags.append("missing_exp")

        # Remaining column: what the clinic wrote, from the simulated balance.
        for lot in self.all_lots:
            if lot.from_transfer:
                continue  # no receiving row of its own
            rem = lot.bal
            for r in reversed(lot.receipts):
                part = min(rem, r.packages * lot.product.per_package)
                r.remaining = part / lot.product.per_package
                rem -= part
            if rem:
                lot.receipts[-1].remaining += rem / lot.product.per_package
        self.mismatch: list[tuple[_Lot, str]] = []
        # Four lots whose hand-kept Remaining went wrong, each a different product and mistake.
        whole = lambda r: r.remaining.to_integral_value(ROUND_CEILING)  # noqa: E731
        stories = (
            (lambda x: x.bal == 0, lambda r: D(1), "the last package was never crossed off."),
            (lambda x: x.bal > 0 and x.product.kind == "filler", lambda r: r.remaining + 1,
             "not updated after the last syringe used."),
            (lambda x: x.bal % x.product.per_package != 0 and x.product.kind == "toxin", whole,
             "the opened vial is counted as a whole one."),
            (lambda x: x.bal % x.product.per_package != 0, whole, "rounded up to whole packages."),
        )
        used_products: list[_Product] = []
        for pred, wrong, why in stories:
            lot = first_lot(lambda x: pred(x) and x.product not in used_products, "remaining mismatch")
            used_products.append(lot.product)
            r = lot.receipts[0]
            derived = r.remaining
            r.remaining = wrong(r)
            lot.tags.append("remaining_mismatch")
            unit = _unit_word(lot.product.package_unit, r.remaining)
            self.mismatch.append((lot, f"Remaining says {_fmt(r.remaining)} {unit} but the ledger leaves "
                                       f"{_fmt(derived)}: {why}"))


# --------------------------------------------------------------------------- tables


def _build() -> tuple[_Sim, DemoPractice]:
    sim = _Sim()
    sim.run()
    sim.finish()

    # Receiving log, oldest first (a stable sort keeps a day's invoice together).
    receipts = sorted(sim.receipts, key=lambda r: (r.date, LOCATIONS.index(r.lot.location)))
    receiving: list[list[Any]] = [[f"{CLINIC} \u2014 Receiving Log"], [], list(RECEIVING_HEADER)]
    tot_qty = ZERO
    tot_rem = ZERO
    for r in receipts:
        lot = r.lot
        p = lot.product
        r.row = len(receiving) + 1
        if r.exp_blank:
            exp: Any = None
        elif lot.exp_text:
            exp = f"{lot.exp:%m/%Y}"
        else:
            exp = lot.exp
        receiving.append([r.date, p.name, lot.lot, exp, r.packages, _unit_word(p.package_unit, D(r.packages)),
                          None if r.cost is None else float(r.cost), _num(r.remaining), lot.location,
                          r.supplier, r.invoice])
        tot_qty += r.packages
        tot_rem += r.remaining
    receiving.append(["Total", None, None, None, _num(tot_qty), None, None, _num(tot_rem)])

    products = [list(PRODUCTS_HEADER)] + [
        [p.name, ", ".join(p.aliases), p.unit, p.package_unit, _num(p.per_package), p.category] for p in PRODUCTS
    ]

    adjust_tab: list[list[Any]] = [list(ADJUST_HEADER)]
    csv_rows: list[list[str]] = [list(ADJUST_HEADER)]
    for a in sorted(sim.adjusts, key=lambda a: a.date):
        p = a.lot.product
        prod_text = p.aliases[0] if a.staff in _SHORT_NAMES else p.name
        if a.in_csv:
            a.row = len(csv_rows) + 1
            csv_rows.append([f"{a.date.month}/{a.date.day}/{a.date.year}", prod_text, a.lot.lot,
                             _fmt(a.qty), a.unit, a.type, a.reason, a.location, a.to_location or "", a.staff])
        else:
            a.row = len(adjust_tab) + 1
            adjust_tab.append([a.date, prod_text, a.lot.lot, _num(a.qty), a.unit, a.type, a.reason, a.location,
                               a.to_location, a.staff])

    count_tab: list[list[Any]] = [list(COUNT_HEADER)]
    for c in sim.counts:
        c.row = len(count_tab) + 1
        count_tab.append([c.date, c.lot.product.name, c.lot.lot, _num(c.counted), c.lot.location])

    months: dict[str, list[list[Any]]] = {m: [list(TREATMENTS_HEADER)] for m in MONTH_TABS}
    for v in sim.visits:
        months[v.sheet].append([v.date_cell, v.patient, v.provider, v.product_text, v.lot_text, v.qty_cell,
                                v.unit_cell, v.location, v.visit_id, float(v.charge)])
        assert len(months[v.sheet]) == v.row

    planted = _planted(sim, receipts)
    fmt: dict[tuple[str, str, str], str] = {}
    for col in ("A", "D"):
        fmt[(INVENTORY_FILE, RECEIVING_SHEET, col)] = "mm/dd/yyyy"
    fmt[(INVENTORY_FILE, RECEIVING_SHEET, "G")] = '"$"#,##0.00'
    fmt[(INVENTORY_FILE, ADJUST_SHEET, "A")] = "m/d/yyyy"
    fmt[(INVENTORY_FILE, COUNT_SHEET, "A")] = "m/d/yyyy"
    for m in MONTH_TABS:
        fmt[(TREATMENTS_FILE, m, "A")] = "m/d/yyyy"
        fmt[(TREATMENTS_FILE, m, "J")] = '"$"#,##0.00'
    practice = DemoPractice(
        workbooks={
            INVENTORY_FILE: {RECEIVING_SHEET: receiving, PRODUCTS_SHEET: products, ADJUST_SHEET: adjust_tab,
                             COUNT_SHEET: count_tab},
            TREATMENTS_FILE: months,
        },
        csv_files={WASTE_CSV: csv_rows},
        files=(INVENTORY_FILE, TREATMENTS_FILE, WASTE_CSV),
        planted=planted,
        number_formats=fmt,
    )
    return sim, practice


def _planted(sim: _Sim, receipts: list[_Receipt]) -> list[Planted]:
    out: list[Planted] = []
    T, INV = TREATMENTS_FILE, INVENTORY_FILE

    def vp(code: str, v: _Visit, col: str, why: str, lot: _Lot | None = None) -> Planted:
        lot = lot or v.lot
        return Planted(code, T, v.sheet, f"{col}{v.row}", why, lot.product.name if code != "LOT_PRODUCT_MISMATCH"
                       else v.product.name, lot.lot, v.location)

    def rp(code: str, r: _Receipt, col: str, why: str) -> Planted:
        return Planted(code, INV, RECEIVING_SHEET, f"{col}{r.row}", why, r.lot.product.name, r.lot.lot,
                       r.lot.location)

    for lot, why in sim.mismatch:
        out.append(rp("REMAINING_MISMATCH", lot.receipts[0], "H", why))
    planted_visits = [v for v in sim.visits if v.planted]
    for v in planted_visits:
        if v.planted == "UNKNOWN_LOT":
            out.append(vp("UNKNOWN_LOT", v, "E", f"Lot mistyped as {v.lot_text} (one character off {v.lot.lot}); "
                                                  "the repair rule finds the real lot."))
    for v in planted_visits:
        if v.planted == "MISSING_LOT":
            how = "left blank" if v.lot_text is None else f"written {v.lot_text!r}"
            out.append(vp("MISSING_LOT", v, "E", f"Lot {how} on a toxin visit; the same provider's earlier row "
                                                  f"that day names the open vial ({v.lot.lot})."))
    for v in planted_visits:
        if v.planted == "EXPIRED_USE":
            out.append(vp("EXPIRED_USE", v, "E", f"Semaglutide given from lot {v.lot.lot}, which expired "
                                                  f"{v.lot.exp.isoformat()}; the rest was written off the next day."))
    for v in planted_visits:
        if v.planted == "FEFO_VIOLATION":
            name = next(n for n, w in sim.hooks.items() if w is v)
            older = sim.fefo_skipped[name]
            out.append(vp("FEFO_VIOLATION", v, "E", f"Lot {v.lot.lot} (expires {v.lot.exp.isoformat()}) used while "
                                                     f"lot {older.lot} (expires {older.exp.isoformat()}) had enough "
                                                     "on hand."))
    for v in planted_visits:
        if v.planted == "NEGATIVE_BALANCE":
            fix = next(a for a in sim.adjusts if a.lot is v.lot and a.type == "count correction")
            had = f"had only {_fmt(sim.neg_before)} {v.product.unit} left" if sim.neg_before else "was used up"
            out.append(vp("NEGATIVE_BALANCE", v, "E",
                          f"Visit charged {_fmt(v.q)} {v.product.unit} to the previous lot {v.lot.lot}, which "
                          f"{had}; a count correction on {fix.date.isoformat()} brings it back to zero."))
    for v in planted_visits:
        if v.planted == "DUPLICATE_ENTRY":
            out.append(vp("DUPLICATE_ENTRY", v, "E", f"Visit row pasted twice: row {v.row} repeats row "
                                                      f"{v.row - 1} cell for cell (cell: the later row's lot)."))
    for v in planted_visits:
        if v.planted == "UNLOGGED_TRANSFER":
            out.append(vp("UNLOGGED_TRANSFER", v, "E", f"Westside used lot {v.lot.lot}, which only Main St ever "
                                                        "received; there is no transfer row."))
    for name, why in (("count_botox", "Q3 count 10 units short of the ledger for this lot."),
                      ("count_filler", "Q3 count one syringe short of the ledger for this lot.")):
        lot = sim.hooks[name]
        c = next(c for c in sim.counts if c.lot is lot)
        out.append(Planted("COUNT_VARIANCE", INV, COUNT_SHEET, f"D{c.row}", why, lot.product.name, lot.lot,
                           lot.location))
    r1 = sim.hooks["cost_conflict"]
    r0 = r1.lot.receipts[0]
    out.append(rp("COST_CONFLICT", r1, "G", f"Lot {r1.lot.lot} received again after the July price increase at "
                                            f"${r1.cost}/vial (its first receipt: ${r0.cost})."))
    out.append(rp("MISSING_COST", sim.cells["missing_cost"].receipts[0], "G",
                  "Unit cost left blank (invoice not in yet)."))
    out.append(rp("MISSING_EXPIRATION", sim.cells["missing_exp"].receipts[0], "D", "Expiration date left blank."))
    x = sim.special["expired_on_hand"]
    out.append(rp("EXPIRED_ON_HAND", x.receipts[0], "D",
                  f"Short-dated lot expired {x.exp.isoformat()} with stock left and was never written off "
                  "(cell: its expiration on the receiving row)."))
    for role in ("expiring_lyft", "expiring_sema"):
        x = sim.special[role]
        out.append(rp("EXPIRING_SOON", x.receipts[0], "D",
                      f"Short-dated lot expires {x.exp.isoformat()} with stock on hand "
                      "(cell: its expiration on the receiving row)."))
    for v in planted_visits:
        if v.planted == "PRODUCT_ALIAS":
            out.append(vp("PRODUCT_ALIAS", v, "D", f"Product written 'Juvederm' (not a catalog name or alias); "
                                                    f"its lot {v.lot.lot} is Juvederm Ultra XC 1mL."))
    for v in planted_visits:
        if v.planted == "INVALID_VALUE:date":
            out.append(vp("INVALID_VALUE", v, "A", "Date of service typed as '13/45/2026'; the row stays out of "
                                                    "the ledger."))
    for v in planted_visits:
        if v.planted == "INVALID_VALUE:qty":
            out.append(vp("INVALID_VALUE", v, "F", "Units used typed as 'twenty'; the row stays out of the ledger."))
    for v in planted_visits:
        if v.planted == "UNKNOWN_UNIT":
            out.append(vp("UNKNOWN_UNIT", v, "G", "B12 recorded in 'ampules', a unit lotsync cannot convert; "
                                                   "the row takes nothing."))
    for v in planted_visits:
        if v.planted == "LOT_PRODUCT_MISMATCH":
            out.append(vp("LOT_PRODUCT_MISMATCH", v, "E", f"Filler row carries the Botox lot {v.lot_text} copied "
                                                           "from the row above (same visit)."))
    for v in planted_visits:
        if v.planted == "USE_BEFORE_RECEIPT":
            r = v.lot.receipts[0]
            out.append(vp("USE_BEFORE_RECEIPT", v, "A", f"Visit on {v.date.isoformat()} used lot {v.lot.lot}, "
                                                         f"logged as received only on {r.date.isoformat()}."))
            out.append(vp("NEGATIVE_BALANCE", v, "E", "Consequence of the use before receipt: the lot is below "
                                                       f"zero at the end of {v.date.isoformat()}."))
    return out


def plan_demo_practice() -> DemoPractice:
    """The demo practice as cell values and its planted problems, without writing files."""
    return _build()[1]


# --------------------------------------------------------------------------- writing


def write_demo_practice(dest: Path) -> list[Path]:
    """Write the demo practice's files into `dest` and return them in reconcile order.

    `dest` is created if needed. An existing file of the same name is never overwritten:
    FileExistsError is raised before anything is written.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    dest = Path(dest)
    practice = plan_demo_practice()
    targets = [dest / name for name in practice.files]
    for t in targets:
        if t.exists():
            raise FileExistsError(f"{t} already exists; lotsync demo will not overwrite it")
    dest.mkdir(parents=True, exist_ok=True)

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="4F6D7A")
    for name, tabs in practice.workbooks.items():
        wb = Workbook()
        wb.remove(wb.active)
        for sheet, rows in tabs.items():
            ws = wb.create_sheet(sheet)
            header_row = RECEIVING_TITLE_ROWS + 1 if sheet == RECEIVING_SHEET else 1
            for row in rows:
                ws.append(row)
            widths: dict[int, int] = {}
            for i, row in enumerate(rows, 1):
                if sheet == RECEIVING_SHEET and i == 1:
                    continue
                for j, value in enumerate(row, 1):
                    text = value.strftime("%m/%d/%Y") if isinstance(value, dt.date) else str(value or "")
                    widths[j] = max(widths.get(j, 0), len(text))
            for j, w in widths.items():
                ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 9), 42)
            for cell in ws[header_row]:
                cell.font, cell.fill = header_font, header_fill
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            if sheet == RECEIVING_SHEET:
                ws["A1"].font = Font(bold=True, size=14)
                for cell in ws[len(rows)]:
                    cell.font = Font(bold=True)
            ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
            for (f, s, col), number_format in practice.number_formats.items():
                if f == name and s == sheet:
                    for cell in ws[col][header_row:]:
                        if isinstance(cell.value, (dt.date, int, float)):
                            cell.number_format = number_format
        wb.properties.creator = CLINIC
        wb.save(dest / name)
    for name, rows in practice.csv_files.items():
        with open(dest / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    return targets


def _render_planted(planted: list[Planted]) -> str:
    """`planted` as the Python literal kept in lotsync/demo_plan.py."""
    q = lambda x: "None" if x is None else json.dumps(x, ensure_ascii=False)  # noqa: E731
    lines = ["PLANTED: list[Planted] = ["]
    for p in planted:
        lines.append(f"    Planted({q(p.code)}, {q(p.file)}, {q(p.sheet)}, {q(p.cell)},")
        lines.append(f"            {q(p.description)},")
        lines.append(f"            {q(p.product)}, {q(p.lot)}, {q(p.location)}),")
    lines.append("]")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover - maintenance helper
    import sys

    if "--print-planted" in sys.argv:
        print("# fmt: off")
        print(_render_planted(plan_demo_practice().planted))
        print("# fmt: on")
    else:
        sim, practice = _build()
        print(f"lots={len(sim.all_lots)} receipts={len(sim.receipts)} visits={len(sim.visits)} "
              f"skipped={sim.skipped} adjusts={len(sim.adjusts)} counts={len(sim.counts)}")
        for m, rows in practice.workbooks[TREATMENTS_FILE].items():
            print(m, len(rows) - 1, end="; ")
        print()
        for p in practice.planted:
            print(p.code, p.sheet, p.cell, p.description)
