"""The bundled demo practice, as files: its layout, and each planted problem in its cell.

These tests read the written workbooks back with openpyxl (and the CSV with csv), not with
lotsync's readers or engine: they check the demo itself. Whether lotsync *finds* each
planted problem is tested with the reconcile engine, elsewhere.

Besides "the mistake is in the cell PLANTED names", they keep the demo's promise that the
books are otherwise right: a small ledger kept here from the sheets (receipts, visits,
waste, transfers, counts; SPEC §2 order of events) must agree with the hand-kept Remaining
column, the Q3 count and the balances everywhere except where a problem was planted.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from lotsync.demo.practice import (
    ADJUST_HEADER,
    COUNT_HEADER,
    DEMO_AS_OF,
    PRODUCTS_HEADER,
    RECEIVING_HEADER,
    TREATMENTS_HEADER,
    plan_demo_practice,
    write_demo_practice,
)
from lotsync.demo.plan import PLANTED, Planted

INV, TRT, CSV_NAME = "Inventory.xlsx", "Treatments 2026.xlsx", "westside-waste.csv"
MONTHS = [calendar.month_abbr[m] for m in range(1, 12)]
LOCATIONS = {"Main St", "Westside"}
UNIT_WORDS = {"u": "units", "unit": "units", "units": "units", "iu": "units", "ml": "mL", "cc": "mL",
              "mg": "mg", "syr": "syringe", "syringe": "syringe", "syringes": "syringe", "vial": "vial",
              "vials": "vial", "box": "box", "boxes": "box", "bx": "box"}
NOT_RECORDED = {"N/A", "NA", "NONE", "UNKNOWN", "-", "?"}
CODES_PLANTED = {
    "REMAINING_MISMATCH", "UNKNOWN_LOT", "MISSING_LOT", "EXPIRED_USE", "FEFO_VIOLATION", "NEGATIVE_BALANCE",
    "DUPLICATE_ENTRY", "UNLOGGED_TRANSFER", "COUNT_VARIANCE", "COST_CONFLICT", "MISSING_COST",
    "MISSING_EXPIRATION", "EXPIRED_ON_HAND", "EXPIRING_SOON", "PRODUCT_ALIAS", "INVALID_VALUE", "UNKNOWN_UNIT",
    "LOT_PRODUCT_MISMATCH", "USE_BEFORE_RECEIPT",
}


# --------------------------------------------------------------------------- helpers


def lot_key(text) -> str:
    return "".join(ch for ch in str(text).upper() if ch.isalnum())


def norm(text) -> str:
    return " ".join(str(text).lower().split())


def words(name: str) -> set[str]:
    out = set()
    for w in re.split(r"[^a-z0-9]+", name.lower()):
        if w and not re.fullmatch(r"[0-9.]+[a-z]*|ml|mg|u|units|vial|syringe|box", w):
            out.add(w)
    return out


def lev(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def as_date(value) -> dt.date | None:
    """A cell as a date: real date cells, "m/d/yyyy" text, and "MM/YYYY" (last day of month)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"(\d{1,2})/(\d{4})", value)
        if m:
            y, mo = int(m[2]), int(m[1])
            return dt.date(y, mo, calendar.monthrange(y, mo)[1])
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        if m:
            try:
                return dt.date(int(m[3]), int(m[1]), int(m[2]))
            except ValueError:
                return None
    return None


def num(value) -> Decimal:
    return Decimal(str(value))


