"""Finding the table in a sheet: its header row, its kind, and which column is which field.

Rules (SPEC §1):
- Each cell of the first 30 rows is read as words (tables/words.py): every field it may
  name, with a score and the words that decided. A group title over merged cells in the row
  above (`Received` over `Date | Qty`; a merged cell arrives as its value in the first cell
  and blanks after it, so it is carried right) adds its words to each column under it.
- The values under a candidate header confirm or veto each reading (tables/profile.py).
- Within one table each field goes to one column and each column to one field: the best
  scoring (column, field) pair is taken first, a header that is the field's own name beats
  an alias, then the earlier column. "Units" with too few values to profile is a quantity
  when its values are mostly numbers, a unit of measure when mostly words.
- The kind is the one whose required fields are all present with the best total score;
  fields only one kind has (patient, counted, type) weigh in, a tab or file name adds a
  little (it breaks ties), a table with a visit date or patient is never a product catalog.
  On a count tab, or a table a mapping file says is a count, a quantity-like column is the
  counted quantity. A stock sheet (product,
  lot, quantity on hand, no received quantity; SPEC names the case with no receipt date,
  docs/RULES.md extends it to a batch stock sheet that dates each receipt) is an inventory
  table whose on-hand column is the opening quantity. A row whose only count-like column is
  a balance (nothing names a count) beside a quantity moved, dated by no count date
  (`Posting Date | Quantity | Remaining Quantity`, SAP's `BUDAT | MENGE | CLABS`), is a
  receiving or ledger export with its running balance, never a count; a count tab or a
  mapping file's kind keeps the count (detect7).
- A waste report is a waste log, never visits, receipts or a count (booked as visits its
  wasted doses would become treatment COGS): a table whose date or quantity column is a
  waste word's (`WASTAGE_SUBMITTED_DATE`, `Doses Wasted` as the only quantity). Nothing
  else decides it: a tab or file named for waste ("Botox Usage & Waste" holding Units Used,
  "Botox Inventory and Waste Log.xlsx" › "Sheet1" holding receipts) or a `Date Discarded` /
  `Units Wasted` column beside the table's own date and quantity (a vial log, a visit log
  that also notes waste) leaves the table what its reading columns say; names only break
  ties (SPEC §1). A waste-dated header counts when the reading has no date of its own (an
  export of product, lot and doses read as receipts, beside `WASTAGE_SUBMITTED_DATE`). It is read as adjustments when it has what they require, else ignored
  with a note saying so.
- A mapping file wins over all of it. A sheet that matches no kind is ignored with what it
  lacked and the likeliest columns for the missing field ("no quantity column; closest:
  'Units Out'?"), named for the kind it lacks the fewest required fields of (then the one
  whose own fields it has: a patient makes it a visit log).
- A reading scoring under WEAK_BELOW is a weak guess: `lotsync check` flags it and a
  reconcile says in one line that it read a table on weak guesses.

Rejected: exact lookup of a normalised header in an alias list (v0.1: any wording not on
the list was not read, issue 9); a first-match per column (two columns naming one field
were decided by order, not by how well each names it); fuzzy similarity of whole header
strings (`Cost` ~ `Cost of Goods`, `Date` ~ `Date Received`, and no words to show why).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz

from lotsync.model import Column, Kind
from lotsync.readers.raw import RawSheet
from lotsync.tables.headers import AMBIGUOUS_UNITS, KIND_FIELDS, name_hint, normalize_header, package_of_cost
from lotsync.tables.mapping import Mapping
from lotsync.tables.profile import (DATE_FIELDS, NUMBER_FIELDS, SAMPLE, Profile, first_cells, profile_column,
                                   profile_of, vetoes)
from lotsync.tables.values import clean_text, parse_number
from lotsync.tables.words import FieldGuess, header_words, read_header, vocabulary

HEADER_SCAN_ROWS = 30
SAMPLE_ROWS = 50
WEAK_BELOW = 0.75
MIN_SCORE = 0.45

#: Fields only one kind of table has: their presence is evidence for that kind.
KIND_MARKS: dict[Kind, frozenset[str]] = {
    Kind.VISITS: frozenset({"patient", "provider", "visit_id", "price"}),
    Kind.ADJUSTMENTS: frozenset({"type", "to_location", "reason", "staff"}),
    Kind.COUNTS: frozenset({"counted"}),
    Kind.INVENTORY: frozenset({"received_date", "expiration", "unit_cost", "total_cost",
                               "supplier", "invoice", "remaining"}),
    Kind.PRODUCTS: frozenset({"aliases", "package_unit", "units_per_package", "category"}),
}
QUANTITY_LIKE = frozenset({"quantity", "remaining"})
#: Kinds a waste report is never read as: each would book wasted doses as used, received or counted.
NOT_WASTE_KINDS = frozenset({Kind.VISITS, Kind.INVENTORY, Kind.COUNTS})
#: A bare `Site` beside a route or a vaccine column is where on the body the dose went (a
#: vaccination record), not the clinic: `Site | Route`, `Vaccine | Site`. `Clinic Site`,
#: `Site Name` and a `Site` on a visit log without them stay the location.
BODY_SITE_NEIGHBOURS = frozenset({"route", "vaccine", "laterality"})
#: A header equal to one of these names its field outright ("Product" beats "Treatment").
OWN_NAMES = {"received_date": {"datereceived", "receiveddate"}, "unit_cost": {"unitcost"},
             "total_cost": {"totalcost"}, "visit_id": {"visitid"}, "to_location": {"tolocation"},
             "units_per_package": {"unitsperpackage"}, "package_unit": {"packageunit"},
             # review7a: a column named the invoice is the invoice beside a delivery note (`DN #`,
             # `Delivery Note #` read as the invoice only where no column names it)
             "invoice": {"invoicenumber", "invoiceid", "invnumber"}}


@dataclass(frozen=True)
class Reading:
    """How one column was read: its field, how sure (0-1), the words that decided."""
    field: str
    header: str
    index: int
    confidence: float
    words: tuple[str, ...]
    by_mapping: bool = False

    @property
    def weak(self) -> bool:
        return not self.by_mapping and self.confidence < WEAK_BELOW


@dataclass(frozen=True)
class Detection:
    sheet: RawSheet
    kind: Kind | None  # None: ignored
    header_row: int | None  # 1-based
    columns: dict[str, Column]
    unused: tuple[str, ...] = ()
    note: str | None = None  # why ignored / what is missing
    readings: dict[str, Reading] = field(default_factory=dict)
    closest: dict[str, tuple[str, ...]] = field(default_factory=dict)  # missing field -> headers

    @property
    def weak(self) -> tuple[Reading, ...]:
        return tuple(r for r in self.readings.values() if r.weak)


def _is_numberish(cell: object) -> bool:
    if cell is None or isinstance(cell, bool):
        return False
    if isinstance(cell, (int, float)):
        return True
    try:
        parse_number(cell)
        return True
    except ValueError:
        return False


def _units_is_quantity(rows: list[list[object]], header_idx: int, col: int) -> bool:
    nums = words = 0
    for r in rows[header_idx + 1: header_idx + 1 + SAMPLE_ROWS]:
        if col < len(r) and r[col] is not None and str(r[col]).strip():
            if _is_numberish(r[col]):
                nums += 1
            else:
                words += 1
    return nums >= words


def _group_titles(rows: list[list[object]], idx: int) -> list[str | None]:
    """The row above `idx` as group titles carried right over the blanks after each (merged
    cells), when it looks like one: fewer filled cells than the header row, all text."""
    if idx == 0:
        return []
    above, here = rows[idx - 1], rows[idx]
    filled = [clean_text(c) for c in above]
    n_above = sum(1 for c in filled if c)
    n_here = sum(1 for c in here if clean_text(c))
    if not n_above or n_above >= n_here or any(isinstance(c, (int, float)) for c in above if c is not None):
        return []
    out: list[str | None] = []
    current: str | None = None
    for j in range(len(here)):
        c = filled[j] if j < len(filled) else None
        if c:
            current = c  # a title runs right over the blanks after it (a merged cell)
        out.append(current)
    return out


class _Sheet:
    """Per-sheet caches, so that reading 30 candidate header rows as 5 kinds of table costs
    little more than reading one: each column's first values, classified once."""

    def __init__(self, rows: list[list[object]]):
        self.rows = rows
        self._cells: dict[int, list[tuple[int, str]]] = {}
        self._profiles: dict[tuple[int, int], Profile] = {}
        self._headers: dict[int, tuple[tuple[int, str, str], ...]] = {}
        self._groups: dict[int, list[str | None]] = {}
        self._body_site: dict[int, bool] = {}
        self._units: dict[tuple[int, int], bool] = {}

    def profile(self, idx: int, j: int) -> Profile:
        """The column's profile under a header in row `idx`: its first SAMPLE values below.
        A header among the first HEADER_SCAN_ROWS rows takes them from the column's first
        SAMPLE + HEADER_SCAN_ROWS values from the top (at most idx + 1 of those lie at or
        above the header, so the SAMPLE below it are among them): one walk down a column
        for every candidate row, never one per row."""
        key = (idx, j)
        p = self._profiles.get(key)
        if p is None:
            if idx < HEADER_SCAN_ROWS:
                cells = self._cells.get(j)
                if cells is None:
                    cells = self._cells[j] = first_cells(self.rows, j, 0, SAMPLE + HEADER_SCAN_ROWS)
                p = profile_of([k for i, k in cells if i > idx][:SAMPLE])
            else:
                p = profile_column(self.rows, idx, j)
            self._profiles[key] = p
        return p

    def headers(self, idx: int) -> tuple[tuple[int, str, str], ...]:
        """Row `idx` read as header cells: (column, text, normalised key) of each filled cell."""
        h = self._headers.get(idx)
        if h is None:
            h = self._headers[idx] = tuple(
                (j, t, normalize_header(t)) for j, t in enumerate(map(clean_text, self.rows[idx])) if t is not None)
        return h

    def groups(self, idx: int) -> list[str | None]:
        g = self._groups.get(idx)
        if g is None:
            g = self._groups[idx] = _group_titles(self.rows, idx)
        return g

    def body_site(self, idx: int) -> bool:
        b = self._body_site.get(idx)
        if b is None:
            b = self._body_site[idx] = _names_body_sites(self.rows[idx])
        return b

    def units_is_quantity(self, idx: int, j: int) -> bool:
        key = (idx, j)
        u = self._units.get(key)
        if u is None:
            u = self._units[key] = _units_is_quantity(self.rows, idx, j)
        return u


