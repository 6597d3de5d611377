"""Formula-injection safety (OWASP "CSV Injection", CWE-1236) and atomic file output.

Any text that came from a user's sheet and starts with `=`, `+`, `-`, `@`, tab, CR, LF,
NUL or their full-width forms is written with a leading apostrophe, so Excel, LibreOffice
and Google Sheets show it as text instead of running it. Numbers are written as numbers,
never through this function.
"""

from __future__ import annotations

import os
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
