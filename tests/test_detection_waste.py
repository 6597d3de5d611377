"""SPEC §1 "the table's kind from everything it holds", for waste reports (issue 9, blind4):
a vaccine wastage export is a waste log, never a visit log. Booked as visits its wasted doses
would become treatment COGS; booked as receipts they would become stock that never came in."""

from __future__ import annotations

from datetime import date

import pytest

from helpers import lot_of, reconcile_files, write_book
from lotsync.cli import main
from lotsync.writers.json_report import report_dict

EXP = date(2027, 6, 30)
RECEIVING = [["Product", "Lot", "Qty", "Expiration", "Date Received", "Unit Cost"],
             ["Comirnaty", "EW0150", 60, EXP, date(2026, 1, 5), 20],
             ["Spikevax", "MD0042", 50, EXP, date(2026, 1, 5), 25]]


def inputs(result) -> dict:
    return {(i["file"].rsplit("/", 1)[-1], i["sheet"]): i for i in report_dict(result)["inputs"]}


def wastage_rows(with_lot: bool, with_type: bool) -> list[list]:
    """A CDC-style wastage export: capitals, snake_case, an awardee, a total of doses."""
    header = ["AWARDEE", "WASTAGE_SUBMITTED_DATE", "NDC_DESCRIPTION"]
    header += ["LOT_NUMBER"] if with_lot else []
    header += ["TotalDoses"] + (["WASTAGE_TYPE"] if with_type else [])
    rows = [header]
    for day, product, lot, doses in [(3, "Comirnaty", "EW0150", 6), (4, "Spikevax", "MD0042", 10),
                                     (9, "Comirnaty", "EW0150", 12)]:
        row = ["Clinic 12", date(2026, 2, day), product] + ([lot] if with_lot else []) + [doses]
        rows.append(row + (["wasted"] if with_type else []))
    return rows


def test_a_vaccine_wastage_export_without_lots_is_never_read_as_a_visit_log(tmp_path):
    rec = write_book(tmp_path / "receiving.xlsx", {"Receiving": RECEIVING})
    waste = write_book(tmp_path / "COVID-19 Vaccine Wastage Data 2026.xlsx",
                       {"Data": wastage_rows(with_lot=False, with_type=True)})
    r = reconcile_files([rec, waste])
    got = inputs(r)[("COVID-19 Vaccine Wastage Data 2026.xlsx", "Data")]
    assert got["kind"] == "ignored"
    assert "waste report" in got["note"] and "no lot column" in got["note"]
    assert lot_of(r, "EW0150").used == 0 and lot_of(r, "MD0042").used == 0
    assert r.totals.cogs == 0


def test_a_wastage_export_with_lot_and_type_is_read_as_a_waste_log(tmp_path):
    rec = write_book(tmp_path / "receiving.xlsx", {"Receiving": RECEIVING})
    waste = write_book(tmp_path / "COVID-19 Vaccine Wastage Data 2026.xlsx",
                       {"Data": wastage_rows(with_lot=True, with_type=True)})
    r = reconcile_files([rec, waste])
    assert inputs(r)[("COVID-19 Vaccine Wastage Data 2026.xlsx", "Data")]["kind"] == "adjustments"
    assert lot_of(r, "EW0150").wasted == 18 and lot_of(r, "EW0150").used == 0
    assert lot_of(r, "MD0042").wasted == 10 and lot_of(r, "MD0042").used == 0
    assert r.totals.cogs == 0 and r.totals.waste_value == 18 * 20 + 10 * 25


def test_a_waste_dated_header_makes_a_waste_report_whatever_the_file_is_called(tmp_path):
    # tab and file name say nothing; WASTAGE_SUBMITTED_DATE says every row is a wasting
    rec = write_book(tmp_path / "receiving.xlsx", {"Receiving": RECEIVING})
    export = write_book(tmp_path / "export.xlsx", {"Sheet1": wastage_rows(with_lot=True, with_type=False)})
    r = reconcile_files([rec, export])
    got = inputs(r)[("export.xlsx", "Sheet1")]
    assert got["kind"] == "ignored"  # not visits, not receipts: a waste log lacking its type
    assert "waste report" in got["note"] and "no type column" in got["note"]
    assert lot_of(r, "EW0150").received == 60 and lot_of(r, "EW0150").used == 0


