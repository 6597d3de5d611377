"""SPEC §1: a practice reconciles to the same ledger whatever its headers look like.

Each style below is the same clinic's workbook with headers written the way other people
write them (capitals, snake_case exports, qualifiers and abbreviations, extra people and
notes columns that look like fields, bilingual headers, two-row headers); each must give
exactly the lots, COGS, totals and finding codes of its plain-header twin.
"""

from __future__ import annotations

from datetime import date

import pytest

from helpers import reconcile_files, write_book
from lotsync.model import Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import detect_table
from lotsync.tables.mapping import Mapping
from lotsync.writers.json_report import report_dict

EXP1, EXP2 = date(2026, 12, 31), date(2027, 3, 31)
D1, D2, D3, D4 = date(2026, 1, 5), date(2026, 2, 10), date(2026, 3, 4), date(2026, 3, 31)

RECEIPTS = [("Botox 100U", "C3709C3", EXP1, D1, 200, 6.12, 150),
            ("Juvederm Ultra", "JU8821", EXP2, D1, 10, 310.0, 7)]
VISITS = [(D2, "P-1001", "Amy", "Botox 100U", "C3709C3", 20),
          (D3, "P-1002", "Ben", "Botox 100U", "C3709C3", 24),
          (D3, "P-1003", "Amy", "Juvederm Ultra", "JU8821", 2)]
WASTE = [(D3, "Botox 100U", "C3709C3", 6, "wasted", "dropped syringe")]
COUNTS = [(D4, "Botox 100U", "C3709C3", 145), (D4, "Juvederm Ultra", "JU8821", 8)]

