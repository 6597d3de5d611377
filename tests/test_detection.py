"""SPEC §1 "Finding the table in a sheet": header row, header spellings, kinds, skipped
rows, ignored tables, and the mapping file that always wins."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from helpers import lot_of, one, reconcile_files, where, write_mapping
from lotsync.cli import main
from lotsync.writers.json_report import report_dict

EXP = date(2026, 12, 31)


def inputs(result) -> dict:
    """report.json `inputs`, keyed by sheet name (or file name for a CSV)."""
    out = {}
    for i in report_dict(result)["inputs"]:
        out[i["sheet"] or i["file"].rsplit("/", 1)[-1]] = i
    return out


def test_header_below_title_logo_and_blank_rows(book):
    path = book({"Inventory": [
        ["Glow Med Spa — Injectables Receiving Log"],   # 1 title
        [],                                             # 2 (logo area)
        [None, None, "Printed 3/4/2026"],               # 3
        [],                                             # 4
        ["Product", "Lot #", "Exp Date", "Qty", "Cost"],  # 5 header
        ["Botox", "C3709C3", EXP, 100, None],           # 6
    ]})
    r = reconcile_files([path])
    assert inputs(r)["Inventory"]["header_row"] == 5
    assert inputs(r)["Inventory"]["kind"] == "inventory"
    assert where(one(r, "MISSING_COST")) == ("clinic.xlsx", "Inventory", 6, "Cost", "E6")


def test_header_in_a_later_column_keeps_sheet_columns(book):
    path = book({"Inventory": [
        [],
        [None, None, "Product", "Lot", "Qty", "Unit Cost"],
        [None, None, "Botox", "C3709C3", 100, None],
    ]})
    r = reconcile_files([path])
    assert where(one(r, "MISSING_COST")) == ("clinic.xlsx", "Inventory", 3, "Unit Cost", "F3")


@pytest.mark.parametrize("field, spellings", [
    ("product", ["Product", "Product Name", "Item", "Description", "Medication", "Drug",
                 "Injectable", "Brand", "PRODUCT"]),
    ("lot", ["Lot", "Lot #", "Lot No.", "Lot No", "Lot Number", "lot_number", "LOT NO.",
             "Batch", "Batch #", "Batch Number", "Batch No."]),
    ("expiration", ["Exp", "Exp Date", "Expiration", "Expiration Date", "Expiry", "Expires",
                    "Use By", "exp. date"]),
    ("received_date", ["Date Received", "Received", "Rec'd", "Receipt Date", "Delivery Date",
                       "Date"]),
    ("quantity", ["Qty", "Quantity", "Qty Received", "# Received", "Units Received", "Amount",
                  "Units", "QTY."]),
    ("unit_cost", ["Unit Cost", "Cost", "Cost/Unit", "Cost Each", "Cost per Vial", "Price Paid"]),
    ("total_cost", ["Total Cost", "Extended Cost"]),
    ("remaining", ["Remaining", "Qty Remaining", "On Hand", "Balance", "Left", "In Stock"]),
    ("location", ["Location", "Site", "Clinic", "Office"]),
])
def test_inventory_header_spellings(book, field, spellings):
    base = {"product": "Product", "lot": "Lot", "quantity": "Qty"}
    values = {"product": "Botox", "lot": "C3709C3", "quantity": 100, "expiration": EXP,
              "received_date": date(2026, 3, 1), "unit_cost": 6.12, "total_cost": 612,
              "remaining": 100, "location": "Downtown"}
    for i, spelling in enumerate(spellings):
        cols = dict(base)
        cols[field] = spelling
        headers = list(cols.values())
        row = [values[f] for f in cols]
        path = book({"Receiving": [headers, row]}, name=f"t{i}.xlsx")
        r = reconcile_files([path])
        assert inputs(r)["Receiving"]["columns"].get(field) == spelling, spelling


@pytest.mark.parametrize("field, spellings", [
    ("date", ["Date", "Date of Service", "DOS", "Visit Date", "Treatment Date", "Appointment Date"]),
    ("patient", ["Patient", "Patient Name", "Client", "Patient ID", "MRN", "Chart #", "Chart No."]),
    ("provider", ["Provider", "Injector", "Practitioner", "Clinician", "Nurse", "Performed By"]),
    ("quantity", ["Qty", "Units", "Units Used", "Amount Used", "mL", "Dose"]),
    ("price", ["Price", "Charge", "Fee", "Amount Charged", "Revenue"]),
    ("unit", ["Unit", "UoM", "Unit of Measure"]),
])
def test_visit_header_spellings(book, field, spellings):
    base = {"date": "Date", "patient": "Patient", "product": "Product", "lot": "Lot", "quantity": "Qty"}
    values = {"date": date(2026, 3, 4), "patient": "P1", "product": "Botox", "lot": "C3709C3",
              "quantity": 20, "provider": "Amy", "price": 280, "unit": "units"}
    inv = book({"Receiving": [["Product", "Lot", "Qty"], ["Botox", "C3709C3", 100]]}, name="inv.xlsx")
    for i, spelling in enumerate(spellings):
        cols = dict(base)
        cols[field] = spelling
        path = book({"Treatments": [list(cols.values()), [values[f] for f in cols]]},
                    name=f"t{i}.xlsx")
        r = reconcile_files([inv, path])
        assert inputs(r)["Treatments"]["columns"].get(field) == spelling, spelling
        assert lot_of(r, "C3709C3").used == 20, spelling


@pytest.mark.parametrize("field, spellings", [
    ("type", ["Type", "Kind", "Adjustment Type", "Movement", "Action"]),
    ("reason", ["Reason", "Why", "Notes"]),
    ("to_location", ["To", "To Location", "Destination"]),
])
def test_adjustment_header_spellings(book, field, spellings):
    inv = book({"Receiving": [["Product", "Lot", "Qty", "Location"], ["Botox", "C3709C3", 100, "Downtown"]]},
               name="inv.xlsx")
    for i, spelling in enumerate(spellings):
        cols = {"date": "Date", "product": "Product", "lot": "Lot", "quantity": "Qty",
                "type": "Type", "location": "Location", "to_location": "To Location", "reason": "Reason"}
        cols[field] = spelling
        values = {"date": date(2026, 3, 4), "product": "Botox", "lot": "C3709C3", "quantity": 30,
                  "type": "xfer", "location": "Downtown", "to_location": "Uptown", "reason": "restock"}
        path = book({"Movements": [list(cols.values()), [values[f] for f in cols]]},
                    name=f"t{i}.xlsx")
        r = reconcile_files([inv, path])
        assert inputs(r)["Movements"]["kind"] == "adjustments", spelling
        assert inputs(r)["Movements"]["columns"].get(field) == spelling, spelling
        assert lot_of(r, "C3709C3", "Uptown").transferred_in == 30, spelling


@pytest.mark.parametrize("spelling", ["Counted", "Physical Count", "Qty Counted", "Actual Count"])
def test_count_header_spellings(book, spelling):
    path = book({"Receiving": [["Product", "Lot", "Qty"], ["Botox", "C3709C3", 100]],
                 "Sheet3": [["Date", "Product", "Lot", spelling], [date(2026, 3, 31), "Botox", "C3709C3", 90]]})
    r = reconcile_files([path])
    assert inputs(r)["Sheet3"]["kind"] == "counts"
    assert lot_of(r, "C3709C3").count_variance == -10


def test_units_is_a_quantity_when_its_values_are_numbers_and_a_unit_when_words(book):
    path = book({
        "Receiving": [["Product", "Lot", "Qty", "Units"],
                      ["Botox", "C3709C3", 2, "vial"], ["Botox", "H8821", 1, "vial"]],
        "Treatments": [["DOS", "Product", "Lot", "Units"],
                       [date(2026, 3, 4), "Botox", "C3709C3", 20],
                       [date(2026, 3, 5), "Botox", "C3709C3", "12.5"]],
    })
    r = reconcile_files([path])
    assert inputs(r)["Receiving"]["columns"] == {"product": "Product", "lot": "Lot",
                                                 "quantity": "Qty", "unit": "Units"}
    assert inputs(r)["Treatments"]["columns"]["quantity"] == "Units"
    assert "unit" not in inputs(r)["Treatments"]["columns"]


def test_totals_and_blank_rows_are_skipped(book):
    path = book({"Receiving": [
        ["Product", "Lot", "Exp", "Qty", "Unit Cost"],
        ["Botox", "C3709C3", EXP, 100, 6.12],
        [],
        [None, "", None],
        ["Xeomin", "X100", EXP, 50, 5.0],
        ["Total", None, 150, None],
        [None, "TOTALS:", 150],
        ["total units", None, 150],
    ]})
    r = reconcile_files([path])
    inv = inputs(r)["Receiving"]
    assert (inv["rows_read"], inv["rows_skipped"]) == (2, 5)
    assert r.findings == ()  # no MISSING_REQUIRED for the totals rows
    assert sorted(l.lot for l in r.lots) == ["C3709C3", "X100"]


def test_every_other_row_is_read_or_reported(book):
    path = book({"Receiving": [
        ["Product", "Lot", "Qty", "Unit Cost"],
        ["Botox", "C3709C3", 100, 6.12],
        [None, None, None, 4.0],            # a stray cost: reported, not dropped silently
        ["Subtotal Botox", None, 100, None],  # not a totals row (first cell does not start with total)
    ]})
    r = reconcile_files([path])
    reported_rows = {f.source.row for f in r.findings}
    assert {3, 4} <= reported_rows


@pytest.mark.parametrize("tab, kind", [("Receiving", "inventory"), ("Treatments", "visits"),
                                       ("Inventory", "inventory"), ("Visits", "visits")])
def test_a_tab_name_breaks_a_tie(book, tab, kind):
    # Date, Product, Lot, Qty fits a receiving log (Date = received) and a visit log alike
    tied = [["Date", "Product", "Lot", "Qty"], [date(2026, 3, 4), "Botox", "C3709C3", 20]]
    sheets = {tab: tied}
    if kind == "visits":
        sheets["Stock"] = [["Product", "Lot", "Qty", "Exp"], ["Botox", "C3709C3", 100, EXP]]
    r = reconcile_files([book(sheets)])
    assert inputs(r)[tab]["kind"] == kind


def test_a_file_name_breaks_a_tie_for_a_csv(book, csv_file):
    inv = book({"Stock": [["Product", "Lot", "Qty", "Exp"], ["Botox", "C3709C3", 100, EXP]]})
    vis = csv_file([["Date", "Product", "Lot", "Qty"], ["2026-03-04", "Botox", "C3709C3", "20"]],
                   name="treatments-march.csv")
    r = reconcile_files([inv, vis])
    assert inputs(r)["treatments-march.csv"]["kind"] == "visits"
    assert lot_of(r, "C3709C3").used == 20


def test_a_count_tab_reads_its_quantity_column_as_counted(book):
    path = book({
        "Receiving": [["Product", "Lot", "Qty"], ["Botox", "C3709C3", 100]],
        "March Count": [["Date", "Product", "Lot", "Qty"], [date(2026, 3, 31), "Botox", "C3709C3", 93]],
    })
    r = reconcile_files([path])
    count = inputs(r)["March Count"]
    assert count["kind"] == "counts"
    assert count["columns"]["counted"] == "Qty"
    f = one(r, "COUNT_VARIANCE")
    assert where(f) == ("clinic.xlsx", "March Count", 2, "Qty", "D2")
    assert lot_of(r, "C3709C3").derived_remaining == 93


def test_same_kind_tables_are_concatenated_in_order(book):
    inv = book({"Receiving": [["Product", "Lot", "Qty", "Unit Cost"], ["Botox", "C3709C3", 100, 6]]},
               name="inv.xlsx")
    vis = book({"Jan Treatments": [["Date", "Patient", "Product", "Lot", "Units"],
                                   [date(2026, 1, 5), "P1", "Botox", "C3709C3", 20]],
                "Feb Treatments": [["DOS", "Client", "Item", "Batch", "Dose"],
                                   [date(2026, 2, 5), "P2", "Botox", "C3709C3", 30]]},
               name="visits.xlsx")
    r = reconcile_files([inv, vis])
    assert [i["sheet"] for i in report_dict(r)["inputs"]] == ["Receiving", "Jan Treatments", "Feb Treatments"]
    assert lot_of(r, "C3709C3").used == 50


def test_a_table_matching_no_kind_is_listed_as_ignored_with_what_it_lacked(book):
    path = book({
        "Receiving": [["Product", "Lot", "Qty"], ["Botox", "C3709C3", 100]],
        "Sheet2": [["Product", "Qty", "Expiration"], ["Xeomin", 50, EXP]],
        "Staff": [["Name", "Phone"], ["Amy", "555-0100"]],
    })
    r = reconcile_files([path])
    ins = inputs(r)
    assert ins["Sheet2"]["kind"] == "ignored"
    assert "lot" in ins["Sheet2"]["note"]
    assert ins["Sheet2"]["rows_read"] == 0
    assert ins["Staff"]["kind"] == "ignored"
    assert ins["Receiving"]["kind"] == "inventory"


def test_an_empty_tab_is_listed_as_ignored(book):
    r = reconcile_files([book({"Receiving": [["Product", "Lot", "Qty"], ["Botox", "C1", 100]],
                               "Notes": []})])
    assert inputs(r)["Notes"]["kind"] == "ignored"


# --- the mapping file -----------------------------------------------------------------


def test_a_mapping_file_names_columns_detection_cannot(book, tmp_path):
    path = book({"Sheet1": [["Item Code", "Batch Ref", "Pcs", "Paid"],
                            ["Botox", "C3709C3", 100, 612]]})
    mapping = write_mapping(tmp_path / "map.toml", """
