"""Hardening (issue 15) on the reading side: hostile workbooks over the child's size limit,
shared-string amplification (Apache POI's poc-shared-strings.xlsx shape), gzip named .csv.

Each file is crafted byte by byte here and read by `lotsync check` in its own process, so an
abort (SIGABRT from the Rust reader) fails the test instead of killing pytest."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from pathlib import Path

import readers_files as rf

from lotsync.readers import preflight, workbook


def check(path: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lotsync", "check", str(path)], capture_output=True,
                          text=True, timeout=timeout)


def survived_with_one_line_or_read(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}: {proc.stderr[-1500:]}"
    assert "panicked" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-1500:]
    if proc.returncode == 2:
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def padded(data: bytes, mib: float = 3) -> bytes:
    """The workbook `data` plus an incompressible part, so it is over the 2 MiB up to which
    every xlsx is parsed in the guarded child anyway."""
    noise = os.urandom(int(mib * 1024**2))
    return rf.rewrite_zip(data, lambda n, b: b) if not noise else _add(data, "xl/media/pad.bin", noise)


def _add(data: bytes, name: str, body: bytes, deflate: bool = False) -> bytes:
    import io
    import zipfile
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED) as z:
        z.writestr(name, body)
    return out.getvalue()


def sheet_edit(data: bytes, old: bytes, new: bytes) -> bytes:
    return rf.with_sheet_xml(data, "xl/worksheets/sheet1.xml", lambda b: b.replace(old, new))


# ------------------------------------------------------------------ item 4
def write_padded_edit(path: Path, anchor: bytes, replacement: bytes) -> Path:
    """A small real workbook whose sheet XML has `anchor` replaced, padded past 3 MB."""
    return rf.write(path, padded(sheet_edit(rf.xlsx_bytes(rf.small_workbook()), anchor, replacement)))


def test_3mb_xlsx_with_a_single_quoted_cell_at_xfd1048576_does_not_abort(tmp_path):
    path = write_padded_edit(tmp_path / "quoted.xlsx", b"</sheetData>",
                             b"<row r=\"1048576\"><c r='XFD1048576'><v>7</v></c></row></sheetData>")
    assert path.stat().st_size > 3 * 1024**2
    pf = preflight.check(path)
    assert pf.max_col == 16_384 and pf.max_row == 1_048_576  # the scan sees the quoted form
    survived_with_one_line_or_read(check(path))


def test_3mb_xlsx_with_the_far_row_written_first_does_not_abort(tmp_path):
    path = write_padded_edit(tmp_path / "far-first.xlsx", b"<sheetData>",
                             b'<sheetData><row r="1048576"><c r="XFD1048576"><v>7</v></c></row>')
    pf = preflight.check(path)
    assert pf.max_row == 1_048_576  # not the last row tag (3)
    survived_with_one_line_or_read(check(path))


def test_3mb_xlsx_with_a_six_digit_row_out_of_order_goes_to_the_guarded_child(tmp_path):
    path = write_padded_edit(tmp_path / "six-digits.xlsx", b"<sheetData>",
                             b'<sheetData><row r="999999"><c r="XFD999999"><v>7</v></c></row>')
    pf = preflight.check(path)
    assert pf.row_bound >= 999_999 and not rf.vouched(pf) and workbook.needs_child(pf)
    survived_with_one_line_or_read(check(path))


def test_3mb_xlsx_with_a_reference_form_the_scan_cannot_read_goes_to_the_guarded_child(tmp_path):
    path = write_padded_edit(tmp_path / "tab.xlsx", b"</sheetData>",
                             b'<row r="1048576"><c\tr="XFD1048576"><v>7</v></c></row></sheetData>')
    pf = preflight.check(path)
    assert pf.odd_refs and workbook.needs_child(pf)
    proc = check(path)
    survived_with_one_line_or_read(proc)
    assert proc.returncode == 2 and "looks damaged" in proc.stderr


def test_an_ordinary_large_workbook_is_still_vouched_for(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(30_000):
        ws.append([f"Product {i % 50}", f"LOT{i:06d}", i % 7, "units", i * 1.5, "Main"])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    pf = preflight.check(path)
    assert not pf.odd_refs and pf.row_bound == 99_999 and rf.vouched(pf)


# ------------------------------------------------------------------ item 11
def poc_shared_strings(path: Path, string_bytes: int = 1024**2, rows: int = 3000, both: bool = False) -> Path:
    """The shape of Apache POI's test file poc-shared-strings.xlsx: one shared string of
    about 1 MB and a sheet of a few thousand cells that all point at it (110 KB on disk).
    `both`: the workbook's .rels also names the shared strings as a worksheet."""
    base = rf.xlsx_bytes(rf.small_workbook())
    big = b"<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" " \
          b"uniqueCount=\"1\"><si><t>" + b"fIdrLGOpeoNLbx" * (string_bytes // 14) + b"</t></si></sst>"
    cells = b"".join(b'<row r="%d"><c r="A%d" t="s"><v>0</v></c><c r="B%d" t="s"><v>0</v></c>'
                     b'<c r="C%d" t="s"><v>0</v></c></row>' % (r, r, r, r) for r in range(1, rows + 1))

    def edit(name: str, body: bytes) -> bytes:
        if name == "xl/worksheets/sheet1.xml":
            start, end = body.index(b"<sheetData>"), body.index(b"</sheetData>")
            return body[:start] + b"<sheetData>" + cells + body[end:]
        if name == "xl/_rels/workbook.xml.rels":
            return body.replace(b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.'
                                b'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                                b'Target="sharedStrings.xml"/>' + (
                                    b'<Relationship Id="rIdBoth" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/worksheet" Target="sharedStrings.xml"/>'
                                    if both else b"") + b'</Relationships>')
        if name == "[Content_Types].xml":
            return body.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType='
                                b'"application/vnd.openxmlformats-officedocument.spreadsheetml.'
                                b'sharedStrings+xml"/></Types>')
        return body

    return rf.write(path, _add(rf.rewrite_zip(base, edit), "xl/sharedStrings.xml", big, deflate=True))


