"""Sources to result: read every source, find its tables, type its rows, reconcile.

The only place that strings the stages together, so the CLI, the demo, the tests and the
bench all run exactly the same path. Reading is I/O; everything after it is pure.
"""

from __future__ import annotations

from lotsync.errors import NoInventoryError, SourceNotFoundError  # defined there, with every cannot-run error

import gc
import glob
import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator

from lotsync.model import Finding, Kind, Practice, TableInput
from lotsync.readers.raw import RawSheet, ReadError
from lotsync.reconcile import Options, Result, reconcile
from lotsync.tables.detect import Detection, detect_table
from lotsync.tables.mapping import Mapping
from lotsync.tables.parse import ParseOptions, ParsedTable, parse_table


SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt"}


def expand_sources(sources: Iterable[str], exclude: Iterable[str | os.PathLike] = ()) -> list[str]:
    """Folders and globs to files, in a stable order; the one expansion every command and
    lotsync.toml's [[sources]] use.

    * A folder gives its spreadsheets (recursively, sorted by path); a glob its matches,
      sorted. A pattern that matches nothing, or a folder with no spreadsheet, is an error
      (exit 2) rather than a silent empty source.
    * Skipped in a folder or glob: what lotsync wrote (`readers.marks`: a manifest entry,
      or an xlsx marked by lotsync and saved by no one since), everything under an
      `exclude` folder (the run's out folder) that lies strictly inside the folder walked,
      Excel's lock files (`~$Book.xlsx`), hidden files, and lotsync 0.1's outputs (a
      report.json it generated, with report.xlsx, findings.csv and corrected/ beside it).
    * A file named explicitly is read whatever it is, once it is known to be a regular
      file: a FIFO or a device is refused here, before anything opens it (it would block).
    * A file reached twice (two globs, a folder and a file in it) is read once.
    """
    from lotsync.readers.preflight import check_regular
    from lotsync.readers.marks import OwnFiles

    own = OwnFiles()
    excluded = [Path(os.path.abspath(e)) for e in exclude]
    out: list[str] = []
    seen: set[tuple[int, int]] = set()

    def add(path: str) -> None:
        st = check_regular(path)
        key = (st.st_dev, st.st_ino)
        if key not in seen:
            seen.add(key)
            out.append(path)

    def keep(f: Path, root: Path | None) -> bool:
        if f.name.startswith(("~$", ".")) or not f.is_file():
            return False
        a = Path(os.path.abspath(f))
        for e in excluded:  # the out folder, unless it is the folder walked itself
            if (root is None or e != root) and e in a.parents:
                return False
        return not own.wrote(f)

    for s in sources:
        if s.startswith(("gsheet://", "https://docs.google.com/")):
            out.append(s)
            continue
        if any(ch in s for ch in "*?[") and not os.path.exists(s):
            matches = sorted(m for m in glob.glob(s, recursive=True) if os.path.isfile(m))
            if not matches:
                raise SourceNotFoundError(f"{s}: no file matches this pattern")
            old = _lotsync_outputs_near(matches)
            for m in matches:
                p = Path(m)
                if keep(p, None) and p not in old and not any(d in p.parents for d in old):
                    add(m)
            continue
        p = Path(s)
        if p.is_dir():
            ours = _lotsync_outputs(p)
            root = Path(os.path.abspath(p))
            files = sorted(str(f) for f in p.rglob("*")
                           if f.suffix.lower() in SPREADSHEET_SUFFIXES
                           and not any(part.startswith(".") for part in f.relative_to(p).parts[:-1])
                           and f not in ours and not any(d in f.parents for d in ours)
                           and keep(f, root))
            if not files:
                raise ReadError(f"{s}: this folder holds no spreadsheet (.xlsx, .xls, .ods, .csv)")
            for f in files:
                add(f)
            continue
        add(s)
    return out


def _lotsync_outputs_near(matches: list[str]) -> set[Path]:
    ours: set[Path] = set()
    for d in {Path(m).parent for m in matches}:
        ours |= _lotsync_outputs(d, recursive=False)
    return ours


def _lotsync_outputs(folder: Path, recursive: bool = True) -> set[Path]:
    """What lotsync 0.1 wrote under `folder` (report.xlsx, findings.csv, corrected/ next to
    a report.json it generated), from before outputs carried a manifest and a mark."""
    ours: set[Path] = set()
    for rep in (folder.rglob("report.json") if recursive else [folder / "report.json"]):
        try:
            with open(rep, encoding="utf-8") as fh:
                head = fh.read(200)
        except OSError:
            continue
        if '"generated_by": "lotsync' in head:
            d = rep.parent
            ours.update({d / "report.xlsx", d / "findings.csv", d / "corrected"})
            ours.update(d.glob("journal-*.csv"))  # lotsync journal's files (issue 11)
    return ours


