"""A sheet's cells held column by column (readers/grid.py): every row reads back as the
same list of cells the reader saw (length, types, values, a row's fingerprint), whatever
the columns hold, across blocks of rows; and the grid costs far less than row lists."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import pickle
import tracemalloc

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from lotsync.readers import read_path
from lotsync.readers.grid import BLOCK, Grid, GridBuilder
from lotsync.readers.raw import RawSheet

from helpers import write_csv


def _view(rows):
    """Each cell as its type and its text: what a row's fingerprint sees (repr also tells
    -0.0 from 0.0 and a date from a datetime)."""
    return [[(type(c), repr(c)) for c in r] for r in rows]


def _fingerprint(row) -> str:  # as model.RowRef.fingerprint hashes a row
    text = "\x1f".join("" if c is None else f"{type(c).__name__}:{c}" for c in row)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


cells = st.one_of(
    st.none(), st.sampled_from(["Botox", "units", "", " ", "C3709C3", "Total"]), st.text(max_size=4),
    st.booleans(), st.integers(-3, 3), st.sampled_from([0.0, -0.0, 1.0, 2.5, math.inf, -1.0]),
    st.floats(allow_nan=True), st.dates(dt.date(2025, 1, 1), dt.date(2025, 1, 5)),
    st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 2)).map(lambda d: d.replace(microsecond=0, fold=0)),  # no reader sets fold
    st.just(dt.datetime(2025, 1, 1, 0, 0)), st.just(dt.time(9, 30)), st.just(dt.timedelta(days=1)))
rows = st.lists(st.lists(cells, max_size=6), max_size=30)


@settings(max_examples=300, deadline=None)
@given(rows)
def test_every_row_reads_back_as_the_cells_the_reader_gave_whatever_the_columns_hold(rs):
    grid = Grid.from_rows(rs)
    assert len(grid) == len(rs)
    assert _view(grid) == _view(rs)
    assert [_view([grid[i]]) for i in range(len(rs))] == [_view([r]) for r in rs]
    assert [_fingerprint(r) for r in grid] == [_fingerprint(r) for r in rs]
    width = max(map(len, rs), default=0)
    for j in range(width + 1):
        assert _view([grid.column(j)]) == _view([[r[j] if j < len(r) else None for r in rs]])
    assert _view(pickle.loads(pickle.dumps(grid))) == _view(rs)


def test_a_number_of_another_kind_in_a_later_block_keeps_its_type_and_sign():
    # the first block holds only floats (coded); later blocks bring 1 (an int equal to
    # 1.0), True (equal to 1.0) and -0.0 (equal to 0.0): each keeps its own type and sign
    n = 3 * BLOCK
    rs = [["Botox", float(i % 7), 0.0 if i % 2 else 1.0] for i in range(n)]
    rs[BLOCK + 5][1] = 1
    rs[2 * BLOCK + 9][1] = True
    rs[2 * BLOCK + 11][2] = -0.0
    grid = Grid.from_rows(rs)
    assert _view(grid) == _view(rs)
    assert type(grid[BLOCK + 5][1]) is int and grid[2 * BLOCK + 9][1] is True
    assert str(grid[2 * BLOCK + 11][2]) == "-0.0" and str(grid[2 * BLOCK + 12][2]) == "1.0"


def test_equal_text_and_date_cells_come_back_as_one_object_across_blocks():
    n = 2 * BLOCK + 10
    rs = [["".join(["Bo", "tox"]), dt.date(2026, 1, 1 + i % 3), f"V{i}"] for i in range(n)]
    grid = Grid.from_rows(rs)
    assert grid[0][0] is grid[n - 1][0] and grid[3][1] is grid[3 + 3 * 5000][1]
    assert grid[n - 1][2] == f"V{n - 1}" and grid[-1] == rs[-1] and grid == rs


def test_ragged_csv_rows_stay_ragged_and_empty_lines_stay_empty_rows(tmp_path):
    rs = [["a", "b", "c"]] + [["1"], [], ["2", "3", "4", "5"]] * BLOCK + [["xy", "z"]]
    path = write_csv(tmp_path / "ragged.csv", rs)
    sheet = read_path(path)[0]
    assert len(sheet.rows) == len(rs)
    assert sheet.rows[1] == ["1"] and sheet.rows[2] == [] and sheet.rows[3] == ["2", "3", "4", "5"]
    assert sheet.rows[-1] == ["xy", "z"] and sheet.rows == rs


def test_a_slice_is_read_lazily_and_gives_the_same_rows_as_a_list_would():
    rs = [[f"r{i}", float(i)] for i in range(BLOCK + 100)]
    grid = Grid.from_rows(rs)
    view = grid[5:]
    assert len(view) == len(rs) - 5 and view[0] == rs[5] and view[-1] == rs[-1]
    assert view.column(1)[:3] == [5.0, 6.0, 7.0] and view == rs[5:]
    assert list(view[2:4]) == rs[7:9] and grid[:0] == []
    first = iter(view)
    assert next(first) == rs[5] and next(first) == rs[6]


def test_a_sheet_with_one_cell_far_to_the_right_keeps_its_rows_as_lists_not_a_million_columns():
    # 200,000 rows of 3 cells and one row of 20,000: as columns, 4 GB of codes
    rs = [["Botox", "C1", 2.0]] * 200_000
    rs[100] = [None] * 19_999 + ["stray"]
    tracemalloc.start()
    try:
        grid = Grid.from_rows(rs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 1024**2
    assert grid[100][-1] == "stray" and len(grid[100]) == 20_000 and grid[101] == ["Botox", "C1", 2.0]
    assert grid.column(19_999)[100] == "stray" and grid == rs


def test_a_workbook_read_in_blocks_gives_every_cell_as_calamine_does_empty_cells_as_none(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Product", "Units", "Paid", "Note"])
    for i in range(2 * BLOCK + 50):
        ws.append([dt.date(2026, 1, 1 + i % 28), "Botox 100U" if i % 3 else None,
                   [20, 1.5, 0.0, 7][i % 4], None if i % 5 else 120.0, "late" if i == 2 * BLOCK + 7 else None])
    path = tmp_path / "blocks.xlsx"
    wb.save(path)
    sheet = read_path(path)[0]
    reference = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(skip_empty_area=False)
    reference = [[None if c == "" and c.__class__ is str else c for c in r] for r in reference]
    assert _view(sheet.rows) == _view(reference)
    assert sheet.rows[2 * BLOCK + 8][4] == "late" and sheet.rows[1][1] is None


def test_a_sheet_costs_its_columns_not_a_list_per_row():
    # 50,000 visit-like rows: codes and distinct values, against the row lists they replace
    n = 50_000
    tracemalloc.start()
    try:
        rs = [[dt.date(2025, 1 + i % 12, 1 + i % 28), f"Patient {i % 900}", "Botox 100U",
               f"C{i % 400:04d}", float(1 + i % 40), "units", f"V{i}", 12.5 * (i % 9)] for i in range(n)]
        as_lists = tracemalloc.get_traced_memory()[0]
        sheet = RawSheet(file="v.xlsx", sheet="Visits", rows=rs)
        del rs
        as_grid = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert as_grid < as_lists / 3
    assert sheet.rows[49_999][6] == "V49999" and type(sheet.rows[7][4]) is float


def test_list_arithmetic_on_rows_gives_lists_as_a_list_of_rows_would():
    rs = [["Product", "Lot"], ["Botox", "C1"], ["Dysport", "D2"]]
    grid = Grid.from_rows(rs)
    assert [grid[0]] + grid[1:] * 2 == [rs[0]] + rs[1:] * 2
    assert grid[1:] + grid[:1] == rs[1:] + rs[:1] and 2 * grid[2:] == rs[2:] * 2
    assert grid + [["x"]] == rs + [["x"]]
