"""SPEC §1: columns named as the systems clinics and suppliers export them are read.

Issue 9, detect7: instead of tuning to the misses of a spent corpus set, the vocabulary was
widened from the published export schemas a person would consult for any clinic's or
supplier's sheet (ERP and stock systems, commerce/POS, vaccine and health standards), the
key nouns and qualifiers of every field in six languages with their abbreviations, and the
type prefixes and suffixes exports put on a column name (`dt_`, `qt_`, `vl_`, `cd_`, `nm_`,
`nr_`, `fl_`; `_dt`, `_qty`, `_cd`, `_nm`, `_flag`, `_yn`; Access's `str`, `int`, `cur`, `dte`,
`bln` before a capital). Each probe is spelled as the source
documents the field (the source is named above each group) and labelled with the field a
careful bookkeeper would read it as in that kind of table; `None` means it names nothing
lotsync reads there (a code, a manufacture date, a reorder level, a flag).

These are NOT a blind measure: they were written while widening the vocabulary. The blind
measure is the sixth corpus set, measured once by the lead after this work lands.
"""

from __future__ import annotations

import pytest

from lotsync.model import Kind
from lotsync.tables.detect import read_column

I, V, A, C, P = Kind.INVENTORY, Kind.VISITS, Kind.ADJUSTMENTS, Kind.COUNTS, Kind.PRODUCTS

#: SAP MM/WM: the technical field names of a goods-movement or batch-stock export (tables
#: MSEG, MKPF, MCHB, MCHA; help.sap.com "Goods Movement Data"; BAPI_GOODSMVT_CREATE item
#: fields), and the column headings SAP's list reports (MB51, MMBE, MIGO) print for them.
SAP = [
    ("MAKTX", I, "product"), ("MATNR", I, None), ("CHARG", I, "lot"), ("CHARG", V, "lot"),
    ("CHARG", A, "lot"), ("CHARG", C, "lot"), ("VFDAT", I, "expiration"), ("HSDAT", I, None),
    ("MENGE", I, "quantity"), ("ERFMG", A, "quantity"), ("MEINS", I, "unit"), ("ERFME", A, "unit"),
    ("WERKS", I, "location"), ("LGORT", I, "location"), ("LGORT", C, "location"), ("BUDAT", A, "date"),
    ("BUDAT", I, "received_date"), ("BLDAT", A, None), ("LIFNR", I, "supplier"), ("BWART", A, "type"),
    ("MBLNR", I, "invoice"), ("EBELN", I, "invoice"), ("XBLNR", I, "invoice"), ("SGTXT", A, "reason"),
    ("DMBTR", I, "total_cost"), ("CLABS", I, "remaining"), ("KOSTL", A, None), ("SHKZG", A, None),
    ("WAERS", I, None), 
    ("Material", I, "product"), ("Material Description", I, "product"), ("Plnt", I, "location"),
    ("SLoc", I, "location"), ("MvT", A, "type"), ("Pstng Date", A, "date"), ("Posting Date", I, "received_date"),
    ("Qty in UnE", A, "quantity"), ("EUn", A, "unit"),
    ("BUn", I, "unit"), ("Base Unit of Measure", I, "unit"), ("Amount in LC", I, "total_cost"),
    ("Mat. Doc.", I, "invoice"), ("Material Document", I, "invoice"), ("SLED/BBD", I, "expiration"),
    ("Shelf Life Exp. Date", I, "expiration"), ("Unrestricted", I, "remaining"), ("Storage Location", A, "location"),
    ("Movement Type", A, "type"), ("Vendor", I, "supplier"), ("Doc. Date", A, None),
]

#: Odoo: stock.quant, stock.lot and stock.move.line, by technical name (an export with
#: "I want to update data" ticked) and by label.
ODOO = [
    ("product_id", I, "product"), ("lot_id", I, "lot"), ("lot_name", I, "lot"), ("Lot/Serial Number", I, "lot"),
    ("location_id", A, "location"), ("location_dest_id", A, "to_location"), ("quantity", A, "quantity"),
    ("inventory_quantity", C, "counted"), ("Counted Quantity", C, "counted"), ("inventory_date", C, "date"),
    ("inventory_diff_quantity", C, None), ("reserved_quantity", I, None), ("available_quantity", I, "remaining"),
    ("expiration_date", I, "expiration"), ("removal_date", I, None), ("alert_date", I, None),
    ("product_uom_id", I, "unit"), ("in_date", I, "received_date"), ("Incoming Date", I, "received_date"),
    ("user_id", A, "staff"), ("On Hand Quantity", I, "remaining"), ("Destination Location", A, "to_location"),
    ("Source Location", A, "location"), ("Unit of Measure", I, "unit"),
]

#: NetSuite (inventory adjustment CSV import, item saved searches), Dynamics 365 Business
#: Central (item ledger entries API and pages, learn.microsoft.com) and Finance & Operations
#: (InventBatch / InventDim entities).
NETSUITE_DYNAMICS = [
    ("Inventory Number", I, "lot"), ("Bin", I, "location"), ("On Hand", I, "remaining"),
    ("Available", I, "remaining"), ("Memo", A, "reason"), ("Adjust Qty. By", A, "quantity"),
    ("Adjust Quantity By", A, "quantity"), ("Est. Unit Cost", I, "unit_cost"),
    ("postingDate", A, "date"), ("entryType", A, "type"), ("documentNo", I, "invoice"), ("itemNo", I, None),
    ("locationCode", A, "location"), ("lotNo", A, "lot"), ("serialNo", A, None), ("expirationDate", I, "expiration"),
    ("unitOfMeasureCode", I, "unit"), ("Unit of Measure Code", I, "unit"), ("remainingQuantity", I, "remaining"),
    ("costAmountActual", I, "total_cost"), ("Cost Amount (Actual)", I, "total_cost"), ("Item No.", I, None),
    ("Lot No.", I, "lot"), ("Bin Code", I, "location"), ("Document No.", I, "invoice"), ("Entry Type", A, "type"),
    ("Variant Code", I, None), ("Qty. per Unit of Measure", P, "units_per_package"),
    ("inventBatchId", I, "lot"), ("expDate", I, "expiration"), ("prodDate", I, None),
]

