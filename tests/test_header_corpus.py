"""SPEC §1: headers are read the way a person reads them, proved on real spellings.

tests/data/header_corpus.csv holds 428 headers from public spreadsheets, templates and
exports, each labelled with the field it names and the kind of table it came from, split
into a tune half and a held-out half before the matcher was written (see
tests/data/header_corpus.md).

SPENT: the held-out half and the second blind set (header_corpus_blind2.csv) have both been
seen and, for issue 9's accuracy target, tuned on (general rules only: abbreviations,
qualifiers, head-noun rules; never one string). Their figures below are no longer blind
measures, only regression guards. So are the third, fourth and fifth sets since: each was
measured once blind (84.5%, 85.6%, 78.5%) and then tuned on by class. The latest blind
figure is the sixth set's (header_corpus_blind6.csv, 431 spellings, measured once: 75.2%).

Each set is measured twice (detect9): per header read ALONE (`read_column`: the header and
its table's kind, nothing else) and per header read IN TABLE CONTEXT (`read_columns`: the
table's headers given together as its kind, each field to one column, no values), printed
side by side with the tables that have no wrong field; each figure has its own floor.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from lotsync.model import Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.detect import detect_table, read_column, read_columns
from lotsync.tables.headers import KIND_FIELDS
from lotsync.tables.mapping import Mapping, SheetMapping

CORPUS = Path(__file__).parent / "data" / "header_corpus.csv"
BLIND2 = Path(__file__).parent / "data" / "header_corpus_blind2.csv"
BLIND3 = Path(__file__).parent / "data" / "header_corpus_blind3.csv"
BLIND4 = Path(__file__).parent / "data" / "header_corpus_blind4.csv"
BLIND5 = Path(__file__).parent / "data" / "header_corpus_blind5.csv"
BLIND6 = Path(__file__).parent / "data" / "header_corpus_blind6.csv"
BLIND7 = Path(__file__).parent / "data" / "header_corpus_blind7.csv"
BLIND8 = Path(__file__).parent / "data" / "header_corpus_blind8.csv"
SETS = {"tune": CORPUS, "heldout": CORPUS, "blind2": BLIND2, "blind3": BLIND3, "blind4": BLIND4,
        "blind5": BLIND5, "blind6": BLIND6, "blind7": BLIND7, "blind8": BLIND8}


def corpus(path: Path = CORPUS) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def expected(row: dict) -> str | None:
    """The label, when the table's kind has that field; else the header names nothing read."""
    req, opt = KIND_FIELDS[Kind(row["kind"])]
    return row["field"] if row["field"] in (*req, *opt) else None


def predicted(row: dict) -> str | None:
    g = read_column(row["header"], Kind(row["kind"]), count_table=True)
    return g.field if g else None


def accuracy(split: str) -> tuple[float, list[tuple]]:
    rows = [r for r in corpus(SETS[split]) if r["split"] == split]
    wrong = [(r["header"], r["kind"], expected(r), predicted(r)) for r in rows if expected(r) != predicted(r)]
    return 1 - len(wrong) / len(rows), wrong


def test_the_corpus_has_400_labelled_spellings_with_sources_split_in_two():
    rows = corpus()
    assert len(rows) >= 400
    assert all(r["source"] and r["kind"] in {k.value for k in Kind} for r in rows)
    assert {r["split"] for r in rows} == {"tune", "heldout"}
    assert len({(r["header"], r["kind"]) for r in rows}) == len(rows)


def set_tables(split: str) -> dict[tuple[str, str], list[dict]]:
    """The set's file grouped into tables by source and kind, as the table test groups them:
    every row of the table, whichever split (a table of the first file holds tune and
    held-out headers side by side, and is read as it is, whole)."""
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in corpus(SETS[split]):
        by[(r["source"], r["kind"])].append(r)
    return {k: rows for k, rows in by.items() if any(r["split"] == split for r in rows)}


def read_table(rows: list[dict], kind: Kind) -> dict[int, str]:
    """Each header's field when the table's headers are read together as its known kind
    (each field to one column, no values, no tab name), as the table test reads them, but
    whether or not the corpus holds every field that kind requires: column index -> field
    read. By index, not header text: the reader tidies a header (a trailing space) the corpus
    keeps verbatim, and two columns may share one header (each is scored by its own)."""
    sheet = RawSheet(file="corpus.xlsx", sheet="Sheet1", rows=[[r["header"] for r in rows]])
    return {r.index: f for f, r in read_columns(sheet, kind).items()}


