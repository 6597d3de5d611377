"""Review of detect10 (docs/RULES.md, "Review of detect10 (review7a)"): clinics' own
wordings that detect10's plan-date vetoes read worse, on sheets written here as a med spa
writes them, read through detection (values confirm or veto) and through a reconcile."""

from __future__ import annotations

import datetime as dt

from lotsync.model import Kind

from helpers import columns_by_field, detect_rows, lot_of, reconcile_files, write_book

D1, D2, D3 = dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 3, 16)
EXP = dt.date(2026, 12, 31)


def test_a_treatment_log_dated_only_by_its_scheduled_date_stays_a_treatment_log():
    for header in ("Scheduled Date", "Scheduled", "Appt Scheduled", "Fecha Programada"):
        det = detect_rows([[header, "Patient", "Provider", "Product", "Lot", "Units", "Price"],
                           [D1, "A. Lee", "Dr Kim", "Botox", "C3709C3", 20, 300],
                           [D2, "B. Ray", "Dr Kim", "Botox", "C3709C3", 10, 150],
                           [D3, "C. Day", "Dr Kim", "Botox", "C3709C3", 30, 450]])
        assert det.kind is Kind.VISITS, header
        assert columns_by_field(det)["date"] == header


def test_a_drugs_schedule_is_its_class_never_the_visits_date():
    det = detect_rows([["Schedule", "Patient", "Provider", "Product", "Lot", "Units"],
                       ["H", "A. Lee", "Dr Kim", "Botox", "C3709C3", 20]])
    assert det is None or "date" not in columns_by_field(det) or columns_by_field(det)["date"] != "Schedule"


def test_beside_the_appointment_date_a_scheduled_date_still_names_nothing():
    det = detect_rows([["Scheduled Date", "Appt Date", "Patient", "Provider", "Product", "Lot", "Units"],
                       [D1, D2, "A. Lee", "Dr Kim", "Botox", "C3709C3", 20],
                       [D2, D3, "B. Ray", "Dr Kim", "Botox", "C3709C3", 10]])
    assert det.kind is Kind.VISITS
    assert columns_by_field(det)["date"] == "Appt Date"


def test_treatments_dated_by_their_scheduled_date_draw_down_the_lot(tmp_path):
    book = write_book(tmp_path / "Inventory.xlsx", {
        "Receiving Log": [["Date Received", "Product", "Lot #", "Exp Date", "Qty", "Unit Cost"],
                          [D1, "Botox", "C3709C3", EXP, 100, 420]],
        "Treatment Log": [["Scheduled Date", "Patient", "Provider", "Product", "Lot", "Units", "Price"],
                          [D2, "A. Lee", "Dr Kim", "Botox", "C3709C3", 20, 300],
                          [D3, "B. Ray", "Dr Kim", "Botox", "C3709C3", 10, 150]]})
    lot = lot_of(reconcile_files([book]), "C3709C3")
    assert lot.received == 100  # the treatments are not received as stock
    assert lot.used == 30


def test_a_receiving_log_dated_only_by_when_the_delivery_was_recorded_dates_its_receipts():
    det = detect_rows([["Delivery Recorded Date", "Product", "Lot #", "Exp Date", "Qty", "Unit Cost"],
                       [D1, "Botox", "C3709C3", EXP, 100, 420],
                       [D2, "Dysport", "D1", EXP, 300, 150]])
    assert det.kind is Kind.INVENTORY
    assert columns_by_field(det)["received_date"] == "Delivery Recorded Date"


def test_beside_the_date_received_a_recorded_date_names_nothing():
    det = detect_rows([["Date Received", "Delivery Recorded Date", "Product", "Lot #", "Exp Date", "Qty"],
                       [D1, D2, "Botox", "C3709C3", EXP, 100],
                       [D2, D3, "Dysport", "D1", EXP, 300]])
    assert columns_by_field(det)["received_date"] == "Date Received"


def test_an_expected_delivery_never_dates_a_receipt_even_alone():
    det = detect_rows([["Expected Delivery", "Product", "Lot #", "Exp Date", "Qty", "Unit Cost"],
                       [D1, "Botox", "C3709C3", EXP, 100, 420],
                       [D2, "Dysport", "D1", EXP, 300, 150]])
    assert "received_date" not in columns_by_field(det)


def test_a_column_named_invoice_number_is_the_invoice_beside_a_delivery_note():
    for note in ("DN #", "Delivery Note #", "Delivery Note No"):
        for invoice in ("Invoice #", "Invoice Number", "Invoice No."):
            det = detect_rows([["Date Received", "Product", "Lot #", "Exp Date", "Qty", "Unit Cost", invoice, "PO #", note],
                               [D1, "Botox", "C3709C3", EXP, 100, 420, "INV-77", "PO-3", "DN-5"]])
            assert columns_by_field(det)["invoice"] == invoice, (invoice, note)


def test_a_delivery_note_is_the_invoice_where_no_column_names_the_invoice():
    det = detect_rows([["Date Received", "Product", "Lot #", "Exp Date", "Qty", "DN #"],
                       [D1, "Botox", "C3709C3", EXP, 100, "DN-5"]])
    assert columns_by_field(det)["invoice"] == "DN #"


def test_who_gave_the_treatment_is_the_provider_beside_who_sold_it():
    for who in ("Injector", "Nurse", "Practitioner", "Clinician", "Therapist", "Staff", "Provider"):
        det = detect_rows([["Date", "Patient", who, "Sold By", "Product", "Lot", "Units", "Price"],
                           [D1, "A. Lee", "RN Jen", "Sara", "Botox", "C3709C3", 20, 300],
                           [D2, "B. Ray", "RN Jen", "Sara", "Botox", "C3709C3", 10, 150]])
        assert columns_by_field(det)["provider"] == who, who


def test_who_sold_the_treatment_is_the_provider_where_no_column_names_who_gave_it():
    det = detect_rows([["Date", "Patient", "Sold By", "Product", "Lot", "Units", "Price"],
                       [D1, "A. Lee", "Sara", "Botox", "C3709C3", 20, 300]])
    assert columns_by_field(det)["provider"] == "Sold By"
