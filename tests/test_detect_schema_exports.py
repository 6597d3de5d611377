"""SPEC §1: a practice exported by the systems clinics and suppliers use reconciles as typed.

Issue 9 (detect7): each style is the same clinic's workbook with its columns named as a
published export schema names them (SAP MM technical fields, Dynamics 365 Business Central
pages, a Brazilian database's type-prefixed columns, FHIR/HL7 immunization elements, Odoo
field names); each must give exactly the lots, COGS, totals and finding codes of its
plain-header twin (tests/test_detection_styles.py holds the twins of other styles).
"""

from __future__ import annotations

import pytest

from helpers import reconcile_files, write_book
from lotsync.model import Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import detect_table
from lotsync.tables.mapping import Mapping
from lotsync.writers.json_report import report_dict
from test_detection_styles import COUNTS, D1, EXP1, EXP2, RECEIPTS, VISITS, WASTE, ledger

#: style -> headers for (receiving, visits, waste, count)
STYLES = {
    "plain": (["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost", "Remaining"],
              ["Date", "Patient", "Provider", "Product", "Lot", "Units"],
              ["Date", "Product", "Lot", "Qty", "Type", "Reason"],
              ["Date", "Product", "Lot", "Counted"]),
    # SAP MM: a goods-receipt list (MSEG/MCHB with EKPO's net price), a scrapping list and a
    # physical-inventory list (ISEG), by technical field name; visits from an HL7 RXA export
    "sap_technical_names": (["MAKTX", "CHARG", "VFDAT", "BUDAT", "MENGE", "NETPR", "CLABS"],
                            ["Date/Time Start of Administration", "Patient ID", "Administering Provider",
                             "Product", "Substance Lot Number", "Administered Amount"],
                            ["BUDAT", "MAKTX", "CHARG", "ERFMG", "BWART", "SGTXT"],
                            ["ZLDAT", "MAKTX", "CHARG", "MENGE"]),
    # Dynamics 365 Business Central: item ledger, item journal, physical inventory journal
    "business_central": (["Description", "Lot No.", "Expiration Date", "Posting Date", "Quantity", "Unit Cost",
                          "Remaining Quantity"],
                         ["Posting Date", "Patient No.", "Salesperson Code", "Description", "Lot No.", "Quantity"],
                         ["Posting Date", "Description", "Lot No.", "Quantity", "Entry Type", "Memo"],
                         ["Posting Date", "Description", "Lot No.", "Qty. (Phys. Inventory)"]),
    # a Brazilian clinic database export: every column typed by its prefix
    "type_prefixes": (["nm_produto", "nr_lote", "dt_validade", "dt_recebimento", "qt_recebida", "vl_unitario",
                       "qt_estoque"],
                      ["dt_aplicacao", "nm_paciente", "nm_profissional", "nm_produto", "nr_lote", "qt_dose"],
                      ["dt_movimento", "nm_produto", "nr_lote", "qt_movimento", "tp_movimento", "ds_motivo"],
                      ["dt_contagem", "nm_produto", "nr_lote", "qt_contada"]),
    # Odoo stock moves and quants by field name; visits as a FHIR Immunization export flattened
    "odoo_and_fhir": (["product_id", "lot_id", "expiration_date", "in_date", "quantity", "price_unit",
                       "available_quantity"],
                      ["occurrenceDateTime", "patient", "performer", "vaccineCode.text", "lotNumber",
                       "doseQuantity.value"],
                      ["date", "product_id", "lot_id", "quantity", "move_type", "note"],
                      ["inventory_date", "product_id", "lot_id", "inventory_quantity"]),
    # beyond the six languages: an Indonesian pharmacy's sheets, a Russian and a Japanese clinic's
    "indonesian": (["Nama Barang", "No Batch", "Tanggal Kadaluarsa", "Tanggal Masuk", "Jumlah Masuk", "Harga Beli",
                    "Sisa Stok"],
                   ["Tanggal", "Nama Pasien", "Dokter", "Nama Obat", "No Batch", "Jumlah Pemakaian"],
                   ["Tanggal", "Nama Barang", "No Batch", "Jumlah", "Jenis", "Alasan"],
                   ["Tanggal Opname", "Nama Barang", "No Batch", "Stok Fisik"]),
    "russian": (["Наименование", "Серия", "Срок годности", "Дата поступления", "Количество", "Цена за единицу",
                 "Остаток"],
                ["Дата", "Пациент", "Врач", "Препарат", "Серия", "Расход"],
                ["Дата", "Товар", "Серия", "Количество", "Тип операции", "Причина"],
                ["Дата инвентаризации", "Товар", "Серия", "Фактическое количество"]),
    "japanese": (["品名", "ロット番号", "使用期限", "入荷日", "入荷数", "単価", "在庫数"],
                 ["施術日", "患者名", "医師", "品名", "ロット番号", "使用数"],
                 ["日付", "品名", "ロット番号", "数量", "区分", "理由"],
                 ["棚卸日", "品名", "ロット番号", "実棚数"]),
}