def test_check_says_why_a_wastage_export_is_not_a_visits_table(tmp_path, capsys):
    waste = write_book(tmp_path / "COVID-19 Vaccine Wastage Data 2026.xlsx",
                       {"Data": wastage_rows(with_lot=False, with_type=True)})
    with pytest.raises(SystemExit):
        main(["check", waste])
    out = capsys.readouterr().out
    assert "visits table" not in out
    assert "waste report" in out


def test_a_visit_log_with_a_wasted_column_beside_its_used_column_stays_a_visit_log(tmp_path):
    rec = write_book(tmp_path / "receiving.xlsx", {"Receiving": RECEIVING})
    visits = write_book(tmp_path / "clinic log incl. waste.xlsx", {"Treatments": [
        ["Date", "Patient", "Product", "Lot", "Units Used", "Units Wasted"],
        [date(2026, 2, 3), "A. Client", "Comirnaty", "EW0150", 1, 0],
        [date(2026, 2, 4), "B. Client", "Spikevax", "MD0042", 1, 1]]})
    r = reconcile_files([rec, visits])
    assert inputs(r)[("clinic log incl. waste.xlsx", "Treatments")]["kind"] == "visits"
    assert lot_of(r, "EW0150").used == 1 and lot_of(r, "MD0042").used == 1


def test_a_receiving_log_in_a_workbook_named_for_inventory_and_waste_is_still_the_receipts(tmp_path):
    # names only break ties (SPEC §1): the file's name may not veto what the headers say
    rec = write_book(tmp_path / "Botox Inventory and Waste Log.xlsx", {"Sheet1": RECEIVING})
    r = reconcile_files([rec])
    assert inputs(r)[("Botox Inventory and Waste Log.xlsx", "Sheet1")]["kind"] == "inventory"
    assert lot_of(r, "EW0150").received == 60


def test_a_vaccination_location_is_the_clinic_and_a_vaccination_site_the_body(tmp_path):
    rec = write_book(tmp_path / "receiving.xlsx", {"Receiving": RECEIVING})
    visits = write_book(tmp_path / "shots.xlsx", {"Given": [
        ["Date", "Patient", "Product", "Lot", "Doses", "Vaccination Location", "Vaccination Site"],
        [date(2026, 2, 3), "P-1", "Comirnaty", "EW0150", 1, "Main St", "Left deltoid"]]})
    r = reconcile_files([rec, visits])
    got = inputs(r)[("shots.xlsx", "Given")]
    assert got["columns"].get("location") == "Vaccination Location"
    assert "Vaccination Site" in got["unused"]


def test_a_treatment_tab_named_for_usage_and_waste_is_still_the_visit_log(tmp_path):
    # review: the tab's name made it a waste report, and the run exited 0 with no usage booked
    rec = write_book(tmp_path / "receiving.xlsx", {"Receiving": RECEIVING})
    visits = write_book(tmp_path / "treatments.xlsx", {"Botox Usage & Waste": [
        ["Date", "Patient", "Provider", "Product", "Lot", "Units Used", "Units Wasted"],
        [date(2026, 2, 3), "P-1", "Dr. Lee", "Comirnaty", "EW0150", 2, 1]]})
    r = reconcile_files([rec, visits])
    assert inputs(r)[("treatments.xlsx", "Botox Usage & Waste")]["kind"] == "visits"
    assert lot_of(r, "EW0150").used == 2


def test_a_receiving_log_with_a_date_discarded_column_is_still_the_receipts(tmp_path):
    rows = [RECEIVING[0] + ["Date Opened", "Date Discarded"]] + [r + [None, None] for r in RECEIVING[1:]]
    rec = write_book(tmp_path / "vials.xlsx", {"Vials": rows})
    r = reconcile_files([rec])
    assert inputs(r)[("vials.xlsx", "Vials")]["kind"] == "inventory"
    assert lot_of(r, "MD0042").received == 50


def test_an_injection_site_column_leaves_the_clinics_site_as_the_location(tmp_path):
    rec = write_book(tmp_path / "receiving.xlsx", {"Receiving": RECEIVING})
    visits = write_book(tmp_path / "log.xlsx", {"Visits": [
        ["Date", "Site", "Patient Name", "Provider", "Product", "Lot", "Units", "Injection Site"],
        [date(2026, 2, 3), "Westside", "P-1", "Dr. Lee", "Comirnaty", "EW0150", 1, "Glabella"]]})
    got = inputs(reconcile_files([rec, visits]))[("log.xlsx", "Visits")]
    assert got["columns"].get("location") == "Site"