@dataclass(frozen=True)
class Loaded:
    practice: Practice
    inputs: tuple[TableInput, ...]
    findings: tuple[Finding, ...]
    detections: tuple[Detection, ...]
    tables: tuple[ParsedTable, ...]
    #: Every source this run read, after expansion (paths as given, Google Sheets URIs):
    #: what no output of the run may overwrite.
    files: tuple[str, ...] = ()


#: Progress callback: (stage description, steps done, steps in all).
Progress = Callable[[str, int, int], None]


#: Files started and not yet finished at once: the next file is read while one guarded child
#: parses on the other core. Unbounded, a folder of a thousand small exports forked a child,
#: a pipe and a thread per file at once and ran out of file descriptors (exit 2 naming a
#: healthy file).
READS_AHEAD = 2


def read_sources(sources: Iterable[str], read: Callable[[str], list[RawSheet]] | None = None,
                 progress: Progress | None = None) -> list[RawSheet]:
    """Every sheet of every source, in order.  A reader with a `start(source)` (the default
    `SourceReader`) starts each file before the next is read, so a small workbook parsed
    in the guarded child runs on the other core while this process reads the big one.
    Errors come in file order as before: when a file cannot be started, the files before
    it are finished first (their errors win) and any child still running is stopped."""
    reader = read or SourceReader()
    start = getattr(reader, "start", None)
    files = expand_sources(sources)
    pending: list[Callable[[], list[RawSheet]]] = []
    sheets: list[RawSheet] = []
    try:
        for i, s in enumerate(files):
            if progress:
                progress(f"reading {Path(s).name}", i, len(files) + 2)
            if start is None:
                sheets.extend(reader(s))
                continue
            while len(pending) >= READS_AHEAD:  # a bounded number of children at once
                finish, pending = pending[0], pending[1:]
                sheets.extend(finish())
            try:
                pending.append(start(s))
            except Exception:
                # A file that cannot be read: an earlier file's error is the one to report.
                # Ctrl-C is not waited out here: the `finally` stops the children.
                for finish in pending:  # an earlier file's error is the one to report
                    pending = pending[1:]
                    finish()
                raise
        while pending:
            finish, pending = pending[0], pending[1:]
            sheets.extend(finish())
    finally:
        for finish in pending:
            getattr(finish, "cancel", lambda: None)()
    return sheets


class SourceReader:
    """Reads each source; one Google Sheets client for the whole run (so its request
    count is the run's, and credentials are loaded once)."""

    def __init__(self, credentials: str | None = None) -> None:
        self.credentials = credentials
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from lotsync.readers.gsheets import open_client
            self._client = open_client(self.credentials)
        return self._client

    def __call__(self, source: str):
        from lotsync.readers import read_path
        from lotsync.readers.gsheets import parse_gsheet_source, read_gsheet
        gs = parse_gsheet_source(source) if source.startswith(("gsheet://", "https://")) else None
        if gs is not None:
            return read_gsheet(gs, self.client)
        return read_path(source)

    def start(self, source: str) -> Callable[[], list[RawSheet]]:
        """Begin reading `source` (see `read_sources`); the function returned finishes it."""
        from lotsync.readers import start_path
        if source.startswith(("gsheet://", "https://")):
            sheets = self(source)
            return lambda: sheets
        return start_path(source)

    def requests_made(self) -> int:
        if self._client is None:
            return 0
        from lotsync.readers.gsheets import requests_made
        return requests_made(self._client)


def read_source(source: str) -> list[RawSheet]:
    """A file path, or a Google Sheets id/URL (a fresh client: use SourceReader for a run)."""
    return SourceReader()(source)


