"""Recall (issue 6): `trace_lot`, `trace_patient`, the recall list and `lotsync trace`, on real
workbooks reconciled through `lotsync.pipeline.run` with the ledger's movements kept."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import found, lot_of, run_files, write_book
from lotsync.cli.audit import trace as trace_cmd
from lotsync.tables.values import lot_key
from lotsync.audit.trace import (TraceError, dumps, recall_rows, to_json, trace_lot, trace_patient,
                           write_recall)

AS_OF = date(2026, 6, 30)
RECV = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost", "Location"]
TREAT = ["Date", "Patient", "Provider", "Product", "Lot", "Units", "Location", "Phone", "Email"]
ADJ = ["Date", "Product", "Lot", "Qty", "Type", "Location", "To Location"]


def result_of(paths, as_of=AS_OF, **kw):
    return run_files(paths, as_of=as_of, keep_movements=True, **kw)[0]


@pytest.fixture
def practice(tmp_path):
    """Two sites. Lot C3709C3 (Botox, 100 u at $6, the earliest to expire at Main) is used
    on recorded rows, on an inferred row (no lot written: FEFO picks it), transferred to
    West (20 u, 10 used there), wasted (5 u) and returned (3 u)."""
    return write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [RECV,
                      ["Botox", "C3709C3", date(2026, 9, 30), date(2026, 3, 1), 100, 6, "Main"],
                      ["Botox", "LATE22", date(2027, 3, 31), date(2026, 3, 1), 100, 6.5, "Main"],
                      ["Botox", "WEST77", date(2027, 6, 30), date(2026, 3, 1), 50, 6.2, "West"]],
        "Treatments": [TREAT,
                       [date(2026, 3, 4), "Ava Thompson", "Amy", "Botox", "C3709C3", 20, "Main", "555-0101", "ava@example.com"],
                       [date(2026, 3, 5), "Ben Ortiz", "Amy", "Botox", "N/A", 12, "Main", "555-0102", None],
                       [date(2026, 3, 20), "Cara Singh", "Dee", "Botox", "C3709C3", 10, "West", None, "cara@example.com"],
                       [date(2026, 4, 2), "ava  thompson", "Dee", "Botox", "C3709C3", 8, "Main", "555-0199", None],
                       [date(2026, 4, 3), "Dan Wu", "Amy", "Botox", "LATE22", 30, "Main", None, None]],
        "Adjustments": [ADJ,
                        [date(2026, 3, 10), "Botox", "C3709C3", 20, "transfer", "Main", "West"],
                        [date(2026, 3, 11), "Botox", "C3709C3", 5, "waste", "Main", None],
                        [date(2026, 4, 10), "Botox", "C3709C3", 3, "return", "Main", None]],
    })


def test_every_unit_of_the_lot_is_accounted_for(practice):
    r = result_of([practice])
    t = trace_lot(r, "C3709C3")
    assert t.found and t.lot == "C3709C3" and t.products == ("Botox",)
    tot = t.totals()
    # received 100 = used 20 + 12 (inferred) + 10 (at West) + 8 + wasted 5 + returned 3 + on hand
    assert tot["received"] == 100
    assert tot["used"] == 50 and tot["used_recorded"] == 38 and tot["used_inferred"] == 12
    assert (tot["wasted"], tot["returned"], tot["transferred_out"], tot["transferred_in"]) == (5, 3, 20, 20)
    on_hand = {o.location: o.quantity for o in t.on_hand}
    assert on_hand == {"Main": 100 - 20 - 12 - 8 - 20 - 5 - 3, "West": 20 - 10}
    assert tot["used"] + tot["wasted"] + tot["returned"] + tot["on_hand"] == tot["received"]
    assert tot["unaccounted"] == 0
    # the trace agrees with the ledger's own lots
    assert on_hand["Main"] == lot_of(r, "C3709C3", "Main").derived_remaining
    assert on_hand["West"] == lot_of(r, "C3709C3", "West").derived_remaining
    # where the rest went
    [tr] = t.transfers
    assert (tr.location, tr.other_location, tr.quantity, tr.date) == ("Main", "West", 20, date(2026, 3, 10))
    assert [m.quantity for m in t.waste] == [5] and [m.quantity for m in t.returns] == [3]
    assert t.expired == () and t.adjustments == ()


def test_uses_recorded_first_then_inferred_with_their_source_cells(practice):
    t = trace_lot(result_of([practice]), "C3709C3")
    got = [(u.date, u.patient, u.provider, u.location, u.quantity, u.inferred) for u in t.uses]
    assert got == [
        (date(2026, 3, 4), "Ava Thompson", "Amy", "Main", 20, False),
        (date(2026, 3, 20), "Cara Singh", "Dee", "West", 10, False),
        (date(2026, 4, 2), "ava thompson", "Dee", "Main", 8, False),
        (date(2026, 3, 5), "Ben Ortiz", "Amy", "Main", 12, True),  # N/A on the row: FEFO inferred it
    ]
    s = t.uses[3].source
    assert (Path(s.file).name, s.sheet, s.row, s.cell) == ("clinic.xlsx", "Treatments", 3, "E3")
    j = to_json(t)
    assert set(j) >= {"lot", "product", "uses", "waste", "transfers", "returns", "expired", "on_hand"}
    assert j["uses"][0] == {"date": "2026-03-04", "patient": "Ava Thompson", "provider": "Amy",
                            "location": "Main", "quantity": Decimal(20), "inferred": False,
                            "source": {"file": s.file, "sheet": "Treatments", "row": 2,
                                       "column": "Lot", "cell": "E2"},
                            "product": "Botox", "duplicate": False}
    assert j["transfers"][0]["from"] == "Main" and j["transfers"][0]["to"] == "West"
    assert {(o["location"], o["quantity"]) for o in j["on_hand"]} == {("Main", 32), ("West", 10)}
    assert json.loads(dumps(j))["uses"][3]["inferred"] is True


def test_a_lot_spelled_five_ways_is_one_lot(tmp_path):
    spellings = ["C3709C3", "c3709-c3", "Lot: C3709C3", "LOT# C3709C3", "lot c3709c3"]
    assert {lot_key(s) for s in spellings} == {"C3709C3"}
    path = write_book(tmp_path / "spelled.xlsx", {
        "Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6, None]],
        "Treatments": [TREAT] + [[date(2026, 3, i + 2), f"P{i}", "Amy", "Botox", s, 10, None, None, None]
                                 for i, s in enumerate(spellings[1:] + spellings[:1])],
    })
    r = result_of([path])
    assert not found(r, "UNKNOWN_LOT") and len(r.lots) == 1
    for s in spellings:  # whichever spelling the recall letter uses
        t = trace_lot(r, s)
        assert t.found and t.lot == "C3709C3"
        assert [u.patient for u in t.uses] == ["P0", "P1", "P2", "P3", "P4"]
        assert not any(u.inferred for u in t.uses) and t.totals()["used"] == 50


def test_overlapping_exports_are_duplicate_entries_listed_once_in_the_recall(tmp_path):
    folder = tmp_path / "history"
    write_book(folder / "Inventory.xlsx", {
        "Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 1, 2), 200, 6, None]]})
    jan = [[date(2026, 1, 5), "Ava Thompson", "Amy", "Botox", "C3709C3", 20, None, None, None],
           [date(2026, 1, 9), "Ben Ortiz", "Amy", "Botox", "C3709C3", 10, None, None, None]]
    feb = [[date(2026, 2, 3), "Ava Thompson", "Amy", "Botox", "C3709C3", 24, None, None, None]]
    write_book(folder / "visits" / "export-jan.xlsx", {"Treatments": [TREAT] + jan})
    write_book(folder / "visits" / "export-jan-feb.xlsx", {"Treatments": [TREAT] + jan + feb})  # overlaps
    r = result_of([str(folder)])  # a folder of exports: expanded recursively
    dups = found(r, "DUPLICATE_ENTRY")
    # files in path order: export-jan-feb.xlsx is read first, so export-jan.xlsx repeats it
    assert [(Path(f.source.file).name, f.source.row) for f in dups] == [("export-jan.xlsx", 2), ("export-jan.xlsx", 3)]
    # SPEC §3: a duplicate still takes from its lot (the ledger counts what the sheets say) ...
    assert lot_of(r, "C3709C3").used == 20 + 10 + 20 + 10 + 24
    t = trace_lot(r, "C3709C3")
    assert sum(u.duplicate for u in t.uses) == 2 and t.totals()["unaccounted"] == 0
    # ... but the recall list counts each treatment once and says how many rows repeated it
    headers, rows = recall_rows(t)
    by_patient = {row[0]: dict(zip(headers, row)) for row in rows}
    assert set(by_patient) == {"Ava Thompson", "Ben Ortiz"}
    ava = by_patient["Ava Thompson"]
    assert (ava["Uses"], ava["Quantity"], ava["Duplicate rows (not counted)"]) == (2, 44, 1)
    assert ava["Dates"] == "2026-01-05; 2026-02-03"
    assert (by_patient["Ben Ortiz"]["Uses"], by_patient["Ben Ortiz"]["Quantity"]) == (1, 10)


def test_a_lot_never_received_says_so_and_lists_near_matches(practice, tmp_path):
    path = write_book(tmp_path / "typo.xlsx", {
        "Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6, None],
                      ["Botox", "C3709C8", date(2026, 11, 30), date(2026, 3, 1), 100, 6, None],
                      ["Xeomin", "X100", date(2026, 11, 30), date(2026, 3, 1), 100, 6, None]],
        "Treatments": [TREAT, [date(2026, 3, 4), "Eve Park", "Amy", "Botox", "C3709C5", 10, None, None, None]]})
    r = result_of([path])
    t = trace_lot(r, "c3709c5")
    assert not t.found and t.uses == () and t.near == ("C3709C3", "C3709C8")
    # the visit row that wrote this lot is listed: its patient is on the recall list
    [a] = t.also_recorded
    assert (a.patient, a.code, a.booked_to, a.source.cell) == ("Eve Park", "UNKNOWN_LOT", ("C3709C8",), "E2")
    assert to_json(t)["found"] is False and to_json(t)["near"] == ["C3709C3", "C3709C8"]
    assert trace_lot(r, "ZZZ-999").near == ()
    with pytest.raises(TraceError):
        trace_lot(r, "N/A")


def test_a_patients_lots_with_expiry_on_the_day_of_use(tmp_path):
    path = write_book(tmp_path / "patient.xlsx", {
        "Receiving": [RECV, ["Botox", "OLD1", date(2026, 3, 31), date(2026, 1, 2), 100, 6, None],
                      ["Juvederm", "JV9", date(2027, 1, 31), date(2026, 1, 2), 10, 300, None]],
        "Treatments": [TREAT, [date(2026, 3, 31), "Ava Thompson", "Amy", "Botox", "OLD1", 20, None, None, None],
                       [date(2026, 4, 2), "AVA THOMPSON", "Amy", "Botox", "OLD1", 10, None, None, None],
                       [date(2026, 4, 2), "Ava Thompson", "Amy", "Juvederm", None, 1, None, None, None],
                       [date(2026, 4, 3), "Ben Ortiz", "Amy", "Juvederm", "JV9", 1, None, None, None]]})
    r = result_of([path])
    t = trace_patient(r, "ava   thompson")
    assert t.found and t.patient == "Ava Thompson"
    got = [(u.date, u.product, u.lot, u.quantity, u.expiration, u.expired_on_day_of_use, u.inferred)
           for u in t.uses]
    assert got == [(date(2026, 3, 31), "Botox", "OLD1", 20, date(2026, 3, 31), False, False),  # the day itself is fine
                   (date(2026, 4, 2), "Botox", "OLD1", 10, date(2026, 3, 31), True, False),
                   (date(2026, 4, 2), "Juvederm", "JV9", 1, date(2027, 1, 31), False, True)]
    j = to_json(t)
    assert [x["expired_on_day_of_use"] for x in j["lots"]] == [False, True, False]
    missing = trace_patient(r, "Ava Thomson")
    assert not missing.found and missing.near == ("Ava Thompson",)
    out = write_recall(t, tmp_path / "ava.csv")
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(x["Lot"], x["Expired on day of use"]) for x in rows] == [("OLD1", "no"), ("OLD1", "yes"), ("JV9", "no")]


def test_recall_list_csv_and_xlsx_one_row_per_patient_with_contacts(practice, tmp_path):
    t = trace_lot(result_of([practice]), "C3709C3")
    csv_path = write_recall(t, tmp_path / "out" / "recall.csv")
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_patient = {r["Patient"]: r for r in rows}
    assert list(by_patient) == ["Ava Thompson", "Ben Ortiz", "Cara Singh"]  # by first use
    ava = by_patient["Ava Thompson"]
    assert (ava["Phone"], ava["Email"]) == ("555-0199", "ava@example.com")  # latest row that has one
    assert (ava["Uses"], ava["Quantity"], ava["Dates"]) == ("2", "28", "2026-03-04; 2026-04-02")
    assert by_patient["Ben Ortiz"]["Lot on the visit row"].startswith("inferred")
    assert by_patient["Cara Singh"]["Location"] == "West"
    xlsx_path = write_recall(t, tmp_path / "out" / "recall.xlsx")
    import openpyxl
    ws = openpyxl.load_workbook(xlsx_path).active
    header = [c.value for c in ws[3]]
    assert header[:3] == ["Patient", "Phone", "Email"]
    assert [ws.cell(row=i, column=1).value for i in (4, 5, 6)] == ["Ava Thompson", "Ben Ortiz", "Cara Singh"]
    assert ws.cell(row=4, column=header.index("Quantity") + 1).value == 28
    assert ws.cell(row=4, column=header.index("First use") + 1).is_date
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["recall.csv", "recall.xlsx"]  # no temp files
    with pytest.raises(TraceError):
        write_recall(t, tmp_path / "recall.txt")


def test_recall_list_is_formula_safe(tmp_path):
    path = write_book(tmp_path / "evil.xlsx", {
        "Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6, None]],
        "Treatments": [TREAT, [date(2026, 3, 4), '=HYPERLINK("http://x.example","click")', "Amy", "Botox",
                               "C3709C3", 10, None, "+1 555 0100", "@evil"]]})
    t = trace_lot(result_of([path]), "C3709C3")
    write_recall(t, tmp_path / "r.xlsx")
    write_recall(t, tmp_path / "r.csv")
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    assert "<f>" not in xml and "'=HYPERLINK" in xml and "'+1 555 0100" in xml and "'@evil" in xml
    text = (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and "'+1 555 0100" in text and "'@evil" in text


def test_transfers_and_as_of_in_the_past(practice):
    r = result_of([practice], as_of=date(2026, 3, 15))
    t = trace_lot(r, "C3709C3")
    assert [u.date for u in t.uses] == [date(2026, 3, 4), date(2026, 3, 5)]  # later rows not applied
    assert t.returns == () and t.totals()["unaccounted"] == 0
    assert {o.location: o.quantity for o in t.on_hand} == {"Main": 100 - 20 - 12 - 20 - 5, "West": 20}


# --- the command ----------------------------------------------------------------------


def invoke(*args, env=None):
    return CliRunner().invoke(trace_cmd, [str(a) for a in args], env=env or {"LOTSYNC_MASK_KEY": ""})


def test_trace_command_lists_patients_and_writes_the_recall(practice, tmp_path):
    out = tmp_path / "recall.xlsx"
    res = invoke("Lot# c3709c3", practice, "--as-of", "2026-06-30", "--out", out)
    assert res.exit_code == 0, res.output
    for name in ("Ava Thompson", "Ben Ortiz", "Cara Singh", "C3709C3", "inferred", "Main → West"):
        assert name in res.output
    assert out.exists()
    res = invoke("C3709C3", practice, "--as-of", "2026-06-30", "--json")
    assert res.exit_code == 0
    j = json.loads(res.output)
    assert j["lot"] == "C3709C3" and len(j["uses"]) == 4 and j["totals"]["unaccounted"] == 0
    res = invoke("--patient", "AVA THOMPSON", practice, "--as-of", "2026-06-30")
    assert res.exit_code == 0 and "C3709C3" in res.output and "Ava Thompson" in res.output


def test_trace_command_exit_status_and_one_line_errors(practice, tmp_path):
    res = invoke("C3709C4", practice, "--as-of", "2026-06-30")
    assert res.exit_code == 1 and "never received" in res.output and "C3709C3" in res.output
    res = invoke("C3709C3", tmp_path / "missing.xlsx")
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1
    res = invoke("C3709C3")
    assert res.exit_code == 2 and "SOURCES" in res.output
    res = invoke("C3709C3", practice, "--out", tmp_path / "x.pdf")
    assert res.exit_code == 2 and ".xlsx or .csv" in res.output
    res = invoke("C3709C3", practice, "--mask-patients")
    assert res.exit_code == 2 and "LOTSYNC_MASK_KEY" in res.output
    assert len(res.output.strip().splitlines()) == 1
    help_text = CliRunner().invoke(trace_cmd, ["--help"]).output
    assert "Example" in help_text and "--patient" in help_text


def test_trace_command_masked_names_no_patient(practice, tmp_path):
    env = {"LOTSYNC_MASK_KEY": "correct horse battery staple 42"}
    out = tmp_path / "recall.csv"
    res = invoke("C3709C3", practice, "--as-of", "2026-06-30", "--mask-patients", "--out", out, env=env)
    assert res.exit_code == 0, res.output
    text = res.output + out.read_text(encoding="utf-8-sig")
    for secret in ("Ava", "Thompson", "Ortiz", "Singh", "555-01", "example.com"):
        assert secret.lower() not in text.lower()
    assert "P-" in res.output
    # a real name typed with --mask-patients finds the pseudonym's lots
    res = invoke("--patient", "Ava Thompson", practice, "--as-of", "2026-06-30", "--mask-patients", "--json", env=env)
    assert res.exit_code == 0 and "Thompson" not in res.output
    assert len(json.loads(res.output)["lots"]) == 2


@pytest.mark.skipif("trace" not in __import__("lotsync.cli").cli.cli.commands,
                    reason="lotsync trace is not registered in lotsync.cli yet")
def test_trace_through_a_subprocess(practice):
    env = {k: v for k, v in os.environ.items() if k not in ("LOTSYNC_DEBUG", "LOTSYNC_MASK_KEY")}
    env["PYTHONIOENCODING"] = "utf-8"
    p = subprocess.run([sys.executable, "-m", "lotsync", "trace", "C3709C3", practice, "--as-of",
                        "2026-06-30", "--json"], capture_output=True, text=True, encoding="utf-8",
                       env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)["uses"]) == 4
    p = subprocess.run([sys.executable, "-m", "lotsync", "trace", "C3709C3", practice, "--mask-patients"],
                       capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "Traceback" not in p.stderr


# --- the demo practice ------------------------------------------------------------------


def test_demo_lot_used_at_both_locations_lists_every_patient(tmp_path):
    import openpyxl

    from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
    files = [str(p) for p in write_demo_practice(tmp_path / "practice")]
    r = result_of(files, as_of=DEMO_AS_OF)
    both = sorted({m.lot_key for m in r.movements if m.kind == "used"
                   if len({x.location for x in r.movements if x.kind == "used" and x.lot_key == m.lot_key}) > 1})
    assert both
    key = both[0]
    t = trace_lot(r, key)
    assert {u.location for u in t.uses} >= {"Main St", "Westside"} and t.totals()["unaccounted"] == 0
    # every visit row of the workbook that wrote this lot is on the trace, by patient
    wb = openpyxl.load_workbook(next(f for f in files if "Treatments" in f), read_only=True)
    written = set()
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        header = [str(h) for h in next(rows)]
        pi, li = header.index("Patient"), header.index("Lot #")
        for row in rows:
            if row[li] is not None and lot_key(str(row[li])) == key and row[pi]:
                written.add(" ".join(str(row[pi]).split()).casefold())
    traced = {u.patient.casefold() for u in t.uses if u.patient}
    assert written and written <= traced
    res = invoke(key, *files, "--as-of", DEMO_AS_OF.isoformat())
    assert res.exit_code == 0
    flat = " ".join(res.output.split())
    assert "Westside" in flat and "Main St" in flat
