"""The write stage's fast paths write exactly what the general ones write: report.json's
element and column encoders what simplejson writes (SPEC §4: deterministic, exact decimals
as JSON numbers), findings.csv's columns what one guarded row per finding writes; so
speeding them up changed no byte."""

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


# --- the batch (column-at-a-time) writer against the general encoder --------------------

def _general_layout(value, indent: int = 0, expand: int = 2) -> str:
    """report.json's layout (SPEC §4) written with nothing but the general encoder: objects
    expanded one key a line down to depth 2, lists one element a line, each element
    `simplejson` with `use_decimal`. The batch writer must give these bytes."""
    pad = "  " * (indent + 1)
    if isinstance(value, dict) and expand > 0 and value:
        lines = [f"{pad}{_ENCODER.encode(str(k))}: {_general_layout(v, indent + 1, expand - 1)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(lines) + "\n" + "  " * indent + "}"
    if isinstance(value, (list, tuple)) and value:
        return ("[\n" + ",\n".join(pad + _ENCODER.encode(v) for v in value)
                + "\n" + "  " * indent + "]")
    return _ENCODER.encode(value)


def _result_with_every_field_type(tmp_path):
    """A reconciled practice whose report holds every kind of value report.json writes:
    non-ASCII text, None (no provider, no charge, no expiration), Decimals with exponents
    and trailing zeros, masked patients and visits, lots without a source, and sources
    of Google Sheets (a title) beside files (none)."""
    from dataclasses import replace

    from helpers import reconcile_files, write_book
    from lotsync.audit.mask import mask_result
    from lotsync.model import Source
    path = write_book(tmp_path / "Clínica Ñandú.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Remaining"],
                      ["Botox® 100U", "C1", dt.date(2026, 12, 31), 100, 5.25, 10],
                      ["Juvéderm Ultra", "JU-9", None, 4, 310, None],
                      ["Botox® 100U", "C2", dt.date(2027, 1, 31), 100, None, 100]],
        "Treatments": [["Date", "Patient", "Provider", "Product", "Lot #", "Units", "Charge"],
                       [dt.date(2026, 1, 5), "Zoë Ångström", "Dr. Łukasz", "Botox® 100U", "C1", 20, 240],
                       [dt.date(2026, 1, 6), "María \"Mia\" O'Neil", None, "Juvéderm Ultra", "JU-9", 1, None],
                       [dt.date(2026, 1, 6), "=cmd|' /C calc'!A0", "NP 😀", "Botox® 100U", "", 12.5, 150],
                       [dt.date(2026, 1, 7), "Ann\nLee", "Dr. Łukasz", "Botox® 100U", "C9", 3, 36]]})
    result = mask_result(reconcile_files([path]), b"k" * 32)
    # equal values, different digits: each must keep its own (a cache keyed by value would not)
    exponents = (Decimal("1E+2"), Decimal("100"), Decimal("0.10"), Decimal("0.1"),
                 Decimal("-0"), Decimal("0E-3"))
    by_visit = tuple(replace(v, cogs=exponents[i % 6], estimated=exponents[(i + 4) % 6],
                             quantity=exponents[(i + 2) % 6], margin=None if i % 2 else v.margin)
                     for i, v in enumerate(result.cogs.by_visit))
    titled = Source("1AbCdEf", "Treatments", 3, "Lot #", "E3", title="Glow Spa — Inventory ✓")
    findings = tuple(replace(f, source=titled) if i % 2 else f
                     for i, f in enumerate(result.findings))
    lots = tuple(replace(l, source=None) if i == 0 else l for i, l in enumerate(result.lots))
    return replace(result, cogs=replace(result.cogs, by_visit=by_visit), findings=findings,
                   lots=lots)


def test_report_json_written_in_batches_is_byte_identical_to_the_general_encoder(tmp_path):
    from lotsync.writers.json_report import report_dict, write_report_json
    result = _result_with_every_field_type(tmp_path)
    assert len(result.cogs.by_visit) >= 3 and len(result.findings) >= 2
    assert any(v.provider is None for v in result.cogs.by_visit)
    assert any(f.source.title for f in result.findings) and result.lots[0].source is None
    expected = (_general_layout(report_dict(result)) + "\n").encode("utf-8")
    # from the Result (by_visit straight from the records) and from the CLI's plain dict
    assert write_report_json(result, tmp_path / "a").read_bytes() == expected
    assert write_report_json(report_dict(result), tmp_path / "b").read_bytes() == expected
    text = expected.decode("utf-8")
    cogs = [json.loads(line.rstrip(","), parse_float=str, parse_int=str)["cogs"]
            for line in text.splitlines() if line.lstrip().startswith('{"visit": ')]
    assert cogs == ["1E+2", "100", "0.10", "0.1", "-0", "0E-3"][:len(cogs)] and len(cogs) >= 3
    assert "Zoë" not in text and "Ångström" not in text  # masked
    assert "Glow Spa — Inventory ✓" in text and "Botox® 100U" in text