def _own_name(key: str, f: str) -> bool:
    """Whether a header (by its normalised key) is the field's own name."""
    return key == f.replace("_", "") or key in OWN_NAMES.get(f, ())


@lru_cache(maxsize=8192)
def _guesses(header: str, group: str | None, kind: Kind) -> tuple[FieldGuess, ...]:
    own = read_header(header, kind)
    if not group:
        return own
    both = {g.field: g for g in read_header(f"{group} {header}", kind)}
    for g in own:
        if g.field not in both or g.score >= both[g.field].score:
            both[g.field] = g
    return tuple(sorted(both.values(), key=lambda g: -g.score))


def _assign(sh: _Sheet, idx: int, kind: Kind, extra: dict[str, str], count_hint: bool
            ) -> tuple[dict[str, Reading], list[str], float]:
    """Read one candidate header row as a table of `kind`: (field -> reading, unused
    headers, total score)."""
    required, optional = KIND_FIELDS[kind]
    allowed = set(required) | set(optional)
    groups = sh.groups(idx)
    readings: dict[str, Reading] = {}
    taken: set[int] = set()
    pairs: list[tuple[float, int, int, str, str, FieldGuess]] = []
    headers: dict[int, str] = {}
    body_site = sh.body_site(idx)
    for j, header, key in sh.headers(idx):
        headers[j] = header
        if key in extra:  # the mapping file always wins
            f = extra[key]
            taken.add(j)
            if f != "ignore" and f in allowed and f not in readings:
                readings[f] = Reading(f, header, j, 1.0, (), by_mapping=True)
            continue
        group = groups[j] if j < len(groups) else None
        ambiguous = key in AMBIGUOUS_UNITS and kind is not Kind.PRODUCTS
        units_qty = sh.units_is_quantity(idx, j) if ambiguous else None
        for g in _guesses(header, group, kind):
            f, score = g.field, g.score
            if kind is Kind.COUNTS and f in QUANTITY_LIKE:
                if not count_hint and f == "quantity":
                    continue
                # a column named as a count beats one that only the tab's name makes one
                f, score = "counted", score * 0.9
            if f not in allowed or score < MIN_SCORE:
                continue
            if f == "location" and body_site and set(g.words) <= {"site"} and len(g.words) == 1 \
                    and len(header_words(header)[0]) == 1:
                continue
            if ambiguous and (f == "quantity") != units_qty and f in ("quantity", "unit"):
                continue
            if vetoes(f, sh.profile(idx, j)):
                continue
            exact = 1 if _own_name(key, f) else 0
            need = 0.05 if f in required else 0.0  # a tie goes to the field the table needs
            # a tie between a thing's name and its code goes to the name (`depot_intitule` over
            # `depot_code`, `Location Name` over `Location Code`): what a person reads it by.
            # Not a patient: the ID keys the visit (two patients of one name are two people)
            named = 0.01 if "name" in g.words and f != "patient" else 0.0
            # who sold a treatment is its provider only where no column names who gave it
            # (`Sold By` beside `Injector`, `Nurse`, `Staff`): the sale's credit is not the hand
            sold = 0.1 if f == "provider" and set(g.words) & SALE_WORDS else 0.0
            pairs.append((score + 0.2 * exact + need + named - sold, -j, j, f, header, g))
    pairs.sort(key=lambda p: (-p[0], -p[1]))
    for score, _, j, f, header, g in pairs:
        if j in taken or f in readings:
            continue
        readings[f] = Reading(f, header, j, round(min(1.0, g.score), 2), g.words)
        taken.add(j)
    if kind is Kind.INVENTORY and "quantity" not in readings and "remaining" in readings:
        # a stock sheet: what is on hand is the opening stock (a batch stock sheet may date
        # each batch's receipt: `received_date | qty_on_hand`; it is still the stock held)
        r = readings.pop("remaining")
        readings["quantity"] = Reading("quantity", r.header, r.index, r.confidence, r.words, r.by_mapping)
    if kind is not Kind.PRODUCTS and "product" in allowed and "product" not in readings:
        _read_code_as_product(headers, taken, readings)  # a catalog without names is none
    for f in ID_FIELDS:
        if f in allowed and f not in readings and (f != "product" or kind is not Kind.PRODUCTS):
            _read_id_as_field(f, headers, taken, readings)
    if "date" in required and "date" not in readings:
        _read_dated_visit_as_date(sh, idx, readings)
    if "date" in required and "date" not in readings:
        _read_timestamp_as_date(sh, idx, headers, taken, readings, kind)
    if kind in PLAN_DATE_FIELD and PLAN_DATE_FIELD[kind] not in readings:
        _read_plan_date_as_date(sh, idx, headers, taken, readings, kind)
    if kind is Kind.VISITS:
        _drop_cost_read_as_price(headers, readings)
    unused = [h for j, h in headers.items() if j not in {r.index for r in readings.values()}]
    total = sum(r.confidence for r in readings.values())
    return readings, unused, total


