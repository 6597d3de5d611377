"""The preflight's sheet scan (issue 10): one regex pass per piece decides whether a piece
needs the exact look (wide or odd cells), so it must give the same extent and the same
odd verdict wherever the stream is cut into pieces, and on real workbooks."""

from __future__ import annotations

import openpyxl
import pytest
import readers_files as rf

from lotsync.readers import preflight
from lotsync.readers.preflight import _SheetScan

HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<cols><col min="1" max="3" width="9"/></cols><sheetData>')
TAIL = (b'</sheetData><conditionalFormatting sqref="A1"><cfRule type="expression" priority="1">'
        b'<formula>1</formula></cfRule></conditionalFormatting></worksheet>')


def sheet_xml(cells: bytes) -> bytes:
    rows = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d"><v>%d</v></c></row>'
                    % (r, r, r, r) for r in range(1, 40))
    return HEAD + rows + cells + TAIL


def scan_in_pieces(xml: bytes, cuts: list[int]) -> _SheetScan:
    scan = _SheetScan()
    last = 0
    for cut in cuts + [len(xml)]:
        if cut > last:
            scan.feed(xml[last:cut])
            last = cut
    scan.finish()
    return scan


def every_cut(xml: bytes, around: bytes) -> list[list[int]]:
    """Two-piece splits at every offset near `around`, plus the whole stream in one piece."""
    at = xml.index(around)
    return [[]] + [[c] for c in range(max(1, at - 12), min(len(xml), at + len(around) + 12))]


def test_a_far_wide_cell_is_seen_wherever_the_stream_is_cut():
    cell = b'<row r="40"><c r="XFD40"><v>7</v></c></row>'
    xml = sheet_xml(cell)
    for cuts in every_cut(xml, cell):
        scan = scan_in_pieces(xml, cuts)
        assert (scan.max_col, scan.max_row, scan.odd) == (16_384, 40, False), cuts


@pytest.mark.parametrize("cell", [b'<c s="1" r="C40"><v>1</v></c>', b'<c><v>1</v></c>',
                                  b'<c/>', b'<c  r="C40"><v>1</v></c>'])
def test_a_cell_whose_reference_the_scan_cannot_read_is_odd_wherever_the_stream_is_cut(cell):
    xml = sheet_xml(b'<row r="40">' + cell + b'</row>')
    for cuts in every_cut(xml, cell):
        assert scan_in_pieces(xml, cuts).odd, cuts


def test_a_cell_at_the_very_end_of_the_stream_is_judged():
    xml = HEAD + b'<row r="1"><c r="AB1"><v>1</v></c></row></sheetData></worksheet><c r="AC1">'
    scan = scan_in_pieces(xml, [])
    assert scan.max_col == 29


def test_prefixed_cells_give_their_width():
    xml = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<x:sheetData><x:row r="5"><x:c r="AC5"><x:v>1</x:v></x:c></x:row></x:sheetData>'
           b'</x:worksheet>')
    scan = scan_in_pieces(xml, [])
    assert (scan.max_col, scan.max_row, scan.odd) == (29, 5, False)


def test_other_tags_starting_with_c_are_not_odd():
    scan = scan_in_pieces(sheet_xml(b""), [])
    assert not scan.odd and scan.max_col == 0 and scan.max_row == 39


def test_a_wide_workbook_from_openpyxl_is_vouched_with_its_real_width(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(200):
        ws.append([f"Product {i}", f"LOT{i:05d}"] + list(range(28)))
    path = tmp_path / "wide.xlsx"
    wb.save(path)
    pf = preflight.check(path)
    assert (pf.max_col, pf.max_row, pf.odd_refs) == (30, 200, False) and rf.vouched(pf)


def test_shared_cells_are_not_counted_without_a_long_shared_string(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(100):
        ws.append([f"Product {i % 5}", "units"])
    path = tmp_path / "short-strings.xlsx"
    wb.save(path)
    pf = preflight.check(path)
    assert pf.longest_shared == 0 and pf.shared_cells == 0 and pf.shared_expansion == 0
    assert rf.vouched(pf)


def test_the_width_of_an_odd_cell_is_kept_wherever_its_reference_is_cut():
    # review: `<c t="n" r="XFD40">` is judged odd where `<c` starts; its reference, cut by the
    # piece boundary, was then read by neither piece (width 0, not Excel's last column)
    cell = b'<row r="40"><c t="n" r="XFD40"><v>7</v></c></row>'
    xml = sheet_xml(cell)
    ref = b' r="XFD40"'
    for cuts in every_cut(xml, ref):
        scan = scan_in_pieces(xml, cuts)
        assert (scan.max_col, scan.odd) == (16_384, True), cuts


def test_a_column_width_does_not_hide_a_far_row_written_later_in_the_piece():
    xml = sheet_xml(b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>').replace(
        b'width="9"', b'width="11.7109375"')
    for cuts in every_cut(xml, b'r="1048576"'):
        scan = scan_in_pieces(xml, cuts)
        assert scan.max_row == 1048576 and scan.row_bound >= 1048576
