"""What lotsync wrote, and how a later run knows it: a manifest and the workbooks' own mark.

It lives with the readers because the reading side needs it below the pipeline; the writers
import its marking helpers.

A run's outputs (report.xlsx, findings.csv, corrected/ copies, ...) often land inside a
folder that is also a source (`--out` inside the records folder, `path = "."` in
lotsync.toml). Read back, they double every visit row on each run. So every source
expansion (`pipeline.expand_sources`) skips a file that either

* is listed in a **manifest** (`lotsync-manifest.json`) in its folder or any folder above
  it, with the same size and sha256 it had when lotsync wrote it; or
* is an **xlsx marked by lotsync** and not saved by anyone since: custom document property
  `lotsync` (the time it was written), `lastModifiedBy` = "lotsync", and a `modified`
  time within `MARK_WINDOW` of that stamp. Excel and LibreOffice rewrite `lastModifiedBy`
  and `modified` when a person saves, so a corrected copy a clinic adopts as its own
  working file (opened, edited, saved) is read like any of the clinic's files.

Rules and rejected alternatives:
- Rejected: recognising outputs by name (report.xlsx) or by a report.json beside them
  (0.1's rule, kept for outputs 0.1 wrote): a clinic's own file may be called report.xlsx,
  and a corrected copy has the input's own name.
- Rejected: the mark alone (a custom property survives a save in Excel): a corrected copy
  the clinic adopted would then be skipped for ever, silently.
- Rejected: the manifest alone: an output copied or moved out of the out folder loses it.
- A file named explicitly (not through a folder or glob) is always read: the person asked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Iterable

MANIFEST_NAME = "lotsync-manifest.json"
MARK_PROPERTY = "lotsync"
MARK_AUTHOR = "lotsync"
#: How long after the stamp a marked workbook's `modified` time may be and still be the
#: one lotsync saved (writing a large report.xlsx takes a while).
MARK_WINDOW = dt.timedelta(hours=2)


def now_stamp() -> str:
    """The mark's value: this moment in UTC, to the second (W3CDTF, as core.xml writes)."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ----------------------------------------------------------------------------- marking
def mark_xlsxwriter(wb, stamp: str | None = None) -> None:
    """Mark an xlsxwriter Workbook (before close): author = lastModifiedBy = lotsync."""
    stamp = stamp or now_stamp()
    props = dict(getattr(wb, "doc_properties", {}) or {})
    props.update({"author": MARK_AUTHOR,
                  "created": dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")})
    wb.set_properties(props)
    wb.set_custom_property(MARK_PROPERTY, stamp)


def mark_openpyxl(wb, stamp: str | None = None) -> None:
    """Mark an openpyxl Workbook (before save); the clinic's own creator is kept."""
    from openpyxl.packaging.custom import StringProperty
    stamp = stamp or now_stamp()
    wb.properties.lastModifiedBy = MARK_AUTHOR
    props = wb.custom_doc_props
    for p in [p for p in props.props if p.name == MARK_PROPERTY]:
        props.props.remove(p)
    props.append(StringProperty(name=MARK_PROPERTY, value=stamp))


# ----------------------------------------------------------------------------- manifest
def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_entries(folder: Path, files: Iterable[Path]) -> dict[str, dict]:
    """{path relative to `folder` (posix): {size, sha256}} for `files`."""
    out: dict[str, dict] = {}
    for f in files:
        f = Path(f)
        if f.is_file():
            out[f.relative_to(folder).as_posix()] = {"size": f.stat().st_size,
                                                     "sha256": file_digest(f)}
    return out


def read_manifest(folder: Path) -> dict[str, dict]:
    """The manifest in `folder` ({} when there is none or it cannot be read)."""
    try:
        with open(Path(folder) / MANIFEST_NAME, encoding="utf-8") as fh:
            data = json.load(fh)
        files = data.get("files", {})
        return {str(k): v for k, v in files.items() if isinstance(v, dict)}
    except (OSError, ValueError, AttributeError):
        return {}


def manifest_text(files: dict[str, dict], generated_by: str) -> str:
    return json.dumps({"generated_by": generated_by, "written_at": now_stamp(),
                       "note": "Files lotsync wrote here; lotsync does not read them as sources.",
                       "files": dict(sorted(files.items()))}, indent=2) + "\n"


# ----------------------------------------------------------------------------- recognising
_CUSTOM = re.compile(rb'name="lotsync"[^>]*>\s*<vt:lpwstr>([^<]{1,40})</vt:lpwstr>')
_LAST_BY = re.compile(rb"<cp:lastModifiedBy>([^<]*)</cp:lastModifiedBy>")
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]*)</dcterms:modified>")


def _when(text: bytes) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(text.decode("ascii").strip().replace("Z", "+00:00"))
    except (ValueError, UnicodeDecodeError):
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def has_current_mark(path: Path) -> bool:
    """An xlsx that lotsync marked and nobody has saved since (see the module doc)."""
    try:
        with open(path, "rb") as fh:
            if fh.read(4) != b"PK\x03\x04":
                return False
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "docProps/custom.xml" not in names or "docProps/core.xml" not in names:
                return False
            custom_info = zf.getinfo("docProps/custom.xml")
            core_info = zf.getinfo("docProps/core.xml")
            if custom_info.file_size > 1 << 20 or core_info.file_size > 1 << 20:
                return False
            custom, core = zf.read(custom_info), zf.read(core_info)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, EOFError):
        return False
    m, by, mod = _CUSTOM.search(custom), _LAST_BY.search(core), _MODIFIED.search(core)
    if not (m and by and mod) or by.group(1).strip() != MARK_AUTHOR.encode():
        return False
    stamp, modified = _when(m.group(1)), _when(mod.group(1))
    return (stamp is not None and modified is not None
            and dt.timedelta(0) <= modified - stamp <= MARK_WINDOW)


class OwnFiles:
    """Answers "did lotsync write this file?" for one source expansion (manifests cached)."""

    def __init__(self) -> None:
        self._manifests: dict[Path, dict[str, dict]] = {}

    def _manifest(self, folder: Path) -> dict[str, dict]:
        if folder not in self._manifests:
            self._manifests[folder] = read_manifest(folder)
        return self._manifests[folder]

    def listed(self, path: Path) -> bool:
        """In a manifest of its folder or a folder above, unchanged since it was written."""
        path = Path(os.path.abspath(path))
        try:
            size = path.stat().st_size
        except OSError:
            return False
        for folder in path.parents:
            entry = self._manifest(folder).get(path.relative_to(folder).as_posix())
            if entry is not None and entry.get("size") == size:
                try:
                    if entry.get("sha256") == file_digest(path):
                        return True
                except OSError:
                    return False
        return False

    def wrote(self, path: Path) -> bool:
        return has_current_mark(Path(path)) or self.listed(path)


__all__ = ["MANIFEST_NAME", "MARK_PROPERTY", "OwnFiles", "has_current_mark", "manifest_entries",
           "manifest_text", "mark_openpyxl", "mark_xlsxwriter", "now_stamp", "read_manifest"]
