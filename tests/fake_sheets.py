"""A fake Google Sheets API v4 server for tests: real HTTP on 127.0.0.1, spreadsheets in memory.

It holds cells as Google does: a typed value (number, text, bool; a date is a serial number
with a DATE number format, currency a number with a CURRENCY format), an optional formula,
number format and note. So each render option can be answered faithfully:
`FORMATTED_VALUE` of a date is "3/4/2026" (en_US), of currency "$612.00";
`UNFORMATTED_VALUE` gives 46085 and 612; `dateTimeRenderOption=FORMATTED_STRING` turns only
date/time cells into their display strings; `FORMULA` gives formula text.

Endpoints (shapes follow the recorded real responses in
`../shared/reference/gspread-cassettes/`):

* `GET  /v4/spreadsheets/{id}`: `includeGridData`, repeated `ranges`, and a `fields` mask
  (`a,b(c,d/e)`, `a.b.c` and `a/b` forms, `*`). As the real API: a mask that asks for
  `sheets.data` returns grid data whatever `includeGridData` says; with `ranges` only the tabs
  the ranges touch come back, one `GridData` per range.
* `GET  .../values/{range}`, `GET .../values:batchGet` (`valueRenderOption`,
  `dateTimeRenderOption`, `majorDimension`): trailing empty cells and rows trimmed, `values`
  omitted for an empty range, the response `range` clamped to the grid.
* `PUT  .../values/{range}` (`valueInputOption` RAW or USER_ENTERED, required),
  `POST .../values:batchUpdate`, `POST .../values/{range}:clear`, `POST .../values:batchClear`.
* `POST /v4/spreadsheets/{id}:batchUpdate`: addSheet, duplicateSheet, deleteSheet,
  updateSheetProperties, updateCells (values and notes, or clearing a range), repeatCell.
  Applied atomically, as Google does: one invalid request and nothing changes.
* Errors as Google shapes them: `{"error": {"code", "message", "status"}}`; writes beyond the
  grid are refused ("exceeds grid limits"); a spreadsheet not shared gives 403 everywhere.

USER_ENTERED parsing is the en_US subset tests need: numbers, `$1,200.50`, `15%`, ISO and
M/D/YYYY dates, TRUE/FALSE, `'text`, and formulas of plain arithmetic (`=4/2`).

Size and quota: `?prettyPrint=false` answers compact JSON; `response_sizes` holds every
response body's bytes; `read_quota = (n, seconds)` answers a 429 to the GET beyond n in any window.

Test hooks: `fail(status, route=..., nth=..., times=..., apply=...)` answers the nth matching
request (and following ones, `times=None` for ever) with an error, optionally after applying
it (a lost response); `count(route=...)`; `requests` (every request: route, method, path,
query, body, whether an Authorization header came); `edit(...)` changes a cell "by a person";
`hooks` run before each request.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import operator
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

EPOCH = dt.datetime(1899, 12, 30)

DATE = "DATE"
TIME = "TIME"
DATE_TIME = "DATE_TIME"
CURRENCY = "CURRENCY"
NUMBER = "NUMBER"
PERCENT = "PERCENT"
TEXT = "TEXT"
DATE_PATTERN = "M/d/yyyy"
DATE_TIME_PATTERN = "M/d/yyyy H:mm:ss"
TIME_PATTERN = "h:mm:ss am/pm"
CURRENCY_PATTERN = '"$"#,##0.00'
_DEFAULT_PATTERNS = {
    DATE: DATE_PATTERN,
    DATE_TIME: DATE_TIME_PATTERN,
    TIME: TIME_PATTERN,
    CURRENCY: CURRENCY_PATTERN,
    NUMBER: "#,##0.00",
    PERCENT: "0.00%",
    "SCIENTIFIC": "0.00E+00",
}
_ERROR_TYPES = {
    "#DIV/0!": ("DIVIDE_BY_ZERO", "Function DIVIDE parameter 2 cannot be zero."),
    "#NAME?": ("NAME", "Unknown function."),
    "#N/A": ("N_A", "Value not available."),
    "#VALUE!": ("VALUE", "Wrong type."),
    "#REF!": ("REF", "Reference does not exist."),
    "#NUM!": ("NUM", "Number out of range."),
    "#ERROR!": ("ERROR", "Formula parse error."),
}
_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_MESSAGES = {
    401: "Request had invalid authentication credentials.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: (
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'"
        " of service 'sheets.googleapis.com' for consumer 'project_number:000000000000'."
    ),
    500: "Internal error encountered.",
    502: "Bad Gateway",
    503: "The service is currently unavailable.",
    504: "The service is currently unavailable.",
}
DEFAULT_FORMAT = {
    "backgroundColor": {"red": 1, "green": 1, "blue": 1},
    "padding": {"top": 2, "right": 3, "bottom": 2, "left": 3},
    "verticalAlignment": "BOTTOM",
    "wrapStrategy": "OVERFLOW_CELL",
    "textFormat": {
        "foregroundColor": {},
        "fontFamily": "arial,sans,sans-serif",
        "fontSize": 10,
        "bold": False,
        "italic": False,
        "strikethrough": False,
        "underline": False,
        "foregroundColorStyle": {"rgbColor": {}},
    },
    "backgroundColorStyle": {"rgbColor": {"red": 1, "green": 1, "blue": 1}},
}
THEME = {
    "primaryFontFamily": "Arial",
    "themeColors": [
        {"colorType": "TEXT", "color": {"rgbColor": {}}},
        {"colorType": "BACKGROUND", "color": {"rgbColor": {"red": 1, "green": 1, "blue": 1}}},
        {"colorType": "ACCENT1", "color": {"rgbColor": {"red": 0.25882354, "green": 0.52156866, "blue": 0.95686275}}},
        {"colorType": "LINK", "color": {"rgbColor": {"red": 0.06666667, "green": 0.33333334, "blue": 0.8}}},
    ],
}


class ApiError(Exception):
    """Answered as Google's error JSON."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message or _MESSAGES.get(code, "Error"))
        self.code = code
        self.message = message or _MESSAGES.get(code, "Error")


# ---------------------------------------------------------------------------------------
# Cells


@dataclass
class FakeCell:
    """One cell as Google stores it."""

    value: Any = None  # int | float | str | bool | None (a date is a serial number)
    fmt: dict[str, str] | None = None  # numberFormat: {"type": "DATE", "pattern": "M/d/yyyy"}
    note: str | None = None
    formula: str | None = None
    error: str | None = None  # "#DIV/0!" ...

    @property
    def has_value(self) -> bool:
        return self.value is not None or self.error is not None

    @property
    def blank(self) -> bool:
        return not self.has_value and not self.fmt and not self.note

    @property
    def is_datetime(self) -> bool:
        return bool(self.fmt) and self.fmt.get("type") in (DATE, TIME, DATE_TIME)