def load_practice(sheets: list[RawSheet], mapping: Mapping, popts: ParseOptions) -> Loaded:
    """Detect and type every table; same-kind tables are concatenated in input order."""
    kinds: dict[Kind, list] = {k: [] for k in Kind}
    inputs: list[TableInput] = []
    findings: list[Finding] = []
    detections: list[Detection] = []
    tables: list[ParsedTable] = []
    for order, sheet in enumerate(sheets):
        det = detect_table(sheet, mapping)
        detections.append(det)
        if det.kind is None:
            inputs.append(TableInput(file=sheet.file, sheet=sheet.sheet, kind="ignored",
                                     header_row=None, rows_read=0, rows_skipped=len(sheet.rows),
                                     rows_after_as_of=0, note=det.note))
            continue
        parsed = parse_table(det, order, popts)
        tables.append(parsed)
        kinds[det.kind].extend(parsed.rows)
        findings.extend(parsed.findings)
        inputs.append(parsed.input)
    practice = Practice(inventory=tuple(kinds[Kind.INVENTORY]), visits=tuple(kinds[Kind.VISITS]),
                        adjustments=tuple(kinds[Kind.ADJUSTMENTS]), counts=tuple(kinds[Kind.COUNTS]),
                        products=tuple(kinds[Kind.PRODUCTS]))
    return Loaded(practice, tuple(inputs), tuple(findings), tuple(detections), tuple(tables))


@contextmanager
def gc_paused(freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector for a batch run.

    A reconcile builds millions of small, long-lived, acyclic objects (rows, Decimals,
    movements); each generation-2 collection rescans all of them, which measured as a
    large share of a million-row run. Reference counting still frees everything; the
    collector runs once at the end.

    `freeze=True` (a process that ends soon after: the command line): on the way out,
    move every object the run made into the collector's permanent generation before
    turning it back on, so that the first allocation afterwards does not start a full
    scan of them all (0.5-0.9 s at 200,000 visit rows, which profiled as the `__exit__`
    of this context manager). Nothing is freed by that scan that reference counting
    does not free: the run's objects are acyclic.
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was:
            gc.enable()


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's `malloc_trim`; nothing
    elsewhere), between the stages of a run.

    The read frees what calamine and the reader built (the workbook's XML, the cells'
    first copies), and the parse frees its column passes, but glibc keeps freed pages in
    its heaps, so the process's resident memory stays at its high-water mark and every
    later stage piles on top of it. Trimmed before the parse and before the reconcile,
    the peak of `lotsync reconcile --format json` at 200,000 visit rows measured 388 ->
    352 MB (46 and 53 MB released), for about a millisecond each. Nothing is freed that
    the run still uses: only pages glibc already holds free."""
    global _TRIM
    if _TRIM is None:
        _TRIM = False
        if sys.platform.startswith("linux"):
            try:
                import ctypes
                _TRIM = ctypes.CDLL(None).malloc_trim  # glibc; musl has a no-op one
            except (OSError, AttributeError):
                pass
    if _TRIM:
        _TRIM(0)


_TRIM = None


def run(sources: Iterable[str], opts: Options, mapping: Mapping | None = None,
        read: Callable[[str], list[RawSheet]] | None = None,
        progress: Progress | None = None,
        exclude: Iterable[str | os.PathLike] = ()) -> tuple[Result, Loaded]:
    """Read, detect, type and reconcile. Raises ReadError / NoInventoryError (exit 2).
    `exclude`: folders a folder walk skips (the run's out folder)."""
    with gc_paused():
        return _run(list(sources), opts, mapping, read, progress, list(exclude))


def _run(sources: list[str], opts: Options, mapping: Mapping | None,
         read: Callable[[str], list[RawSheet]] | None, progress: Progress | None,
         exclude: list | None = None) -> tuple[Result, Loaded]:
    files = expand_sources(sources, exclude or ())  # once: a folder walk reads manifests too
    sheets = read_sources(files, read, progress)  # files expand to themselves
    n = len(files) + 2
    if progress:
        progress("reading the tables", n - 2, n)
    release_freed_memory()
    loaded = load_practice(sheets, mapping or Mapping(),
                           ParseOptions(as_of=opts.as_of, day_first=opts.day_first))
    loaded = replace(loaded, files=tuple(files))
    if not any(t.kind == Kind.INVENTORY.value for t in loaded.inputs):
        names = ", ".join(sorted({Path(s.file).name for s in sheets})) or "the sources"
        raise NoInventoryError(
            f"{names}: no inventory table found (a receiving log with product, lot and quantity "
            "columns); run 'lotsync check' to see what was found, or name it in a --mapping file")
    if progress:
        progress("reconciling", n - 1, n)
    release_freed_memory()
    result = reconcile(loaded.practice, opts, loaded.inputs, loaded.findings)
    if progress:
        progress("done", n, n)
    return result, loaded