def table_accuracy(split: str) -> tuple[float, list[tuple], int, int, int, int]:
    """The per-header figure in table context: each of the set's headers read within its
    table, against the same labels as the alone figure. A header left unread is right when
    its label's field went to another column of the table labelled that field (a source's
    `Product` and `Description` both labelled the product: each field goes to one column,
    SPEC §1, so one of them is read and the other is rightly left). Otherwise strict: a stock
    sheet's on-hand column labelled remaining and read as its opening quantity, which SPEC §1
    allows and the table test accepts, counts as wrong here, as it does alone.
    Returns (accuracy, wrong, tables with no wrong field, tables, misses that are that
    stock-sheet reading, unread headers whose field another column labelled so took)."""
    wrong: list[tuple] = []
    n = clean = stock = dup = 0
    tables = set_tables(split)
    for (_, kind_name), rows in tables.items():
        kind = Kind(kind_name)
        read = read_table(rows, kind)
        given = {f for j, f in read.items() if expected(rows[j]) == f}  # fields a column labelled so took
        ok_table = True
        for j, r in enumerate(rows):
            got, want = read.get(j), expected(r)
            right = got == want or (got is None and want in given)
            if r["split"] == split:
                n += 1
                dup += got is None and want is not None and want in given
                if not right:
                    wrong.append((r["header"], kind_name, want, got))
                    stock += kind is Kind.INVENTORY and got == "quantity" and want == "remaining"
            if not right and got is not None and not (
                    kind is Kind.INVENTORY and got == "quantity" and want == "remaining"):
                ok_table = False
        clean += ok_table
    return 1 - len(wrong) / n, wrong, clean, len(tables), stock, dup


def assert_accuracy(split: str, label: str, floor: float, table_floor: float, capsys) -> None:
    """Measure one set alone and in table context, print both figures beside each other and
    every miss (visible in every run), hold both floors."""
    acc, wrong = accuracy(split)
    t_acc, t_wrong, clean, tables, stock, dup = table_accuracy(split)
    with capsys.disabled():
        print(f"\n{label} accuracy: {acc:.1%} alone ({len(wrong)} wrong); {t_acc:.1%} in table context "
              f"({len(t_wrong)} wrong, {stock} of them a stock sheet's on-hand column read as its opening "
              f"quantity; {dup} right unread, their field given to a column labelled so); {clean} of "
              f"{tables} tables with no wrong field")
        for w in wrong:
            print("    alone:", w)
        for w in t_wrong:
            print("    in table:", w)
    assert acc >= floor, wrong
    assert t_acc >= table_floor, t_wrong



def test_the_table_figure_scores_each_column_of_a_table_with_two_same_headers(tmp_path, monkeypatch):
    # review6: two columns with one header (a visit log's `Date` twice: the visit's, and a
    # second labelled none that the reader rightly leaves) are two rows, scored each by its
    # own column; keyed by header text both took the first's reading and the last's label
    path = tmp_path / "set.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["header", "field", "kind", "split", "source"])
        for h, f in [("Date", "date"), ("Patient", "patient"), ("Product", "product"), ("Lot", "lot"),
                     ("Units", "quantity"), ("Date", "none")]:
            w.writerow([h, f, "visits", "dup", "a clinic's export"])
    monkeypatch.setitem(SETS, "dup", path)
    acc, wrong, clean, tables, _, _ = table_accuracy("dup")
    assert wrong == [] and acc == 1.0
    assert (clean, tables) == (1, 1)

#: The first (blind) measurement on the held-out half, taken once the tune half read 97.3%:
#: 91.3% (190 of 208); 92.8% after the Price/Box change merged from main. SPENT since: the
#: held-out errors were then tuned on (general rules, see docs/RULES.md), which took it to
#: 97.1% (the tune half to 99.5%). Not a blind figure any more; a regression floor only.
#: Issue 9's vocabulary pass (detect3: languages, ERP forms, compounds) took it to 97.6% (a
#: dead phrase fixed: `dispense order` could never match once `dispense` reads as dispensed)
#: and the tune half to 100%.
HELD_OUT_FLOOR = 0.975


def test_headers_are_read_right_on_the_held_out_half(capsys):
    assert_accuracy("heldout", "held-out header", HELD_OUT_FLOOR, HELD_OUT_TABLE_FLOOR, capsys)