class Books:
    """The demo's files as read back, plus a ledger kept from them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.inv = openpyxl.load_workbook(folder / INV)
        self.trt = openpyxl.load_workbook(folder / TRT)
        with open(folder / CSV_NAME, newline="", encoding="utf-8") as fh:
            self.csv_rows = list(csv.reader(fh))
        self.catalog: dict[str, dict] = {}
        self.names: dict[str, str] = {}
        for name, aliases, unit, pkg, per, category in self.inv["Products"].iter_rows(min_row=2, values_only=True):
            self.catalog[name] = dict(unit=unit, pkg=pkg, per=num(per), category=category)
            self.names[norm(name)] = name
            for alias in str(aliases or "").split(","):
                if alias.strip():
                    self.names[norm(alias)] = name
        ws = self.inv["Receiving"]
        self.receipts = []  # dicts, sheet order
        for i, row in enumerate(ws.iter_rows(min_row=4, values_only=True), 4):
            if row[0] is None or str(row[0]).lower().startswith("total"):
                continue
            d = dict(zip(RECEIVING_HEADER, row))
            d["row"] = i
            d["product"] = self.names[norm(d["Product"])]
            d["key"] = lot_key(d["Lot #"])
            self.receipts.append(d)
        self.lots: dict[tuple, dict] = {}
        for r in self.receipts:
            k = (r["product"], r["key"], r["Location"])
            lot = self.lots.setdefault(k, dict(receipts=[], transfer=False, lot=r["Lot #"]))
            lot["receipts"].append(r)
        self.visits = []
        for ws in self.trt:
            for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True), 2):
                d = dict(zip(TREATMENTS_HEADER, row))
                d.update(sheet=ws.title, row=i)
                self.visits.append(d)
        self.adjusts = []
        for i, row in enumerate(self.inv["Waste & Transfers"].iter_rows(min_row=2, values_only=True), 2):
            d = dict(zip(ADJUST_HEADER, row))
            d.update(sheet="Waste & Transfers", row=i)
            self.adjusts.append(d)
        for i, row in enumerate(self.csv_rows[1:], 2):
            d = dict(zip(ADJUST_HEADER, [c or None for c in row]))
            d.update(sheet=None, row=i, Qty=num(d["Qty"]))
            self.adjusts.append(d)
        for a in self.adjusts:
            if a["Type"] == "transfer":
                src = self.lots[(self.names[norm(a["Product"])], lot_key(a["Lot #"]), a["Location"])]
                self.lots.setdefault((self.names[norm(a["Product"])], lot_key(a["Lot #"]), a["To Location"]),
                                     dict(receipts=[], transfer=True, lot=src["lot"], source=src))
        self.counts = []
        for i, row in enumerate(self.inv["Q3 Count"].iter_rows(min_row=2, values_only=True), 2):
            d = dict(zip(COUNT_HEADER, row))
            d["row"] = i
            self.counts.append(d)

    # ------------------------------------------------------------------ lookups

    def exp(self, lot: dict) -> dt.date | None:
        lot = lot.get("source", lot)
        for r in lot["receipts"]:
            if r["Exp Date"] is not None:
                return as_date(r["Exp Date"])
        return None

    def first_received(self, lot: dict) -> dt.date | None:
        dates = [as_date(r["Date Received"]) for r in lot["receipts"]]
        return min(dates) if dates else None

    def to_use(self, product: str, qty: Decimal, unit) -> Decimal | None:
        p = self.catalog[product]
        u = UNIT_WORDS.get(str(unit).strip().lower()) if unit is not None else p["unit"]
        if u == UNIT_WORDS.get(p["unit"].lower(), p["unit"]):
            return qty
        if u == UNIT_WORDS.get(p["pkg"].lower(), p["pkg"]):
            return qty * p["per"]
        return None

    def cell(self, p: Planted):
        if p.file == CSV_NAME:
            col = ord(p.cell[0]) - ord("A")
            return self.csv_rows[int(p.cell[1:]) - 1][col]
        wb = self.inv if p.file == INV else self.trt
        return wb[p.sheet][p.cell].value

    def header_of(self, p: Planted) -> str:
        wb = self.inv if p.file == INV else self.trt
        header_row = 3 if p.sheet == "Receiving" else 1
        return wb[p.sheet][f"{re.match('[A-Z]+', p.cell)[0]}{header_row}"].value

    def visit_at(self, p: Planted) -> dict:
        row = int(re.sub("[A-Z]", "", p.cell))
        return next(v for v in self.visits if v["sheet"] == p.sheet and v["row"] == row)

    def receipt_at(self, p: Planted) -> dict:
        row = int(re.sub("[A-Z]", "", p.cell))
        return next(r for r in self.receipts if r["row"] == row)

    def lot_of(self, p: Planted) -> dict:
        """The lot a planted problem concerns: at its location, else the one other site's."""
        k = (p.product, lot_key(p.lot), p.location)
        if k in self.lots:
            return self.lots[k]
        (lot,) = [x for (prod, key, _), x in self.lots.items() if prod == p.product and key == lot_key(p.lot)]
        return lot

    # ------------------------------------------------------------------ ledger

    def ledger(self) -> dict:
        """Apply every movement the sheets record (SPEC §2 order) and report what it gives.

        Rows whose lot is missing, mistyped or another product's take from the lot PLANTED
        names (what lotsync's inference should land on); rows planted as unreadable or in an
        unknown unit take nothing.
        """
        planted_rows = {(p.sheet, int(re.sub("[A-Z]", "", p.cell))): p for p in PLANTED if p.file == TRT}
        events = []
        seq = 0
        for r in self.receipts:
            lot = self.lots[(r["product"], r["key"], r["Location"])]
            seq += 1
            events.append((as_date(r["Date Received"]), 0, seq, "in", lot,
                           self.to_use(r["product"], num(r["Qty Received"]), r["Unit"]), None))
        for v in self.visits:
            p = planted_rows.get((v["sheet"], v["row"]))
            if p is not None and p.code in ("INVALID_VALUE", "UNKNOWN_UNIT"):
                continue
            seq += 1
            product = self.names.get(norm(v["Product"])) or (p.product if p else None)
            if p is not None and p.code in ("MISSING_LOT", "UNKNOWN_LOT", "LOT_PRODUCT_MISMATCH"):
                lot = self.lot_of(p)
            else:
                k = lot_key(v["Lot #"])
                lot = self.lots.get((product, k, v["Location"])) or next(
                    x for (prod, key, _), x in self.lots.items() if prod == product and key == k)
            q = self.to_use(product, num(v["Units Used"]), v["Unit"])
            events.append((as_date(v["Date of Service"]), 2, seq, "out", lot, q, (v["sheet"], v["row"])))
        for a in self.adjusts:
            seq += 1
            product = self.names[norm(a["Product"])]
            lot = self.lots[(product, lot_key(a["Lot #"]), a["Location"])]
            q = self.to_use(product, num(a["Qty"]), a["Unit"])
            d = as_date(a["Date"])
            if a["Type"] == "transfer":
                events.append((d, 1, seq, "out", lot, q, None))
                events.append((d, 1, seq, "in", self.lots[(product, lot_key(a["Lot #"]), a["To Location"])], q, None))
            elif a["Type"] == "count correction":
                events.append((d, 3, seq, "in", lot, q, None))
            else:
                events.append((d, 3, seq, "out", lot, q, None))
        for c in self.counts:
            seq += 1
            lot = self.lots[(self.names[norm(c["Product"])], lot_key(c["Lot #"]), c["Location"])]
            events.append((as_date(c["Date"]), 4, seq, "count", lot, num(c["Counted"]), c["row"]))
        events.sort(key=lambda e: (e[0], e[1], e[2]))

        bal: dict[int, Decimal] = defaultdict(Decimal)
        by_id = {id(x): x for x in self.lots.values()}
        negative_days: set[tuple] = set()  # (lot id, date, sheet, row of the day's last take)
        count_variance: set[int] = set()
        last_take: dict[int, tuple] = {}
        day = None

        def close(day):
            for lid, where in last_take.items():
                if bal[lid] < 0:
                    negative_days.add((lid, day) + where)
            last_take.clear()

        for d, _, _, kind, lot, q, where in events:
            if day is not None and d != day:
                close(day)
            day = d
            lid = id(lot)
            if kind == "in":
                bal[lid] += q
            elif kind == "out":
                bal[lid] -= q
                if where:
                    last_take[lid] = where
            else:
                if q != bal[lid]:
                    count_variance.add(where)
                bal[lid] = q
        close(day)
        return dict(balance={lid: bal[lid] for lid in by_id}, negative=negative_days, count_variance=count_variance)

    def recorded_remaining(self, lot: dict) -> Decimal:
        return sum((self.to_use(r["product"], num(r["Remaining"]), r["Unit"]) for r in lot["receipts"]), Decimal(0))


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("demo")
    write_demo_practice(dest)
    return dest