#: style -> headers for (receiving, visits, waste, count); None over a header row means none.
STYLES = {
    "plain": (["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost", "Remaining"],
              ["Date", "Patient", "Provider", "Product", "Lot", "Units"],
              ["Date", "Product", "Lot", "Qty", "Type", "Reason"],
              ["Date", "Product", "Lot", "Counted"]),
    "capitals": (["PRODUCT", "LOT NO.", "EXPIRATION DATE", "DATE RECEIVED", "QTY RECEIVED", "UNIT COST", "QTY ON HAND"],
                 ["DATE OF SERVICE", "PATIENT ID", "PROVIDER", "PRODUCT", "LOT #", "UNITS USED"],
                 ["DATE", "PRODUCT", "LOT NUMBER", "QUANTITY", "ADJUSTMENT TYPE", "REASON"],
                 ["COUNT DATE", "PRODUCT", "LOT", "PHYSICAL COUNT"]),
    "snake_case": (["product_name", "lot_number", "lot_expiration_date", "received_date", "quantity_received",
                    "unit_cost", "quantity_remaining"],
                   ["service_date", "patient_id", "injector_name", "product_name", "lot_number", "units_used"],
                   ["adjustment_date", "product_name", "lot_number", "quantity", "adjustment_type", "reason_notes"],
                   ["count_date", "product_name", "lot_number", "counted_qty"]),
    "abbreviations": (["Product Description", "Lot #", "Exp Dt", "Date Rec'd", "Qty Rcvd", "Cost Each ($)", "Qty Left"],
                      ["Tx Date", "Pt Name", "Injector", "Product Used", "Lot No.", "Units Injected"],
                      ["Dt", "Item", "Batch #", "Amt", "Adj Type", "Why"],
                      ["Date", "Item Desc", "Lot #", "Qty Found"]),
    "people_and_notes": (["Product", "Lot", "Exp Date", "Date Received", "Qty Received", "Cost per Unit", "Qty Left",
                          "Received By", "Checked In By", "Notes"],
                         ["Visit Date", "Client Name", "Injector Name", "Product", "Lot", "Units", "Initials",
                          "Visit Notes"],
                         ["Date", "Product", "Lot", "Qty", "Type", "Reason", "Entered By"],
                         ["Date", "Product", "Lot", "Counted", "Counted By", "Initials"]),
    "bilingual": (["Producto / Product", "Lote / Lot", "Caducidad / Expiry", "Fecha de recepción",
                   "Cantidad recibida", "Costo unitario", "Restant"],
                  ["Date du soin", "Patient", "Praticien / Provider", "Produit", "Numéro de lot", "Quantité utilisée"],
                  ["Fecha", "Producto", "Lote", "Cantidad", "Tipo", "Motivo"],
                  ["Date", "Produit", "Numéro de lot", "Stock physique"]),
    # issue 9 item 2: wordings none of the header corpora has
    "erp_camel_case": (["ItemName", "BatchNum", "ExpDate", "ReceiptDate", "QtyRcvd", "UnitPrice", "OnHand"],
                       ["ServiceDate", "PatientId", "ProviderName", "ItemName", "BatchNum", "QtyUsed"],
                       ["PostingDate", "ItemName", "BatchNum", "Quantity", "EntryType", "Remarks"],
                       ["CountDate", "ItemName", "BatchNum", "CountedQty"]),
    "erp_run_together": (["ITEMDESC", "LOTNO", "EXPDT", "RCVDDT", "QTYRCVD", "UNITCOST", "QTYONHAND"],
                         ["SVCDATE", "PATID", "PROVNAME", "ITEMDESC", "LOTNO", "UNITSUSED"],
                         ["ADJDATE", "ITEMDESC", "LOTNO", "ADJQTY", "ADJTYPE", "REASON"],
                         ["CNTDATE", "ITEMDESC", "LOTNO", "CNTQTY"]),
    "german": (["Artikelbezeichnung", "Chargennummer", "Verfallsdatum", "Eingangsdatum", "Liefermenge",
                "Einkaufspreis", "Restbestand"],
               ["Behandlungsdatum", "Patient", "Behandler", "Präparat", "Chargen-Nr.", "Menge verabreicht"],
               ["Datum", "Artikel", "Charge", "Menge", "Buchungsart", "Grund"],
               ["Zähldatum", "Artikel", "Charge", "Gezählte Menge"]),
    "portuguese": (["Produto", "Lote", "Validade", "Data de recebimento", "Quantidade recebida", "Custo unitário",
                    "Saldo em estoque"],
                   ["Data do atendimento", "Paciente", "Profissional", "Produto", "Lote", "Unidades aplicadas"],
                   ["Data", "Produto", "Lote", "Qtd", "Tipo", "Motivo"],
                   ["Data da contagem", "Produto", "Lote", "Quantidade contada"]),
    "italian": (["Prodotto", "Lotto", "Scadenza", "Data ricevimento", "Qtà ricevuta", "Prezzo unitario", "Giacenza"],
                ["Data trattamento", "Paziente", "Medico", "Prodotto", "Lotto", "Unità somministrate"],
                ["Data", "Articolo", "Lotto", "Quantità", "Tipo", "Causale"],
                ["Data conteggio", "Articolo", "Lotto", "Quantità contata"]),
    "units_in_brackets": (["Product", "Lot (batch)", "Expiry (MM/YYYY)", "Received (date)", "Qty [units]",
                           "Cost ($/unit)", "Left [units]"],
                          ["Date (MM/DD/YYYY)", "Patient", "Provider", "Product", "Lot", "Units (U)"],
                          ["Date (dd/mm/yy)", "Product", "Lot", "Qty (units)", "Type", "Reason"],
                          ["Date", "Product", "Lot", "Counted (units)"]),
    "bilingual_spanish_english": (["Producto (Product)", "Lote (Lot)", "Vence (Expires)", "Recibido (Received)",
                                   "Cant. recibida", "Costo unit. (Unit cost)", "Existencia (On hand)"],
                                  ["Fecha / Date", "Paciente / Patient", "Médico / Doctor", "Producto / Product",
                                   "Lote / Lot", "Unidades / Units"],
                                  ["Fecha / Date", "Producto / Product", "Lote / Lot", "Cantidad / Qty",
                                   "Tipo / Type", "Motivo / Reason"],
                                  ["Fecha / Date", "Producto / Product", "Lote / Lot", "Conteo / Count"]),
}

