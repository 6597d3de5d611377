"""Detection rules of issue 9's detect10 pass (docs/RULES.md, "Detection, the seventh blind
set's classes"): each a class a person states in one sentence, shown on sheets written here
in wordings of the class, not the seventh set's own tables, read through detection as a
reconcile reads them (values confirm or veto)."""

from __future__ import annotations

import datetime as dt

from lotsync.model import Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import read_column, read_columns

from helpers import columns_by_field, detect_rows, lot_of, reconcile_files, write_book

D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 9)
EXP = dt.date(2026, 12, 31)


def field_of(header: str, kind: Kind) -> str | None:
    g = read_column(header, kind, count_table=True)
    return g.field if g else None


# --- a plan is not the event ------------------------------------------------------------------

def test_a_service_history_is_dated_by_the_date_done_not_the_date_scheduled():
    det = detect_rows([["Fecha Programada", "Fecha Realizado", "Paciente", "Producto", "Lote", "Cantidad"],
                       [D1, D2, "A. Pérez", "Botox", "C3709C3", 20]])
    cols = columns_by_field(det)
    assert det.kind is Kind.VISITS
    assert cols["date"] == "Fecha Realizado"
    assert "Fecha Realizado" not in (cols.get("provider"), cols.get("staff"))  # a date is never who


def test_a_scheduled_or_planned_delivery_date_is_not_the_receipt_date():
    for header in ("Scheduled Delivery Date", "Planned Delivery Date", "Fecha de entrega programada"):
        det = detect_rows([["Product", "Lot", "Qty Received", "Expiration", header],
                           ["Botox", "C3709C3", 100, EXP, D1]])
        assert det.kind is Kind.INVENTORY, header
        assert "received_date" not in columns_by_field(det), header


def test_when_a_delivery_was_recorded_is_not_when_it_arrived():
    assert field_of("Delivery Recorded Date", Kind.INVENTORY) is None


# --- count-sheet helpers and planning columns name no field ------------------------------------

def test_a_counts_final_figure_is_what_was_counted_not_the_gap_beside_it():
    det = detect_rows([["Count Date", "Product", "Lot", "gap_qty", "finalQuantity"],
                       [D1, "Botox", "C3709C3", -2, 48]], sheet="Stock count")
    assert det.kind is Kind.COUNTS
    assert columns_by_field(det)["counted"] == "finalQuantity"


def test_a_containers_tare_is_never_what_was_counted():
    for header in ("tara_kg", "Tare (g)", "Tare weight"):
        assert field_of(header, Kind.COUNTS) is None, header


def test_a_suppliers_lead_time_and_a_reorder_threshold_name_no_field():
    det = detect_rows([["Product", "Lot", "Qty Received", "Expiration", "supplier_lead_days",
                        "reorder_threshold_units", "Reorder threshold"],
                       ["Botox", "C3709C3", 100, EXP, 7, 20, 20]])
    cols = columns_by_field(det)
    assert det.kind is Kind.INVENTORY
    assert "supplier" not in cols and "unit" not in cols
    assert cols["quantity"] == "Qty Received"
    assert field_of("Vendor INCO Term", Kind.INVENTORY) is None  # a supplier's terms, not the supplier


# --- words a clinic writes for fields ----------------------------------------------------------

def test_the_date_goods_were_bought_is_their_receipt_date():
    det = detect_rows([["producto", "lote", "cantidad", "vencimiento", "fecha comprado"],
                       ["Botox", "C3709C3", 100, EXP, D1]])
    assert det.kind is Kind.INVENTORY
    assert columns_by_field(det)["received_date"] == "fecha comprado"


def test_who_sold_the_treatment_is_its_provider():
    det = detect_rows([["fecha", "paciente", "producto", "lote", "unidades", "vendido por"],
                       [D1, "A. Pérez", "Botox", "C3709C3", 20, "Dra. Ruiz"]])
    assert det.kind is Kind.VISITS
    assert columns_by_field(det)["provider"] == "vendido por"


