"""Reading one cell as its field's type: dates, numbers with units, lot keys, units.

Why per-column decisions: a date column written `3/4/2026` is ambiguous cell by cell but
rarely as a column, so day/month order is decided once per column (SPEC §1) and never
guessed per cell (`dateutil` silently flips; `pd.to_datetime` silently drops). Every
parser raises `ValueError` with a short reason; the caller turns it into an
`INVALID_VALUE` finding that points at the cell.

All parsers are pure and memoisable: a visit log of a million rows has a few thousand
distinct dates, products and quantities, so the table reader caches results per raw
value and pays the parsing cost once per distinct value.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache
from decimal import Decimal, InvalidOperation

MIN_YEAR, MAX_YEAR = 1990, 2100
EXCEL_EPOCH = dt.date(1899, 12, 30)
#: Serial 0 of the 1904 date system (`<workbookPr date1904="1">`, Excel for Mac's old default).
EXCEL_EPOCH_1904 = dt.date(1904, 1, 1)

NOT_RECORDED = {"N/A", "NA", "NONE", "UNKNOWN", "-", "?", "N.A.", "NOT RECORDED", "--", ""}

# --- units ---------------------------------------------------------------------------

_UNIT_WORDS: dict[str, str] = {}
for canon, words in {
    "units": ["u", "unit", "units", "iu", "ius", "un"],
    "mL": ["ml", "mls", "cc", "ccs", "milliliter", "milliliters", "millilitre", "millilitres"],
    "mg": ["mg", "mgs", "milligram", "milligrams"],
    "mcg": ["mcg", "µg", "ug", "microgram", "micrograms"],
    "syringe": ["syr", "syringe", "syringes", "syrs"],
    "vial": ["vial", "vials"],
    "box": ["box", "boxes", "bx"],
    "each": ["ea", "each", "pc", "pcs", "piece", "pieces"],
}.items():
    for w in words:
        _UNIT_WORDS[w] = canon


def canon_unit(text: object) -> str | None:
    """The canonical name of a unit of measure, or the cleaned text if unknown.

    Unknown units are kept (lower-cased) rather than rejected here: whether they convert
    depends on the product's catalog entry, which the ledger decides (UNKNOWN_UNIT).
    """
    if text is None:
        return None
    s = str(text).strip().lower().rstrip(".")
    if not s:
        return None
    return _UNIT_WORDS.get(s, s)


#: What a unit or location cell holds when it names nothing (SPEC §1): an unreadable value
#: there (INVALID_VALUE, then blank), never a unit or a site. Only a lot cell reads these
#: words as "not recorded".
NO_NAME_WORDS = frozenset(w.casefold() for w in NOT_RECORDED - {""}) | {
    "n.a", "not applicable", "null", "nil", "tbd", "?", "??", "---"}


def names_nothing(text: str) -> bool:
    """A cell text such as `N/A`, `none`, `-`, `?` that names no unit or place."""
    return text.strip().casefold() in NO_NAME_WORDS


def read_unit(cell: object) -> str | None:
    """A unit cell (SPEC §1): its canonical unit; ValueError for a word that names none."""
    if isinstance(cell, str) and names_nothing(cell):
        raise ValueError("it names no unit")
    return canon_unit(cell)


def read_place(cell: object) -> str | None:
    """A location cell (SPEC §1): the place as written; ValueError for a word such as N/A."""
    if isinstance(cell, str) and names_nothing(cell):
        raise ValueError("it names no place")
    return clean_text(cell)


def is_unit_word(word: str) -> bool:
    return word.lower().rstrip(".") in _UNIT_WORDS


# --- numbers -------------------------------------------------------------------------

_NUM_RE = re.compile(
    r"""^\s*
    (?P<neg>\()?\s*
    (?P<sign>[-+\u2212])?\s*
    (?P<cur>[$€£])?\s*
    (?P<num>\d[\d,\s]*(?:\.\d*)?|\.\d+)
    \s*\)?\s*
    (?P<unit>[A-Za-zµ][A-Za-zµ.\s()/]*)?\s*$""",
    re.VERBOSE,
)
_THOUSANDS_RE = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_number(cell: object) -> tuple[Decimal, str | None]:
    """A number and the unit text after it (`20u` -> (20, 'u'), `$1,200.50` -> (1200.50, None)).

    Floats from a workbook are read through their shortest repr, so 0.1 stays 0.1
    exactly. A comma is a thousands separator when followed by groups of three digits
    (`1,200`), else a decimal comma (`0,5`, as semicolon-separated exports write it).
    """
    if cell is None:
        raise ValueError("blank")
    if isinstance(cell, bool):
        raise ValueError("not a number")
    if isinstance(cell, int):
        return Decimal(cell), None
    if isinstance(cell, float):
        if cell != cell or cell in (float("inf"), float("-inf")):
            raise ValueError("not a number")
        d = Decimal(repr(cell))
        return (d.quantize(Decimal(1)) if d == d.to_integral_value() else d), None
    if isinstance(cell, (dt.date, dt.time, dt.timedelta)):
        raise ValueError("a date, not a number")
    s = str(cell).strip().replace("\u00a0", " ")
    m = _NUM_RE.match(s)
    if not m:
        raise ValueError("not a number")
    num = m.group("num").replace(" ", "")
    if "," in num:
        if _THOUSANDS_RE.match(num):
            num = num.replace(",", "")
        elif num.count(",") == 1 and "." not in num:
            num = num.replace(",", ".")
        else:
            raise ValueError("not a number")
    try:
        d = Decimal(num)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if m.group("neg") and s.rstrip().endswith(")"):
        d = -d
    if m.group("sign") in ("-", "\u2212"):
        d = -d
    unit = m.group("unit")
    unit = unit.strip() if unit else None
    return d, unit or None


# --- lots ----------------------------------------------------------------------------

_LOT_LABEL_RE = re.compile(r"^\s*lot\s*(?:#|:|no\.?(?=[\s:#.]|$)|number|\s)[\s:#.]*", re.IGNORECASE)
_NON_ALNUM_RE = re.compile(r"[^0-9A-Za-z]+")


def lot_text(cell: object) -> str | None:
    """A lot cell as displayed; None when blank. Integer floats lose their `.0`."""
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    s = str(cell).strip()
    return s or None


@lru_cache(maxsize=65536)
def lot_key(text: str) -> str | None:
    """The match key of a lot number (SPEC §1), or None when the cell says "not recorded"."""
    if text.strip().upper() in NOT_RECORDED:
        return None
    stripped = _LOT_LABEL_RE.sub("", text, count=1)
    key = _NON_ALNUM_RE.sub("", stripped).upper()
    if not key or key in NOT_RECORDED or key == "NA":
        return None
    return key


# --- products and free text -----------------------------------------------------------

_SPACES_RE = re.compile(r"\s+")
_UNTIDY_RE = re.compile(r"\s\s|[^\S ]")


def clean_text(cell: object) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, dt.datetime):
        cell = cell.date() if cell.time() == dt.time() else cell
    s = str(cell)
    if _UNTIDY_RE.search(s):  # most cells need no rewriting: skip the substitution
        s = _SPACES_RE.sub(" ", s)
    s = s.strip()
    return s or None


def product_key(name: str) -> str:
    """Product names match ignoring case and repeated spaces (SPEC §1)."""
    return _SPACES_RE.sub(" ", name).strip().casefold()


_WORD_RE = re.compile(r"[A-Za-z][A-Za-z']+")


def name_words(name: str) -> frozenset[str]:
    """The words of a product name that identify it: no numbers, no unit words (`100U`, `mL`)."""
    words = set()
    for w in _WORD_RE.findall(name):
        lw = w.casefold()
        if is_unit_word(lw) or len(lw) < 2:
            continue
        words.add(lw)
    return frozenset(words)


# --- dates ---------------------------------------------------------------------------

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9

_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_NUMERIC_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?)?$", re.I)
_DMY_NAME_RE = re.compile(r"^(\d{1,2})[\s\-/.]+([A-Za-z]{3,9})\.?[\s\-/.,]+(\d{2}|\d{4})$")
_MDY_NAME_RE = re.compile(r"^([A-Za-z]{3,9})\.?[\s\-/.]+(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.]+(\d{4})$", re.I)
_MY_NUM_RE = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_YM_NUM_RE = re.compile(r"^(\d{4})[/.\-](\d{1,2})$")
_MY_NAME_RE = re.compile(r"^([A-Za-z]{3,9})\.?[\s\-/.,]+(\d{2}|\d{4})$")
_SERIAL_RE = re.compile(r"^\d{4,5}(?:\.0+)?$")


def _year(y: str) -> int:
    n = int(y)
    return n + 2000 if len(y) == 2 else n


def _check_range(d: dt.date) -> dt.date:
    if not (MIN_YEAR <= d.year <= MAX_YEAR):
        raise ValueError(f"year {d.year} is outside {MIN_YEAR}–{MAX_YEAR}")
    return d


def _month_end(year: int, month: int) -> dt.date:
    if not 1 <= month <= 12:
        raise ValueError("no such month")
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def serial_to_date(n: float, date1904: bool = False) -> dt.date:
    """An Excel serial as a date: days since 1899-12-30 (the 1900 system), or since
    1904-01-01 in a workbook that uses the 1904 system."""
    if n != n or n < 1 or n > 2958465:
        raise ValueError("not a date serial")
    return _check_range((EXCEL_EPOCH_1904 if date1904 else EXCEL_EPOCH) + dt.timedelta(days=int(n)))


def month_end(d: dt.date) -> dt.date:
    """The last day of `d`'s month (an expiration written as month and year, SPEC §1)."""
    return dt.date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def numeric_parts(cell: object) -> tuple[int, int] | None:
    """The first two numbers of a `a/b/yyyy` text date, for the column's order decision."""
    if isinstance(cell, str):
        m = _NUMERIC_RE.match(cell.strip())
        if m:
            return int(m.group(1)), int(m.group(2))
    return None