#: The second blind set, measured once blind at 84.6% (55 of 65). SPENT since: tuned on
#: with the held-out half, 93.8%; 98.5% after the detect3 vocabulary pass. A regression floor only.
BLIND2_FLOOR = 0.98


def test_headers_are_read_right_on_the_tune_half(capsys):
    # alone: 99.5% before the detect3 vocabulary pass, 100% after
    assert_accuracy("tune", "tune half", 1.0, TUNE_TABLE_FLOOR, capsys)


def test_headers_are_read_right_on_the_second_blind_set(capsys):
    assert_accuracy("blind2", "second blind set", BLIND2_FLOOR, BLIND2_TABLE_FLOOR, capsys)


#: The third blind set (header_corpus_blind3.csv), gathered and committed before the tuning
#: above, measured ONCE after it: 84.5% (142 of 168). The issue's 98% target is NOT met on a
#: blind set. (Seen sets after tuning: tune 99.5%, spent held-out 97.1%, spent blind2 93.8%.)
#: Of the 26 misses, 7 are named in Spanish/French words the vocabulary lacks, 6 are
#: ERP/SAP short forms (DocNum, CardName, WhsCode, OrderedQty), and about 4 are labels a
#: reasonable reader could dispute (`Invoice Amount`, `Entry Date` on a receiving screen).
#: The labels were not changed after the measurement. This floor guards regressions only;
#: the set is spent from here on. Tuned on by class in the detect3 pass (Spanish/French words,
#: ERP short forms, compounds): 95.2% (160 of 168); the 8 left are disputable labels (above),
#: the vaccination `Site` (read right in its table, not from the header alone) and
#: `Vaccine procedure`.
BLIND3_FLOOR = 0.95


def test_headers_are_read_right_on_the_third_blind_set(capsys):
    assert_accuracy("blind3", "third blind set", BLIND3_FLOOR, BLIND3_TABLE_FLOOR, capsys)


#: The fourth blind set (header_corpus_blind4.csv: 320 spellings from 33 sources), gathered
#: by one engineer and committed on its own branch at 12:37 UTC while another tuned the
#: detector on the spent sets without access to it; merged after the tuning and measured
#: ONCE: 85.6% (274 of 320). The issue's 98% target is NOT met on a blind set. Of the 46
#: misses, 31 are columns labelled as naming nothing that were read as a field (a patient's
#: height, weight, state, zip and country read as the patient; a referring physician's NPI
#: as the provider; `Items`, `Descrição`, `DEPÓSITO`, `DOSE_SEQUENCE`), 15 fields missed
#: (NHS extract names such as PERSON_FORENAME and NHS_NUMBER, `unit_price`, `Rate`, `PTR`,
#: `capacity`), and some labels are disputable (`Total` as a visit's price, `Middle name` as
#: the patient). Read as tables (each field to one column, the next test), 36 of the 40
#: tables have no wrong field. The labels were not changed after the measurement; the set is
#: spent from here on and this floor guards regressions only. Tuned on by class afterwards
#: (detect4: a person's attribute is not the person, NHS/EMR export words, trade cost and
#: days words, a bare Total on a visit log is its price; docs/RULES.md): 97.2% (311 of 320)
#: after tuning, not a blind figure; the NHS extract and the sale export read with no wrong
#: field since (38 of 40 tables).
BLIND4_FLOOR = 0.97


def test_headers_are_read_right_on_the_fourth_blind_set(capsys):
    assert_accuracy("blind4", "fourth blind set", BLIND4_FLOOR, BLIND4_TABLE_FLOOR, capsys)