def test_a_lone_un_is_the_unit_but_un_inside_a_phrase_is_an_article():
    assert field_of("UN.", Kind.INVENTORY) == "unit"
    assert field_of("UN", Kind.INVENTORY) == "unit"
    assert field_of("Prix d'un flacon", Kind.INVENTORY) != "unit"


def test_a_delivery_note_or_shipping_notice_number_is_the_invoice():
    for header in ("ASN/DN #", "DN Number", "DN No."):
        assert field_of(header, Kind.INVENTORY) == "invoice", header


def test_a_difference_on_an_adjustment_log_is_the_quantity_adjusted():
    det = detect_rows([["Date", "Product", "Lot", "Type", "oldQty", "newQty", "difference"],
                       [D1, "Botox", "C3709C3", "correction", 50, 48, -2]])
    assert det.kind is Kind.ADJUSTMENTS
    assert columns_by_field(det)["quantity"] == "difference"
    # on a count sheet the same word is derived, never what was counted
    assert field_of("difference", Kind.COUNTS) is None


def test_a_suppliers_record_id_is_the_supplier_where_no_column_names_it(tmp_path):
    det = detect_rows([["Produto", "Lote", "Quantidade", "Validade", "FornecedorID"],
                       ["Botox", "C3709C3", 100, EXP, "F-0042"]])
    assert columns_by_field(det)["supplier"] == "FornecedorID"
    named = detect_rows([["Produto", "Lote", "Quantidade", "Validade", "FornecedorID", "Fornecedor"],
                         ["Botox", "C3709C3", 100, EXP, "F-0042", "Allergan"]])
    assert columns_by_field(named)["supplier"] == "Fornecedor"  # the name beats its id
    coded = detect_rows([["Product", "Lot", "Qty Received", "Expiration", "SupplierCode"],
                         ["Botox", "C3709C3", 100, EXP, "ALG"]])
    assert "supplier" not in columns_by_field(coded)  # a code of the practice's own list stays unread
    # and the receipt it dated is booked from that sheet as from any other
    book = write_book(tmp_path / "estoque.xlsx", {"Entradas": [
        ["Produto", "Lote", "Quantidade", "Validade", "FornecedorID"], ["Botox", "C3709C3", 100, EXP, "F-0042"]]})
    assert lot_of(reconcile_files([book]), "C3709C3").received == 100


# --- another system's copy of a field is not the field -----------------------------------------

def test_a_search_engine_or_marketplace_copy_is_not_the_product_or_its_category():
    # a store's product export, read as the catalog it is (its own title and type elsewhere)
    sheet = RawSheet(file="products_export.csv", sheet=None, rows=[
        ["Handle", "SEO Title", "Google Shopping / Google Product Category", "Google Shopping / Custom Product",
         "Variant Fulfillment Service"]])
    assert read_columns(sheet, Kind.PRODUCTS) == {}
    assert field_of("MARKETINGCATEGORYNAME", Kind.PRODUCTS) is None
    assert field_of("Product Category", Kind.PRODUCTS) == "category"


# --- words of the languages a stock movement or drawer report is written in --------------------

def test_a_german_movement_export_reads_when_and_by_whom_it_was_booked():
    det = detect_rows([["Gebucht am", "Bewegungsart", "Gegenstand", "Charge", "Menge", "Werk", "Gebucht von"],
                       [D1, "Verlust", "Botox", "C3709C3", 2, "Praxis Mitte", "K. Braun"]])
    cols = columns_by_field(det)
    assert det.kind is Kind.ADJUSTMENTS
    assert cols["date"] == "Gebucht am" and cols["staff"] == "Gebucht von"
    assert cols["product"] == "Gegenstand" and cols["location"] == "Werk"
    assert field_of("Verabreicht am", Kind.VISITS) == "date"  # administered on: the date, not who


