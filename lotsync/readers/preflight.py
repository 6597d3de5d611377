"""Checks made before any parser touches a file's bytes.

`check(path)` answers three questions, cheaply and without trusting the file:

1. Can it be opened at all?  Missing file, a folder, a device or pipe, an unreadable or
   empty file: each is a `ReadError` with one line that names the file and says what to do.
2. What is it, by content (magic bytes), whatever its name says?  A zip holding
   `xl/workbook.xml` is an xlsx/xlsm, one holding `xl/workbook.bin` an xlsb, one with an
   OpenDocument spreadsheet mimetype an .ods; an OLE compound file is an .xls, unless it
   holds an `EncryptedPackage` stream (a password-protected xlsx) or a Word or PowerPoint
   stream; gzip and plain text are CSV.  PDF, images, Word documents, web pages and other
   things saved under a spreadsheet's name are refused with a message saying what they are.
3. For a zip container: is it safe to hand to a parser?  Entry count and total expanded
   size are limited (zip bombs), every entry is inflated here in a streaming pass that
   counts the real bytes (a header may lie about sizes) and must end exactly where the
   header says, and for xlsx/xlsm the worksheet XML is scanned on the fly for its real
   extent (see `_SheetScan`), because a tiny file that declares a cell at XFD1048576 makes
   calamine allocate ~512 GB and abort the whole process; the scan also says when it
   cannot vouch for a sheet (`odd_refs`, `row_bound`), and the shared strings are measured
   (`_SharedScan`): a text longer than any Excel cell repeated into gigabytes is refused.
4. For a gzip CSV: what it inflates to, bounded (`MAX_GZIP_CSV_BYTES`) before decoding.

`start_check(path)` gives the same answers in two steps (what the file is, cheaply; then
the inflate-and-scan), so that the reader can fork its guarded child between them and the
scan runs while the child parses (readers/workbook.py, `start_workbook`).

Only the file's structure is ever put into a message, never cell contents (patient names
are PHI) and never an exception's text (it may quote a cell).
"""

from __future__ import annotations

import codecs
import gzip
import os
import posixpath
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from defusedxml import ElementTree as SafeET

from lotsync.errors import SourceNotFoundError
from lotsync.readers.raw import ReadError

# ---------------------------------------------------------------------------- limits
#: Total bytes a zip container (or a gzip CSV) may expand to.  A 200,000-row × 10-column
#: sheet is ~95 MB of XML; Excel's own limits allow more, but no clinic's workbook comes
#: near 2 GiB, and a file that does is far more likely a zip bomb.
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
#: Entries in a zip container.  A workbook with 200 tabs, images and comments has a few
#: hundred; 42.zip-style bombs have thousands.
MAX_ZIP_ENTRIES = 10_000
#: Excel's sheet limits (rows × columns): anything beyond them is not a real sheet.
#: What a gzip-compressed CSV may inflate to, measured here (a streaming pass, ~0.3 s per
#: 100 MiB) before any decoding: a 1,000,000-row visit log is about 100 MB of text, and a
#: 512 KB gzip of commas that inflates to gigabytes took 2.4 GB of memory to parse.
MAX_GZIP_CSV_BYTES = 256 * 1024**2
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
#: A shared string (<si>) longer than this is measured exactly; shorter ones are not (they
#: expand a cell at most this much, as inline text could).
SHARED_LONG = 4096
#: Refused at once: a shared string longer than any Excel cell can hold (32,767
#: characters) repeated into over this many bytes in one sheet (Apache POI's
#: poc-shared-strings.xlsx: 110 KB on disk, one 1 MB string in 3,000 cells = 3 GB; a known
#: amplification that took 72 s and gigabytes before this check).
SHARED_REFUSE_BYTES = 1024**3
SHARED_REFUSE_MIN_STRING = 32 * 1024

_CHUNK = 1 << 20  # compressed bytes read at a time
_OUT_CHUNK = 4 << 20  # most bytes one inflate call may produce
_HEAD = 8192  # bytes sniffed at the start of a file

_EXT_KINDS = {
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xltx": "xlsx", ".xltm": "xlsx", ".xlam": "xlsx",
    ".xlsb": "xlsb",
    ".xls": "xls", ".xlt": "xls", ".xla": "xls",
    ".ods": "ods", ".ots": "ods",
    ".csv": "csv", ".tsv": "csv", ".txt": "csv", ".tab": "csv", ".gz": "csv",
}
_KIND_TEXT = {
    "xlsx": "an Excel workbook", "xlsb": "an Excel binary workbook",
    "xls": "an Excel 97-2003 workbook", "ods": "an OpenDocument spreadsheet",
    "csv": "CSV text",
}