#: Zoho Inventory (batches API and item import), QuickBooks (IIF INVITEM columns, item list),
#: Xero (inventory items template).
ZOHO_QB_XERO = [
    ("batch_number", I, "lot"), ("manufacturer_batch_number", I, "lot"), ("manufactured_date", I, None),
    ("expiry_date", I, "expiration"), ("in_quantity", I, "quantity"), ("balance_quantity", I, "remaining"),
    ("Purchase Rate", I, "unit_cost"), ("Opening Stock", I, "quantity"), ("Opening Stock Value", I, "total_cost"),
    ("Stock On Hand", I, "remaining"), ("Reorder Level", I, None), ("Warehouse Name", I, "location"),
    ("PURCHASEDESC", I, "product"), ("COST", I, "unit_cost"), ("QNTY", I, "quantity"),
    ("REORDERPOINT", I, None), ("PREFVEND", I, "supplier"), ("Preferred Vendor", I, "supplier"),
    ("U/M", I, "unit"), ("Inventory Site", I, "location"), ("ItemName", P, "product"),
    ("PurchasesUnitPrice", I, "unit_cost"), ("SalesUnitPrice", I, None), ("QuantityOnHand", I, "remaining"),
    ("TotalValue", I, "total_cost"), ("ItemCode", P, None),
]

#: Commerce and POS: Shopify inventory and product CSVs, Square item library export,
#: Lightspeed Retail item export and Lightspeed X-Series (Vend) product CSV.
COMMERCE = [
    ("Handle", P, None), ("Title", P, "product"), ("Incoming", I, None), ("Unavailable", I, None),
    ("Committed", I, None), ("On hand", I, "remaining"), ("Variant Inventory Qty", I, "quantity"),
    ("Cost per item", I, "unit_cost"), ("Product Category", P, "category"), ("Variant SKU", P, None),
    ("Option1 Value", P, None), ("Item Name", P, "product"), ("Variation Name", P, None),
    ("Current Quantity Main Street", I, "remaining"),
    ("Stock Alert Count", I, None), ("Default Unit Cost", I, "unit_cost"), ("Default Vendor Name", I, "supplier"),
    ("Default Vendor Code", I, None), ("Unit and Precision", P, "unit"), ("Token", P, None),
    ("System ID", P, None), ("EAN", P, None), ("Manufact. SKU", P, None), ("Avg. Cost", I, "unit_cost"),
    ("Default Cost", I, "unit_cost"), ("supply_price", I, "unit_cost"), ("retail_price", I, None),
    ("supplier_name", I, "supplier"), ("supplier_code", I, None), ("reorder_point", I, None),
    ("restock_level", I, None), ("brand_name", P, "product"),
]

#: Vaccine and health standards: HL7 v2.5.1 RXA field names (Pharmacy/Treatment
#: Administration; the v2-to-FHIR ConceptMap), FHIR Immunization / MedicationAdministration /
#: MedicationDispense elements and their flattened paths, the CDC COVID-19 Vaccination
#: Reporting Specification (CVRS) extract columns, GS1 application identifier titles, FDA
#: GUDID (UDI) attributes.
HEALTH = [
    ("Date/Time Start of Administration", V, "date"), ("Administered Code", V, None),
    ("Administered Amount", V, "quantity"), ("Administered Dosage Form", V, None),
    ("Administering Provider", V, "provider"), ("Administered-at Location", V, "location"),
    ("Substance Lot Number", V, "lot"), ("Substance Expiration Date", I, "expiration"),
    ("Substance Manufacturer Name", V, None), ("Administration Notes", V, None),
    ("Completion Status", V, None), ("System Entry Date/Time", V, None),
    ("occurrenceDateTime", V, "date"), ("lotNumber", V, "lot"), ("doseQuantity", V, "quantity"),
    ("doseQuantity.value", V, "quantity"), ("doseQuantity.unit", V, "unit"), ("vaccineCode.text", V, "product"),
    ("expirationDate", I, "expiration"), ("effectiveDateTime", V, "date"), ("dosage.dose.value", V, "quantity"),
    ("medicationCodeableConcept.text", V, "product"), ("quantity.value", V, "quantity"), ("daysSupply", V, None),
    ("vax_event_id", V, "visit_id"), ("recip_id", V, "patient"), ("recip_first_name", V, "patient"),
    ("recip_dob", V, None), ("recip_address_zip", V, None), ("admin_date", V, "date"), ("cvx", V, None),
    ("mvx", V, None), ("ndc", V, None), ("lot_number", V, "lot"), ("vax_admin_site", V, None),
    ("vax_route", V, None), ("dose_num", V, None), ("vax_prov_suffix", V, None), ("vax_refusal", V, None),
    ("BATCH/LOT", I, "lot"), ("USE BY or EXPIRY", I, "expiration"), ("BEST BEFORE or BEST BY", I, "expiration"),
    ("SERIAL", I, None), ("GTIN", I, None), ("Lot or Batch Number", I, "lot"), ("Primary DI", P, None),
    ("Device Description", P, "product"),
]