[[sheets]]
sheet = "Sheet1"
kind = "inventory"
[sheets.columns]
"Item Code" = "product"
"Batch Ref" = "lot"
"Pcs" = "quantity"
"Paid" = "total_cost"
""")
    r = reconcile_files([path], mapping=mapping)
    assert inputs(r)["Sheet1"]["kind"] == "inventory"
    assert lot_of(r, "C3709C3").unit_cost == Decimal("6.12")


def test_a_mapping_file_wins_over_detection(book, tmp_path):
    rows = [["Product", "Lot", "Qty", "Cost"], ["Botox", "C3709C3", 100, 612]]
    path = book({"Receiving": rows})
    assert lot_of(reconcile_files([path]), "C3709C3").unit_cost == 612  # Cost: per unit
    mapping = write_mapping(tmp_path / "map.toml", '[columns]\n"Cost" = "total_cost"\n')
    assert lot_of(reconcile_files([path], mapping=mapping), "C3709C3").unit_cost == Decimal("6.12")


def test_a_mapping_file_sets_kind_and_header_row(book, tmp_path):
    path = book({
        "Receiving": [["Product", "Lot", "Qty"], ["Botox", "C3709C3", 100]],
        # a tie that detection would call inventory; the mapping says visits, header in row 2
        "Sheet2": [["Date", "Product", "Lot", "Qty"],
                   ["Date", "Product", "Lot", "Qty"],
                   [date(2026, 3, 4), "Botox", "C3709C3", 20]],
        "Scratch": [["Product", "Lot", "Qty"], ["Botox", "C3709C3", 5]],
    })
    mapping = write_mapping(tmp_path / "map.toml", """
