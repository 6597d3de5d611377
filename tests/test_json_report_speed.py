"""report.json's fast element encoder writes exactly what simplejson writes (SPEC §4:
deterministic, exact decimals as JSON numbers), so speeding it up changed no byte."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from lotsync.writers.json_report import _ENCODER, _encode

flat = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.text()
        | st.decimals(allow_nan=False, allow_infinity=False)
        | st.dates() | st.datetimes() | st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(flat, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=12), values, max_size=12))
def test_fast_encoder_writes_what_simplejson_writes_for_any_dict(d):
    assert _encode(d) == _ENCODER.encode(d)


def test_fast_encoder_keeps_exact_decimals_as_json_numbers_and_escapes_text():
    d = {"cogs": Decimal("0.1000"), "value": Decimal("1E+2"), "q": Decimal("-0"),
         "patient": 'Ann "A" \\ \n\u2028 Ünal', "date": dt.date(2026, 1, 31), "none": None,
         "inferred": True, "rows": 3}
    text = _encode(d)
    assert text == _ENCODER.encode(d)
    assert '"cogs": 0.1000' in text and '"value": 1E+2' in text
    back = json.loads(text, parse_float=Decimal)
    assert back["patient"] == d["patient"] and back["date"] == "2026-01-31"
    assert back["cogs"] == Decimal("0.1000")


texts = st.none() | st.text(max_size=10)
decimals = st.decimals(allow_nan=False, allow_infinity=False)


@settings(max_examples=300)
@given(st.tuples(st.text(max_size=10), st.dates(), texts, texts, st.text(max_size=6), decimals,
                 st.none() | decimals, st.none() | decimals, st.booleans(), decimals, decimals))
def test_a_by_visit_line_written_from_the_record_equals_its_dict_encoded(fields):
    from lotsync.reconcile.result import VisitCogs
    from lotsync.writers.json_report import _visit, _visit_json
    v = VisitCogs(*fields)
    assert _visit_json(v) == _ENCODER.encode(_visit(v))


def test_the_report_dict_others_keep_serialises_with_the_standard_json_module(tmp_path):
    """Callers keep report_dict() and json.dumps it (the journal's tests, the history):
    only the writer's own dict is lazy."""
    from helpers import reconcile_files, write_book
    from lotsync.writers.json_report import LazyRows, render_json, report_dict
    path = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Product", "Lot", "Qty", "Unit Cost"], ["Botox", "C1", 100, 5]],
        "Treatments": [["Date", "Patient", "Product", "Lot #", "Units"],
                       [dt.date(2026, 1, 5), "P1", "Botox", "C1", 20]]})
    result = reconcile_files([path])
    d = report_dict(result)
    assert isinstance(d["cogs"]["by_visit"], list)
    back = json.loads(json.dumps(d, default=str))
    assert back["cogs"]["by_visit"][0]["cogs"] == "100"
    assert isinstance(report_dict(result, lazy=True)["cogs"]["by_visit"], LazyRows)
    assert json.loads(render_json(result))["cogs"]["by_visit"][0]["cogs"] == 100
