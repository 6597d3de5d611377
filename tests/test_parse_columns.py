"""The column-wise builder of clean visit rows (tables/parse.py `_quick_visits`) gives
exactly what the general row path gives: the same typed rows and the same findings,
whatever the cells hold (blank, N/A, totals, text quantities, negative, after as_of)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import detect_table
from lotsync.tables.mapping import Mapping
from lotsync.tables.parse import ParseOptions, parse_table

AS_OF = dt.date(2026, 1, 31)
HEADER = ["Date", "Patient", "Provider", "Product", "Lot #", "Units Used", "Unit", "Location",
          "Visit ID", "Charge"]

dates = st.one_of(st.dates(dt.date(2025, 12, 1), dt.date(2026, 2, 28)),
                  st.dates(dt.date(2025, 12, 1), dt.date(2026, 2, 28)).map(lambda d: f"{d.month}/{d.day}/{d.year}"),
                  st.sampled_from([None, "", "not a date", 46000.0, "Total"]))
quantities = st.one_of(st.integers(-5, 60).map(float), st.decimals(0, 50, places=2).map(str),
                       st.sampled_from(["20u", "1 syringe", "0.5 mL", "N/A", None, "", "-3", "?"]))
lots = st.sampled_from(["C3709C3", "lot# c3709c3", "H8821", "N/A", "unknown", "-", None, "", 4512.0, " X1 "])
words = st.sampled_from(["Botox", "botox ", "Juvederm  Voluma", None, "Dysport"])
people = st.sampled_from(["Amy", "Bea", None, "  Cy  ", 7.0, "Di\tEl", "Fa\u00a0Go", "Hu ", "", "   "])
texts = st.sampled_from(["Amy", "Bea", None, "Ann  Lee", "Jo\nKim", " Max", "", "V\u00a01"])
units = st.sampled_from([None, "u", "units", "mL", "syringe", "N/A", "vial"])
places = st.sampled_from([None, "North", "South", "N/A", ""])
prices = st.sampled_from([None, 120.0, "$1,200.50", "free", "", 0.0])
rows = st.lists(st.tuples(dates, people, people, words, lots, quantities, units, places,
                          st.one_of(texts, st.sampled_from(["V1", "V2"])), prices).map(list),
                min_size=1, max_size=40)


def _row_view(r):
    return (r.ref.row, r.date, r.product, r.quantity, r.unit, r.lot, r.lot_key, r.patient,
            r.provider, r.visit_id, r.location, r.price)


def _finding_view(f):
    return (f.code, f.message, f.source, f.product, f.lot, f.location, f.date, f.quantity,
            f.value, f.suggestion, f.identity)


@settings(max_examples=300)
@given(rows, st.booleans())
def test_quick_visit_rows_equal_the_general_path(body, ragged):
    cells = [list(HEADER)] + [r[:-1] if ragged and i % 3 == 0 and r[-1] is None else r
                              for i, r in enumerate(body)]
    sheet = RawSheet(file="visits.xlsx", sheet="Treatments", rows=cells)
    det = detect_table(sheet, Mapping())
    if det.kind is None or det.kind.value != "visits":
        return
    opts = ParseOptions(as_of=AS_OF)
    quick = parse_table(det, 0, opts, quick=True)
    general = parse_table(det, 0, opts, quick=False)
    assert [_row_view(r) for r in quick.rows] == [_row_view(r) for r in general.rows]
    assert [_finding_view(f) for f in quick.findings] == [_finding_view(f) for f in general.findings]
    assert quick.input == general.input


def test_a_clean_visit_table_is_built_by_columns_with_its_units_and_prices():
    cells = [HEADER, [dt.date(2026, 1, 5), "P1", "Amy", "Botox", "C3709C3", "20u", None, "North", "V1", "$120"],
             [dt.date(2026, 1, 6), "P2", "Bea", "Botox", "lot# c3709c3", 10.0, "units", None, None, None]]
    det = detect_table(RawSheet(file="v.xlsx", sheet="Treatments", rows=cells), Mapping())
    parsed = parse_table(det, 0, ParseOptions(as_of=AS_OF))
    a, b = parsed.rows
    assert (a.quantity, a.unit, a.lot_key, a.location, a.price) == (Decimal(20), "units", "C3709C3", "North", Decimal(120))
    assert (b.quantity, b.unit, b.lot_key, b.location, b.price, b.visit_id) == (Decimal(10), "units", "C3709C3", "", None, None)
    assert parsed.findings == []


def _fingerprints(rows):
    import hashlib
    return [hashlib.sha256("\x1f".join("" if c is None else f"{type(c).__name__}:{c}" for c in r)
                           .encode("utf-8")).hexdigest()[:16] for r in rows]


def test_equal_text_cells_are_shared_and_every_cell_keeps_its_type_and_fingerprint():
    body = [[dt.date(2026, 1, 5), "Amy Lee", "Botox", "C3709C3", 20.0, "units", True],
            [dt.date(2026, 1, 5), "Amy Lee", "Botox", "C3709C3", 1.0, "units", 1.0],
            [dt.datetime(2026, 1, 5, 0, 0), "Bea", "Botox", "C3709C3", -0.0, "units", 0.0],
            [dt.date(2026, 1, 6), "Bea", "Botox", "C3709C3", 0.0, "units", False]]
    cells = [["Date", "Patient", "Product", "Lot #", "Units Used", "Unit", "Paid"]] + \
        [[c if not isinstance(c, str) else "".join(list(c)) for c in r] for r in body]  # own str objects
    before = [[(type(c), c) for c in r] for r in cells]
    fingerprints = _fingerprints(cells)
    sheet = RawSheet(file="visits.xlsx", sheet="Treatments", rows=cells)
    det = detect_table(sheet, Mapping())
    assert det.kind is not None and det.kind.value == "visits"
    parsed = parse_table(det, 0, ParseOptions(as_of=AS_OF))
    assert [[(type(c), c) for c in r] for r in sheet.rows] == before
    assert _fingerprints(sheet.rows) == fingerprints
    assert [r.ref.fingerprint for r in parsed.rows] == fingerprints[1:]
    assert sheet.rows[1][1] is sheet.rows[2][1] and sheet.rows[1][3] is sheet.rows[4][3]
    # numbers are never shared across equal values of another type or sign
    assert type(sheet.rows[1][6]) is bool and type(sheet.rows[2][6]) is float
    assert str(sheet.rows[3][4]) == "-0.0" and str(sheet.rows[4][4]) == "0.0"
    assert type(sheet.rows[3][0]) is dt.datetime and type(sheet.rows[1][0]) is dt.date
