"""Issue 9, the sixth blind set's classes of misses (detect8), on spellings written for the
rules, not taken from the set (docs/RULES.md, "Detection, the sixth blind set's classes"):

- a record's event time written as a participle and `At` (`receivedAt`, `dispensed_at`) is
  that event's date; an edit's time (`modifiedAt`) dates nothing; inbound and imported dates
  and a bare moment are a receiving log's receipt date; time zones in brackets name nothing;
- a person's age, race/colour, address, municipality, tax number are attributes, never the
  person; Portuguese `eh` ("is"), an undetermined field, a query and a rating are no field;
- a reference (`<noun>Id`, `id_<noun>`) points at a record: never an amount, date or type;
- an export's one-token id or number is the product, location or lot of a table that has no
  column naming it, as a weak guess (a name column beats its id);
- German and Spanish short forms (`Benennung`, `ArtGr`, `LieferscheinNr`); a delivery's
  number is its delivery note's; a count's user, group and catch weight are not what was
  counted; a vaccine's schedule or venue, a contraindication, an outreach session are not fields.
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
    # event timestamps
    ("receivedAt", I, "received_date"), ("dispensed_at", V, "date"), ("injectedAt", V, "date"),
    ("countedAt", C, "date"), ("wastedAt", A, "date"), ("modifiedAt", A, None), ("deleted_at", V, None),
    ("approvedAt", A, None), ("Inbound Date", I, "received_date"), ("imported_date", I, "received_date"),
    ("data_importacao", V, None), ("Datum (UTC)", V, "date"), ("Fecha Chegada", I, "received_date"),
    # a person's attributes and yes/no flags
    ("cliente_idade", V, None), ("paciente_endereco", V, None), ("patient_ssn", V, None),
    ("paciente_municipio", V, None), ("paciente_nome", V, "patient"),
    ("ehVencido", I, None), ("loteIndeterminado", I, None), ("queryPatient", V, None),
    ("supplier_rating", I, None), ("product_quality", P, None),
    # a record's reference holds no amount or date
    ("doseId", V, None), ("receipt_id", I, None), ("id_movimiento", A, None), ("adjustmentId", A, None),
    ("product_id", V, "product"), ("id_lote", C, "lot"),
    # German and Spanish short forms, delivery notes
    ("Benennung", P, "product"), ("ArtGr", P, "category"), ("LieferscheinNr", I, "invoice"),
    ("Delivery Number", I, "invoice"), ("Zeitpunkt", I, "received_date"), ("Empleado", V, "provider"),
    # count work tables, clinical models' non-fields
    ("cnt_usr_id", C, None), ("countgrp", C, None), ("catch_weight_qty", C, None),
    ("nextVaccineSchedule", V, None), ("vaccineVenue", V, None), ("contraindicationToProduct", V, None),
    ("campaignSession", V, None), ("proximo_dose", V, None), ("dose_descricao", V, None),
    ("sellBy", A, None), ("Eat By", I, "expiration"), ("Order Unit", P, "package_unit"),
    ("item_type", P, "category"), ("UOM Conv Factor", C, None),
]


@pytest.mark.parametrize("header,kind,field", CASES, ids=[f"{k.value}:{h}" for h, k, _ in CASES])
def test_the_sixth_blind_sets_classes_are_read_as_a_person_reads_them(header, kind, field):
    g = read_column(header, kind, count_table=True)
    assert (g.field if g else None) == field


_detect = detect_rows
_columns = columns_by_field

D = [date(2026, 3, d) for d in (2, 3, 4)]


def test_an_export_keeping_only_ids_reads_them_as_product_location_and_lot_as_weak_guesses():
    rows = [["skuId", "LocId", "idLot", "expiryDate", "receivedAt", "qty"]] + [
        ["BTX-100", "WH-1", f"C37{i}", date(2026, 12, 31), D[i], 10] for i in range(3)]
    det = _detect(rows)
    assert det.kind is I
    assert _columns(det) == {"product": "skuId", "location": "LocId", "lot": "idLot", "expiration": "expiryDate",
                             "received_date": "receivedAt", "quantity": "qty"}
    assert {r.field for r in det.weak} >= {"product", "location", "lot"}


def test_a_name_column_beats_its_id_and_a_german_delivery_reads_its_note_number():
    rows = [["LieferNr", "StandortNr", "Standort", "ArtikelNr", "Artikel", "Charge", "Anzahl", "Zeitpunkt"]] + [
        [f"LS-{i}", 1, "Praxis Mitte", 4711, "Botox 100U", "C3709C3", 5, D[i]] for i in range(3)]
    det = _detect(rows)
    assert det.kind is I
    assert _columns(det) == {"invoice": "LieferNr", "location": "Standort", "product": "Artikel", "lot": "Charge",
                             "quantity": "Anzahl", "received_date": "Zeitpunkt"}
    assert {"StandortNr", "ArtikelNr"} <= set(det.unused)


def test_a_typed_number_column_beside_no_location_is_not_taken_for_the_location():
    rows = [["Product", "Lot", "Expiration", "Date Received", "Qty", "Location #"]] + [
        ["Botox 100U", "C3709C3", date(2026, 12, 31), D[i], 10, 17] for i in range(3)]
    det = _detect(rows)
    assert det.kind is I and "location" not in det.columns


def test_a_usage_record_is_dated_by_its_used_at_and_a_dose_id_is_no_quantity():
    rows = [["doseId", "itemName", "lotNumber", "quantityUsed", "usedAt", "updatedAt"]] + [
        [f"d-{i}", "Botox 100U", "C3709C3", 20, D[i], D[2]] for i in range(3)]
    det = _detect(rows)
    assert det.kind is V
    assert _columns(det) == {"product": "itemName", "lot": "lotNumber", "quantity": "quantityUsed", "date": "usedAt"}
    assert not det.readings["date"].weak  # named by its words, not the time-stamp fallback


def test_a_brazilian_vaccination_record_reads_the_patient_not_their_attributes():
    rows = [["paciente_cpf", "paciente_idade", "paciente_raca_cor", "paciente_endereco_uf", "paciente_nome",
             "vacina_nome", "vacina_lote", "dt_aplicacao", "qt_doses", "proxima_dose"]] + [
        ["123.456.789-00", 40 + i, "parda", "SP", f"Cidadão {i}", "COVID-19 Pfizer", "FP8290", D[i], 1, D[2]]
        for i in range(3)]
    det = _detect(rows)
    assert det.kind is V
    assert _columns(det) == {"patient": "paciente_nome", "product": "vacina_nome", "lot": "vacina_lote",
                             "date": "dt_aplicacao", "quantity": "qt_doses"}


#: The same clinic's workbook (tests/test_detection_styles.py) with headers in the sixth blind
#: set's styles: a receiving export keeping only ids and an inbound date, a visit record of a
#: patient's attributes dated by its event time, a waste record and a count work table dated
#: by theirs, with user, group, rating and flag columns beside them.
STYLE = (["skuId", "idLot", "Expiry", "INBOUND DATE (PDT)", "Qty Received", "Unit Cost", "Remaining",
          "ehLoteNovo", "supplier_rating"],
         ["administeredAt", "paciente_nome", "Empleado", "Product", "Lot", "Units", "paciente_idade",
          "paciente_cpf", "doseId", "proxima_dose"],
         ["adjustedAt", "Product", "Lot", "Qty", "Type", "Reason", "adjustmentId", "sellBy"],
         ["countedAt", "Product", "Lot", "Counted", "cnt_usr_id", "cntgrp", "catch_qty"])
EXTRA = {"ehLoteNovo": "S", "supplier_rating": 4, "paciente_idade": 41, "paciente_cpf": "123.456.789-00",
         "doseId": "d-1", "proxima_dose": date(2026, 9, 1), "adjustmentId": 77, "sellBy": date(2026, 12, 1),
         "cnt_usr_id": "MK", "cntgrp": "G1", "catch_qty": 0}


def test_a_workbook_in_the_sixth_blind_sets_styles_reconciles_like_its_plain_twin(tmp_path):
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