def _drop_cost_read_as_price(headers: dict[int, str], readings: dict[str, Reading]) -> None:
    """A visit log's bare `Cost`/`Total Cost` is its price only when it is the table's one
    cost column (detect9). Beside another (`Unit Cost` x Units = `Total Cost`, `Cost` and
    `Total Cost`) the log prices the product it used: the clinic's cost, which lotsync
    derives itself (COGS); read as the price, revenue would equal COGS (review6)."""
    r = readings.get("price")
    if r is None or r.by_mapping or "cost" not in header_words(r.header)[0]:
        return
    for j, h in headers.items():
        if j != r.index and "cost" in header_words(h)[0] and any(
                g.field in ("unit_cost", "total_cost") for g in read_header(h, Kind.INVENTORY)[:1]):
            del readings["price"]
            return


#: Words of the person a sale credits (`Sold By`, `vendido por`, `Salesperson`): the
#: provider where no column names who treated (review7a: detect10's two-word `sold by`
#: outscored a one-word `Injector`, `Nurse`, `Staff` beside it).
SALE_WORDS = frozenset({"sold", "salesperson", "sales"})


#: Words a product's own code column is made of (`sku`, `Item Code`, `NDC` read as code).
CODE_OF_PRODUCT = frozenset({"code", "item", "product", "article", "material"})