def test_a_drawer_holds_stock_as_a_bin_does():
    det = detect_rows([["Medicinale", "Lotto", "Scadenza", "Quantità", "Cassetto"],
                       ["Botox", "C3709C3", EXP, 4, "B2"]])
    cols = columns_by_field(det)
    assert det.kind is Kind.INVENTORY
    assert cols["product"] == "Medicinale" and cols["location"] == "Cassetto"
    assert field_of("Cajón", Kind.INVENTORY) == "location"


def test_a_vaccination_record_names_its_vaccine_by_type_unless_a_name_column_is_there():
    det = detect_rows([["Data", "Paciente", "Tipo Vacina", "Lote", "Quantidade"],
                       [D1, "A. Souza", "Influenza", "FL123", 1]])
    assert columns_by_field(det)["product"] == "Tipo Vacina"
    named = detect_rows([["Date", "Patient", "Vaccine Type", "Vaccine Name", "Lot", "Doses"],
                         [D1, "A. Smith", "FLU4", "Fluzone Quadrivalent", "FL123", 1]])
    assert columns_by_field(named)["product"] == "Vaccine Name"


# --- what a column is about decides, not a word it shares with a field ------------------------

def test_where_a_product_was_made_is_not_where_it_is_stocked():
    det = detect_rows([["Item Description", "Lot", "Line Item Quantity", "Manufacturing Site", "Warehouse"],
                       ["Botox", "C3709C3", 100, "Westport, IE", "Main"]])
    assert columns_by_field(det)["location"] == "Warehouse"
    assert field_of("Manufacturing Site", Kind.INVENTORY) is None


def test_a_lines_value_is_its_total_cost_never_the_product():
    assert field_of("Line Item Value", Kind.INVENTORY) == "total_cost"
    assert field_of("Item Value", Kind.INVENTORY) != "product"
    assert field_of("PROPRIETARYNAMESUFFIX", Kind.PRODUCTS) is None  # part of a name, not the name


def test_a_pos_sales_export_reads_its_transaction_id_and_net_sales():
    det = detect_rows([["Date", "Transaction ID", "Item", "Qty", "Price Point Name", "Gross Sales", "Net Sales"],
                       [D1, "TX-9", "Botox", 20, "Per unit", 300, 280]])
    cols = columns_by_field(det)
    assert det.kind is Kind.VISITS
    assert cols["visit_id"] == "Transaction ID" and cols["price"] == "Net Sales"
    assert field_of("Price Point Name", Kind.VISITS) is None  # a name is never an amount


def test_a_number_of_days_is_never_a_date():
    for header in ("Dias Entrega", "Delivery Days", "Days to delivery"):
        assert field_of(header, Kind.INVENTORY) is None, header


def test_an_adjustments_number_identifies_it_and_is_no_type():
    det = detect_rows([["Adjustment No", "Date", "Product", "Lot", "Reason", "Quantity", "Adjustment Type"],
                       ["ADJ-1", D1, "Botox", "C3709C3", "broken vial", -2, "waste"]])
    assert columns_by_field(det)["type"] == "Adjustment Type"
    assert field_of("Adjustment No", Kind.ADJUSTMENTS) is None


def test_a_storage_locator_is_the_location_and_a_commodity_the_product():
    assert field_of("CÓDIGO LOCALIZADOR", Kind.COUNTS) == "location"
    assert field_of("Locator", Kind.INVENTORY) == "location"
    assert field_of("commodityName", Kind.COUNTS) == "product"
    assert field_of("Commodity_Code", Kind.PRODUCTS) is None  # its code stays a code


def test_an_active_ingredients_unit_is_not_the_products_unit():
    assert field_of("ACTIVE_INGRED_UNIT", Kind.PRODUCTS) is None
    assert field_of("Ingredient Unit", Kind.PRODUCTS) is None