@pytest.fixture(scope="module")
def books(folder) -> Books:
    return Books(folder)


@pytest.fixture(scope="module")
def ledger(books) -> dict:
    return books.ledger()


def all_cells(folder: Path) -> dict:
    out = {}
    for name in (INV, TRT):
        wb = openpyxl.load_workbook(folder / name)
        for ws in wb:
            out[(name, ws.title)] = [list(r) for r in ws.iter_rows(values_only=True)]
    out[CSV_NAME] = (folder / CSV_NAME).read_text(encoding="utf-8")
    return out


# --------------------------------------------------------------------------- writing


def test_writes_the_files_in_reconcile_order(tmp_path):
    paths = write_demo_practice(tmp_path / "practice")
    assert [p.name for p in paths] == [INV, TRT, CSV_NAME]
    assert all(p.is_file() and p.parent == tmp_path / "practice" for p in paths)


def test_two_calls_give_identical_cells(tmp_path, folder):
    write_demo_practice(tmp_path)
    assert all_cells(tmp_path) == all_cells(folder)


@pytest.mark.parametrize("existing", [INV, TRT, CSV_NAME])
def test_never_overwrites_an_existing_file(tmp_path, existing):
    (tmp_path / existing).write_text("the clinic's own file")
    with pytest.raises(FileExistsError):
        write_demo_practice(tmp_path)
    assert (tmp_path / existing).read_text() == "the clinic's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]  # nothing else written either