#: The fifth blind set (header_corpus_blind5.csv: 376 spellings from 33 sources, 37 tables,
#: 30% Portuguese/Spanish/German/French), gathered by one engineer and committed on its own
#: branch at 15:07 UTC while another made detection faster and fixed the last public files
#: without access to it; merged after that work and measured ONCE, on main at 009ad11:
#: 78.5% (295 of 376). The issue's 98% target is NOT met on a blind set. Per kind: inventory
#: 83/96, products 53/61, adjustments 41/56, visits 64/90, counts 54/73. Read as tables (each
#: field to one column, the next test), 34 of the 37 tables have no wrong field. Of the 81
#: misses, about 40 are columns labelled as naming nothing that were read as a field when read
#: alone (`productId`/`warehouseId`/`profesionalId` references, a count export's scan
#: tallies and system bins, a birth date, `brand`/`color` of the product), about 30 fields
#: missed (Brazilian DATASUS `no_`/`dt_` prefixes, German movement words `Vorgang`,
#: `Zeitpunkt`, `Ersteller`, `Von`, timestamps `createdAt`/`verifiedAt`/`lastChecked`), and a
#: few labels are disputable (`units` as a visit's unit, `dosis`, `Total` on a count sheet).
#: The labels were not changed after the measurement; the set is spent from here on and this
#: floor guards regressions only. Tuned on by class afterwards (detect6: DATASUS/e-SUS column
#: prefixes, German movement-log words, a count export's opening/moved/snapshot quantities and
#: tag tallies, a product's brand or colour, people and bookings, receiving words; a row's
#: created/verified/checked timestamp is the date only in a table with no date, which this
#: header-only figure cannot show; docs/RULES.md): 90.2% (339 of 376) after tuning, NOT a
#: blind figure (the blind one is 78.5% above). Of the 37 left, 13 are reference ids
#: (`productId`, `facility_id`) labelled none, kept as readings (a table's name column beats
#: them; an export with only the id needs it), 4 timestamps read in table context only, and
#: the rest labels a reader could dispute or that two tables label both ways. detect7 (words
#: from published export schemas and six languages, not from this set's misses): 90.4% (340):
#: `uomCode` is the unit since Business Central's `Unit of Measure Code` is. detect9 (general
#: rules checked on all seven files, docs/RULES.md): 91.0% (342): `totalCost` on a visit log is
#: its price (blind6 labels a bare `Cost` the same).
BLIND5_FLOOR = 0.909  # 342 of 376 = 90.96%


def test_headers_are_read_right_on_the_fifth_blind_set(capsys):
    assert_accuracy("blind5", "fifth blind set", BLIND5_FLOOR, BLIND5_TABLE_FLOOR, capsys)


#: The sixth blind set (header_corpus_blind6.csv: 431 spellings from 46 sources, 58 tables,
#: 44% Portuguese/Spanish/French/German), gathered by one engineer and committed on its own
#: branch while another widened detection from published export schemas (SAP, Odoo, Business
#: Central, Shopify, HL7/FHIR, ...) and six languages without access to it (detect7); merged
#: after that work and measured ONCE, on main at 6029631: 75.2% (324 of 431). The issue's 98%
#: target is NOT met on a blind set. Per kind: inventory 95/135, products 74/87, adjustments
#: 32/42, visits 66/94, counts 57/73. Read as tables (each field to one column, the next test),
#: 52 of the 58 tables have no wrong field. Of the 107 misses, 57 are columns labelled as naming
#: nothing that were read as a field when read alone (a FHIR logical model's
#: `vaccineAdministered`/`vaccinationVenue`/`contraindicationToVaccine`, a patient's
#: attributes `paciente_idade`/`paciente_raca_cor`, a WMS count table's `cnt_usr_id`/`cntgrp`,
#: Dolibarr's `eatby`/`sellby`, ids `doseId`/`receiptId`), 39 fields missed (German and
#: Spanish short forms `artnr`/`lagnr`/`benennung`/`claveProducto`, ids that are the table's only
#: product or location column `skuId`/`LocId`/`id_bio`, timestamps `countedAt`/`usedAt`/
#: `datem`, `INBOUND DATE (PDT)`), and 11 read as another field (a stock sheet's `quantidade`
#: or `menge` labelled `remaining`, read as the opening quantity, which SPEC §1 allows on a
#: stock sheet: the table test accepts it, this per-header figure does not). The labels are
#: not changed after the measurement; the set is spent from here on and this floor guards
#: regressions only. Tuned on by class afterwards (detect8: a participle + At is that event's
#: date, inbound/imported dates and a bare moment are a receipt's; a person's age, race, address
#: and tax number are attributes; `eh`, undetermined, query and rating words name no field; a
#: record's reference holds no amount, date or type; German and Spanish short forms; a count's
#: user, group and catch weight and a vaccine's schedule, venue or contraindication are no
#: field; docs/RULES.md): 85.2% (367 of 431) after tuning, NOT a blind figure (the blind one is
#: 75.2% above); 42 more right, none fewer. An export's id as a table's only product, location
#: or lot column (`skuId`, `ArtikelNr`, `LocId`) is read in table context only, which this
#: header-only figure cannot show. Of the 64 left, most are labels a reader could dispute (a
#: count's `almacen`/`sucursal` labelled none, `Cost` as a visit's price, `label`/`value` on a
#: Dolibarr movement), references labelled none (`facilityId`, `vaccinatorID`, `treatment_id`)
#: kept as readings, and stock sheets' on-hand columns read as the opening quantity. detect9
#: (general rules checked on all seven files, docs/RULES.md): 86.1% (371): a number of doses is
#: how many, a system's hash is no field, a visit's bare `Cost` is its price.
BLIND6_FLOOR = 0.86