def _book(tmp_path, style: str) -> str:
    rec, vis, waste, count = STYLES[style]
    return write_book(tmp_path / f"{style}.xlsx", {
        "Receiving": [rec, *map(list, RECEIPTS)], "Treatments": [vis, *map(list, VISITS)],
        "Waste": [waste, *map(list, WASTE)], "Count": [count, *map(list, COUNTS)]})


@pytest.mark.parametrize("style", [s for s in STYLES if s != "plain"])
def test_a_workbook_exported_with_a_published_schemas_names_reconciles_like_its_plain_twin(tmp_path, style):
    plain = reconcile_files([_book(tmp_path, "plain")])
    styled = reconcile_files([_book(tmp_path, style)])
    kinds = {i["sheet"]: i["kind"] for i in report_dict(styled)["inputs"]}
    assert kinds == {"Receiving": "inventory", "Treatments": "visits", "Waste": "adjustments", "Count": "counts"}
    assert ledger(styled) == ledger(plain)


def test_an_sap_batch_stock_export_is_a_stock_sheet_read_by_its_field_names():
    """MCHB by technical name (material, plant, storage location, batch, unrestricted stock)
    with MCHA's expiry and MAKT's description: a stock sheet whose unrestricted stock is the
    opening quantity, the plant the location, the material number left unread (a code)."""
    rows = [["MATNR", "MAKTX", "WERKS", "LGORT", "CHARG", "VFDAT", "CLABS", "MEINS"],
            ["100234", "Botox 100U", "1000", "0001", "C3709C3", EXP1, 150, "U"],
            ["100871", "Juvederm Ultra", "1000", "0001", "JU8821", EXP2, 7, "SYR"],
            ["100234", "Botox 100U", "1000", "0002", "C3710A1", EXP2, 40, "U"]]
    det = detect_table(RawSheet(file="mchb.xlsx", sheet="Sheet1", rows=rows), Mapping())
    assert det.kind is Kind.INVENTORY
    got = {f: c.header for f, c in det.columns.items()}
    assert got["product"] == "MAKTX" and got["lot"] == "CHARG" and got["expiration"] == "VFDAT"
    assert got["quantity"] == "CLABS" and got["unit"] == "MEINS"
    assert got["location"] in {"WERKS", "LGORT"}
    assert "MATNR" not in got.values()


def test_a_flag_prefixed_column_is_no_field_even_when_its_noun_is_one():
    """`fl_vencido` ("expired?") beside `dt_validade`: the flag is not the expiration."""
    rows = [["nm_produto", "nr_lote", "fl_vencido", "dt_validade", "qt_recebida", "dt_recebimento"],
            ["Botox 100U", "C3709C3", "N", EXP1, 200, D1], ["Juvederm Ultra", "JU8821", "N", EXP2, 10, D1],
            ["Botox 100U", "C3710A1", "S", EXP1, 50, D1]]
    det = detect_table(RawSheet(file="entrada.xlsx", sheet="entrada", rows=rows), Mapping())
    assert det.kind is Kind.INVENTORY
    assert det.columns["expiration"].header == "dt_validade"
    assert "fl_vencido" not in {c.header for c in det.columns.values()}


@pytest.mark.parametrize("stamp", ["Date/Time", "Date / Time", "DateTime"])
def test_a_receiving_log_stamped_date_time_dates_its_receipts(tmp_path, stamp):
    """`Date/Time` (one moment, the date: words.rewrite_header) on a receiving log is the
    receipt date, as a bare `Date` is there: a treatment before it is used before receipt."""
    from datetime import date
    path = write_book(tmp_path / "clinic.xlsx", {
        "Sheet1": [["Product", "Lot", "Expiration", stamp, "Qty", "Unit Cost"],
                   ["Botox 100U", "C3709C3", EXP1, date(2026, 1, 20), 200, 5]],
        "Sheet2": [["Date", "Patient", "Provider", "Product", "Lot", "Units"],
                   [date(2026, 1, 10), "Jane Roe", "Dr Lee", "Botox 100U", "C3709C3", 20]]})
    result = reconcile_files([path])
    assert [l.received_date for l in result.lots] == [date(2026, 1, 20)]
    assert "USE_BEFORE_RECEIPT" in {f.code for f in result.findings}