def test_planted_list_is_what_the_generator_plants():
    assert plan_demo_practice().planted == PLANTED


def test_every_finding_code_is_planted():
    assert {p.code for p in PLANTED} == CODES_PLANTED
    assert len({(p.file, p.sheet, p.cell, p.code) for p in PLANTED}) == len(PLANTED)


# --------------------------------------------------------------------------- layout


def test_inventory_workbook_layout(books):
    assert books.inv.sheetnames == ["Receiving", "Products", "Waste & Transfers", "Q3 Count"]
    ws = books.inv["Receiving"]
    assert ws["A1"].value == "Glow Aesthetics \u2014 Receiving Log"
    assert all(c.value is None for c in ws[2])
    assert [c.value for c in ws[3]] == list(RECEIVING_HEADER)
    last = [c.value for c in ws[ws.max_row]]
    assert last[0] == "Total"
    assert [c.value for c in books.inv["Products"][1]] == list(PRODUCTS_HEADER)
    assert [c.value for c in books.inv["Waste & Transfers"][1]] == list(ADJUST_HEADER)
    assert [c.value for c in books.inv["Q3 Count"][1]] == list(COUNT_HEADER)
    assert books.csv_rows[0] == list(ADJUST_HEADER)


def test_catalog(books):
    cat = books.catalog
    assert len(cat) == 10
    assert cat["Botox Cosmetic 100U"] == dict(unit="units", pkg="vial", per=100, category="Neurotoxin")
    assert cat["Dysport 300U"]["per"] == 300
    assert cat["Juvederm Ultra XC 1mL"]["unit"] == "mL" and cat["Juvederm Ultra XC 1mL"]["pkg"] == "syringe"
    assert cat["Semaglutide 2.5 mg/mL 2 mL vial"] == dict(unit="mg", pkg="vial", per=5, category="GLP-1 (compounded)")
    assert books.names["botox"] == "Botox Cosmetic 100U"
    assert "juvederm" not in books.names  # so that "Juvederm" on a visit is a PRODUCT_ALIAS, not an alias


