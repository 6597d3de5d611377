"""report.xlsx: the figures for the books, one tab per view of the frozen `Result`.

Tabs: Summary (key figures, findings by severity and code, stock value, sources, and three
native charts), Findings, Lots, Use next, Expiring, COGS by visit, COGS by provider, COGS
by product, COGS by month. Each tab prints landscape, fit to the page width, with its
header row repeated; dates are real date cells, money and quantities are numbers.

How it is written, and why:

- xlsxwriter (`constant_memory`, `strings_to_formulas` and `strings_to_urls` off) makes the
  workbook: styles, charts, print setup, frozen panes, autofilters, and the small tabs.
- The tabs that grow with the practice (Findings, Lots, Use next, COGS by visit) would cost
  about 12 µs a cell through xlsxwriter (20 s for 100,000 visits, minutes for a million).
  xlsxwriter writes them as a header row only; their rows are streamed as SpreadsheetML
  (inline strings, numbers, style indexes of formats made once) to temporary files and
  spliced into the package when xlsxwriter is done, with their hyperlinks. Rows are
  rendered a block at a time and a column at a time (`_column_fn`): a function call per
  cell cost more than the cell's XML, and a block of plain text (the common case) is
  checked once and written as it is. Memory stays flat and a million visit rows take
  seconds. A table longer than Excel's 1,048,576 rows
  goes on in a continuation tab ("COGS by visit (2)").
- Every string that came from a user's sheet goes through `safe_text` (a leading `=`, `+`,
  `-`, `@`, tab or CR gets an apostrophe) and is written as a string cell, never a formula.
  On the xlsxwriter path `xl_text` also defuses text shaped like `<r>…</r>`, which
  xlsxwriter would otherwise copy into the file as raw XML (a way to smuggle a formula in).
- The Source column links to the clinic's file at the cell (`external:` relative to the
  report), so a click opens the row that raised the finding.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import operator
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Sequence
from xml.sax.saxutils import quoteattr

import xlsxwriter
from xlsxwriter.utility import quote_sheetname, xl_col_to_name

from lotsync.version import __version__
from lotsync.model import Finding, Source
from lotsync.reconcile.result import CogsLine, LotResult, Result
from lotsync.writers import charts as ch
from lotsync.readers.marks import mark_xlsxwriter
from lotsync.writers.safe import DANGEROUS_FIRST, atomic_path, safe_text

MAX_ROWS = 1_048_576  # Excel's rows per sheet
MAX_LINKS = 65_530  # Excel's hyperlinks per sheet
MAX_TEXT = 32_767  # Excel's characters per cell
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()
_BLOCK = 5_000  # rows rendered at a time (a few MB of XML: memory stays flat)

WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "constant_memory": True}

MONEY = "$#,##0.00"
QTY = "#,##0.###"
QTY_INT = "#,##0"  # whole quantities: "#,##0.###" would show "20." in Excel
DATE = "yyyy-mm-dd"
PCT = "0.0%"
LINE_HEIGHT = 15  # points, Calibri 11

_REL_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"


def _serial(d: dt.date) -> int:
    """Excel's 1900 date system serial of a date (what a real date cell holds)."""
    return d.toordinal() - _EXCEL_EPOCH


def _num(ws, row: int, col: int, value, fmt) -> None:
    """A number cell through xlsxwriter (Decimal to float); NaN and infinity, which no
    spreadsheet stores, leave the cell blank."""
    x = float(value)
    if math.isfinite(x):
        ws.write_number(row, col, x, fmt)


def xl_text(value: object) -> str:
    """User text for xlsxwriter's `write_string`: `safe_text`, and never shaped like the
    `<r>…</r>` rich-string XML that xlsxwriter writes into the file unescaped."""
    return safe_text(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=4096)
def _file_label(file: str) -> str:
    return Path(file).name if "://" not in file else file


def _where(s: Source | None) -> str:
    return s.where if s is not None else ""


class _Links:
    """Hyperlinks from the report to the clinic's own files, relative to the report's
    folder (absolute when no relative path exists, e.g. another drive)."""

    def __init__(self, out_dir: Path) -> None:
        self.base = Path(out_dir).resolve()
        self._files: dict[str, str | None] = {}

    def _file(self, file: str) -> str | None:
        if file not in self._files:
            rel = None
            if file and "://" not in file and "#" not in file:
                target = Path(file).resolve()
                try:
                    rel = os.path.relpath(target, self.base)
                except ValueError:
                    rel = str(target)
            self._files[file] = rel
        return self._files[file]

    def target(self, s: Source | None) -> tuple[str, str | None] | None:
        """(file path, location "'Sheet'!C5" or None), or None when the source is not a
        local file a link can carry."""
        if s is None:
            return None
        path = self._file(s.file)
        if path is None or len(path) > 2000:
            return None
        loc = quote_sheetname(s.sheet) + "!" + s.cell if (s.sheet and s.cell) else None
        return path, loc

    def url(self, s: Source | None) -> str | None:
        """The same as an xlsxwriter `external:` URL."""
        t = self.target(s)
        if t is None:
            return None
        return "external:" + t[0] + ("#" + t[1] if t[1] else "")


def source_link(s: Source | None, out_dir: Path) -> str | None:
    """An `external:` hyperlink that opens the source file at the cell (see `_Links`)."""
    return _Links(out_dir).url(s)