#: The key nouns and qualifiers of every field, as headers write them with their usual
#: abbreviations, in Spanish, Portuguese, French, German, Italian and Dutch.
LANGUAGES = [
    # Spanish
    ("Cant. Recibida", I, "quantity"), ("Cant. Usada", V, "quantity"), ("Cant. Contada", C, "counted"),
    ("Existencia Física", C, "counted"), ("Fecha de Conteo", C, "date"), ("Costo Unit.", I, "unit_cost"),
    ("Ubic.", I, "location"), ("Lote Nro.", I, "lot"), ("F. Vto.", I, "expiration"),
    ("Fec. Recep.", I, "received_date"), ("Cant. Disponible", I, "remaining"), ("Stock Disponible", I, "remaining"),
    ("Saldo Actual", I, "remaining"), ("Motivo del Ajuste", A, "reason"), ("Tipo de Movimiento", A, "type"),
    ("Usuario", A, "staff"), ("Unid. Medida", I, "unit"), ("Precio Unit.", I, "unit_cost"),
    ("Fecha Caduc.", I, "expiration"), ("Fecha Venc.", I, "expiration"), ("Nro. Lote", I, "lot"),
    ("Cód. Producto", I, None), ("Desc. Producto", I, "product"), ("Cant. Aplicada", V, "quantity"),
    ("Unid. Aplicadas", V, "quantity"), ("Dosis Aplicadas", V, "quantity"), ("Fecha de Aplicación", V, "date"),
    ("Almacén Destino", A, "to_location"), ("Almacén Origen", A, "location"),
    # Portuguese
    ("Qtd. Recebida", I, "quantity"), ("Qtde Utilizada", V, "quantity"), ("Qtd Contada", C, "counted"),
    ("Estoque Atual", I, "remaining"), ("Saldo em Estoque", I, "remaining"), ("Dt. Validade", I, "expiration"),
    ("Dt. Recebimento", I, "received_date"), ("Data da Contagem", C, "date"), ("Vlr. Unitário", I, "unit_cost"),
    ("Valor Unitário", I, "unit_cost"), ("Valor Total", I, "total_cost"), ("Custo Unit.", I, "unit_cost"),
    ("Nº NF", I, "invoice"), ("Nota Fiscal", I, "invoice"), ("Local de Armazenamento", I, "location"),
    ("Tipo de Movimentação", A, "type"), ("Responsável", A, "staff"), ("Unidade de Medida", I, "unit"),
    ("Descrição do Produto", I, "product"), ("Lote/Série", I, "lot"), ("Quantidade Aplicada", V, "quantity"),
    ("Data de Fabricação", I, None), ("Estoque Mínimo", I, None),
    # French
    ("Qté utilisée", V, "quantity"), ("Qté comptée", C, "counted"), ("Qté en stock", I, "remaining"),
    ("Stock dispo", I, "remaining"), ("Date de comptage", C, "date"), ("Date d'expiration", I, "expiration"),
    ("Date limite d'utilisation", I, "expiration"), ("DLUO", I, "expiration"), ("PU HT", I, "unit_cost"),
    ("Prix unit. HT", I, "unit_cost"), ("Opérateur", A, "staff"), ("Unité de mesure", I, "unit"),
    ("Lot/Série", I, "lot"), ("Quantité administrée", V, "quantity"), ("Date de fabrication", I, None),
    ("Dépôt de destination", A, "to_location"),
    # German
    ("Menge erhalten", I, "quantity"), ("Verbrauchte Menge", V, "quantity"), ("Gezählte Menge", C, "counted"),
    ("Zählmenge", C, "counted"), ("Istbestand", C, "counted"), ("Sollbestand", C, None), ("Lagerbestand", I, "remaining"),
    ("Eingangsdatum", I, "received_date"), ("Lieferdatum", I, "received_date"), ("Zähldatum", C, "date"),
    ("Inventurdatum", C, "date"), ("Einzelpreis", I, "unit_cost"), ("EK-Preis", I, "unit_cost"),
    ("Stückpreis", I, "unit_cost"), ("Gesamtpreis", I, "total_cost"), ("Buchungsart", A, "type"),
    ("Buchungsdatum", A, "date"), ("ME", I, "unit"), ("Artikelbezeichnung", I, "product"),
    ("Lieferscheinnummer", I, "invoice"), ("Rechnungsnr.", I, "invoice"), ("Herstelldatum", I, None),
    ("Mindestbestand", I, None),
    # Italian
    ("Qtà ricevuta", I, "quantity"), ("Q.tà utilizzata", V, "quantity"), ("Quantità contata", C, "counted"),
    ("Giacenza attuale", I, "remaining"), ("Data di scadenza", I, "expiration"), ("Data ricevimento", I, "received_date"),
    ("Data inventario", C, "date"), ("Prezzo unitario", I, "unit_cost"), ("Costo unitario", I, "unit_cost"),
    ("Tipo movimento", A, "type"), ("UM", I, "unit"), ("Descrizione articolo", I, "product"),
    ("N. lotto", I, "lot"), ("Quantità somministrata", V, "quantity"), ("Data conteggio", C, "date"),
    ("Data di produzione", I, None), ("Scorta minima", I, None),
    # Dutch
    ("Ontvangen aantal", I, "quantity"), ("Gebruikt aantal", V, "quantity"), ("Geteld aantal", C, "counted"),
    ("Huidige voorraad", I, "remaining"), ("Vervaldatum", I, "expiration"), ("Ontvangstdatum", I, "received_date"),
    ("Telling datum", C, "date"), ("Inkoopprijs", I, "unit_cost"), ("Prijs per stuk", I, "unit_cost"),
    ("Kostprijs", I, "unit_cost"), ("Mutatiesoort", A, "type"), ("Gebruiker", A, "staff"),
    ("Lotnummer", I, "lot"), ("Batchnummer", I, "lot"), ("Aantal toegediend", V, "quantity"),
    ("Productiedatum", I, None), ("Minimale voorraad", I, None),
]

#: Type prefixes and suffixes of export columns (a Brazilian/Iberian database's `dt_`,
#: `qt_`, `vl_`, `cd_`, `nm_`, `nr_`, `tp_`, `fl_`; an English warehouse's `_dt`, `_qty`, `_cd`,
#: `_nm`, `_amt`, `_flag`, `is_`): the prefix says what the column holds.
PREFIXES = [
    ("dt_validade", I, "expiration"), ("dt_recebimento", I, "received_date"), ("dt_contagem", C, "date"),
    ("qt_recebida", I, "quantity"), ("qtd_utilizada", V, "quantity"), ("qt_estoque", I, "remaining"),
    ("vl_unitario", I, "unit_cost"), ("vlr_total", I, "total_cost"),
    ("cd_produto", I, None), ("cd_lote", I, "lot"), ("nm_produto", I, "product"), ("nm_fornecedor", I, "supplier"),
    ("ds_produto", P, "product"), ("nr_lote", I, "lot"), ("nr_nota_fiscal", I, "invoice"),
    ("fl_ativo", P, None), ("fl_vencido", I, None), ("is_active", P, None), ("is_expired", I, None),
    ("dt_aplicacao", V, "date"), ("qt_dose", V, "quantity"), ("nm_profissional", V, "provider"),
    ("nm_paciente", V, "patient"), ("dt_movimento", A, "date"), ("tp_movimento", A, "type"),
    ("ds_motivo", A, "reason"), ("vl_total_nf", I, "total_cost"),
    ("qty_received", I, "quantity"), ("expiry_dt", I, "expiration"), ("receipt_dt", I, "received_date"),
    ("product_cd", I, None), ("product_nm", I, "product"), ("supplier_nm", I, "supplier"),
    ("unit_cost_amt", I, "unit_cost"), ("lot_no", I, "lot"), ("patient_nm", V, "patient"),
    ("expired_yn", I, None), ("strLotNumber", I, "lot"), ("intQty", I, "quantity"), ("curUnitCost", I, "unit_cost"),
    ("dteExpiry", I, "expiration"), ("dteReceived", I, "received_date"), ("blnExpired", I, None),
    ("txtProductName", I, "product"), ("strSupplier", I, "supplier"), ("dblQtyOnHand", I, "remaining"),
    ("expired_flag", I, None), ("lot_tracked_ind", P, None), ("count_qty", C, "counted"), ("count_dt", C, "date"),
]

