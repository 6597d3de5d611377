"""SPEC §1: headers written in other languages and by other systems name the same fields.

Crafted wordings (issue 9, item 1), one class of rule each, so a spelling nobody listed is
read by the same rule: Spanish, French, Portuguese, Italian and German words for every field
lotsync reads (with their abbreviations, accent-less and feminine/plural forms, elided
articles: `Prix d'achat`); German compounds split into their parts (`Verfallsdatum`,
`Chargennummer`, `Lagerort`); ERP/SAP/pharmacy/POS short forms and run-together exports
(`DocNum`, `CardName`, `WhsCode`, `QTYONHAND`, `LOTNO`); units in brackets; packages counted
(`Vials Received`). `None` means the header names nothing lotsync reads in that kind of table
(notes, phone, route, dose number, codes, order and reorder quantities, a manufacturer): it
must stay unread. These are NOT a blind measure (they were written with the rules); the
blind measures are the corpus files in tests/data.
"""

from __future__ import annotations

import pytest

from lotsync.model import Kind
from lotsync.tables.detect import read_column

I, V, A, C, P = Kind.INVENTORY, Kind.VISITS, Kind.ADJUSTMENTS, Kind.COUNTS, Kind.PRODUCTS

PROBES = [
 # Spanish
 ("Producto", I, "product"), ("Descripción del producto", I, "product"), ("Nº de lote", I, "lot"),
 ("Lote", V, "lot"), ("Fecha de caducidad", I, "expiration"), ("Fecha de vencimiento", I, "expiration"),
 ("F. Venc.", I, "expiration"), ("Vto.", I, "expiration"), ("Fecha de recepción", I, "received_date"),
 ("Fecha de ingreso", I, "received_date"), ("Cantidad recibida", I, "quantity"), ("Cant.", I, "quantity"),
 ("Unidades", I, "quantity"), ("Costo unitario", I, "unit_cost"), ("Precio de compra", I, "unit_cost"),
 ("Costo total", I, "total_cost"), ("Importe total", I, "total_cost"), ("Proveedor", I, "supplier"),
 ("Almacén", I, "location"), ("Bodega", I, "location"), ("Sucursal", I, "location"),
 ("Existencias", I, "remaining"), ("Stock actual", I, "remaining"), ("Saldo", I, "remaining"),
 ("Cantidad restante", I, "remaining"), ("Factura", I, "invoice"), ("Nº Factura", I, "invoice"),
 ("Fecha", V, "date"), ("Fecha de aplicación", V, "date"), ("Paciente", V, "patient"),
 ("Nombre del paciente", V, "patient"), ("Médico", V, "provider"), ("Enfermera", V, "provider"),
 ("Profesional", V, "provider"), ("Unidades aplicadas", V, "quantity"), ("Dosis administrada", V, "quantity"),
 ("Cantidad utilizada", V, "quantity"), ("Tratamiento", V, "product"), ("Precio", V, "price"),
 ("Tipo de ajuste", A, "type"), ("Motivo", A, "reason"), ("Cantidad", A, "quantity"),
 ("Fecha del conteo", C, "date"), ("Cantidad contada", C, "counted"), ("Conteo físico", C, "counted"),
 ("Unidad de medida", I, "unit"), ("Categoría", P, "category"), ("Responsable", A, "staff"),
 ("Observaciones", V, None), ("Teléfono", V, None), ("Vía de administración", V, None),
 # French
 ("Désignation", I, "product"), ("Libellé article", I, "product"), ("N° de lot", I, "lot"),
 ("Numéro de lot", V, "lot"), ("Date de péremption", I, "expiration"), ("DLU", I, "expiration"),
 ("Date de réception", I, "received_date"), ("Date de livraison", I, "received_date"),
 ("Qté reçue", I, "quantity"), ("Quantité", I, "quantity"), ("Prix unitaire", I, "unit_cost"),
 ("Prix d'achat HT", I, "unit_cost"), ("Coût unitaire", I, "unit_cost"), ("Montant HT", I, "total_cost"),
 ("Fournisseur", I, "supplier"), ("Emplacement", I, "location"), ("Entrepôt", I, "location"),
 ("Stock restant", I, "remaining"), ("Quantité en stock", I, "remaining"), ("N° facture", I, "invoice"),
 ("Date du soin", V, "date"), ("Date de l'acte", V, "date"), ("Patiente", V, "patient"), ("Praticien", V, "provider"),
 ("Médecin", V, "provider"), ("Infirmière", V, "provider"), ("Quantité utilisée", V, "quantity"),
 ("Unités injectées", V, "quantity"), ("Produit", V, "product"), ("Tarif", V, "price"),
 ("Type de mouvement", A, "type"), ("Motif", A, "reason"), ("Qté", A, "quantity"),
 ("Quantité comptée", C, "counted"), ("Stock physique", C, "counted"), ("Date d'inventaire", C, "date"),
 ("Unité", I, "unit"), ("Famille", P, "category"), ("Remarques", V, None), ("Téléphone", V, None),
 # Portuguese
 ("Produto", I, "product"), ("Descrição", I, "product"), ("Lote", I, "lot"), ("Validade", I, "expiration"),
 ("Data de validade", I, "expiration"), ("Data de recebimento", I, "received_date"),
 ("Data de entrada", I, "received_date"), ("Quantidade recebida", I, "quantity"), ("Qtd", I, "quantity"),
 ("Qtde.", I, "quantity"), ("Custo unitário", I, "unit_cost"), ("Valor unitário", I, "unit_cost"),
 ("Valor total", I, "total_cost"), ("Fornecedor", I, "supplier"), ("Armazém", I, "location"),
 ("Estoque atual", I, "remaining"), ("Saldo em estoque", I, "remaining"), ("Nota fiscal", I, "invoice"),
 ("Data de aplicação", V, "date"), ("Paciente", V, "patient"), ("Profissional", V, "provider"),
 ("Quantidade aplicada", V, "quantity"), ("Procedimento", V, None), ("Quantidade contada", C, "counted"),
 ("Contagem física", C, "counted"), ("Unidade", I, "unit"), ("Observações", V, None),
 # Italian
 ("Prodotto", I, "product"), ("Articolo", I, "product"), ("Lotto", I, "lot"), ("Scadenza", I, "expiration"),
 ("Data di scadenza", I, "expiration"), ("Data ricevimento", I, "received_date"), ("Data consegna", I, "received_date"),
 ("Quantità", I, "quantity"), ("Qtà ricevuta", I, "quantity"), ("Prezzo unitario", I, "unit_cost"),
 ("Costo unitario", I, "unit_cost"), ("Fornitore", I, "supplier"), ("Magazzino", I, "location"),
 ("Giacenza", I, "remaining"), ("Rimanenza", I, "remaining"), ("Fattura", I, "invoice"),
 ("Data", V, "date"), ("Paziente", V, "patient"), ("Medico", V, "provider"), ("Quantità utilizzata", V, "quantity"),
 ("Unità somministrate", V, "quantity"), ("Causale", A, "reason"), ("Quantità contata", C, "counted"),
 ("Note", V, None),
 # German
 ("Artikel", I, "product"), ("Artikelbezeichnung", I, "product"), ("Bezeichnung", I, "product"),
 ("Charge", I, "lot"), ("Chargennummer", I, "lot"), ("Charge-Nr.", I, "lot"), ("Chargen-Nr.", I, "lot"),
 ("Verfallsdatum", I, "expiration"), ("Verfalldatum", I, "expiration"), ("MHD", I, "expiration"),
 ("Haltbar bis", I, "expiration"), ("Eingangsdatum", I, "received_date"), ("Lieferdatum", I, "received_date"),
 ("Menge", I, "quantity"), ("Liefermenge", I, "quantity"), ("Einkaufspreis", I, "unit_cost"),
 ("Stückpreis", I, "unit_cost"), ("Gesamtpreis", I, "total_cost"), ("Lieferant", I, "supplier"),
 ("Lagerort", I, "location"), ("Lager", I, "location"), ("Bestand", I, "remaining"), ("Restmenge", I, "remaining"),
 ("Rechnungsnummer", I, "invoice"), ("Datum", V, "date"), ("Behandlungsdatum", V, "date"), ("Patient", V, "patient"),
 ("Arzt", V, "provider"), ("Behandler", V, "provider"), ("Menge verabreicht", V, "quantity"),
 ("Verbrauchte Menge", V, "quantity"), ("Buchungsart", A, "type"), ("Grund", A, "reason"), ("Menge", A, "quantity"),
 ("Gezählte Menge", C, "counted"), ("Ist-Bestand", C, "counted"), ("Einheit", I, "unit"),
 ("Warengruppe", P, "category"), ("Bemerkung", V, None), ("Hersteller", I, None), ("Artikelnummer", I, None),
 # ERP / POS / pharmacy short forms
 ("ItemName", I, "product"), ("ItemCode", I, None), ("Dscription", I, "product"), ("BatchNum", I, "lot"),
 ("DistNumber", I, None), ("ExpDate", I, "expiration"), ("Quantity", I, "quantity"), ("WhsCode", I, "location"),
 ("DocNum", I, "invoice"), ("DocDate", I, None), ("CardCode", I, None), ("CardName", I, "supplier"),
 ("OnHand", I, "remaining"), ("IsCommited", I, None), ("OnOrder", I, None), ("QtyRcvd", I, "quantity"),
 ("RcvdQty", I, "quantity"), ("QTY_RECEIVED", I, "quantity"), ("QTYONHAND", I, "remaining"),
 ("LOTNO", I, "lot"), ("EXPDT", I, "expiration"), ("ITEMDESC", I, "product"), ("UnitPrice", I, "unit_cost"),
 ("LineTotal", I, "total_cost"), ("UOM", I, "unit"), ("U/M", I, "unit"), ("Whse", I, "location"),
 ("Bin Location", I, "location"), ("Vendor", I, "supplier"), ("Vendor #", I, None), ("PO #", I, "invoice"),
 ("Receipt Date", I, "received_date"), ("GRN Date", I, "received_date"), ("Qty On Order", I, None),
 ("Reorder Point", I, None), ("Par Level", I, None), ("Mfg Date", I, None), ("Mfr", I, None),
 ("NDC", I, None), ("UPC", I, None), ("SKU", I, None), ("Strength", I, None), ("Dosage Form", I, None),
 ("Rx #", V, None), ("Fill Date", V, "date"), ("Qty Dispensed", V, "quantity"), ("Prescriber", V, "provider"),
 ("Pharmacist", V, "provider"), ("Days Supply", V, None), ("Refills", V, None), ("Pt Name", V, "patient"),
 ("Patient DOB", V, None), ("DOB", V, None), ("Vaccine", V, "product"), ("CVX", V, None), ("MVX", V, None),
 ("Admin Date", V, "date"), ("Administered By", V, "provider"), ("Dose Number", V, None), ("Route", V, None),
 ("Injection Site", V, None), ("Body Site", V, None), ("VIS Date", V, None), ("Funding Source", V, None),
 ("Doses Administered", V, "quantity"), ("Doses Wasted", V, None), ("Inventory Number", I, "lot"),
 ("Lot/Serial Number", I, "lot"), ("Internal Reference", I, None), ("Cost Amount (Actual)", I, "total_cost"),
 ("Posting Date", A, "date"), ("Entry Type", A, "type"), ("Document No.", I, "invoice"),
 ("Remaining Quantity", I, "remaining"), ("Location Code", I, "location"), ("Item No.", I, None),
 ("Qty (units)", I, "quantity"), ("Cost [$]", I, "unit_cost"), ("Quantity (mL)", V, "quantity"),
 ("Units Used [U]", V, "quantity"), ("Exp. (MM/YY)", I, "expiration"), ("Best By", I, "expiration"),
 ("Use Before", I, "expiration"), ("Sell By", I, "expiration"),
 ("Treated By", V, "provider"), ("Injector Initials", V, "provider"), ("Consent Signed", V, None),
 ("Phone", V, None), ("Email", V, None), ("Notes", I, None), ("Storage Temp", I, None), ("Storage Conditions", I, None),
 ("Qty Wasted", A, "quantity"), ("Wasted By", A, "staff"), ("Physical Qty", C, "counted"), ("Counted Qty", C, "counted"),
 ("System Qty", C, None), ("Variance", C, None), ("Expected", C, None), ("Shelf Count", C, "counted"),
 ("Stocktake Date", C, "date"), ("Fridge", I, "location"), ("Treatment Room", V, "location"),
 ("Units of Botox", V, "quantity"), ("Syringes Used", V, "quantity"), ("Vials Received", I, "quantity"),
 ("Boxes Received", I, "quantity"), ("Amount Charged", V, "price"), ("Fee", V, "price"),
]


@pytest.mark.parametrize("header,kind,field", PROBES, ids=[f"{k.value}:{h}" for h, k, _ in PROBES])
def test_a_header_in_another_language_or_an_erp_export_names_its_field(header, kind, field):
    g = read_column(header, kind, count_table=True)
    assert (g.field if g else None) == field
