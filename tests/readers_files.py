"""Builders of real files for tests/test_readers.py: workbooks, ODS, hostile zips.

Everything here writes real bytes to disk (openpyxl, zipfile, hand-made zip records);
nothing imitates lotsync's own functions.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zipfile
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
STRICT_MAIN_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
STRICT_REL_NS = b"http://purl.oclc.org/ooxml/officeDocument/relationships"


def xlsx_bytes(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def small_workbook() -> openpyxl.Workbook:
    """One tab 'Inventory': a header and two rows, from A1."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inventory"
    ws.append(["Product", "Lot", "Qty", "Exp"])
    ws.append(["Botox 100U", "C3709C3", 2, dt.date(2027, 5, 31)])
    ws.append(["Dysport", "D1234", 1, dt.date(2026, 12, 1)])
    return wb


def rewrite_zip(data: bytes, edit) -> bytes:
    """A copy of the zip `data` with `edit(name, bytes) -> bytes | None` applied to each
    entry (None drops it)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = edit(info.filename, src.read(info.filename))
            if body is not None:
                dst.writestr(info.filename, body)
    return out.getvalue()


def with_sheet_xml(data: bytes, sheet: str, edit) -> bytes:
    return rewrite_zip(data, lambda n, b: edit(b) if n == sheet else b)


def to_strict(data: bytes) -> bytes:
    """The same workbook with Strict OOXML namespaces (what Excel's 'Strict Open XML
    Spreadsheet' writes), shared strings and styles included."""

    def edit(name: str, body: bytes) -> bytes:
        if name.endswith((".xml", ".rels")):
            body = body.replace(MAIN_NS, STRICT_MAIN_NS).replace(REL_NS, STRICT_REL_NS)
        return body

    return rewrite_zip(data, edit)


def to_xlsm(data: bytes) -> bytes:
    """A macro-enabled workbook: macro content type and a vbaProject.bin part."""

    def edit(name: str, body: bytes) -> bytes:
        if name == "[Content_Types].xml":
            body = body.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            body = body.replace(
                b"</Types>",
                b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
                b"</Types>")
        if name == "xl/_rels/workbook.xml.rels":
            body = body.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/'
                b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
        return body

    out = io.BytesIO(rewrite_zip(data, edit))
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal Word document (.docx)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Override PartName="/word/document.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                   'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
                   'Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Jane Doe</w:t></w:r>'
                   '</w:p></w:body></w:document>')
    return out.getvalue()


# ---------------------------------------------------------------------------- ODS
def _ods_cell(value) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, bool):
        raise TypeError("no booleans in these tests")
    if isinstance(value, (int, float)):
        return (f'<table:table-cell office:value-type="float" office:value="{value}">'
                f"<text:p>{value}</text:p></table:table-cell>")
    if isinstance(value, dt.date):
        iso = value.isoformat()
        return (f'<table:table-cell office:value-type="date" office:date-value="{iso}">'
                f"<text:p>{iso}</text:p></table:table-cell>")
    return (f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
            "</table:table-cell>")


def ods_bytes(tables: list[tuple[str, list[list], bool]]) -> bytes:
    """A minimal OpenDocument spreadsheet: (name, rows, hidden) per table.  Trailing empty
    rows are written the way LibreOffice does (number-rows-repeated up to the sheet's end)."""
    body = []
    for name, rows, hidden in tables:
        style = ' table:style-name="hidden"' if hidden else ""
        body.append(f'<table:table table:name="{escape(name)}"{style}>')
        for row in rows:
            body.append("<table:table-row>" + "".join(_ods_cell(v) for v in row)
                        + "</table:table-row>")
        body.append('<table:table-row table:number-rows-repeated="1048000">'
                    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
        body.append("</table:table>")
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" office:version="1.2">'
        '<office:automatic-styles><style:style style:name="hidden" style:family="table">'
        '<style:table-properties table:display="false"/></style:style></office:automatic-styles>'
        "<office:body><office:spreadsheet>" + "".join(body)
        + "</office:spreadsheet></office:body></office:document-content>")
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# ---------------------------------------------------------------------------- hand-made zips
def zeros_deflate(mib: int) -> bytes:
    """A raw deflate stream that inflates to `mib` MiB of zeros, ~1 KB per MiB.  After a
    full flush the compressor starts afresh, so one flushed block can be repeated."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = comp.compress(bytes(1 << 20)) + comp.flush(zlib.Z_FULL_FLUSH)
    return block * mib + b"\x03\x00"  # an empty final block ends the stream


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip built record by record: (name, stored data, method, crc, declared size).
    Lets a test declare sizes the data does not have."""
    out = io.BytesIO()
    central = []
    for name, data, method, crc, size in entries:
        offset = out.tell()
        raw_name = name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21, crc,
                              len(data), size, len(raw_name), 0))
        out.write(raw_name)
        out.write(data)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21,
                                   crc, len(data), size, len(raw_name), 0, 0, 0, 0, 0, offset)
                       + raw_name)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central),
                          out.tell() - start, start, 0))
    return out.getvalue()


def xlsx_with_bomb(declared: int, actual_mib: int) -> bytes:
    """A real small workbook whose sheet1.xml is replaced by `actual_mib` MiB of zeros
    whose header declares `declared` bytes."""
    base = zipfile.ZipFile(io.BytesIO(xlsx_bytes(small_workbook())))
    entries = []
    for info in base.infolist():
        body = base.read(info.filename)
        if info.filename == "xl/worksheets/sheet1.xml":
            # crc 0: nothing may get as far as checking it
            entries.append((info.filename, zeros_deflate(actual_mib), 8, 0, declared))
        else:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
            entries.append((info.filename, comp.compress(body) + comp.flush(), 8,
                            zlib.crc32(body), len(body)))
    return raw_zip(entries)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def no_child_left() -> bool:
    """This process has no child left to reap: every guarded child was waited for."""
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


#: Bytes the long shared strings of one sheet may expand to (`Preflight.shared_expansion`)
#: for the scan to vouch for the file.
SHARED_EXPANSION_BUDGET = 1024**3


def vouched(pf) -> bool:
    """Does the preflight's scan vouch for this file's size once parsed?  Only an xlsx/xlsm
    whose every cell reference the scan read (no odd form), whose row bound times width
    fits the dense budget, and whose long shared strings cannot expand past
    `SHARED_EXPANSION_BUDGET`.  What the scan's figures mean, held by the tests: since every
    workbook is parsed in the guarded child, no read decision rests on it any more."""
    from lotsync.readers.workbook import DENSE_CELL_BUDGET

    return (pf.kind == "xlsx" and not pf.odd_refs
            and max(pf.row_bound, pf.max_row) * max(pf.max_col, 26) <= DENSE_CELL_BUDGET
            and pf.shared_expansion <= SHARED_EXPANSION_BUDGET)