EXTRA_VALUES = {"Received By": "JS", "Checked In By": "MK", "Notes": "cold pack ok", "Initials": "AB",
                "Visit Notes": "follow up 2 wks", "Entered By": "JS", "Counted By": "MK"}


def _rows(headers: list[str], data: list[tuple]) -> list[list]:
    n = len(data[0])
    return [headers] + [list(d) + [EXTRA_VALUES[h] for h in headers[n:]] for d in data]


def _book(tmp_path, style: str) -> str:
    rec, vis, waste, count = STYLES[style]
    return write_book(tmp_path / f"{style}.xlsx", {
        "Receiving": _rows(rec, RECEIPTS), "Treatments": _rows(vis, VISITS),
        "Waste": _rows(waste, WASTE), "Count": _rows(count, COUNTS)})


def ledger(result) -> dict:
    rep = report_dict(result)
    lots = [{k: v for k, v in lot.items() if k != "source"} | {"cell": lot["source"]["cell"]}
            for lot in rep["lots"]]  # the source names the header, which differs by design
    return {"lots": lots, "cogs": rep["cogs"], "totals": rep["totals"],
            "codes": sorted(f["code"] for f in rep["findings"])}


@pytest.mark.parametrize("style", [s for s in STYLES if s != "plain"])
def test_a_styled_workbook_reconciles_like_its_plain_twin(tmp_path, style):
    plain = reconcile_files([_book(tmp_path, "plain")])
    styled = reconcile_files([_book(tmp_path, style)])
    kinds = {i["sheet"]: i["kind"] for i in report_dict(styled)["inputs"]}
    assert kinds == {"Receiving": "inventory", "Treatments": "visits", "Waste": "adjustments", "Count": "counts"}
    assert ledger(styled) == ledger(plain)


def test_a_two_row_header_reads_the_group_title_over_its_columns(tmp_path):
    """`Received` over `Date | Qty` and `Lot` over `Number | Expiry` (merged cells: the title
    in the first cell, blanks after it)."""
    path = write_book(tmp_path / "two.xlsx", {"Receiving": [
        [None, "Lot", None, "Received", None, None],
        ["Product", "Number", "Expiry", "Date", "Qty", "Unit Cost"],
        ["Botox 100U", "C3709C3", EXP1, D1, 200, 6.12],
        ["Juvederm Ultra", "JU8821", EXP2, D1, 10, 310.0]]})
    cols = {i["sheet"]: i for i in report_dict(reconcile_files([path]))["inputs"]}["Receiving"]
    assert cols["header_row"] == 2
    assert cols["columns"] == {"product": "Product", "lot": "Number", "expiration": "Expiry",
                               "received_date": "Date", "quantity": "Qty", "unit_cost": "Unit Cost"}


def test_a_two_row_header_in_spanish_reads_the_group_title_over_its_columns(tmp_path):
    """`Lote` over `Número | Vencimiento`, `Recepción` over `Fecha | Cantidad`: the bare
    `Número` is the lot's number and the bare `Fecha` the receipt's date."""
    path = write_book(tmp_path / "dos.xlsx", {"Recepcion": [
        [None, "Lote", None, "Recepción", None, None],
        ["Producto", "Número", "Vencimiento", "Fecha", "Cantidad", "Costo unitario"],
        ["Botox 100U", "C3709C3", EXP1, D1, 200, 6.12],
        ["Juvederm Ultra", "JU8821", EXP2, D1, 10, 310.0]]})
    cols = {i["sheet"]: i for i in report_dict(reconcile_files([path]))["inputs"]}["Recepcion"]
    assert cols["kind"] == "inventory" and cols["header_row"] == 2
    assert cols["columns"] == {"product": "Producto", "lot": "Número", "expiration": "Vencimiento",
                               "received_date": "Fecha", "quantity": "Cantidad", "unit_cost": "Costo unitario"}


