"""Number formats of a few cells of an xlsx, read only when a value needs one.

Why: python-calamine gives a date cell's value but not its number format, and Excel
stores an expiration typed as `5/2026` as May 1st with the format `mm/yyyy`. SPEC §1 reads
a date cell whose format shows no day as the last day of its month. So the table parser
asks, for the few date cells on day 1 of an expiration column, whether their format
shows a day; no other cell's format can change its value.

How (cheap, guarded): `styles.xml`'s `numFmts` and `cellXfs` say which style indexes
(the cells' `s=`) are date formats without a day; only when the workbook has such a style
is the one sheet's XML streamed, and a regex picks the `s=` of just the cells asked
about (stopping once it has them all). The preflight has already checked the zip (entry
sizes, total expansion, no bombs); XML is parsed with defusedxml. Any failure (a part
missing, broken XML) answers "none of them": the value stays as calamine read it.

Rejected: openpyxl (it reads every cell of the sheet with its style: 45 s for 200k
rows); a style lookup for every cell at read time (calamine does not expose styles, and
only day-1 dates in an expiration column can change); a full XML parse of the sheet (the
regex over the raw bytes is what the preflight's extent scan already does).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from typing import Iterable

from defusedxml import ElementTree as SafeET

#: Built-in number formats (ECMA-376 §18.8.30) that are dates without a day: 17 `mmm-yy`.
_BUILTIN_DAYLESS = frozenset({17})
_METADATA_LIMIT = 16 * 1024**2  # styles.xml and workbook.xml are small; refuse odd ones
_CHUNK = 1 << 20
_R_ATTR = re.compile(rb"""(?:^|\s)r\s*=\s*["']([A-Za-z]{1,3}[0-9]+)["']""")
_S_ATTR = re.compile(rb"""(?:^|\s)s\s*=\s*["']([0-9]+)["']""")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def shows_no_day(code: str) -> bool:
    """True for a date format whose first section shows a month and year but no day
    (`mm/yyyy`, `mmm-yy`, `[$-409]mmmm yyyy;@`); quoted text, escapes and [brackets] are
    not format tokens."""
    s = re.sub(r'"[^"]*"', "", code)
    s = re.sub(r"\\.|[_*].", "", s)
    s = re.sub(r"\[[^\]]*\]", "", s)
    section = s.split(";")[0].casefold()
    return "y" in section and "m" in section and "d" not in section


@dataclass(frozen=True)
class CellFormats:
    """Where to look up the number formats of one tab of an xlsx/xlsm file."""

    path: str
    sheet: str

    def without_day(self, cells: Iterable[tuple[int, int]]) -> frozenset[tuple[int, int]]:
        """Those of `cells` ((row, column), 0-based) whose number format is a date
        format that shows no day. Never raises: on any problem, the empty set."""
        wanted = {_a1(r, c): (r, c) for r, c in cells}
        if not wanted:
            return frozenset()
        try:
            return frozenset(self._scan(wanted))
        except Exception:  # noqa: BLE001 - a format is a refinement: never fail a read for it
            return frozenset()

    def _scan(self, wanted: dict[bytes, tuple[int, int]]) -> set[tuple[int, int]]:
        with zipfile.ZipFile(self.path) as zf:
            wb_part = _workbook_part(zf)
            folder, name = posixpath.split(wb_part)
            rels = _relationships(_small(zf, posixpath.join(folder, "_rels", name + ".rels")))
            styles = next((t for _, (typ, t) in rels.items() if typ.endswith("/styles")), None)
            if styles is None:
                return set()
            dayless = _dayless_styles(_small(zf, _resolve(folder, styles)))
            if not dayless:
                return set()
            rid = _sheet_rid(_small(zf, wb_part), self.sheet)
            if rid is None or rid not in rels:
                return set()
            part = _resolve(folder, rels[rid][1])
            return _cells_with_style(zf, part, wanted, dayless)


def _a1(row: int, col: int) -> bytes:
    letters = ""
    n = col + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}".encode()


