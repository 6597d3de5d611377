"""report.xlsx: the tabs, the native charts, real dates and numbers, links to the source
cells, formula injection, the streamed big tabs, atomic output.

The result comes from a real workbook read through the whole pipeline; the clinic's sheet
holds hostile text (a lot named `=HYPERLINK(...)`, a patient `@SUM(...)`, a provider `-Dr. B`,
a product shaped like xlsxwriter's rich-string XML `<r>…</r>`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import shutil
import subprocess
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from helpers import found, reconcile_files, write_book

from lotsync.reconcile.result import Cogs, VisitCogs
from lotsync.writers import charts as ch
from lotsync.writers import report_xlsx
from lotsync.writers.report_xlsx import write_report_xlsx
from lotsync.writers.safe import safe_text

D = dt.date
AS_OF = D(2026, 6, 30)
HOSTILE_LOT = '=HYPERLINK("http://x","y")'
HOSTILE_PATIENT = "@SUM(1+1)"
HOSTILE_PROVIDER = "-Dr. B"
RICH_PRODUCT = '<r><t>Evil</t></r><c r="Z9"><f>1+1</f></c><r>x</r>'
ODD_PRODUCT = "Filler & <Co> _x0041_ “quoted”"  # the reader decodes _x0041_ as Excel does

SHEETS = ["Summary", "Findings", "Lots", "Use next", "Expiring", "COGS by visit",
          "COGS by provider", "COGS by product", "COGS by month"]


def clinic(folder: Path) -> str:
    """A small practice with one of each thing the report shows, and hostile text."""
    return write_book(folder / "clinic.xlsx", {
        "Receiving": [
            ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit", "Unit Cost", "Remaining", "Location"],
            ["Botox", "C3709C3", D(2026, 12, 31), D(2026, 1, 5), 100, "units", 6.12, 60, "Main"],
            ["Botox", "C1111A1", D(2026, 8, 15), D(2026, 1, 5), 100, "units", 6.00, 90, "Main"],
            ["Juvederm", HOSTILE_LOT, D(2026, 3, 31), D(2025, 12, 1), 10, "syringe", 300, 9, "Main"],
            [RICH_PRODUCT, "EV1", D(2026, 5, 31), D(2026, 1, 2), 5, "vial", 100, 4, "Main"],
            [ODD_PRODUCT, "OD1", D(2027, 5, 31), D(2026, 1, 2), 5, "vial", 50, 5, "Main"],
        ],
        "Treatments": [
            ["Date", "Patient", "Provider", "Product", "Lot", "Units", "Price", "Location"],
            [D(2026, 2, 1), HOSTILE_PATIENT, "Dr. A", "Botox", "C3709C3", 20, 300, "Main"],
            [D(2026, 2, 2), "Jane Roe", "Dr. A", "Juvederm", HOSTILE_LOT, 1, 700, "Main"],
            [D(2026, 2, 3), "John Doe", HOSTILE_PROVIDER, "Botox", None, 10, 150, "Main"],
            [D(2026, 2, 4), "Ann", HOSTILE_PROVIDER, "Botox", "C3709C4", 5, 90, "Main"],
            [D(2026, 3, 5), "Bob", "Dr. A", RICH_PRODUCT, "EV1", 1, 100, "Main"],
            [D(2026, 4, 5), "Cy", "Dr. A", "Botox", "C1111A1", 10.5, 150, "Main"],
        ],
    })


@pytest.fixture
def result(tmp_path):
    return reconcile_files([clinic(tmp_path / "practice")], as_of=AS_OF)


@pytest.fixture
def report(result, tmp_path):
    out = tmp_path / "out"
    path = write_report_xlsx(result, out)
    return path


def load(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a malformed part makes openpyxl warn
        return openpyxl.load_workbook(path)


def sheet_xml(path: Path) -> dict[str, str]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if n.startswith("xl/worksheets/sheet")}


def cells(ws) -> list:
    return [c for row in ws.iter_rows() for c in row if c.value is not None]


# --- structure ------------------------------------------------------------------------------


def test_all_tabs_in_order_and_nothing_else_left_in_the_folder(report):
    assert report.name == "report.xlsx"
    wb = load(report)
    assert wb.sheetnames == SHEETS
    assert sorted(p.name for p in report.parent.iterdir()) == ["report.xlsx"]


def test_native_charts_are_in_the_package(report):
    with zipfile.ZipFile(report) as z:
        names = z.namelist()
        charts = [n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert len(charts) == 3
        xml = "".join(z.read(n).decode() for n in charts)
    assert "<c:barChart>" in xml and xml.count("<c:barDir val=\"col\"/>") == 1  # COGS by month
    assert "'COGS by month'!$B$2:$B$" in xml
    assert "Summary!$B$" in xml  # stock value and findings by code come from the Summary tab


def test_every_sheet_is_well_formed_xml_with_a_true_dimension(report):
    for name, xml in sheet_xml(report).items():
        if name.endswith(".rels"):
            continue
        ET.fromstring(xml)  # raises on malformed XML
    wb = load(report)
    assert wb["Findings"].dimensions == f"A1:Q{1 + len(found_all(report))}"


def found_all(report):
    wb = load(report)
    return [r for r in wb["Findings"].iter_rows(min_row=2, values_only=True) if r[0]]


def test_table_tabs_have_frozen_header_filter_and_print_setup(report):
    wb = load(report)
    for name in SHEETS[1:]:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.print_title_rows == "$1:$1", name
        assert ws.page_setup.orientation == "landscape", name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_setup.fitToHeight == 0, name
        assert ws.column_dimensions["A"].width > 8, name
    for name in ("Findings", "Lots", "Use next", "COGS by visit"):
        assert wb[name].auto_filter.ref, name
    assert wb["Findings"].print_area  # the columns worth paper


# --- content --------------------------------------------------------------------------------


def test_summary_holds_the_key_figures(report, result):
    ws = load(report)["Summary"]
    figures = {r[0]: r[1] for r in ws.iter_rows(min_col=1, max_col=2, values_only=True) if r[0]}
    t = result.totals
    assert figures["COGS"] == pytest.approx(float(t.cogs))
    assert figures["COGS, estimated"] == pytest.approx(float(t.cogs_estimated))
    assert figures["On-hand value"] == pytest.approx(float(t.on_hand_value))
    assert figures["Expired, still on hand"] == pytest.approx(float(t.expired_on_hand_value))
    assert figures["Expiring within 60 days"] == pytest.approx(float(t.expiring_value))
    assert figures["Waste"] == pytest.approx(float(t.waste_value))
    assert figures["Shrinkage"] == pytest.approx(float(-t.count_variance_value))
    # 6 visit rows, 1 without a lot, 1 FEFO violation: 4 of 5 followed FEFO
    assert len(found(result, "FEFO_VIOLATION")) == 1
    assert figures["FEFO compliance"] == pytest.approx(0.8)
    assert (figures["Errors"], figures["Warnings"], figures["Info"]) == (
        result.summary.errors, result.summary.warnings, result.summary.infos)
    for code, n in result.summary.findings_by_code.items():
        assert figures[code] == n


def test_findings_one_row_each_with_severity_colour_and_a_link_to_the_source_cell(report, result):
    ws = load(report)["Findings"]
    header = [c.value for c in ws[1]]
    assert header[:11] == ["Severity", "Code", "Message", "Product", "Lot", "Location", "Date",
                           "Quantity", "Value", "Suggestion", "Source"]
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(result.findings)
    for row, f in zip(rows, result.findings):
        assert row[0].value == f.severity.value
        assert row[1].value == f.code
        assert row[16].value == f.id
        assert row[0].fill.fgColor.rgb.endswith(ch.SEVERITY_FILLS[f.severity.value][1:].upper())
        link = row[10].hyperlink
        assert link is not None
        # relative to the report's folder, Excel's backslashes; the location is the cell
        target = (report.parent / link.target.replace("\\", "/")).resolve()
        assert target == Path(f.source.file).resolve()
        assert link.location == f"{f.source.sheet}!{f.source.cell}"
        assert row[10].value.endswith(f.source.cell)


def test_dates_are_date_cells_and_numbers_are_numbers(report, result):
    wb = load(report)
    ws = wb["Lots"]
    header = [c.value for c in ws[1]]
    lots = {r[1].value: r for r in ws.iter_rows(min_row=2)}
    for l in result.lots:
        row = lots[report_lot_text(l.lot)]
        exp = row[header.index("Expiration")]
        assert exp.is_date and exp.number_format == "yyyy-mm-dd"
        assert exp.value.date() == l.expiration
        cost = row[header.index("Unit cost")]
        assert cost.data_type == "n" and cost.number_format == "$#,##0.00"
        assert cost.value == pytest.approx(float(l.unit_cost))
        rem = row[header.index("Derived remaining")]
        assert rem.data_type == "n" and rem.value == pytest.approx(float(l.derived_remaining))
        assert rem.number_format in ("#,##0", "#,##0.###")
    visits = wb["COGS by visit"]
    vh = [c.value for c in visits[1]]
    qtys = {r[vh.index("Quantity")].value: r[vh.index("Quantity")].number_format
            for r in visits.iter_rows(min_row=2)}
    assert qtys[10.5] == "#,##0.###" and qtys[20] == "#,##0"


def report_lot_text(lot: str) -> str:
    return "'" + lot if lot.startswith(("=", "+", "-", "@")) else lot


def test_expiring_groups_lots_by_month_of_expiration(report, result):
    ws = load(report)["Expiring"]
    rows = [r for r in ws.iter_rows(min_row=2, values_only=True)]
    months = [r[0] for r in rows if r[3] and str(r[3]).endswith(("lot", "lots"))]
    assert months == ["2026-03", "2026-05", "2026-08", "Total"]
    total = rows[-1]
    assert total[9] == pytest.approx(float(result.totals.expired_on_hand_value + result.totals.expiring_value))
    assert ws.row_dimensions[3].outline_level == 1  # a lot row folds under its month


def test_use_next_and_cogs_tabs(report, result):
    wb = load(report)
    use = [r for r in wb["Use next"].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[2]) for r in use] == [(u.product, u.lot) for u in result.fefo_next]
    prov = {r[0]: r[1] for r in wb["COGS by provider"].iter_rows(min_row=2, values_only=True)}
    assert prov["Total"] == pytest.approx(float(result.cogs.total))
    month = [r for r in wb["COGS by month"].iter_rows(min_row=2, values_only=True)]
    assert [r[0] for r in month[:-1]] == [m.key for m in result.cogs.by_month]
    visits = [r for r in wb["COGS by visit"].iter_rows(min_row=2, values_only=True)]
    assert len(visits) == len(result.cogs.by_visit)


# --- formula injection ----------------------------------------------------------------------


def test_hostile_text_is_stored_as_text_never_as_a_formula(report):
    xml = sheet_xml(report)
    assert not any("<f>" in x or "<f " in x for x in xml.values()), "a formula in report.xlsx"
    wb = load(report)
    texts = {c.value: c for ws in wb for c in cells(ws) if isinstance(c.value, str)}
    for hostile in (HOSTILE_LOT, HOSTILE_PATIENT, HOSTILE_PROVIDER):
        assert hostile not in texts, hostile
        cell = texts["'" + hostile]
        assert cell.data_type == "s"
    # the lot shows up on every tab that names lots, always as text
    where = {ws.title for ws in wb for c in cells(ws) if c.value == "'" + HOSTILE_LOT}
    assert {"Findings", "Lots", "Expiring"} <= where


def test_text_shaped_like_xlsxwriter_rich_string_xml_cannot_inject_cells(report, result):
    wb = load(report)
    values = [c.value for ws in wb for c in cells(ws)]
    # every tab defuses it with an apostrophe (safe_text), whichever way it was written
    assert "'" + RICH_PRODUCT in values and RICH_PRODUCT not in values
    assert not any(c.coordinate == "Z9" for ws in wb for c in cells(ws))
    by_product = [r[0] for r in wb["COGS by product"].iter_rows(min_row=2, values_only=True)]
    assert "'" + RICH_PRODUCT in by_product
    expiring = [r[3] for r in wb["Expiring"].iter_rows(min_row=2, values_only=True)]
    assert "'" + RICH_PRODUCT in expiring
    lots = [r[0] for r in wb["Lots"].iter_rows(min_row=2, values_only=True)]
    # one rule for every writer (safe_text): the streamed tabs defuse it the same way
    assert "'" + RICH_PRODUCT in lots
    odd = next(l.product for l in result.lots if l.product.startswith("Filler"))
    assert odd in lots  # &, <, > and a literal _xHHHH_ come back as they went in


def test_xml_text_escaping():
    x = report_xlsx._xml_text
    assert x("plain") == "plain"
    assert x("a & b <c>") == "a &amp; b &lt;c&gt;"
    assert x("tab\there\x01") == "tab\there_x0001_"
    assert x("_x0041_") == "_x005F_x0041_"
    assert x("cr\r") == "cr_x000D_"
    assert report_xlsx.xl_text("<r>x</r>") == "'<r>x</r>"
    assert report_xlsx.xl_text("=1+1") == "'=1+1"


# --- scale, limits, atomic output -----------------------------------------------------------


def synthetic(result, n_visits: int):
    """`result` with `n_visits` visits in its COGS by visit."""
    base = D(2025, 1, 1)
    visits = tuple(
        VisitCogs(visit=f"V{i:07d}", date=base + dt.timedelta(days=i % 365), patient=f"Patient {i}",
                  provider="Dr. A" if i % 3 else "Dr. B", location="Main", cogs=Decimal("12.34"),
                  revenue=Decimal("100") if i % 2 else None, margin=Decimal("87.66") if i % 2 else None,
                  inferred=i % 7 == 0, estimated=Decimal(0), quantity=Decimal(i % 40 + 1))
        for i in range(n_visits))
    cogs = dataclasses.replace(result.cogs, by_visit=visits)
    return dataclasses.replace(result, cogs=cogs)


def test_a_table_longer_than_a_sheet_goes_on_in_a_continuation_tab(result, tmp_path, monkeypatch):
    monkeypatch.setattr(report_xlsx, "MAX_ROWS", 6)  # 5 data rows a tab
    big = synthetic(result, 12)
    wb = load(write_report_xlsx(big, tmp_path / "out"))
    parts = [n for n in wb.sheetnames if n.startswith("COGS by visit")]
    assert parts == ["COGS by visit", "COGS by visit (2)", "COGS by visit (3)"]
    ids = [r[0] for p in parts for r in wb[p].iter_rows(min_row=2, values_only=True)]
    assert ids == [f"V{i:07d}" for i in range(12)]
    assert [wb[p].auto_filter.ref for p in parts] == ["A1:K6", "A1:K6", "A1:K3"]
    assert all(wb[p]["A1"].value == "Visit" for p in parts)


def test_past_excels_hyperlinks_per_sheet_the_source_is_plain_text(result, tmp_path, monkeypatch):
    monkeypatch.setattr(report_xlsx, "MAX_LINKS", 2)
    ws = load(write_report_xlsx(result, tmp_path / "out"))["Findings"]
    sources = [r[10] for r in ws.iter_rows(min_row=2)]
    assert sum(1 for c in sources if c.hyperlink) == 2
    assert all(c.value for c in sources)


def test_many_visits_stream_quickly(result, tmp_path):
    import time

    big = synthetic(result, 50_000)
    t0 = time.perf_counter()
    path = write_report_xlsx(big, tmp_path / "out")
    seconds = time.perf_counter() - t0
    with zipfile.ZipFile(path) as z:
        files = _sheet_files(z)
        xml = z.read(files["COGS by visit"]).decode()
    assert xml.count("<row ") == 50_001
    assert seconds < 30, f"{seconds:.1f} s for 50,000 visits"  # about 1 s on a laptop


def _sheet_files(z):
    return report_xlsx._sheet_files(z)


def test_an_interrupted_write_leaves_the_previous_report_and_no_temporary_file(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = write_report_xlsx(result, out)
    before = first.read_bytes()

    def boom(book):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(report_xlsx, "_cogs_by_visit", boom)
    with pytest.raises(RuntimeError):
        write_report_xlsx(result, out)
    assert first.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["report.xlsx"]


def test_an_empty_practice_still_gives_every_tab(result, tmp_path):
    empty = dataclasses.replace(
        result, lots=(), findings=(), fefo_next=(),
        cogs=Cogs(total=Decimal(0), estimated=Decimal(0), by_visit=(), by_provider=(), by_product=(),
                  by_month=()),
        summary=dataclasses.replace(result.summary, findings_by_code={}, errors=0, warnings=0, infos=0))
    wb = load(write_report_xlsx(empty, tmp_path / "out"))
    assert wb.sheetnames == SHEETS
    assert wb["Findings"]["A2"].value.startswith("No findings")


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_it_and_prints_it(report, tmp_path):
    profile = tmp_path / "lo-profile"
    proc = subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
         "--convert-to", "pdf", "--outdir", str(tmp_path / "pdf"), str(report)],
        capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    pdf = tmp_path / "pdf" / "report.pdf"
    assert pdf.exists(), proc.stdout + proc.stderr
    assert pdf.stat().st_size > 20_000


def test_a_number_no_spreadsheet_can_hold_leaves_its_cell_blank(result, tmp_path):
    lot = dataclasses.replace(result.lots[0], variance=Decimal("NaN"), unit_cost=Decimal("Infinity"))
    odd = dataclasses.replace(result, lots=(lot,) + result.lots[1:])
    path = write_report_xlsx(odd, tmp_path / "out")
    for xml in sheet_xml(path).values():
        assert ">nan<" not in xml and ">inf<" not in xml
    ws = load(path)["Lots"]
    header = [c.value for c in ws[1]]
    assert ws.cell(row=2, column=header.index("Unit cost") + 1).value is None


# --- the streamed tabs, cell for cell ---------------------------------------------------------


def _shown(text):
    """What a text cell holds: the text, with an apostrophe before formula-like text."""
    if text is None or text == "":
        return None
    text = str(text)
    risky = text.startswith(("=", "+", "-", "@", "\t", "\r", "\n")) or (
        text.startswith("<r>") and text.endswith("</r>"))
    return "'" + text if risky else text


def _n(x):
    return None if x is None else float(x)


def _d(x):
    return None if x is None else dt.datetime(x.year, x.month, x.day)


def expected_streamed(result) -> dict[str, list[tuple]]:
    """Every row each streamed tab must hold, made from the result here (not by the writer)."""
    fs = [(f.severity.value, f.code, _shown(f.message), _shown(f.product), _shown(f.lot),
           _shown(f.location), _d(f.date), _n(f.quantity), _n(f.value), _shown(f.suggestion),
           _shown(f.source.where), _shown(Path(f.source.file).name), _shown(f.source.sheet),
           f.source.row, _shown(f.source.column), _shown(f.source.cell), f.id)
          for f in result.findings]
    lots = [(_shown(l.product), _shown(l.lot), _shown(l.location), _d(l.expiration), _shown(l.unit),
             _n(l.unit_cost), _n(l.received), _n(l.used), _n(l.used_inferred), _n(l.wasted),
             _n(l.expired_out), _n(l.returned), _n(l.adjusted), _n(l.transferred_in),
             _n(l.transferred_out), _n(l.count_variance), _n(l.derived_remaining),
             _n(l.recorded_remaining), _n(l.variance), l.status, _n(ch.lot_value(l)),
             _shown(l.source.where) if l.source else None)
            for l in result.lots]
    use = [(_shown(u.product), _shown(u.location), _shown(u.lot), _d(u.expiration),
            (u.expiration - result.as_of).days if u.expiration else None, _n(u.on_hand), _shown(u.unit))
           for u in result.fefo_next]
    visits = [(_shown(v.visit), _d(v.date), _shown(v.patient), _shown(v.provider), _shown(v.location),
               _n(v.quantity), _n(v.cogs), _n(v.estimated or None), _n(v.revenue), _n(v.margin),
               "yes" if v.inferred else None)
              for v in result.cogs.by_visit]
    return {"Findings": fs, "Lots": lots, "Use next": use, "COGS by visit": visits}


def read_streamed(wb, name: str) -> list[tuple]:
    """A streamed tab's data rows, its continuation tabs included, as values."""
    parts = [n for n in wb.sheetnames if n == name or re.fullmatch(re.escape(name) + r" \(\d+\)", n)]
    rows = []
    for p in parts:
        ws = wb[p]
        width = ws.max_column
        for r in ws.iter_rows(min_row=2, max_col=width, values_only=True):
            rows.append(tuple(r))
    return rows