def test_a_bare_received_column_of_numbers_beside_its_date_is_the_quantity_read_as_a_weak_guess():
    """`Date Received | Received`: the values decide (numbers are no dates); from the word
    alone it is only a guess, and check says so."""
    rows = [["Item", "Lot", "Date Received", "Received"], ["Botox", "C1", D1, 100], ["Dysport", "D2", D1, 50],
            ["Xeomin", "X3", D2, 20]]
    det = detect_table(RawSheet(file="r.xlsx", sheet="Receiving", rows=rows), Mapping())
    assert det.kind is Kind.INVENTORY
    assert det.columns["received_date"].header == "Date Received" and det.columns["quantity"].header == "Received"
    assert [r.field for r in det.weak] == ["quantity"]


def test_a_count_tab_named_in_spanish_reads_its_plain_quantity_as_the_count(tmp_path):
    """A tab called `Conteo` (or `Inventaire`, `Inventur`) is a count tab as `Count` is: its
    bare `Cantidad` is the counted quantity."""
    path = write_book(tmp_path / "conteo.xlsx", {
        "Recepción": [["Producto", "Lote", "Vencimiento", "Fecha", "Cantidad"], ["Botox 100U", "C3709C3", EXP1, D1, 200]],
        "Conteo": [["Fecha", "Producto", "Lote", "Cantidad"], [D4, "Botox 100U", "C3709C3", 190]]})
    inputs = {i["sheet"]: i for i in report_dict(reconcile_files([path]))["inputs"]}
    assert inputs["Recepción"]["kind"] == "inventory"
    assert inputs["Conteo"]["kind"] == "counts" and inputs["Conteo"]["columns"]["counted"] == "Cantidad"


def test_a_persons_role_is_never_a_quantity_or_a_date(tmp_path):
    path = write_book(tmp_path / "c.xlsx", {
        "Receiving": [["Product", "Lot", "Received By", "Qty"], ["Botox", "C1", "JS", 100]],
        "Count": [["Date", "Product", "Lot", "Counted By", "Counted"], [D4, "Botox", "C1", "MK", 90]]})
    inputs = {i["sheet"]: i for i in report_dict(reconcile_files([path]))["inputs"]}
    assert inputs["Receiving"]["columns"]["quantity"] == "Qty"
    assert "received_date" not in inputs["Receiving"]["columns"]
    assert inputs["Count"]["columns"]["counted"] == "Counted"


def test_a_stock_sheet_is_inventory_whose_on_hand_is_the_opening_quantity(tmp_path):
    path = write_book(tmp_path / "stock.xlsx", {"Stock": [
        ["Item", "Lot Number", "Expiry Date", "Qty On Hand"],
        ["Botox 100U", "C3709C3", EXP1, 150], ["Juvederm Ultra", "JU8821", EXP2, 7]]})
    r = reconcile_files([path])
    inp = report_dict(r)["inputs"][0]
    assert inp["kind"] == "inventory" and inp["columns"]["quantity"] == "Qty On Hand"
    assert sorted((l.lot, l.received) for l in r.lots) == [("C3709C3", 150), ("JU8821", 7)]


def test_a_visit_log_with_a_unit_of_measure_column_is_not_a_product_catalog(tmp_path):
    path = write_book(tmp_path / "v.xlsx", {
        "Receiving": [["Product", "Lot", "Qty"], ["Botox", "C1", 100]],
        "Sheet2": [["Appt Date", "Patient", "Product", "Lot", "Amt", "Unit of Measure"],
                   [D2, "P1", "Botox", "C1", 20, "units"], [D3, "P2", "Botox", "C1", 10, "units"],
                   [D3, "P3", "Botox", "C1", 4, "units"]]})
    r = reconcile_files([path])
    assert {i["sheet"]: i["kind"] for i in report_dict(r)["inputs"]}["Sheet2"] == "visits"
    assert sum(l.used for l in r.lots) == 34