def test_receiving_log(books):
    receipts = books.receipts
    received_lots = [k for k, lot in books.lots.items() if lot["receipts"]]
    assert 40 <= len(received_lots) <= 80
    assert {r["Location"] for r in receipts} == LOCATIONS
    dates = [as_date(r["Date Received"]) for r in receipts]
    assert dates == sorted(dates)
    assert all(dt.date(2026, 1, 1) <= d <= DEMO_AS_OF for d in dates)
    assert {d.month for d in dates} == set(range(1, 12))  # received every month
    # quantities in packages, the Unit column saying which
    for r in receipts:
        pkg = books.catalog[r["product"]]["pkg"]
        assert UNIT_WORDS[r["Unit"]] == pkg, r
        assert isinstance(r["Qty Received"], int) and r["Qty Received"] > 0
    # expirations: mostly real date cells, a few typed as month/year, blanks only where planted
    exps = [r["Exp Date"] for r in receipts]
    text = {(r["product"], r["key"]) for r in receipts if isinstance(r["Exp Date"], str)}
    assert 3 <= len(text) <= 12
    assert all(re.fullmatch(r"\d\d/\d{4}", e) for e in exps if isinstance(e, str))
    assert sum(isinstance(e, dt.datetime) for e in exps) > len(exps) * 0.8
    costs = {r["product"]: r["Unit Cost"] for r in receipts if r["Unit Cost"] is not None}
    assert costs["Botox Cosmetic 100U"] in (612, 624) and costs["Dysport 300U"] == 720
    assert 300 <= costs["Juvederm Ultra XC 1mL"] <= 360 and costs["Sculptra"] == 460


def test_treatment_tabs(books):
    assert books.trt.sheetnames == MONTHS
    names, providers = set(), set()
    for m, month in enumerate(MONTHS, 1):
        ws = books.trt[month]
        assert [c.value for c in ws[1]] == list(TREATMENTS_HEADER)
        rows = [v for v in books.visits if v["sheet"] == month]
        assert 150 <= len(rows) <= 300
        for v in rows:
            d = as_date(v["Date of Service"])
            if d is None:
                assert v["Date of Service"] == "13/45/2026"
                continue
            assert (d.year, d.month) == (2026, m)
            assert v["Location"] in LOCATIONS
            names.add(v["Patient"])
            providers.add(v["Provider"])
        dates = [as_date(v["Date of Service"]) for v in rows if as_date(v["Date of Service"])]
        assert dates == sorted(dates)
    assert 100 <= len(names) <= 200
    assert 3 <= len(providers) <= 4
    units = {v["Unit"].lower() for v in books.visits}
    assert units - {"ampules"} <= set(UNIT_WORDS)


def test_doses_look_like_a_med_spa(books):
    for v in books.visits:
        product = books.names.get(norm(v["Product"]))
        if product is None or not isinstance(v["Units Used"], (int, float)):
            continue
        q = num(v["Units Used"])
        unit = books.catalog[product]["unit"]
        if unit == "units":
            assert 20 <= q <= 150 and q == int(q)
        elif unit == "mL":
            assert q in (Decimal("0.5"), 1, 2, 3)
        elif unit == "mg" and product.startswith("Semaglutide"):
            assert q in {Decimal(x) for x in ("0.25", "0.5", "1", "1.7", "2.4")}


def test_adjustments_use_clinic_spellings(books):
    types = {a["Type"] for a in books.adjusts}
    assert types == {"wasted", "expired", "transfer", "return to vendor", "count correction"}
    assert {a["Location"] for a in books.adjusts if a["sheet"] is None} == {"Westside"}
    for a in books.adjusts:
        if a["Type"] == "transfer":
            assert (a["Location"], a["To Location"]) == ("Main St", "Westside")