[[sheets]]
sheet = "sheet2"
kind = "visits"
header_row = 2

[[sheets]]
file = "clinic.xlsx"
sheet = "Scratch"
kind = "ignore"
""")
    r = reconcile_files([path], mapping=mapping)
    ins = inputs(r)
    assert (ins["Sheet2"]["kind"], ins["Sheet2"]["header_row"]) == ("visits", 2)
    assert ins["Scratch"]["kind"] == "ignored"
    lot = lot_of(r, "C3709C3")
    assert (lot.received, lot.used) == (100, 20)


@pytest.mark.parametrize("toml, key", [
    ('[[sheets]]\nsheet = "Receiving"\nkind = "inventroy"\n', "sheets[0].kind"),
    ('[columns]\n"Qty Rec" = "quantiy"\n', "quantiy"),
    ('[[sheets]]\nheader_row = 0\n', "sheets[0].header_row"),
    ('[colums]\n"Qty" = "quantity"\n', "colums"),
    ('[columns\n"Qty" = 1\n', "TOML"),
])
def test_a_bad_mapping_file_exits_2_naming_the_key(book, tmp_path, capsys, toml, key):
    path = book({"Receiving": [["Product", "Lot", "Qty"], ["Botox", "C1", 100]]})
    mapping = write_mapping(tmp_path / "map.toml", toml)
    with pytest.raises(SystemExit) as e:
        main(["reconcile", path, "--mapping", mapping, "--as-of", "2026-06-30",
              "--out", str(tmp_path / "out"), "--quiet"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert key in err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "report.json").exists()


def test_a_missing_mapping_file_exits_2(book, tmp_path, capsys):
    path = book({"Receiving": [["Product", "Lot", "Qty"], ["Botox", "C1", 100]]})
    with pytest.raises(SystemExit) as e:
        main(["reconcile", path, "--mapping", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "o")])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "nope.toml" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("blank_rows, found_at", [(29, 30), (30, None)])
def test_the_header_is_looked_for_in_the_first_30_rows(book, blank_rows, found_at):
    rows = [["Glow Med Spa"]] + [[]] * (blank_rows - 1) + [["Product", "Lot", "Qty"], ["Botox", "C1", 100]]
    sheets = {"Receiving": rows, "Other": [["Product", "Lot", "Qty"], ["Xeomin", "X1", 5]]}
    r = reconcile_files([book(sheets)])
    assert inputs(r)["Receiving"]["header_row"] == found_at


@pytest.mark.parametrize("headers", [["Date", "Client", "Treatment", "Product", "Lot", "Units"],
                                     ["Date", "Client", "Product", "Treatment", "Lot", "Units"]])
def test_a_column_named_as_its_field_wins_over_an_alias(book, headers):
    # a visit log with a service column ("Treatment") beside the product column
    row = {"Date": date(2026, 3, 4), "Client": "P1", "Treatment": "Lip filler", "Product": "Juvederm",
           "Lot": "J1", "Units": 1}
    path = book({"Receiving": [["Product", "Lot", "Qty", "Exp"], ["Juvederm", "J1", 2, EXP]],
                 "Treatments": [headers, [row[h] for h in headers]]})
    r = reconcile_files([path])
    assert inputs(r)["Treatments"]["columns"]["product"] == "Product"
    assert "Treatment" in inputs(r)["Treatments"]["unused"]
    assert lot_of(r, "J1").used == 1
    assert [f.code for f in r.findings] == ["MISSING_COST"]  # no LOT_PRODUCT_MISMATCH


def test_a_count_column_wins_over_a_quantity_column_on_a_count_tab(book):
    path = book({"Receiving": [["Product", "Lot", "Qty"], ["Botox", "C3709C3", 100]],
                 "Count": [["Date", "Product", "Lot", "Qty Expected", "Qty", "Counted"],
                           [date(2026, 3, 31), "Botox", "C3709C3", 100, 100, 97]]})
    r = reconcile_files([path])
    assert inputs(r)["Count"]["columns"]["counted"] == "Counted"
    assert lot_of(r, "C3709C3").derived_remaining == 97
