"""Where the bundled sample practice hides its mistakes, as data.

Why this file exists: `lotsync demo` is the first thing a new user runs, and its report
must show every kind of finding on a practice that otherwise reads like a careful clinic's
books. So the demo's planted problems are listed here, one per finding lotsync should
raise, with the exact cell it should point at. Tests use the list twice: to check that the
written workbooks hold each mistake where this list says (tests/test_demo_files.py), and to
check that reconciling the demo finds each one (and, ideally, nothing else).

The list is a literal, not computed, so a reviewer can read it without running anything;
`lotsync.demo.plan_demo_practice().planted` recomputes it from the generator and a test
asserts the two agree. After changing the generator, print the new list with
`python -m lotsync.demo.practice --print-planted` and paste it over the list below.

Fields: `code` is the finding code (SPEC §3); `file` is the file name as written into the
demo folder, `sheet` the tab (None for a CSV file), `cell` the A1 cell the finding should
point at (SPEC §3 "where it points"; where the SPEC names a row but no column, the cell
chosen is said in the description); `product` and `lot` name the lot concerned (catalog
product name, lot as displayed on its receiving row: for a missing, mistyped or
wrong-product lot, the lot lotsync's inference should land on) and `location` is the
location the finding carries (a visit row's own location, even when it took from another
site's lot), so a test can match a finding even where the cell is a matter of
interpretation.

Findings that follow from a planted one rather than being planted on their own (a use
before receipt also drives the lot below zero that day) are listed too, marked in their
description as a consequence.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    """One deliberate mistake in the demo practice, and the finding it should produce."""

    code: str
    file: str
    sheet: str | None
    cell: str
    description: str
    product: str | None = None
    lot: str | None = None
    location: str | None = None


# fmt: off
PLANTED: list[Planted] = [
    Planted("REMAINING_MISMATCH", "Inventory.xlsx", "Receiving", "H11",
            "Remaining says 1 vial but the ledger leaves 0: the last package was never crossed off.",
            "Semaglutide 2.5 mg/mL 2 mL vial", "SG260102-4", "Main St"),
    Planted("REMAINING_MISMATCH", "Inventory.xlsx", "Receiving", "H132",
            "Remaining says 4 syringes but the ledger leaves 3: not updated after the last syringe used.",
            "Juvederm Ultra XC 1mL", "V69LE10035", "Westside"),
    Planted("REMAINING_MISMATCH", "Inventory.xlsx", "Receiving", "H134",
            "Remaining says 21 vials but the ledger leaves 20.8: the opened vial is counted as a whole one.",
            "Botox Cosmetic 100U", "C9232C4", "Main St"),
    Planted("REMAINING_MISMATCH", "Inventory.xlsx", "Receiving", "H93",
            "Remaining says 1 vial but the ledger leaves 0.375: rounded up to whole packages.",
            "Tirzepatide 10 mg/mL 2 mL", "TZ260707-2", "Westside"),
    Planted("UNKNOWN_LOT", "Treatments 2026.xlsx", "May", "E92",
            "Lot mistyped as E6341A3 (one character off E6341C3); the repair rule finds the real lot.",
            "Botox Cosmetic 100U", "E6341C3", "Main St"),
    Planted("UNKNOWN_LOT", "Treatments 2026.xlsx", "Oct", "E170",
            "Lot mistyped as R25067-00 (one character off R25067-70); the repair rule finds the real lot.",
            "RHA 2", "R25067-70", "Main St"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Jan", "E19",
            "Lot written 'N/A' on a toxin visit; the same provider's earlier row that day names the open vial (E6341C3).",
            "Botox Cosmetic 100U", "E6341C3", "Main St"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Feb", "E31",
            "Lot left blank on a toxin visit; the same provider's earlier row that day names the open vial (E6899C2).",
            "Botox Cosmetic 100U", "E6899C2", "Westside"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Mar", "E32",
            "Lot written 'N/A' on a toxin visit; the same provider's earlier row that day names the open vial (E6341C3).",
            "Botox Cosmetic 100U", "E6341C3", "Main St"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Apr", "E48",
            "Lot written 'N/A' on a toxin visit; the same provider's earlier row that day names the open vial (E6899C2).",
            "Botox Cosmetic 100U", "E6899C2", "Westside"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "May", "E49",
            "Lot left blank on a toxin visit; the same provider's earlier row that day names the open vial (E6341C3).",
            "Botox Cosmetic 100U", "E6341C3", "Main St"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Jun", "E55",
            "Lot written 'N/A' on a toxin visit; the same provider's earlier row that day names the open vial (E6899C2).",
            "Botox Cosmetic 100U", "E6899C2", "Westside"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Jul", "E43",
            "Lot written 'N/A' on a toxin visit; the same provider's earlier row that day names the open vial (D1066R5).",
            "Botox Cosmetic 100U", "D1066R5", "Main St"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Aug", "E37",
            "Lot left blank on a toxin visit; the same provider's earlier row that day names the open vial (E6899C2).",
            "Botox Cosmetic 100U", "E6899C2", "Westside"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Sep", "E52",
            "Lot written 'N/A' on a toxin visit; the same provider's earlier row that day names the open vial (D1066R5).",
            "Botox Cosmetic 100U", "D1066R5", "Main St"),
    Planted("MISSING_LOT", "Treatments 2026.xlsx", "Oct", "E71",
            "Lot left blank on a toxin visit; the same provider's earlier row that day names the open vial (D0900C4).",
            "Botox Cosmetic 100U", "D0900C4", "Westside"),
    Planted("EXPIRED_USE", "Treatments 2026.xlsx", "Jul", "E5",
            "Semaglutide given from lot SG260407-4, which expired 2026-06-30; the rest was written off the next day.",
            "Semaglutide 2.5 mg/mL 2 mL vial", "SG260407-4", "Westside"),
    Planted("FEFO_VIOLATION", "Treatments 2026.xlsx", "May", "E122",
            "Lot E6341C3 (expires 2028-06-30) used while lot C0597C2 (expires 2028-01-31) had enough on hand.",
            "Botox Cosmetic 100U", "E6341C3", "Main St"),
    Planted("FEFO_VIOLATION", "Treatments 2026.xlsx", "Sep", "E160",
            "Lot V04CB18964 (expires 2028-09-30) used while lot V80EM99031 (expires 2027-04-30) had enough on hand.",
            "Juvederm Ultra XC 1mL", "V04CB18964", "Westside"),
    Planted("NEGATIVE_BALANCE", "Treatments 2026.xlsx", "May", "E91",
            "Visit charged 1 mL to the previous lot R22697-89, which was used up; a count correction on 2026-05-14 brings it back to zero.",
            "RHA 2", "R22697-89", "Main St"),
    Planted("DUPLICATE_ENTRY", "Treatments 2026.xlsx", "Mar", "E63",
            "Visit row pasted twice: row 63 repeats row 62 cell for cell (cell: the later row's lot).",
            "Juvederm Ultra XC 1mL", "V27AB97734", "Main St"),
    Planted("UNLOGGED_TRANSFER", "Treatments 2026.xlsx", "Oct", "E64",
            "Westside used lot E1080C6, which only Main St ever received; there is no transfer row.",
            "Botox Cosmetic 100U", "E1080C6", "Westside"),
    Planted("COUNT_VARIANCE", "Inventory.xlsx", "Q3 Count", "D2",
            "Q3 count 10 units short of the ledger for this lot.",
            "Botox Cosmetic 100U", "E6341C3", "Main St"),
    Planted("COUNT_VARIANCE", "Inventory.xlsx", "Q3 Count", "D21",
            "Q3 count one syringe short of the ledger for this lot.",
            "Restylane Lyft 1mL", "86294-9", "Westside"),
    Planted("COST_CONFLICT", "Inventory.xlsx", "Receiving", "G101",
            "Lot D1066R5 received again after the July price increase at $624.00/vial (its first receipt: $612.00).",
            "Botox Cosmetic 100U", "D1066R5", "Main St"),
    Planted("MISSING_COST", "Inventory.xlsx", "Receiving", "G66",
            "Unit cost left blank (invoice not in yet).",
            "Tirzepatide 10 mg/mL 2 mL", "TZ260428-4", "Westside"),
    Planted("MISSING_EXPIRATION", "Inventory.xlsx", "Receiving", "D10",
            "Expiration date left blank.",
            "Sculptra", "48M394", "Main St"),
    Planted("EXPIRED_ON_HAND", "Inventory.xlsx", "Receiving", "D123",
            "Short-dated lot expired 2026-10-31 with stock left and was never written off (cell: its expiration on the receiving row).",
            "Xeomin 100U", "134184", "Westside"),
    Planted("EXPIRING_SOON", "Inventory.xlsx", "Receiving", "D137",
            "Short-dated lot expires 2026-12-31 with stock on hand (cell: its expiration on the receiving row).",
            "Restylane Lyft 1mL", "98968-5", "Westside"),
    Planted("EXPIRING_SOON", "Inventory.xlsx", "Receiving", "D138",
            "Short-dated lot expires 2027-01-15 with stock on hand (cell: its expiration on the receiving row).",
            "Semaglutide 2.5 mg/mL 2 mL vial", "SG261116-7", "Main St"),
    Planted("PRODUCT_ALIAS", "Treatments 2026.xlsx", "Aug", "D86",
            "Product written 'Juvederm' (not a catalog name or alias); its lot V92CC17697 is Juvederm Ultra XC 1mL.",
            "Juvederm Ultra XC 1mL", "V92CC17697", "Westside"),
    Planted("PRODUCT_ALIAS", "Treatments 2026.xlsx", "Aug", "D177",
            "Product written 'Juvederm' (not a catalog name or alias); its lot V80EM99031 is Juvederm Ultra XC 1mL.",
            "Juvederm Ultra XC 1mL", "V80EM99031", "Westside"),
    Planted("PRODUCT_ALIAS", "Treatments 2026.xlsx", "Sep", "D279",
            "Product written 'Juvederm' (not a catalog name or alias); its lot V04CB18964 is Juvederm Ultra XC 1mL.",
            "Juvederm Ultra XC 1mL", "V04CB18964", "Westside"),
    Planted("INVALID_VALUE", "Treatments 2026.xlsx", "Apr", "A99",
            "Date of service typed as '13/45/2026'; the row stays out of the ledger.",
            "Botox Cosmetic 100U", "E6899C2", "Westside"),
    Planted("INVALID_VALUE", "Treatments 2026.xlsx", "Jun", "F82",
            "Units used typed as 'twenty'; the row stays out of the ledger.",
            "Botox Cosmetic 100U", "C0597C2", "Main St"),
    Planted("UNKNOWN_UNIT", "Treatments 2026.xlsx", "Feb", "G20",
            "B12 recorded in 'ampules', a unit lotsync cannot convert; the row takes nothing.",
            "B12 Cyanocobalamin 1mL", "B26527", "Main St"),
    Planted("LOT_PRODUCT_MISMATCH", "Treatments 2026.xlsx", "Jun", "E107",
            "Filler row carries the Botox lot C0597C2 copied from the row above (same visit).",
            "Restylane Lyft 1mL", "10861-6", "Main St"),
    Planted("USE_BEFORE_RECEIPT", "Treatments 2026.xlsx", "Jun", "A233",
            "Visit on 2026-06-29 used lot 11391-8, logged as received only on 2026-06-30.",
            "Restylane Lyft 1mL", "11391-8", "Main St"),
    Planted("NEGATIVE_BALANCE", "Treatments 2026.xlsx", "Jun", "E233",
            "Consequence of the use before receipt: the lot is below zero at the end of 2026-06-29.",
            "Restylane Lyft 1mL", "11391-8", "Main St"),
]
# fmt: on