def _read_code_as_product(headers: dict[int, str], taken: set[int], readings: dict[str, Reading]) -> None:
    """No column names the product: the item's own code is how the sheet names it (a
    warehouse log with only `sku`). Read as a weak guess, so `check` flags it and the
    reconcile says it in its weak-guess line; a table with a name column never gets here."""
    for j, header in headers.items():
        words = set(header_words(header)[0])
        if j not in taken and "code" in words and words <= CODE_OF_PRODUCT | {"identifier"}:  # `skuId`
            readings["product"] = Reading("product", header, j, round(WEAK_BELOW - 0.1, 2), ("code",))
            taken.add(j)
            return


#: Fields a sheet may name only by a record's id or number (`skuId`, `ArtikelNr`, `LocId`,
#: `StandortNr`, `idLot`, `claveProducto`, `codigo_vacina`): the things a row points at; and
#: the supplier by its record's id (detect10: `FornecedorID`, `vendorId` where no column names
#: the supplier). A supplier's code (`SupplierCode`) is a short code of the practice's own list,
#: kept beside the name and left unread: only a record id is how an export names its supplier.
ID_FIELDS = ("product", "location", "lot", "supplier")
#: The id words that name a field's record, per field when narrower than ID_WORDS.
ID_WORDS_OF = {"supplier": frozenset({"identifier"})}
#: The words that make a header an id or number of the thing its other words name.
ID_WORDS = frozenset({"code", "identifier", "number", "key"})


