"""Detection rules of issue 9's detect9 pass (docs/RULES.md, "Detection, generalising
further"): each a class a person can state in one sentence, shown here on sheets written in
styles the rule was not tuned on, read back through the pipeline."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from lotsync.model import Kind
from lotsync.tables.detect import read_column

from helpers import columns_by_field, detect_rows, lot_of, one, reconcile_files, where, write_book, write_mapping


def test_a_table_the_mapping_file_calls_a_count_reads_its_quantity_as_what_was_counted(tmp_path):
    # the tab's name says nothing; the clinic's mapping file says it is a count, and names no column
    book = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty Received"],
                      ["Botox", "C3709C3", dt.date(2026, 12, 31), 100]],
        "Sheet2": [["Fecha", "Producto", "Lote", "Cantidad"],
                   [dt.date(2026, 5, 31), "Botox", "C3709C3", 90]],
    })
    mapping = write_mapping(tmp_path / "map.toml", '[[sheets]]\nsheet = "Sheet2"\nkind = "counts"\n')
    result = reconcile_files([book], mapping=mapping)
    lot = lot_of(result, "C3709C3")
    assert lot.count_variance == -10
    assert where(one(result, "COUNT_VARIANCE"))[1:4] == ("Sheet2", 2, "Cantidad")


def test_without_the_mapping_file_a_bare_quantity_on_an_unnamed_tab_is_no_count():
    # the same table with no word of a count anywhere: a stock movement, never a count
    det = detect_rows([["Fecha", "Producto", "Lote", "Cantidad"],
                       [dt.date(2026, 5, 31), "Botox", "C3709C3", 90]], sheet="Sheet2")
    assert det.kind is None or det.kind.value != "counts"
    assert "counted" not in columns_by_field(det)


def test_words_cut_short_with_a_dot_are_the_words_they_begin():
    # French and Italian receiving sheets abbreviated the way their dictionaries do
    det = detect_rows([["Produit", "N° de lot", "Date de péremp.", "Qté reçue", "Fourn.", "Ubicaz."],
                       ["Botox", "C3709C3", dt.date(2026, 12, 31), 100, "Allergan", "Sala 1"]])
    cols = columns_by_field(det)
    assert det.kind.value == "inventory"
    assert cols["expiration"] == "Date de péremp."
    assert cols["supplier"] == "Fourn."
    assert cols["location"] == "Ubicaz."


def test_a_cut_short_word_that_begins_words_of_different_meanings_is_not_guessed():
    # `Val.` begins value, validity and valor alike: no field is made up for it
    det = detect_rows([["Product", "Lot", "Qty Received", "Val."],
                       ["Botox", "C3709C3", 100, "x"]])
    assert "Val." not in columns_by_field(det).values()


def test_a_dotted_path_step_is_not_a_cut_short_word():
    from lotsync.tables.words import split_words
    assert split_words("warehouse.code") == ["warehouse", "code"]
    assert split_words("Fourn.") == ["fournisseur"]


def test_a_spanish_count_date_reads_whole_not_as_fragments_of_other_words():
    # `recuento` once split as recu|en|to (a German linking `en` before a two-letter `to`)
    # and read as a receipt date
    det = detect_rows([["Fecha del recuento", "Producto", "Lote", "Cantidad contada"],
                       [dt.date(2026, 5, 31), "Botox", "C3709C3", 90]])
    assert det.kind.value == "counts"
    assert columns_by_field(det)["date"] == "Fecha del recuento"


def test_german_shelf_life_and_administration_dates_and_the_person_who_processed():
    receipt = detect_rows([["Artikel", "Charge", "Haltbarkeitsdatum", "Menge"],
                           ["Botox", "C3709C3", dt.date(2026, 12, 31), 100]])
    assert columns_by_field(receipt)["expiration"] == "Haltbarkeitsdatum"
    visit = detect_rows([["Anwendungsdatum", "Präparat", "Charge", "Menge", "Bearbeiter"],
                         [dt.date(2026, 3, 2), "Botox", "C3709C3", 20, "Dr. Weber"]])
    cols = columns_by_field(visit)
    assert visit.kind.value == "visits"
    assert cols["date"] == "Anwendungsdatum" and cols["provider"] == "Bearbeiter"


def test_a_bare_timestamp_dates_a_movement_log_only_when_no_column_names_its_date():
    rows = [["Timestamp", "Product", "Lot", "Type", "Quantity"],
            [dt.datetime(2026, 3, 2, 10, 5), "Botox", "C3709C3", "waste", 5]]
    assert columns_by_field(detect_rows(rows))["date"] == "Timestamp"
    dated = [["Date", *rows[0]], [dt.date(2026, 3, 1), *rows[1]]]
    assert columns_by_field(detect_rows(dated))["date"] == "Date"


def test_a_number_of_doses_or_units_is_how_many_and_a_number_of_a_thing_is_its_identifier():
    det = detect_rows([["Producto", "Número de lote", "Número de dosis", "Vencimiento"],
                       ["Botox", "C3709C3", 100, dt.date(2026, 12, 31)]])
    cols = columns_by_field(det)
    assert cols["lot"] == "Número de lote"
    assert cols["quantity"] == "Número de dosis"
    # the lot's number of doses (Portuguese, snake_case): how many, of the lot
    det = detect_rows([["vacina", "codigo_lote", "nro_doses_do_lote", "nro_doses_atual"],
                       ["BCG", "C3709C3", 100, 80]])
    cols = columns_by_field(det)
    assert cols["lot"] == "codigo_lote" and cols["quantity"] == "nro_doses_do_lote"
    assert cols["remaining"] == "nro_doses_atual"


def test_a_systems_hash_or_version_column_names_no_field():
    det = detect_rows([["Product", "Lot", "Qty Received", "unitHash", "lot_version"],
                       ["Botox", "C3709C3", 100, "9f86d081884c7d65", 3]])
    cols = columns_by_field(det)
    assert cols["lot"] == "Lot"
    assert "unitHash" not in cols.values() and "lot_version" not in cols.values()


def test_a_french_record_name_beats_its_code():
    det = detect_rows([["article_designation", "lot", "quantite", "depot_code", "depot_intitule"],
                       ["Botox", "C3709C3", 100, "D01", "Cabinet Lyon"]])
    assert columns_by_field(det)["location"] == "depot_intitule"


def test_a_persons_or_suppliers_attributes_in_five_languages_are_not_the_person_or_supplier():
    det = detect_rows([["Fecha", "Paciente", "Edad del paciente", "Fecha de nacimiento", "Producto", "Lote",
                        "Unidades"],
                       [dt.date(2026, 3, 2), "P1", 34, dt.date(1992, 1, 5), "Botox", "C3709C3", 20]])
    cols = columns_by_field(det)
    assert det.kind.value == "visits"
    assert cols["date"] == "Fecha" and cols["patient"] == "Paciente"
    receipt = detect_rows([["Produit", "Lot", "Quantité", "Adresse du fournisseur", "Date de réception"],
                           ["Botox", "C3709C3", 100, "1 rue de Lyon", dt.date(2026, 3, 1)]])
    cols = columns_by_field(receipt)
    assert "supplier" not in cols and cols["received_date"] == "Date de réception"


def test_an_edit_time_in_another_language_does_not_date_a_movement():
    # the row's edit time is no movement's date: with no other date there is no waste log
    for header in ("Fecha de actualización", "Date de modification", "Data de atualização"):
        det = detect_rows([[header, "Producto", "Lote", "Tipo", "Cantidad"],
                           [dt.date(2026, 4, 1), "Botox", "C3709C3", "merma", 5]], sheet="Ajustes")
        assert "date" not in columns_by_field(det), header


def test_quantities_pending_reserved_or_requested_are_not_received():
    for header in ("Cantidad pendiente", "Reservierte Menge", "Quantidade solicitada"):
        assert read_column(header, Kind.INVENTORY) is None, header
        det = detect_rows([["Product", "Lot", header], ["Botox", "C3709C3", 40]])
        assert "quantity" not in columns_by_field(det), header


def test_a_bare_cost_on_a_visit_log_is_what_the_visit_cost_the_patient_not_the_clinics_cost():
    det = detect_rows([["Date", "Patient", "Product", "Lot", "Units", "Cost"],
                       [dt.date(2026, 3, 2), "P1", "Botox", "C3709C3", 20, 240]])
    assert columns_by_field(det)["price"] == "Cost"
    det = detect_rows([["Date", "Patient", "Product", "Lot", "Units", "Unit Cost"],
                       [dt.date(2026, 3, 2), "P1", "Botox", "C3709C3", 20, 6.12]])
    assert "price" not in columns_by_field(det)


def test_a_tables_columns_are_read_in_context_even_when_it_lacks_a_required_field():
    # what the corpus's table-context figure measures: the assignment, before the gate that
    # refuses a table without every field its kind requires (here, no lot column)
    from lotsync.readers.raw import RawSheet
    from lotsync.tables.detect import detect_table, read_columns
    from lotsync.tables.mapping import Mapping, SheetMapping
    sheet = RawSheet(file="corpus.xlsx", sheet="Sheet1",
                     rows=[["Product", "Description", "Qty Received", "Vendor", "Vendor Address"]])
    read = {f: r.header for f, r in read_columns(sheet, Kind.INVENTORY).items()}
    assert read == {"product": "Product", "quantity": "Qty Received", "supplier": "Vendor"}
    assert detect_table(sheet, Mapping(sheets=[SheetMapping(kind="inventory", header_row=1)])).kind is None


#: tests/data/header_probe_languages.csv: 512 headers a Spanish, Portuguese, French, German or
#: Italian template would write for lot, expiry, quantity (received, used, counted, on hand,
#: pending), cost, supplier, invoice, patient, provider, location, product, reason, type and
#: date, their usual abbreviations (`F. Cad.`, `Qtd. Rec.`, `Fourn.`, `Ch.-Nr.`), and headers
#: that should name nothing (a birth date, a supplier's address, an order quantity). Written
#: by detect9 from each language's usual wording, NOT gathered from public files: it measures
#: how much of those languages' core vocabulary is read, not accuracy on real sheets (the
#: header corpus does that). A business's tax number (`CNPJ do fornecedor`) is labelled the
#: supplier it identifies (as the sixth corpus set labels `fornecedorCnpj`). 428 of 512 (83.6%)
#: before detect9, 473 (92.4%) after.
PROBE = Path(__file__).parent / "data" / "header_probe_languages.csv"
PROBE_FLOOR = 0.92


def test_the_core_vocabulary_of_five_languages_is_read(capsys):
    with open(PROBE, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    wrong = []
    for r in rows:
        g = read_column(r["header"], Kind(r["kind"]), count_table=True)
        want = None if r["field"] == "none" else r["field"]
        if (g.field if g else None) != want:
            wrong.append((r["header"], r["kind"], want, g.field if g else None))
    acc = 1 - len(wrong) / len(rows)
    with capsys.disabled():
        print(f"\nfive-language probe: {acc:.1%} ({len(rows) - len(wrong)} of {len(rows)})")
        for w in wrong:
            print("   ", w)
    assert acc >= PROBE_FLOOR, wrong


def test_when_a_row_was_recorded_or_entered_dates_a_movement_log_with_no_other_date():
    for header in ("recordedAt", "entry_date", "Erstellt am"):
        rows = [[header, "producto", "lote", "tipo", "cantidad"], [dt.date(2026, 3, 2), "Botox", "C3709C3", "merma", 5]]
        det = detect_rows(rows)
        assert det.kind.value == "adjustments", header
        assert columns_by_field(det)["date"] == header  # the moment, never the person who recorded
        dated = [["fecha", *rows[0]], [dt.date(2026, 3, 1), *rows[1]]]
        assert columns_by_field(detect_rows(dated))["date"] == "fecha", header


def test_a_receiving_log_with_vials_and_number_of_units_receives_the_units(tmp_path):
    # review6: `Number of Units` is the vocabulary's own quantity phrase and beat a bare `Qty`
    # (here the vials) before detect9; rewriting it as `quantity units` made it tie and lose
    book = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Date", "Product", "Lot", "Expiration", "Qty", "Number of Units", "Unit Cost"],
                      [dt.date(2026, 3, 2), "Botox", "C3709C3", dt.date(2027, 6, 30), 2, 200, 5.2]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Units"],
                       [dt.date(2026, 3, 9), "Jane Roe", "Botox", "C3709C3", 20]],
    })
    det = detect_rows([["Date", "Product", "Lot", "Expiration", "Qty", "Number of Units", "Unit Cost"],
                       [dt.date(2026, 3, 2), "Botox", "C3709C3", dt.date(2027, 6, 30), 2, 200, 5.2]],
                      sheet="Receiving")
    assert columns_by_field(det)["quantity"] == "Number of Units"
    result = reconcile_files([book])
    assert lot_of(result, "C3709C3").received == 200


def test_an_english_word_ending_a_header_with_a_dot_is_no_cut_of_a_foreign_word():
    # review6: `Gross.` (a receiving log's gross amount) is the English word as it is, not the
    # start of French `grossiste` (wholesaler): no money column read as the supplier
    det = detect_rows([["Date Received", "Product", "Lot", "Expiration", "Qty", "Gross."],
                       [dt.date(2026, 3, 2), "Botox", "C3709C3", dt.date(2027, 6, 30), 2, 1040.0]],
                      sheet="Receiving")
    assert "supplier" not in columns_by_field(det)
    assert read_column("Gross.", Kind.INVENTORY) is None


def test_a_stock_sheet_dating_each_receipt_by_its_entry_date_stays_a_stock_sheet(tmp_path):
    # review6: `Entry Date` (a receipt date phrase: `Receipt Entry Date`) on a batch stock
    # sheet dates each receipt (docs/RULES.md); detect9's `entry` timestamp word made it a
    # count's moment and the sheet a count, so its stock was never received
    header = ["Product", "Lot", "Expiration", "On Hand", "Entry Date"]
    row = ["Botox", "C3709C3", dt.date(2027, 6, 30), 100, dt.date(2026, 3, 2)]
    for h in ("Entry Date", "Receipt Entry Date"):
        det = detect_rows([header[:4] + [h], row], sheet="Stock")
        assert det.kind is Kind.INVENTORY
        assert columns_by_field(det)["received_date"] == h
    book = write_book(tmp_path / "clinic.xlsx", {
        "Stock": [header, row],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Units"],
                       [dt.date(2026, 3, 9), "Jane Roe", "Botox", "C3709C3", 20]],
    })
    lot = lot_of(reconcile_files([book]), "C3709C3")
    assert lot.received == 100 and lot.derived_remaining == 80


def test_an_entry_date_still_dates_a_visit_log_with_no_other_date():
    det = detect_rows([["Entry Date", "Patient", "Product", "Lot", "Units"],
                       [dt.date(2026, 3, 9), "Jane Roe", "Botox", "C3709C3", 20]], sheet="Treatments")
    assert det.kind is Kind.VISITS and columns_by_field(det)["date"] == "Entry Date"


def test_a_visit_log_keeps_the_patient_id_over_the_patients_name(tmp_path):
    # review6: the name-over-code tie rule is for things (a depot, a store); a patient is keyed
    # by the ID (two patients of one name are two visits) and names stay out of the key
    header = ["Date", "Patient ID", "Patient Name", "Product", "Lot", "Units"]
    det = detect_rows([header, [dt.date(2026, 3, 9), "P001", "Jane Roe", "Botox", "C1", 20]],
                      sheet="Treatments")
    assert columns_by_field(det)["patient"] == "Patient ID"
    book = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Date", "Product", "Lot", "Expiration", "Qty"],
                      [dt.date(2026, 3, 2), "Botox", "C1", dt.date(2027, 6, 30), 100]],
        "Treatments": [header, [dt.date(2026, 3, 9), "P001", "Jane Roe", "Botox", "C1", 20],
                       [dt.date(2026, 3, 9), "P002", "Jane Roe", "Botox", "C1", 10]],
    })
    assert reconcile_files([book]).summary.visits == 2


def test_a_visit_logs_total_cost_beside_its_unit_cost_is_the_clinics_cost_not_the_price():
    # review6: a usage log pricing the product it used (`Unit Cost` x Units = `Total Cost`)
    # writes the clinic's cost twice; read as the price, revenue equalled COGS and margin was 0
    row = [dt.date(2026, 3, 9), "Jane Roe", "Botox", "C1", 20, 5.2, 104]
    det = detect_rows([["Date", "Patient", "Product", "Lot", "Units", "Unit Cost", "Total Cost"], row],
                      sheet="Treatments")
    assert "price" not in columns_by_field(det)
    det = detect_rows([["Date", "Patient", "Product", "Lot", "Units", "Cost", "Total Cost"], row],
                      sheet="Treatments")
    assert "price" not in columns_by_field(det)
    # alone, a bare cost is still what the visit cost the patient (detect9)
    det = detect_rows([["Date", "Patient", "Product", "Lot", "Units", "Total Cost"], row[:6]],
                      sheet="Treatments")
    assert columns_by_field(det)["price"] == "Total Cost"