class _Formats:
    """Every format of the workbook, made once."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        f = wb.add_format
        self.header = f({"bold": True, "bg_color": "#DDE6EE", "bottom": 1, "text_wrap": True,
                         "valign": "bottom"})
        self.header_num = f({"bold": True, "bg_color": "#DDE6EE", "bottom": 1, "text_wrap": True,
                             "valign": "bottom", "align": "right"})
        self.text = f({"valign": "top"})
        self.wrap = f({"text_wrap": True, "valign": "top"})
        self.money = f({"num_format": MONEY, "valign": "top"})
        self.qty = f({"num_format": QTY, "valign": "top"})
        self.qty_int = f({"num_format": QTY_INT, "valign": "top"})
        self.int = f({"num_format": "#,##0", "valign": "top"})
        self.date = f({"num_format": DATE, "valign": "top", "align": "left"})
        self.pct = f({"num_format": PCT, "valign": "top"})
        self.link = f({"font_color": "#0B5CAD", "underline": 1, "valign": "top"})
        self.title = f({"bold": True, "font_size": 16})
        self.subtitle = f({"font_color": "#555555", "italic": True})
        self.section = f({"bold": True, "font_size": 12, "bottom": 1, "font_color": "#1F3B57"})
        self.label = f({})
        self.note = f({"font_color": "#666666", "text_wrap": True, "valign": "top"})
        self.big_money = f({"num_format": MONEY, "bold": True})
        self.big_int = f({"num_format": "#,##0", "bold": True})
        self.big_pct = f({"num_format": PCT, "bold": True})
        self.group = f({"bold": True, "bg_color": "#F1F1F1", "top": 1})
        self.group_money = f({"bold": True, "bg_color": "#F1F1F1", "top": 1, "num_format": MONEY})
        self.total = f({"bold": True, "top": 1})
        self.total_money = f({"bold": True, "top": 1, "num_format": MONEY})
        self.severity = {k: f({"bold": True, "bg_color": v, "valign": "top"})
                         for k, v in ch.SEVERITY_FILLS.items()}
        self.status = {k: f({"bg_color": v, "valign": "top"}) for k, v in ch.STATUS_FILLS.items()}

    @staticmethod
    def xf(fmt) -> int:
        """The style index a streamed cell uses for `fmt` (registers the format)."""
        return fmt._get_xf_index()


class _Col:
    __slots__ = ("header", "width", "kind", "numeric")

    def __init__(self, header: str, width: float, kind: str = "text") -> None:
        self.header = header
        self.width = width
        self.kind = kind  # text wrap money qty int date pct link severity status
        self.numeric = kind in ("money", "qty", "int", "pct")


def _print_setup(ws, repeat_header: bool) -> None:
    ws.set_landscape()
    ws.set_paper(1)  # Letter
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_header("&L&\"-,Bold\"lotsync&C&A&R&D")
    ws.set_footer("&CPage &P of &N")
    if repeat_header:
        ws.repeat_rows(0)


def _lines(text: str, width: float) -> int:
    """About how many lines `text` takes wrapped in a column `width` characters wide.

    Spreadsheet programs do not grow a row to fit wrapped text a program wrote (LibreOffice
    does not, nor does either when printing), so the row height is set from this estimate:
    a column `width` wide holds about 1.1 × width characters of proportional text, and
    words wrap whole."""
    cap = max(1.0, width * 1.1 - 1)
    n = 0
    for part in text.split("\n"):
        if len(part) <= cap:
            n += 1
            continue
        lines, used = 1, 0
        for word in part.split(" "):
            k = len(word)
            if used and used + 1 + k > cap:
                lines += 1
                used = 0
            if k > cap:  # a long word breaks across lines
                lines += int(k // cap)
                k = int(k % cap)
            used += (1 if used else 0) + k
        n += lines
    return n


# --- streamed SpreadsheetML ----------------------------------------------------------------

_TEXT_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_ESCAPE_LIKE = re.compile(r"(_x[0-9a-fA-F]{4}_)")


def _xml_text(s: str) -> str:
    """Text for a `<t>` element, escaped the way Excel does: XML's three, control
    characters as `_xHHHH_`, and a literal `_xHHHH_` with its underscore escaped."""
    if len(s) > MAX_TEXT:
        s = s[:MAX_TEXT]
    if _TEXT_SPECIAL.search(s) is None:
        return s
    s = _ESCAPE_LIKE.sub(r"_x005F\1", s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", s)


def _str_cell(ref: str, style: int, s: str) -> str:
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is>{_text_xml(s)}</is></c>'


def _text_xml(s: str) -> str:
    """The `<t>` element of a non-empty string cell (xml:space kept at either end)."""
    sp = ' xml:space="preserve"' if (s[0].isspace() or s[-1].isspace()) else ""
    return f"<t{sp}>{_xml_text(s)}</t>"


_NOT_PLAIN = re.compile("(?m)^[\\s" + "".join(re.escape(c) for c in DANGEROUS_FIRST) + "]|\\s$")
_STR_OR_NONE = ({str}, {str, type(None)})
_SPECIAL_CHAR = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")  # _TEXT_SPECIAL but `_xHHHH_`
_BAD_FIRST = frozenset(DANGEROUS_FIRST)
_first, _last = operator.itemgetter(0), operator.itemgetter(-1)


def _plain_texts(vs: Sequence[Any]) -> bool:
    """True when every value of a block is a string (or None) that goes into its `<t>`
    as it is: nothing `safe_text` would change, nothing to escape, no space at either end,
    not too long. Checked for the whole block at once (a few passes in C); a block that
    fails is rendered value by value, so a check that says False when it need not only
    costs the slow path, never a different file.

    The ends are checked on the sets of first and last characters (a block of 5,000 visit
    IDs has a handful), not by a multi-line regex over the joined block, which cost three
    times the escape test (`_plain_texts_by_regex`, the former rule, kept as the reference
    the tests hold this one to); a block with a line break inside a text takes the former
    rule (a line start inside a text counts there)."""
    texts = _block_texts(vs)
    if isinstance(texts, bool):
        return texts
    joined = "\n".join(texts)
    if joined.count("\n") != len(texts) - 1:
        return _plain_texts_by_regex(vs)
    for c in set(map(_first, texts)):
        if c in _BAD_FIRST or c.isspace():
            return False
    for c in set(map(_last, texts)):
        if c.isspace():
            return False
    if "_x" in joined:
        return _TEXT_SPECIAL.search(joined) is None
    return _SPECIAL_CHAR.search(joined) is None


def _block_texts(vs: Sequence[Any]) -> list[str] | bool:
    """A block's texts for the plain tests, or their answer when the cells alone give it:
    False for a cell that is not text or a text too long for a cell, True for no text."""
    if set(map(type, vs)) not in _STR_OR_NONE:
        return False
    texts = list(filter(None, vs))
    if not texts:
        return True
    if max(map(len, texts)) > MAX_TEXT:
        return False
    return texts


def _plain_texts_by_regex(vs: Sequence[Any]) -> bool:
    """`_plain_texts` as it was first written: both tests as regexes over the joined block
    (`^` after a line break inside a text counts as a line start)."""
    texts = _block_texts(vs)
    if isinstance(texts, bool):
        return texts
    joined = "\n".join(texts)
    return _TEXT_SPECIAL.search(joined) is None and _NOT_PLAIN.search(joined) is None


#: Distinct values a column remembers the XML of (a visit ID is seen once; a provider,
#: location or product thousands of times): past this the memory is cleared, not grown.
_MEMO = 50_000


class _Memo(dict):
    """value -> its rendering, made once; bounded (see `_MEMO`)."""

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, v):
        if len(self) >= _MEMO:
            self.clear()
        out = self[v] = self.make(v)
        return out


def _column_fn(kind: str, fm: _Formats, letter: str) -> Callable[[Sequence[str], Sequence[Any]], list[str]]:
    """A function (row numbers, the column's values) -> each cell's XML ('' for an empty
    cell). A column at a time, in comprehensions: a function call a cell cost more than
    the XML itself. Text memoised per distinct string (`_Memo`)."""
    xf = fm.xf
    if kind == "link":  # rendered by the table, which knows whether it links
        return lambda rs, vs: [v or "" for v in vs]
    if kind in ("text", "wrap"):
        style = xf(fm.wrap if kind == "wrap" else fm.text)
        head = f'" s="{style}" t="inlineStr"><is>'
        memo = _Memo(lambda v: head + _text_xml(safe_text(v)) + "</is></c>")

        def text(rs, vs):
            if _plain_texts(vs):
                return [f'<c r="{letter}{r}{head}<t>{v}</t></is></c>' if v else ""
                        for r, v in zip(rs, vs)]
            return [("" if v is None or v == "" else
                     f'<c r="{letter}{r}'
                     + (memo[v] if type(v) is str else memo.make(v if isinstance(v, str) else str(v))))
                    for r, v in zip(rs, vs)]
        return text
    if kind in ("severity", "status"):
        table = fm.severity if kind == "severity" else fm.status
        styles = {k: xf(f) for k, f in table.items()}
        plain = xf(fm.text)
        memo = _Memo(lambda v: (f'" s="{styles.get(v, plain)}" t="inlineStr"><is>'
                                + _text_xml(safe_text(v)) + "</is></c>"))

        def coloured(rs, vs):
            return [f'<c r="{letter}{r}' + memo[v] if v else "" for r, v in zip(rs, vs)]
        return coloured
    if kind == "qty":
        s_int, s_frac = xf(fm.qty_int), xf(fm.qty)

        def qty(rs, vs):
            return [("" if v is None or not v.is_finite() else
                     f'<c r="{letter}{r}" s="{s_int if v == v.to_integral_value() else s_frac}">'
                     f'<v>{float(v)!r}</v></c>') for r, v in zip(rs, vs)]
        return qty
    if kind == "date":
        style = xf(fm.date)
        epoch = _EXCEL_EPOCH

        def date(rs, vs):
            return [("" if v is None else
                     f'<c r="{letter}{r}" s="{style}"><v>{v.toordinal() - epoch}</v></c>')
                    for r, v in zip(rs, vs)]
        return date
    style = xf({"money": fm.money, "int": fm.int, "pct": fm.pct}[kind])
    if kind == "int":
        def integer(rs, vs):
            return [("" if v is None else f'<c r="{letter}{r}" s="{style}"><v>{int(v)}</v></c>')
                    for r, v in zip(rs, vs)]
        return integer
    isfinite = math.isfinite

    def number(rs, vs):
        return [("" if v is None or not isfinite(x := float(v)) else
                 f'<c r="{letter}{r}" s="{style}"><v>{x!r}</v></c>') for r, v in zip(rs, vs)]
    return number


class _Part:
    """One tab of a streamed table: xlsxwriter's sheet (header row and settings) and the
    rows to splice in after it."""

    def __init__(self, name: str, rows: IO[bytes]) -> None:
        self.name = name
        self.rows = rows
        self.last_row = 1  # 1-based, the header
        self.links: list[tuple[str, str, str | None]] = []  # (cell, target path, location)


class _StreamTable:
    """A tabular tab whose rows are streamed as XML (see the module docstring)."""

    def __init__(self, book: "_Book", name: str, cols: Sequence[_Col], n_rows: int,
                 print_cols: int | None = None, empty_note: str | None = None) -> None:
        self.book = book
        self.cols = list(cols)
        self.letters = [xl_col_to_name(i) for i in range(len(cols))]
        fm = book.fm
        self.fns = [_column_fn(c.kind, fm, letter) for c, letter in zip(self.cols, self.letters)]
        self.wraps = [(i, c.width) for i, c in enumerate(self.cols) if c.kind == "wrap"]
        self.line_memos = [_Memo(functools.partial(_lines, width=w)) for _, w in self.wraps]
        self.link_cols = [i for i, c in enumerate(self.cols) if c.kind == "link"]
        per_part = MAX_ROWS - 1
        n_parts = max(1, math.ceil(n_rows / per_part))
        self.parts: list[_Part] = []
        for p in range(n_parts):
            part_name = name if p == 0 else f"{name} ({p + 1})"
            rows_here = min(per_part, n_rows - p * per_part)
            ws = book.wb.add_worksheet(part_name)
            for i, c in enumerate(self.cols):
                ws.set_column(i, i, c.width)
            if any(len(c.header) > c.width for c in self.cols):
                ws.set_row(0, 2 * LINE_HEIGHT)
            for i, c in enumerate(self.cols):
                ws.write_string(0, i, c.header, fm.header_num if c.numeric else fm.header)
            ws.freeze_panes(1, 0)
            _print_setup(ws, repeat_header=True)
            if rows_here > 0:
                ws.autofilter(0, 0, rows_here, len(self.cols) - 1)
                if print_cols:  # the columns worth paper; the others stay for filtering
                    ws.print_area(0, 0, rows_here, print_cols - 1)
            elif empty_note:
                ws.write_string(1, 0, empty_note, fm.note)
            part = _Part(part_name, tempfile.TemporaryFile("w+b"))
            book.streamed.append(part)
            self.parts.append(part)
        self.part_i = 0

    def write(self, rows: Iterable[Sequence[Any]]) -> None:
        """Each row: one value per column; a link column takes (Source, text). Rows are
        rendered in blocks of `_BLOCK`, a column at a time (see `_column_fn`)."""
        it = iter(rows)
        part = self.parts[0]
        r = 1  # the last row written in this part (1: the header)
        while True:
            room = MAX_ROWS - r
            if room:
                block = list(itertools.islice(it, min(_BLOCK, room)))
            else:  # this tab is full: the next row, if any, opens the next tab
                block = list(itertools.islice(it, 1))
                if block:
                    self.part_i += 1
                    part = self.parts[self.part_i]
                    r = 1
                    block += itertools.islice(it, min(_BLOCK, MAX_ROWS - 1) - 1)
            if not block:
                break
            self._write_block(part, block, r + 1)
            r += len(block)
            part.last_row = r

    def _write_block(self, part: _Part, block: list[Sequence[Any]], first: int) -> None:
        rs = [str(k) for k in range(first, first + len(block))]
        cols = [list(c) for c in zip(*block)]
        if self.link_cols:
            self._links(part, rs, cols)
        heights = [""] * len(block)
        if self.wraps:
            memos = self.line_memos
            for k, vals in enumerate(zip(*(cols[i] for i, _ in self.wraps))):
                n = max(m[v] if isinstance(v, str) else 1 for m, v in zip(memos, vals))
                if n > 1:
                    heights[k] = f' ht="{n * LINE_HEIGHT}" customHeight="1"'
        cells = [fn(rs, col) for fn, col in zip(self.fns, cols)]
        part.rows.write("".join([f'<row r="{r}"{h}>' + "".join(cs) + "</row>"
                                 for r, h, cs in zip(rs, heights, zip(*cells))]).encode("utf-8"))

    def _links(self, part: _Part, rs: list[str], cols: list[list[Any]]) -> None:
        """Each link column's (Source, text) as its cell's XML: a hyperlink to the source
        cell while the sheet has room for one (`MAX_LINKS`), else plain text."""
        links, fm, letters = self.book.links, self.book.fm, self.letters
        s_link, s_text = fm.xf(fm.link), fm.xf(fm.text)
        for k, r in enumerate(rs):  # row by row: the links are numbered in reading order
            for i in self.link_cols:
                v = cols[i][k]
                if v is None:
                    continue
                src, text = v
                t = links.target(src) if len(part.links) < MAX_LINKS else None
                ref = letters[i] + r
                if t is not None:
                    part.links.append((ref, t[0], t[1]))
                    cols[i][k] = _str_cell(ref, s_link, safe_text(text or "open"))
                else:  # not a local file, or past Excel's links a sheet: plain text
                    cols[i][k] = _str_cell(ref, s_text, safe_text(text)) if text else None


def _splice(src: Path, dst: Path, parts: list[_Part], ncols: dict[str, int]) -> None:
    """Copy the package xlsxwriter wrote, with each streamed tab's rows and hyperlinks
    added to its sheet."""
    with zipfile.ZipFile(src) as zin:
        names = _sheet_files(zin)
        by_file = {names[p.name]: p for p in parts}
        rewritten_rels = {_rels_name(f) for f, p in by_file.items() if p.links}
        present = set(zin.namelist())
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=1,
                             allowZip64=True) as zout:
            for info in zin.infolist():
                name = info.filename
                if name in rewritten_rels:
                    continue  # written with its sheet
                if name not in by_file:
                    zout.writestr(info, zin.read(info))
                    continue
                part = by_file[name]
                rels_name = _rels_name(name)
                old_rels = zin.read(rels_name).decode("utf-8") if rels_name in present else None
                first_id = _max_rid(old_rels) + 1
                _write_sheet(zin.read(info).decode("utf-8"), part, ncols[part.name], first_id,
                             zout, name)
                if part.links:
                    zout.writestr(rels_name, _rels_xml(old_rels, part.links, first_id))


def _sheet_files(z: zipfile.ZipFile) -> dict[str, str]:
    """Tab name -> its part in the package (from workbook.xml and its relationships)."""
    import xml.etree.ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("p:Relationship", ns)}
    out = {}
    for s in wb.findall("m:sheets/m:sheet", ns):
        t = targets[s.get(f"{{{ns['r']}}}id")]
        out[s.get("name")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def _rels_name(sheet_file: str) -> str:
    d, f = sheet_file.rsplit("/", 1)
    return f"{d}/_rels/{f}.rels"


def _max_rid(rels: str | None) -> int:
    if not rels:
        return 0
    return max((int(x) for x in re.findall(r'Id="rId(\d+)"', rels)), default=0)


def _escape_target(path: str) -> str:
    """A file path as Excel writes it in a hyperlink relationship (xlsxwriter's rules)."""
    p = path.replace("/", "\\")
    if not re.search("%[0-9a-fA-F]{2}", p):
        for a, b in (("%", "%25"), ('"', "%22"), (" ", "%20"), ("<", "%3c"), (">", "%3e"),
                     ("[", "%5b"), ("]", "%5d"), ("^", "%5e"), ("`", "%60"), ("{", "%7b"),
                     ("}", "%7d")):
            p = p.replace(a, b)
    if os.path.isabs(path):
        p = "file:///" + p
    elif p.startswith(".\\"):
        p = p[2:]
    return p.replace("#", "%23")


def _rels_xml(old: str | None, links: list[tuple[str, str, str | None]], first_id: int) -> str:
    new = "".join(
        f'<Relationship Id="rId{first_id + k}" Type="{_REL_HYPERLINK}" '
        f'Target={quoteattr(_escape_target(path))} TargetMode="External"/>'
        for k, (_, path, _) in enumerate(links))
    if old:
        return old.replace("</Relationships>", new + "</Relationships>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + new + "</Relationships>")


def _write_sheet(xml: str, part: _Part, ncols: int, first_id: int, zout: zipfile.ZipFile,
                 name: str) -> None:
    if part.last_row > 1:
        last_col = xl_col_to_name(max(ncols, 1) - 1)
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last_col}{part.last_row}"/>',
                     xml, count=1)
    if "<sheetData/>" in xml:
        xml = xml.replace("<sheetData/>", "<sheetData></sheetData>", 1)
    head, tail = xml.split("</sheetData>", 1)
    if part.links:
        links = "".join(
            f'<hyperlink ref="{cell}" r:id="rId{first_id + k}"'
            + (f" location={quoteattr(loc)}" if loc else "")
            + ' tooltip="Open the source cell"/>'
            for k, (cell, _, loc) in enumerate(part.links))
        m = re.search(r"<(printOptions|pageMargins|pageSetup|headerFooter)[ />]", tail)
        at = m.start() if m else tail.rindex("</worksheet>")
        tail = tail[:at] + "<hyperlinks>" + links + "</hyperlinks>" + tail[at:]
    with zout.open(name, "w", force_zip64=True) as fo:
        fo.write(head.encode("utf-8"))
        part.rows.seek(0)
        shutil.copyfileobj(part.rows, fo, 1 << 20)  # UTF-8 already
        fo.write(("</sheetData>" + tail).encode("utf-8"))
    part.rows.close()


class _Book:
    def __init__(self, path: Path, result: Result, out_dir: Path) -> None:
        self.wb = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
        self.wb.set_properties({"title": f"lotsync report as of {result.as_of.isoformat()}",
                                "creator": f"lotsync {__version__}",
                                "comments": "Made by lotsync from the practice's own sheets."})
        mark_xlsxwriter(self.wb)  # a later run never reads this report back as a source
        self.fm = _Formats(self.wb)
        self.r = result
        self.out_dir = out_dir
        self.links = _Links(out_dir)
        self.streamed: list[_Part] = []
        self.ncols: dict[str, int] = {}

    def stream(self, name: str, cols: Sequence[_Col], rows: Iterable[Sequence[Any]], n_rows: int,
               **kw) -> None:
        t = _StreamTable(self, name, cols, n_rows, **kw)
        for p in t.parts:
            self.ncols[p.name] = len(cols)
        t.write(rows)


# --- small tabs through xlsxwriter ----------------------------------------------------------


def _small_table(book: _Book, name: str, cols: Sequence[_Col]):
    ws = book.wb.add_worksheet(name)
    fm = book.fm
    for i, c in enumerate(cols):
        ws.set_column(i, i, c.width)
    if any(len(c.header) > c.width for c in cols):
        ws.set_row(0, 2 * LINE_HEIGHT)
    for i, c in enumerate(cols):
        ws.write_string(0, i, c.header, fm.header_num if c.numeric else fm.header)
    ws.freeze_panes(1, 0)
    _print_setup(ws, repeat_header=True)
    return ws


def _summary(book: _Book) -> None:
    r, fm, wb = book.r, book.fm, book.wb
    ws = wb.add_worksheet("Summary")
    _print_setup(ws, repeat_header=False)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 58)
    ws.set_column(3, 3, 3)
    ws.hide_gridlines(2)
    t, s = r.totals, r.summary
    row = 0
    ws.write_string(row, 0, f"Inventory report as of {r.as_of.isoformat()}", fm.title)
    row += 1
    ws.write_string(row, 0, f"lotsync {__version__} · {s.lots:,} lots · {s.visit_rows:,} visit rows "
                            f"({s.visits:,} visits) · tolerance {r.options.tolerance} units · "
                            f"expiring window {r.options.expiring_days} days", fm.subtitle)
    row += 2

    def section(title: str) -> None:
        nonlocal row
        ws.write_string(row, 0, title, fm.section)
        ws.write_blank(row, 1, None, fm.section)
        ws.write_blank(row, 2, None, fm.section)
        row += 1

    def figure(label: str, value, fmt, note: str = "") -> None:
        nonlocal row
        ws.write_string(row, 0, label, fm.label)
        if value is None:
            ws.write_string(row, 1, "n/a", fm.label)
        else:
            _num(ws, row, 1, value, fmt)
        if note:
            ws.write_string(row, 2, note, fm.note)
        row += 1

    section("Key figures")
    days = r.options.expiring_days
    figure("COGS", t.cogs, fm.big_money, "Product used in visits, at each lot's own cost.")
    figure("COGS, estimated", t.cogs_estimated, fm.big_money,
           "Use with no lot or no cost, at the product's mean cost; not in COGS.")
    figure("Received value", t.received_value, fm.money, "Stock received, at cost.")
    figure("On-hand value", t.on_hand_value, fm.big_money, "What the ledger says remains, at cost.")
    figure("Expired, still on hand", t.expired_on_hand_value, fm.big_money,
           "Lots past expiration with stock left: remove and write off.")
    figure(f"Expiring within {days} days", t.expiring_value, fm.big_money,
           "Lots to use first (see Use next and Expiring).")
    figure("Expired, written off", t.expired_value, fm.money, "Recorded as expired in the adjustments.")
    figure("Waste", t.waste_value, fm.money, "Recorded as waste in the adjustments.")
    figure("Returned", t.returned_value, fm.money, "Returned to the supplier.")
    figure("Shrinkage", ch.shrinkage(r), fm.big_money,
           "Stock that counts found missing (negative: counts found more).")
    figure("FEFO compliance", ch.fefo_compliance(r), fm.big_pct,
           "Visit rows with a lot that used the first-expiring lot on hand.")
    figure("Lots", s.lots, fm.big_int)
    figure("Visit rows", s.visit_rows, fm.big_int)
    figure("Visits", s.visits, fm.big_int)
    row += 1

    section("Findings by severity")
    for label, n, sev in (("Errors", s.errors, "error"), ("Warnings", s.warnings, "warning"),
                          ("Info", s.infos, "info")):
        ws.write_string(row, 0, label, fm.severity[sev])
        ws.write_number(row, 1, n, fm.big_int)
        row += 1
    row += 1

    section("Findings by code")
    codes = ch.findings_by_code(r)
    code_first = row
    for code, sev, n in codes:
        ws.write_string(row, 0, code, fm.severity[sev])
        ws.write_number(row, 1, n, fm.int)
        ws.write_string(row, 2, sev, fm.note)
        row += 1
    if not codes:
        ws.write_string(row, 0, "No findings.", fm.note)
        row += 1
    row += 1

    section("Stock value")
    split = ch.stock_split(r)
    split_first = row
    for label, v, _ in split:
        ws.write_string(row, 0, label, fm.label)
        _num(ws, row, 1, v, fm.money)
        row += 1
    row += 1

    section("Sources")
    for i in r.inputs:
        where = " › ".join(x for x in (_file_label(i.file), i.sheet) if x)
        ws.write_string(row, 0, xl_text(where), fm.text)
        ws.write_string(row, 1, i.kind, fm.text)
        detail = (f"header in row {i.header_row}, {i.rows_read:,} rows read" if i.header_row
                  else (i.note or "ignored"))
        if i.rows_skipped and i.header_row:
            detail += f", {i.rows_skipped:,} skipped"
        ws.write_string(row, 2, xl_text(detail), fm.note)
        row += 1

    # Native charts, to the right of the figures.
    months = len(r.cogs.by_month)
    if months:
        c = wb.add_chart({"type": "column"})
        c.add_series({"name": "COGS",
                      "categories": ["COGS by month", 1, 0, months, 0],
                      "values": ["COGS by month", 1, 1, months, 1],
                      "fill": {"color": ch.COLOR_COGS}, "gap": 60})
        c.set_title({"name": "COGS by month", "name_font": {"size": 12}})
        c.set_legend({"none": True})
        c.set_y_axis({"num_format": "$#,##0", "major_gridlines": {"visible": True,
                                                                  "line": {"color": "#E3E3E3"}}})
        c.set_size({"width": 560, "height": 290})
        ws.insert_chart(3, 4, c)
    c = wb.add_chart({"type": "bar"})
    c.add_series({"name": "Value",
                  "categories": ["Summary", split_first, 0, split_first + len(split) - 1, 0],
                  "values": ["Summary", split_first, 1, split_first + len(split) - 1, 1],
                  "points": [{"fill": {"color": color}} for _, _, color in split],
                  "data_labels": {"value": True, "num_format": "$#,##0"}, "gap": 50})
    c.set_title({"name": "Stock value: on hand vs expired", "name_font": {"size": 12}})
    c.set_legend({"none": True})
    # a bar chart's y axis holds the categories: first at the top, values along the bottom
    c.set_y_axis({"reverse": True, "crossing": "max"})
    c.set_x_axis({"visible": False, "major_gridlines": {"visible": False}})
    c.set_size({"width": 560, "height": 260})
    ws.insert_chart(19, 4, c)
    if codes:
        c = wb.add_chart({"type": "bar"})
        c.add_series({"name": "Findings",
                      "categories": ["Summary", code_first, 0, code_first + len(codes) - 1, 0],
                      "values": ["Summary", code_first, 1, code_first + len(codes) - 1, 1],
                      "points": [{"fill": {"color": ch.SEVERITY_COLORS.get(sev, "#888888")}}
                                 for _, sev, _ in codes],
                      "data_labels": {"value": True}, "gap": 40})
        c.set_title({"name": "Findings by code", "name_font": {"size": 12}})
        c.set_legend({"none": True})
        c.set_y_axis({"reverse": True, "crossing": "max"})
        c.set_x_axis({"visible": False, "major_gridlines": {"visible": False}})
        c.set_size({"width": 560, "height": 80 + 22 * len(codes)})
        ws.insert_chart(33, 4, c)
    last = max(row, 33 + (80 + 22 * len(codes)) // 20)
    if last <= 80:  # a one-page summary unless the list of sources is long
        ws.fit_to_pages(1, 1)


FINDING_COLS = [
    _Col("Severity", 9, "severity"), _Col("Code", 22), _Col("Message", 50, "wrap"),
    _Col("Product", 18, "wrap"), _Col("Lot", 12), _Col("Location", 10), _Col("Date", 11, "date"),
    _Col("Quantity", 9, "qty"), _Col("Value", 11, "money"), _Col("Suggestion", 30, "wrap"),
    _Col("Source", 28, "link"), _Col("File", 20), _Col("Sheet", 14), _Col("Row", 7, "int"),
    _Col("Column", 14), _Col("Cell", 7), _Col("ID", 17),
]


def _findings(book: _Book) -> None:
    def rows(fs: Iterable[Finding]) -> Iterator[tuple]:
        for f in fs:
            s = f.source
            yield (f.severity.value, f.code, f.message, f.product, f.lot, f.location, f.date,
                   f.quantity, f.value, f.suggestion, (s, _where(s)), _file_label(s.file), s.sheet,
                   s.row, s.column, s.cell, f.id)

    book.stream("Findings", FINDING_COLS, rows(book.r.findings), len(book.r.findings),
                print_cols=11, empty_note="No findings: every lot adds up.")


LOT_COLS = [
    _Col("Product", 22, "wrap"), _Col("Lot", 12), _Col("Location", 10), _Col("Expiration", 11, "date"),
    _Col("Unit", 7), _Col("Unit cost", 10, "money"), _Col("Received", 9, "qty"), _Col("Used", 9, "qty"),
    _Col("Used (inferred lot)", 9, "qty"), _Col("Wasted", 8, "qty"), _Col("Expired out", 8, "qty"),
    _Col("Returned", 8, "qty"), _Col("Adjusted", 8, "qty"), _Col("Transferred in", 9, "qty"),
    _Col("Transferred out", 9, "qty"), _Col("Count variance", 9, "qty"),
    _Col("Derived remaining", 10, "qty"), _Col("Recorded remaining", 10, "qty"),
    _Col("Variance", 9, "qty"), _Col("Status", 9, "status"), _Col("Value on hand", 11, "money"),
    _Col("Source", 26, "link"),
]


def _lots(book: _Book) -> None:
    rows = ((l.product, l.lot, l.location, l.expiration, l.unit, l.unit_cost, l.received,
             l.used, l.used_inferred, l.wasted, l.expired_out, l.returned, l.adjusted,
             l.transferred_in, l.transferred_out, l.count_variance, l.derived_remaining,
             l.recorded_remaining, l.variance, l.status, ch.lot_value(l),
             (l.source, _where(l.source)) if l.source else None)
            for l in book.r.lots)
    book.stream("Lots", LOT_COLS, rows, len(book.r.lots), empty_note="No lots.")


USE_NEXT_COLS = [
    _Col("Product", 24, "wrap"), _Col("Location", 14), _Col("Use lot", 14), _Col("Expiration", 11, "date"),
    _Col("Days to expiry", 9, "int"), _Col("On hand", 10, "qty"), _Col("Unit", 8),
]


def _use_next(book: _Book) -> None:
    as_of = book.r.as_of
    rows = ((u.product, u.location, u.lot, u.expiration,
             (u.expiration - as_of).days if u.expiration else None, u.on_hand, u.unit)
            for u in book.r.fefo_next)
    book.stream("Use next", USE_NEXT_COLS, rows, len(book.r.fefo_next),
                empty_note="No lot on hand that has not expired.")


EXPIRING_COLS = [
    _Col("Month", 9), _Col("Expiration", 11, "date"), _Col("Status", 9, "status"),
    _Col("Product", 22, "wrap"), _Col("Lot", 12), _Col("Location", 10), _Col("On hand", 9, "qty"),
    _Col("Unit", 7), _Col("Unit cost", 10, "money"), _Col("Value at risk", 12, "money"),
    _Col("Days to expiry", 9, "int"), _Col("Source", 26, "link"),
]


def _expiring(book: _Book) -> None:
    """Lots with stock that has expired or expires within the window, grouped by month of
    expiration: a bold month row with its lot count and value, then its lots (an outline
    group a reader can fold), and the total at the end."""
    fm, r = book.fm, book.r
    ws = _small_table(book, "Expiring", EXPIRING_COLS)
    ws.outline_settings(True, False, True, False)  # summary rows above their details
    lots = ch.at_risk_lots(r)
    if not lots:
        ws.write_string(1, 0, f"No lot with stock has expired or expires within "
                              f"{r.options.expiring_days} days of {r.as_of.isoformat()}.", fm.note)
        return
    by_month: dict[str, list[LotResult]] = {}
    for l in lots:
        by_month.setdefault(l.expiration.isoformat()[:7], []).append(l)
    row = 0
    grand = Decimal(0)
    for month, group in by_month.items():
        value = sum((ch.lot_value(l) or Decimal(0) for l in group), Decimal(0))
        grand += value
        row += 1
        ws.write_string(row, 0, month, fm.group)
        for c in range(1, len(EXPIRING_COLS)):
            ws.write_blank(row, c, None, fm.group)
        ws.write_string(row, 3, f"{len(group)} lot{'s' if len(group) != 1 else ''}", fm.group)
        _num(ws, row, 9, value, fm.group_money)
        for l in group:
            row += 1
            n = _lines(l.product, EXPIRING_COLS[3].width)
            ws.set_row(row, LINE_HEIGHT * n if n > 1 else None, None, {"level": 1})
            ws.write_string(row, 0, month, fm.text)
            ws.write_number(row, 1, _serial(l.expiration), fm.date)
            ws.write_string(row, 2, l.status, fm.status.get(l.status, fm.text))
            ws.write_string(row, 3, xl_text(l.product), fm.wrap)
            ws.write_string(row, 4, xl_text(l.lot), fm.text)
            if l.location:
                ws.write_string(row, 5, xl_text(l.location), fm.text)
            q = l.derived_remaining
            _num(ws, row, 6, q, fm.qty_int if q == q.to_integral_value() else fm.qty)
            if l.unit:
                ws.write_string(row, 7, xl_text(l.unit), fm.text)
            if l.unit_cost is not None:
                _num(ws, row, 8, l.unit_cost, fm.money)
                _num(ws, row, 9, ch.lot_value(l), fm.money)
            ws.write_number(row, 10, (l.expiration - r.as_of).days, fm.int)
            url = book.links.url(l.source)
            text = xl_text(_where(l.source)) if l.source else ""
            if url and text:
                ws.write_url(row, 11, url, fm.link, text, tip="Open the source cell")
            elif text:
                ws.write_string(row, 11, text, fm.text)
    row += 1
    ws.write_string(row, 0, "Total", fm.total)
    for c in range(1, len(EXPIRING_COLS)):
        ws.write_blank(row, c, None, fm.total)
    ws.write_string(row, 3, f"{len(lots)} lot{'s' if len(lots) != 1 else ''}", fm.total)
    _num(ws, row, 9, grand, fm.total_money)


VISIT_COLS = [
    _Col("Visit", 22), _Col("Date", 11, "date"), _Col("Patient", 18), _Col("Provider", 16),
    _Col("Location", 12), _Col("Quantity", 9, "qty"), _Col("COGS", 11, "money"),
    _Col("Estimated COGS", 11, "money"), _Col("Revenue", 11, "money"), _Col("Margin", 11, "money"),
    _Col("Lot inferred", 9),
]


def _cogs_by_visit(book: _Book) -> None:
    visits = book.r.cogs.by_visit
    rows = ((v.visit, v.date, v.patient, v.provider, v.location, v.quantity, v.cogs,
             v.estimated or None, v.revenue, v.margin, "yes" if v.inferred else None)
            for v in visits)
    book.stream("COGS by visit", VISIT_COLS, rows, len(visits),
                empty_note="No visit used product from a lot with a cost.")


def _cogs_lines(book: _Book, name: str, key_header: str, lines: Sequence[CogsLine],
                empty_key: str = "(none)") -> None:
    """One row per provider, product or month, and a total. Quantity is shown per product
    only: a provider's or a month's quantities add units of different products."""
    fm = book.fm
    with_qty = key_header == "Product"
    cols = [_Col(key_header, 10 if key_header == "Month" else 26, "text" if key_header == "Month" else "wrap")]
    if with_qty:
        cols.append(_Col("Quantity", 10, "qty"))
    cols += [_Col("COGS", 13, "money"), _Col("Revenue", 13, "money"), _Col("Margin", 13, "money"),
             _Col("Margin %", 9, "pct"), _Col("Share of COGS", 9, "pct")]
    ws = _small_table(book, name, cols)
    if not lines:
        ws.write_string(1, 0, "No visit used product from a lot with a cost.", fm.note)
        return
    total = book.r.cogs.total
    k = 2 if with_qty else 1  # the COGS column
    row = 0
    for c in lines:
        row += 1
        key = c.key or empty_key
        if cols[0].kind == "wrap":
            n = _lines(key, cols[0].width)
            if n > 1:
                ws.set_row(row, LINE_HEIGHT * n)
        ws.write_string(row, 0, xl_text(key), fm.wrap if cols[0].kind == "wrap" else fm.text)
        if with_qty:
            q = c.quantity
            _num(ws, row, 1, q, fm.qty_int if q == q.to_integral_value() else fm.qty)
        _num(ws, row, k, c.cogs, fm.money)
        if c.revenue is not None:
            _num(ws, row, k + 1, c.revenue, fm.money)
            _num(ws, row, k + 2, c.margin, fm.money)
            if c.revenue:
                _num(ws, row, k + 3, c.margin / c.revenue, fm.pct)
        if total:
            _num(ws, row, k + 4, c.cogs / total, fm.pct)
    row += 1
    ws.write_string(row, 0, "Total", fm.total)
    _num(ws, row, k, sum((c.cogs for c in lines), Decimal(0)), fm.total_money)
    revs = [c.revenue for c in lines if c.revenue is not None]
    if revs:
        _num(ws, row, k + 1, sum(revs, Decimal(0)), fm.total_money)
        _num(ws, row, k + 2, sum((c.margin for c in lines if c.margin is not None), Decimal(0)),
             fm.total_money)


def _since_last_run(book: _Book, since) -> None:
    """Nightly runs: a first tab with what is new and resolved, and the totals' trend."""
    fm, ws = book.fm, book.wb.add_worksheet("Since last run")
    _print_setup(ws, repeat_header=False)
    for i, w in enumerate((24, 30, 16, 40, 14, 14, 16, 12)):
        ws.set_column(i, i, w)
    ws.write_string(0, 0, "Since the last run", fm.title)
    ws.write_string(1, 0, since.headline, fm.subtitle)
    row = 3
    for title, rows in (("New findings", since.new), ("Resolved findings", since.resolved)):
        ws.write_string(row, 0, f"{title} ({len(rows)})", fm.section)
        row += 1
        if not rows:
            ws.write_string(row, 0, "none", fm.note)
            row += 2
            continue
        for i, h in enumerate(("Code", "Product", "Lot", "Where")):
            ws.write_string(row, i, h, fm.header)
        row += 1
        for x in rows:
            for i, v in enumerate((x.code, x.product or "", x.lot or "", x.where)):
                ws.write_string(row, i, xl_text(v), fm.text)
            row += 1
        row += 1
    if since.trend:
        ws.write_string(row, 0, "Trend across runs", fm.section)
        row += 1
        heads = ("Run", "Started", "As of", "COGS", "On hand", "Expired on hand", "Open errors")
        for i, h in enumerate(heads):
            ws.write_string(row, i, h, fm.header)
        first = row + 1
        for t in since.trend:
            row += 1
            ws.write_number(row, 0, t.run_id, fm.int)
            ws.write_string(row, 1, t.started_at[:16].replace("T", " "), fm.text)
            ws.write_string(row, 2, t.as_of, fm.text)
            for i, v in enumerate((t.cogs, t.on_hand_value, t.expired_on_hand_value), start=3):
                if v is None:
                    ws.write_blank(row, i, None, fm.money)
                else:
                    ws.write_number(row, i, float(v), fm.money)
            ws.write_number(row, 6, t.open_errors, fm.int)
        if len(since.trend) > 1:
            chart = book.wb.add_chart({"type": "line"})
            for col, name in ((3, "COGS"), (4, "On hand"), (5, "Expired on hand")):
                chart.add_series({"name": name, "categories": ["Since last run", first, 0, row, 0],
                                  "values": ["Since last run", first, col, row, col]})
            chart.set_title({"name": "Totals by run"})
            chart.set_x_axis({"name": "Run"})
            chart.set_y_axis({"num_format": "$#,##0"})
            ws.insert_chart(row + 2, 0, chart, {"x_scale": 1.4})


def _plain_table(book: _Book, name: str, headers: list[str], rows: list[list]) -> None:
    """A small tab from (headers, rows): money, share and quantity columns by their header."""
    fm = book.fm
    ws = book.wb.add_worksheet(name)
    _print_setup(ws, repeat_header=True)
    ws.freeze_panes(1, 0)

    def fmt_for(h: str):
        low = h.lower()
        if any(w in low for w in ("share", "compliance", "traceability", "rate")):
            return fm.pct
        if any(w in low for w in ("value", "cogs", "revenue", "margin")):
            return fm.money
        return fm.qty

    fmts = [fmt_for(h) for h in headers]
    for i, h in enumerate(headers):
        ws.set_column(i, i, max(12, min(28, len(h) + 2)))
        ws.write_string(0, i, h, fm.header)
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
                ws.write_number(r, c, float(v), fmts[c])
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), fm.date)
            else:
                ws.write_string(r, c, xl_text(str(v)), fm.text)
    if rows:
        ws.autofilter(0, 0, len(rows), len(headers) - 1)