#: Every field's key noun and qualifiers (lot/batch, expiry, quantity received / used / on
#: hand / counted, unit and total cost, product, supplier, patient, provider, location, reason,
#: date, received and count dates, type, unit, staff, invoice) in each of the six languages, as
#: a clinic's or a supplier's own sheet would head them, with the usual abbreviations.
#: Left out as undecidable from the header alone: Portuguese `Unidade` (a unit, or a health
#: unit: the clinic), `Un.`, `Nº da Nota` (`nota` is a note in Spanish and Italian), French
#: `N° BL` (blind3 labels a bare `BL` none), German `Los` (a Spanish article), `P. Unitario`,
#: Spanish `Prov.` (proveedor, or the provider who treats: read as the supplier on a receiving
#: log it turned a usage log headed `Date | Provider | Product | Lot # | Qty` into receipts).
MATRIX = {
"es": [("Lote",I,"lot"),("N° Lote",I,"lot"),("Número de Lote",I,"lot"),("Partida",I,"lot"),("Fecha de Expiración",I,"expiration"),("Expira",I,"expiration"),("Fecha Exp.",I,"expiration"),("F. Caducidad",I,"expiration"),
 ("Cantidad Recibida",I,"quantity"),("Cant. Rec.",I,"quantity"),("Unidades Recibidas",I,"quantity"),("Cantidad Ingresada",I,"quantity"),("Cantidad Utilizada",V,"quantity"),("Cantidad Usada",V,"quantity"),("Unidades Inyectadas",V,"quantity"),("Cantidad Administrada",V,"quantity"),
 ("Existencia",I,"remaining"),("En Existencia",I,"remaining"),("Stock Actual",I,"remaining"),("Cantidad Disponible",I,"remaining"),("Cantidad en Mano",I,"remaining"),("Saldo",I,"remaining"),("Cantidad Restante",I,"remaining"),
 ("Cantidad Contada",C,"counted"),("Conteo Físico",C,"counted"),("Cant. Física",C,"counted"),("Inventario Físico",C,"counted"),("Fecha de Conteo",C,"date"),("Fecha Inventario",C,"date"),
 ("Costo Unitario",I,"unit_cost"),("Precio Unitario",I,"unit_cost"),("Costo Unit.",I,"unit_cost"),("Costo Total",I,"total_cost"),("Importe",I,"total_cost"),
 ("Producto",I,"product"),("Descripción",I,"product"),("Artículo",I,"product"),("Medicamento",V,"product"),("Proveedor",I,"supplier"),("Paciente",V,"patient"),("Nombre del Paciente",V,"patient"),
 ("Profesional",V,"provider"),("Médico Tratante",V,"provider"),("Aplicado por",V,"provider"),("Ubicación",I,"location"),("Sucursal",V,"location"),("Motivo",A,"reason"),("Razón",A,"reason"),("Fecha",V,"date"),
 ("Fecha de Atención",V,"date"),("Fecha de Recepción",I,"received_date"),("Fecha Ingreso",I,"received_date"),("Tipo de Ajuste",A,"type"),("Unidad",I,"unit"),("U. Medida",I,"unit"),("Registrado por",A,"staff"),
 ("Cant. Desechada",A,"quantity"),("Nº de Factura",I,"invoice"),("Folio",I,"invoice"),("Remisión",I,"invoice")],
"pt": [("Lote",I,"lot"),("Nº do Lote",I,"lot"),("Número do Lote",I,"lot"),("Validade",I,"expiration"),("Data de Vencimento",I,"expiration"),("Venc.",I,"expiration"),("Dt. Venc.",I,"expiration"),
 ("Quantidade Recebida",I,"quantity"),("Qtd. Recebida",I,"quantity"),("Qtde. Entrada",I,"quantity"),("Quantidade Utilizada",V,"quantity"),("Qtd Usada",V,"quantity"),("Unidades Aplicadas",V,"quantity"),("Quantidade Administrada",V,"quantity"),
 ("Estoque",I,"remaining"),("Estoque Atual",I,"remaining"),("Saldo",I,"remaining"),("Qtd. Disponível",I,"remaining"),("Quantidade em Estoque",I,"remaining"),("Quantidade Restante",I,"remaining"),
 ("Quantidade Contada",C,"counted"),("Contagem Física",C,"counted"),("Qtd. Física",C,"counted"),("Data da Contagem",C,"date"),("Data do Inventário",C,"date"),
 ("Custo Unitário",I,"unit_cost"),("Preço Unitário",I,"unit_cost"),("Preço de Custo",I,"unit_cost"),("Custo Total",I,"total_cost"),("Valor Total",I,"total_cost"),
 ("Produto",I,"product"),("Descrição",P,"product"),("Item",I,"product"),("Medicamento",V,"product"),("Fornecedor",I,"supplier"),("Paciente",V,"patient"),("Nome do Paciente",V,"patient"),
 ("Profissional",V,"provider"),("Aplicador",V,"provider"),("Aplicado por",V,"provider"),("Local",I,"location"),("Motivo",A,"reason"),("Data",V,"date"),("Data do Atendimento",V,"date"),
 ("Data de Recebimento",I,"received_date"),("Data de Entrada",I,"received_date"),("Tipo de Ajuste",A,"type"),("Unidade de Medida",I,"unit"),("Registrado por",A,"staff"),
 ("Nota Fiscal",I,"invoice"),("Qtd. Descartada",A,"quantity"),("Quantidade Perdida",A,"quantity")],
"fr": [("Lot",I,"lot"),("N° de lot",I,"lot"),("Numéro de lot",I,"lot"),("Date de péremption",I,"expiration"),("Péremption",I,"expiration"),("Date d'expiration",I,"expiration"),("DLC",I,"expiration"),
 ("Quantité reçue",I,"quantity"),("Qté reçue",I,"quantity"),("Qté livrée",I,"quantity"),("Quantité utilisée",V,"quantity"),("Qté utilisée",V,"quantity"),("Unités injectées",V,"quantity"),("Quantité administrée",V,"quantity"),
 ("Stock",I,"remaining"),("Stock actuel",I,"remaining"),("Stock disponible",I,"remaining"),("Qté en stock",I,"remaining"),("Quantité restante",I,"remaining"),("Solde",I,"remaining"),
 ("Quantité comptée",C,"counted"),("Stock physique",C,"counted"),("Qté physique",C,"counted"),("Date d'inventaire",C,"date"),("Date du comptage",C,"date"),
 ("Prix unitaire",I,"unit_cost"),("Coût unitaire",I,"unit_cost"),("Prix d'achat",I,"unit_cost"),("PU",I,"unit_cost"),("Montant",I,"total_cost"),("Total HT",I,"total_cost"),("Coût total",I,"total_cost"),
 ("Produit",I,"product"),("Désignation",I,"product"),("Article",I,"product"),("Médicament",V,"product"),("Fournisseur",I,"supplier"),("Patient",V,"patient"),("Nom du patient",V,"patient"),
 ("Praticien",V,"provider"),("Injecteur",V,"provider"),("Administré par",V,"provider"),("Emplacement",I,"location"),("Cabinet",V,"location"),("Motif",A,"reason"),("Raison",A,"reason"),("Date",V,"date"),
 ("Date de l'acte",V,"date"),("Date de réception",I,"received_date"),("Date d'entrée",I,"received_date"),("Type d'ajustement",A,"type"),("Unité",I,"unit"),("Saisi par",A,"staff"),
 ("N° de facture",I,"invoice"),("Qté perdue",A,"quantity"),("Qté jetée",A,"quantity")],
"de": [("Charge",I,"lot"),("Chargen-Nr.",I,"lot"),("Chargennummer",I,"lot"),("Losnummer",I,"lot"),("Verfallsdatum",I,"expiration"),("Verfall",I,"expiration"),("Haltbar bis",I,"expiration"),("Ablaufdatum",I,"expiration"),
 ("Menge",I,"quantity"),("Eingangsmenge",I,"quantity"),("Erhaltene Menge",I,"quantity"),("Gelieferte Menge",I,"quantity"),("Verbrauchte Menge",V,"quantity"),("Verabreichte Menge",V,"quantity"),("Einheiten injiziert",V,"quantity"),("Verbrauch",V,"quantity"),
 ("Bestand",I,"remaining"),("Aktueller Bestand",I,"remaining"),("Lagerbestand",I,"remaining"),("Restmenge",I,"remaining"),("Verfügbar",I,"remaining"),("Verfügbare Menge",I,"remaining"),
 ("Gezählte Menge",C,"counted"),("Zählbestand",C,"counted"),("Ist-Menge",C,"counted"),("Istmenge",C,"counted"),("Inventurmenge",C,"counted"),("Zähldatum",C,"date"),("Inventurdatum",C,"date"),
 ("Einzelpreis",I,"unit_cost"),("Stückpreis",I,"unit_cost"),("Einkaufspreis",I,"unit_cost"),("Preis pro Einheit",I,"unit_cost"),("Gesamtpreis",I,"total_cost"),("Betrag",I,"total_cost"),("Gesamtbetrag",I,"total_cost"),
 ("Produkt",I,"product"),("Artikel",I,"product"),("Bezeichnung",I,"product"),("Präparat",V,"product"),("Lieferant",I,"supplier"),("Patient",V,"patient"),("Patientenname",V,"patient"),
 ("Behandler",V,"provider"),("Arzt",V,"provider"),("Verabreicht von",V,"provider"),("Lagerort",I,"location"),("Standort",V,"location"),("Grund",A,"reason"),("Bemerkung",A,"reason"),("Datum",V,"date"),
 ("Behandlungsdatum",V,"date"),("Eingangsdatum",I,"received_date"),("Wareneingang",I,"received_date"),("Lieferdatum",I,"received_date"),("Buchungsart",A,"type"),("Einheit",I,"unit"),("Mengeneinheit",I,"unit"),("Erfasst von",A,"staff"),
 ("Rechnungsnummer",I,"invoice"),("Lieferschein-Nr.",I,"invoice"),("Verworfene Menge",A,"quantity"),("Verlustmenge",A,"quantity")],
"it": [("Lotto",I,"lot"),("N. Lotto",I,"lot"),("Numero lotto",I,"lot"),("Scadenza",I,"expiration"),("Data scadenza",I,"expiration"),("Data di scadenza",I,"expiration"),
 ("Quantità ricevuta",I,"quantity"),("Q.tà ricevuta",I,"quantity"),("Qtà consegnata",I,"quantity"),("Quantità utilizzata",V,"quantity"),("Quantità usata",V,"quantity"),("Unità iniettate",V,"quantity"),("Quantità somministrata",V,"quantity"),
 ("Giacenza",I,"remaining"),("Giacenza attuale",I,"remaining"),("Disponibilità",I,"remaining"),("Quantità disponibile",I,"remaining"),("Quantità residua",I,"remaining"),("Rimanenza",I,"remaining"),
 ("Quantità contata",C,"counted"),("Giacenza fisica",C,"counted"),("Qtà rilevata",C,"counted"),("Data inventario",C,"date"),("Data conteggio",C,"date"),
 ("Prezzo unitario",I,"unit_cost"),("Costo unitario",I,"unit_cost"),("Prezzo d'acquisto",I,"unit_cost"),("Importo",I,"total_cost"),("Costo totale",I,"total_cost"),("Totale",I,"total_cost"),
 ("Prodotto",I,"product"),("Articolo",I,"product"),("Descrizione",I,"product"),("Farmaco",V,"product"),("Fornitore",I,"supplier"),("Paziente",V,"patient"),("Nome paziente",V,"patient"),
 ("Medico",V,"provider"),("Operatore",V,"provider"),("Somministrato da",V,"provider"),("Ubicazione",I,"location"),("Sede",V,"location"),("Causale",A,"reason"),("Motivo",A,"reason"),("Data",V,"date"),
 ("Data trattamento",V,"date"),("Data ricevimento",I,"received_date"),("Data arrivo",I,"received_date"),("Data carico",I,"received_date"),("Tipo movimento",A,"type"),("Unità di misura",I,"unit"),("Registrato da",A,"staff"),
 ("N. fattura",I,"invoice"),("N. DDT",I,"invoice"),("Quantità scartata",A,"quantity"),("Qtà persa",A,"quantity")],
"nl": [("Lot",I,"lot"),("Lotnummer",I,"lot"),("Partijnummer",I,"lot"),("Batch",I,"lot"),("Vervaldatum",I,"expiration"),("Houdbaar tot",I,"expiration"),("THT-datum",I,"expiration"),("Uiterste gebruiksdatum",I,"expiration"),
 ("Aantal",I,"quantity"),("Ontvangen aantal",I,"quantity"),("Aantal ontvangen",I,"quantity"),("Geleverd aantal",I,"quantity"),("Gebruikt aantal",V,"quantity"),("Aantal gebruikt",V,"quantity"),("Eenheden geïnjecteerd",V,"quantity"),("Toegediende hoeveelheid",V,"quantity"),
 ("Voorraad",I,"remaining"),("Huidige voorraad",I,"remaining"),("Beschikbaar",I,"remaining"),("Resterend",I,"remaining"),("Restant",I,"remaining"),
 ("Geteld aantal",C,"counted"),("Getelde voorraad",C,"counted"),("Fysieke voorraad",C,"counted"),("Telling",C,"counted"),("Teldatum",C,"date"),("Inventarisdatum",C,"date"),
 ("Inkoopprijs",I,"unit_cost"),("Stukprijs",I,"unit_cost"),("Prijs per eenheid",I,"unit_cost"),("Kostprijs",I,"unit_cost"),("Totaalbedrag",I,"total_cost"),("Bedrag",I,"total_cost"),("Totale kosten",I,"total_cost"),
 ("Product",I,"product"),("Artikel",I,"product"),("Omschrijving",I,"product"),("Geneesmiddel",V,"product"),("Leverancier",I,"supplier"),("Patiënt",V,"patient"),("Naam patiënt",V,"patient"),("Cliënt",V,"patient"),
 ("Behandelaar",V,"provider"),("Arts",V,"provider"),("Toegediend door",V,"provider"),("Locatie",I,"location"),("Vestiging",V,"location"),("Reden",A,"reason"),("Opmerking",A,"reason"),("Datum",V,"date"),
 ("Behandeldatum",V,"date"),("Ontvangstdatum",I,"received_date"),("Leverdatum",I,"received_date"),("Datum ontvangst",I,"received_date"),("Soort mutatie",A,"type"),("Eenheid",I,"unit"),("Ingevoerd door",A,"staff"),
 ("Factuurnummer",I,"invoice"),("Pakbonnummer",I,"invoice"),("Aantal weggegooid",A,"quantity"),("Verlies",A,"quantity")],
}