def to_serial(d: dt.date | dt.datetime) -> float | int:
    if isinstance(d, dt.datetime):
        return (d - EPOCH).total_seconds() / 86400
    return (d - EPOCH.date()).days


def date_cell(d: dt.date, pattern: str = DATE_PATTERN, note: str | None = None) -> FakeCell:
    return FakeCell(to_serial(d), {"type": DATE, "pattern": pattern}, note)


def datetime_cell(d: dt.datetime, pattern: str = DATE_TIME_PATTERN) -> FakeCell:
    return FakeCell(to_serial(d), {"type": DATE_TIME, "pattern": pattern})


def currency(x: float, pattern: str = CURRENCY_PATTERN, note: str | None = None) -> FakeCell:
    return FakeCell(x, {"type": CURRENCY, "pattern": pattern}, note)


def number(x: float, pattern: str = "#,##0.00", note: str | None = None) -> FakeCell:
    return FakeCell(x, {"type": NUMBER, "pattern": pattern}, note)


def percent(x: float, pattern: str = "0%") -> FakeCell:
    return FakeCell(x, {"type": PERCENT, "pattern": pattern})


def formula(text: str, value: Any) -> FakeCell:
    return FakeCell(value, None, None, text)


def error_cell(code: str = "#DIV/0!", formula_text: str = "=1/0") -> FakeCell:
    return FakeCell(None, None, None, formula_text, code)


def with_note(value: Any, note: str) -> FakeCell:
    cell = as_cell(value) or FakeCell()
    cell.note = note
    return cell


def as_cell(v: Any) -> FakeCell | None:
    """Python value -> cell: date -> DATE cell, datetime -> DATE_TIME, str -> text."""
    if v is None:
        return None
    if isinstance(v, FakeCell):
        return copy.deepcopy(v)
    if isinstance(v, bool):
        return FakeCell(v)
    if isinstance(v, (int, float)):
        return FakeCell(v)
    if isinstance(v, dt.datetime):
        return datetime_cell(v)
    if isinstance(v, dt.date):
        return date_cell(v)
    if isinstance(v, dt.time):
        secs = v.hour * 3600 + v.minute * 60 + v.second
        return FakeCell(secs / 86400, {"type": TIME, "pattern": TIME_PATTERN})
    return FakeCell(str(v))


def json_number(x: Any) -> Any:
    if isinstance(x, float) and x.is_integer() and abs(x) < 2**53:
        return int(x)
    return x


# ---------------------------------------------------------------------------------------
# Display formatting


_MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_DT_TOKEN = re.compile(
    r'"[^"]*"|\\.|yyyy|yy|mmmmm|mmmm|mmm|mm|m|dddd|ddd|dd|d|hh|h|ss|s|am/pm|a/p|\.0+|.',
    re.IGNORECASE,
)


def format_datetime(x: float, pattern: str) -> str:
    moment = EPOCH + dt.timedelta(seconds=round(x * 86400))
    tokens = [t.group(0) for t in _DT_TOKEN.finditer(pattern)]
    low = [t.lower() for t in tokens]
    twelve = any(t in ("am/pm", "a/p") for t in low)
    out = []
    for i, (tok, t) in enumerate(zip(tokens, low)):
        if t.startswith('"'):
            out.append(tok[1:-1])
        elif t.startswith("\\"):
            out.append(tok[1:])
        elif t == "yyyy":
            out.append(f"{moment.year:04d}")
        elif t == "yy":
            out.append(f"{moment.year % 100:02d}")
        elif t in ("m", "mm"):
            prev = [k for k in low[:i] if k in ("h", "hh", "d", "dd", "yyyy", "yy", "s", "ss")]
            nxt = [k for k in low[i + 1 :] if k in ("h", "hh", "d", "dd", "yyyy", "yy", "s", "ss")]
            minute = (prev and prev[-1] in ("h", "hh")) or (nxt and nxt[0] in ("s", "ss"))
            n = moment.minute if minute else moment.month
            out.append(f"{n:02d}" if t == "mm" else str(n))
        elif t == "mmm":
            out.append(_MONTHS[moment.month - 1][:3])
        elif t == "mmmm":
            out.append(_MONTHS[moment.month - 1])
        elif t == "mmmmm":
            out.append(_MONTHS[moment.month - 1][0])
        elif t == "d":
            out.append(str(moment.day))
        elif t == "dd":
            out.append(f"{moment.day:02d}")
        elif t == "ddd":
            out.append(_DAYS[moment.weekday()][:3])
        elif t == "dddd":
            out.append(_DAYS[moment.weekday()])
        elif t in ("h", "hh"):
            hour = moment.hour
            if twelve:
                hour = hour % 12 or 12
            out.append(f"{hour:02d}" if t == "hh" else str(hour))
        elif t in ("s", "ss"):
            out.append(f"{moment.second:02d}" if t == "ss" else str(moment.second))
        elif t == "am/pm":
            out.append("AM" if moment.hour < 12 else "PM")
        elif t == "a/p":
            out.append("a" if moment.hour < 12 else "p")
        elif t.startswith(".0"):
            out.append("." + f"{moment.microsecond:06d}"[: len(t) - 1])
        else:
            out.append(tok)
    return "".join(out)


def _literal(part: str) -> str:
    part = re.sub(r"[_*].", "", part)
    part = re.sub(r"\\(.)", r"\1", part)
    return part.replace('"', "")


def format_number(x: float, kind: str, pattern: str | None) -> str:
    pattern = pattern or _DEFAULT_PATTERNS.get(kind, "#,##0.00")
    section = pattern.split(";")[0]
    if re.search(r"E[+-]", section, re.IGNORECASE):
        decimals = len(re.search(r"\.(0*)", section).group(1)) if "." in section else 0
        mantissa, exp = f"{x:.{decimals}E}".split("E")
        return f"{mantissa}E{int(exp):+03d}"
    value = x * 100 if "%" in section else x
    m = re.search(r"[#0,]*[#0](?:\.[#0]*)?|\.[#0]+", section)
    if not m:
        return _literal(section)
    prefix, body, suffix = _literal(section[: m.start()]), m.group(0), _literal(section[m.end() :])
    int_part, _, dec_part = body.partition(".")
    zeros, hashes = dec_part.count("0"), dec_part.count("#")
    grouping = "," in int_part
    text = f"{abs(value):{',' if grouping else ''}.{zeros + hashes}f}"
    if hashes:
        head, _, tail = text.partition(".")
        tail = tail[: zeros + hashes]
        while len(tail) > zeros and tail.endswith("0"):
            tail = tail[:-1]
        text = head + ("." + tail if tail else "")
    negative = value < 0 and float(text.replace(",", "")) != 0
    return ("-" if negative else "") + prefix + text + suffix


def auto_number(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.10g}"