def test_a_vaccination_site_beside_a_route_is_the_body_site_not_the_clinic(tmp_path):
    """A vaccination record's `Site` (left deltoid) next to `Route`: nothing lotsync reads.
    A med-spa visit log's `Site` with no route or vaccine column is the clinic."""
    path = write_book(tmp_path / "vax.xlsx", {
        "Receiving": [["Vaccine", "Lot", "Expiration", "Doses Received"], ["Flu Q", "FL123", EXP1, 10]],
        "Immunizations": [["Date Given", "Patient", "Vaccine", "Lot", "Doses", "Site", "Route"],
                          [D2, "P1", "Flu Q", "FL123", 1, "L deltoid", "IM"],
                          [D3, "P2", "Flu Q", "FL123", 1, "R deltoid", "IM"],
                          [D3, "P3", "Flu Q", "FL123", 1, "L deltoid", "IM"]],
        "Treatments": [["Date", "Patient", "Site", "Product", "Lot", "Units"],
                       [D2, "P4", "Uptown", "Flu Q", "FL123", 1], [D3, "P5", "Uptown", "Flu Q", "FL123", 1],
                       [D3, "P6", "Uptown", "Flu Q", "FL123", 1]]})
    inputs = {i["sheet"]: i for i in report_dict(reconcile_files([path]))["inputs"]}
    assert inputs["Immunizations"]["kind"] == "visits"
    assert "location" not in inputs["Immunizations"]["columns"]
    assert inputs["Treatments"]["columns"]["location"] == "Site"


def test_columns_naming_nothing_lotsync_reads_stay_unread(tmp_path):
    """Notes, phone, route, dose number, NDC, reorder and on-order quantities, a manufacturer,
    a treatment area: each looks like a field to a string matcher, none is one."""
    path = write_book(tmp_path / "extra.xlsx", {
        "Receiving": [["NDC", "Product", "Manufacturer", "Lot", "Exp Date", "Qty Received", "Qty On Order",
                       "Reorder Point", "Storage Temp", "Notes"],
                      ["0023-1145-01", "Botox 100U", "Allergan", "C3709C3", EXP1, 200, 50, 20, "2-8C", "ok"]],
        "Treatments": [["Date", "Patient", "Phone", "Product", "Lot", "Units", "Dose Number", "Route",
                        "Treatment Area", "Notes"],
                       [D2, "P1", "555-0100", "Botox 100U", "C3709C3", 20, 1, "IM", "glabella", "none"]]})
    inputs = {i["sheet"]: i for i in report_dict(reconcile_files([path]))["inputs"]}
    assert inputs["Receiving"]["columns"] == {"product": "Product", "lot": "Lot", "expiration": "Exp Date",
                                              "quantity": "Qty Received"}
    assert inputs["Treatments"]["columns"] == {"date": "Date", "patient": "Patient", "product": "Product",
                                               "lot": "Lot", "quantity": "Units"}


#: Header rows of real exports in public repositories (issue 9 item 2), with the columns a
#: person would pick. None of them is in the header corpora.
REAL_EXPORTS = {
    "github:KietLuong1/web-warehouse src/queries/Inventory/keys.ts": (
        ["inventory_id", "product_id", "location_id", "quantity", "batch_number", "import_date", "expiry_date"],
        # the date stock was imported into the warehouse is its receipt date (detect8)
        {"product": "product_id", "location": "location_id", "quantity": "quantity", "lot": "batch_number",
         "expiration": "expiry_date", "received_date": "import_date"}),
    "github:MediSupply-Team/MediSupply-Backend catalogo-service/ENDPOINTS-INVENTARIO.md": (
        ["producto_id", "bodega_id", "pais", "lote", "tipo_movimiento", "motivo", "cantidad", "fecha_vencimiento",
         "usuario_id", "referencia_documento", "observaciones", "permitir_stock_negativo"],
        {"product": "producto_id", "location": "bodega_id", "lot": "lote", "quantity": "cantidad",
         "expiration": "fecha_vencimiento"}),
    "github:cmcocom/suminixmed docs/fixes/CORRECCION-IMPORTACION-EXPORTACION-PRODUCTOS.md": (
        ["id", "clave", "clave2", "nombre", "descripcion", "categoria", "cantidad", "precio", "proveedor",
         "fechaIngreso", "fechaVencimiento", "estado", "imagen", "codigo_barras", "numero_lote", "cantidad_minima",
         "cantidad_maxima", "punto_reorden", "dias_reabastecimiento", "ubicacion_general", "createdAt", "updatedAt",
         "categoria_id"],
        {"product": "descripcion", "quantity": "cantidad", "supplier": "proveedor", "received_date": "fechaIngreso",
         "expiration": "fechaVencimiento", "lot": "numero_lote", "location": "ubicacion_general"}),
    "a pharmacy inventory upload (mongoose InventoryItem, public code search)": (
        ["medicineName", "batchNumber", "dosageForm", "quantity", "expiryDate", "purchasePrice", "sellingPrice",
         "supplier"],
        {"product": "medicineName", "lot": "batchNumber", "quantity": "quantity", "expiration": "expiryDate",
         "unit_cost": "purchasePrice", "supplier": "supplier"}),
}