MATRIX_ROWS = [r for rows in MATRIX.values() for r in rows]

#: Who, for whom, when and where in the six languages (aesthetic-clinic and salon roles, a
#: client or a health service's user, injection and appointment dates, write-offs, the
#: levels a stock starts and ends at, what was ordered, centres and fridges, units and
#: packages, content per package, the products of an aesthetic clinic). `PA` (a physician
#: assistant) is left out: two letters too many things stand for.
ROLES_AND_PLACES = {
"roles": [("Esteticista",V,"provider"),("Cosmetóloga",V,"provider"),("Kosmetikerin",V,"provider"),("Estetista",V,"provider"),("Schoonheidsspecialist",V,"provider"),
 ("Verpleegkundige",V,"provider"),("Enfermeira",V,"provider"),("Infirmière injectrice",V,"provider"),("Médico Estético",V,"provider"),("Medico estetico",V,"provider"),
 ("Aesthetic Nurse",V,"provider"),("Nurse Injector",V,"provider"),("RN",V,"provider"),("Beautician",V,"provider"),("Stylist",V,"provider"),
 ("Artist",V,"provider"),("Dermatólogo",V,"provider"),("Dermatologue",V,"provider"),("Hautarzt",V,"provider"),("Huidarts",V,"provider"),("Tratante",V,"provider"),("Profissional responsável",V,"provider"),
 ("Atendido por",V,"provider"),("Realizado por",V,"provider"),("Injected By",V,"provider"),("Behandelt von",V,"provider"),("Eseguito da",V,"provider"),("Uitgevoerd door",V,"provider"),("Effectué par",V,"provider")],
"patients": [("Cliente",V,"patient"),("Nombre del Cliente",V,"patient"),("Klant",V,"patient"),("Klantnaam",V,"patient"),("Utente",V,"patient"),("Assistito",V,"patient"),("Kundin",V,"patient"),
 ("Nom du client",V,"patient"),("Cliente / Paciente",V,"patient"),("Nº Historia",V,"patient"),("Nº Prontuário",V,"patient"),("N° dossier",V,"patient"),("Patiëntnummer",V,"patient"),("Patienten-ID",V,"patient")],
"dates": [("Fecha de aplicación",V,"date"),("Data da aplicação",V,"date"),("Date d'injection",V,"date"),("Injektionsdatum",V,"date"),("Data iniezione",V,"date"),("Injectiedatum",V,"date"),
 ("Data do procedimento",V,"date"),("Fecha del procedimiento",V,"date"),("Datum der Behandlung",V,"date"),("Fecha de la cita",V,"date"),("Data da consulta",V,"date"),("Date du rendez-vous",V,"date"),
("Afspraakdatum",V,"date"),("Data appuntamento",V,"date"),("Fecha de movimiento",A,"date"),("Data do ajuste",A,"date"),("Date du mouvement",A,"date"),("Buchungsdatum",A,"date"),("Mutatiedatum",A,"date"),("Data movimento",A,"date")],
"types": [("Tipo de baja",A,"type"),("Motivo de baja",A,"reason"),("Tipo de ajuste",A,"type"),("Tipo de movimentação",A,"type"),("Type de sortie",A,"type"),("Art der Ausbuchung",A,"type"),
 ("Abschreibungsgrund",A,"reason"),("Tipo scarico",A,"type"),("Causale scarico",A,"reason"),("Soort afboeking",A,"type"),("Reden afboeking",A,"reason"),("Merma",A,"quantity"),("Qty Wasted",A,"quantity"),
 ("Cantidad dada de baja",A,"quantity"),("Quantité sortie",A,"quantity"),("Ausbuchungsmenge",A,"quantity"),("Quantità scaricata",A,"quantity"),("Afgeboekt aantal",A,"quantity")],
"levels": [("Stock inicial",I,"quantity"),("Existencia inicial",I,"quantity"),("Estoque inicial",I,"quantity"),("Stock initial",I,"quantity"),("Anfangsbestand",I,"quantity"),("Giacenza iniziale",I,"quantity"),("Beginvoorraad",I,"quantity"),
 ("Stock final",I,"remaining"),("Existencia final",I,"remaining"),("Estoque final",I,"remaining"),("Endbestand",I,"remaining"),("Giacenza finale",I,"remaining"),("Eindvoorraad",I,"remaining"),
 ("Stock mínimo",I,None),("Punto de reorden",I,None),("Ponto de pedido",I,None),("Meldebestand",I,None),("Punto di riordino",I,None),("Bestelpunt",I,None),("Cantidad pedida",I,None),("Quantidade pedida",I,None),("Bestellmenge",I,None),("Besteld aantal",I,None),("Quantità ordinata",I,None),("Qté commandée",I,None)],
"places": [("Clínica",V,"location"),("Consultorio",V,"location"),("Filial",V,"location"),("Centre",V,"location"),("Center",V,"location"),("Centro",V,"location"),("Praxis",V,"location"),("Standort",V,"location"),
 ("Vestiging",V,"location"),("Ambulatorio",V,"location"),("Studio",V,"location"),("Kliniek",V,"location"),("Salon",V,"location"),("Spa",V,"location"),("Almacén",I,"location"),("Armazém",I,"location"),("Lager",I,"location"),("Magazijn",I,"location"),("Magazzino",I,"location"),("Entrepôt",I,"location"),
 ("Nevera",I,"location"),("Geladeira",I,"location"),("Frigo",I,"location"),("Kühlschrank",I,"location"),("Koelkast",I,"location"),("Frigorifero",I,"location"),("Cost Center",I,None)],
"units": [("UdM",I,"unit"),("U.M.",I,"unit"),("Maßeinheit",I,"unit"),("Einh.",I,"unit"),("Unid.",I,"unit"),("Unità",I,"unit"),("Unidad de medida",I,"unit"),("Unit of Issue",I,"unit"),("Selling Unit",P,"unit"),
 ("Units per Box",P,"units_per_package"),("Unidades por caja",P,"units_per_package"),("Unidades por embalagem",P,"units_per_package"),("Unités par boîte",P,"units_per_package"),("Stück pro Packung",P,"units_per_package"),("Pezzi per confezione",P,"units_per_package"),("Stuks per verpakking",P,"units_per_package"),
 ("Contenido",P,"units_per_package"),("Inhalt",P,"units_per_package"),("Inhoud",P,"units_per_package"),("Contenu",P,"units_per_package"),("Conteúdo",P,"units_per_package")],
"products": [("Tratamiento aplicado",V,"product"),("Procedimiento",V,None),("Procedimento",V,None),("Zona tratada",V,None),("Área tratada",V,None),("Zone traitée",V,None),("Behandlungsareal",V,None),("Zona trattata",V,None),("Behandelgebied",V,None),
 ("Toxina",V,"product"),("Relleno",V,"product"),("Preenchedor",V,"product"),("Produit injecté",V,"product"),("Injizierte Präparat",V,"product"),("Prodotto iniettato",V,"product"),("Geïnjecteerd product",V,"product"),
 ("Geneesmiddel",I,"product"),("Specialità",I,"product"),("Principio activo",P,None),("Wirkstoff",P,None),("Principe actif",P,None),("Werkzame stof",P,None)],
}