def formatted(cell: FakeCell | None) -> str:
    """What the Sheets UI shows for the cell (en_US)."""
    if cell is None:
        return ""
    if cell.error:
        return cell.error
    v = cell.value
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, str):
        return v
    kind = (cell.fmt or {}).get("type")
    pattern = (cell.fmt or {}).get("pattern")
    if kind in (DATE, TIME, DATE_TIME):
        return format_datetime(float(v), pattern or _DEFAULT_PATTERNS[kind])
    if kind in (NUMBER, CURRENCY, PERCENT, "SCIENTIFIC"):
        return format_number(float(v), kind, pattern)
    return auto_number(v)


def render(cell: FakeCell | None, value_render: str, date_render: str) -> Any:
    """The values API's answer for one cell, or None for an empty one."""
    if cell is None or not cell.has_value:
        return None
    if cell.error:
        return cell.error
    if value_render == "FORMULA" and cell.formula:
        return cell.formula
    if value_render == "FORMATTED_VALUE":
        return formatted(cell)
    v = cell.value
    if isinstance(v, (bool, str)):
        return v
    if cell.is_datetime and date_render == "FORMATTED_STRING":
        return formatted(cell)
    return json_number(v)


def _typed(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, (int, float)):
        return {"numberValue": json_number(v)}
    return {"stringValue": v}


def cell_data(cell: FakeCell | None) -> dict[str, Any]:
    """`CellData` for grid responses."""
    if cell is None or cell.blank:
        return {}
    out: dict[str, Any] = {}
    if cell.formula:
        out["userEnteredValue"] = {"formulaValue": cell.formula}
    elif cell.value is not None:
        out["userEnteredValue"] = _typed(cell.value)
    if cell.error:
        kind, message = _ERROR_TYPES.get(cell.error, ("ERROR", "Error."))
        out["effectiveValue"] = {"errorValue": {"type": kind, "message": message}}
    elif cell.value is not None:
        out["effectiveValue"] = _typed(cell.value)
    if cell.has_value:
        out["formattedValue"] = formatted(cell)
    if cell.fmt:
        out["userEnteredFormat"] = {"numberFormat": dict(cell.fmt)}
    effective = dict(DEFAULT_FORMAT)  # shallow: nested parts are only ever read
    effective["hyperlinkDisplayType"] = "PLAIN_TEXT"
    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
        effective["horizontalAlignment"] = "RIGHT"
    if cell.fmt:
        effective["numberFormat"] = dict(cell.fmt)
    out["effectiveFormat"] = effective
    if cell.note:
        out["note"] = cell.note
    return out


# ---------------------------------------------------------------------------------------
# USER_ENTERED parsing (en_US subset) and formulas


_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.left), _arith(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.operand))
    raise ValueError("not arithmetic")


def formula_cell(text: str) -> FakeCell:
    try:
        value = _arith(ast.parse(text[1:].replace("^", "**"), mode="eval"))
        return FakeCell(json_number(float(value)) if isinstance(value, float) else value, None, None, text)
    except ZeroDivisionError:
        return error_cell("#DIV/0!", text)
    except (SyntaxError, ValueError, TypeError, OverflowError):
        return error_cell("#NAME?", text)


_NUM_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?$")


def parse_user_entered(v: Any, locale: str = "en_US") -> FakeCell | None:
    """What Sheets stores when a person types `v` (None: the cell becomes empty)."""
    if v is None:
        return None
    if not isinstance(v, str):
        return FakeCell(v)
    s = v.strip()
    if v == "":
        return None
    if v.startswith("'"):
        return FakeCell(v[1:])
    if v.startswith("="):
        return formula_cell(v)
    if s.upper() in ("TRUE", "FALSE"):
        return FakeCell(s.upper() == "TRUE")
    if s and any(ch.isdigit() for ch in s) and _NUM_RE.match(s):
        x = float(s.replace(",", ""))
        return FakeCell(json_number(x))
    m = re.match(r"^(-)?\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$", s)
    if m:
        x = float(m.group(2).replace(",", "") + (m.group(3) or ""))
        return currency(-x if m.group(1) else json_number(x))
    m = re.match(r"^([+-]?\d+(?:\.(\d+))?)%$", s)
    if m:
        pattern = "0." + "0" * len(m.group(2)) + "%" if m.group(2) else "0%"
        return percent(float(m.group(1)) / 100, pattern)
    m = re.match(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", s)
    if m:
        try:
            return date_cell(dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), "yyyy-mm-dd")
        except ValueError:
            return FakeCell(v)
    m = re.match(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", s)
    if m:
        a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        month, day = (a, b) if locale.startswith("en_US") else (b, a)
        try:
            return date_cell(dt.date(year, month, day), DATE_PATTERN)
        except ValueError:
            return FakeCell(v)
    return FakeCell(v)


# ---------------------------------------------------------------------------------------
# Field masks


def parse_fields(text: str) -> dict[str, Any]:
    """`a,b(c,d/e),f.g` -> {"a": True, "b": {"c": True, "d": {"e": True}}, "f": {"g": True}}."""
    pos = 0

    def merge(tree: dict[str, Any], path: list[str], sub: Any) -> None:
        for name in path[:-1]:
            node = tree.get(name)
            if node is True:
                return
            tree = tree.setdefault(name, {})
        last = path[-1]
        if sub is True or tree.get(last) is True:
            tree[last] = True
        else:
            node = tree.setdefault(last, {})
            for k, v in sub.items():
                merge(node, [k], v)

    def parse_list() -> dict[str, Any]:
        nonlocal pos
        tree: dict[str, Any] = {}
        while pos < len(text):
            m = re.compile(r"\s*([A-Za-z0-9_*]+(?:[./][A-Za-z0-9_*]+)*)\s*").match(text, pos)
            if not m:
                raise ApiError(400, f"Invalid field selection {text}")
            path = re.split(r"[./]", m.group(1))
            pos = m.end()
            sub: Any = True
            if pos < len(text) and text[pos] == "(":
                pos += 1
                sub = parse_list()
                if pos >= len(text) or text[pos] != ")":
                    raise ApiError(400, f"Invalid field selection {text}")
                pos += 1
            merge(tree, path, sub)
            if pos < len(text) and text[pos] == ",":
                pos += 1
                continue
            break
        return tree

    tree = parse_list()
    if pos != len(text):
        raise ApiError(400, f"Invalid field selection {text}")
    return tree


def apply_fields(obj: Any, tree: Any) -> Any:
    if tree is True:
        return obj
    if isinstance(obj, list):
        return [apply_fields(item, tree) for item in obj]
    if isinstance(obj, dict):
        if "*" in tree:
            return obj
        return {k: apply_fields(obj[k], sub) for k, sub in tree.items() if k in obj}
    return obj


def _mask_has(tree: Any, *path: str) -> bool:
    for name in path:
        if tree is True:
            return True
        if not isinstance(tree, dict):
            return False
        if "*" in tree:
            return True
        if name not in tree:
            return False
        tree = tree[name]
    return True


# ---------------------------------------------------------------------------------------
# Spreadsheets


def col_letters(col: int) -> str:
    s = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        s = chr(65 + rem) + s
    return s


def col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def a1_sheet(title: str) -> str:
    """A tab title as Google writes it in a response range: quoted when needed."""
    if re.fullmatch(r"[A-Za-z0-9_]+", title):
        return title
    return "'" + title.replace("'", "''") + "'"


def a1_cell(row: int, col: int) -> str:
    return f"{col_letters(col)}{row + 1}"


def a1_block(title: str, r0: int, r1: int, c0: int, c1: int) -> str:
    start = a1_cell(r0, c0)
    end = a1_cell(r1 - 1, c1 - 1)
    return f"{a1_sheet(title)}!{start}" + ("" if start == end else f":{end}")


@dataclass
class FakeSheet:
    sheet_id: int
    title: str
    rows: int = 1000
    cols: int = 26
    cells: dict[tuple[int, int], FakeCell] = field(default_factory=dict)
    hidden: bool = False
    frozen_rows: int = 0
    sheet_type: str = "GRID"

    _index: dict[int, list[int]] | None = field(default=None, repr=False, compare=False)
    _index_size: int = field(default=-1, repr=False, compare=False)

    def get(self, r: int, c: int) -> FakeCell | None:
        return self.cells.get((r, c))

    def put(self, r: int, c: int, cell: FakeCell | None) -> None:
        if cell is None or cell.blank:
            self.cells.pop((r, c), None)
        else:
            self.cells[(r, c)] = cell
        self._index = None

    def row_index(self) -> dict[int, list[int]]:
        """row -> its used columns, sorted: grid reads of a block cost the block, not the
        sheet (rebuilt when cells were put or their number changed)."""
        if self._index is None or self._index_size != len(self.cells):
            index: dict[int, list[int]] = {}
            for r, c in self.cells:
                index.setdefault(r, []).append(c)
            for cols in index.values():
                cols.sort()
            self._index, self._index_size = index, len(self.cells)
        return self._index

    def properties(self, index: int) -> dict[str, Any]:
        grid: dict[str, Any] = {"rowCount": self.rows, "columnCount": self.cols}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        props: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": index,
            "sheetType": self.sheet_type,
            "gridProperties": grid,
        }
        if self.hidden:
            props["hidden"] = True
        return props

    def values(self) -> list[list[Any]]:
        """Typed values (serials for dates), row 1 at index 0, trailing blanks trimmed."""
        out: list[list[Any]] = []
        for (r, c), cell in sorted(self.cells.items()):
            if not cell.has_value:
                continue
            while len(out) <= r:
                out.append([])
            row = out[r]
            row.extend([None] * (c + 1 - len(row)))
            row[c] = cell.error or cell.value
        return out


