"""The starter workbook (`lotsync.templates`): the committed file is what build.py makes,
lotsync reads every tab without a mapping, a filled-in copy reconciles clean, and
`lotsync init` never overwrites a file."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

from lotsync.model import Kind
from lotsync.pipeline import run
from lotsync.readers import read_path
from lotsync.reconcile import Options
from lotsync.tables.detect import detect_table
from lotsync.tables.mapping import Mapping
from lotsync.templates import INIT_NAME, build_starter, init_workbook, starter_path
from lotsync.templates.build import load_definition

DEFINITION = load_definition()  # templates/starter.toml
TABS = DEFINITION.tabs
ADJUSTMENT_TYPES = DEFINITION.workbook.adjustment_types

DATA_TABS = {"Products": Kind.PRODUCTS, "Inventory": Kind.INVENTORY, "Visits": Kind.VISITS,
             "Adjustments": Kind.ADJUSTMENTS, "Counts": Kind.COUNTS}


def describe(path: Path) -> dict:
    """What must not drift: tab names, every cell's value and number format, validations,
    defined names, frozen panes and widths (not bytes: zip timestamps differ)."""
    wb = openpyxl.load_workbook(path)
    out = {"sheets": wb.sheetnames,
           "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items())}
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": sorted((c.coordinate, repr(c.value), c.number_format, bool(c.font.b))
                            for row in ws.iter_rows() for c in row if c.value is not None),
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2, dv.operator,
                                   dv.errorStyle, dv.showErrorMessage, dv.allowBlank,
                                   dv.showInputMessage, dv.promptTitle, dv.prompt, dv.error)
                                  for dv in ws.data_validations.dataValidation),
            "freeze": ws.freeze_panes,
            "widths": sorted((k, d.width, d.number_format) for k, d in ws.column_dimensions.items()),
            "filter": ws.auto_filter.ref,
        }
    return out


def test_committed_starter_is_what_build_makes(tmp_path):
    committed = starter_path()
    assert committed.is_file(), "run: python -m lotsync.templates.build"
    fresh = build_starter(tmp_path / "starter.xlsx")
    assert describe(committed) == describe(fresh), \
        "starter.xlsx drifted from templates/starter.toml: run python -m lotsync.templates.build"


def test_every_data_tab_is_read_without_a_mapping():
    sheets = {s.sheet: s for s in read_path(starter_path())}
    assert list(sheets) == ["Instructions", *DATA_TABS]
    for name, kind in DATA_TABS.items():
        det = detect_table(sheets[name], Mapping())
        assert (det.kind, det.header_row, det.unused) == (kind, 1, ()), name
        assert [c.header for c in sorted(det.columns.values(), key=lambda c: c.index)] == \
            [c.header for c in TABS[name]]
    assert detect_table(sheets["Instructions"], Mapping()).kind is None


def test_validations_dropdowns_dates_and_quantities():
    wb = openpyxl.load_workbook(starter_path())
    assert wb.defined_names["ProductList"].attr_text.startswith("Products!$A$2:$A$")
    for name in DATA_TABS:
        ws = wb[name]
        assert ws.freeze_panes == "A2"
        headers = [c.value for c in ws[1]]
        by_col = {}
        for dv in ws.data_validations.dataValidation:
            letter = str(dv.sqref).split(":")[0].rstrip("0123456789")
            by_col[headers[openpyxl.utils.column_index_from_string(letter) - 1]] = dv
        for h, dv in by_col.items():
            assert str(dv.sqref).endswith("2001") and str(dv.sqref).split(":")[0][-1] == "2"
        if name != "Products":
            assert (by_col["Product"].type, by_col["Product"].formula1) == ("list", "ProductList")
            assert by_col["Date"  if name != "Inventory" else "Date Received"].type == "date"
            assert ws.column_dimensions["A"].number_format == "yyyy-mm-dd"
        qty = {"Inventory": "Quantity", "Visits": "Quantity", "Products": "Units per Package"}.get(name)
        if qty:
            assert (by_col[qty].type, by_col[qty].operator, by_col[qty].formula1) == ("decimal", "greaterThan", "0")
    adj = {dv.type: dv for dv in wb["Adjustments"].data_validations.dataValidation
           if dv.formula1 and dv.formula1.startswith('"waste')}
    assert adj["list"].formula1 == '"' + ",".join(ADJUSTMENT_TYPES) + '"'
    assert [r[0] for r in wb["Products"].iter_rows(min_row=2, values_only=True)] == ["Botox", "Juvederm Ultra XC"]


def test_a_filled_in_starter_reconciles_clean(tmp_path):
    path = tmp_path / "filled.xlsx"
    shutil.copyfile(starter_path(), path)
    wb = openpyxl.load_workbook(path)
    d = dt.date
    wb["Products"].append(["Kybella", "deoxycholic acid", "Injectable", "mL", "vial", 2])
    for row in (
        [d(2026, 1, 5), "Botox", "C3709C3", d(2026, 12, 31), 2, "vial", 612, 1.4, "Main", "Allergan", "INV-1"],
        [d(2026, 1, 5), "Juvederm Ultra XC", "JUV-88", d(2027, 3, 31), 10, "syringe", 300, 8, "Main", "Allergan", "INV-1"],
        [d(2026, 1, 9), "Kybella", "KY9", d(2027, 1, 31), 2, "vial", 600, 2, "Main", "Kythera", "INV-2"],
        [d(2026, 1, 9), "Botox", "C3800B1", d(2027, 2, 28), 1, "vial", 612, 0.9, "North", "Allergan", "INV-3"],
    ):
        wb["Inventory"].append(row)
    for row in (
        [d(2026, 2, 1), "V1", "P-001", "Amy", "Botox", "C3709C3", 20, "units", "Main", 280],
        [d(2026, 2, 1), "V1", "P-001", "Amy", "Juvederm Ultra XC", "JUV-88", 1, "syringe", "Main", 650],
        [d(2026, 2, 8), "V2", "P-002", "Bo", "Botox", "C3709C3", 36, "units", "Main", 504],
        [d(2026, 2, 9), "V3", "P-003", "Cy", "Botox", "C3800B1", 10, "units", "North", 140],
    ):
        wb["Visits"].append(row)
    for row in (
        [d(2026, 2, 10), "Botox", "C3709C3", 4, "units", "waste", "dropped vial", "Main", None, "Amy"],
        [d(2026, 2, 11), "Juvederm Ultra XC", "JUV-88", 1, "syringe", "transfer", "to North", "Main", "North", "Amy"],
    ):
        wb["Adjustments"].append(row)
    wb["Counts"].append([d(2026, 3, 1), "Juvederm Ultra XC", "JUV-88", 8, "syringe", "Main"])
    wb.save(path)

    result, loaded = run([str(path)], Options(as_of=d(2026, 6, 30)))  # no mapping
    kinds = {t.sheet: t.kind for t in loaded.inputs}
    assert kinds == {"Instructions": "ignored", **{n: k.value for n, k in DATA_TABS.items()}}
    assert all(t.unused == () for t in loaded.inputs)
    ignored = [t.sheet for t in loaded.inputs if t.kind == "ignored"]
    assert ignored == ["Instructions"]  # the instructions are prose, not a table
    assert all(t.rows_skipped == 0 for t in loaded.inputs if t.kind != "ignored")
    assert {t.sheet: t.rows_read for t in loaded.inputs if t.kind != "ignored"} == \
        {"Products": 3, "Inventory": 4, "Visits": 4, "Adjustments": 2, "Counts": 1}
    assert [f.code for f in result.findings] == []
    lots = {(l.lot, l.location): l.derived_remaining for l in result.lots}
    assert lots == {("C3709C3", "Main"): 140, ("C3800B1", "North"): 90, ("JUV-88", "Main"): 8,
                    ("JUV-88", "North"): 1, ("KY9", "Main"): 4}  # units of use: 2 vials of 2 mL


def test_init_copies_the_starter_and_never_overwrites(tmp_path):
    dest = tmp_path / "clinic"
    made = init_workbook(dest)
    assert made == dest / INIT_NAME
    assert made.read_bytes() == starter_path().read_bytes()
    assert [p.name for p in dest.iterdir()] == [INIT_NAME]  # no temporary file left
    made.write_bytes(b"the clinic's own data")
    with pytest.raises(FileExistsError) as e:
        init_workbook(dest)
    assert "\n" not in str(e.value) and INIT_NAME in str(e.value) and "overwrite" in str(e.value)
    assert made.read_bytes() == b"the clinic's own data"
    assert sorted(p.name for p in dest.iterdir()) == [INIT_NAME]


# --- the definition is data a person edits ----------------------------------------------


def test_editing_the_definition_changes_the_built_workbook(tmp_path):
    """A prompt, a width, a unit and a sample row changed in starter.toml show in the build."""
    from lotsync.templates import template_dir

    text = (template_dir() / "starter.toml").read_text(encoding="utf-8")
    assert 'note = "The lot (batch) number printed on the box."' in text
    text = (text.replace('note = "The lot (batch) number printed on the box."',
                         'note = "Copy the lot from the carton."')
            .replace('"each", "box"]', '"each", "box", "kit"]')
            .replace('["Juvederm Ultra XC", "Juvederm Ultra", "Filler", "syringe", "", ""],',
                     '["Juvederm Ultra XC", "Juvederm Ultra", "Filler", "syringe", "", ""],\n'
                     '    ["Sculptra", "", "Biostimulator", "vial", "", ""],'))
    edited = tmp_path / "starter.toml"
    edited.write_text(text, encoding="utf-8")
    wb = openpyxl.load_workbook(build_starter(tmp_path / "mine.xlsx", load_definition(edited)))
    prompts = {dv.promptTitle: dv.prompt for dv in wb["Inventory"].data_validations.dataValidation}
    assert prompts["Lot"] == "Copy the lot from the carton."
    units = [dv for dv in wb["Visits"].data_validations.dataValidation if dv.promptTitle == "Unit"][0]
    assert units.formula1.endswith(',box,kit"') and units.error.endswith("each, box and kit.")
    assert [r for r in wb["Products"].iter_rows(min_row=4, values_only=True)] == \
        [("Sculptra", None, "Biostimulator", "vial", None, None)]


@pytest.mark.parametrize("change, where", [
    (('kind = "date"', 'kind = "dat"'), "kind"),
    (("data_rows = 2000", "data_rows = 2000\nrows = 5"), "rows"),
    (('name = "Products"', 'name = "Catalog"'), "Products"),
], ids=["unknown kind", "unknown key", "no Products tab"])
def test_a_mistyped_definition_is_refused_by_name(tmp_path, change, where):
    """A typo must fail the build, not silently drop a column's validation."""
    from pydantic import ValidationError

    from lotsync.templates import template_dir

    text = (template_dir() / "starter.toml").read_text(encoding="utf-8")
    assert change[0] in text
    bad = tmp_path / "starter.toml"
    bad.write_text(text.replace(change[0], change[1], 1), encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        load_definition(bad)
    assert where in str(e.value)
