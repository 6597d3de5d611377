"""lotsync.readers on real files written by each test: workbooks, CSVs and hostile input.

No lotsync function is mocked.  A few tests set a module constant (a size threshold or a
limit) with monkeypatch to take a code path with a small file instead of a huge one.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

import readers_files as rf
from lotsync.readers import RawSheet, ReadError, read_path
from lotsync.readers import preflight, workbook


def only(sheets: list[RawSheet]) -> RawSheet:
    assert len(sheets) == 1
    return sheets[0]


def assert_read_error(path, *words: str) -> str:
    """read_path(path) raises ReadError with one line that names the file."""
    with pytest.raises(ReadError) as info:
        read_path(path)
    msg = str(info.value)
    assert "\n" not in msg and "\r" not in msg
    assert str(path) in msg
    assert "Traceback" not in msg
    for word in words:
        assert word.lower() in msg.lower(), msg
    return msg


@pytest.fixture(params=["child", "in-process"])
def parse_mode(request, monkeypatch):
    """Run a workbook test both in the forked child and in-process."""
    if request.param == "in-process":
        monkeypatch.setattr(workbook, "_CAN_FORK", False)
    return request.param


# ============================================================================ workbooks
def test_xlsx_data_starting_at_c5_keeps_leading_empty_rows_and_columns(tmp_path, parse_mode):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Receiving"
    ws["C5"], ws["D5"], ws["E5"] = "Product", "Lot", "Qty"
    ws["C6"], ws["D6"], ws["E6"] = "Botox", "00123", 5
    ws["C7"], ws["D7"], ws["E7"] = "Dysport", "03/04/2026", 2.5
    path = rf.write(tmp_path / "c5.xlsx", rf.xlsx_bytes(wb))

    sheet = only(read_path(path))
    assert sheet.file == str(path) and sheet.sheet == "Receiving"
    assert len(sheet.rows) == 7
    assert all(all(v is None for v in row) for row in sheet.rows[:4])
    assert sheet.rows[4][:5] == [None, None, "Product", "Lot", "Qty"]
    assert sheet.rows[5][2:5] == ["Botox", "00123", 5]
    assert isinstance(sheet.rows[5][3], str)  # text stays text, leading zeros kept
    assert sheet.rows[6][3] == "03/04/2026"  # a date typed as text stays text
    assert isinstance(sheet.rows[6][4], float) and sheet.rows[6][4] == 2.5


@pytest.mark.parametrize("epoch", ["1900", "1904"])
def test_date_cells_in_both_date_systems(tmp_path, epoch, parse_mode):
    wb = openpyxl.Workbook()
    if epoch == "1904":
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["Date", "When", "Time"])
    ws.append([dt.date(2026, 3, 4), dt.datetime(2026, 3, 4, 10, 30), dt.time(8, 15)])
    ws.append([dt.date(1999, 12, 31), dt.datetime(2030, 1, 1, 0, 0, 1), None])
    path = rf.write(tmp_path / f"dates{epoch}.xlsx", rf.xlsx_bytes(wb))

    rows = only(read_path(path)).rows
    assert rows[1][0] == dt.date(2026, 3, 4) and type(rows[1][0]) is dt.date
    assert rows[1][1] == dt.datetime(2026, 3, 4, 10, 30)
    assert rows[1][2] == dt.time(8, 15)
    assert rows[2][0] == dt.date(1999, 12, 31)
    assert rows[2][1] == dt.datetime(2030, 1, 1, 0, 0, 1)


def test_tabs_in_workbook_order_hidden_and_empty_tabs_included(tmp_path, parse_mode):
    wb = openpyxl.Workbook()
    wb.active.title = "March"
    wb["March"]["A1"] = "m"
    for title, state in [("January", "hidden"), ("Empty", "visible"), ("Secret", "veryHidden"),
                         ("April", "visible")]:
        ws = wb.create_sheet(title)
        ws.sheet_state = state
        if title != "Empty":
            ws["A1"] = title[0].lower()
    path = rf.write(tmp_path / "tabs.xlsx", rf.xlsx_bytes(wb))

    sheets = read_path(path)
    assert [s.sheet for s in sheets] == ["March", "January", "Empty", "Secret", "April"]
    assert [s.rows for s in sheets] == [[["m"]], [["j"]], [], [["s"]], [["a"]]]
    notes = {s.sheet: " ".join(s.notes) for s in sheets}
    assert "hidden" in notes["January"] and "very hidden" in notes["Secret"]
    assert "hidden" not in notes["March"] and "hidden" not in notes["April"]


def test_xlsm_is_read(tmp_path, parse_mode):
    path = rf.write(tmp_path / "macros.xlsm", rf.to_xlsm(rf.xlsx_bytes(rf.small_workbook())))
    sheet = only(read_path(path))
    assert sheet.rows[0] == ["Product", "Lot", "Qty", "Exp"]
    assert sheet.rows[1] == ["Botox 100U", "C3709C3", 2, dt.date(2027, 5, 31)]
    assert sheet.notes == ()


def test_ods_with_offset_data_dates_and_hidden_table(tmp_path, parse_mode):
    data = rf.ods_bytes([
        ("Inventory", [[], [None, None, "Product", "Exp", "Qty"],
                       [None, None, "Botox", dt.date(2026, 3, 4), 5]], False),
        ("Old", [["x", 1.5]], True),
    ])
    path = rf.write(tmp_path / "clinic.ods", data)
    inventory, old = read_path(path)
    assert inventory.sheet == "Inventory" and len(inventory.rows) == 3
    assert all(v is None for v in inventory.rows[0])
    assert inventory.rows[1][:5] == [None, None, "Product", "Exp", "Qty"]
    assert inventory.rows[2][2:5] == ["Botox", dt.date(2026, 3, 4), 5]
    assert old.rows == [["x", 1.5]] and "hidden tab" in old.notes


def test_empty_workbooks(tmp_path, parse_mode):
    wb = openpyxl.Workbook()
    wb.active.title = "Blank"
    path = rf.write(tmp_path / "blank.xlsx", rf.xlsx_bytes(wb))
    assert [(s.sheet, s.rows) for s in read_path(path)] == [("Blank", [])]

    # A workbook with no tabs at all (Excel cannot save one; other programs can).
    def no_sheets(name, body):
        if name.startswith("xl/worksheets/"):
            return None
        if name == "xl/workbook.xml":
            start, end = body.index(b"<sheets>"), body.index(b"</sheets>") + len(b"</sheets>")
            return body[:start] + b"<sheets/>" + body[end:]
        if name == "xl/_rels/workbook.xml.rels":
            return body.replace(b"/worksheet", b"/customXml")
        return body

    path = rf.write(tmp_path / "notabs.xlsx", rf.rewrite_zip(rf.xlsx_bytes(wb), no_sheets))
    assert read_path(path) == []


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_strict_ooxml_is_read_not_silently_empty(tmp_path, parse_mode):
    data = rf.to_strict(rf.xlsx_bytes(rf.small_workbook()))
    path = rf.write(tmp_path / "strict.xlsx", data)
    # openpyxl shows no sheets for this file, without an error:
    assert openpyxl.load_workbook(path, read_only=True).sheetnames == []
    sheet = only(read_path(path))
    assert sheet.sheet == "Inventory"
    assert sheet.rows[1] == ["Botox 100U", "C3709C3", 2, dt.date(2027, 5, 31)]


def test_strict_ooxml_too_large_for_calamine_is_refused_clearly(tmp_path):
    data = rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>",
                            b'<row r="1048576"><c r="XFD1048576"><v>7</v></c></row></sheetData>'))
    path = rf.write(tmp_path / "strict_big.xlsx", rf.to_strict(data))
    assert_read_error(path, "Strict Open XML", "Excel Workbook (.xlsx)")


def test_content_decides_the_reader_not_the_name(tmp_path):
    data = rf.xlsx_bytes(rf.small_workbook())
    for name in ("renamed.xls", "renamed.csv", "no_extension"):
        sheet = only(read_path(rf.write(tmp_path / name, data)))
        assert sheet.rows[1][:2] == ["Botox 100U", "C3709C3"]
        assert any("read by its content" in n for n in sheet.notes)
    csv_named_xlsx = rf.write(tmp_path / "export.xlsx", b"Product,Lot\nBotox,C1\n")
    sheet = only(read_path(csv_named_xlsx))
    assert sheet.sheet is None and sheet.rows == [["Product", "Lot"], ["Botox", "C1"]]
    assert any("CSV" in n for n in sheet.notes)


def test_calamine_error_falls_back_to_openpyxl(tmp_path, parse_mode):
    # calamine refuses an unknown cell type; openpyxl reads the value as text.
    data = rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>",
                            b'<row r="5"><c r="B5" t="zz"><v>42</v></c></row></sheetData>'))
    sheet = only(read_path(rf.write(tmp_path / "odd.xlsx", data)))
    assert sheet.rows[1] == ["Botox 100U", "C3709C3", 2, dt.date(2027, 5, 31)]
    assert sheet.rows[3] == [] and sheet.rows[4] == [None, "42"]
    assert any("openpyxl" in n for n in sheet.notes)


def test_xls_97_2003_workbook(tmp_path, parse_mode):
    xlwt = pytest.importorskip("xlwt")  # test-only: writes real BIFF8 .xls files
    book = xlwt.Workbook()
    ws = book.add_sheet("Inventory")
    ws.write(4, 2, "Product")
    ws.write(4, 3, "Exp")
    ws.write(5, 2, "Botox")
    ws.write(5, 3, dt.date(2026, 3, 4), xlwt.easyxf(num_format_str="YYYY-MM-DD"))
    ws.write(5, 4, 5)
    hidden = book.add_sheet("Old")
    hidden.visibility = 1
    hidden.write(0, 0, "x")
    buf = io.BytesIO()
    book.save(buf)
    for name in ("old.xls", "old_named.xlsx"):
        inventory, old = read_path(rf.write(tmp_path / name, buf.getvalue()))
        assert len(inventory.rows) == 6 and all(v is None for v in inventory.rows[0])
        assert inventory.rows[4][2:4] == ["Product", "Exp"]
        assert inventory.rows[5][2:5] == ["Botox", dt.date(2026, 3, 4), 5]
        assert old.rows == [["x"]] and "hidden tab" in old.notes


def test_chart_sheet_is_listed_with_no_cells(tmp_path, parse_mode):
    from openpyxl.chart import BarChart, Reference

    wb = rf.small_workbook()
    chart = BarChart()
    chart.add_data(Reference(wb.active, min_col=3, min_row=1, max_row=3))
    wb.create_chartsheet("Chart").add_chart(chart)
    wb.create_sheet("After")["A1"] = "z"
    sheets = read_path(rf.write(tmp_path / "chart.xlsx", rf.xlsx_bytes(wb)))
    assert [(s.sheet, len(s.rows)) for s in sheets] == [
        ("Inventory", 3), ("Chart", 0), ("After", 1)]
    assert "chart sheet: no cells" in sheets[1].notes


def _trimmed(rows):
    out = []
    for row in rows:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


@pytest.mark.parametrize("epoch", ["1900", "1904"])
def test_openpyxl_path_agrees_with_calamine(tmp_path, monkeypatch, epoch):
    wb = openpyxl.Workbook()
    if epoch == "1904":
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.title = "Visits"
    ws["C5"], ws["D5"], ws["E5"], ws["F5"] = "Date", "Product", "Units", "Lot"
    ws.append([None, None, dt.date(2026, 1, 2), "Botox", 20, "00123"])
    ws.append([None, None, dt.datetime(2026, 1, 3, 14, 5), "Xeomin", 2.5, None])
    ws.append([None, None, "01/04/2026", None, None, "N/A"])
    hidden = wb.create_sheet("Hidden")
    hidden.sheet_state = "hidden"
    hidden["B2"] = "h"
    path = rf.write(tmp_path / "agree.xlsx", rf.xlsx_bytes(wb))

    fast = read_path(path)
    monkeypatch.setattr(workbook, "DENSE_CELL_BUDGET", 0)
    slow = read_path(path)
    assert [s.sheet for s in fast] == [s.sheet for s in slow] == ["Visits", "Hidden"]
    for a, b in zip(fast, slow):
        assert _trimmed(a.rows) == _trimmed(b.rows)
        # Same cell types, except that a whole number may be int or float (calamine gives
        # float for xlsx, as Excel stores doubles; openpyxl gives int): compare by value.
        number = {int: float}
        for row_a, row_b in zip(_trimmed(a.rows), _trimmed(b.rows)):
            assert [number.get(type(v), type(v)) for v in row_a] == \
                [number.get(type(v), type(v)) for v in row_b]
    assert any("openpyxl" in n for n in slow[0].notes) and "hidden tab" in slow[1].notes
    assert len(slow[0].rows) == 8 and slow[0].rows[4][2] == "Date"


def test_lying_dimension_tag_does_not_truncate_either_path(tmp_path, monkeypatch):
    # openpyxl read-only trusts <dimension>; one real file said A1:A1 for 3,258 rows.
    import re

    data = rf.with_sheet_xml(rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
                             lambda b: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', b))
    path = rf.write(tmp_path / "dimension.xlsx", data)
    fast = only(read_path(path))
    monkeypatch.setattr(workbook, "DENSE_CELL_BUDGET", 0)
    slow = only(read_path(path))
    assert len(fast.rows) == len(slow.rows) == 3
    assert _trimmed(fast.rows) == _trimmed(slow.rows)


def test_child_timeout_is_a_read_error(tmp_path, monkeypatch):
    monkeypatch.setattr(workbook, "CHILD_TIMEOUT_BASE", 0.0)
    monkeypatch.setattr(workbook, "CHILD_TIMEOUT_PER_MIB", 0.0)
    path = rf.write(tmp_path / "slow.xlsx", rf.xlsx_bytes(rf.small_workbook()))
    assert_read_error(path, "took over", "looks damaged")


# ============================================================================ hostile files
_SUBPROCESS = textwrap.dedent("""
    import json, sys
    from lotsync.readers import read_path, ReadError
    try:
        sheets = read_path(sys.argv[1])
    except ReadError as exc:
        print(json.dumps({"error": str(exc)}))
    else:
        rows = sheets[0].rows
        print(json.dumps({"n": len(rows), "head": [[str(v) for v in r] for r in rows[:3]],
                          "last_len": len(rows[-1]), "last": rows[-1][-1],
                          "notes": list(sheets[0].notes)}))