MATRIX_ROWS += [r for rows in ROLES_AND_PLACES.values() for r in rows]

#: Beyond the six: Indonesian/Malay (pharmacy stock sheets), Russian (a drug's series is its
#: lot; Cyrillic letters are word letters) and Japanese (katakana and the kanji Chinese lacks).
MORE_LANGUAGES = {
"id": [("Nama Barang",I,"product"),("Nama Obat",I,"product"),("Jumlah",I,"quantity"),("Qty Masuk",I,"quantity"),("Jumlah Masuk",I,"quantity"),("Jumlah Keluar",A,"quantity"),
 ("Sisa Stok",I,"remaining"),("Stok Akhir",I,"remaining"),("Stok Awal",I,"quantity"),("Tanggal",V,"date"),("Tgl Masuk",I,"received_date"),("Tanggal Masuk",I,"received_date"),("Tanggal Kadaluarsa",I,"expiration"),
 ("Tgl Kedaluwarsa",I,"expiration"),("Expired Date",I,"expiration"),("No Batch",I,"lot"),("Nomor Batch",I,"lot"),("Harga Beli",I,"unit_cost"),("Harga Satuan",I,"unit_cost"),("Total Harga",I,"total_cost"),
 ("Satuan",I,"unit"),("Gudang",I,"location"),("Lokasi",I,"location"),("Pemasok",I,"supplier"),("Keterangan",A,"reason"),("Alasan",A,"reason"),("Pasien",V,"patient"),("Nama Pasien",V,"patient"),
 ("Dokter",V,"provider"),("Petugas",A,"staff"),("Jenis",A,"type"),("Jenis Transaksi",A,"type"),("Stok Fisik",C,"counted"),("Jumlah Fisik",C,"counted"),("Selisih",C,None),("Tanggal Opname",C,"date"),
 ("Jumlah Pemakaian",V,"quantity"),("Jumlah Terpakai",V,"quantity"),("No Faktur",I,"invoice"),("Kode Barang",I,None),("Kategori",P,"category"),("Harga Jual",I,None)],
"ru": [("Наименование",I,"product"),("Товар",I,"product"),("Препарат",V,"product"),("Количество",I,"quantity"),("Кол-во",I,"quantity"),("Серия",I,"lot"),("Партия",I,"lot"),("Номер партии",I,"lot"),
 ("Срок годности",I,"expiration"),("Годен до",I,"expiration"),("Дата поступления",I,"received_date"),("Цена",I,None),("Цена за единицу",I,"unit_cost"),("Сумма",I,"total_cost"),("Поставщик",I,"supplier"),
 ("Склад",I,"location"),("Остаток",I,"remaining"),("Дата",V,"date"),("Пациент",V,"patient"),("Врач",V,"provider"),("Ед. изм.",I,"unit"),("Причина",A,"reason"),("Тип операции",A,"type"),
 ("Фактическое количество",C,"counted"),("Дата инвентаризации",C,"date"),("Расход",V,"quantity"),("Накладная",I,"invoice"),("Код товара",I,None)],
"ja": [("ロット",I,"lot"),("ロット番号",I,"lot"),("使用期限",I,"expiration"),("有効期限",I,"expiration"),("賞味期限",I,"expiration"),("入荷日",I,"received_date"),("単価",I,"unit_cost"),("仕入先",I,"supplier"),
 ("在庫数",I,"remaining"),("患者名",V,"patient"),("担当者",A,"staff"),("実棚数",C,"counted"),("棚卸日",C,"date"),("施術日",V,"date"),("使用数",V,"quantity"),("入荷数",I,"quantity")],
}