def _read_id_as_field(f: str, headers: dict[int, str], taken: set[int], readings: dict[str, Reading]) -> None:
    """No column names the product, location or lot, but one is its id or number (an
    export that keeps only `skuId`, `ArtikelNr`, `LocId`, `StandortNr`, `idLot`): the id is
    how the sheet names it (detect8, as `_read_code_as_product` for a bare code). The header
    must be the id word and one of the field's own one-word names (`warehouse number`,
    `location identifier`, `code product`), nothing else, written as an export's column name
    (one token: `LocId`, `codigo_vacina`): a database's key points at the record, where a
    typed `Location #` or `Service Codes` on a hand-made sheet may be a number kept beside it.
    Read as a weak guess, so `check` flags it and the reconcile names it in its weak-guess
    line. A table with the field's name column never gets here: a name column beats its id
    (detect5)."""
    own = vocabulary().single.get(f, frozenset())
    for j, header in headers.items():
        if j in taken or not header.strip().replace("_", "").isalnum():
            continue
        words = set(header_words(header)[0])
        id_words = ID_WORDS_OF.get(f, ID_WORDS)
        rest = words - id_words
        if words & id_words and rest and rest <= own:
            readings[f] = Reading(f, header, j, round(WEAK_BELOW - 0.1, 2), tuple(sorted(words)))
            taken.add(j)
            return


#: When a row was written or a check was made (`createdAt`, `verifiedAt`, `lastChecked`,
#: `Erfassung`; detect9: a bare `Timestamp`, `Horodatage`, `Zeitstempel`, `recordedAt`,
#: `entry_date`, `Erstellt am`): the event's date
#: where the table has no other. An edit's time (updated,
#: modified, deleted, approved) dates the record's change, never the event.
TIMESTAMP_WORDS = frozenset({"created", "create", "verified", "checked", "entered", "logged", "scanned",
                             "timestamp", "stamp", "recorded", "entry"})
NOT_EVENT_TIME = frozenset({"updated", "update", "modified", "changed", "deleted", "approved", "birth",
                            "expiration", "by"})


def _read_dated_visit_as_date(sh: "_Sheet", idx: int, readings: dict[str, Reading]) -> None:
    """A column read as the visit's ID whose values are dates (`Appointment`, `Visit`
    holding 2026-03-02, ...) names the visit by its date: it is the visit's date, and no
    ID (an ID of dates would make every visit of a day one visit). Before the time-stamp
    rule, so a row's `Created` stamp never dates a visit that has its appointment's date."""
    r = readings.get("visit_id")
    if r is None or r.by_mapping:
        return
    p = sh.profile(idx, r.index)
    if p.judged() and p.dates > 0.5:
        del readings["visit_id"]
        readings["date"] = Reading("date", r.header, r.index, r.confidence, r.words)


def _names_receipt_date(header: str) -> bool:
    """The header's best reading on a receiving log is the receipt date (`Entry Date`)."""
    best = read_header(header, Kind.INVENTORY)[:1]
    return bool(best) and best[0].field == "received_date"


def _read_timestamp_as_date(sh: "_Sheet", idx: int, headers: dict[int, str], taken: set[int],
                            readings: dict[str, Reading], kind: Kind) -> None:
    """No column names the date of a visit, movement or count: the moment its row was
    written or its check made is that date (a record type that keeps only `createdAt`).
    Read as a weak guess, so `check` flags it and the reconcile names it in its weak-guess
    line; any column naming the date wins (this runs only when none did), and a column whose
    values are not dates is never taken. Nor, for a count, a column naming a receipt's date
    (`Entry Date`, `Receipt Entry Date`): it dates each batch of a stock sheet (review6)."""
    for j, header in headers.items():
        words = set(header_words(header)[0])
        if kind is Kind.COUNTS and _names_receipt_date(header):
            continue
        if j not in taken and words & TIMESTAMP_WORDS and not words & NOT_EVENT_TIME \
                and not vetoes("date", sh.profile(idx, j)):
            readings["date"] = Reading("date", header, j, round(WEAK_BELOW - 0.1, 2),
                                       tuple(sorted(words & TIMESTAMP_WORDS)))
            taken.add(j)
            return


#: The date a plan or a record names, read as the event's only where no column names the
#: event's date (review7a). detect10 vetoed scheduled/planned and recorded dates outright, so a
#: treatment log dated only by `Scheduled Date` lost its date and became a stock sheet (its
#: treatments received as stock), and a receiving log dated only by `Delivery Recorded Date`
#: lost its receipt dates. Beside a date of the event the plan still names nothing.
#: Rejected: lifting the veto (then `Scheduled Delivery Date` beside `Date Received` could
#: win); expected/estimated dates (an expected delivery has not arrived: never a receipt).
PLAN_DATE_FIELD = {Kind.VISITS: "date", Kind.INVENTORY: "received_date"}
PLAN_DATE_WORDS = {Kind.VISITS: frozenset({"schedule"}),
                   Kind.INVENTORY: frozenset({"recorded"})}