@dataclass(frozen=True)
class Preflight:
    """What `check` learned about a file: enough for a reader to pick its strategy."""

    path: str  # the path to open (os.fspath of what the user gave)
    name: str  # the file as named in messages (one line, printable)
    kind: str  # "xlsx" (also xlsm), "xlsb", "xls", "ods" or "csv"
    size: int  # bytes on disk
    ext_matches: bool  # the name's extension is one of `kind`'s extensions
    notes: tuple[str, ...] = ()
    # zip containers
    uncompressed_bytes: int = 0
    # xlsx/xlsm only
    strict: bool = False  # Strict OOXML (purl.oclc.org namespaces)
    declared_sheets: int | None = None  # <sheet> elements in workbook.xml
    date1904: bool = False  # <workbookPr date1904="1">: serial numbers count from 1904
    max_row: int = 0  # largest real extent over all worksheets (1-based)
    max_col: int = 0
    # The scan's certainty (see `_SheetScan`): an upper bound on any row a cell reference
    # names, and whether a reference was written in a form the scan does not read
    # (single-quoted and spaced forms are read; prefixed or entity-encoded ones are not).
    row_bound: int = 0
    odd_refs: bool = False
    # Shared strings: the longest <si> over SHARED_LONG bytes (0 if none), and the most
    # shared-string cells (t="s") in one sheet; their product bounds what a sheet expands to.
    longest_shared: int = 0
    shared_cells: int = 0
    # csv only
    gzip: bool = False
    encoding: str | None = None  # from a BOM or a NUL pattern; None = decide by decoding

    @property
    def shared_expansion(self) -> int:
        """Bytes the long shared strings may expand to in one sheet (an upper bound)."""
        return self.longest_shared * self.shared_cells

    @property
    def max_cells(self) -> int:
        """Cells calamine would allocate for the longest sheet at the widest width (an
        upper bound).  With no two-letter column reference the width is at most 26 (Z)."""
        return self.max_row * max(self.max_col, 26)


# ---------------------------------------------------------------------------- messages
def display_name(path: str | os.PathLike) -> str:
    """The file as named in a message: the user's own spelling, on one printable line."""
    text = os.fsdecode(os.fspath(path))
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def fail(name: str, problem: str, advice: str, cls: type[ReadError] = ReadError) -> ReadError:
    """A `ReadError` (or `cls`, a subclass naming the cause) whose message is one line: the
    file, what is wrong, what to do. `name` comes from `display_name`; `problem` and
    `advice` never quote a cell."""
    problem, advice = " ".join(problem.split()), " ".join(advice.split())
    return cls(f"Cannot read {name}: {problem}; {advice}.")


DAMAGED_ADVICE = "open it in Excel (or LibreOffice) and save a copy, then read the copy"