MATRIX_ROWS += [r for rows in MORE_LANGUAGES.values() for r in rows]

#: ERPNext (frappe/erpnext doctypes Stock Ledger Entry, Batch), TOTVS Protheus (SX3 fields of
#: SB1 products, SB8 lot balances, SD1 goods-in lines, SD3 movements: `<table alias>_<field>`),
#: Dolibarr (llx_product_lot, llx_product_batch: `fk_` foreign keys), Zenoti (stock audit and
#: consumption report columns, help.zenoti.com), VTrckS / vaccine inventory reconciliation.
OTHER_ERPS = [
    ("posting_date", A, "date"), ("item_code", I, None), ("item_name", I, "product"), ("warehouse", I, "location"),
    ("actual_qty", A, "quantity"), ("incoming_rate", I, "unit_cost"), ("stock_value", I, "total_cost"),
    ("voucher_no", I, "invoice"), ("batch_no", I, "lot"), ("stock_uom", I, "unit"), ("batch_id", I, "lot"),
    ("manufacturing_date", I, None),
    ("B1_DESC", P, "product"), ("B1_UM", P, "unit"), ("B1_COD", P, None), ("B8_LOTECTL", I, "lot"),
    ("B8_DTVALID", I, "expiration"), ("B8_SALDO", I, "remaining"), ("B8_LOCAL", I, "location"),
    ("D1_QUANT", I, "quantity"), ("D1_VUNIT", I, "unit_cost"), ("D1_TOTAL", I, "total_cost"), ("D1_DOC", I, "invoice"),
    ("D1_FORNECE", I, "supplier"), ("D1_DTDIGIT", I, "received_date"), ("D1_COD", I, None), ("D3_TM", A, "type"),
    ("D3_QUANT", A, "quantity"), ("D3_LOTECTL", A, "lot"),
    ("batch", I, "lot"), ("eatby", I, "expiration"), ("qty", I, "quantity"), ("fk_product", I, "product"),
    ("fk_entrepot", A, "location"), ("fk_user_author", A, "staff"), ("manufacturing_date", P, None),
    ("Audited Quantity", C, "counted"), ("Audit Date", C, "date"), ("Audited Qty", C, "counted"),
    ("Doses on Hand", I, "remaining"), ("Beginning Inventory", I, "quantity"), ("Ending Inventory", I, "remaining"),
]