#: A schedule as a noun is a drug's class (`Schedule`: DEA Schedule II, India's Schedule H;
#: blind4 labels `schedule` none) or a timetable, never a day: only the participle
#: (`Scheduled`, `programada`, `agendado`) dates an appointment.
SCHEDULE_NOUNS = frozenset({"schedule", "schedules"})


def _read_plan_date_as_date(sh: "_Sheet", idx: int, headers: dict[int, str], taken: set[int],
                            readings: dict[str, Reading], kind: Kind) -> None:
    """No column names the event's date: a treatment log's scheduled appointment date is the
    visit's date (the treatment was given at the appointment the log records), and a
    receiving log's `Delivery Recorded Date` is the receipt's. A weak guess, so `check`
    flags it; never a column whose values are not dates, and for a receipt only a header that
    reads as the receipt's date once `recorded` is set aside."""
    field, plan = PLAN_DATE_FIELD[kind], PLAN_DATE_WORDS[kind]
    for j, header in headers.items():
        words, raw, _ = header_words(header)
        if j in taken or not set(words) & plan or set(raw) & SCHEDULE_NOUNS:
            continue
        if vetoes(field, sh.profile(idx, j)):
            continue
        if kind is Kind.INVENTORY:
            best = read_header(" ".join(w for w in words if w not in plan), kind)[:1]
            if not best or best[0].field != field:
                continue
        readings[field] = Reading(field, header, j, round(WEAK_BELOW - 0.1, 2), tuple(sorted(words)))
        taken.add(j)
        return


def _names_body_sites(cells: list[object]) -> bool:
    """Whether a header row has a route or vaccine column (then a bare `Site` is a body site)."""
    for c in cells:
        h = clean_text(c)
        if h and BODY_SITE_NEIGHBOURS & set(header_words(h)[0]):
            return True
    return False


def read_columns(sheet: RawSheet, kind: Kind, header_row: int = 1) -> dict[str, Reading]:
    """The columns of one header row read together as a table of `kind` (each field to one
    column, values confirming or vetoing), whether or not the table has every field that
    kind requires: how each header is read in its table's context, before `detect_table`
    decides whether the sheet is such a table at all. What the header corpus's per-header
    figure in table context measures (a corpus table is often a few of a source's columns,
    not all of them, so the whole-table gate would leave most of its headers unread)."""
    sh = _Sheet(sheet.rows)
    hint = name_hint(sheet.sheet, sheet.file.rsplit("/", 1)[-1])
    # the kind is known, as a mapping file's kind is: a count's quantity is what it counted
    readings, _, _ = _assign(sh, header_row - 1, kind, {}, hint is Kind.COUNTS or kind is Kind.COUNTS)
    return readings


def read_column(header: str, kind: Kind, count_table: bool = False) -> FieldGuess | None:
    """The field one header names in a table of `kind`, by its words alone (no values,
    no other columns): what the header corpus test measures."""
    required, optional = KIND_FIELDS[kind]
    allowed = set(required) | set(optional)
    for g in read_header(header, kind):
        f = g.field
        if kind is Kind.COUNTS and f in QUANTITY_LIKE and (count_table or f == "remaining"):
            f = "counted"
        if f in allowed and g.score >= MIN_SCORE:
            return FieldGuess(f, g.score, g.words, g.fuzzy)
    return None


def _closest(sh: _Sheet, idx: int, missing: list[str], readings: dict[str, Reading]) -> dict[str, tuple[str, ...]]:
    """For each missing field, the unused headers most like it (by any reading, then by
    the spelling of the field's name)."""
    used = {r.index for r in readings.values()}
    out: dict[str, tuple[str, ...]] = {}
    for f in missing:
        ranked: list[tuple[float, str]] = []
        for j, cell in enumerate(sh.rows[idx]):
            h = clean_text(cell)
            if h is None or j in used:
                continue
            s = max((g.score for k in Kind for g in read_header(h, k) if g.field == f
                     or (f == "counted" and g.field in QUANTITY_LIKE)), default=0.0)
            s = s or fuzz.partial_ratio(f.replace("_", " "), h.casefold()) / 400
            if _values_fit(f, sh.profile(idx, j)):
                s += 0.35  # the values under it are what the field holds
            if s >= 0.3:
                ranked.append((s, h))
        ranked.sort(key=lambda t: -t[0])
        out[f] = tuple(h for _, h in ranked[:2])
    return out