@pytest.mark.parametrize("source", sorted(REAL_EXPORTS))
def test_a_real_export_is_read_as_a_person_would_pick_its_columns(source):
    headers, want = REAL_EXPORTS[source]
    det = detect_table(RawSheet(file="export.xlsx", sheet="Sheet1", rows=[headers]), Mapping())
    assert det.kind is Kind.INVENTORY
    assert {f: c.header for f, c in det.columns.items()} == want


#: Tables in styles of vaccine-program and POS reports (crafted, not from a corpus): doses
#: administered, wasted or transferred on a stock report are not what came in; what is on hand
#: is the opening quantity of a stock sheet; a sold quantity on a sales log is what was used.
CRAFTED_TABLES = {
    "vaccine stock report": (
        ["Vaccine Product", "Lot", "Exp Date", "Doses Received", "Doses Administered", "Doses Wasted",
         "Doses Transferred", "Doses On Hand"], Kind.INVENTORY,
        {"product": "Vaccine Product", "lot": "Lot", "expiration": "Exp Date", "quantity": "Doses Received",
         "remaining": "Doses On Hand"}),
    "vaccine on-hand report": (
        ["Vaccine", "Lot Number", "Expiration Date", "Doses On Hand", "Doses Administered", "Doses Wasted"],
        Kind.INVENTORY,
        {"product": "Vaccine", "lot": "Lot Number", "expiration": "Expiration Date", "quantity": "Doses On Hand"}),
    "immunization log": (
        ["Date", "Patient", "Vaccine", "Lot", "Dose", "Site", "Route", "Administered By", "VIS Date",
         "Dose Number"], Kind.VISITS,
        {"date": "Date", "patient": "Patient", "product": "Vaccine", "lot": "Lot", "quantity": "Dose",
         "provider": "Administered By"}),
    "spanish sales log": (
        ["Fecha", "Producto", "Lote", "Cantidad vendida", "Cliente", "Observaciones"], Kind.VISITS,
        {"date": "Fecha", "product": "Producto", "lot": "Lote", "quantity": "Cantidad vendida", "patient": "Cliente"}),
}


@pytest.mark.parametrize("name", sorted(CRAFTED_TABLES))
def test_a_report_style_table_is_read_with_the_columns_a_person_would_pick(name):
    headers, kind, want = CRAFTED_TABLES[name]
    det = detect_table(RawSheet(file="report.xlsx", sheet="Sheet1", rows=[headers]), Mapping())
    assert det.kind is kind
    assert {f: c.header for f, c in det.columns.items()} == want


# --- lotsync check: honest about doubt --------------------------------------------------

import json  # noqa: E402

from test_cli import lotsync  # noqa: E402


