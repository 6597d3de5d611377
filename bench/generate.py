"""Generate a realistic med-spa practice of N visit rows for the lotsync benchmarks.

    python bench/generate.py N OUTDIR [--lots L] [--seed S]

Writes into OUTDIR:
  inventory.xlsx  one tab "Receiving": a title row, a blank row, then the receiving log
                  (Date Received, Product, Lot #, Expiration, Qty Received, Unit, Unit Cost,
                  Remaining, Location, Supplier, Invoice #): about L lots (default 10,000) of
                  ~50 products at 2 locations.
  visits.xlsx     one tab "Treatments", N rows: Date, Patient, Provider, Product, Lot #,
                  Units Used, Unit, Location, Visit ID, Charge (sorted by date).
  visits.csv      the same N rows as CSV (dates as M/D/YYYY, as Excel exports them).
  meta.json       the parameters and what was planted (counts per kind of problem).

How the data hangs together (so the ledger is realistic, not noise): each product at each
location uses its lots one after another, switching to a new lot only between days (one
open vial per product and site a day); a lot is received shortly before its first use
and holds exactly what its visits use (it ends depleted, Remaining 0), except the last lot
of each product and location, which still holds stock. Expirations increase with receipt
and fall after a lot's last use, so a clean row raises no finding. Then the problems a real
log has are planted, a small fraction each: ~2% of visit rows without a lot (blank, "N/A",
"unknown"), ~0.3% with a mistyped lot (one character off: lotsync repairs it), ~1% with the
lot spelled differently ("lot# c3709c3"), ~0.5% with the product name in another case or
spacing, ~0.5% with the quantity written as text ("20u", "1 syringe"), a few unreadable
quantities, a few rows entered twice, ~1% of lots whose Remaining is off, ~0.5% of lots
without a cost.

Deterministic: the same arguments give byte-identical files (seeded RNG, fixed workbook
timestamps). xlsxwriter's constant_memory mode keeps memory flat at a million rows.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import string
import sys
import time
from pathlib import Path

import xlsxwriter

GENERATOR_VERSION = 2  # 2: a product and site switch to a new lot only between days
START = dt.date(2024, 1, 1)
END = dt.date(2025, 12, 31)  # visits fall in [START, END]; the bench reconciles as of 2026-01-01
AS_OF = dt.date(2026, 1, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)
LOCATIONS = (("Main St", 0.6), ("Westside", 0.4))

# name, unit, popularity weight, typical doses (in unit, hundredths), cost per unit range,
# charge per unit, supplier, lot style
_TOX = [10, 12, 16, 20, 20, 24, 28, 30, 40, 44, 50, 60]
PRODUCTS: list[tuple] = [
    ("Botox Cosmetic 100U", "units", 30, _TOX, (4.60, 5.40), 14, "Allergan Aesthetics", "C####C#"),
    ("Botox Cosmetic 50U", "units", 6, _TOX, (4.80, 5.60), 14, "Allergan Aesthetics", "C####C#"),
    ("Dysport 300U", "units", 12, [30, 40, 50, 60, 80, 90, 120], (1.60, 1.95), 5, "Galderma", "#####"),
    ("Xeomin 100U", "units", 8, _TOX, (4.10, 4.90), 12, "Merz Aesthetics", "######"),
    ("Xeomin 50U", "units", 2, _TOX, (4.20, 5.00), 12, "Merz Aesthetics", "######"),
    ("Jeuveau 100U", "units", 6, _TOX, (3.90, 4.60), 12, "Evolus", "@#####"),
    ("Daxxify 100U", "units", 4, _TOX, (4.80, 5.60), 15, "Revance", "##@##@"),
    ("Letybo 50U", "units", 1, _TOX, (3.80, 4.50), 11, "Hugel", "@@####"),
    ("Juvederm Ultra XC", "syringe", 5, [1, 1, 1, 2], (290, 330), 700, "Allergan Aesthetics", "@#####"),
    ("Juvederm Ultra Plus XC", "syringe", 4, [1, 1, 2], (300, 340), 725, "Allergan Aesthetics", "@#####"),
    ("Juvederm Voluma XC", "syringe", 5, [1, 1, 2, 2, 3], (370, 420), 850, "Allergan Aesthetics", "@#####"),
    ("Juvederm Volbella XC", "syringe", 3, [1, 1, 1, 2], (300, 340), 650, "Allergan Aesthetics", "@#####"),
    ("Juvederm Vollure XC", "syringe", 3, [1, 1, 2], (320, 360), 750, "Allergan Aesthetics", "@#####"),
    ("Juvederm Volux XC", "syringe", 2, [1, 2, 2], (390, 440), 900, "Allergan Aesthetics", "@#####"),
    ("SkinVive", "syringe", 2, [1, 1, 2], (220, 260), 550, "Allergan Aesthetics", "@#####"),
    ("Restylane", "syringe", 2, [1, 1, 2], (260, 300), 650, "Galderma", "#####-#"),
    ("Restylane Lyft", "syringe", 3, [1, 1, 2], (290, 330), 750, "Galderma", "#####-#"),
    ("Restylane Kysse", "syringe", 4, [1, 1, 1], (280, 320), 700, "Galderma", "#####-#"),
    ("Restylane Defyne", "syringe", 2, [1, 1, 2], (300, 340), 750, "Galderma", "#####-#"),
    ("Restylane Refyne", "syringe", 2, [1, 1, 2], (290, 330), 725, "Galderma", "#####-#"),
    ("Restylane Contour", "syringe", 1, [1, 2], (310, 350), 800, "Galderma", "#####-#"),
    ("Restylane Silk", "syringe", 1, [1], (260, 300), 600, "Galderma", "#####-#"),
    ("Restylane Eyelight", "syringe", 1, [1], (280, 320), 700, "Galderma", "#####-#"),
    ("RHA 2", "syringe", 1, [1, 1, 2], (270, 310), 700, "Revance", "@@#####"),
    ("RHA 3", "syringe", 2, [1, 1, 2], (280, 320), 725, "Revance", "@@#####"),
    ("RHA 4", "syringe", 2, [1, 2, 2], (290, 330), 775, "Revance", "@@#####"),
    ("RHA Redensity", "syringe", 1, [1], (260, 300), 650, "Revance", "@@#####"),
    ("Belotero Balance", "syringe", 1, [1, 1, 2], (250, 290), 650, "Merz Aesthetics", "######"),
    ("Revanesse Versa", "syringe", 1, [1, 1, 2], (220, 260), 600, "Prollenium", "@######"),
    ("Radiesse 1.5 mL", "mL", 2, [150, 150, 300], (260, 300), 560, "Merz Aesthetics", "######"),
    ("Radiesse (+) 1.5 mL", "mL", 1, [150, 300], (270, 310), 580, "Merz Aesthetics", "######"),
    ("Sculptra", "vial", 2, [1, 1, 2], (410, 460), 950, "Galderma", "@#####"),
    ("Kybella", "mL", 1, [100, 200, 400], (290, 340), 600, "Allergan Aesthetics", "@#####"),
    ("Hylenex 150 USP", "mL", 1, [50, 100, 100], (95, 120), 250, "Halozyme", "@#####@"),
    ("Lidocaine 1% 30 mL", "mL", 2, [100, 200, 300], (0.40, 0.60), 0, "McKesson", "######@"),
    ("Semaglutide 2.5 mg/mL", "mg", 8, [25, 50, 100, 170, 240], (18, 24), 60, "Empower Pharmacy", "@@######"),
    ("Tirzepatide 10 mg/mL", "mg", 6, [250, 500, 750, 1000, 1250], (12, 16), 40, "Empower Pharmacy", "@@######"),
    ("Cyanocobalamin (B12) 1000 mcg/mL", "mL", 3, [100], (1.20, 1.80), 35, "McKesson", "@######"),
    ("Lipo-B", "mL", 2, [100], (3.50, 4.50), 40, "Empower Pharmacy", "@@######"),
    ("Glutathione 200 mg/mL", "mL", 2, [100, 200], (6.50, 8.00), 50, "Empower Pharmacy", "@@######"),
    ("NAD+ 100 mg/mL", "mL", 1, [100, 200], (14, 18), 90, "Empower Pharmacy", "@@######"),
    ("Biotin 10 mg/mL", "mL", 1, [100], (2.50, 3.50), 30, "Empower Pharmacy", "@@######"),
    ("Vitamin D3 50,000 IU/mL", "mL", 1, [100], (2.00, 3.00), 30, "Empower Pharmacy", "@@######"),
    ("Kenalog-10", "mL", 1, [10, 20, 50], (2.00, 3.00), 0, "McKesson", "@#####"),
    ("PRP Kit", "each", 2, [1], (75, 95), 650, "Eclipse", "@#####"),
    ("Microneedling Tip 36-pin", "each", 3, [1], (9, 13), 0, "SkinPen", "@@####"),
    ("Sofwave Tip", "each", 1, [1], (380, 420), 0, "Sofwave", "@@@####"),
    ("Exosome Serum 2.5 mL", "vial", 1, [1], (95, 125), 250, "ExoCoBio", "######"),
    ("Polynucleotide 2 mL", "syringe", 1, [1], (140, 170), 450, "Plinest", "@######"),
    ("Profhilo 2 mL", "syringe", 1, [1, 2], (210, 250), 550, "IBSA", "@@#####"),
]
# a lot's last product keeps this many typical doses on hand at the end
OPEN_STOCK_DOSES = (8, 30)

FIRST = ("Olivia Emma Ava Sophia Isabella Mia Amelia Harper Evelyn Abigail Emily Ella Elizabeth "
         "Camila Luna Sofia Avery Mila Aria Scarlett Penelope Layla Chloe Victoria Madison Eleanor "
         "Grace Nora Riley Zoey Hannah Hazel Lily Ellie Violet Lillian Zoe Stella Aurora Natalie "
         "Emilia Everly Leah Aubrey Willow Addison Lucy Audrey Bella Nova Brooklyn Paisley Savannah "
         "Claire Skylar Isla Genesis Naomi Elena Caroline Liam Noah James Michael David Daniel").split()
LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
        "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
        "Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill "
        "Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips "
        "Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook "
        "Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward "
        "Richardson Watson Brooks Chavez Wood James Bennett Gray Mendoza Ruiz Hughes Price Alvarez "
        "Castillo Sanders Patel Myers Long Ross Foster Jimenez").split()
PROVIDERS = {"Main St": ["Dr. Alana Reyes", "Jessica Tran, RN", "Megan Holt, NP", "Dr. Sam Okafor"],
             "Westside": ["Dr. Priya Shah", "Brooke Lane, RN", "Carla Mendes, PA-C"]}

HEADERS_INV = ["Date Received", "Product", "Lot #", "Expiration", "Qty Received", "Unit",
               "Unit Cost", "Remaining", "Location", "Supplier", "Invoice #"]
HEADERS_VIS = ["Date", "Patient", "Provider", "Product", "Lot #", "Units Used", "Unit",
               "Location", "Visit ID", "Charge"]
TEXT_UNIT = {"units": "u", "syringe": " syringe", "mL": " mL", "mg": " mg", "vial": " vial", "each": " ea"}


def _serial(d: dt.date) -> int:
    return (d - EXCEL_EPOCH).days


def _num(hundredths: int) -> int | float:
    """An exact quantity from hundredths: an int when whole, else a float whose repr is exact."""
    return hundredths // 100 if hundredths % 100 == 0 else hundredths / 100


def _lot_number(rng: random.Random, style: str, used: set[str]) -> str:
    while True:
        s = "".join(rng.choice(string.digits) if ch == "#" else
                    rng.choice(string.ascii_uppercase) if ch == "@" else ch for ch in style)
        key = "".join(ch for ch in s if ch.isalnum()).upper()
        if key not in used:
            used.add(key)
            return s


def _typo(rng: random.Random, lot: str, used: set[str]) -> str | None:
    """One character of `lot` replaced by another of its kind, giving an unknown key."""
    for _ in range(20):
        idx = [i for i, ch in enumerate(lot) if ch.isalnum()]
        i = rng.choice(idx)
        ch = lot[i]
        pool = string.digits if ch.isdigit() else string.ascii_uppercase
        new = lot[:i] + rng.choice(pool.replace(ch, "")) + lot[i + 1:]
        key = "".join(c for c in new if c.isalnum()).upper()
        if key not in used:
            return new
    return None


class Practice:
    """The generated practice, built in memory (columns as lists), then written."""

    def __init__(self, n_rows: int, n_lots: int, seed: int) -> None:
        self.n = n_rows
        self.n_lots = n_lots
        self.seed = seed
        self.planted: dict[str, int] = {}

    def _plant(self, what: str, k: int = 1) -> None:
        self.planted[what] = self.planted.get(what, 0) + k

    def build(self) -> None:
        rng = random.Random(self.seed)
        n = self.n
        span = (END - START).days + 1
        weights = [p[2] for p in PRODUCTS]
        loc_names = [l for l, _ in LOCATIONS]
        loc_w = [w for _, w in LOCATIONS]
        first_i = len(FIRST)
        n_patients = max(500, n // 4)

        # --- visits (a visit: one date, patient, provider, location; 1-3 products) -------
        n_visits_est = int(n / 1.35) + 100  # overshoot; the loop stops at N rows
        days = sorted(rng.randrange(span) for _ in range(n_visits_est))
        date = []; patient = []; provider = []; product = []; qty = []; location = []
        visit_id = []
        vi = 0
        for day in days:
            if len(date) >= n:
                break
            vi += 1
            loc = rng.choices(loc_names, loc_w)[0]
            prov = rng.choice(PROVIDERS[loc])
            p = rng.randrange(n_patients)
            pname = f"{LAST[p % len(LAST)]}, {FIRST[(p // len(LAST)) % first_i]}"
            if p >= len(LAST) * first_i:
                pname += f" {string.ascii_uppercase[(p // (len(LAST) * first_i)) % 26]}."
            k = rng.choices((1, 2, 3), (0.65, 0.25, 0.10))[0]
            prods = set()
            while len(prods) < k:
                prods.add(rng.choices(range(len(PRODUCTS)), weights)[0])
            for pi in sorted(prods):
                if len(date) >= n:
                    break
                date.append(day); patient.append(pname); provider.append(prov); product.append(pi)
                qty.append(rng.choice(PRODUCTS[pi][3]) * (100 if PRODUCTS[pi][1] not in ("mL", "mg") else 1))
                location.append(loc); visit_id.append(vi)
        n = len(date)
        self.n = n

        # --- lots: each (product, location) uses its lots one after another --------------
        groups: dict[tuple[int, str], list[int]] = {}
        for i in range(n):
            groups.setdefault((product[i], location[i]), []).append(i)
        lot_of = [0] * n
        used_keys: set[str] = set()
        lots: list[dict] = []  # receipts
        inv_no = 10000
        for (pi, loc), rows in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
            name, unit, _w, doses, (c_lo, c_hi), _charge, supplier, style = PRODUCTS[pi]
            k = max(1, round(self.n_lots * len(rows) / n))
            bounds = [round(j * len(rows) / k) for j in range(k + 1)]
            # a lot is opened at the start of a day: one vial in use per product and site
            # a day, as clinics work, so the open vial and FEFO name the same lot
            for j in range(1, k):
                b = max(bounds[j], bounds[j - 1])
                while 0 < b < len(rows) and date[rows[b]] == date[rows[b - 1]]:
                    b += 1
                bounds[j] = b
            prev_last_day = None
            prev_exp = None
            for j in range(k):
                chunk = rows[bounds[j]:bounds[j + 1]]
                if not chunk:
                    continue
                first_day, last_day = date[chunk[0]], date[chunk[-1]]
                lo = prev_last_day if prev_last_day is not None else first_day - 14
                recv = rng.randint(max(lo, first_day - 3), first_day)
                # a shelf life of ~14 months from receipt, and never before the last use;
                # later receipts expire later (FEFO order is receipt order)
                exp = max(recv + 420 + rng.randint(0, 20), last_day + 30 + rng.randint(0, 20))
                if prev_exp is not None and exp <= prev_exp:
                    exp = prev_exp + 1
                total = sum(qty[i] for i in chunk)
                lot_index = len(lots)
                for i in chunk:
                    lot_of[i] = lot_index
                cost_h = rng.randint(round(c_lo * 100), round(c_hi * 100))
                remaining = 0
                if j == k - 1:  # the open lot: still holds stock at the end
                    extra = sum(rng.choice(doses) for _ in range(rng.randint(*OPEN_STOCK_DOSES)))
                    extra *= 100 if unit not in ("mL", "mg") else 1
                    total += extra
                    remaining = extra
                inv_no += rng.randint(1, 3)
                lots.append({"product": pi, "location": loc, "lot": _lot_number(rng, style, used_keys),
                             "received": recv, "expiration": exp, "quantity": total,
                             "remaining": remaining, "cost": cost_h, "invoice": f"INV-{inv_no}",
                             "supplier": supplier})
                prev_last_day, prev_exp = last_day, exp
        self.lots = lots

        # --- planted problems on lots ------------------------------------------------------
        for lot in lots:
            r = rng.random()
            if r < 0.01:  # Remaining written wrong
                lot["remaining"] += rng.choice((-1, 1)) * rng.choice(PRODUCTS[lot["product"]][3]) * (
                    100 if PRODUCTS[lot["product"]][1] not in ("mL", "mg") else 1)
                lot["remaining"] = max(lot["remaining"], 0)
                self._plant("remaining_off")
            elif r < 0.015:
                lot["cost"] = None
                self._plant("missing_cost")

        # --- visit cells, with the problems a real log has ---------------------------------
        lot_cell: list[str] = []
        qty_cell: list = []
        prod_cell: list[str] = []
        dup: list[int] = []
        unread: list[int] = []
        for i in range(n):
            lot = lots[lot_of[i]]
            pi = product[i]
            name, unit = PRODUCTS[pi][0], PRODUCTS[pi][1]
            text = lot["lot"]
            r = rng.random()
            if r < 0.02:
                text = rng.choice(("", "", "", "N/A", "unknown", "-"))
                self._plant("missing_lot")
            elif r < 0.023:
                t = _typo(rng, text, used_keys)
                if t:
                    text = t
                    self._plant("lot_typo")
            elif r < 0.033:
                text = rng.choice((f"Lot# {text}", text.lower(), f"lot {text}", text.replace("-", " ")))
                self._plant("lot_spelling")
            lot_cell.append(text)
            r = rng.random()
            if r < 0.005:
                prod_cell.append(rng.choice((name.lower(), name.upper(), name.replace(" ", "  ", 1))))
                self._plant("product_spelling")
            else:
                prod_cell.append(name)
            q = _num(qty[i])
            r = rng.random()
            if r < 0.005:
                qty_cell.append(f"{q}{TEXT_UNIT[unit]}")
                self._plant("quantity_as_text")
            elif r < 0.00505:
                qty_cell.append(rng.choice(("see note", "??", "half")))
                self._plant("quantity_unreadable")
                unread.append(i)
            else:
                qty_cell.append(q)
            if rng.random() < 0.0002:
                dup.append(i)
        self.rows_order: list[int] = []
        dupset = set(dup)
        for i in range(n):
            self.rows_order.append(i)
            if i in dupset:
                self.rows_order.append(i)  # entered twice (the sheet gains a row)
        self._plant("duplicate_row", len(dup))
        # keep exactly N rows: drop the tail the duplicates pushed out
        dropped = set(range(n)) - set(self.rows_order[:n])
        self.rows_order = self.rows_order[:n]
        # a row lotsync cannot read (or that is not in the sheet) took nothing from the
        # lot as far as the log says: receive only what the readable rows use, so an
        # unreadable cell is one finding rather than leftover stock in an old lot. (A
        # mistyped lot stays received: the vial was used, and lotsync's inference books
        # the row on the open vial, which is that lot now that lots change between days.)
        for i in sorted(dropped) + unread:
            lots[lot_of[i]]["quantity"] -= qty[i]
        self.cols = dict(date=date, patient=patient, provider=provider, product=product,
                         prod_cell=prod_cell, lot_cell=lot_cell, qty_cell=qty_cell, qty=qty,
                         location=location, visit_id=visit_id)

    # --- writing ---------------------------------------------------------------------------
    def _workbook(self, path: Path) -> xlsxwriter.Workbook:
        wb = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False})
        wb.set_properties({"created": dt.datetime(2026, 1, 1), "author": "lotsync bench"})
        return wb

    def write_inventory(self, path: Path) -> None:
        wb = self._workbook(path)
        bold = wb.add_format({"bold": True, "bottom": 1})
        title = wb.add_format({"bold": True, "font_size": 14})
        datef = wb.add_format({"num_format": "m/d/yyyy"})
        money = wb.add_format({"num_format": "$#,##0.00"})
        ws = wb.add_worksheet("Receiving")
        ws.set_column(0, 0, 13); ws.set_column(1, 1, 30); ws.set_column(2, 2, 12)
        ws.set_column(3, 8, 12); ws.set_column(9, 10, 20)
        ws.freeze_panes(3, 0)
        ws.write_string(0, 0, "Glow Med Spa - Receiving Log", title)
        for j, h in enumerate(HEADERS_INV):
            ws.write_string(2, j, h, bold)
        lots = sorted(self.lots, key=lambda l: (l["received"], l["product"], l["location"]))
        for r, lot in enumerate(lots, start=3):
            name, unit = PRODUCTS[lot["product"]][0], PRODUCTS[lot["product"]][1]
            ws.write_number(r, 0, _serial(START + dt.timedelta(days=lot["received"])), datef)
            ws.write_string(r, 1, name)
            ws.write_string(r, 2, lot["lot"])
            ws.write_number(r, 3, _serial(START + dt.timedelta(days=lot["expiration"])), datef)
            ws.write_number(r, 4, _num(lot["quantity"]))
            ws.write_string(r, 5, unit)
            if lot["cost"] is not None:
                ws.write_number(r, 6, _num(lot["cost"]), money)
            ws.write_number(r, 7, _num(lot["remaining"]))
            ws.write_string(r, 8, lot["location"])
            ws.write_string(r, 9, lot["supplier"])
            ws.write_string(r, 10, lot["invoice"])
        ws.autofilter(2, 0, 2 + len(lots), len(HEADERS_INV) - 1)
        wb.close()

    def _visit_rows(self):
        c = self.cols
        for i in self.rows_order:
            pi = c["product"][i]
            unit, charge_u = PRODUCTS[pi][1], PRODUCTS[pi][5]
            charge = None
            if charge_u:
                charge = round(c["qty"][i] * charge_u / 100)
            yield (c["date"][i], c["patient"][i], c["provider"][i], c["prod_cell"][i],
                   c["lot_cell"][i], c["qty_cell"][i], unit, c["location"][i],
                   f"V{c['visit_id'][i]:07d}", charge)

    def write_visits_xlsx(self, path: Path) -> None:
        wb = self._workbook(path)
        bold = wb.add_format({"bold": True, "bottom": 1})
        datef = wb.add_format({"num_format": "m/d/yyyy"})
        money = wb.add_format({"num_format": "$#,##0.00"})
        ws = wb.add_worksheet("Treatments")
        ws.set_column(0, 0, 11); ws.set_column(1, 3, 24); ws.set_column(4, 9, 11)
        ws.freeze_panes(1, 0)
        for j, h in enumerate(HEADERS_VIS):
            ws.write_string(0, j, h, bold)
        ws_string, ws_number = ws.write_string, ws.write_number
        serial0 = _serial(START)
        r = 0
        for (day, pat, prov, prod, lot, q, unit, loc, vid, charge) in self._visit_rows():
            r += 1
            ws_number(r, 0, serial0 + day, datef)
            ws_string(r, 1, pat)
            ws_string(r, 2, prov)
            ws_string(r, 3, prod)
            if lot:
                ws_string(r, 4, lot)
            if isinstance(q, str):
                ws_string(r, 5, q)
            else:
                ws_number(r, 5, q)
            ws_string(r, 6, unit)
            ws_string(r, 7, loc)
            ws_string(r, 8, vid)
            if charge is not None:
                ws_number(r, 9, charge, money)
        wb.close()

    def write_visits_csv(self, path: Path) -> None:
        dates = {}
        with open(path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(HEADERS_VIS)
            for (day, pat, prov, prod, lot, q, unit, loc, vid, charge) in self._visit_rows():
                ds = dates.get(day)
                if ds is None:
                    d = START + dt.timedelta(days=day)
                    ds = dates[day] = f"{d.month}/{d.day}/{d.year}"
                w.writerow((ds, pat, prov, prod, lot, q, unit, loc, vid,
                            "" if charge is None else f"{charge:.2f}"))


def generate(n_rows: int, out_dir: str | os.PathLike, n_lots: int = 10_000, seed: int = 20260101,
             verbose: bool = True) -> dict:
    """Write the practice into `out_dir`; returns its meta.json content."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    p = Practice(n_rows, n_lots, seed)
    p.build()
    times = {"build": time.perf_counter() - t0}
    for name, fn in (("inventory.xlsx", p.write_inventory), ("visits.xlsx", p.write_visits_xlsx),
                     ("visits.csv", p.write_visits_csv)):
        t = time.perf_counter()
        tmp = out / f".{name}.tmp{Path(name).suffix}"
        fn(tmp)
        os.replace(tmp, out / name)
        times[name] = time.perf_counter() - t
        if verbose:
            print(f"  wrote {out / name} ({(out / name).stat().st_size / 1e6:.1f} MB, {times[name]:.1f} s)",
                  file=sys.stderr)
    meta = {"generator_version": GENERATOR_VERSION, "rows": p.n, "lots": len(p.lots),
            "requested_lots": n_lots, "seed": seed, "products": len(PRODUCTS),
            "locations": [l for l, _ in LOCATIONS], "as_of": AS_OF.isoformat(),
            "first_date": START.isoformat(), "last_date": END.isoformat(),
            "planted": dict(sorted(p.planted.items())),
            "seconds": {k: round(v, 2) for k, v in times.items()}}
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example: python bench/generate.py 100000 bench/out/practice-100000")
    ap.add_argument("rows", type=int, help="visit rows (N)")
    ap.add_argument("outdir")
    ap.add_argument("--lots", type=int, default=10_000, help="lots in the receiving log (default 10000)")
    ap.add_argument("--seed", type=int, default=20260101)
    a = ap.parse_args(argv)
    if a.rows < 1 or a.rows > 1_048_575:
        ap.error("rows must be between 1 and 1,048,575 (Excel's sheet limit less the header)")
    meta = generate(a.rows, a.outdir, a.lots, a.seed)
    print(json.dumps(meta, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