def test_report_json_batches_of_every_size_give_the_same_bytes(tmp_path, monkeypatch):
    """A list longer than a batch is cut into batches; the cut changes no byte."""
    from lotsync.writers import json_report
    result = _result_with_every_field_type(tmp_path)
    whole = json_report.write_report_json(result, tmp_path / "whole").read_bytes()
    monkeypatch.setattr(json_report, "_BATCH", 1)
    assert json_report.write_report_json(result, tmp_path / "one").read_bytes() == whole
    monkeypatch.setattr(json_report, "_BATCH", 2)
    assert json_report.write_report_json(result, tmp_path / "two").read_bytes() == whole


_column_kinds = [st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=6),
                 decimals, st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("1E+0"),  # equal, not alike
                                            Decimal("-0"), Decimal("0"), Decimal("0E-3")]),
                 st.sampled_from([Decimal("1"), True, 1, 1.0, Decimal("0"), False, 0]),
                 st.dates(), st.datetimes(), st.floats(allow_nan=False, allow_infinity=False),
                 st.lists(st.integers(), max_size=2),
                 st.fixed_dictionaries({"file": st.text(max_size=4), "row": st.integers()}),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)]


@st.composite
def _records(draw):
    """Dicts of the same keys whose columns hold one kind of value, that kind or None,
    or any mixture: each path of the column encoder."""
    keys = draw(st.lists(st.text(max_size=6), min_size=1, max_size=5, unique=True))
    columns = []
    for _ in keys:
        kind = draw(st.sampled_from(_column_kinds))
        shape = draw(st.sampled_from(["one", "or_none", "any"]))
        each = {"one": kind, "or_none": kind | st.none(), "any": values}[shape]
        columns.append(each)
    n = draw(st.integers(1, 6))
    rows = [dict(zip(keys, (draw(c) for c in columns))) for _ in range(n)]
    if draw(st.booleans()):  # now and then one record out of step (other keys or order)
        rows.append(dict(reversed(list(rows[0].items()))) | {"extra": 1})
    return rows


@settings(max_examples=400)
@given(_records())
def test_column_encoder_writes_what_simplejson_writes_element_by_element(rows):
    from lotsync.writers.json_report import _encode_all
    assert _encode_all(rows, {}) == [_ENCODER.encode(r) for r in rows]


def test_findings_csv_written_by_columns_equals_one_guarded_row_per_finding(tmp_path):
    """The column-at-a-time findings.csv gives the bytes of the plain writer: every sheet
    text through the formula-injection guard, dates ISO, quantities as plain digits."""
    import csv
    import io
    from dataclasses import replace

    from lotsync.writers.findings_csv import COLUMNS, write_findings_csv
    from lotsync.writers.json_report import _num_text
    from lotsync.writers.safe import safe_text
    result = _result_with_every_field_type(tmp_path)
    hostile = ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\uff1dcmd", "<r>x</r>", "Zoë")
    findings = tuple(replace(f, product=hostile[i % len(hostile)], lot=hostile[(i + 1) % len(hostile)],
                             quantity=Decimal("1.50") if i % 2 else Decimal("2E+1"))
                     for i, f in enumerate(result.findings))
    result = replace(result, findings=findings * 700)  # more than one batch
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(COLUMNS)
    for f in result.findings:
        s = f.source
        w.writerow([safe_text(x) for x in (f.id, f.severity.value, f.code, f.message, f.product,
                                           f.lot, f.location)]
                   + [f.date.isoformat() if f.date else "",
                      _num_text(f.quantity) if f.quantity is not None else "",
                      _num_text(f.value) if f.value is not None else ""]
                   + [safe_text(x) for x in (f.suggestion, s.file, s.sheet)]
                   + [s.row, safe_text(s.column), s.cell])
    written = write_findings_csv(result, tmp_path).read_bytes()
    assert written == buf.getvalue().encode("utf-8-sig")
    text = written.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",'+1," in text and ",20," in text and ",1.5," in text


def test_by_visit_written_from_the_records_equals_it_written_from_their_dicts(tmp_path):
    """A LazyRows that names its fields is written from the records' attributes; one that
    does not, from its dicts; a plain list, element by element: one text."""
    from lotsync.writers.json_report import LazyRows, _VISIT_FIELDS, _visit, _write_value
    visits = _result_with_every_field_type(tmp_path).cogs.by_visit * 300

    def text(value) -> str:
        out: list[str] = []
        _write_value({"by_visit": value}, out.append, 0, 1)
        return "".join(out)

    expected = _general_layout({"by_visit": [_visit(v) for v in visits]}, 0, 1)
    assert text(LazyRows(visits, _visit, _VISIT_FIELDS)) == expected
    assert text(LazyRows(visits, _visit)) == expected
    assert text([_visit(v) for v in visits]) == expected