def test_headers_are_read_right_on_the_sixth_blind_set(capsys):
    assert_accuracy("blind6", "sixth blind set", BLIND6_FLOOR, BLIND6_TABLE_FLOOR, capsys)


#: The seventh blind set (header_corpus_blind7.csv: 450 spellings from 61 public files, 70
#: tables, 44% Spanish/Portuguese/German/Italian/French), gathered as the issue asks from
#: spreadsheet templates and exports (CSV export code, import templates, committed CSV/xlsx
#: files, OpenEMR/SCMS/NDC/VAERS/Square/Shopify/SAP export formats), its labels audited against
#: the written rules, all before any matcher ran on it; committed on its own branch while
#: detect9 worked without access to it; merged after detect9 and measured ONCE, on main at
#: 5d6f87e (the measuring harness keyed a table's readings by column index first: a header
#: with a trailing space is kept verbatim in the corpus and tidied by the reader):
#: 77.1% (347 of 450) alone and 81.1% (365 of 450) in table context; 43 of 70 tables read
#: in table context with no wrong field. The issue's 98% target is NOT met on a blind set.
#: Of the 85 misses in table context: 38 fields missed (`FornecedorID`, `VAERS_ID`,
#: `fecha comprado`, `vendido por`, `UN.`, `finalQuantity`, `package_name`, `ASN/DN #`),
#: 36 columns labelled as naming nothing read as a field (a brand or trade name beside the
#: product, a count's tare and gap and numbered recount columns, a supplier's lead days,
#: Shopify's SEO title and Google category), 11 read as another field, 9 of them a stock
#: sheet's on-hand column read as its opening quantity (SPEC §1 allows it: 83.1% with those
#: counted right). 301 of the 450 labels are `none`: the set mostly tests that unread
#: columns are left alone. Spent from here on; the floors guard regressions only. Tuned on by
#: class afterwards (detect10: a plan is not the event, count helpers and planning columns
#: name no field, another system's copy of a field is not the field, what a column is about
#: decides (a maker's site, an item's value, a name's suffix, days, an ingredient's unit), a
#: supplier's record id, words in five languages; docs/RULES.md): 85.8% (386 of 450) alone
#: and 90.2% (406 of 450) in table context, 52 of 70 tables with no wrong field, AFTER TUNING,
#: not blind figures (the blind ones are 77.1% and 81.1% above). No other set moved either way.
BLIND7_FLOOR = 0.85
BLIND7_TABLE_FLOOR = 0.90


def test_headers_are_read_right_on_the_seventh_blind_set(capsys):
    assert_accuracy("blind7", "seventh blind set", BLIND7_FLOOR, BLIND7_TABLE_FLOOR, capsys)


#: The eighth blind set (header_corpus_blind8.csv: 421 spellings from 65 public files, 76
#: tables, 42% Portuguese/Spanish/French/German/Italian), gathered like the seventh from
#: spreadsheet templates and exports (vaccine-inventory reconciliation files, a botulinum-toxin
#: treatment export, dispensing registers, count and stocktake workbooks, goods-receipt and
#: stock-movement exports), its labels audited against the written rules (2 of 421 changed),
#: all before any matcher ran on it; committed on its own branch while detect10 tuned on the
#: seventh set and review6 reviewed detect9 without access to it; merged after both and
#: measured ONCE, on main at 77bcbd2: 81.2% (342 of 421) alone and 81.9% (345 of 421) in table
#: context; 49 of 76 tables read in table context with no wrong field. The issue's 98% target
#: is NOT met on a blind set. Of the 76 misses in table context: 36 columns labelled as naming
#: nothing read as a field (a shipment's expected lot and expiry beside the received ones, a
#: trade name beside the product, a customer's classification as the customer, a plant beside
#: its storage location), 34 fields missed (a sell-out file's barcode, invoice number and
#: customer; `startDate`; `received_expiry`; an animal as the patient; `Funcionario`;
#: `Posizione Scaffale`), 6 read as another field. By kind: visits 28, inventory 21,
#: adjustments 13, counts 9, products 5. Spent from here on; the floors guard regressions only.
BLIND8_FLOOR = 0.81
BLIND8_TABLE_FLOOR = 0.81


