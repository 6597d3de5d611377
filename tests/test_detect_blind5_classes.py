"""Issue 9, the fifth blind set's classes of misses (detect6), on spellings written for the
rules, not taken from the set (docs/RULES.md, "Detection, the fifth blind set's classes"):

- Brazilian public-health exports (DATASUS, e-SUS) prefix each snake_case column with what it
  holds: `no_` nome, `dt_` data, `nu_` numero, `sg_` sigla, `ds_` descricao, `co_` codigo; a
  birth date is the patient's, never the visit's; `no_` stays a count in English (`no_doses`);
- German movement-log words: `Vorgang` the type, `Zeitpunkt` the date, `Ersteller` and
  `Durchgeführt von` the staff, `Von` the location, `Nach` the destination, `Notizen` the
  reason, `Lieferschein` (a delivery note) no reason;
- a row's created/verified/checked timestamp is the date only where no column names one;
- a count export's opening, inbound, outbound, snapshot and balance quantities and its tag
  tallies are not what was counted; a system location is not where the count found it;
- a product's brand or colour is its attribute; a treatment's assessment or instructions are
  notes; attendees are people, no quantity; a booking is an appointment;
- on a receiving log `Company Name` is the supplier and `PRate` the unit cost; a package's
  size (`vialSizeInUnits`) is the units per package; a PO line's reference is no invoice.
"""

from __future__ import annotations

from datetime import date

import pytest

from helpers import columns_by_field, detect_rows, reconcile_files, write_book
from lotsync.model import Kind
from lotsync.tables.detect import read_column
from test_detection_styles import COUNTS, RECEIPTS, VISITS, WASTE, _book, ledger

I, V, A, C, P = Kind.INVENTORY, Kind.VISITS, Kind.ADJUSTMENTS, Kind.COUNTS, Kind.PRODUCTS

CASES = [
    # DATASUS / e-SUS prefixes
    ("no_paciente", V, "patient"), ("no_vacina", V, "product"), ("no_medico", V, "provider"),
    ("dt_vacinacao", V, "date"), ("dt_nascimento", V, None), ("no_lote", V, "lot"),
    ("no_unidade_saude", V, "location"), ("no_dose_vacina", V, None), ("sg_dose", V, None),
    ("no_doses", V, "quantity"), ("no_of_units", V, "quantity"), ("no_vials_received", I, "quantity"),
    # German movement and stock-log words
    ("Vorgang", A, "type"), ("Zeitpunkt", A, "date"), ("Ersteller", A, "staff"),
    ("Durchgeführt von", A, "staff"), ("Von", A, "location"), ("Nach", A, "to_location"),
    ("Notizen", A, "reason"), ("Lieferschein", A, None), ("Danach", A, None),
    # count exports
    ("openingQty", C, None), ("inbound_qty", C, None), ("Outbound Qty", C, None),
    ("Snapshot Quantity", C, None), ("balance_qty", C, None), ("Transaction Qty", C, None),
    ("Count of Tags", C, None), ("System Location", C, None), ("Ship Date", C, None),
    ("Counted Qty", C, "counted"), ("physicalQty", C, "counted"), ("Scan Quantity", C, "counted"),
    ("balance_qty", I, "remaining"),
    # a product's attributes, notes, people, bookings
    ("itemBrand", V, None), ("product_colour", V, None), ("Brand", I, "product"), ("Brand Name", C, "product"),
    ("pre_procedure_assessment", V, None), ("aftercare_instructions", V, None),
    ("Attendees", V, None), ("Participants Count", V, None), ("Booking Number", V, "visit_id"),
    ("consent_given_by", V, None), ("given_by", V, "provider"),
    # receiving words
    ("Company Name", I, "supplier"), ("Company Name", V, None), ("PRate", I, "unit_cost"),
    ("boxSizeInUnits", P, "units_per_package"), ("Vial Size", P, "units_per_package"),
    ("Tipo de Embalagem", P, "package_unit"), ("ancienne_quantite", I, None),
    ("cantidad_reservada", I, None), ("poLineItemRef", I, None), ("PO Number", I, "invoice"),
    ("transaction_time", V, "date"),
]