def test_q3_count(books):
    assert {as_date(c["Date"]) for c in books.counts} == {dt.date(2026, 9, 30)}
    assert {c["Location"] for c in books.counts} == LOCATIONS


def test_visit_lots_were_received_there(books):
    planted = {(p.sheet, p.cell) for p in PLANTED if p.file == TRT}
    for v in books.visits:
        if (v["sheet"], f"E{v['row']}") in planted or (v["sheet"], f"D{v['row']}") in planted:
            continue
        product = books.names[norm(v["Product"])]
        assert (product, lot_key(v["Lot #"]), v["Location"]) in books.lots, v


# --------------------------------------------------------------------------- books otherwise right


def test_remaining_column_is_right_except_where_planted(books, ledger):
    wrong = set()
    for lot in books.lots.values():
        if lot["transfer"]:
            continue
        if books.recorded_remaining(lot) != ledger["balance"][id(lot)]:
            wrong.add(lot["receipts"][0]["row"])
    planted = {int(p.cell[1:]) for p in PLANTED if p.code == "REMAINING_MISMATCH"}
    assert wrong == planted


def test_count_is_right_except_where_planted(ledger):
    planted = {int(p.cell[1:]) for p in PLANTED if p.code == "COUNT_VARIANCE"}
    assert ledger["count_variance"] == planted


def test_no_lot_goes_negative_except_where_planted(books, ledger):
    negative = {(sheet, f"E{row}") for _, _, sheet, row in ledger["negative"]}
    planted = {(p.sheet, p.cell) for p in PLANTED if p.code == "NEGATIVE_BALANCE"}
    assert negative == planted
    assert min(ledger["balance"].values()) >= 0  # and every negative lot is put right later


def test_nothing_expired_or_expiring_on_hand_except_where_planted(books, ledger):
    expired, expiring = set(), set()
    for lot in books.lots.values():
        e = books.exp(lot)
        if lot["transfer"] or e is None or ledger["balance"][id(lot)] <= 0:
            continue
        if e < DEMO_AS_OF:
            expired.add(lot["receipts"][0]["row"])
        elif e <= DEMO_AS_OF + dt.timedelta(days=60):
            expiring.add(lot["receipts"][0]["row"])
    assert expired == {int(p.cell[1:]) for p in PLANTED if p.code == "EXPIRED_ON_HAND"}
    assert expiring == {int(p.cell[1:]) for p in PLANTED if p.code == "EXPIRING_SOON"}