def test_headers_are_read_right_on_the_eighth_blind_set(capsys):
    assert_accuracy("blind8", "eighth blind set", BLIND8_FLOOR, BLIND8_TABLE_FLOOR, capsys)


#: The per-header figures in table context (detect9): each set's headers read within their
#: table (grouped by source and kind, as the table test groups them; the table's headers
#: given together as its known kind, no values, no tab name: `read_columns`), against the
#: same labels as the alone figure. First measured at 4148141, before any rule of detect9:
#: tune 98.2%, held-out 96.2%, blind2 96.9%, blind3 97.0%, blind4 94.1%, blind5 92.3%,
#: blind6 88.2%. None of them is blind: every set was spent before this figure existed.
#: The seventh set's (measured by the lead once detect9 lands) is the first blind one.
#: After detect9's rules (docs/RULES.md): tune 98.2%, held-out 97.1%, blind2 96.9%, blind3
#: 97.0%, blind4 94.7%, blind5 93.1%, blind6 89.6%; the floors below are those figures.
TUNE_TABLE_FLOOR = 0.98
HELD_OUT_TABLE_FLOOR = 0.97
BLIND2_TABLE_FLOOR = 0.96
BLIND3_TABLE_FLOOR = 0.97
BLIND4_TABLE_FLOOR = 0.94
BLIND5_TABLE_FLOOR = 0.93
BLIND6_TABLE_FLOOR = 0.89


def _tables() -> dict[tuple[str, str], list[dict]]:
    by: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in (corpus() + corpus(BLIND2) + corpus(BLIND3) + corpus(BLIND4) + corpus(BLIND5)
              + corpus(BLIND6) + corpus(BLIND7) + corpus(BLIND8)):
        by[(r["source"], r["kind"])].append(r)
    return by