""")


def run_isolated(path: Path) -> dict:
    """read_path in a separate interpreter, so an abort cannot take pytest down."""
    proc = subprocess.run([sys.executable, "-c", _SUBPROCESS, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, f"reader died ({proc.returncode}): {proc.stderr[-2000:]}"
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def test_cell_at_xfd1048576_is_read_by_streaming_and_the_process_survives(tmp_path):
    # 5 KB on disk; calamine would allocate 512 GB for it and abort (SIGABRT).
    data = rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>",
                            b'<row r="1048576"><c r="XFD1048576"><v>7</v></c></row></sheetData>'))
    path = rf.write(tmp_path / "xfd.xlsx", data)
    assert path.stat().st_size < 10_000
    out = run_isolated(path)
    assert "error" not in out, out
    assert out["n"] == 1_048_576
    assert out["head"][1] == ["Botox 100U", "C3709C3", "2", "2027-05-31"]
    assert out["last_len"] == 16_384 and out["last"] == 7
    assert any("openpyxl" in n for n in out["notes"])


def test_abort_inside_the_parser_kills_only_the_child(tmp_path):
    # One cell at XFD1048576 whose `r` follows a tab: a form the preflight's scan does not
    # read (so it cannot vouch for the file), and calamine, which does, aborts on it.  The
    # forked child dies; the caller gets a ReadError.
    data = rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>",
                            b'<row r="1048576"><c\tr="XFD1048576"><v>1</v></c></row></sheetData>'))
    path = rf.write(tmp_path / "abort.xlsx", data)
    out = run_isolated(path)
    assert "looks damaged" in out["error"] and "save a copy" in out["error"]
    assert str(path) in out["error"]


def test_cells_beyond_excel_limits_are_refused(tmp_path):
    data = rf.with_sheet_xml(
        rf.xlsx_bytes(rf.small_workbook()), "xl/worksheets/sheet1.xml",
        lambda b: b.replace(b"</sheetData>",
                            b'<row r="2000000"><c r="AB2000000"><v>1</v></c></row></sheetData>'))
    assert_read_error(rf.write(tmp_path / "beyond.xlsx", data), "beyond Excel", "save a copy")


def test_missing_file_and_directory(tmp_path):
    assert_read_error(tmp_path / "nope.xlsx", "no such file")
    assert_read_error(tmp_path, "folder")


def test_word_document_named_xlsx(tmp_path):
    msg = assert_read_error(rf.write(tmp_path / "inventory.xlsx", rf.docx_bytes()),
                            "Word document", "not a spreadsheet")
    assert "Jane" not in msg


def test_password_protected_xlsx(tmp_path):
    pytest.importorskip("msoffcrypto")  # msoffcrypto-tool: test-only, encrypts the file
    from msoffcrypto.format.ooxml import OOXMLFile

    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(rf.xlsx_bytes(rf.small_workbook()))).encrypt("s3cret", encrypted)
    path = rf.write(tmp_path / "locked.xlsx", encrypted.getvalue())
    assert_read_error(path, "password-protected", "save an unprotected copy")


def test_corrupt_and_truncated_zip(tmp_path):
    data = rf.xlsx_bytes(rf.small_workbook())
    assert_read_error(rf.write(tmp_path / "half.xlsx", data[: len(data) // 2]),
                      "damaged or incomplete")
    # Central directory intact, one entry's compressed bytes garbled.
    import zipfile

    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename)
    garbled = data[:start] + bytes(b ^ 0x5A for b in data[start:start + 40]) + data[start + 40:]
    assert_read_error(rf.write(tmp_path / "garbled.xlsx", garbled), "damaged")


def test_malformed_sheet_xml_is_damaged_and_no_cell_text_leaks(tmp_path):
    wb = rf.small_workbook()
    wb.active["A4"] = "Jane Doe"
    data = rf.with_sheet_xml(rf.xlsx_bytes(wb), "xl/worksheets/sheet1.xml",
                             lambda b: b.replace(b"</sheetData>", b""))
    msg = assert_read_error(rf.write(tmp_path / "broken.xlsx", data), "damaged", "save a copy")
    assert "Jane" not in msg and "Doe" not in msg


def test_zip_bomb_declared_size(tmp_path):
    # 3 GiB of zeros in 3 MB (deflate's best ratio is ~1:1000); the header honestly says so.
    path = rf.write(tmp_path / "bomb.xlsx", rf.xlsx_with_bomb(3 * 1024**3, 3 * 1024))
    assert path.stat().st_size < 4 * 1024**2
    started = time.monotonic()
    assert_read_error(path, "zip bomb")
    assert time.monotonic() - started < 2


def test_zip_bomb_lying_header(tmp_path):
    # The header says 1,000 bytes; the deflate stream gives 64 MiB.  zipfile would stop at
    # 1,000 bytes without noticing; a parser trusting the stream would not.
    path = rf.write(tmp_path / "liar.xlsx", rf.xlsx_with_bomb(1000, 64))
    assert_read_error(path, "damaged")


def test_zip_bomb_real_bytes_counted(tmp_path, monkeypatch):
    # Honest headers whose total is above the (lowered) cap.  (A header that understates
    # its entry is caught by test_zip_bomb_lying_header; the running count of real bytes
    # is a second line behind both.)
    monkeypatch.setattr(preflight, "MAX_UNCOMPRESSED_BYTES", 16 * 1024**2)
    path = rf.write(tmp_path / "big.xlsx", rf.xlsx_with_bomb(32 * 1024**2, 32))
    assert_read_error(path, "zip bomb")


def test_zip_with_too_many_entries(tmp_path):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for i in range(preflight.MAX_ZIP_ENTRIES + 1):
            z.writestr(f"xl/worksheets/s{i}.xml", b"")
    assert_read_error(rf.write(tmp_path / "many.xlsx", buf.getvalue()), "parts", "zip bomb")


@pytest.mark.parametrize("name,data,words", [
    ("scan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", ["PDF document"]),
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(200), ["PNG image"]),
    ("photo.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), ["PNG image"]),
    ("scan.csv", b"%PDF-1.4\n", ["PDF document"]),
    ("noise.xlsx", random.Random(1).randbytes(4096), ["not", "spreadsheet"]),
    ("noise.csv", random.Random(2).randbytes(4096), ["not", "spreadsheet"]),
    ("report.xls", b"<html><body><table><tr><td>Botox</td></tr></table></body></html>",
     ["web page"]),
    ("zero.xlsx", b"", ["empty"]),
    ("archive.xlsx", None, ["zip archive", "no spreadsheet"]),
])
def test_not_a_spreadsheet(tmp_path, name, data, words):
    if data is None:
        buf = io.BytesIO()
        import zipfile

        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("notes.txt", "Jane Doe")
        data = buf.getvalue()
    msg = assert_read_error(rf.write(tmp_path / name, data), *words)
    assert "Botox" not in msg and "Jane" not in msg


def test_message_stays_one_line_for_a_strange_file_name(tmp_path):
    path = rf.write(tmp_path / "bad\nname.xlsx", b"%PDF-1.7")
    with pytest.raises(ReadError) as info:
        read_path(path)
    assert "\n" not in str(info.value) and "bad\\nname.xlsx" in str(info.value)


def test_input_files_untouched_and_nothing_left_in_temp(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setenv("TMPDIR", str(scratch))
    files = [
        rf.write(tmp_path / "a.xlsx", rf.xlsx_bytes(rf.small_workbook())),
        rf.write(tmp_path / "b.csv", gzip.compress(b"a;b\n1;2\n")),
        rf.write(tmp_path / "c.ods", rf.ods_bytes([("T", [["x"]], False)])),
    ]
    before = {}
    for path in files:
        path.chmod(0o444)
        before[path] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
    for path in files:
        assert read_path(path)
    for path in files:
        after = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        assert after == before[path]
    assert list(scratch.iterdir()) == []


# ============================================================================ CSV
def read_csv_bytes(tmp_path: Path, data: bytes, name: str = "data.csv") -> RawSheet:
    return only(read_path(rf.write(tmp_path / name, data)))


def test_csv_utf8_values_are_text_and_empty_is_none(tmp_path):
    sheet = read_csv_bytes(tmp_path, (
        'Product,Lot,Qty,Notes\r\n'
        'Botox 100U,00123,20,"used 2, wasted 1"\r\n'
        'Xeomin,,1.5,"two\nlines"\r\n'
        '\r\n'
        'Sculptra,L9\r\n').encode())
    assert sheet.sheet is None and sheet.file.endswith("data.csv")
    assert sheet.rows == [
        ["Product", "Lot", "Qty", "Notes"],
        ["Botox 100U", "00123", "20", "used 2, wasted 1"],
        ["Xeomin", None, "1.5", "two\nlines"],
        [],
        ["Sculptra", "L9"],
    ]
    assert sheet.notes == ()


def test_csv_utf8_bom_and_accents(tmp_path):
    sheet = read_csv_bytes(tmp_path, "\ufeffProduit,Qté\nBotox,2\n".encode("utf-8"))
    assert sheet.rows == [["Produit", "Qté"], ["Botox", "2"]]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_csv_utf16_with_bom_and_tabs(tmp_path, codec):
    bom = "\ufeff".encode(codec)
    text = "Product\tLot\tUnits\r\nBotox, 100U\tC3709C3\t20\r\nDysport\tD1\t\r\n"
    sheet = read_csv_bytes(tmp_path, bom + text.encode(codec), "export.csv")
    assert sheet.rows == [["Product", "Lot", "Units"], ["Botox, 100U", "C3709C3", "20"],
                          ["Dysport", "D1", None]]
    assert any("UTF-16" in n for n in sheet.notes) and any("tab" in n for n in sheet.notes)


def test_csv_utf16_without_bom(tmp_path):
    sheet = read_csv_bytes(tmp_path, "Product\tQty\nBotox\t2\n".encode("utf-16-le"))
    assert sheet.rows == [["Product", "Qty"], ["Botox", "2"]]


def test_csv_windows_1252(tmp_path):
    data = "Produit;Coût;Note\nBotox;€612,00;café\n".encode("cp1252")
    sheet = read_csv_bytes(tmp_path, data)
    assert sheet.rows == [["Produit", "Coût", "Note"], ["Botox", "€612,00", "café"]]
    assert any("Windows-1252" in n for n in sheet.notes)
    assert any("semicolon" in n for n in sheet.notes)


def test_csv_latin1_when_not_cp1252(tmp_path):
    # 0x81 is undefined in Windows-1252; Latin-1 decodes any byte.
    sheet = read_csv_bytes(tmp_path, b"Name,Code\nGr\xfcn,\x81x\n")
    assert sheet.rows == [["Name", "Code"], ["Grün", "\x81x"]]
    assert any("Latin-1" in n for n in sheet.notes)


def test_csv_gzip(tmp_path):
    data = gzip.compress("Product,Qty\nBotox,2\nXeomin,3\n".encode())
    sheet = read_csv_bytes(tmp_path, data, "visits.csv")
    assert sheet.rows == [["Product", "Qty"], ["Botox", "2"], ["Xeomin", "3"]]
    assert any("gzip" in n for n in sheet.notes)


def test_csv_gzip_bomb(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight, "MAX_UNCOMPRESSED_BYTES", 4 * 1024**2)
    data = gzip.compress(b"a,b\n" + b"1,2\n" * (2 * 1024**2))  # 8 MiB of text
    assert_read_error(rf.write(tmp_path / "bomb.csv", data), "gzip bomb")


def test_csv_damaged_gzip(tmp_path):
    data = gzip.compress(b"a,b\n" * 10000)
    assert_read_error(rf.write(tmp_path / "cut.csv", data[: len(data) // 2]), "gzip")


@pytest.mark.parametrize("text,delimiter,expected", [
    ("Product;Qty;Cost\nBotox;1,5;612,00\nDysport;2;3\n", "semicolon",
     [["Product", "Qty", "Cost"], ["Botox", "1,5", "612,00"], ["Dysport", "2", "3"]]),
    ('Product,Notes\n"Botox; 100U","a;b;c"\nDysport,x\n', None,
     [["Product", "Notes"], ["Botox; 100U", "a;b;c"], ["Dysport", "x"]]),
    ("Product\tNotes\nBotox\tused 2, wasted 1\nDysport\t\n", "tab",
     [["Product", "Notes"], ["Botox", "used 2, wasted 1"], ["Dysport", None]]),
    ("Inventory export\nProduct|Lot|Qty\nBotox|C1|2\nDysport|D1|1\n", "pipe",
     [["Inventory export"], ["Product", "Lot", "Qty"], ["Botox", "C1", "2"],
      ["Dysport", "D1", "1"]]),
    ("Product\nBotox\nDysport\n", None, [["Product"], ["Botox"], ["Dysport"]]),
])
def test_csv_delimiter_sniffing(tmp_path, text, delimiter, expected):
    sheet = read_csv_bytes(tmp_path, text.encode())
    assert sheet.rows == expected
    if delimiter:
        assert f"delimiter: {delimiter}" in sheet.notes
    else:
        assert not any("delimiter" in n for n in sheet.notes)


def test_csv_ragged_rows_and_nul_bytes(tmp_path):
    sheet = read_csv_bytes(tmp_path, b"a,b,c\n1\n2,3,4,5\nx\x00y,z\x00\x00\n")
    assert sheet.rows == [["a", "b", "c"], ["1"], ["2", "3", "4", "5"], ["xy", "z"]]
    assert any("NUL" in n for n in sheet.notes)


def test_csv_empty_file_is_one_empty_sheet(tmp_path):
    sheet = read_csv_bytes(tmp_path, b"")
    assert sheet.rows == [] and sheet.sheet is None


def test_csv_runaway_field_is_a_read_error(tmp_path):
    data = b'a,b\n1,"' + b"x" * 200_000 + b"\n2,3\n"
    assert_read_error(rf.write(tmp_path / "quote.csv", data), "line", "malformed")


def test_csv_large_file_reads_fast(tmp_path):
    row = "2026-03-04,Patient 123,Amy,Botox 100U,C3709C3,20,612.00,Main,V1,\n"
    data = ("Date,Patient,Provider,Product,Lot,Units,Price,Location,Visit,Notes\n"
            + row * 200_000).encode()
    path = rf.write(tmp_path / "big.csv", data)
    started = time.perf_counter()
    sheet = only(read_path(path))
    elapsed = time.perf_counter() - started
    assert len(sheet.rows) == 200_001 and sheet.rows[-1][-1] is None
    assert elapsed < 5, elapsed  # ~0.25 s measured; 1,000,000 rows take ~1.2 s


def test_read_path_accepts_pathlike_and_str(tmp_path):
    path = rf.write(tmp_path / "p.csv", b"a\n1\n")
    assert read_path(path) == read_path(str(path))
    assert read_path(os.fspath(path))[0].file == str(path)