def decide_day_first(cells: list[object], default_day_first: bool) -> tuple[bool, bool]:
    """(day_first, ambiguous_column) for a date column, decided from all its cells.

    A first part over 12 proves day-first; a second part over 12 proves month-first;
    neither leaves the configured order; both makes the column ambiguous, and then every
    cell that could be read either way is an INVALID_VALUE (SPEC §1).
    """
    first_big = second_big = False
    for c in cells:
        p = numeric_parts(c)
        if p is None or (p[0] > 12 and p[1] > 12) or p[0] > 31 or p[1] > 31:
            continue  # no valid date either way: evidence of nothing
        if p[0] > 12:
            first_big = True
        if p[1] > 12:
            second_big = True
        if first_big and second_big:
            return default_day_first, True
    if first_big:
        return True, False
    if second_big:
        return False, False
    return default_day_first, False


def parse_date(cell: object, *, day_first: bool = False, ambiguous: bool = False,
               month_year_end: bool = False, date1904: bool = False) -> dt.date:
    """A date from a date cell, an Excel serial or text (SPEC §1 forms).

    `month_year_end`: for expirations, `05/2027`, `2027-05` and `May 2027` mean the last
    day of that month. `date1904`: serials are in the workbook's 1904 date system.
    """
    if cell is None:
        raise ValueError("blank")
    if isinstance(cell, dt.datetime):
        return _check_range(cell.date())
    if isinstance(cell, dt.date):
        return _check_range(cell)
    if isinstance(cell, bool):
        raise ValueError("not a date")
    if isinstance(cell, (int, float)):
        return serial_to_date(float(cell), date1904)
    if not isinstance(cell, str):
        raise ValueError("not a date")
    s = cell.strip()
    if not s:
        raise ValueError("blank")
    m = _ISO_RE.match(s)
    if m:
        return _check_range(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    m = _NUMERIC_RE.match(s)
    if m:
        a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
        if ambiguous:
            # the column has both orders: a cell that can be read only one way is read that
            # way; one that could be read either way is not guessed (SPEC §1)
            if a <= 12 and b <= 12 and a != b:
                raise ValueError("day and month order cannot be told in this column")
            day_first = a > 12
        day, month = (a, b) if day_first else (b, a)
        return _check_range(dt.date(y, month, day))
    m = _DMY_NAME_RE.match(s)
    if m and m.group(2).lower() in _MONTHS:
        return _check_range(dt.date(_year(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))))
    m = _MDY_NAME_RE.match(s)
    if m and m.group(1).lower() in _MONTHS:
        return _check_range(dt.date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))))
    if _SERIAL_RE.match(s):
        return serial_to_date(float(s), date1904)
    if month_year_end:
        m = _MY_NUM_RE.match(s)
        if m:
            return _check_range(_month_end(int(m.group(2)), int(m.group(1))))
        m = _YM_NUM_RE.match(s)
        if m:
            return _check_range(_month_end(int(m.group(1)), int(m.group(2))))
        m = _MY_NAME_RE.match(s)
        if m and m.group(1).lower() in _MONTHS:
            return _check_range(_month_end(_year(m.group(2)), _MONTHS[m.group(1).lower()]))
    raise ValueError("not a date")
