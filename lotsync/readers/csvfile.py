"""CSV text as one `RawSheet` (sheet name None): every record, every value a `str`, or None
when empty.  Typing (numbers, dates) happens later, per column.

What real exports look like, and what this reader does about it:

* **Encoding.**  A BOM decides (UTF-8, UTF-16 LE/BE, UTF-32); UTF-16 without a BOM is
  recognised by its NUL pattern.  Otherwise the whole file must decode as strict UTF-8,
  else Windows-1252 (which Excel on Windows writes), else Latin-1 (which decodes any
  byte).  Deciding needs one decoding pass over the file before the parsing pass; on a
  1,000,000-row file it costs well under a second and never holds the file in memory.
* **Compression.**  gzip bytes (whatever the name) are decompressed on the fly; the
  decompressed size is capped at `preflight.MAX_UNCOMPRESSED_BYTES` (gzip bombs).
* **Delimiter.**  Comma, semicolon, tab or pipe, sniffed from the first 64 KiB: quoted
  values are removed first (a comma inside quotes is not a delimiter), then the
  delimiter that occurs the same number of times on the most lines wins (a semicolon
  file with decimal commas picks the semicolon).  An Excel `sep=;` first line is obeyed
  and kept as row 1.  A file with none of them is one column.
* **Rows.**  `rows[i]` is record i + 1 (the row a spreadsheet program shows; a quoted
  value may span lines).  Ragged rows stay ragged; blank lines are empty rows.
* **NUL bytes** (a known defect of some exports) are removed, with a note.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections import Counter
from typing import Callable, IO

from lotsync.readers import preflight
from lotsync.readers.preflight import DAMAGED_ADVICE, Preflight, fail
from lotsync.readers.grid import BLOCK, Grid, GridBuilder
from lotsync.readers.raw import RawSheet, ReadError

_CHUNK = 1 << 20
#: A physical line longer than this is no clinic's export (csv.reader would build the whole
#: line's row before anything could count it: a line of 20 million commas is a row of 20
#: million cells).
MAX_LINE_CHARS = 1 << 20
#: Cells (an empty row counts one) a CSV may hold: 25 M is 2.5 million rows of 10 columns,
#: about 2 GB of Python objects; past it the file is refused instead of exhausting memory.
MAX_CSV_CELLS = 25_000_000
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = (",", "\t", ";", "|")  # also the preference order on a tie
_DELIM_NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}
_ENCODING_NAMES = {
    "utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with BOM)", "utf-16": "UTF-16",
    "utf-16-le": "UTF-16 LE (no BOM)", "utf-16-be": "UTF-16 BE (no BOM)", "utf-32": "UTF-32",
    "cp1252": "Windows-1252", "latin-1": "Latin-1",
}
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_SEP_LINE = re.compile(r"\Asep=(.)\s*(?:\r\n|\n|\r|\Z)")


def read_csv(pf: Preflight) -> RawSheet:
    """The CSV file `pf` describes, as one sheet."""
    if pf.gzip:
        def opener() -> IO[bytes]:
            return gzip.open(pf.path, "rb")
    else:
        def opener() -> IO[bytes]:
            return open(pf.path, "rb")

    try:
        encoding, errors, has_nul, notes = _choose_encoding(pf, opener)
        delimiter = _sniff(_sample(opener, encoding))
        rows = _parse(pf, opener, encoding, errors, delimiter, has_nul)
    except ReadError:
        raise
    except (OSError, EOFError, zlib.error):
        if pf.gzip:
            raise fail(pf.name, "it is a damaged or incomplete gzip file",
                       "copy or download it again") from None
        raise fail(pf.name, "the file could not be read to its end",
                   "copy it to a local folder and try again") from None
    if delimiter != ",":
        notes.append(f"delimiter: {_DELIM_NAMES[delimiter]}")
    return RawSheet(file=pf.path, sheet=None, rows=rows, notes=tuple(pf.notes) + tuple(notes))


def _choose_encoding(pf: Preflight,
                     opener: Callable[[], IO[bytes]]) -> tuple[str, str, bool, list[str]]:
    """(codec, error handler, text holds NUL, notes), from one decoding pass per candidate."""
    errors = "strict"
    notes: list[str] = []
    for encoding in [pf.encoding] if pf.encoding else ["utf-8", "cp1252", "latin-1"]:
        ok, has_nul = _decodes(pf, opener, encoding)
        if ok:  # latin-1 always is
            break
    else:  # a BOM said so, but the bytes disagree: keep what can be read
        errors = "replace"
        notes.append("some characters could not be decoded and were replaced with \ufffd")
        has_nul = _decodes(pf, opener, encoding, errors)[1]
    if encoding != "utf-8":
        notes.append(f"text encoding: {_ENCODING_NAMES.get(encoding, encoding)}")
    if has_nul:
        notes.append("NUL characters removed (a defect of the program that wrote the file)")
    return encoding, errors, has_nul, notes


def _decodes(pf: Preflight, opener, encoding: str, errors: str = "strict") -> tuple[bool, bool]:
    """Does the whole file decode with `encoding`?  And does the text hold NUL?"""
    decoder = codecs.getincrementaldecoder(encoding)(errors)
    total = 0
    has_nul = False
    with opener() as fh:
        while True:
            chunk = fh.read(_CHUNK)
            total += len(chunk)
            if total > preflight.MAX_UNCOMPRESSED_BYTES:
                size = _gib(preflight.MAX_UNCOMPRESSED_BYTES)
                raise fail(pf.name, f"it decompresses to over {size}, far more than any real "
                           "export (a 'gzip bomb' or a damaged file)", DAMAGED_ADVICE)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                return False, False
            if not has_nul and "\x00" in text:
                has_nul = True
            if not chunk:
                return True, has_nul


def _gib(n: int) -> str:
    return f"{n / 1024**3:g} GiB" if n >= 1024**3 else f"{n / 1024**2:g} MiB"


def _sample(opener, encoding: str) -> str:
    with opener() as fh:
        raw = fh.read(_SNIFF_BYTES)
        truncated = len(raw) == _SNIFF_BYTES
    text = codecs.getincrementaldecoder(encoding)("replace").decode(raw, final=not truncated)
    text = text.lstrip("\ufeff").replace("\x00", "")
    if truncated:  # the last line is probably cut
        cut = max(text.rfind("\n"), text.rfind("\r"))
        if cut > 0:
            text = text[:cut]
    return text


def _sniff(sample: str) -> str:
    """The delimiter of `sample` (see the module doc)."""
    sep = _SEP_LINE.match(sample)
    if sep and sep.group(1) in _DELIMITERS:
        return sep.group(1)
    text = _QUOTED.sub('""', sample)
    lines = [line for line in re.split(r"\r\n|\n|\r", text) if line.strip()][:200]
    if not lines:
        return ","
    best: tuple | None = None
    best_delim = ","
    for rank, delim in enumerate(_DELIMITERS):
        counts = [line.count(delim) for line in lines]
        nonzero = [c for c in counts if c]
        if not nonzero:
            continue
        mode, _ = Counter(nonzero).most_common(1)[0]
        consistent = counts.count(mode) / len(lines)
        present = len(nonzero) / len(lines)
        key = (round(consistent, 3), round(present, 3), mode, -rank)
        if best is None or key > best:
            best, best_delim = key, delim
    return best_delim


def _parse(pf: Preflight, opener, encoding: str, errors: str, delimiter: str,
           has_nul: bool) -> Grid:
    """The file's records as a Grid, added a block of rows at a time (readers/grid.py), so
    the row lists of a whole file never exist at once."""
    builder = GridBuilder()
    block: list[list[str | None]] = []
    append = block.append
    first = True
    with opener() as fh:
        text = io.TextIOWrapper(fh, encoding=encoding, errors=errors, newline="")
        source = (line.replace("\x00", "") for line in text) if has_nul else text
        reader = csv.reader(_bounded_lines(pf, source), delimiter=delimiter, quotechar='"',
                            doublequote=True, skipinitialspace=False, strict=False)
        cells = 0
        try:
            for row in reader:
                if "" in row:
                    row = [value or None for value in row]
                append(row)  # type: ignore[arg-type]
                cells += len(row) or 1
                if cells > MAX_CSV_CELLS:
                    raise fail(pf.name, f"it holds over {MAX_CSV_CELLS:,} values, far more than "
                               "lotsync reads from one file", "split it into smaller files")
                if len(block) >= BLOCK:
                    if first:
                        _strip_bom(block)
                        first = False
                    builder.add(block)
                    block = []
                    append = block.append
        except csv.Error:
            raise fail(pf.name, f"line {reader.line_num:,} is malformed (a quoted value "
                       "that never closes, or a value over 128 KB)",
                       "open it in a spreadsheet program, check that line, and save it again "
                       "as CSV") from None
        except UnicodeDecodeError:  # the file changed since the encoding pass
            raise fail(pf.name, "its text encoding changed while it was read",
                       "try again when no program is writing the file") from None
    if first:
        _strip_bom(block)
    builder.add(block)
    return builder.grid()


def _strip_bom(rows: list[list[str | None]]) -> None:
    first = rows[0][0] if rows and rows[0] else None
    if first and first.startswith("\ufeff"):  # a BOM that the codec did not consume
        rows[0][0] = first[1:] or None


def _bounded_lines(pf: Preflight, lines):
    """`lines`, refusing one longer than MAX_LINE_CHARS before csv.reader splits it.

    `readline(limit)` would be cheaper, but a TextIOWrapper iterated with newline=""
    yields whole lines; a line is a `str` already read, so its length is free to check."""
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_CHARS:
            raise fail(pf.name, f"line {number:,} is over {MAX_LINE_CHARS // 1024**2} million "
                       "characters long, which no spreadsheet export writes (a damaged file)",
                       "open it in a spreadsheet program and save it again as CSV")
        yield line


__all__ = ["read_csv"]