#: Tables where a column is read as a field its label says it is not. `Code Article` (read as
#: product) is fixed by the head-noun-first rule (`Code produit`, `ID Producto`).
#: Since the `<noun>_id` reference rule reads `medication_id` as the product, the dispensing
#: export's bare `dispensed` column (labelled a flag, not a quantity) is taken as its
#: quantity: from the header alone a person could read it either way; on a real sheet the
#: values decide (a Y/N profile vetoes a quantity, SPEC §1), which this header-only test lacks.
#: The vaccination record's `Site` (the body site, once read as the clinic) is read right
#: since issue 9's second pass: a bare `Site` beside a route or vaccine column is a body site.
#: `dispensed` stays: a rule "a bare event word beside its dated twin is a flag" would also
#: make `Received` beside `Date Received` on a receiving log a flag, and that is the quantity.
KNOWN_MISREADS = {("github:sopra-steria-norge/pharmacy.no pharma-core/src/main/resources/db/db-pharmacist/V001,V003 *.sql",
                   "visits"),
                  # measured with the fourth blind set (4 of its 40 tables): a POS sale export's
                  # `Items` (a count of lines) read as the product and its `Total` as the
                  # quantity; an optional description, and a Portuguese `Descrição`, read as the
                  # product name where the label says the product is named elsewhere (the NHS
                  # extract's DOSE_SEQUENCE, once read as the quantity, is fixed by detect4; the
                  # sale export's bare `Total` is its price since detect4, so with no quantity
                  # column it is no visit log at all and has no wrong field)
                  ("github:JuanGilles123/crece-mas public/templates/README_PLANTILLAS.md", "products"),
                  ("github:storage-system/storage-system-web src/@types/product/spreadsheet-product-row.ts",
                   "inventory"),
                  # measured with the fifth blind set (3 of its 37 tables): a main category
                  # beside the category read as the category, a Spanish vaccination record's
                  # `dosis` (a dose label) read as the quantity (the PO line reference once
                  # read as the invoice is fixed by detect6: a line's or item's reference is
                  # no invoice)
                  ('github:upreis/reistooq-core docs/FORMATO_IMPORTACAO_ESTOQUE.md',
                   'products'),
                  ('github:Eliel181/clinica-pediatrica src/app/core/interfaces/vacuna-aplicada.model.ts',
                   'visits'),
                  # since detect6 reads `transaction_time` as its date, the DEA dispensing log
                  # is read as a visit log, and its one amount column, a bare `units`, is taken
                  # as the quantity (labelled the unit). A bare Units is decided by its values
                  # on a real sheet (numbers: the quantity; words: the unit; SPEC §1,
                  # tests/test_detection_styles.py), which this header-only test has none of
                  ('public GitHub file, search index id 28001235237 (DEA controlled-substance dispensing log CSV export)',
                   'visits'),
                  # measured with the sixth blind set (6 of its 58 tables; since detect8 the
                  # Portuguese lot type's flags are flags, a dose's id holds no quantity and a
                  # dose's description and next dose are no amount, so 3 are left): a vaccine dose's
                  # `doseId` read as the quantity and `medicalUnitHash` as the unit; a FHIR
                  # logical model's venue, outreach session and schedule read as product and
                  # visit id; a Portuguese lot type's `ehLoteNovo` ("is a new lot?") and
                  # `dataValidadeIndeterminada` ("no expiry?") flags read as lot and
                  # expiration; a catalog's second category name read as the category; a
                  # bare `brand` as the product; a Brazilian record's dose description
                  # (`1ª dose`) read as the quantity
                  ('github:IntelliSOFT-Consulting/ChanjoKe-FHIR-IG input/fsh/models/IMMZCAdministerVaccine.fsh',
                   'visits'),
                  ('github:menidh69/naoLogicExercise src/dtos/productCsv.dto.ts', 'products'),
                  ('github:nshutijonathan/apprenticeship-project healthid/utils/constants/product_constants.py '
                   '(PRODUCT_INCLUDE_CSV_FIELDS)', 'products'),
                  # measured with the seventh blind set (4 of its 70 tables read with the whole-table
                  # gate; in table context without the gate 43 of 70 have no wrong field, see
                  # BLIND7_FLOOR): a product's brand name and a store's SEO title read as the
                  # product beside the product's name, an FDA product type read as the category,
                  # a service history's scheduled date read as the visit's date beside the date done
                  # (detect10: the Shopify template's SEO title and Google category are no field
                  # since another system's copy of a field is not the field: lifted; the service
                  # history is dated by its date done now, but still reads `ID Cliente` as the
                  # patient, labelled none, and misses its history id as the visit id; the FDA
                  # NDC directory reads with no wrong field since a name's suffix is no name and
                  # an ingredient's unit no unit: lifted)
                  ('github:openboxes/openboxes grails-app/conf/templates/configuration/products.csv',
                   'products'),
                  ('public GitHub file, search index id 55218645037 (Google Sheet "PBM Control - Base '
                   'Normalizada V1", Spanish: Historial Servicios)', 'visits'),
                  # measured with the eighth blind set (1 of its 76 tables through the gate; 49 of
                  # 76 in table context, see BLIND8_FLOOR): a product's generic name, labelled
                  # none where the brand is the product, read as the product
                  ('public GitHub file, search index id 57954606293 (Nigerian pharmacy app, product '
                   'audit-history field labels)', 'products')}


@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.xfail(strict=True, reason="known misread"))
                                 if k in KNOWN_MISREADS else k for k in sorted(_tables())],
                         ids=lambda k: f"{k[1]}:{k[0][:60]}")
def test_no_wrong_field_in_a_table_whose_kind_is_known(key):
    rows = _tables()[key]
    kind = Kind(key[1])
    sheet = RawSheet(file="corpus.xlsx", sheet="Sheet1", rows=[[r["header"] for r in rows]])
    m = Mapping(sheets=[SheetMapping(kind=kind.value, header_row=1)])
    det = detect_table(sheet, m)
    for f, col in det.columns.items():
        want = expected(rows[col.index])  # by index: the corpus keeps a header's stray spaces
        ok = want == f or (
            # a stock sheet's on-hand column is its opening quantity (SPEC §1)
            kind is Kind.INVENTORY and f == "quantity" and want == "remaining")
        assert ok, f"{col.header!r} read as {f}, labelled {want}"