#: Med-spa, salon and clinic systems' documented fields: Mindbody public API v6 (Product,
#: ProductsInventory), Aesthetic Record (inventory's Cost to Company), aestheti.cc batch
#: tracking, Cliniko and PetAladdin stock adjustments.
CLINIC_SYSTEMS = [
    ("UnitsSold", V, "quantity"), ("SupplierName", I, "supplier"), ("OnlinePrice", I, None), ("ReorderLevel", I, None),
    ("MaxLevel", I, None), ("ManufacturerId", P, None), ("Cost to Company", I, "unit_cost"), ("Batch number", I, "lot"),
    ("Expiry date", I, "expiration"), ("Units received", I, "quantity"), ("Amount used", V, "quantity"),
    ("Injection sites", V, None), ("Adjustment Date", A, "date"), ("Adjustment Type", A, "type"), ("Reason", A, "reason"),
    ("Item Notes", A, "reason"), ("Batch Number", A, "lot"), ("Unit Cost", I, "unit_cost"),
]

ALL = SAP + ODOO + NETSUITE_DYNAMICS + OTHER_ERPS + CLINIC_SYSTEMS + ZOHO_QB_XERO + COMMERCE + HEALTH + LANGUAGES + PREFIXES + MATRIX_ROWS


@pytest.mark.parametrize(("header", "kind", "field"), ALL, ids=[f"{k.value}:{h}" for h, k, _ in ALL])
def test_a_column_named_as_a_published_schema_or_language_names_it_is_read(header, kind, field):
    got = read_column(header, kind, count_table=kind is Kind.COUNTS)
    assert (got.field if got else None) == field, got