def test_streamed_tabs_hold_every_row_of_the_result_cell_for_cell(report, result):
    wb = load(report)
    for name, rows in expected_streamed(result).items():
        got = read_streamed(wb, name)
        assert len(got) == len(rows), name
        for g, e in zip(got, rows):
            assert g[:len(e)] == e, name


def test_rows_cut_into_blocks_and_tabs_lose_none_and_keep_their_order(result, tmp_path, monkeypatch):
    """Blocks of 4 rows in tabs of 5: block ends, tab ends and a last tab filled exactly to
    its end (15 visits) all fall inside the table."""
    monkeypatch.setattr(report_xlsx, "MAX_ROWS", 6)
    monkeypatch.setattr(report_xlsx, "_BLOCK", 4)
    for n in (15, 13):
        big = synthetic(result, n)
        wb = load(write_report_xlsx(big, tmp_path / f"out{n}"))
        parts = [p for p in wb.sheetnames if p.startswith("COGS by visit")]
        assert len(parts) == 3
        assert read_streamed(wb, "COGS by visit") == expected_streamed(big)["COGS by visit"]
        assert [wb[p].max_row for p in parts] == [6, 6, 6 if n == 15 else 4]


_TRICKY = ["=1+1", "+1", "-Dr. B", "@SUM(A1)", "\tx", "\rx", "\nx", "x\n", " x", "x ", "a\nb",
           "\uff1dx", "\u00a0x", "x\u00a0", "<r><t>a</t></r>", "a & <b>", "_x0041_", "a\x1db",
           "\ufffe", "", None, "x" * (report_xlsx.MAX_TEXT + 5), "plain text", "Wright, Emma E."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from(_TRICKY), st.text(max_size=12)), min_size=1, max_size=8))
