"""Issue 9, the fourth blind set's classes, on spellings written for these rules (not taken from
any corpus): a person's attribute is not the person, a primary-care physician is not who
treated, export name parts, trade cost words, days, and a bare Total on a visit log."""

from __future__ import annotations

import pytest

from lotsync.model import Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import detect_table, read_column
from lotsync.tables.mapping import Mapping

V, I, P = Kind.VISITS, Kind.INVENTORY, Kind.PRODUCTS

CASES = [
    # a person's attribute names the attribute, never the person
    ("Patient Phone", V, None), ("Client Postcode", V, None), ("Patient Date of Birth", V, None),
    ("Patient Gender", V, None), ("Provider Email Address", V, None),
    # only a person's name or id is the person
    ("Patient Surname", V, "patient"), ("Patient ID", V, "patient"), ("Provider NPI", V, "provider"),
    ("Patient Forename", V, "patient"),
    # a primary-care physician is not the provider who treated; a provider's name is not the patient
    ("Primary Care Physician", V, None), ("PCP Name", V, None),
    ("Injector Last Name", V, "provider"), ("Nurse Surname", V, "provider"),
    ("Performing Clinician Surname", V, "provider"),
    # which dose, when recorded, where on the body, what procedure: none is a field read
    ("Dose Sequence", V, None), ("Dose Series", V, None), ("Date Recorded", V, None),
    ("Body Site of Vaccination", V, None), ("Procedure Name", V, None), ("Treatment Notes", V, None),
    # trade cost words
    ("PTR", I, "unit_cost"), ("Rate", I, "unit_cost"), ("Unit Price", V, "price"),
    ("Retail Price", V, None), ("MSRP", V, None), ("Capacity (mL)", P, "units_per_package"),
    # days are no date and no stock
    ("Shelf Life (days)", I, None), ("Dias de validade", I, None), ("Days on Hand", I, None),
    # a bare Total is money on a visit log as on a receiving log; Total Units stays a count
    ("Total", V, "price"), ("Total", I, "total_cost"), ("Total Units", V, "quantity"),
]


@pytest.mark.parametrize("header,kind,field", CASES, ids=[f"{k.value}:{h}" for h, k, _ in CASES])
def test_a_header_names_the_field_a_careful_bookkeeper_would_read(header, kind, field):
    g = read_column(header, kind, count_table=True)
    assert (g.field if g else None) == field


def test_a_visit_log_with_the_patients_attributes_reads_only_the_name_as_the_patient():
    sheet = RawSheet(file="visits.xlsx", sheet="Visits", rows=[
        ["Patient Zip", "Patient Weight", "Date", "Patient", "Product", "Lot", "Units", "PCP Physician",
         "Injector"],
        ["90210", "61", "2026-02-03", "A. Client", "Botox", "C3709C3", 20, "Dr. Far", "Amy"]])
    det = detect_table(sheet, Mapping())
    assert det.kind is Kind.VISITS
    assert det.columns["patient"].header == "Patient"
    assert det.columns["provider"].header == "Injector"
    assert {"Patient Zip", "Patient Weight", "PCP Physician"} <= set(det.unused)
