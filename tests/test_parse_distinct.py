"""The parse reads each column's distinct values once (tables/parse.py `_Column`: the
Grid's codes, a parsed table by code) and builds the visit rows in C-level passes; it
gives exactly what the parser gave before, kept as the oracle in
tests/parse_reference.py: the same typed rows (types, values, exponents), the same
findings (code, message, cell, order) and the same table counts, on random tables of
every kind, on coded and uncoded Grid columns, and on the demo practice's files."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import parse_reference
from lotsync.demo.practice import write_demo_practice
from lotsync.pipeline import read_sources
from lotsync.readers.grid import Grid
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import detect_table
from lotsync.tables.mapping import Mapping
from lotsync.tables.parse import ParseOptions, parse_table

AS_OF = dt.date(2026, 1, 31)

dates = st.one_of(st.dates(dt.date(2025, 12, 1), dt.date(2026, 2, 28)),
                  st.dates(dt.date(2025, 12, 1), dt.date(2026, 2, 28)).map(lambda d: f"{d.month}/{d.day}/{d.year}"),
                  st.dates(dt.date(2025, 12, 1), dt.date(2026, 2, 28)).map(lambda d: f"{d.day}/{d.month}/{d.year}"),
                  st.sampled_from([None, "", "not a date", 46000.0, "Total", "  ", "05/2027",
                                   dt.datetime(2026, 1, 2, 9, 30)]))
numbers = st.one_of(st.integers(-5, 60).map(float), st.integers(-5, 60),
                    st.decimals(0, 50, places=2).map(str),
                    st.sampled_from(["20u", "1 syringe", "0.5 mL", "N/A", None, "", "-3", "?",
                                     "$1,200.50", "free", 0.0, -0.0, True, 1, 1.0, "1.10"]))
lots = st.sampled_from(["C3709C3", "lot# c3709c3", "H8821", "N/A", "unknown", "-", None, "",
                        4512.0, " X1 ", 4512, "Total lots"])
words = st.sampled_from(["Botox", "botox ", "Juvederm  Voluma", None, "Dysport", "Total", 7.0])
people = st.sampled_from(["Amy", "Bea", None, "  Cy  ", 7.0, "Di\tEl", "Fa\u00a0Go", "Hu ", "", "   "])
units = st.sampled_from([None, "u", "units", "mL", "syringe", "N/A", "vial", ""])
places = st.sampled_from([None, "North", "South", "N/A", "", " North "])
types = st.sampled_from(["Waste", "expired", "Transfer", "return to vendor", "?", None, "adj"])

VISITS = (["Date", "Patient", "Provider", "Product", "Lot #", "Units Used", "Unit", "Location",
           "Visit ID", "Charge"],
          st.tuples(dates, people, people, words, lots, numbers, units, places, people, numbers))
INVENTORY = (["Received", "Product", "Lot", "Qty", "Unit", "Expiration", "Unit Cost", "Location"],
             st.tuples(dates, words, lots, numbers, units, dates, numbers, places))
ADJUSTMENTS = (["Date", "Product", "Lot", "Qty", "Type", "Reason", "Location", "To Location"],
               st.tuples(dates, words, lots, numbers, types, people, places, places))
COUNTS = (["Count Date", "Product", "Lot", "Counted", "Location"],
          st.tuples(dates, words, lots, numbers, places))
KINDS = {"visits": VISITS, "inventory": INVENTORY, "adjustments": ADJUSTMENTS, "counts": COUNTS}


def _value_view(v):
    """A value with its type and exact text (Decimal('1') and Decimal('1.0') differ)."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return tuple((f.name, _value_view(getattr(v, f.name))) for f in dataclasses.fields(v)
                     if f.name not in ("ref", "table"))
    if isinstance(v, (list, tuple)):
        return tuple(map(_value_view, v))
    return (type(v).__name__, repr(v))


def _row_view(r):
    return (type(r).__name__, r.ref.table.order, r.ref.row, _value_view(r))


def _parsed_view(p):
    return ([_row_view(r) for r in p.rows], [_value_view(f) for f in p.findings],
            [f.identity for f in p.findings], p.input)


def _assert_same_parse(det, opts):
    new = parse_table(det, 0, opts)
    old = parse_reference.parse_table(det, 0, opts)
    assert _parsed_view(new) == _parsed_view(old)


@st.composite
def tables(draw):
    kind = draw(st.sampled_from(sorted(KINDS)))
    header, row = KINDS[kind]
    body = draw(st.lists(row.map(list), min_size=1, max_size=40))
    # some tables start lower on the sheet (a title row), some rows are short
    lead = [["Clinic log"]] if draw(st.booleans()) else []
    ragged = draw(st.booleans())
    cells = lead + [list(header)] + [r[:-2] if ragged and i % 4 == 1 else r
                                     for i, r in enumerate(body)]
    return cells