def _values_fit(f: str, p: Profile) -> bool:
    if not p.n:
        return False
    if f in NUMBER_FIELDS:
        return p.numbers >= 0.5
    if f in DATE_FIELDS:
        return p.dates >= 0.5
    return p.words + p.lotlike >= 0.5


def detect_table(sheet: RawSheet, mapping: Mapping) -> Detection:
    """Find the header row, kind and columns of the one table in `sheet`."""
    entry, extra = mapping.for_sheet(sheet.file, sheet.sheet)
    rows = sheet.rows
    if entry and entry.kind == "ignore":
        return Detection(sheet, None, None, {}, note="ignored by the mapping file")
    if not any(any(c is not None and str(c).strip() for c in r) for r in rows[:HEADER_SCAN_ROWS]):
        return Detection(sheet, None, None, {}, note="empty sheet")
    hint = name_hint(sheet.sheet, sheet.file.rsplit("/", 1)[-1])
    kinds = [Kind(entry.kind)] if entry and entry.kind else list(Kind)
    if entry and entry.header_row:
        candidates = [entry.header_row - 1] if entry.header_row - 1 < len(rows) else []
    else:
        candidates = range(min(HEADER_SCAN_ROWS, len(rows)))
    sh = _Sheet(rows)
    best = None
    near: list[tuple[int, tuple, Kind, dict[str, Reading], int]] = []  # tables a field or two short
    waste_seen: tuple[int, str] | None = None  # (header row, why) of a waste report refused as another kind
    for idx in candidates:
        if not sh.headers(idx):
            continue
        waste_row = None if entry and entry.kind else _waste_header(rows[idx])
        for kind in kinds:
            # a tab named as a count, or a mapping file saying the table is one (detect9)
            count_hint = hint is Kind.COUNTS or bool(entry and entry.kind == Kind.COUNTS.value)
            readings, unused, total = _assign(sh, idx, kind, extra, count_hint)
            required, optional = KIND_FIELDS[kind]
            have_req = sum(f in readings for f in required)
            if kind in NOT_WASTE_KINDS and not (entry and entry.kind):
                why = _waste_reading(readings) or (
                    None if "date" in readings or "received_date" in readings else waste_row)
                if why:
                    if have_req == len(required) and waste_seen is None:
                        waste_seen = (idx, why)
                    continue
            if kind is Kind.COUNTS and hint is not Kind.COUNTS and not (entry and entry.kind) \
                    and _balance_beside_a_movement(sh, idx, readings):
                continue  # a receiving log with a running balance is no count
            n_opt = sum(f in readings for f in optional)
            marks = sum(1 for f in readings if f in KIND_MARKS[kind])
            if kind is Kind.PRODUCTS and _looks_like_visits(sh, idx):
                have_req = 0  # visit dates and patients: never a product catalog
            if have_req == len(required) and (kind is not Kind.PRODUCTS or n_opt or hint is Kind.PRODUCTS
                                              or (entry and entry.kind)):
                score = 100 + 10 * len(required) + total + 0.5 * marks + (5 if hint is kind else 0)
                if best is None or (score, -idx) > best[0]:
                    best = ((score, -idx), idx, kind, readings, unused)
            elif have_req >= 2 or (have_req and len(readings) >= 2):
                near.append((have_req * 10 + len(readings) + (1 if hint is kind else 0),
                             (have_req - len(required), marks, len(readings), 1 if hint is kind else 0),
                             kind, readings, idx))
    if best is None:
        note = "no header row matches any kind of table"
        closest: dict[str, tuple[str, ...]] = {}
        if waste_seen is not None:
            idx, why = waste_seen
            readings, _, _ = _assign(sh, idx, Kind.ADJUSTMENTS, extra, False)
            missing = [f for f in KIND_FIELDS[Kind.ADJUSTMENTS][0] if f not in readings]
            note = (f"a waste report ({why}): never read as visits, receipts or a count; as a waste "
                    f"log (adjustments) it has no {' or '.join(missing)} column")
            return Detection(sheet, None, None, {}, note=note)
        if near:
            _, kind, readings, idx = _nearest(near)
            required, _ = KIND_FIELDS[kind]
            missing = [f for f in required if f not in readings]
            closest = _closest(sh, idx, missing, readings)
            hints = "; ".join(f"closest for {f}: " + " or ".join(repr(h) for h in hs) + "?"
                              for f, hs in closest.items() if hs)
            note = (f"looks like {kind.value}: has {', '.join(readings)}, but no "
                    f"{' or '.join(missing)} column" + (f" ({hints})" if hints else ""))
        return Detection(sheet, None, None, {}, note=note, closest=closest)
    _, idx, kind, readings, unused = best
    cols = {f: Column(header=r.header, index=r.index,
                      per=package_of_cost(r.header) if f == "unit_cost" else None) for f, r in
            sorted(readings.items(), key=lambda kv: kv[1].index)}
    readings = {f: readings[f] for f in cols}
    return Detection(sheet, kind, idx + 1, cols, tuple(unused), readings=readings)