def _units_chart(book: _Book, periods) -> None:
    """A tab with units per product (rows) by provider (columns) and a native clustered bar
    chart of it: what consultants ask for first."""
    provs = [v.provider or "(no provider)" for v in periods.providers]
    table: dict[str, dict[str, float]] = {}
    for v in periods.providers:
        for u in v.units:
            table.setdefault(u.product, {})[v.provider or "(no provider)"] = float(u.quantity)
    if not table or not provs:
        return
    fm, ws = book.fm, book.wb.add_worksheet("Units by provider")
    _print_setup(ws, repeat_header=True)
    ws.set_column(0, 0, 30)
    ws.set_column(1, len(provs), 14)
    ws.write_string(0, 0, "Product", fm.header)
    for j, p in enumerate(provs, start=1):
        ws.write_string(0, j, xl_text(p), fm.header)
    products = sorted(table, key=str.casefold)
    for i, prod in enumerate(products, start=1):
        ws.write_string(i, 0, xl_text(prod), fm.text)
        for j, p in enumerate(provs, start=1):
            ws.write_number(i, j, table[prod].get(p, 0.0), fm.qty)
    chart = book.wb.add_chart({"type": "bar"})
    for j, p in enumerate(provs, start=1):
        chart.add_series({"name": ["Units by provider", 0, j],
                          "categories": ["Units by provider", 1, 0, len(products), 0],
                          "values": ["Units by provider", 1, j, len(products), j]})
    chart.set_title({"name": "Units used per product, by provider"})
    chart.set_size({"width": 720, "height": max(320, 22 * len(products) * max(1, len(provs)) // 2)})
    ws.insert_chart(1, len(provs) + 2, chart)


def _periods(book: _Book, periods) -> None:
    from lotsync.writers.period_tables import period_table, provider_table, supply_table
    _plain_table(book, "Periods", *period_table(periods))
    _plain_table(book, "Providers", *provider_table(periods))
    _units_chart(book, periods)
    _plain_table(book, "Supply (projection)", *supply_table(periods))


def write_report_xlsx(result: Result, out_dir: Path, since=None, periods=None,
                      links_from: Path | None = None) -> Path:
    """Write `out_dir/report.xlsx` (atomically: a temporary file renamed into place).
    `since` (a writers.since.SinceLastRun) adds a first tab of what changed since the last run.
    `links_from`: the folder the report will finally live in, when it is written into a
    staging folder first (links to the clinic's files are relative to it)."""
    out_dir = Path(out_dir)
    path = out_dir / "report.xlsx"
    with atomic_path(path) as final:
        fd, raw_name = tempfile.mkstemp(prefix=".report.", suffix=".xlsx", dir=out_dir)
        os.close(fd)
        raw = Path(raw_name)
        book = _Book(raw, result, Path(links_from) if links_from else out_dir)
        try:
            if since is not None:
                _since_last_run(book, since)
            _summary(book)
            _findings(book)
            _lots(book)
            _use_next(book)
            _expiring(book)
            _cogs_by_visit(book)
            _cogs_lines(book, "COGS by provider", "Provider", result.cogs.by_provider)
            _cogs_lines(book, "COGS by product", "Product", result.cogs.by_product)
            _cogs_lines(book, "COGS by month", "Month", result.cogs.by_month)
            if periods is not None:
                _periods(book, periods)
            book.wb.close()
            _splice(raw, final, book.streamed, book.ncols)
        finally:
            if not book.wb.fileclosed:  # interrupted: close it to remove xlsxwriter's temp files
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        book.wb.close()
                except Exception:  # noqa: BLE001 - the first error is the one to report
                    pass
            for p in book.streamed:
                if not p.rows.closed:
                    p.rows.close()
            raw.unlink(missing_ok=True)
    return path