@dataclass
class FakeSpreadsheet:
    spreadsheet_id: str
    title: str
    sheets: list[FakeSheet] = field(default_factory=list)
    locale: str = "en_US"
    time_zone: str = "Etc/GMT"
    shared: bool = True
    rng: random.Random = field(default_factory=lambda: random.Random(4))
    lean: bool = False

    def sheet(self, title: str) -> FakeSheet | None:
        for sh in self.sheets:
            if sh.title == title:
                return sh
        for sh in self.sheets:
            if sh.title.casefold() == title.casefold():
                return sh
        return None

    def by_id(self, sheet_id: Any) -> FakeSheet:
        for sh in self.sheets:
            if sh.sheet_id == sheet_id:
                return sh
        raise ApiError(400, f"No grid with id: {sheet_id}")

    def new_id(self) -> int:
        used = {sh.sheet_id for sh in self.sheets}
        while True:
            candidate = self.rng.randrange(1, 2**31 - 1)
            if candidate not in used:
                return candidate

    # -- ranges --------------------------------------------------------------------------

    def split_range(self, rng: str) -> tuple[FakeSheet, str | None]:
        text = rng.strip()
        if text.startswith("'"):
            i, name = 1, []
            while i < len(text):
                if text[i] == "'":
                    if i + 1 < len(text) and text[i + 1] == "'":
                        name.append("'")
                        i += 2
                        continue
                    break
                name.append(text[i])
                i += 1
            rest = text[i + 1 :]
            sheet = self.sheet("".join(name))
            if sheet is None or (rest and not rest.startswith("!")):
                raise ApiError(400, f"Unable to parse range: {rng}")
            return sheet, rest[1:] or None
        if "!" in text:
            name, _, a1 = text.rpartition("!")
            sheet = self.sheet(name)
            if sheet is None:
                raise ApiError(400, f"Unable to parse range: {rng}")
            return sheet, a1 or None
        sheet = self.sheet(text)
        if sheet is not None:
            return sheet, None
        if not self.sheets:
            raise ApiError(400, f"Unable to parse range: {rng}")
        return self.sheets[0], text

    def resolve(self, rng: str, clamp: bool = True) -> tuple[FakeSheet, int, int, int, int]:
        """A1 range -> (sheet, r0, r1, c0, c1), half-open, 0-based."""
        sheet, a1 = self.split_range(rng)
        if a1 is None:
            return sheet, 0, sheet.rows, 0, sheet.cols
        m = re.fullmatch(r"\$?([A-Za-z]{0,3})\$?(\d*)(?::\$?([A-Za-z]{0,3})\$?(\d*))?", a1.strip())
        if not m or not (m.group(1) or m.group(2)):
            raise ApiError(400, f"Unable to parse range: {rng}")
        c_a, r_a, c_b, r_b = m.groups()
        if m.group(0).find(":") < 0:
            if not (c_a and r_a):
                raise ApiError(400, f"Unable to parse range: {rng}")
            c_b, r_b = c_a, r_a
        r0 = int(r_a) - 1 if r_a else 0
        c0 = col_index(c_a) if c_a else 0
        r1 = int(r_b) if r_b else sheet.rows
        c1 = col_index(c_b) + 1 if c_b else sheet.cols
        if r_a and r_b and int(r_b) < int(r_a):
            r0, r1 = int(r_b) - 1, int(r_a)
        if c_a and c_b and col_index(c_b) < col_index(c_a):
            c0, c1 = col_index(c_b), col_index(c_a) + 1
        if clamp:
            r1, c1 = min(r1, sheet.rows), min(c1, sheet.cols)
            r0, c0 = min(r0, max(r1 - 1, 0)), min(c0, max(c1 - 1, 0))
        return sheet, r0, r1, c0, c1

    # -- values --------------------------------------------------------------------------

    def values_get(self, rng: str, params: dict[str, str]) -> dict[str, Any]:
        sheet, r0, r1, c0, c1 = self.resolve(rng)
        major = params.get("majorDimension") or "ROWS"
        vro = params.get("valueRenderOption") or "FORMATTED_VALUE"
        dtro = params.get("dateTimeRenderOption") or "SERIAL_NUMBER"
        for name, value, allowed in (
            ("majorDimension", major, ("ROWS", "COLUMNS", "DIMENSION_UNSPECIFIED")),
            ("valueRenderOption", vro, ("FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA")),
            ("dateTimeRenderOption", dtro, ("SERIAL_NUMBER", "FORMATTED_STRING")),
        ):
            if value not in allowed:
                raise ApiError(400, f"Invalid value at '{name}' ({value})")
        major = "ROWS" if major == "DIMENSION_UNSPECIFIED" else major
        found: dict[tuple[int, int], Any] = {}
        for (r, c), cell in sheet.cells.items():
            if r0 <= r < r1 and c0 <= c < c1:
                v = render(cell, vro, dtro)
                if v is not None and v != "":
                    found[(r - r0, c - c0) if major == "ROWS" else (c - c0, r - r0)] = v
        out: dict[str, Any] = {"range": a1_block(sheet.title, r0, r1, c0, c1), "majorDimension": major}
        if found:
            height = max(i for i, _ in found) + 1
            lines: list[list[Any]] = [[] for _ in range(height)]
            for (i, j), v in sorted(found.items()):
                line = lines[i]
                line.extend([""] * (j - len(line)))
                line.append(v)
            out["values"] = lines
        return out

    def _write_block(
        self, rng: str, values: list[list[Any]], major: str, input_option: str
    ) -> dict[str, Any]:
        if input_option not in ("RAW", "USER_ENTERED"):
            if not input_option:
                raise ApiError(400, "'valueInputOption' is required but not specified")
            raise ApiError(400, f"Invalid value at 'value_input_option' ({input_option})")
        if major == "COLUMNS":
            width = max((len(col) for col in values), default=0)
            values = [[col[i] if i < len(col) else None for col in values] for i in range(width)]
        sheet, r0, r1, c0, c1 = self.resolve(rng, clamp=False)
        height = len(values)
        width = max((len(row) for row in values), default=0)
        _, a1 = self.split_range(rng)
        if a1 and ":" in a1 and (height > r1 - r0 or width > c1 - c0):
            raise ApiError(
                400,
                f"Requested writing within range [{rng}], but tried writing to row [{r0 + height}]"
                if height > r1 - r0
                else f"Requested writing within range [{rng}], but tried writing to column [{col_letters(c0 + width - 1)}]",
            )
        if r0 + height > sheet.rows or c0 + width > sheet.cols:
            raise ApiError(
                400,
                f"Range ({a1_sheet(sheet.title)}!{a1_cell(r0 + max(height, 1) - 1, c0 + max(width, 1) - 1)})"
                f" exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.cols}",
            )
        cells = 0
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                cells += 1
                if v is None:
                    continue  # null: leave the cell as it is
                old = sheet.get(r0 + i, c0 + j) or FakeCell()
                if input_option == "RAW":
                    new = None if v == "" else FakeCell(v if not isinstance(v, float) else json_number(v))
                else:
                    new = parse_user_entered(v, self.locale)
                merged = FakeCell(note=old.note, fmt=old.fmt)
                if new is not None:
                    merged.value, merged.formula, merged.error = new.value, new.formula, new.error
                    if new.fmt and (input_option == "USER_ENTERED"):
                        merged.fmt = new.fmt if not old.fmt or new.is_datetime else old.fmt
                sheet.put(r0 + i, c0 + j, merged)
        if height == 0 or width == 0:
            updated = a1_block(sheet.title, r0, r0 + 1, c0, c0 + 1)
        else:
            updated = a1_block(sheet.title, r0, r0 + height, c0, c0 + width)
        return {
            "spreadsheetId": self.spreadsheet_id,
            "updatedRange": updated,
            "updatedRows": height,
            "updatedColumns": width,
            "updatedCells": cells,
        }

    def values_update(self, rng: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        return self._write_block(
            rng, body.get("values") or [], body.get("majorDimension") or "ROWS", params.get("valueInputOption", "")
        )

    def values_batch_update(self, body: dict[str, Any]) -> dict[str, Any]:
        option = body.get("valueInputOption", "")
        responses = [
            self._write_block(d.get("range", ""), d.get("values") or [], d.get("majorDimension") or "ROWS", option)
            for d in body.get("data") or []
        ]
        out: dict[str, Any] = {"spreadsheetId": self.spreadsheet_id}
        if responses:
            out.update(
                {
                    "totalUpdatedRows": sum(r["updatedRows"] for r in responses),
                    "totalUpdatedColumns": max(r["updatedColumns"] for r in responses),
                    "totalUpdatedCells": sum(r["updatedCells"] for r in responses),
                    "totalUpdatedSheets": len({r["updatedRange"].rpartition("!")[0] for r in responses}),
                    "responses": responses,
                }
            )
        return out

    def values_clear(self, rng: str) -> str:
        sheet, r0, r1, c0, c1 = self.resolve(rng)
        for (r, c), cell in list(sheet.cells.items()):
            if r0 <= r < r1 and c0 <= c < c1:
                cell.value = cell.formula = cell.error = None
                sheet.put(r, c, cell)
        return a1_block(sheet.title, r0, r1, c0, c1)

    # -- spreadsheets.get ----------------------------------------------------------------

    def grid_data(self, sheet: FakeSheet, r0: int, r1: int, c0: int, c1: int) -> dict[str, Any]:
        index = sheet.row_index()
        span = range(r0, r1) if r1 - r0 <= len(index) else sorted(r for r in index if r0 <= r < r1)
        used_rows = {r: [c for c in index[r] if c0 <= c < c1] for r in span if r in index}
        used_rows = {r: cols for r, cols in used_rows.items() if cols}
        row_data: list[dict[str, Any]] = []
        if used_rows:
            last_row = max(used_rows)
            for r in range(r0, last_row + 1):
                cols = used_rows.get(r)
                if not cols:
                    row_data.append({})
                    continue
                row_data.append({"values": [cell_data(sheet.get(r, c)) for c in range(c0, max(cols) + 1)]})
        block: dict[str, Any] = {}
        if r0:
            block["startRow"] = r0
        if c0:
            block["startColumn"] = c0
        block["rowData"] = row_data
        if not self.lean:
            block["rowMetadata"] = [{"pixelSize": 21} for _ in range(r0, r1)]
            block["columnMetadata"] = [{"pixelSize": 100} for _ in range(c0, c1)]
        return block

    def get(self, params: dict[str, list[str]]) -> dict[str, Any]:
        fields = (params.get("fields") or [None])[-1]
        tree = parse_fields(fields) if fields else None
        include = (params.get("includeGridData") or ["false"])[-1].lower() == "true"
        want_data = _mask_has(tree, "sheets", "data") if tree is not None else include
        ranges = params.get("ranges") or []
        selected: list[tuple[FakeSheet, list[tuple[int, int, int, int]]]] = []
        if ranges:
            by_sheet: dict[int, list[tuple[int, int, int, int]]] = {}
            for rng in ranges:
                sheet, r0, r1, c0, c1 = self.resolve(rng)
                by_sheet.setdefault(sheet.sheet_id, []).append((r0, r1, c0, c1))
            selected = [(sh, by_sheet[sh.sheet_id]) for sh in self.sheets if sh.sheet_id in by_sheet]
        else:
            selected = [(sh, [(0, sh.rows, 0, sh.cols)]) for sh in self.sheets]
        sheets_out = []
        # what the mask drops need not be built (row metadata of a 200k-row block)
        self.lean = tree is not None and not _mask_has(tree, "sheets", "data", "rowMetadata")
        for sheet, blocks in selected:
            entry: dict[str, Any] = {"properties": sheet.properties(self.sheets.index(sheet))}
            if want_data:
                entry["data"] = [self.grid_data(sheet, *b) for b in blocks]
            sheets_out.append(entry)
        out = {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": self.locale,
                "autoRecalc": "ON_CHANGE",
                "timeZone": self.time_zone,
                "defaultFormat": copy.deepcopy(DEFAULT_FORMAT),
                "spreadsheetTheme": copy.deepcopy(THEME),
            },
            "sheets": sheets_out,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }
        return apply_fields(out, tree) if tree is not None else out

    # -- spreadsheets.batchUpdate ----------------------------------------------------------

    def _check_title(self, title: str, where: str, ignore: FakeSheet | None = None) -> None:
        if not title or not title.strip():
            raise ApiError(400, f"Invalid {where}: The sheet name cannot be empty.")
        for sh in self.sheets:
            if sh is not ignore and sh.title.casefold() == title.casefold():
                raise ApiError(
                    400, f'Invalid {where}: A sheet with the name "{title}" already exists. Please enter another name.'
                )

    def _check_id(self, sheet_id: Any, where: str) -> None:
        if any(sh.sheet_id == sheet_id for sh in self.sheets):
            raise ApiError(400, f"Invalid {where}: Sheet with id {sheet_id} already exists.")

    def _insert(self, sheet: FakeSheet, index: Any) -> int:
        if index is None or int(index) > len(self.sheets):
            index = len(self.sheets)
        self.sheets.insert(int(index), sheet)
        return int(index)

    def _grid_range(self, gr: dict[str, Any], where: str) -> tuple[FakeSheet, int, int, int, int]:
        sheet = self.by_id(gr.get("sheetId", 0))
        r0 = int(gr.get("startRowIndex", 0))
        r1 = int(gr.get("endRowIndex", sheet.rows))
        c0 = int(gr.get("startColumnIndex", 0))
        c1 = int(gr.get("endColumnIndex", sheet.cols))
        if r1 > sheet.rows or c1 > sheet.cols or r0 < 0 or c0 < 0:
            raise ApiError(
                400,
                f"Invalid {where}: Range ({a1_sheet(sheet.title)}!{a1_cell(r1 - 1, c1 - 1)}) exceeds grid limits."
                f" Max rows: {sheet.rows}, max columns: {sheet.cols}",
            )
        return sheet, r0, r1, c0, c1

    @staticmethod
    def _cell_fields(mask: str) -> set[str]:
        names = set()
        for part in (mask or "").split(","):
            part = part.strip()
            if part:
                names.add(re.split(r"[./]", part)[0])
        return names

    def _set_cell(self, sheet: FakeSheet, r: int, c: int, data: dict[str, Any], names: set[str]) -> None:
        cell = copy.deepcopy(sheet.get(r, c)) or FakeCell()
        everything = "*" in names
        if everything or "userEnteredValue" in names:
            uev = data.get("userEnteredValue") or {}
            cell.value = cell.formula = cell.error = None
            if "formulaValue" in uev:
                new = formula_cell(uev["formulaValue"])
                cell.value, cell.formula, cell.error = new.value, new.formula, new.error
            elif "numberValue" in uev:
                cell.value = json_number(uev["numberValue"])
            elif "stringValue" in uev:
                cell.value = uev["stringValue"] if uev["stringValue"] != "" else None
            elif "boolValue" in uev:
                cell.value = bool(uev["boolValue"])
        if everything or "note" in names:
            cell.note = data.get("note") or None
        if everything or "userEnteredFormat" in names:
            fmt = (data.get("userEnteredFormat") or {}).get("numberFormat")
            cell.fmt = dict(fmt) if fmt else None
        sheet.put(r, c, cell)

    def apply_request(self, i: int, request: dict[str, Any]) -> dict[str, Any]:
        if len(request) != 1:
            raise ApiError(400, f"Invalid requests[{i}]: exactly one kind of request must be set")
        kind, body = next(iter(request.items()))
        where = f"requests[{i}].{kind}"
        if kind == "addSheet":
            props = body.get("properties") or {}
            title = props.get("title") or f"Sheet{len(self.sheets) + 1}"
            self._check_title(title, where)
            sheet_id = props.get("sheetId")
            if sheet_id is None:
                sheet_id = self.new_id()
            else:
                self._check_id(sheet_id, where)
            grid = props.get("gridProperties") or {}
            sheet = FakeSheet(
                int(sheet_id),
                title,
                int(grid.get("rowCount", 1000)),
                int(grid.get("columnCount", 26)),
                hidden=bool(props.get("hidden", False)),
                frozen_rows=int(grid.get("frozenRowCount", 0)),
            )
            if sheet.frozen_rows and sheet.frozen_rows >= sheet.rows:
                raise ApiError(400, f"Invalid {where}: You can't freeze all visible rows on the sheet.")
            index = self._insert(sheet, props.get("index"))
            return {"addSheet": {"properties": sheet.properties(index)}}
        if kind == "duplicateSheet":
            source = self.by_id(body.get("sourceSheetId"))
            title = body.get("newSheetName") or f"Copy of {source.title}"
            self._check_title(title, where)
            sheet_id = body.get("newSheetId")
            if sheet_id is None:
                sheet_id = self.new_id()
            else:
                self._check_id(sheet_id, where)
            sheet = copy.deepcopy(source)
            sheet.sheet_id, sheet.title = int(sheet_id), title
            index = self._insert(sheet, body.get("insertSheetIndex"))
            return {"duplicateSheet": {"properties": sheet.properties(index)}}
        if kind == "deleteSheet":
            sheet = self.by_id(body.get("sheetId"))
            if len([s for s in self.sheets if not s.hidden]) <= 1 and not sheet.hidden:
                raise ApiError(400, f"Invalid {where}: You can't remove all the visible sheets in a document.")
            self.sheets.remove(sheet)
            return {}
        if kind == "updateSheetProperties":
            props = body.get("properties") or {}
            sheet = self.by_id(props.get("sheetId", 0))
            names = {tuple(re.split(r"[./]", p.strip())) for p in (body.get("fields") or "").split(",") if p.strip()}
            grid = props.get("gridProperties") or {}
            for path in names:
                if path == ("*",):
                    path_set = {("title",), ("hidden",), ("gridProperties",)}
                else:
                    path_set = {path}
                for p in path_set:
                    if p == ("title",):
                        self._check_title(props.get("title", ""), where, ignore=sheet)
                        sheet.title = props["title"]
                    elif p == ("hidden",):
                        sheet.hidden = bool(props.get("hidden"))
                    elif p[0] == "gridProperties":
                        sub = p[1] if len(p) > 1 else None
                        if sub in (None, "rowCount") and "rowCount" in grid:
                            sheet.rows = int(grid["rowCount"])
                        if sub in (None, "columnCount") and "columnCount" in grid:
                            sheet.cols = int(grid["columnCount"])
                        if sub in (None, "frozenRowCount"):
                            sheet.frozen_rows = int(grid.get("frozenRowCount", 0))
                    else:
                        raise ApiError(400, f"Invalid {where}: fake does not support field {'.'.join(p)}")
            for key in [k for k in sheet.cells if k[0] >= sheet.rows or k[1] >= sheet.cols]:
                del sheet.cells[key]
            return {}
        if kind == "updateCells":
            names = self._cell_fields(body.get("fields", ""))
            if not names:
                raise ApiError(400, f"Invalid {where}: At least one field must be specified in 'fields'.")
            rows = body.get("rows") or []
            if "range" in body:
                sheet, r0, r1, c0, c1 = self._grid_range(body["range"], where)
                for r in range(r0, r1):
                    for c in range(c0, c1):
                        if (r, c) in sheet.cells:
                            self._set_cell(sheet, r, c, {}, names)
                for i_row, row in enumerate(rows):
                    for j, data in enumerate(row.get("values") or []):
                        if r0 + i_row < r1 and c0 + j < c1:
                            self._set_cell(sheet, r0 + i_row, c0 + j, data, names)
                return {}
            start = body.get("start") or {}
            sheet = self.by_id(start.get("sheetId", 0))
            r0, c0 = int(start.get("rowIndex", 0)), int(start.get("columnIndex", 0))
            height = len(rows)
            width = max((len(row.get("values") or []) for row in rows), default=0)
            if r0 + height > sheet.rows or c0 + width > sheet.cols:
                raise ApiError(
                    400,
                    f"Invalid {where}: Range ({a1_sheet(sheet.title)}!{a1_cell(r0 + height - 1, c0 + width - 1)})"
                    f" exceeds grid limits. Max rows: {sheet.rows}, max columns: {sheet.cols}",
                )
            for i_row, row in enumerate(rows):
                for j, data in enumerate(row.get("values") or []):
                    self._set_cell(sheet, r0 + i_row, c0 + j, data, names)
            return {}
        if kind == "repeatCell":
            names = self._cell_fields(body.get("fields", ""))
            sheet, r0, r1, c0, c1 = self._grid_range(body.get("range") or {}, where)
            for r in range(r0, r1):
                for c in range(c0, c1):
                    self._set_cell(sheet, r, c, body.get("cell") or {}, names)
            return {}
        raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{kind}\" at 'requests[{i}]': Cannot find field.")

    def batch_update(self, body: dict[str, Any]) -> dict[str, Any]:
        requests_ = body.get("requests")
        if not requests_:
            raise ApiError(400, "Must specify at least one request.")
        replies = [self.apply_request(i, r) for i, r in enumerate(requests_)]
        return {"spreadsheetId": self.spreadsheet_id, "replies": replies}


