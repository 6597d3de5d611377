"""Formula-injection safety (OWASP "CSV Injection", CWE-1236) and atomic file output.

Any text that came from a user's sheet and starts with `=`, `+`, `-`, `@`, tab, CR, LF,
NUL or their full-width forms is written with a leading apostrophe, so Excel, LibreOffice
and Google Sheets show it as text instead of running it. Numbers are written as numbers,
never through this function.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_text(value: object) -> object:
    """`value` unchanged unless it is text a spreadsheet would treat as a formula.

    Also text shaped like `<r>…</r>`: xlsxwriter's `write_string` copies such a string
    into the sheet XML unescaped (its rich-string path), so a cell could smuggle in an
    `<f>` formula element. One rule for every writer keeps every writer safe.
    """
    if isinstance(value, str) and (value.startswith(DANGEROUS_FIRST)
                                   or (value.startswith("<r>") and value.endswith("</r>"))):
        return "'" + value
    return value


#: Characters XML 1.0 cannot hold (C0 controls but tab, LF and CR): a barcode scanner's GS
#: (0x1D) or a VT pasted from another program.  openpyxl refuses them in a cell and writes
#: them unescaped into a comment, which makes the saved workbook unreadable.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xml_text(value: str) -> str:
    """`value` with every character XML cannot hold shown as its Unicode control picture
    (GS 0x1D -> U+241D): visible to the person reading the note, and valid in any xlsx.
    Rejected: dropping them (a lot "01<GS>C37" would read as "01C37", a different lot)."""
    if _XML_ILLEGAL.search(value) is None:
        return value
    return _XML_ILLEGAL.sub(lambda m: chr(0x2400 + ord(m.group())), value)


def _apply_umask(path: str) -> None:
    """mkstemp makes 0600 files; give outputs the permissions a plain open() would."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` for libraries that write by file name (openpyxl,
    xlsxwriter); renamed into place when the block ends without an exception."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _apply_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def atomic_output(path: Path, mode: str = "w", **kw) -> Iterator[IO]:
    """Write to a temporary file beside `path`, then rename it into place.

    An interrupted run leaves the previous file (or none), never a half-written one.
    """
    with atomic_path(path) as tmp, open(tmp, mode, **kw) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