@settings(max_examples=400, deadline=None)
@given(tables(), st.booleans())
def test_the_distinct_value_parse_gives_what_the_per_list_parser_gave_on_any_table(cells, day_first):
    sheet = RawSheet(file="log.xlsx", sheet="Log", rows=cells)
    det = detect_table(sheet, Mapping())
    if det.kind is None:
        return
    _assert_same_parse(det, ParseOptions(as_of=AS_OF, day_first=day_first))


@settings(max_examples=150, deadline=None)
@given(tables())
def test_a_table_read_from_a_grid_of_coded_columns_parses_as_from_the_cells_as_a_list(cells):
    """The same rows held as a Grid (coded where the grid rules allow) and as a list of
    lists (every column a plain list): the same parse, and the same as the oracle."""
    det = detect_table(RawSheet(file="log.xlsx", sheet="Log", rows=Grid.from_rows(cells)), Mapping())
    if det.kind is None:
        return
    opts = ParseOptions(as_of=AS_OF)
    listed = dataclasses.replace(det, sheet=dataclasses.replace(det.sheet, rows=list(map(list, cells))))
    assert _parsed_view(parse_table(det, 0, opts)) == _parsed_view(parse_table(listed, 0, opts))
    _assert_same_parse(det, opts)


def test_a_column_of_many_distinct_texts_with_untidy_ones_reads_each_cell_as_before():
    header = ["Date", "Patient", "Provider", "Product", "Lot #", "Units Used", "Location", "Visit ID"]
    body = [[dt.date(2026, 1, 1 + i % 28), f"P{i}" + ("  x" if i % 7 == 0 else ""), "Amy", "Botox",
             "C3709C3" if i % 11 else None, float(i % 30) - (3 if i % 13 == 0 else 0),
             "North" if i % 5 else None, f"V{i}"] for i in range(3000)]
    det = detect_table(RawSheet(file="v.xlsx", sheet="T", rows=[header] + body), Mapping())
    assert det.kind is not None and det.kind.value == "visits"
    opts = ParseOptions(as_of=AS_OF)
    new = parse_table(det, 0, opts)
    assert {f.code for f in new.findings} >= {"MISSING_LOT", "INVALID_VALUE"}
    assert "P7 x" in {r.patient for r in new.rows}  # doubled space: cleaned per value
    _assert_same_parse(det, opts)


@pytest.fixture(scope="module")
def demo_sheets(tmp_path_factory) -> list:
    out = tmp_path_factory.mktemp("demo-practice")
    files = write_demo_practice(Path(out))
    return read_sources([str(f) for f in files])


def test_the_demo_practice_parses_as_the_per_list_parser_parsed_it(demo_sheets):
    opts = ParseOptions(as_of=dt.date(2026, 1, 31))
    parsed = 0
    for order, sheet in enumerate(demo_sheets):
        det = detect_table(sheet, Mapping())
        if det.kind is None:
            continue
        new = parse_table(det, order, opts)
        old = parse_reference.parse_table(det, order, opts)
        assert _parsed_view(new) == _parsed_view(old), (sheet.file, sheet.sheet)
        parsed += len(new.rows)
    assert parsed > 200


@settings(max_examples=300, deadline=None)
@given(st.sampled_from("BHI"), st.lists(st.integers(0, 70000), max_size=60), st.integers(0, 70000))
def test_a_code_is_found_in_the_codes_only_where_a_whole_item_holds_it(typecode, codes, k):
    """`_has_code` answers `k in codes`, also when k's bytes appear across two items
    (the codes 0x0100 then 0x0000 hold the bytes of 0x0001 at an odd offset)."""
    from array import array

    from lotsync.tables.parse import _has_code
    top = {"B": 0xFF, "H": 0xFFFF, "I": 70000}[typecode]
    arr = array(typecode, [c % (top + 1) for c in codes])
    assert _has_code(arr, arr.tobytes(), k) == (k in arr)
    straddle = array("H", [0x0100, 0x0000, 0x0100])
    assert not _has_code(straddle, straddle.tobytes(), 1)


def test_a_value_seen_only_in_the_header_is_not_among_the_data_rows_values():
    """The title and header cells share the column's table of values: the distinct values
    of the data rows leave out those seen only above them (and None when no cell is blank)."""
    from lotsync.tables.parse import _Column
    grid = Grid.from_rows([["Visits log"], ["Visit ID"]] + [[f"V{i}"] for i in range(300)]
                          + [["Visits log"]])
    col = _Column.of(grid[2:], 0)
    assert col.codes is not None  # coded: the distinct-value path is the one tested
    assert col.distinct() == {f"V{i}" for i in range(300)} | {"Visits log"}
    col = _Column.of(grid[2:301], 0)
    assert col.distinct() == {f"V{i}" for i in range(299)}
    col = _Column.of(Grid.from_rows([["Visit ID"], [None], ["V1"]])[1:], 0)
    assert col.distinct() == {None, "V1"}