#: Words that name a count (`Counted`, `Physical Count`, `Qty (Phys. Inventory)`, `Count
#: Date`): a counted column or a date decided by one of them is a count's own.
COUNT_WORDS = frozenset({"counted", "count", "found", "physical", "stocktake", "recount", "shelf", "inventory"})


def _balance_beside_a_movement(sh: _Sheet, idx: int, readings: dict[str, Reading]) -> bool:
    """A count reading whose counted column is only a balance (`CLABS`, `Remaining
    Quantity`, `available_quantity`: nothing names a count) and whose date names no count
    (`Posting Date`, `BUDAT`, `in_date`), beside a column that reads as a quantity moved
    (`MENGE`, `Quantity`): a ledger or receiving line with its running balance, as ERP
    exports write them, not what a count found (detect7). A tab named as a count or a
    mapping file's kind keeps the count reading."""
    counted, dated = readings.get("counted"), readings.get("date")
    if counted is None or counted.by_mapping or set(counted.words) & COUNT_WORDS:
        return False
    if dated is not None and set(dated.words) & COUNT_WORDS:
        return False
    for j, header, _ in sh.headers(idx):
        if j != counted.index:
            g = read_column(header, Kind.INVENTORY)
            if g is not None and g.field == "quantity" and not set(g.words) & COUNT_WORDS:
                return True
    return False


def _nearest(near: list[tuple[int, tuple, Kind, dict[str, Reading], int]]
             ) -> tuple[tuple, Kind, dict[str, Reading], int]:
    """The table a sheet that matched no kind is nearest, for its note. The header row: the
    one with the most required fields and columns read as some kind. Its kind: the one it
    lacks the fewest required fields of, then the one whose own fields it has (a patient: a
    visit log), then more columns read, then the tab or file name's kind; so a visit log
    without its quantity column is named a visit log missing its quantity, not a waste log
    missing its quantity and type (`closest for type: 'Patient'?`)."""
    top = max(c[0] for c in near)
    idx = next(c[4] for c in near if c[0] == top)  # the first row to reach it, as ever
    best = None
    for _, key, kind, readings, i in near:
        if i == idx and (best is None or key > best[0]):
            best = (key, kind, readings, i)
    return best


def _waste_header(cells: list[object]) -> str | None:
    """A header that dates the waste (`Date Wasted`, `WASTAGE_SUBMITTED_DATE`): it makes the
    table a waste report only when the reading has no date of its own (a receiving log with
    `Date Received` and `Date Discarded` stays a receiving log)."""
    for c in cells:
        h = clean_text(c)
        if h:
            words = set(header_words(h)[0])
            if "waste" in words and "date" in words:
                return f"'{h}'"
    return None


def _waste_reading(readings: dict[str, Reading]) -> str | None:
    """The column the table would be read by, its date or its quantity, is a waste column
    (`WASTAGE_SUBMITTED_DATE` as the visit date, `Doses Wasted` as the only quantity). Only
    those: a `Units Wasted` or `Date Discarded` column beside them, or a tab or file named
    for waste ("Botox Usage & Waste"), decides nothing (module doc)."""
    for f in ("date", "received_date", "quantity", "counted"):
        r = readings.get(f)
        if r is not None and "waste" in header_words(r.header)[0]:
            return f"'{r.header}'"
    return None


def _looks_like_visits(sh: _Sheet, idx: int) -> bool:
    """A row naming a patient, or a visit date over date values."""
    for j, h, _ in sh.headers(idx):
        for g in read_header(h, Kind.VISITS)[:1]:
            if g.field == "patient" and g.score >= WEAK_BELOW:
                return True
            if g.field == "date" and g.score >= WEAK_BELOW and sh.profile(idx, j).dates > 0.5:
                return True
    return False


def weak_guess_line(detections) -> str | None:
    """One line for a run's summary when some table was read on weak guesses, else None."""
    parts = []
    for d in detections:
        for r in d.weak:
            where = d.sheet.sheet or d.sheet.file.rsplit("/", 1)[-1]
            parts.append(f"{where} › '{r.header}' as {r.field} ({round(r.confidence * 100)}%)")
    if not parts:
        return None
    shown = ", ".join(parts[:4]) + (f" and {len(parts) - 4} more" if len(parts) > 4 else "")
    return (f"Read on weak guesses: {shown}; see 'lotsync check', correct with "
            "'lotsync check --write-mapping FILE' and --mapping.")