# ---------------------------------------------------------------------------------------
# The server


@dataclass
class Request:
    method: str
    route: str
    path: str
    query: dict[str, list[str]]
    body: Any
    spreadsheet_id: str | None
    authorized: bool


@dataclass
class Fault:
    status: int
    route: str | None
    path: str | None
    method: str | None
    nth: int
    times: int | None
    apply: bool
    message: str | None
    seen: int = 0
    fired: int = 0

    def matches(self, req: Request) -> bool:
        if self.route and req.route != self.route:
            return False
        if self.method and req.method != self.method.upper():
            return False
        if self.path and not re.search(self.path, req.path):
            return False
        return True


class FakeSheetsServer:
    """The fake API. `start()`, then point `LOTSYNC_SHEETS_API_URL` at `url`."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.hooks: list[Callable[[Request], None]] = []
        self.lock = threading.RLock()
        #: Bytes of every response body sent, in order.
        self.response_sizes: list[int] = []
        #: (reads, seconds): more GET requests than this in any such window get a 429, as
        #: Google's per-user read quota (60 a minute) answers. None: no limit.
        self.read_quota: tuple[int, float] | None = None
        self._reads: list[float] = []
        self.quota_refusals = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> "FakeSheetsServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, payload = server.dispatch(
                    self.command, self.path, raw, bool(self.headers.get("Authorization"))
                )
                # Google pretty-prints unless asked not to (the standard prettyPrint parameter)
                pretty = "prettyPrint=false" not in urlsplit(self.path).query
                if payload is None:
                    data = b""
                elif pretty:
                    data = json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8")
                else:
                    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                with server.lock:
                    server.response_sizes.append(len(data))
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-sheets", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakeSheetsServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- data ----------------------------------------------------------------------------

    def add_spreadsheet(
        self,
        spreadsheet_id: str,
        title: str,
        tabs: dict[str, Iterable[Iterable[Any]]] | None = None,
        *,
        locale: str = "en_US",
        rows: int = 1000,
        cols: int = 26,
        shared: bool = True,
        hidden: Iterable[str] = (),
    ) -> FakeSpreadsheet:
        """A spreadsheet whose tabs hold `tabs[title]` rows (values through `as_cell`)."""
        ss = FakeSpreadsheet(spreadsheet_id, title, locale=locale, shared=shared)
        hidden = set(hidden)
        for index, (tab, data) in enumerate((tabs or {"Sheet1": []}).items()):
            grid = [list(row) for row in data]
            sheet = FakeSheet(
                0 if index == 0 else ss.new_id(),
                tab,
                max(rows, len(grid)),
                max(cols, max((len(r) for r in grid), default=0)),
                hidden=tab in hidden,
            )
            for r, line in enumerate(grid):
                for c, v in enumerate(line):
                    sheet.put(r, c, as_cell(v))
            ss.sheets.append(sheet)
        with self.lock:
            self.spreadsheets[spreadsheet_id] = ss
        return ss

    def sheet(self, spreadsheet_id: str, tab: str) -> FakeSheet:
        sh = self.spreadsheets[spreadsheet_id].sheet(tab)
        assert sh is not None, f"no tab {tab!r}"
        return sh

    def cell(self, spreadsheet_id: str, tab: str, a1: str) -> FakeCell | None:
        sheet, r0, _, c0, _ = self.spreadsheets[spreadsheet_id].resolve(f"{a1_sheet(tab)}!{a1}")
        return sheet.get(r0, c0)

    def titles(self, spreadsheet_id: str) -> list[str]:
        return [sh.title for sh in self.spreadsheets[spreadsheet_id].sheets]

    def edit(self, spreadsheet_id: str, tab: str, a1: str, value: Any) -> None:
        """A person types `value` into a cell (USER_ENTERED for str, typed otherwise)."""
        with self.lock:
            ss = self.spreadsheets[spreadsheet_id]
            sheet, r, _, c, _ = ss.resolve(f"{a1_sheet(tab)}!{a1}")
            old = sheet.get(r, c) or FakeCell()
            new = parse_user_entered(value, ss.locale) if isinstance(value, str) else as_cell(value)
            cell = FakeCell(note=old.note, fmt=old.fmt)
            if new is not None:
                cell.value, cell.formula, cell.error = new.value, new.formula, new.error
                cell.fmt = new.fmt or old.fmt
            sheet.put(r, c, cell)

    # -- hooks ---------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        route: str | None = None,
        path: str | None = None,
        method: str | None = None,
        nth: int = 1,
        times: int | None = 1,
        apply: bool = False,
        message: str | None = None,
    ) -> Fault:
        """Answer the `nth` matching request (and `times - 1` more; None: all) with `status`.

        `route` is one of spreadsheets.get, spreadsheets.batchUpdate, values.get,
        values.update, values.clear, values.batchGet, values.batchUpdate, values.batchClear;
        `path` a regex searched in the decoded path. `apply=True` performs the request first
        (the response is lost, the change is made).
        """
        fault = Fault(status, route, path, method, nth, times, apply, message)
        with self.lock:
            self.faults.append(fault)
        return fault

    def count(self, route: str | None = None, method: str | None = None, path: str | None = None) -> int:
        with self.lock:
            return sum(
                1
                for r in self.requests
                if (route is None or r.route == route)
                and (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path))
            )

    def clear_log(self) -> None:
        with self.lock:
            self.requests.clear()

    # -- dispatch ------------------------------------------------------------------------

    def _route(self, method: str, raw_path: str) -> tuple[str, str | None, str | None]:
        prefix = "/v4/spreadsheets/"
        if not raw_path.startswith(prefix):
            return "unknown", None, None
        rest = raw_path[len(prefix) :]
        head, sep, tail = rest.partition("/")
        if not sep:
            sid, colon, verb = head.partition(":")
            if not colon:
                return ("spreadsheets.get" if method == "GET" else "unknown"), unquote(sid), None
            return ("spreadsheets.batchUpdate" if verb == "batchUpdate" and method == "POST" else "unknown"), unquote(sid), None
        sid = unquote(head)
        if tail in ("values:batchGet", "values:batchUpdate", "values:batchClear"):
            return "values." + tail.split(":")[1], sid, None
        if tail.startswith("values/"):
            rng = tail[len("values/") :]
            for verb in ("clear", "append"):
                if rng.endswith(":" + verb):
                    return f"values.{verb}", sid, unquote(rng[: -len(verb) - 1])
            return {"GET": "values.get", "PUT": "values.update"}.get(method, "unknown"), sid, unquote(rng)
        return "unknown", sid, None

    def dispatch(self, method: str, target: str, raw: bytes, authorized: bool) -> tuple[int, Any]:
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        params = {k: v[-1] for k, v in query.items()}
        route, sid, rng = self._route(method, parts.path)
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            body = None
        req = Request(method, route, unquote(parts.path), query, body, sid, authorized)
        with self.lock:
            self.requests.append(req)
            for hook in list(self.hooks):
                hook(req)
            if self.read_quota is not None and method == "GET":
                limit, window = self.read_quota
                now = time.monotonic()
                self._reads = [t for t in self._reads if now - t < window]
                if len(self._reads) >= limit:
                    self.quota_refusals += 1
                    return 429, {"error": {"code": 429, "message": _MESSAGES[429], "status": _STATUS[429]}}
                self._reads.append(now)
            fault = None
            for f in self.faults:  # every fault counts the requests it matches
                if f.matches(req):
                    f.seen += 1
                    if fault is None and f.seen >= f.nth and (f.times is None or f.fired < f.times):
                        f.fired += 1
                        fault = f
            try:
                if body is None:
                    raise ApiError(400, "Invalid JSON payload received.")
                if fault is not None and not fault.apply:
                    raise ApiError(fault.status, fault.message)
                result = self._execute(route, sid, rng, params, query, body)
                if fault is not None:
                    raise ApiError(fault.status, fault.message)
                return 200, result
            except ApiError as err:
                return err.code, {
                    "error": {"code": err.code, "message": err.message, "status": _STATUS.get(err.code, "UNKNOWN")}
                }

    def _execute(
        self, route: str, sid: str | None, rng: str | None, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> Any:
        if route == "unknown" or sid is None:
            raise ApiError(404, "Method not found.")
        ss = self.spreadsheets.get(sid)
        if ss is None:
            raise ApiError(404)
        if not ss.shared:
            raise ApiError(403)
        if route == "spreadsheets.get":
            return ss.get(query)
        if route == "values.get":
            return ss.values_get(rng or "", params)
        if route == "values.batchGet":
            return {
                "spreadsheetId": sid,
                "valueRanges": [ss.values_get(r, params) for r in query.get("ranges", [])],
            }
        # writes are atomic: work on a copy, commit on success
        work = copy.deepcopy(ss)
        if route == "values.update":
            result = work.values_update(rng or "", params, body)
        elif route == "values.batchUpdate":
            result = work.values_batch_update(body)
        elif route == "values.clear":
            result = {"spreadsheetId": sid, "clearedRange": work.values_clear(rng or "")}
        elif route == "values.batchClear":
            result = {"spreadsheetId": sid, "clearedRanges": [work.values_clear(r) for r in body.get("ranges", [])]}
        elif route == "spreadsheets.batchUpdate":
            result = work.batch_update(body)
        else:
            raise ApiError(400, f"fake Sheets API does not implement {route}")
        ss.sheets, ss.title, ss.rng = work.sheets, work.title, work.rng  # commit, keeping identity
        return result


@pytest.fixture
def sheets_server(monkeypatch: pytest.MonkeyPatch) -> Iterable[FakeSheetsServer]:
    """A running fake server; `LOTSYNC_SHEETS_API_URL` points at it; backoff waits are tiny."""
    server = FakeSheetsServer().start()
    monkeypatch.setenv("LOTSYNC_SHEETS_API_URL", server.url)
    monkeypatch.setenv("LOTSYNC_SHEETS_BACKOFF_BASE", "0.001")
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    try:
        yield server
    finally:
        server.stop()