def test_visits_follow_fefo_except_where_planted(books):
    """Replays the visits against the Remaining-independent ledger and checks FEFO per row."""
    planted = {(p.sheet, p.cell) for p in PLANTED if p.code == "FEFO_VIOLATION"}
    found = set()
    # balances just before each visit row, from the same ledger but stopped row by row
    events = []
    for r in books.receipts:
        events.append((as_date(r["Date Received"]), 0, r["row"], "in",
                       books.lots[(r["product"], r["key"], r["Location"])],
                       books.to_use(r["product"], num(r["Qty Received"]), r["Unit"]), None))
    # SPEC: only lots a row recorded itself are judged (not inferred ones)
    skip = {(p.sheet, int(p.cell[1:])) for p in PLANTED if p.file == TRT and p.code in (
        "INVALID_VALUE", "UNKNOWN_UNIT", "MISSING_LOT", "UNKNOWN_LOT", "LOT_PRODUCT_MISMATCH")}
    where_is = {id(x): loc for (_, _, loc), x in books.lots.items()}
    takes = {}
    for p in PLANTED:
        if p.file == TRT and p.code in ("MISSING_LOT", "UNKNOWN_LOT", "LOT_PRODUCT_MISMATCH", "PRODUCT_ALIAS",
                                        "UNLOGGED_TRANSFER"):
            takes[(p.sheet, int(re.sub("[A-Z]", "", p.cell)))] = books.lot_of(p)
    for n, v in enumerate(books.visits):
        if (v["sheet"], v["row"]) in {(p.sheet, int(p.cell[1:])) for p in PLANTED
                                      if p.code in ("INVALID_VALUE", "UNKNOWN_UNIT")}:
            continue
        product = books.names.get(norm(v["Product"]))
        lot = takes.get((v["sheet"], v["row"]))
        if lot is None:
            lot = books.lots[(product, lot_key(v["Lot #"]), v["Location"])]
        product = product or next(k[0] for k, x in books.lots.items() if x is lot)
        q = books.to_use(product, num(v["Units Used"]), v["Unit"])
        check = (v["sheet"], v["row"]) not in skip
        events.append((as_date(v["Date of Service"]), 2, n, "visit", lot, q, (v, product, check)))
    for n, a in enumerate(books.adjusts):
        product = books.names[norm(a["Product"])]
        lot = books.lots[(product, lot_key(a["Lot #"]), a["Location"])]
        q = books.to_use(product, num(a["Qty"]), a["Unit"])
        d = as_date(a["Date"])
        if a["Type"] == "transfer":
            events.append((d, 1, n, "out", lot, q, None))
            events.append((d, 1, n, "in", books.lots[(product, lot_key(a["Lot #"]), a["To Location"])], q, None))
        else:
            events.append((d, 3, n, "in" if a["Type"] == "count correction" else "out", lot, q, None))
    for c in books.counts:
        lot = books.lots[(books.names[norm(c["Product"])], lot_key(c["Lot #"]), c["Location"])]
        events.append((as_date(c["Date"]), 4, c["row"], "count", lot, num(c["Counted"]), None))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    bal: dict[int, Decimal] = defaultdict(Decimal)
    for d, _, _, kind, lot, q, extra in events:
        if kind == "in":
            bal[id(lot)] += q
        elif kind == "count":
            bal[id(lot)] = q
        elif kind == "out":
            bal[id(lot)] -= q
        else:
            v, product, check = extra
            e = books.exp(lot)
            if check and e is not None and e >= d:
                loc = where_is[id(lot)]  # FEFO compares lots where the row takes from
                for (prod, _, where), other in books.lots.items():
                    oe = books.exp(other)
                    if (prod == product and where == loc and other is not lot and oe is not None
                            and d <= oe < e and bal[id(other)] >= q):
                        found.add((v["sheet"], f"E{v['row']}"))
            bal[id(lot)] -= q
    assert found == planted


# --------------------------------------------------------------------------- each planted problem


