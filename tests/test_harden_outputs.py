"""Hardening (issue 15) on the writing side: corrected/ with control characters and without
<calcPr>, exception text kept out of the run log, masking of names used as tab or file names.

Every workbook is real bytes on disk, written by the test."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import xlsxwriter

from lotsync.pipeline import run
from lotsync.reconcile import Options
from lotsync.writers.corrected import write_corrected
from helpers import AS_OF, output_bytes, write_book

GS, VT = "\x1d", "\x0b"


def control_char_book(path: Path) -> Path:
    """A receiving log and a visit log whose lot cells hold a barcode scanner's GS (0x1D)
    and a VT: xlsxwriter stores them as _x001D_ / _x000B_, as Excel does."""
    wb = xlsxwriter.Workbook(str(path))
    inv = wb.add_worksheet("Receiving")
    for r, row in enumerate([["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Remaining"],
                             ["Botox", "C3709C3", "2026-12-31", 100, 6.12, 90],
                             ["Botox", f"01{GS}C3710A1", "2026-12-31", 100, 6.12, 100]]):
        for c, v in enumerate(row):
            inv.write(r, c, v)
    vis = wb.add_worksheet("Treatments")
    for r, row in enumerate([["Date", "Patient", "Product", "Lot", "Units"],
                             ["2026-02-01", "P1", "Botox", "C3709C3", 20],
                             ["2026-02-02", "P2", "Botox", f"C99{GS}99", 5],
                             ["2026-02-03", "P3", "Botox", f"C98{VT}98", 5]]):
        for c, v in enumerate(row):
            vis.write(r, c, v)
    wb.close()
    return path


def _without_calcpr(src: Path, dst: Path) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = re.sub(rb"<calcPr[^>]*/>", b"", data)
                assert b"calcPr" not in data
            zout.writestr(info, data)
    return dst


def test_corrected_copy_of_a_workbook_with_gs_and_vt_in_annotated_cells_is_written(tmp_path):
    src = control_char_book(tmp_path / "scanned.xlsx")
    result, loaded = run([str(src)], Options(as_of=AS_OF))
    outs = write_corrected(result, loaded, tmp_path / "out")
    copies = [o for o in outs if o.kind == "copy"]
    assert copies, [(o.kind, o.note) for o in outs]
    wb = openpyxl.load_workbook(copies[0].path)
    notes = [c.comment.text for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.comment]
    assert notes and not any(ch in n for n in notes for ch in (GS, VT))


def test_change_list_with_gs_in_an_old_value_is_written(tmp_path):
    src = control_char_book(tmp_path / "scanned.xlsx")
    # an .xlsm named .xlsx cannot be copied: lotsync writes a change list instead
    with zipfile.ZipFile(src, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\x00" * 16)
    result, loaded = run([str(src)], Options(as_of=AS_OF))
    outs = write_corrected(result, loaded, tmp_path / "out")
    assert [o.kind for o in outs] == ["changes"]
    rows = list(openpyxl.load_workbook(outs[0].path)["Changes"].iter_rows(values_only=True))
    olds = [r[2] for r in rows[1:] if isinstance(r[2], str)]
    assert any("C99" in o for o in olds)
    assert not any(GS in o or VT in o for o in olds)


def test_corrected_copy_of_a_valid_xlsx_without_calcpr_is_written(tmp_path):
    plain = write_book(tmp_path / "plain.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Remaining"],
                      ["Botox", "C3709C3", dt.date(2026, 12, 31), 100, 6.12, 99]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Units"],
                       [dt.date(2026, 2, 1), "P1", "Botox", "C3709C3", 20]]})
    src = _without_calcpr(Path(plain), tmp_path / "nocalc.xlsx")
    result, loaded = run([str(src)], Options(as_of=AS_OF))
    outs = write_corrected(result, loaded, tmp_path / "out")
    assert [o.kind for o in outs] == ["copy"]
    ws = openpyxl.load_workbook(outs[0].path)["Receiving"]
    assert ws["F2"].value == 80


def test_run_log_names_an_exceptions_type_never_its_cell_text(tmp_path, monkeypatch):
    """A library that fails quoting the cell it was given (as openpyxl's
    IllegalCharacterError does) must not carry that text into lotsync.log."""
    import xlsxwriter.worksheet

    from lotsync.nightly.run import NightlyRun

    src = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost"],
                      ["Botox", "C3709C3", dt.date(2026, 12, 31), 100, 6.12]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Units"],
                       [dt.date(2026, 2, 1), "Jane Roe", "Botox", "C3709C3", 20]]})

    def failing_write_string(self, row, col, string, *args, **kw):
        raise ValueError(f"cannot write {string!r}")

    monkeypatch.setattr(xlsxwriter.worksheet.Worksheet, "write_string", failing_write_string)
    run_ = NightlyRun.prepare(None, {"sources": [src], "as_of": AS_OF.isoformat(),
                                     "out": str(tmp_path / "out"), "outputs": "xlsx",
                                     "history": str(tmp_path / "h" / "history.sqlite")})
    try:
        run_.execute()
    except ValueError:
        pass
    else:
        raise AssertionError("the writer's failure was swallowed")
    log = (tmp_path / "h" / "lotsync.log").read_text()
    assert "run failed: internal error ValueError at " in log
    assert "Jane" not in log and "C3709C3" not in log and "Botox" not in log


def test_masking_pseudonymises_a_patients_name_used_as_a_tab_and_a_file_name(tmp_path):
    """A clinic keeping one visit log per patient: file and tab are named for her."""
    import os
    import subprocess
    import sys

    rec = tmp_path / "Jane Roe records"
    write_book(rec / "Inventory.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Remaining"],
                      ["Botox", "C3709C3", dt.date(2026, 12, 31), 100, 6.12, 99]]})
    write_book(rec / "Jane Roe.xlsx", {
        "Jane Roe": [["Date", "Patient", "Product", "Lot", "Units"],
                     [dt.date(2026, 2, 1), "Jane Roe", "Botox", "C3709C3", 20],
                     [dt.date(2026, 2, 9), "Jane Roe", "Botox", "C9999X9", 4]]})
    out = tmp_path / "out"
    env = {**os.environ, "LOTSYNC_MASK_KEY": "a-long-practice-secret-0123"}
    proc = subprocess.run([sys.executable, "-m", "lotsync", "reconcile", str(rec), "--as-of",
                           AS_OF.isoformat(), "--out", str(out), "--no-history", "--mask-patients",
                           "--format", "json,csv,xlsx,html", "--json"],
                          capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode in (0, 1), proc.stderr
    report = (out / "report.json").read_text()
    assert "UNKNOWN_LOT" in report and '"P-' in report
    blob = output_bytes(out)
    assert b"Jane" not in blob and b"Roe" not in blob
    assert "Jane" not in proc.stdout + proc.stderr