def test_poc_shared_strings_shape_is_refused_at_once_with_one_line(tmp_path):
    path = poc_shared_strings(tmp_path / "poc-shared-strings.xlsx")
    assert path.stat().st_size < 200_000
    started = time.monotonic()
    proc = check(path)
    assert time.monotonic() - started < 20
    survived_with_one_line_or_read(proc)
    assert proc.returncode == 2 and "known attack" in proc.stderr and "poc-shared-strings.xlsx" in proc.stderr


def test_shared_strings_named_a_worksheet_too_are_still_counted_against_every_sheet(tmp_path):
    # review: the sheet was scanned before the part named twice, without counting its t="s"
    # cells, so the 3 GB expansion was vouched and, past 2 MiB, crashed the process (SIGABRT)
    path = poc_shared_strings(tmp_path / "both.xlsx", both=True)
    proc = check(path)
    survived_with_one_line_or_read(proc)
    assert proc.returncode == 2 and "known attack" in proc.stderr


def test_a_long_shared_string_used_a_few_times_is_read(tmp_path):
    path = poc_shared_strings(tmp_path / "long-note.xlsx", string_bytes=100_000, rows=2)
    pf = preflight.check(path)
    assert pf.longest_shared >= 99_000 and pf.shared_cells == 6
    from lotsync.readers import read_path
    sheet = read_path(path)[0]
    assert len(sheet.rows[0][0]) >= 99_000


def test_the_child_has_a_time_budget_and_refuses_past_it_with_one_line(tmp_path, monkeypatch):
    """A parse that outlives its budget: the child is killed, the caller gets one line."""
    monkeypatch.setattr(workbook, "CHILD_TIMEOUT_BASE", 0.5)
    monkeypatch.setattr(workbook, "CHILD_TIMEOUT_PER_MIB", 0.0)
    path = poc_shared_strings(tmp_path / "slow.xlsx", string_bytes=200_000, rows=400)
    pf = preflight.check(path)
    assert workbook.needs_child(pf)

    def slow(pf):
        time.sleep(30)

    started = time.monotonic()
    assert workbook.run_guarded(pf, slow) == ("timeout", 0.5)
    assert time.monotonic() - started < 10


# ------------------------------------------------------------------ item 5
def test_gzip_named_csv_that_inflates_past_the_bound_is_refused_quickly(tmp_path):
    path = tmp_path / "visits.csv"
    with gzip.open(path, "wb", compresslevel=9) as gz:
        line = b"," * 1023 + b"\n"
        for _ in range(300 * 1024):  # 300 MiB of commas: a few hundred KB compressed
            gz.write(line)
    assert path.stat().st_size < 2 * 1024**2
    started = time.monotonic()
    proc = check(path, timeout=120)
    assert time.monotonic() - started < 30
    survived_with_one_line_or_read(proc)
    assert proc.returncode == 2 and "visits.csv" in proc.stderr and "gzip" in proc.stderr


def test_a_csv_line_far_longer_than_any_real_export_is_refused(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"Product,Lot,Qty\n" + b"," * (20 * 1024**2) + b"\n")
    proc = check(path)
    survived_with_one_line_or_read(proc)
    assert proc.returncode == 2 and "line 2" in proc.stderr


def test_an_ordinary_gzip_csv_is_still_read(tmp_path):
    path = tmp_path / "visits.csv"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as gz:
        gz.write("Date,Patient,Product,Lot,Units\n")
        for i in range(1000):
            gz.write(f"2026-02-01,P{i},Botox,C3709C3,1\n")
    from lotsync.readers import read_path
    sheet = read_path(path)[0]
    assert len(sheet.rows) == 1001 and any("gzip" in n for n in sheet.notes)