def _check(books: Books, p: Planted) -> None:
    value = books.cell(p)
    header = books.header_of(p)
    code = p.code
    if code == "REMAINING_MISMATCH":
        assert header == "Remaining"
        r = books.receipt_at(p)
        assert (r["Lot #"], r["product"], r["Location"]) == (p.lot, p.product, p.location)
    elif code in ("MISSING_COST", "COST_CONFLICT"):
        assert header == "Unit Cost"
        r = books.receipt_at(p)
        assert (r["Lot #"], r["product"], r["Location"]) == (p.lot, p.product, p.location)
        if code == "MISSING_COST":
            assert value is None and len(books.lot_of(p)["receipts"]) == 1
        else:
            first = books.lot_of(p)["receipts"][0]
            assert first is not r and abs(num(first["Unit Cost"]) - num(value)) > Decimal("0.005")
    elif code in ("MISSING_EXPIRATION", "EXPIRED_ON_HAND", "EXPIRING_SOON"):
        assert header == "Exp Date"
        r = books.receipt_at(p)
        lot = books.lot_of(p)
        assert r is lot["receipts"][0]
        assert books.recorded_remaining(lot) > 0 or code == "MISSING_EXPIRATION"
        if code == "MISSING_EXPIRATION":
            assert all(x["Exp Date"] is None for x in lot["receipts"])
        elif code == "EXPIRED_ON_HAND":
            assert as_date(value) < DEMO_AS_OF
        else:
            assert DEMO_AS_OF <= as_date(value) <= DEMO_AS_OF + dt.timedelta(days=60)
    elif code == "COUNT_VARIANCE":
        assert p.sheet == "Q3 Count" and header == "Counted"
        c = books.counts[int(p.cell[1:]) - 2]
        assert (c["Lot #"], c["Location"]) == (p.lot, p.location)
    else:
        v = books.visit_at(p)
        assert v["Location"] == p.location
        lot = books.lot_of(p)
        if code == "UNKNOWN_LOT":
            assert header == "Lot #"
            assert lot_key(value) not in {k for (_, k, _) in books.lots}
            same_product = {k for (prod, k, _) in books.lots if prod == p.product}
            assert [k for k in same_product if lev(k, lot_key(value)) <= 2] == [lot_key(p.lot)]
            assert lev(lot_key(value), lot_key(p.lot)) == 1
        elif code == "MISSING_LOT":
            assert header == "Lot #"
            assert value is None or str(value).strip().upper() in NOT_RECORDED
            assert books.catalog[books.names[norm(v["Product"])]]["category"] == "Neurotoxin"
        elif code == "LOT_PRODUCT_MISMATCH":
            assert header == "Lot #"
            owners = {prod for (prod, k, _) in books.lots if k == lot_key(value)}
            assert owners and p.product not in owners
            assert all(not words(o) & words(v["Product"]) for o in owners)
        elif code == "PRODUCT_ALIAS":
            assert header == "Product"
            assert norm(value) not in books.names and words(value) & words(p.product)
            assert lot_key(v["Lot #"]) == lot_key(p.lot)
        elif code == "INVALID_VALUE":
            assert header in ("Date of Service", "Units Used") and isinstance(value, str)
            assert as_date(value) is None and not re.fullmatch(r"[\d.,]+", value)
        elif code == "UNKNOWN_UNIT":
            assert header == "Unit" and str(value).lower() not in UNIT_WORDS
        elif code == "DUPLICATE_ENTRY":
            prev = next(w for w in books.visits if w["sheet"] == v["sheet"] and w["row"] == v["row"] - 1)
            assert {k: w for k, w in prev.items() if k != "row"} == {k: w for k, w in v.items() if k != "row"}
        elif code in ("EXPIRED_USE", "FEFO_VIOLATION", "NEGATIVE_BALANCE", "UNLOGGED_TRANSFER"):
            assert header == "Lot #" and lot_key(value) == lot_key(p.lot)
            d = as_date(v["Date of Service"])
            if code == "EXPIRED_USE":
                assert books.exp(lot) < d
            elif code == "FEFO_VIOLATION":
                earlier = [x for (prod, _, loc), x in books.lots.items() if prod == p.product and loc == p.location
                           and books.exp(x) and d <= books.exp(x) < books.exp(lot)]
                assert earlier
            elif code == "UNLOGGED_TRANSFER":
                assert p.location == "Westside"
                assert (p.product, lot_key(p.lot), "Westside") not in books.lots
                assert (p.product, lot_key(p.lot), "Main St") in books.lots
        elif code == "USE_BEFORE_RECEIPT":
            assert header == "Date of Service"
            assert lot_key(v["Lot #"]) == lot_key(p.lot)
            assert as_date(value) < books.first_received(lot)
        else:  # pragma: no cover
            raise AssertionError(f"no check for {code}")


@pytest.mark.parametrize("planted", PLANTED, ids=[f"{p.code}-{p.sheet}-{p.cell}" for p in PLANTED])
def test_planted_problem_is_in_its_cell(books, planted):
    _check(books, planted)