@pytest.mark.parametrize("provider", ["Provider", "Prov"])
def test_a_usage_log_by_provider_without_a_patient_column_is_read_as_visits_not_receipts(tmp_path, provider):
    """`Date | Provider | Product | Lot # | Qty` on an unnamed tab: what each provider used.
    On a receiving log the provider is not the supplier, so this never reads as receipts
    (every use booked as stock coming in)."""
    from datetime import date
    path = write_book(tmp_path / "clinic.xlsx", {
        "Sheet1": [["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"],
                   ["Botox 100U", "C3709C3", EXP1, date(2026, 1, 5), 200, 5]],
        "Sheet2": [["Date", provider, "Product", "Lot #", "Qty"],
                   [date(2026, 2, 2), "Dr Lee", "Botox 100U", "C3709C3", 20],
                   [date(2026, 2, 9), "Kim RN", "Botox 100U", "C3709C3", 10]]})
    result = reconcile_files([path])
    kinds = {i["sheet"]: i["kind"] for i in report_dict(result)["inputs"]}
    assert kinds == {"Sheet1": "inventory", "Sheet2": "visits"}
    assert [l.received for l in result.lots] == [200]


@pytest.mark.parametrize("par", ["Par Vials", "Par Boxes", "Par Syringes"])
def test_a_catalogs_par_level_in_packages_is_not_its_units_per_package(par):
    """An English catalog's `Par Vials` is the stock kept (a par level, in vials), never the
    units one vial holds: only after a word is French `par` / Spanish `por` "per"
    (`Unités par boîte`, `Unidades por caja`)."""
    rows = [["Product", "Category", "Unit", par, "Cost Per Unit"],
            ["Botox 100U", "Neurotoxin", "units", 3, 5.6], ["Juvederm Ultra XC", "Filler", "syringe", 6, 310]]
    det = detect_table(RawSheet(file="catalog.xlsx", sheet="Products", rows=rows), Mapping())
    assert det.kind is Kind.PRODUCTS
    assert "units_per_package" not in det.columns
    units = [["Product", "Unit", "Unidades por caja"], ["Botox 100U", "units", 100]]
    det = detect_table(RawSheet(file="catalogo.xlsx", sheet="Productos", rows=units), Mapping())
    assert det.columns["units_per_package"].header == "Unidades por caja"


@pytest.mark.parametrize("par", ["Par Level", "Par", "Par Qty"])
def test_a_waste_logs_par_level_is_not_who_logged_it(par):
    """A clinic's waste log that carries each product's par level: French `par` is "by" only
    after a word (`Saisi par`); a header that starts with `Par` is the stock kept, not the
    person who logged the waste."""
    from datetime import date
    rows = [["Date", "Product", "Lot #", "Type", "Qty", par],
            [date(2026, 2, 15), "Botox 100U", "C3709C3", "waste", 10, 4]]
    det = detect_table(RawSheet(file="clinic.xlsx", sheet="Waste", rows=rows), Mapping())
    assert det.kind is Kind.ADJUSTMENTS
    assert par not in {c.header for c in det.columns.values()}
    assert "staff" not in det.columns
    french = [["Date", "Produit", "Lot", "Type", "Qté", "Saisi par"],
              [date(2026, 2, 15), "Botox 100U", "C3709C3", "perte", 10, "Kim"]]
    det = detect_table(RawSheet(file="clinique.xlsx", sheet="Pertes", rows=french), Mapping())
    assert det.columns["staff"].header == "Saisi par"


@pytest.mark.parametrize("adjusted", ["Adjust Qty By", "Adjust Qty. By", "Adjustment Qty", "Qty Adjusted"])
def test_an_adjustment_log_without_a_type_column_is_never_booked_as_visits_or_receipts(adjusted):
    """`Date | Product | Lot # | Adjust Qty By | Reason | Staff` (NetSuite's adjustment
    import, or a clinic's own): a quantity adjusted is not a dose given nor stock received.
    Without a type column the sheet is left out with its note, as a `Qty Wasted` log is."""
    from datetime import date
    rows = [["Date", "Product", "Lot #", adjusted, "Reason", "Staff"],
            [date(2026, 2, 15), "Botox 100U", "C3709C3", -10, "Dropped vial", "Kim"],
            [date(2026, 3, 5), "Juvederm Ultra", "JU8821", -1, "Expired", "Kim"]]
    det = detect_table(RawSheet(file="clinic.xlsx", sheet="Sheet1", rows=rows), Mapping())
    assert det.kind is None