@pytest.mark.parametrize("header,kind,field", CASES, ids=[f"{k.value}:{h}" for h, k, _ in CASES])
def test_the_fifth_blind_sets_classes_are_read_as_a_person_reads_them(header, kind, field):
    g = read_column(header, kind, count_table=True)
    assert (g.field if g else None) == field


_detect = detect_rows
_columns = columns_by_field

D = [date(2026, 3, d) for d in (2, 3, 4)]


def test_a_datasus_vaccination_export_reads_the_citizen_as_the_patient_and_never_the_birth_date():
    rows = [["no_cidadao", "dt_nascimento", "no_imunobiologico", "no_lote", "dt_aplicacao", "qt_doses",
             "no_profissional", "no_unidade_saude", "no_dose_imunobiologico"]] + [
        [f"Cidadão {i}", date(1990 + i, 1, 1), "COVID-19 Pfizer", "FP8290", D[i], 1, "Enf. Souza", "UBS Centro",
         "D1"] for i in range(3)]
    det = _detect(rows)
    assert det.kind is V
    assert _columns(det) == {"patient": "no_cidadao", "product": "no_imunobiologico", "lot": "no_lote",
                             "date": "dt_aplicacao", "quantity": "qt_doses", "provider": "no_profissional",
                             "location": "no_unidade_saude"}


def test_a_german_movement_log_reads_its_type_date_places_staff_and_notes():
    rows = [["Zeitpunkt", "Artikel", "Charge", "Menge", "Vorgang", "Von", "Nach", "Ersteller", "Notizen",
             "Lieferschein"]] + [
        [D[i], "Botox 100U", "C3709C3", 5, "transfer", "Praxis Mitte", "Praxis Nord", "JS", "Umlagerung",
         f"LS-{i}"] for i in range(3)]
    det = _detect(rows)
    assert det.kind is A
    assert _columns(det) == {"date": "Zeitpunkt", "product": "Artikel", "lot": "Charge", "quantity": "Menge",
                             "type": "Vorgang", "location": "Von", "to_location": "Nach", "staff": "Ersteller",
                             "reason": "Notizen"}


def _adjustment_record(extra: list[str], values: list) -> list[list]:
    head = ["productName", "batchNumber", "quantityChange", "adjustmentType"] + extra
    return [head] + [["Botox 100U", "C3709C3", -2, "wasted"] + values for _ in range(3)]


def test_a_record_with_only_a_created_timestamp_is_dated_by_it_as_a_weak_guess():
    det = _detect(_adjustment_record(["updatedAt", "createdAt"], [D[2], D[0]]))
    assert det.kind is A
    assert det.columns["date"].header == "createdAt"  # never the edit's time
    assert det.readings["date"].weak


def test_a_timestamp_is_not_the_date_where_a_column_names_the_date():
    det = _detect(_adjustment_record(["createdAt", "Adjustment Date"], [D[2], D[0]]))
    assert det.columns["date"].header == "Adjustment Date"
    assert "createdAt" in det.unused


def test_a_timestamp_column_holding_no_dates_dates_nothing():
    det = _detect(_adjustment_record(["createdAt"], ["JS"]))
    assert det.kind is not A and "date" not in det.columns  # initials are no date: no waste log


def test_a_count_export_reads_the_counted_column_not_its_opening_moves_or_snapshot():
    rows = [["productName", "batchNumber", "startingQty", "inboundQty", "outboundQty", "Snapshot Qty",
             "physicalQty", "balanceQty", "System Bin", "Bin", "verifiedAt"]] + [
        ["Botox 100U", "C3709C3", 150, 10, 12, 148, 145, 148, "A-1", "A-2", D[2]] for _ in range(3)]
    det = _detect(rows, sheet="Stock count")
    assert det.kind is C
    assert _columns(det) == {"product": "productName", "lot": "batchNumber", "counted": "physicalQty",
                             "location": "Bin", "date": "verifiedAt"}