def test_check_shows_field_confidence_and_the_words_that_decided(tmp_path):
    path = write_book(tmp_path / "c.xlsx", {"Receiving": [
        ["Product", "Lot #", "Qty Rcvd", "Amt"], ["Botox", "C1", 100, 612]]})
    p = lotsync("check", path, "--json")
    assert p.returncode == 0, p.stderr
    cols = json.loads(p.stdout)["tables"][0]["columns"]
    assert cols["quantity"]["header"] == "Qty Rcvd" and cols["quantity"]["words"] == ["quantity", "received"]
    assert cols["quantity"]["confidence"] == 1.0 and not cols["quantity"]["weak"]
    assert cols["total_cost"]["header"] == "Amt" and cols["total_cost"]["weak"]  # "amount" only suggests it
    text = lotsync("check", path).stdout
    assert "weak guess" in text and "'Amt'" in text


def test_check_names_the_likeliest_column_for_a_missing_required_field(tmp_path):
    path = write_book(tmp_path / "c.xlsx", {"Receiving": [
        ["Product", "Lot", "Exp", "Boxes"], ["Botox", "C1", EXP1, 2]]})
    p = lotsync("check", path, "--json")
    ignored = json.loads(p.stdout)["ignored"][0]
    assert "no quantity column" in ignored["reason"]
    assert ignored["closest"]["quantity"] == ["Boxes"]


def test_check_writes_a_mapping_that_reconcile_reads_back_and_one_edit_fixes_a_miss(tmp_path):
    path = write_book(tmp_path / "c.xlsx", {
        "Receiving": [["Product", "Lot", "Exp", "Boxes", "Notes"], ["Botox", "C1", EXP1, 2, "ok"]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Units"], [D2, "P1", "Botox", "C1", 1]]})
    m = tmp_path / "mapping.toml"
    p = lotsync("check", path, "--write-mapping", str(m))
    assert p.returncode == 0, p.stderr
    text = m.read_text(encoding="utf-8")
    assert 'sheet = "Treatments"' in text and '"Units" = "quantity"' in text
    # the receiving tab was not read (no quantity column); one edit names it
    text += ('\n[[sheets]]\nfile = "c.xlsx"\nsheet = "Receiving"\nkind = "inventory"\nheader_row = 1\n'
             '[sheets.columns]\n"Boxes" = "quantity"\n')
    m.write_text(text, encoding="utf-8")
    r = reconcile_files([path], mapping=str(m))
    inputs = {i["sheet"]: i for i in report_dict(r)["inputs"]}
    assert inputs["Receiving"]["columns"]["quantity"] == "Boxes"
    assert inputs["Treatments"]["columns"] == {"date": "Date", "patient": "Patient", "product": "Product",
                                               "lot": "Lot", "quantity": "Units"}


def test_a_reconcile_read_on_weak_guesses_says_so_in_one_line(tmp_path):
    path = write_book(tmp_path / "c.xlsx", {"Receiving": [
        ["Product", "Lot", "Qty", "Amt"], ["Botox", "C1", 100, 612]]})
    for extra in ([], ["--verbose"]):  # a log (not a terminal) and the full summary
        p = lotsync("reconcile", path, "--as-of", "2026-06-30", "--out", str(tmp_path / "out"), *extra)
        assert p.returncode in (0, 1), p.stderr
        lines = [l for l in (p.stdout + p.stderr).splitlines() if "weak guesses" in l]
        assert len(lines) == 1 and "'Amt' as total_cost" in lines[0], extra


def test_a_lot_log_named_only_by_its_item_code_reads_the_code_as_the_product_as_a_weak_guess():
    only_code = RawSheet(file="receiving.csv", sheet=None, rows=[
        ["received_date", "sku", "lot_code", "expiry_date", "qty_received"],
        ["2026-01-05", "SKU1001", "L2025-0001", "2027-01-31", "40"]])
    det = detect_table(only_code, Mapping())
    assert det.kind is Kind.INVENTORY and det.columns["product"].header == "sku"
    assert det.readings["product"].weak  # check flags it; reconcile says so in one line
    named = RawSheet(file="receiving.csv", sheet=None, rows=[
        ["Item Code", "Item Name", "Lot", "Expiry", "Qty Received"],
        ["A-1", "Botox 100U", "C3709C3", "2027-01-31", "4"]])
    assert detect_table(named, Mapping()).columns["product"].header == "Item Name"