# ---------------------------------------------------------------------------- sniffing
_PICTURE = "a picture of a table cannot be read: use the spreadsheet itself"
_SIGNATURES: list[tuple[bytes, str, str]] = [  # (magic, what it is, what to do)
    (b"%PDF", "a PDF document", "export the table as .xlsx or .csv from the program that made it"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", _PICTURE),
    (b"\xff\xd8\xff", "a JPEG image", _PICTURE),
    (b"GIF87a", "a GIF image", _PICTURE),
    (b"GIF89a", "a GIF image", _PICTURE),
    (b"II*\x00", "a TIFF image", _PICTURE),
    (b"MM\x00*", "a TIFF image", _PICTURE),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract the spreadsheet from it first"),
    (b"Rar!\x1a\x07", "a RAR archive", "extract the spreadsheet from it first"),
    (b"\x7fELF", "a program, not a document", "name the spreadsheet file instead"),
    (b"{\\rtf", "a rich-text (RTF) document", "copy the table into Excel and save it as .xlsx"),
    (b"SQLite format 3\x00", "a database file", "export the table as .xlsx or .csv"),
]  # (Windows programs, "MZ", are left to the binary-data check: "MZ" can start a CSV.)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BOMS = [  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Control characters that do not occur in text (NUL is judged apart: stray NULs are a
# known defect of real CSV exports).
_CONTROL = bytes(range(1, 9)) + b"\x0b\x0c" + bytes(range(14, 32))


def _text_encoding(head: bytes) -> tuple[bool, str | None]:
    """(looks like text, encoding known from a BOM or NUL pattern or None)."""
    if not head:
        return True, None
    for bom, enc in _BOMS:
        if head.startswith(bom):
            try:
                sample = head.decode(enc, errors="ignore")
            except LookupError:  # pragma: no cover - codecs are built in
                return False, None
            bad = sum(1 for c in sample if c < " " and c not in "\t\r\n\x00")
            return bad <= max(2, len(sample) // 100), enc
    # UTF-16 without a BOM: every other byte is NUL for Latin text.
    sample = head[: len(head) // 2 * 2]
    if len(sample) >= 16:
        even_nul = sample[0::2].count(0) / (len(sample) / 2)
        odd_nul = sample[1::2].count(0) / (len(sample) / 2)
        if odd_nul > 0.4 and even_nul < 0.05:
            enc = "utf-16-le"
        elif even_nul > 0.4 and odd_nul < 0.05:
            enc = "utf-16-be"
        else:
            enc = None
        if enc:
            text = sample.decode(enc, errors="replace")
            bad = sum(1 for c in text if c < " " and c not in "\t\r\n")
            return bad <= max(2, len(text) // 100), enc
    controls = len(head) - len(head.translate(None, _CONTROL))
    nuls = head.count(0)
    if controls > max(2, len(head) // 100) or nuls > len(head) // 2:
        return False, None
    return True, None


def _markup_problem(head: bytes) -> tuple[str, str] | None:
    """A web page or XML file saved under a spreadsheet's (or CSV's) name."""
    text = head.lstrip(codecs.BOM_UTF8).lstrip()[:4096].lower()
    if not text.startswith(b"<"):
        return None
    if b"urn:schemas-microsoft-com:office:spreadsheet" in text:
        return ("an Excel 2003 XML spreadsheet, an old format no reader here supports",
                "open it in Excel and save it as Excel Workbook (.xlsx)")
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body", b"<meta")) or (
        b"<html" in text
    ):
        return ("a web page (HTML) saved under a spreadsheet's name",
                "open it in Excel and save it as Excel Workbook (.xlsx), or export the report "
                "as .xlsx or .csv")
    if text.startswith(b"<?xml"):
        return ("an XML file, not a spreadsheet",
                "open it in Excel and save it as Excel Workbook (.xlsx)")
    return None


# ---------------------------------------------------------------------------- entry point
def check_regular(path: str | os.PathLike) -> os.stat_result:
    """The file's stat if it is a regular file; else a `ReadError` at once.

    Every command calls this (through `pipeline.expand_sources`) before anything opens a
    source: opening a FIFO blocks until a writer comes, and a device may never end (the
    history's fingerprint used to hang on one). `stat` never opens the file."""
    fspath = os.fsdecode(os.fspath(path))
    name = display_name(path)
    try:
        st = os.stat(fspath)
    except FileNotFoundError:
        raise fail(name, "no such file", "check the path and the file name",
                   SourceNotFoundError) from None
    except PermissionError:
        raise fail(name, "permission denied",
                   "check that you may read the file (and its folder)") from None
    except OSError as exc:
        raise fail(name, f"the file cannot be opened ({exc.strerror or type(exc).__name__})",
                   "check the path") from None
    if stat.S_ISDIR(st.st_mode):
        raise fail(name, "it is a folder, not a file", "name a spreadsheet file inside it")
    if not stat.S_ISREG(st.st_mode):
        raise fail(name, "it is not a regular file (a device, pipe or socket)",
                   "save the data to a file and name that file")
    return st


def check(path: str | os.PathLike) -> Preflight:
    """Inspect `path` and say what it is and how big it really is; `ReadError` if unusable."""
    return start_check(path)[1]()


def start_check(path: str | os.PathLike) -> tuple[Preflight, Callable[[], Preflight]]:
    """`check` in two steps, so that the guarded child can parse the file while its
    expensive half runs here (readers/workbook.py, `start_workbook`).

    The first step is cheap: the stat, the magic bytes and, for a zip, its directory, the
    entries' flags and sizes and the few small parts that say what it is (a .rels, the
    workbook part, the mimetype).  It raises the ReadError for a file it can already
    refuse and returns what the file is: a `Preflight` without the scan's figures (extent,
    shared strings, uncompressed bytes are 0).  The function returned is the second step:
    for a zip, every entry inflated and every worksheet scanned (0.1-0.4 s at 200k visit
    rows, ~2 s at 1M); it gives the full `Preflight` or raises the ReadError.  For any
    other file the first step is the whole check and the function returns its answer."""
    fspath = os.fsdecode(os.fspath(path))
    name = display_name(path)
    st = check_regular(path)
    ext = Path(fspath).suffix.lower()
    try:
        with open(fspath, "rb") as fh:
            head = fh.read(_HEAD)
    except PermissionError:
        raise fail(name, "permission denied", "check that you may read the file") from None
    except OSError as exc:
        raise fail(name, f"the file cannot be read ({exc.strerror or type(exc).__name__})",
                   "copy it to a local folder and try again") from None

    base = dict(path=fspath, name=name, size=st.st_size)
    if not head:
        if ext in ("", ".csv", ".tsv", ".txt", ".tab"):
            return _done(Preflight(kind="csv", ext_matches=True, **base))
        raise fail(name, "the file is empty (0 bytes)",
                   "the save or copy that made it failed: save or copy it again")

    if head.startswith(_ZIP_MAGICS):
        return _start_zip(fspath, name, ext, base)
    if head.startswith(_OLE_MAGIC):
        return _done(_check_ole(fspath, name, ext, base))
    if head.startswith(b"\x1f\x8b"):
        return _done(_check_gzip(fspath, name, ext, base))
    for magic, what, advice in _SIGNATURES:
        if head.startswith(magic):
            raise fail(name, f"it is {what}, not a spreadsheet", advice)
    biff2_4 = head[:1] == b"\x09" and head[1:2] in (b"\x00", b"\x02", b"\x04")
    if biff2_4 and ext in (".xls", ".xlw"):
        raise fail(name, "it is an Excel 2.x-4.x workbook, an old format no reader here supports",
                   "open it in Excel or LibreOffice and save it as Excel Workbook (.xlsx)")
    markup = _markup_problem(head)
    if markup:
        raise fail(name, *markup)
    is_text, enc = _text_encoding(head)
    if not is_text:
        raise fail(name, "it is neither a spreadsheet nor CSV text (unrecognised binary data)",
                   "name the .xlsx, .xls, .ods or .csv file itself")
    return _done(_csv_preflight(base, ext, gz=False, encoding=enc))


def _done(pf: Preflight) -> tuple[Preflight, Callable[[], Preflight]]:
    """A check with nothing left for a second step."""
    return pf, lambda: pf


def _csv_preflight(base: dict, ext: str, *, gz: bool, encoding: str | None) -> Preflight:
    notes = []
    matches = _EXT_KINDS.get(ext) == "csv" or ext == ""
    if not matches:
        notes.append(f"named {ext} but holds CSV text: read as CSV")
    return Preflight(kind="csv", ext_matches=matches, gzip=gz, encoding=encoding,
                     notes=tuple(notes), **base)


# ---------------------------------------------------------------------------- gzip
def _check_gzip(fspath: str, name: str, ext: str, base: dict) -> Preflight:
    try:
        with gzip.open(fspath, "rb") as gz:
            inner = gz.read(_HEAD)
    except (OSError, EOFError, zlib.error):
        raise fail(name, "it is a damaged or incomplete gzip file",
                   "copy or download it again") from None
    if inner.startswith(_ZIP_MAGICS + (_OLE_MAGIC,)):
        raise fail(name, "it is a gzip-compressed workbook",
                   "decompress it first (gunzip) and read the workbook inside")
    markup = _markup_problem(inner)
    if markup:
        raise fail(name, "it is a gzip-compressed file that holds " + markup[0], markup[1])
    is_text, enc = _text_encoding(inner)
    if not is_text:
        raise fail(name, "it is a gzip file that does not hold CSV text",
                   "decompress it and name the spreadsheet inside")
    inflated = _gzip_size(fspath, name)
    pf = _csv_preflight(base, ext if ext != ".gz" else ".csv", gz=True, encoding=enc)
    pf = replace(pf, uncompressed_bytes=inflated)
    return replace(pf, notes=pf.notes + ("gzip-compressed: decompressed while reading",))


def _gzip_size(fspath: str, name: str) -> int:
    """The inflated size of a gzip file, refused past MAX_GZIP_CSV_BYTES (never holds more
    than one chunk in memory)."""
    total = 0
    try:
        with gzip.open(fspath, "rb") as gz:
            while True:
                chunk = gz.read(_OUT_CHUNK)
                if not chunk:
                    return total
                total += len(chunk)
                if total > MAX_GZIP_CSV_BYTES:
                    raise fail(name, f"it is a gzip file that decompresses to over "
                               f"{MAX_GZIP_CSV_BYTES // 1024**2} MB, far more than any clinic's "
                               "export (a 'gzip bomb' or a damaged file)",
                               "decompress it yourself and check what it holds")
    except (OSError, EOFError, zlib.error):
        raise fail(name, "it is a damaged or incomplete gzip file",
                   "copy or download it again") from None


# ---------------------------------------------------------------------------- OLE (.xls)
def _ole_has_stream(data: bytes, stream: str) -> bool:
    """A directory entry named `stream` in an OLE compound file.

    Directory entries are 128 bytes, sector-aligned (so at offsets that are multiples of
    128), with the UTF-16LE name first and its byte length (with the NUL) at offset 64."""
    needle = stream.encode("utf-16-le")
    want = len(needle) + 2
    start = 0
    while True:
        i = data.find(needle, start)
        if i < 0:
            return False
        if i % 128 == 0 and int.from_bytes(data[i + 64:i + 66], "little") == want:
            return True
        start = i + 1


def _check_ole(fspath: str, name: str, ext: str, base: dict) -> Preflight:
    # The directory of an OLE file may sit anywhere in it; these files are at most tens
    # of MB, and a find() over them costs milliseconds.
    try:
        with open(fspath, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise fail(name, f"the file cannot be read ({exc.strerror or type(exc).__name__})",
                   "copy it to a local folder and try again") from None
    if _ole_has_stream(data, "EncryptedPackage"):
        raise fail(name, "it is password-protected",
                   "save an unprotected copy (in Excel: File > Info > Protect Workbook > "
                   "Encrypt with Password, clear the password) and read the copy")
    if _ole_has_stream(data, "Workbook") or _ole_has_stream(data, "Book"):
        return Preflight(kind="xls", ext_matches=_EXT_KINDS.get(ext) == "xls",
                         notes=_mismatch_note(ext, "xls"), **base)
    if _ole_has_stream(data, "WordDocument"):
        raise fail(name, "it is a Word document, not a spreadsheet",
                   "copy the table into Excel and save it as .xlsx")
    if _ole_has_stream(data, "PowerPoint Document"):
        raise fail(name, "it is a PowerPoint presentation, not a spreadsheet",
                   "copy the table into Excel and save it as .xlsx")
    raise fail(name, "it is an Office compound file that holds no workbook",
               "open it in Excel and save it as Excel Workbook (.xlsx)")


def _mismatch_note(ext: str, kind: str) -> tuple[str, ...]:
    if _EXT_KINDS.get(ext) == kind:
        return ()
    named = f"named {ext}" if ext else "named without an extension"
    return (f"{named} but holds {_KIND_TEXT[kind]}: read by its content",)


# ---------------------------------------------------------------------------- zip
_STRICT_NS = b"http://purl.oclc.org/ooxml/spreadsheetml/main"
_SHEET_REL_TYPES = ("/worksheet", "/dialogsheet", "/xlMacrosheet", "/xlIntlMacrosheet")
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheet[\s/>]")
_ROW_R = re.compile(rb'\sr\s*=\s*["\']([0-9]+)["\']')
_DATE1904 = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?workbookPr\s[^>]*\bdate1904\s*=\s*["\'](?:1|true)["\']')


def _zip_damaged(name: str) -> ReadError:
    return fail(name, "it is damaged or incomplete (not a valid zip archive)",
                DAMAGED_ADVICE + ", or copy or download it again")


def _start_zip(fspath: str, name: str, ext: str, base: dict) -> tuple[Preflight, Callable[[], Preflight]]:
    """A zip container's check in two steps (see `start_check`): what it is now, the
    inflate-and-scan of every entry when the function returned is called.  The archive
    stays open between the two; the second step closes it (so does a failure here)."""
    try:
        zf = zipfile.ZipFile(fspath)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        raise _zip_damaged(name) from None
    raw = None
    try:
        raw = open(fspath, "rb")
        quick, scan = _zip_what(zf, raw, fspath, name, ext, base)
    except BaseException:
        zf.close()
        if raw is not None:
            raw.close()
        raise

    def finish() -> Preflight:
        try:
            return scan()
        finally:
            zf.close()
            raw.close()

    return quick, finish


def _zip_what(zf: zipfile.ZipFile, raw, fspath: str, name: str, ext: str,
              base: dict) -> tuple[Preflight, Callable[[], Preflight]]:
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _bomb(name, f"it holds {len(infos):,} parts")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _zip_damaged(name)
    declared = sum(i.file_size for i in infos)
    if declared > MAX_UNCOMPRESSED_BYTES:
        raise _bomb(name, f"it expands to {declared / 1024**3:.1f} GiB")
    for info in infos:
        if info.flag_bits & 0x1:
            raise fail(name, "it is a password-protected zip archive",
                       "save an unprotected copy and read the copy")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise fail(name, "it uses a zip compression method that spreadsheets never use",
                       DAMAGED_ADVICE)
    inflater = _Inflater(raw, name)
    by_name = {i.filename: i for i in infos}
    lower = {n.lower(): n for n in names}

    def find(part: str) -> zipfile.ZipInfo | None:
        part = part.lstrip("/")
        return by_name.get(part) or by_name.get(lower.get(part.lower(), ""))

    def small(part: str) -> bytes | None:
        info = find(part)
        return None if info is None else inflater.read_all(info)

    # What kind of container is it?
    kind, wb_part = _zip_kind(small, find, names, name)
    extra: dict = {}
    scan_parts: set[str] = set()
    shared_parts: set[str] = set()
    if kind == "xlsx":
        wb_xml = small(wb_part) or b""
        extra["strict"] = _STRICT_NS in wb_xml
        extra["declared_sheets"] = len(_SHEET_TAG.findall(wb_xml))
        extra["date1904"] = _DATE1904.search(wb_xml) is not None
        scan_parts = _sheet_parts(small, find, wb_part, names)
        shared_parts = _shared_parts(small, find, wb_part, names)
    notes = _mismatch_note(ext, kind)
    quick = Preflight(kind=kind, ext_matches=not notes, notes=notes, **extra, **base)

    def scan() -> Preflight:
        # Inflate every entry once, counting the real bytes; scan worksheets on the way.
        # The shared strings first: with none over SHARED_LONG bytes the sheets' t="s"
        # cells need no count (the expansion bound is 0 whatever it is).
        max_row = max_col = row_bound = shared_cells = longest = 0
        odd = False
        for info in infos:
            if info.filename in shared_parts and info.filename not in scan_parts:
                sst = _SharedScan()
                inflater.run(info, sst.feed)
                longest = max(longest, sst.longest)
        # A hostile .rels may name one part as both: its strings are only known once it is
        # scanned, maybe after the sheets that use them, so then every sheet counts its t="s".
        named_twice = bool(scan_parts & shared_parts)
        for info in infos:
            if info.filename in scan_parts:
                both = info.filename in shared_parts
                scan = _SheetScan(count_shared=both or named_twice or longest > 0)
                sink = scan.feed
                if both:
                    sst = _SharedScan()
                    sink = lambda piece, a=scan.feed, b=sst.feed: (a(piece), b(piece))  # noqa: E731
                inflater.run(info, sink)
                scan.finish()
                if both:
                    longest = max(longest, sst.longest)
                max_row = max(max_row, scan.max_row)
                max_col = max(max_col, scan.max_col)
                row_bound = max(row_bound, scan.row_bound)
                shared_cells = max(shared_cells, scan.shared_cells)
                odd = odd or scan.odd
            elif info.filename not in inflater.done:
                inflater.run(info, None)
        if max_row > EXCEL_MAX_ROWS or max_col > EXCEL_MAX_COLS:
            raise fail(name, "a sheet in it places cells beyond Excel's last row or column "
                       "(1,048,576 rows by 16,384 columns): the file is damaged or was made "
                       "by a faulty program", DAMAGED_ADVICE)
        if longest >= SHARED_REFUSE_MIN_STRING and longest * shared_cells > SHARED_REFUSE_BYTES:
            raise fail(name, f"a text of {longest / 1024:,.0f} KB in it, longer than any Excel cell "
                       f"can hold, may be repeated in up to {shared_cells:,} cells (over "
                       f"{longest * shared_cells / 1024**3:,.1f} GB): a known attack on "
                       "spreadsheet readers, or a damaged file", DAMAGED_ADVICE)
        return replace(quick, uncompressed_bytes=inflater.total, max_row=max_row, max_col=max_col,
                       row_bound=max(row_bound, max_row), odd_refs=odd,
                       longest_shared=longest, shared_cells=shared_cells)

    return quick, scan


def _bomb(name: str, what: str) -> ReadError:
    return fail(name, f"{what}, far more than any real workbook (a 'zip bomb' or a damaged "
                "file)", DAMAGED_ADVICE)


def _zip_kind(small, find, names: list[str], name: str) -> tuple[str, str]:
    """('xlsx' | 'xlsb' | 'ods', workbook part) or a ReadError saying what the zip is."""
    wb_part = None
    rels = small("_rels/.rels")
    if rels:
        for rtype, target in _relationships(rels):
            if rtype.endswith("/officeDocument") and target:
                wb_part = target.lstrip("/")
                break
    if wb_part is None or find(wb_part) is None:
        for candidate in ("xl/workbook.xml", "xl/workbook.bin"):
            if find(candidate) is not None:
                wb_part = candidate
                break
    if wb_part and find(wb_part) is not None:
        wb_part = find(wb_part).filename
        low = wb_part.lower()
        if low.endswith(".bin"):
            return "xlsb", wb_part
        if low.startswith("xl/") or low.endswith("workbook.xml"):
            return "xlsx", wb_part
    mimetype = (small("mimetype") or b"")[:200].strip()
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ods", "content.xml"
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        raise fail(name, "it is a text document (OpenDocument Text), not a spreadsheet",
                   "copy the table into a spreadsheet and save it as .xlsx or .ods")
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise fail(name, "it is an OpenDocument file that is not a spreadsheet",
                   "name the .ods or .xlsx file itself")
    if not mimetype and find("content.xml") and find("META-INF/manifest.xml"):
        return "ods", "content.xml"
    if find("word/document.xml") is not None or (wb_part and wb_part.lower().startswith("word/")):
        raise fail(name, "it is a Word document, not a spreadsheet (it holds no xl/workbook.xml)",
                   "copy the table into Excel and save it as .xlsx")
    if find("ppt/presentation.xml") is not None:
        raise fail(name, "it is a PowerPoint presentation, not a spreadsheet",
                   "copy the table into Excel and save it as .xlsx")
    if find("xl/workbook.xml") is None and any(n.startswith("xl/") for n in names):
        raise fail(name, "it is an Excel file with no workbook part (xl/workbook.xml is missing)",
                   DAMAGED_ADVICE)
    raise fail(name, "it is a zip archive that holds no spreadsheet",
               "extract the spreadsheet from it and name that file")


def _relationships(xml: bytes) -> list[tuple[str, str]]:
    try:
        root = SafeET.fromstring(xml)
    except Exception:  # a broken or hostile .rels: the reader will fail clearly later
        return []
    out = []
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "Relationship":
            out.append((el.get("Type", ""), el.get("Target", "")))
    return out


def _sheet_parts(small, find, wb_part: str, names: list[str]) -> set[str]:
    """Zip entries that hold worksheets: the workbook's sheet relationships, and anything
    under xl/worksheets/ (in case the relationships are broken)."""
    parts = {n for n in names if n.lower().startswith(("xl/worksheets/", "xl/macrosheets/",
                                                       "xl/dialogsheets/"))
             and n.lower().endswith(".xml")}
    folder, base_name = posixpath.split(wb_part)
    rels = small(posixpath.join(folder, "_rels", base_name + ".rels"))
    for rtype, target in _relationships(rels or b""):
        if not rtype.endswith(_SHEET_REL_TYPES) or not target:
            continue
        if target.startswith("/"):
            part = target.lstrip("/")
        else:
            part = posixpath.normpath(posixpath.join(folder, target))
        info = find(part)
        if info is not None:
            parts.add(info.filename)
    return parts


def _shared_parts(small, find, wb_part: str, names: list[str]) -> set[str]:
    """The shared-strings part(s): by the workbook's relationship, and the usual name."""
    parts = {n for n in names if n.lower() == "xl/sharedstrings.xml"}
    folder, base_name = posixpath.split(wb_part)
    for rtype, target in _relationships(small(posixpath.join(folder, "_rels", base_name + ".rels")) or b""):
        if rtype.endswith("/sharedStrings") and target:
            part = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
            info = find(part)
            if info is not None:
                parts.add(info.filename)
    return parts


class _SharedScan:
    """The longest shared string (`<si>...</si>`) over `SHARED_LONG` bytes, in one pass.

    Jumps a window at a time to the last `</si>` inside it, so a part of small strings
    costs one `find` per window, not one per string; a window with no `</si>` holds (part
    of) a long string, whose length is then measured exactly."""

    def __init__(self) -> None:
        self.longest = 0
        self._offset = 0  # stream offset of the current piece
        self._last_end = -1  # stream offset just after the last </si> (or -1: none yet)
        self._tail = b""

    def feed(self, piece: bytes) -> None:
        buf = self._tail + piece
        base = self._offset - len(self._tail)
        self._offset += len(piece)
        if self._last_end < 0:
            first = buf.find(b"<si")
            if first < 0:
                self._tail = buf[-8:]
                return
            self._last_end = base + first
        pos = max(0, self._last_end - base)
        w = SHARED_LONG
        while True:
            nxt = buf.find(b"</si>", pos, pos + w)
            if nxt < 0:
                nxt = buf.find(b"</si>", pos)
                if nxt < 0:
                    break
            gap = base + nxt - self._last_end
            if gap > w and gap > self.longest:
                self.longest = gap
            last = buf.rfind(b"</si>", nxt, nxt + w)
            self._last_end = base + last + 5
            pos = last + 5
        self._tail = buf[-8:]


class _Inflater:
    """Inflate zip entries from the raw bytes, counting what really comes out.

    Python's zipfile stops at the size the header declares and never checks that the
    deflate stream ends there; a parser that trusts the stream (calamine's zip crate) may
    then inflate gigabytes.  So each entry must inflate to exactly its declared size and
    its deflate stream must end at its compressed size.  Every entry is inflated here
    once; the expansion of the whole file is capped by MAX_UNCOMPRESSED_BYTES."""

    def __init__(self, raw, name: str):
        self.raw, self.name = raw, name
        self.total = 0
        self.done: set[str] = set()
        self.cache: dict[str, bytes] = {}

    def read_all(self, info: zipfile.ZipInfo) -> bytes:
        if info.filename not in self.cache:
            if info.file_size > 16 * 1024**2:  # metadata parts are small
                raise _bomb(self.name, "a metadata part in it is over 16 MB")
            parts: list[bytes] = []
            self.run(info, parts.append)
            self.cache[info.filename] = b"".join(parts)
        return self.cache[info.filename]

    def _data_offset(self, info: zipfile.ZipInfo) -> int:
        self.raw.seek(info.header_offset)
        header = self.raw.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise _zip_damaged(self.name)
        name_len = int.from_bytes(header[26:28], "little")
        extra_len = int.from_bytes(header[28:30], "little")
        return info.header_offset + 30 + name_len + extra_len

    def run(self, info: zipfile.ZipInfo, sink) -> None:
        if info.filename in self.done:
            if sink is not None and info.filename in self.cache:
                sink(self.cache[info.filename])
            return
        self.done.add(info.filename)
        offset = self._data_offset(info)
        self.raw.seek(offset)
        left = info.compress_size
        produced = 0
        decomp = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        while left > 0:
            chunk = self.raw.read(min(_CHUNK, left))
            if not chunk:
                raise _zip_damaged(self.name)  # truncated: the data ends early
            left -= len(chunk)
            if decomp is None:
                produced = self._emit(info, chunk, produced, sink)
                continue
            data = chunk
            while data:
                try:
                    out = decomp.decompress(data, _OUT_CHUNK)
                except zlib.error:
                    raise _zip_damaged(self.name) from None
                produced = self._emit(info, out, produced, sink)
                data = decomp.unconsumed_tail
                if decomp.eof:
                    if data or decomp.unused_data or left:
                        raise _zip_damaged(self.name)
                    break
        if decomp is not None:
            if not decomp.eof:
                raise _zip_damaged(self.name)
        if produced != info.file_size:
            raise _zip_damaged(self.name)

    def _emit(self, info: zipfile.ZipInfo, out: bytes, produced: int, sink) -> int:
        if not out:
            return produced
        produced += len(out)
        self.total += len(out)
        if produced > info.file_size:
            raise _zip_damaged(self.name)  # the header lies about the size
        if self.total > MAX_UNCOMPRESSED_BYTES:
            raise _bomb(self.name, f"it expands to over {MAX_UNCOMPRESSED_BYTES / 1024**3:g} GiB")
        if sink is not None:
            sink(out)
        return produced


class _SheetScan:
    """The real extent of one worksheet's XML, found while it streams past.

    * max row: the `r` of the last `<row>` in each piece of the stream, the largest one
      kept, and any cell or row reference of seven digits or more (rare: found exactly).
    * row bound: an upper bound on every reference's row whatever the order rows are
      written in (the far row written first): 10**d - 1 for the most digits d any
      reference has (one `find` per digit count, stopping at the first hit).
    * max column and odd forms, in one regex pass over the piece's shape (digits as `0`,
      single quotes as double ones): `<c` followed by anything but ` r="`, one letter and
      a digit (the canonical cell of columns A-Z) or a letter (`<col`, `<cfRule`, ...).
      A piece with no such match holds only canonical cells of one-letter columns, so
      its width is at most 26 (Z) and nothing in it is odd.  A piece with a match, or
      with prefixed cells (`:c `), takes the exact path: two- and three-letter references
      (` r="AB12"`, ` r='AB12'`, lower case too: calamine accepts `b3`) give the width;
      a `<c ` whose first attribute is not r="...", a bare `<c>` or `<c/>` is odd.
    * odd also: a tab, CR or LF inside the markup after the XML declaration (an attribute
      separated by one is invisible to the ` r=` regexes).  Odd means the extent is
      unknown, and the reader runs the file in its guarded child whatever its size.
    * shared cells: cells of type `s` (t="s"), for the shared-string bound; counted only
      when `count_shared` (the workbook has a shared string over SHARED_LONG bytes: with
      none, the bound is 0 whatever the count).

    Matches are owned by the piece where they start at least `_CTX` bytes before its end
    (the tail of `_TAIL` bytes carried into the next piece gives them their context
    there); `finish` judges the last piece's end.

    Measured on the 200,000-row bench sheet (106 MB of XML, 11 MB xlsx), per whole sheet:
    before (issue 15): translate 0.045 s, column regex 0.066, seven-digit find 0.050,
    `t="s"` count 0.055, `<c ` / `<c r="` counts 0.135, `<c>` find 0.078: preflight
    0.55-0.62 s.  Now: the one odd-or-wide regex 0.084 s replaces the column regex, the
    two counts and the find, and `t="s"` is not counted (no long shared string).
    Rejected: a single regex for everything (an alternation loses sre's literal-prefix
    search: `[<:]c...` took 0.51 s), numpy masks (each comparison is a full pass too).
    """

    _COLS = re.compile(rb""" r=["']([A-Za-z]{2,3})[0-9]""")
    _LONG = re.compile(rb"""["'][A-Za-z]{0,3}0*([1-9][0-9]{6,})["']""")
    #: On the shape: a `<c` that is not a canonical one-letter-column cell, nor another
    #: tag whose name starts with c.
    _ODD_OR_WIDE = re.compile(rb'<c(?! r="[A-Za-z]?0|[a-z])')
    #: Every digit to "0" and a single quote to a double one: then "is there a quoted value
    #: ending in d digits" is one `find` at memory speed for any d, whatever the attribute
    #: or its spacing (a regex per digit count cost 0.3 s each on 100 MB).
    _SHAPE = bytes.maketrans(b"123456789'", b'000000000"')
    _TAIL = 64
    _CTX = 12  # bytes from a `<c` that decide what it is (`<c r="XFD1` is 11)

    def __init__(self, count_shared: bool = True) -> None:
        self.max_row = 0
        self.max_col = 0
        self.row_bound = 0
        self.shared_cells = 0
        self.count_shared = count_shared
        self._odd_seen = False
        self._digits = 0
        self._tail = b""
        self._prolog = True

    def feed(self, piece: bytes) -> None:
        tail = len(self._tail)
        buf = self._tail + piece if self._tail else piece
        row = self._last_row(buf)
        if row > self.max_row:
            self.max_row = row
        shape = buf.translate(self._SHAPE)
        if shape.find(b'0000000"') >= 0:  # a value ending in seven digits or more: exactly
            self.max_row = max([self.max_row] + [int(r) for r in self._LONG.findall(buf)])
        for d in range(6, self._digits, -1):  # an upper bound for any order of rows
            if shape.find(b"0" * d + b'"') >= 0:
                self._digits = d
                break
        self.row_bound = max(self.max_row, 10 ** self._digits - 1 if self._digits else 0)
        if self.count_shared:  # counted from where a match was not yet whole before (exact)
            self.shared_cells += shape.count(b't="s"', max(0, tail - 4))
        lo = max(0, tail - self._CTX)  # the previous piece left these starts to this one
        hi = len(buf) - self._CTX
        m = self._ODD_OR_WIDE.search(shape, lo)
        if self._odd_seen:
            # an odd cell's reference may come late and be cut by the piece boundary: once a
            # sheet is odd (rare), every later piece is read for width from its first byte
            self._exact(buf, shape, 0, hi)
        elif (m is not None and m.start() < hi) or self._prefixed(buf, lo):
            self._exact(buf, shape, lo, hi)
        if not self._odd_seen:
            self._odd_seen = self._odd_space(buf, tail)
        self._tail = buf[-self._TAIL:]

    def _exact(self, buf: bytes, shape: bytes, lo: int, hi: int) -> None:
        """A piece with wide or odd cells: the width from every two- and three-letter
        reference, and odd if a cell starting in [lo, hi) is not canonical."""
        letters = self._COLS.findall(buf, max(0, lo - 1))
        if letters:
            best = max(set(letters), key=lambda s: (len(s), s.upper()))
            self.max_col = max(self.max_col, _col_number(best))
        if not self._odd_seen:
            # a count in [a, b) counts matches wholly inside: starts in [lo, hi)
            opened = shape.count(b"<c ", lo, hi + 2)
            canon = shape.count(b'<c r="', lo, hi + 5)
            self._odd_seen = (opened != canon or shape.find(b"<c>", lo, hi + 2) >= 0
                              or shape.find(b"<c/", lo, hi + 2) >= 0)

    def _odd_space(self, buf: bytes, tail: int) -> bool:
        """A tab, CR or LF inside the markup after the XML declaration: an attribute
        separated by one is invisible to the ` r=` regexes.  Excel, LibreOffice, openpyxl
        and xlsxwriter write none."""
        start = tail
        if self._prolog:
            start = buf.find(b"<", buf.find(b"?>") + 2) if buf.startswith(b"<?xml") else 0
            start = max(start, 0)
            self._prolog = False
        return buf.find(b"\n", start) >= 0 or buf.find(b"\t", tail) >= 0 or buf.find(b"\r", tail) >= 0

    def finish(self) -> None:
        """Judge the stream's last bytes (no piece follows to give them their context)."""
        buf = self._tail
        lo = max(0, len(buf) - self._CTX)
        shape = buf.translate(self._SHAPE)
        if self._ODD_OR_WIDE.search(shape, lo) is not None or self._prefixed(buf, lo):
            self._exact(buf, shape, lo, len(buf))

    @staticmethod
    def _prefixed(buf: bytes, lo: int) -> bool:
        """A prefixed cell (`<x:c `) from `lo` on.  A one-byte find (memchr) first: a
        colon is rare in sheet XML past the root's namespaces, while ":c " cost 0.07 s a
        sheet (its last byte, a space, is in every cell)."""
        return buf.find(b":", lo) >= 0 and buf.find(b":c ", lo) >= 0

    @property
    def odd(self) -> bool:
        return self._odd_seen

    @odd.setter
    def odd(self, value: bool) -> None:
        self._odd_seen = value

    def _last_row(self, buf: bytes) -> int:
        # Look in the last 64 KiB first (a row is rarely longer); an rfind over the whole
        # 4 MiB piece for the prefixed form that is usually absent cost 0.02 s a sheet.
        row = self._last_row_in(buf, max(0, len(buf) - 65536))
        if not row and len(buf) > 65536:
            row = self._last_row_in(buf, 0)
        return row

    def _last_row_in(self, buf: bytes, start: int) -> int:
        end = len(buf)
        for _ in range(8):  # skip <rowBreaks>, <rows ...> and the like
            i = max(buf.rfind(b"<row", start, end), buf.rfind(b":row", start, end))
            if i < 0:
                return 0
            close = buf.find(b">", i)
            tag = buf[i:close if close > 0 else i + 512]
            nxt = tag[4:5]
            if nxt in (b" ", b"\t", b"\r", b"\n"):
                m = _ROW_R.search(tag)
                if m:
                    return int(m.group(1))
            end = i
        return 0


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


__all__ = ["Preflight", "check", "check_regular", "display_name", "fail", "DAMAGED_ADVICE",
           "MAX_UNCOMPRESSED_BYTES", "MAX_ZIP_ENTRIES", "EXCEL_MAX_ROWS", "EXCEL_MAX_COLS",
           "SHARED_LONG", "SHARED_REFUSE_BYTES", "MAX_GZIP_CSV_BYTES"]