def test_a_block_of_text_renders_as_each_cell_would_alone(values):
    """The whole-block shortcut for plain text gives the same XML as rendering each value
    with `safe_text` and `_str_cell` (apostrophe, escapes, xml:space, length)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(io.BytesIO(), report_xlsx.WORKBOOK_OPTIONS)
    fm = report_xlsx._Formats(wb)
    style = fm.xf(fm.text)
    rows = [str(k) for k in range(2, 2 + len(values))]
    got = report_xlsx._column_fn("text", fm, "C")(rows, values)
    want = ["" if v is None or v == "" else report_xlsx._str_cell("C" + r, style, safe_text(v))
            for r, v in zip(rows, values)]
    assert got == want


def test_the_demo_practices_streamed_tabs_hold_its_result_cell_for_cell(tmp_path):
    """The demo practice (every planted problem, links to its own files): every cell of
    Findings, Lots, Use next and COGS by visit is the result's value."""
    from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice

    paths = write_demo_practice(tmp_path / "practice")
    demo = reconcile_files(paths, as_of=DEMO_AS_OF)
    assert len(demo.findings) > 20 and len(demo.cogs.by_visit) > 100
    wb = load(write_report_xlsx(demo, tmp_path / "out"))
    for name, rows in expected_streamed(demo).items():
        got = read_streamed(wb, name)
        assert [g[:len(e)] for g, e in zip(got, rows)] == rows and len(got) == len(rows), name
    links = [c for row in wb["Findings"].iter_rows(min_row=2, min_col=11, max_col=11) for c in row]
    assert links and all(c.hyperlink is not None for c in links)
