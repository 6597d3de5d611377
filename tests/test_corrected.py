"""Corrected workbooks (`lotsync.writers.corrected`): real files written with openpyxl (and
xlsxwriter for an image), reconciled through `lotsync.pipeline.run`, corrected, and opened
again to check that exactly the intended cells changed and everything else survived."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import struct
import zipfile
import zlib
from copy import copy
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from lotsync.pipeline import run
from lotsync.reconcile import Options
from lotsync.writers.corrected import (CHANGED_FILL, USE_NEXT_MARK, CorrectedOutput,
                                       unsupported_content, write_corrected)

AS_OF = dt.date(2026, 6, 30)
HOSTILE_LOT = '=HYPERLINK("http://x","y")'
HOSTILE_PATIENT = "@SUM(A1:A9)"


def sha(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def text(ws, coord, value):
    """A cell that holds text, even text that looks like a formula (a clinic's typing)."""
    c = ws[coord]
    c.value = value
    c.data_type = "s"
    return c


def reconcile(paths, **opts):
    return run([str(p) for p in paths], Options(as_of=AS_OF, **opts))


def clinic_book(path: Path, *, visits: bool = True) -> Path:
    """An inventory workbook a clinic could have built: a title above the table, styles,
    number formats, widths, frozen panes, validation, conditional formatting, formulas on
    another tab, a defined name, a comment, merged cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inventory"
    ws["A1"] = "Spa Bella: receiving log"
    ws["A1"].font = Font(bold=True, size=14, color="1F4E78")
    ws.merge_cells("A1:D1")
    header = ["Product", "Lot #", "Exp Date", "Date Received", "Qty", "Unit", "Cost per Unit", "Remaining", "Notes"]
    for j, h in enumerate(header, start=1):
        c = ws.cell(row=3, column=j, value=h)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = PatternFill("solid", fgColor="305496")
        c.alignment = Alignment(horizontal="center")
    thin = Side(style="thin", color="999999")
    rows = [
        ["Botox", "C3709C3", dt.date(2026, 12, 31), dt.date(2026, 1, 5), 100, "units", 6.12, 64, "fridge A"],
        ["Botox", "C3710A1", dt.date(2026, 8, 31), dt.date(2026, 1, 5), 2, "vial", 612, 2, None],
        ["Juvederm", "JV1", dt.date(2027, 1, 31), dt.date(2026, 1, 5), 10, "syringe", 300, 10, None],
        ["Juvederm", "JV1", dt.date(2027, 1, 31), dt.date(2026, 3, 5), 10, "syringe", 300, 10, None],
        ["Kybella", "KY9", dt.date(2026, 5, 31), dt.date(2026, 1, 5), 4, "vial", 150, 4, None],
    ]
    for i, row in enumerate(rows, start=4):
        for j, v in enumerate(row, start=1):
            c = ws.cell(row=i, column=j, value=v)
            c.border = Border(top=thin, bottom=thin, left=thin, right=thin)
            if j in (3, 4):
                c.number_format = "dd-mmm-yyyy"
            if j == 7:
                c.number_format = '"$"#,##0.00'
            if j == 8:
                c.number_format = "0.0"
                c.font = Font(italic=True)
    ws["I4"].comment = Comment("the clinic's own note", "Dana")
    ws.freeze_panes = "A4"
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 14
    ws.column_dimensions["I"].width = 30
    dv = DataValidation(type="list", formula1='"units,vial,syringe"', allow_blank=True)
    dv.add("F4:F100")
    ws.add_data_validation(dv)
    ws.conditional_formatting.add("H4:H100", CellIsRule(operator="lessThan", formula=["1"],
                                                        fill=PatternFill("solid", fgColor="FFC7CE")))
    ws.auto_filter.ref = "A3:I8"

    s = wb.create_sheet("Summary")
    s["A1"] = "Units on hand (sheet)"
    s["B1"] = "=SUM(Inventory!H4:H8)"
    s["A2"] = "Cost on hand"
    s["B2"] = "=SUMPRODUCT(Inventory!G4:G8,Inventory!H4:H8)"
    s["B2"].number_format = '"$"#,##0.00'
    s.column_dimensions["A"].width = 25
    wb.defined_names["OnHand"] = DefinedName("OnHand", attr_text="Summary!$B$1")

    if visits:
        v = wb.create_sheet("Treatments")
        v.append(["Date", "Patient", "Provider", "Product", "Lot", "Units"])
        v.append([dt.date(2026, 2, 1), "P1", "Amy", "Botox", "C3709C3", 20])
        v.append([dt.date(2026, 2, 2), "P2", "Amy", "Botox", "C3790C3", 18])  # typo of C3709C3
        v.append([dt.date(2026, 2, 3), "P3", "Bo", "Botox", "C3710A1", 40])
        v.append([dt.date(2026, 2, 3), "P3", "Bo", "Juvederm", "JV1", 1])
        v.append([dt.date(2026, 4, 3), "P4", "Bo", "Juvederm", "JV1", 12])
        text(v, "B7", HOSTILE_PATIENT)
        v["A7"], v["C7"], v["D7"], v["E7"], v["F7"] = dt.date(2026, 4, 4), "Bo", "Kybella", "KY9", 1
        a = wb.create_sheet("Waste")
        a.append(["Date", "Product", "Lot", "Qty", "Type", "Reason"])
        a.append([dt.date(2026, 2, 5), "Botox", "C3709C3", 2, "waste", "dropped"])
    p = wb.create_sheet("Products")
    p.append(["Product", "Unit", "Package Unit", "Units per Package"])
    p.append(["Botox", "units", "vial", 100])
    p.append(["Juvederm", "syringe", None, None])
    p.append(["Kybella", "vial", None, None])
    wb.save(path)
    return path


# What clinic_book's numbers give at AS_OF (received − used − wasted), in each row's unit.
EXPECTED_REMAINING = {
    "H4": 60,    # C3709C3: 100 − 20 − 18 (the typo, repaired/inferred) − 2 waste; was 64
    "H5": 1.6,   # C3710A1: 2 vials = 200 units − 40 → 160 units = 1.6 vials; was 2
    "H6": 0,     # JV1, first of two receipts: 20 − 13 = 7, used oldest first → 0; was 10
    "H7": 7,     # JV1, second receipt keeps 7; was 10
}                # H8 KY9: 4 − 1 = 3 vials; was 4 → 3
EXPECTED_REMAINING["H8"] = 3


def cell_map(ws) -> dict[str, object]:
    return {c.coordinate: c for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}


def style_of(c) -> tuple:
    # copy() unwraps openpyxl's StyleProxy, which does not compare by value
    return (copy(c.font), copy(c.fill), copy(c.border), copy(c.alignment), c.number_format,
            copy(c.protection))


def validations(ws) -> list[tuple]:
    return sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.operator, dv.allowBlank)
                  for dv in ws.data_validations.dataValidation)


def cond_formats(ws) -> list[tuple]:
    out = []
    for rng in ws.conditional_formatting:
        for rule in rng.rules:
            out.append((str(rng.sqref), rule.type, rule.operator, tuple(rule.formula or ()),
                        rule.dxf.fill.fgColor.rgb if rule.dxf and rule.dxf.fill else None))
    return sorted(out)


def assert_only_changed(original: Path, corrected: Path, changed: dict[tuple[str, str], object],
                        added_cols: dict[str, set[str]] | None = None,
                        restyled: set[tuple[str, str]] = frozenset()) -> None:
    """Every cell of every sheet is as in `original`, except `changed` ((sheet, cell) ->
    new value) and the cells in `added_cols` (sheet -> column letters lotsync adds).
    Styles are unchanged except the fill of changed and `restyled` cells; sheets,
    validation, conditional formats, defined names, frozen panes and widths too."""
    added_cols = added_cols or {}
    a = openpyxl.load_workbook(original, rich_text=True)
    b = openpyxl.load_workbook(corrected, rich_text=True)
    assert a.sheetnames == b.sheetnames
    assert {n: d.attr_text for n, d in a.defined_names.items()} == \
        {n: d.attr_text for n, d in b.defined_names.items()}
    for wa in a.worksheets:
        wb_ = b[wa.title]
        ca, cb = cell_map(wa), cell_map(wb_)
        extra = added_cols.get(wa.title, set())
        for coord in set(ca) | set(cb):
            letter = "".join(ch for ch in coord if ch.isalpha())
            if letter in extra:
                continue
            key = (wa.title, coord)
            va = ca[coord].value if coord in ca else None
            vb = cb[coord].value if coord in cb else None
            if key in changed:
                assert vb == pytest.approx(changed[key]) if isinstance(changed[key], float) else vb == changed[key], key
                assert va != vb, key
            else:
                assert vb == va, (key, va, vb)
                if coord in ca and coord in cb:
                    assert cb[coord].data_type == ca[coord].data_type, key
            if coord in ca and coord in cb:
                sa, sb = style_of(ca[coord]), style_of(cb[coord])
                if key in changed or key in restyled:
                    assert (sa[0], sa[2], sa[3], sa[4]) == (sb[0], sb[2], sb[3], sb[4]), key
                else:
                    assert sa == sb, key
        assert validations(wa) == validations(wb_)
        assert cond_formats(wa) == cond_formats(wb_)
        assert wa.freeze_panes == wb_.freeze_panes
        assert str(wa.merged_cells) == str(wb_.merged_cells)
        assert wa.auto_filter.ref == wb_.auto_filter.ref
        for letter, dim in wa.column_dimensions.items():
            assert wb_.column_dimensions[letter].width == dim.width, (wa.title, letter)


def test_round_trip_changes_exactly_the_remaining_cells_and_adds_status(tmp_path):
    src = clinic_book(tmp_path / "clinic.xlsx")
    before = sha(src)
    result, loaded = reconcile([src])
    outs = write_corrected(result, loaded, tmp_path / "out")
    assert sha(src) == before  # the input is never written
    assert outs == [CorrectedOutput(str(src), tmp_path / "out" / "corrected" / "clinic.xlsx", "copy", 5, None)]
    copy_path = outs[0].path

    changed = {("Inventory", k): v for k, v in EXPECTED_REMAINING.items()}
    notes = {(f.source.sheet, f.source.cell) for f in result.findings if f.source.cell}
    assert_only_changed(src, copy_path, changed, added_cols={"Inventory": {"J", "K"}})

    wb = openpyxl.load_workbook(copy_path)
    ws = wb["Inventory"]
    assert wb.calculation.fullCalcOnLoad is True
    for coord in EXPECTED_REMAINING:
        assert ws[coord].fill.fgColor.rgb.endswith(CHANGED_FILL)
        assert ws[coord].number_format == "0.0" and ws[coord].font.italic
    assert ws["H4"].comment.text.startswith("lotsync: was 64 units, derived 60 units: received 100 units, "
                                            "used 38 in visits (18 of them inferred), wasted 2.")
    assert "1.6 vials (160 units)" in ws["H5"].comment.text
    assert "oldest receipt first" in ws["H6"].comment.text and "0 syringes left" in ws["H6"].comment.text
    assert ws["I4"].comment.text == "the clinic's own note" and ws["I4"].comment.author == "Dana"
    # Status and Use next: right of the table (Notes is column I), header in the header row
    assert (ws["J3"].value, ws["K3"].value) == ("Status", "Use next")
    assert ws["J3"].font.bold and ws["J3"].fill.fgColor.rgb == ws["I3"].fill.fgColor.rgb
    assert [ws[f"J{r}"].value for r in range(4, 9)] == ["ok", "ok", "ok", "ok", "expired"]
    assert ws["J4"].fill.fill_type is None and ws["J4"].border.left.style == "thin"  # Notes' look
    # FEFO: C3710A1 (Aug) before C3709C3 (Dec); JV1's empty first receipt is not marked
    assert [ws[f"K{r}"].value for r in range(4, 9)] == [None, USE_NEXT_MARK, None, USE_NEXT_MARK, None]
    assert ws["A2"].value is None and ws["J2"].value is None
    # findings are comments on their source cells (the Remaining ones are the corrections)
    t = wb["Treatments"]
    assert "FEFO_VIOLATION" in t["E2"].comment.text
    assert "UNKNOWN_LOT" in t["E3"].comment.text and "C3709C3" in t["E3"].comment.text
    assert t["E3"].value == "C3790C3"  # not repaired unless asked
    assert ("Treatments", "E2") in notes
    # the copy reconciles clean of REMAINING_MISMATCH, with the same lots
    r2, l2 = reconcile([copy_path])
    assert not [f for f in r2.findings if f.code == "REMAINING_MISMATCH"]
    assert [(l.lot, l.derived_remaining) for l in r2.lots] == [(l.lot, l.derived_remaining) for l in result.lots]
    inv = next(t for t in l2.inputs if t.kind == "inventory")
    assert inv.unused == ("Notes", "Status", "Use next")


def test_a_second_run_on_a_corrected_copy_reuses_its_columns(tmp_path):
    src = clinic_book(tmp_path / "clinic.xlsx")
    result, loaded = reconcile([src])
    first = write_corrected(result, loaded, tmp_path / "out1")[0].path
    r2, l2 = reconcile([first])
    second = write_corrected(r2, l2, tmp_path / "out2")
    assert second[0].changed_cells == 0
    ws = openpyxl.load_workbook(second[0].path)["Inventory"]
    assert [ws.cell(row=3, column=c).value for c in range(9, 13)] == ["Notes", "Status", "Use next", None]


def test_lot_repairs_are_written_only_when_asked_with_the_original_in_a_comment(tmp_path):
    inv = clinic_book(tmp_path / "inventory.xlsx", visits=False)
    vb = openpyxl.Workbook()
    v = vb.active
    v.title = "Treatments"
    v.append(["Date", "Patient", "Provider", "Product", "Lot", "Units"])
    v.append([dt.date(2026, 2, 1), "P1", "Amy", "Botox", "C3709C3", 20])
    v.append([dt.date(2026, 2, 2), "P2", "Amy", "Botox", "C3790C3", 18])  # one near lot: repaired
    v.append([dt.date(2026, 2, 2), "P5", "Amy", "Botox", "ZZZZ99", 5])  # no near lot: stays
    text(v, "B5", HOSTILE_PATIENT)
    v["A5"], v["C5"], v["D5"], v["E5"], v["F5"] = dt.date(2026, 2, 6), "Amy", "Botox", None, 4
    visits = tmp_path / "treatments.xlsx"
    vb.save(visits)
    before = sha(visits)
    result, loaded = reconcile([inv, visits])

    outs = {Path(o.source).name: o for o in write_corrected(result, loaded, tmp_path / "plain")}
    o = outs["treatments.xlsx"]
    assert (o.kind, o.changed_cells) == ("copy", 0)
    assert_only_changed(visits, o.path, {})
    ws = openpyxl.load_workbook(o.path)["Treatments"]
    assert "UNKNOWN_LOT" in ws["E3"].comment.text and "Did you mean C3709C3?" in ws["E3"].comment.text
    assert "UNKNOWN_LOT" in ws["E4"].comment.text
    assert "MISSING_LOT" in ws["E5"].comment.text
    assert ws["B5"].value == HOSTILE_PATIENT and ws["B5"].data_type == "s"

    outs = {Path(o.source).name: o for o in write_corrected(result, loaded, tmp_path / "fixed",
                                                              apply_lot_repairs=True)}
    o = outs["treatments.xlsx"]
    assert (o.kind, o.changed_cells) == ("copy", 1)
    assert_only_changed(visits, o.path, {("Treatments", "E3"): "C3709C3"})
    ws = openpyxl.load_workbook(o.path)["Treatments"]
    assert "entered as 'C3790C3'" in ws["E3"].comment.text
    assert ws["E3"].fill.fgColor.rgb.endswith(CHANGED_FILL)
    assert ws["E4"].value == "ZZZZ99"
    assert sha(visits) == before
    r2, _ = reconcile([inv, o.path])
    assert [f.source.cell for f in r2.findings if f.code == "UNKNOWN_LOT"] == ["E4"]


def test_formula_injection_stays_text_in_copies_lists_and_csv(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inventory"
    ws.append(["Product", "Lot", "Expiration", "Qty", "Remaining"])
    ws.append(["Botox", None, dt.date(2026, 12, 31), 100, 90])
    text(ws, "B2", HOSTILE_LOT)
    ws.append(["Botox", None, dt.date(2026, 11, 30), 50, 50])
    text(ws, "B3", "+cmd|' /C calc'!A0")
    v = wb.create_sheet("Visits")
    v.append(["Date", "Patient", "Product", "Lot", "Units"])
    v.append([dt.date(2026, 2, 1), None, "Botox", None, 20])
    text(v, "B2", HOSTILE_PATIENT)
    text(v, "D2", HOSTILE_LOT)
    src = tmp_path / "hostile.xlsx"
    wb.save(src)
    result, loaded = reconcile([src])
    assert {l.lot for l in result.lots} == {HOSTILE_LOT, "+cmd|' /C calc'!A0"}
    out = write_corrected(result, loaded, tmp_path / "out")[0]
    b = openpyxl.load_workbook(out.path)
    for sheet, coord, value in (("Inventory", "B2", HOSTILE_LOT), ("Inventory", "B3", "+cmd|' /C calc'!A0"),
                                ("Visits", "B2", HOSTILE_PATIENT), ("Visits", "D2", HOSTILE_LOT)):
        c = b[sheet][coord]
        assert (c.value, c.data_type) == (value, "s")
    assert not [c for w in b.worksheets for row in w.iter_rows() for c in row if c.data_type == "f"]
    assert b["Inventory"]["E2"].value == 80  # 100 − 20 (the visit's own recorded lot)

    # the change-list path: a chart makes the same workbook a list; old values are text
    wb = openpyxl.load_workbook(src)
    ch = BarChart()
    ch.add_data(Reference(wb["Inventory"], min_col=4, min_row=1, max_row=3), titles_from_data=True)
    wb["Inventory"].add_chart(ch, "H2")
    charted = tmp_path / "charted.xlsx"
    wb.save(charted)
    r2, l2 = reconcile([charted])
    o2 = write_corrected(r2, l2, tmp_path / "out2")[0]
    assert o2.kind == "changes"
    lst = openpyxl.load_workbook(o2.path)["Changes"]
    cells = [c for row in lst.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    assert HOSTILE_LOT in [c.value for c in cells]


def charted_book(tmp_path):
    """The clinic's workbook with a bar chart on its Summary tab (openpyxl would drop it)."""
    src = clinic_book(tmp_path / "charted.xlsx")
    wb = openpyxl.load_workbook(src)
    ch = BarChart()
    ch.add_data(Reference(wb["Inventory"], min_col=5, min_row=3, max_row=8), titles_from_data=True)
    wb["Summary"].add_chart(ch, "D2")
    wb.save(src)
    return src


def test_workbook_with_a_chart_gets_a_change_list_not_a_copy(tmp_path):
    src = charted_book(tmp_path)
    before = sha(src)
    assert unsupported_content(src) == ["a chart"]
    result, loaded = reconcile([src])
    outs = write_corrected(result, loaded, tmp_path / "out")
    assert sha(src) == before
    assert [(o.kind, o.path.name, o.changed_cells) for o in outs] == [("changes", "charted.changes.xlsx", 5)]
    assert "a chart" in outs[0].note and "charted.changes.xlsx" in outs[0].note
    assert not (tmp_path / "out" / "corrected" / "charted.xlsx").exists()
    rows = list(openpyxl.load_workbook(outs[0].path)["Changes"].iter_rows(values_only=True))
    assert rows[0] == ("Sheet", "Cell", "Old", "New", "Why")
    changes = {(r[0], r[1]): (r[2], r[3]) for r in rows[1:] if r[3] is not None}
    for coord, new in EXPECTED_REMAINING.items():
        assert changes[("Inventory", coord)][1] == pytest.approx(new)
    assert changes[("Inventory", "H4")][0] == 64
    assert changes[("Inventory", "J3")] == (None, "Status")
    assert changes[("Inventory", "K5")] == (None, USE_NEXT_MARK)
    assert any(r[1] == "E2" and "FEFO_VIOLATION" in r[4] for r in rows[1:])


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def test_workbook_with_an_image_gets_a_change_list(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")  # openpyxl's images need Pillow; this does not
    png = tmp_path / "logo.png"
    png.write_bytes(_png())
    src = tmp_path / "logo.xlsx"
    x = xlsxwriter.Workbook(str(src))
    ws = x.add_worksheet("Inventory")
    ws.insert_image("A1", str(png))
    for j, h in enumerate(["Product", "Lot", "Expiration", "Qty", "Remaining"]):
        ws.write(2, j, h)
    for j, v in enumerate(["Botox", "C1", "2026-12-31", 100, 64]):
        ws.write(3, j, v)
    x.close()
    before = sha(src)
    assert unsupported_content(src) == ["an image"]
    result, loaded = reconcile([src])
    (o,) = write_corrected(result, loaded, tmp_path / "out")
    assert (o.kind, o.path.name, o.changed_cells) == ("changes", "logo.changes.xlsx", 1)
    assert "an image" in o.note
    rows = list(openpyxl.load_workbook(o.path)["Changes"].iter_rows(values_only=True))
    assert ("Inventory", "E4", 64, 100) == rows[1][:4]
    assert sha(src) == before


def _with_parts(src: Path, dst: Path, parts: dict[str, bytes], patch: dict[str, tuple[bytes, bytes]] = {}) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename in patch:
                old, new = patch[item.filename]
                data = data.replace(old, new)
            zout.writestr(item, data)
        for name, data in parts.items():
            zout.writestr(name, data)
    return dst


@pytest.mark.parametrize("parts,patch,expected", [
    ({"xl/pivotTables/pivotTable1.xml": b"<pivotTableDefinition/>"}, {}, "a pivot table"),
    ({"xl/slicers/slicer1.xml": b"<slicers/>"}, {}, "a slicer"),
    ({"xl/drawings/drawing1.xml": b'<xdr:wsDr xmlns:xdr="x"><xdr:twoCellAnchor><xdr:sp macro="">'
      b"</xdr:sp></xdr:twoCellAnchor></xdr:wsDr>"}, {}, "a shape"),
    ({}, {"xl/worksheets/sheet1.xml": (b"</worksheet>", b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
                                         b'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
                                         b"<x14:sparklineGroups/></ext></extLst></worksheet>")},
     "sparklines on sheet 'Inventory'"),
])
def test_what_openpyxl_would_lose_is_detected(tmp_path, parts, patch, expected):
    plain = clinic_book(tmp_path / "plain.xlsx", visits=False)
    assert unsupported_content(plain) == []
    odd = _with_parts(plain, tmp_path / "odd.xlsx", parts, patch)
    assert unsupported_content(odd) == [expected]
    result, loaded = reconcile([odd])
    (o,) = write_corrected(result, loaded, tmp_path / "out")
    assert o.kind == "changes" and expected in o.note


def _make_xlsm(src: Path, dst: Path, vba: bytes) -> Path:
    """An .xlsm as Excel writes it: the workbook's content type says macros, and the package
    holds a vbaProject.bin related to the workbook."""
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    return _with_parts(src, dst, {"xl/vbaProject.bin": vba}, {
        "[Content_Types].xml": (main, b"application/vnd.ms-excel.sheet.macroEnabled.main+xml\"/>"
                                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject'),
        "xl/_rels/workbook.xml.rels": (b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://schemas.'
                                       b'microsoft.com/office/2006/relationships/vbaProject" '
                                       b'Target="vbaProject.bin"/></Relationships>'),
    })


def test_xlsm_keeps_its_macros(tmp_path):
    plain = clinic_book(tmp_path / "plain.xlsx")
    vba = b"\xd0\xcf\x11\xe0 not really a VBA project, but its bytes must survive" * 20
    src = _make_xlsm(plain, tmp_path / "macro.xlsm", vba)
    with zipfile.ZipFile(src) as z:
        assert b"macroEnabled" in z.read("[Content_Types].xml")
    before = sha(src)
    result, loaded = reconcile([src])
    (o,) = write_corrected(result, loaded, tmp_path / "out")
    assert (o.kind, o.path.name, o.changed_cells) == ("copy", "macro.xlsm", 5)
    with zipfile.ZipFile(o.path) as z:
        assert z.read("xl/vbaProject.bin") == vba
        assert b"macroEnabled" in z.read("[Content_Types].xml")
    assert_only_changed(src, o.path, {("Inventory", k): v for k, v in EXPECTED_REMAINING.items()},
                        added_cols={"Inventory": {"J", "K"}})
    assert sha(src) == before


def test_a_formula_remaining_cell_is_not_overwritten(tmp_path):
    import xlsxwriter  # writes a formula with a cached value, as Excel does

    src = tmp_path / "formula.xlsx"
    x = xlsxwriter.Workbook(str(src))
    ws = x.add_worksheet("Inventory")
    for j, h in enumerate(["Product", "Lot", "Expiration", "Qty", "Remaining"]):
        ws.write(0, j, h)
    for i, (lot, rem) in enumerate((("C1", None), ("C2", 100)), start=1):
        ws.write_row(i, 0, ["Botox", lot, "2026-12-31", 100])
        if rem is None:
            ws.write_formula(i, 4, f"=D{i + 1}-5", None, 95)
        else:
            ws.write_number(i, 4, rem)
    v = x.add_worksheet("Visits")
    v.write_row(0, 0, ["Date", "Product", "Lot", "Units"])
    v.write_row(1, 0, ["2026-02-01", "Botox", "C1", 20])
    v.write_row(2, 0, ["2026-02-01", "Botox", "C2", 20])
    x.close()
    result, loaded = reconcile([src])
    assert {l.lot: l.recorded_remaining for l in result.lots} == {"C1": 95, "C2": 100}
    (o,) = write_corrected(result, loaded, tmp_path / "out")
    assert o.changed_cells == 1 and "1 Remaining cell" in o.note and "formula" in o.note
    b = openpyxl.load_workbook(o.path)["Inventory"]
    assert b["E2"].value == "=D2-5"
    assert "formula" in b["E2"].comment.text and "derived 80" in b["E2"].comment.text
    assert b["E3"].value == 80


def test_csv_inventory_is_corrected_in_its_own_dialect_and_safely(tmp_path):
    src = tmp_path / "receiving.csv"
    raw = ("Product;Lot;Expiration;Date Received;Qty;Remaining;Note\r\n"
           "Botox;C3709C3;2026-12-31;2026-01-05;100;64 units;caf\u00e9\r\n"
           f"Botox;\"{HOSTILE_LOT.replace(chr(34), chr(34) * 2)}\";2026-11-30;2026-01-05;50;50;\r\n")
    src.write_bytes(raw.encode("cp1252"))
    visits = tmp_path / "visits.csv"
    visits.write_text("Date,Patient,Product,Lot,Units\n2026-02-01,P1,Botox,C3709C3,20\n"
                      f"2026-02-02,{HOSTILE_PATIENT},Botox,C3790C3,18\n", encoding="utf-8")
    before = (sha(src), sha(visits))
    result, loaded = reconcile([src, visits])
    outs = {Path(o.source).name: o for o in write_corrected(result, loaded, tmp_path / "out",
                                                              apply_lot_repairs=True)}
    assert (sha(src), sha(visits)) == before
    o = outs["receiving.csv"]
    assert (o.kind, o.path.name, o.changed_cells) == ("csv", "receiving.csv", 1)
    data = o.path.read_bytes()
    assert b"\r\n" in data and "café".encode("cp1252") in data
    rows = list(csv.reader(io.StringIO(data.decode("cp1252"), newline=""), delimiter=";"))
    assert rows[0] == ["Product", "Lot", "Expiration", "Date Received", "Qty", "Remaining", "Note",
                       "Status", "Use next"]
    # 100 − 20 − 18 (repaired typo) = 62; the unit words stay
    assert rows[1][5] == "62 units" and rows[1][7:] == ["ok", ""]
    assert rows[2][1] == "'" + HOSTILE_LOT and rows[2][7:] == ["ok", USE_NEXT_MARK]
    v = outs["visits.csv"]
    assert (v.kind, v.changed_cells) == ("csv", 1)
    vrows = list(csv.reader(io.StringIO(v.path.read_text("utf-8"), newline="")))
    assert vrows[0][-1] == "Lot as entered"
    assert vrows[2] == ["2026-02-02", "'" + HOSTILE_PATIENT, "Botox", "C3709C3", "18", "C3790C3"]


def test_outputs_never_replace_an_input(tmp_path):
    out = tmp_path / "out"
    (out / "corrected").mkdir(parents=True)
    src = clinic_book(out / "corrected" / "clinic.xlsx")  # an earlier copy, read again
    before = sha(src)
    result, loaded = reconcile([src])
    (o,) = write_corrected(result, loaded, out)
    assert o.path.name == "clinic (2).xlsx"
    assert sha(src) == before


def test_a_source_that_is_not_a_local_file_gets_a_change_list(tmp_path):
    from lotsync.readers.raw import RawSheet

    rows = [["Product", "Lot", "Expiration", "Qty", "Remaining"],
            ["Botox", "C1", "2026-12-31", 100, 70],
            ["Botox", "C2", "2026-11-30", 100, 100]]
    visits = [["Date", "Product", "Lot", "Units"], ["2026-02-01", "Botox", "C1", 20]]

    def read(source):
        return [RawSheet(source, "Inventory", rows, display_file="Spa: Inventory"),
                RawSheet(source, "Visits", visits, display_file="Spa: Inventory")]

    result, loaded = run(["gsheet://1AbC"], Options(as_of=AS_OF), read=read)
    (o,) = write_corrected(result, loaded, tmp_path / "out")
    assert (o.kind, o.path.name, o.changed_cells) == ("changes", "Spa_ Inventory.changes.xlsx", 1)
    assert "Google Sheet" in o.note
    got = list(openpyxl.load_workbook(o.path)["Changes"].iter_rows(values_only=True))
    assert got[1][:4] == ("Inventory", "E2", 70, 80)


def test_a_clinics_own_status_column_is_left_alone(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inventory"
    ws.append(["Product", "Lot", "Expiration", "Qty", "Remaining", "Status"])
    ws.append(["Botox", "C1", dt.date(2026, 12, 31), 100, 100, "opened"])
    src = tmp_path / "own.xlsx"
    wb.save(src)
    result, loaded = reconcile([src])
    (o,) = write_corrected(result, loaded, tmp_path / "out")
    assert_only_changed(src, o.path, {}, added_cols={"Inventory": {"G", "H"}})
    b = openpyxl.load_workbook(o.path)["Inventory"]
    assert [c.value for c in b[1]] == ["Product", "Lot", "Expiration", "Qty", "Remaining", "Status",
                                       "Status", "Use next"]
    assert [c.value for c in b[2]][5:] == ["opened", "ok", USE_NEXT_MARK]


@pytest.mark.parametrize("derived,expected", [
    (250, [50, 100, 100]),   # 50 used, all from the oldest receipt
    (120, [0, 20, 100]),     # the oldest is empty, the middle one part-used
    (0, [0, 0, 0]),
    (-15, [-15, 0, 0]),      # a shortfall shows on the oldest receipt
    (330, [130, 100, 100]),  # a surplus (a count found more) too
])
def test_a_lots_balance_is_split_oldest_receipt_first(derived, expected):
    from types import SimpleNamespace
    from lotsync.writers.corrected import _split_remaining

    receipts = [SimpleNamespace(qty_use=q) for q in (100, 100, 100)]  # oldest first
    assert _split_remaining(Decimal(derived), receipts) == [Decimal(x) for x in expected]


def test_a_workbook_too_big_to_copy_gets_its_list_for_its_size_whatever_else_it_holds(tmp_path, monkeypatch):
    """Size is decided first: a workbook over MAX_COPY_ROWS gets the change list and the
    reason is its size, even when it also holds a chart (its sheets are not searched: at a
    million rows that was half a gigabyte of XML read for a copy never made)."""
    import lotsync.writers.corrected as corrected

    src = charted_book(tmp_path)
    before = sha(src)
    result, loaded = reconcile([src])
    monkeypatch.setattr(corrected, "MAX_COPY_ROWS", 3)
    outs = write_corrected(result, loaded, tmp_path / "out")
    assert sha(src) == before
    assert [(o.kind, o.path.name, o.changed_cells) for o in outs] == [("changes", "charted.changes.xlsx", 5)]
    assert "more than lotsync copies cell by cell (3)" in outs[0].note
    assert "a chart" not in outs[0].note
    about = [r[0] for r in openpyxl.load_workbook(outs[0].path)["About"].iter_rows(values_only=True)]
    assert any("more than lotsync copies cell by cell" in line for line in about)


def test_each_status_cell_takes_its_own_rows_look_when_rows_differ(tmp_path):
    """Banded and odd rows: every Status and Use next cell has the font, border and
    alignment of its own row's neighbour, the status's fill where it has one (else the
    neighbour's), and Use next its bold green mark, however many rows share a look."""
    from lotsync.writers.corrected import STATUS_FILLS, USE_NEXT_FILL

    src = clinic_book(tmp_path / "banded.xlsx")
    wb = openpyxl.load_workbook(src)
    ws = wb["Inventory"]
    looks = {4: (Font(bold=True), PatternFill("solid", fgColor="EEEEEE"), Alignment(horizontal="right")),
             5: (Font(italic=True, color="FF0000"), PatternFill(), Alignment()),
             6: (Font(underline="single"), PatternFill("solid", fgColor="EEEEEE"), Alignment(vertical="top")),
             7: (Font(size=9), PatternFill("solid", fgColor="DDEBF7"), Alignment(wrap_text=True)),
             8: (Font(bold=True), PatternFill("solid", fgColor="EEEEEE"), Alignment(horizontal="right"))}
    for row, (font, fill, align) in looks.items():
        c = ws.cell(row=row, column=9)
        c.font, c.fill, c.alignment = font, fill, align
    wb.save(src)
    result, loaded = reconcile([src])
    out = write_corrected(result, loaded, tmp_path / "out")
    copy_ws = openpyxl.load_workbook(out[0].path)["Inventory"]
    assert copy_ws["J3"].value == "Status" and copy_ws["K3"].value == "Use next"
    marks = 0
    for row, (font, fill, align) in looks.items():
        status, use = copy_ws.cell(row=row, column=10), copy_ws.cell(row=row, column=11)
        for cell in (status, use):
            assert cell.alignment == align and cell.border.left.style == "thin"
        assert status.font == font
        want_fill = STATUS_FILLS.get(status.value)
        assert status.fill.fgColor.rgb.endswith(want_fill) if want_fill else status.fill == fill
        if use.value == USE_NEXT_MARK:
            marks += 1
            assert use.font.bold and use.fill.fgColor.rgb.endswith(USE_NEXT_FILL)
        else:
            assert use.font == font and use.fill == fill
    assert marks >= 2


def test_the_kind_of_each_input_is_what_the_readers_preflight_says(tmp_path):
    """corrected/ routes a file by its kind (copy, CSV, change list, and the reason); the
    kind of a zip package comes from its small parts, and must agree with the full
    preflight for every kind of file a reader takes."""
    import readers_files as rf

    from lotsync.readers import preflight
    from lotsync.writers.corrected import _file_kind

    data = rf.xlsx_bytes(rf.small_workbook())
    files = {
        "plain.xlsx": data, "macros.xlsm": rf.to_xlsm(data), "strict.xlsx": rf.to_strict(data),
        "sheet.ods": rf.ods_bytes([("Log", [["Product", "Lot"], ["Botox", "A1"]], False)]),
        "named.xls": data,  # an .xlsx under another name: the content decides
        "log.csv": b"Product,Lot\nBotox,A1\n",
    }
    kinds = {}
    for name, blob in files.items():
        p = rf.write(tmp_path / name, blob)
        pf = preflight.check(p)
        want = "strict" if pf.kind == "xlsx" and getattr(pf, "strict", False) else pf.kind
        kinds[name] = _file_kind(p)
        assert kinds[name] == want, name
    assert kinds["strict.xlsx"] == "strict" and kinds["sheet.ods"] == "ods"
    assert kinds["named.xls"] == "xlsx" and kinds["log.csv"] == "csv"