def test_a_treatment_table_reads_the_product_not_its_brand_colour_or_notes_and_a_booking_as_the_visit():
    rows = [["Booking ID", "Treatment Date", "productBrand", "productName", "productColor", "Units",
             "pre_treatment_assessment", "post_treatment_instructions", "Cc Attendees"]] + [
        [f"B-{i}", D[i], "Allergan", "Botox 100U", "clear", 20, "ok", "no exercise", "front desk"]
        for i in range(3)]
    det = _detect(rows)
    assert det.kind is V
    assert _columns(det) == {"visit_id": "Booking ID", "date": "Treatment Date", "product": "productName",
                             "quantity": "Units"}


def test_a_pharmacy_purchase_import_reads_the_company_as_supplier_and_prate_as_unit_cost():
    rows = [["Date", "Company Name", "Item", "Batch", "Expiry", "Qty", "PRate", "NetAmt"]] + [
        [D[i], "Medline", "Botox 100U", "C3709C3", date(2026, 12, 31), 10, 6.12, 61.2] for i in range(3)]
    det = _detect(rows)
    assert det.kind is I
    assert _columns(det) == {"received_date": "Date", "supplier": "Company Name", "product": "Item",
                             "lot": "Batch", "expiration": "Expiry", "quantity": "Qty", "unit_cost": "PRate",
                             "total_cost": "NetAmt"}


def test_a_dea_style_log_dated_by_transaction_time_takes_a_bare_units_of_words_as_the_unit():
    base = [["transaction_time", "prescriber", "drug_name", "units"]]
    words = _detect(base + [[D[i], "Dr Lee", "Botox 100U", "U"] for i in range(3)])
    assert words.kind is not V and words.columns.get("unit").header == "units"  # no quantity: no visit log
    numbers = _detect(base + [[D[i], "Dr Lee", "Botox 100U", 20] for i in range(3)])
    assert numbers.kind is V
    assert _columns(numbers) == {"date": "transaction_time", "provider": "prescriber", "product": "drug_name",
                                 "quantity": "units"}


#: The same clinic's workbook (tests/test_detection_styles.py) with headers in the fifth blind
#: set's styles: a DATASUS-prefixed visit export, a German movement log, a count record dated
#: only by its check's timestamp beside opening, moved and snapshot quantities.
STYLE = (["Item Name", "Batch", "Expiry", "Date Received", "Qty Received", "PRate", "Balance"],
         ["dt_aplicacao", "no_cidadao", "no_profissional", "no_imunobiologico", "no_lote", "qt_doses",
          "dt_nascimento", "no_dose_imunobiologico"],
         ["Zeitpunkt", "Artikel", "Charge", "Menge", "Vorgang", "Notizen", "Ersteller", "Lieferschein"],
         ["lastChecked", "productName", "batchNumber", "physicalQty", "startingQty", "inboundQty", "Snapshot Qty"])
EXTRA = {"dt_nascimento": date(1990, 5, 1), "no_dose_imunobiologico": "D1", "Ersteller": "JS",
         "Lieferschein": "LS-1", "startingQty": 150, "inboundQty": 10, "Snapshot Qty": 148}


def test_a_workbook_in_the_fifth_blind_sets_styles_reconciles_like_its_plain_twin(tmp_path):
    def rows(headers, data):
        n = len(data[0])
        return [headers] + [list(d) + [EXTRA[h] for h in headers[n:]] for d in data]
    rec, vis, waste, count = STYLE
    styled = write_book(tmp_path / "styled.xlsx", {
        "Receiving": rows(rec, RECEIPTS), "Treatments": rows(vis, VISITS),
        "Waste": rows(waste, WASTE), "Count": rows(count, COUNTS)})
    plain = reconcile_files([_book(tmp_path, "plain")])
    result = reconcile_files([styled])
    assert ledger(result) == ledger(plain)


def test_a_german_log_dated_only_by_its_erfassung_reads_it_as_the_date_as_a_weak_guess():
    rows = [["Vorgang", "Artikel", "Charge", "Menge", "Ersteller", "Erfassung", "Kommentar"]] + [
        ["Verwurf", "Botox 100U", "C3709C3", 2, "JS", D[i], "Spritze heruntergefallen"] for i in range(3)]
    det = _detect(rows)
    assert det.kind is A
    assert det.columns["date"].header == "Erfassung" and det.readings["date"].weak
    assert det.columns["staff"].header == "Ersteller"