def _small(zf: zipfile.ZipFile, part: str) -> bytes:
    info = _find(zf, part)
    if info is None or info.file_size > _METADATA_LIMIT:
        raise KeyError(part)
    return zf.read(info)


def _find(zf: zipfile.ZipFile, part: str) -> zipfile.ZipInfo | None:
    part = part.lstrip("/")
    try:
        return zf.getinfo(part)
    except KeyError:
        low = part.casefold()
        return next((i for i in zf.infolist() if i.filename.casefold() == low), None)


def _resolve(folder: str, target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
        posixpath.join(folder, target))


def _workbook_part(zf: zipfile.ZipFile) -> str:
    try:
        for typ, target in _relationships(_small(zf, "_rels/.rels")).values():
            if typ.endswith("/officeDocument"):
                return target.lstrip("/")
    except KeyError:
        pass
    return "xl/workbook.xml"


def _relationships(xml: bytes) -> dict[str, tuple[str, str]]:
    """Id -> (Type, Target)."""
    out = {}
    for el in SafeET.fromstring(xml).iter():
        if el.tag.rsplit("}", 1)[-1] == "Relationship":
            out[el.get("Id", "")] = (el.get("Type", ""), el.get("Target", ""))
    return out


def _sheet_rid(wb_xml: bytes, sheet: str) -> str | None:
    for el in SafeET.fromstring(wb_xml).iter():
        if el.tag.rsplit("}", 1)[-1] == "sheet" and el.get("name") == sheet:
            return el.get(f"{_REL_NS}id") or el.get("id")
    return None


def _dayless_styles(styles_xml: bytes) -> set[int]:
    """Indexes into cellXfs (a cell's `s=`) whose number format is a date without a day."""
    root = SafeET.fromstring(styles_xml)
    codes: dict[int, str] = {}
    xfs: list[int] = []
    for el in root:
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "numFmts":
            for fmt in el:
                try:
                    codes[int(fmt.get("numFmtId", ""))] = fmt.get("formatCode", "")
                except ValueError:
                    continue
        elif tag == "cellXfs":
            for xf in el:
                try:
                    xfs.append(int(xf.get("numFmtId", "0")))
                except ValueError:
                    xfs.append(0)
    return {i for i, fid in enumerate(xfs)
            if (fid in codes and shows_no_day(codes[fid]))
            or (fid not in codes and fid in _BUILTIN_DAYLESS)}


def _cells_with_style(zf: zipfile.ZipFile, part: str, wanted: dict[bytes, tuple[int, int]],
                      styles: set[int]) -> set[tuple[int, int]]:
    """Stream the sheet's XML; the wanted cells whose `s=` is one of `styles`."""
    info = _find(zf, part)
    if info is None:
        return set()
    left = dict(wanted)
    found: set[tuple[int, int]] = set()
    tail = b""
    # only tags of the wanted columns match (one column in practice): the other cells of
    # the sheet cost the regex engine, not a Python loop
    letters = b"|".join(sorted({re.match(rb"[A-Z]+", ref).group(0) for ref in wanted}))
    tag = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*?\br\s*=\s*[\"'](?:" + letters
                     + rb")[0-9]+[\"'][^>]*)>", re.IGNORECASE)
    with zf.open(info) as fh:
        while left:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            buf = tail + chunk
            cut = buf.rfind(b"<")  # a tag may straddle two chunks: keep its start
            body, tail = (buf[:cut], buf[cut:]) if cut > 0 else (buf, b"")
            for m in tag.finditer(body):
                attrs = m.group(1)
                r = _R_ATTR.search(attrs)
                if r is None:
                    continue
                cell = left.pop(r.group(1).upper(), None)
                if cell is None:
                    continue
                s = _S_ATTR.search(attrs)
                if s is not None and int(s.group(1)) in styles:
                    found.add(cell)
    return found


__all__ = ["CellFormats", "shows_no_day"]
