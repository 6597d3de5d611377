"""The run history: an SQLite file (stdlib sqlite3) that gives nightly runs a memory.

Every run records when it ran, as_of, its options, a fingerprint of every input, the
totals, and every finding by its stable id (SPEC §3), so the next run can say what is
new, what is still there and what was resolved. Default place: `.lotsync/history.sqlite`
next to `lotsync.toml`.

    history = open_history(path)                 # creates / migrates; refuses a newer schema
    with history.lock():                         # one run at a time on this history
        recorder = InputRecorder()
        result, loaded = pipeline.run(sources, opts, mapping, read=recorder.read)
        report = report_dict(result)
        with history.recording(result, report, recorder.inputs, options, started_at,
                               practice=name) as record:
            report = apply_history(report, record)   # status, first_seen, history: {...}
            ... write the outputs ...                # committed only when this succeeds
    (`record_run(...)` is the same, committed at once.)

Safety
------
* **One transaction per run.** `record_run` / `recording` write everything between
  `BEGIN IMMEDIATE` and `COMMIT`; a run killed at any point (even SIGKILL) leaves the
  history exactly as it was before it. The database is in WAL mode with `synchronous=FULL`.
* **One run at a time: wait briefly, then exit 2.** `History.lock()` takes an exclusive
  `fcntl.flock` on `<history>.lock` for the whole run (read, reconcile, record, write
  outputs), so two runs never interleave and "the previous run" is well defined. A second
  run polls for up to `LOCK_WAIT_SECONDS` (30 s): a short overlap (cron and a person
  starting a run by hand) just waits; a stuck or very long run makes the second exit with
  `HistoryError("another lotsync run is using <path>; try again when it finishes")`,
  which the CLI turns into exit 2, so cron alerts instead of piling up waiting runs. The
  kernel drops the lock when its process dies, so a killed run never leaves a stale lock.
  SQLite's own locking (busy timeout 30 s) still guards writers that bypass the lock.
* **Schema versions** live in `PRAGMA user_version` (and `application_id` marks the file
  as lotsync's). Version 0 is the first lotsync history (tables `runs` and `findings`,
  no user_version set); it is migrated to version 1 in one transaction on open. A history
  from a newer lotsync (user_version > SCHEMA_VERSION) is refused, untouched.

Status and first_seen
---------------------
"The previous run" is the latest recorded run of the same practice (several clinics may
share one history). A finding is `ongoing` when its id was in the previous run, else
`new`. `first_seen` is the date (the run's own date, from `started_at`) of the first run in
this history that had the id; a finding that was resolved and came back is `new` again
but keeps its first_seen. `resolved` is the ids of the previous run that are gone.
`inputs_unchanged` compares content (sha256 and size, not mtime) of every input with the
previous run's: the same set of sources with the same bytes.
"""

from __future__ import annotations

from lotsync.errors import HistoryError  # defined there, with every cannot-run error

import datetime as dt
import fcntl
import hashlib
import json
import os
import stat
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

SCHEMA_VERSION = 2
APPLICATION_ID = 0x4C4F5453  # "LOTS"
LOCK_WAIT_SECONDS = 30.0
DEFAULT_HISTORY = Path(".lotsync") / "history.sqlite"

#: Test hook: called inside record_run's transaction just before COMMIT (tests make a
#: child process sleep here and kill it). Never set in production.
_before_commit: Callable[[], None] | None = None


#: `runs()` / `trend()` default: the runs of every practice.
ALL: Any = object()


# --- schema -------------------------------------------------------------------------------

SCHEMA_V1 = """
CREATE TABLE run (
    run_id            INTEGER PRIMARY KEY,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL,
    run_date          TEXT NOT NULL,
    as_of             TEXT NOT NULL,
    practice          TEXT,
    lotsync_version   TEXT,
    options           TEXT NOT NULL DEFAULT '{}',
    totals            TEXT NOT NULL DEFAULT '{}',
    summary           TEXT NOT NULL DEFAULT '{}',
    errors            INTEGER NOT NULL DEFAULT 0,
    warnings          INTEGER NOT NULL DEFAULT 0,
    infos             INTEGER NOT NULL DEFAULT 0,
    previous_run_id   INTEGER,
    new_findings      INTEGER,
    resolved_findings INTEGER,
    inputs_unchanged  INTEGER
);
CREATE INDEX run_practice ON run (practice, run_id);
CREATE TABLE run_input (
    run_id  INTEGER NOT NULL REFERENCES run (run_id),
    source  TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    size    INTEGER,
    mtime   TEXT,
    PRIMARY KEY (run_id, source)
) WITHOUT ROWID;
CREATE TABLE run_finding (
    run_id     INTEGER NOT NULL REFERENCES run (run_id),
    finding_id TEXT NOT NULL,
    code       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    status     TEXT NOT NULL,
    product    TEXT,
    lot        TEXT,
    location   TEXT,
    date       TEXT,
    value      TEXT,
    message    TEXT,
    file       TEXT,
    sheet      TEXT,
    row        INTEGER,
    cell       TEXT,
    PRIMARY KEY (run_id, finding_id)
) WITHOUT ROWID;
CREATE TABLE finding_seen (
    finding_id   TEXT PRIMARY KEY,
    first_run_id INTEGER NOT NULL,
    first_seen   TEXT NOT NULL
) WITHOUT ROWID;
"""

#: Version 2 (issue 11): journals posted with `lotsync journal --post`. A posted month stays
#: closed: later differences become adjusting entries, recorded here against the month they
#: correct (`for_month`), so that month matches again once its adjustment is posted.
SCHEMA_V2 = """
CREATE TABLE posted_journal (
    post_id    INTEGER PRIMARY KEY,
    practice   TEXT,
    month      TEXT NOT NULL,
    posted_at  TEXT NOT NULL,
    as_of      TEXT NOT NULL,
    format     TEXT
);
CREATE UNIQUE INDEX posted_journal_month ON posted_journal (coalesce(practice, ''), month);
CREATE TABLE posted_line (
    post_id    INTEGER NOT NULL REFERENCES posted_journal (post_id),
    line_no    INTEGER NOT NULL,
    for_month  TEXT NOT NULL,
    location   TEXT NOT NULL,
    account    TEXT NOT NULL,
    net_cents  INTEGER NOT NULL,
    rows       TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (post_id, line_no)
) WITHOUT ROWID;
"""

#: The totals the trend follows (report.json `totals` keys) and open errors.
TREND_TOTALS = ("cogs", "on_hand_value", "expired_on_hand_value")


# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputFingerprint:
    """What an input was when it was read: `source` as given to the pipeline (a path or a
    gsheet:// address), sha256 of its bytes (of its values for a Google Sheet), size in
    bytes and modification time (None for a Google Sheet)."""

    source: str
    sha256: str
    size: int | None = None
    mtime: str | None = None

    def same_content(self, other: "InputFingerprint") -> bool:
        return self.sha256 == other.sha256 and self.size == other.size


@dataclass(frozen=True)
class FindingHistory:
    status: str  # "new" | "ongoing"
    first_seen: dt.date


@dataclass(frozen=True)
class PastFinding:
    """A finding as the history keeps it (no patient names: the message never holds one)."""

    id: str
    code: str
    severity: str
    message: str | None = None
    product: str | None = None
    lot: str | None = None
    location: str | None = None
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    cell: str | None = None


@dataclass(frozen=True)
class RunRecord:
    """What `record_run` returns: this run's place in the history."""

    run_id: int
    previous_run_id: int | None
    started_at: dt.datetime
    findings: dict[str, FindingHistory]  # by finding id, every finding of this run
    resolved: tuple[str, ...]  # ids of the previous run that are gone, sorted
    resolved_findings: tuple[PastFinding, ...]
    inputs_unchanged: bool

    @property
    def new(self) -> tuple[str, ...]:
        return tuple(sorted(i for i, h in self.findings.items() if h.status == "new"))

    @property
    def ongoing(self) -> tuple[str, ...]:
        return tuple(sorted(i for i, h in self.findings.items() if h.status == "ongoing"))


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    started_at: str
    as_of: str
    practice: str | None
    errors: int
    warnings: int
    infos: int
    new: int | None  # None for runs migrated from an older history without that count
    resolved: int | None
    inputs_unchanged: bool | None
    cogs: Decimal | None
    on_hand_value: Decimal | None
    previous_run_id: int | None = None


@dataclass(frozen=True)
class RunDetail:
    summary: RunSummary
    finished_at: str
    lotsync_version: str | None
    options: dict
    totals: dict[str, Decimal | None]
    inputs: list[InputFingerprint]
    findings: list[dict]  # {id, code, severity, status, first_seen, product, lot, location, date, value, message, source}
    resolved: list[PastFinding]


@dataclass(frozen=True)
class TrendPoint:
    run_id: int
    started_at: str
    as_of: str
    cogs: Decimal | None
    on_hand_value: Decimal | None
    expired_on_hand_value: Decimal | None
    open_errors: int


# --- fingerprints -------------------------------------------------------------------------


def fingerprint_file(path: str | Path) -> InputFingerprint:
    """sha256 of the file's bytes, its size and its mtime (UTC, ISO 8601)."""
    p = Path(path)
    h = hashlib.sha256()
    # O_NONBLOCK: a FIFO named as a source must not block the run before the reader
    # refuses it; anything but a regular file is refused here too.
    fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with open(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            from lotsync.readers.preflight import check_regular
            check_regular(p)  # raises the reader's one line for a pipe or device
            raise OSError(f"{p}: not a regular file")  # pragma: no cover - a race
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    mtime = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc).isoformat()
    return InputFingerprint(str(path), h.hexdigest(), st.st_size, mtime)


def fingerprint_values(source: str, sheets: Iterable[Any]) -> InputFingerprint:
    """A Google Sheet's fingerprint: sha256 over its tabs' names and cell values (RawSheet
    objects, or anything with `.sheet` and `.rows`), since it has no bytes or mtime."""
    h = hashlib.sha256()
    for s in sheets:
        h.update(f"\x1e{s.sheet}\x1e".encode())
        for row in s.rows:
            h.update("\x1f".join("" if c is None else f"{type(c).__name__}:{c}" for c in row).encode())
            h.update(b"\n")
    return InputFingerprint(source, h.hexdigest(), None, None)


def is_gsheet(source: str) -> bool:
    return source.startswith(("gsheet://", "https://docs.google.com/"))


def _fingerprint_before(source: str) -> InputFingerprint | None:
    """A file's fingerprint taken before it is read (what was read is at least this old);
    None for a Google Sheet (fingerprinted from its values) or a file that cannot be
    opened (missing, a folder, no permission: the reader says so, as a ReadError)."""
    if is_gsheet(source):
        return None
    try:
        return fingerprint_file(source)
    except OSError:
        return None


class InputRecorder:
    """A `read` for `lotsync.pipeline.run` that fingerprints every source it reads:

        rec = InputRecorder()
        result, loaded = run(sources, opts, mapping, read=rec.read)
        rec.inputs  # list[InputFingerprint], in reading order
    """

    def __init__(self, read: Callable[[str], list] | None = None) -> None:
        self._read = read
        self.inputs: list[InputFingerprint] = []

    def read(self, source: str) -> list:
        from lotsync.pipeline import read_source
        fp = _fingerprint_before(source)
        sheets = (self._read or read_source)(source)
        return self._record(source, fp, sheets)

    __call__ = read

    def start(self, source: str) -> Callable[[], list]:
        """`read` in two steps (see `pipeline.read_sources`): the file is fingerprinted and
        its read started now (a workbook's guarded child parses on the other core while
        the next file is read); the function returned finishes it and records it.  With a
        reader that cannot start (a plain function), the file is read now."""
        starter = getattr(self._read, "start", None) if self._read is not None else None
        if starter is None:
            sheets = self.read(source)
            return lambda: sheets
        fp = _fingerprint_before(source)
        finish = starter(source)

        def done() -> list:
            return self._record(source, fp, finish())

        done.cancel = getattr(finish, "cancel", lambda: None)  # type: ignore[attr-defined]
        return done

    def _record(self, source: str, fp, sheets: list) -> list:
        if is_gsheet(source):
            fp = fingerprint_values(source, sheets)
        elif fp is None:
            fp = fingerprint_file(source)
        self.inputs.append(fp)
        return sheets


# --- opening ------------------------------------------------------------------------------


def default_history_path(folder: Path) -> Path:
    return Path(folder) / DEFAULT_HISTORY


def open_history(path: str | Path, create: bool = True) -> "History":
    """Open (creating it when `create`) the history at `path`, migrating an older schema.

    HistoryError (one line) for a newer schema, a file that is not a lotsync history, or
    (create=False) a history that does not exist yet.
    """
    p = Path(path)
    if not p.exists():
        if not create:
            raise HistoryError(f"{p}: no run history yet (lotsync reconcile writes it)")
        p.parent.mkdir(parents=True, exist_ok=True)
    elif p.is_dir():
        raise HistoryError(f"{p}: is a folder; the history is a file (e.g. {p / 'history.sqlite'})")
    elif p.stat().st_size:
        with open(p, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise HistoryError(f"{p}: not a lotsync run history (not an SQLite database)")
    try:
        conn = sqlite3.connect(p, timeout=LOCK_WAIT_SECONDS, isolation_level=None)
    except sqlite3.Error as e:
        raise HistoryError(f"{p}: cannot open the run history ({e})") from None
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError(
                f"{p}: this run history was written by a newer lotsync (history schema {version}; "
                f"this lotsync reads up to {SCHEMA_VERSION}); upgrade lotsync or use another --history file")
        if app_id not in (0, APPLICATION_ID):
            raise HistoryError(f"{p}: not a lotsync run history (another program's SQLite database)")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise HistoryError(f"{p}: cannot use WAL mode here (journal_mode={mode})")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if version < SCHEMA_VERSION:
            _upgrade(conn, p)
    except HistoryError:
        conn.close()
        raise
    except sqlite3.DatabaseError as e:
        conn.close()
        raise HistoryError(f"{p}: the run history cannot be read ({e})") from None
    return History(p, conn)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _upgrade(conn: sqlite3.Connection, p: Path) -> None:
    """Create or migrate to SCHEMA_VERSION in one transaction (another process may be
    doing the same: the version is read again once the write lock is held)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            tables = _tables(conn)
            if version == 0 and not tables:
                for stmt in SCHEMA_V1.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
            elif version == 0 and {"runs", "findings"} <= tables:
                _migrate_v0_to_v1(conn)
            elif version == 1 and "run" in tables:
                pass
            else:
                raise HistoryError(f"{p}: not a lotsync run history (unknown tables, schema {version})")
            if "posted_journal" not in _tables(conn):  # version 1 -> 2: posted journals
                for stmt in SCHEMA_V2.split(";"):
                    if stmt.strip():
                        conn.execute(stmt)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _migrate_v0_to_v1(conn: sqlite3.Connection) -> None:
    """Version 0 (lotsync's first history): `runs(id, ran_at, as_of, cogs, on_hand_value,
    errors, warnings)` and `findings(run_id, id, code, severity)`. Everything it has is
    kept; what it lacks (inputs, options, messages) stays empty; status, first_seen and
    the new/resolved counts are worked out run by run as if they had been recorded."""
    for stmt in SCHEMA_V1.split(";"):
        if stmt.strip():
            conn.execute(stmt)
    runs = conn.execute("SELECT id, ran_at, as_of, cogs, on_hand_value, errors, warnings "
                        "FROM runs ORDER BY id").fetchall()
    prev_ids: set[str] | None = None
    prev_run: int | None = None
    for run_id, ran_at, as_of, cogs, on_hand, errors, warnings in runs:
        rows = conn.execute("SELECT id, code, severity FROM findings WHERE run_id = ? ORDER BY id",
                            (run_id,)).fetchall()
        ids = {r[0] for r in rows}
        run_date = str(ran_at)[:10]
        totals = {k: v for k, v in (("cogs", cogs), ("on_hand_value", on_hand)) if v is not None}
        infos = sum(1 for r in rows if r[2] == "info")
        conn.execute(
            "INSERT INTO run (run_id, started_at, finished_at, run_date, as_of, totals, errors, warnings,"
            " infos, previous_run_id, new_findings, resolved_findings) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (run_id, ran_at, ran_at, run_date, as_of, json.dumps(totals), errors, warnings, infos,
             prev_run, len(ids - (prev_ids or set())), len((prev_ids or set()) - ids) if prev_ids is not None else 0))
        conn.executemany("INSERT OR IGNORE INTO finding_seen VALUES (?, ?, ?)",
                         [(i, run_id, run_date) for i in sorted(ids)])
        conn.executemany(
            "INSERT INTO run_finding (run_id, finding_id, code, severity, status) VALUES (?,?,?,?,?)",
            [(run_id, i, code, sev, "ongoing" if prev_ids and i in prev_ids else "new")
             for i, code, sev in rows])
        prev_ids, prev_run = ids, run_id
    conn.execute("DROP TABLE findings")
    conn.execute("DROP TABLE runs")


# --- the history --------------------------------------------------------------------------


def _dec(v: Any) -> Decimal | None:
    if v is None:
        return None
    return Decimal(str(v))


def _json_default(o: Any) -> Any:
    if isinstance(o, (Decimal, Path)):
        return str(o)
    if isinstance(o, (dt.date, dt.datetime)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, default=_json_default, sort_keys=True, ensure_ascii=False)


class History:
    """An open run history. Use `lock()` around a whole run; `record_run` once per run."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._lock_fd: int | None = None
        self._lock_depth = 0

    # -- lifecycle

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def lock(self, wait: float | None = None) -> Iterator[None]:
        """Hold the exclusive run lock (re-entrant within this History). Waits up to `wait`
        seconds (default LOCK_WAIT_SECONDS), then raises HistoryError."""
        if self._lock_fd is not None:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        wait = LOCK_WAIT_SECONDS if wait is None else wait
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise HistoryError(
                        f"another lotsync run is using {self.path}; try again when it finishes") from None
                time.sleep(0.05)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass
        self._lock_fd = fd
        try:
            yield
        finally:
            self._lock_fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- writing

    def record_run(self, result, report: dict | None = None, inputs: Iterable[InputFingerprint] = (),
                   options: dict | None = None, started_at: dt.datetime | None = None, *,
                   practice: str | None = None) -> RunRecord:
        """Record one run in ONE transaction (committed before it returns) and return its
        place in the history.

        `report` is `report_dict(result)` (what report.json holds; computed when None);
        `inputs` the fingerprints of every source; `options` the settings the run used
        (JSON-able; Decimal, date and Path are written as text); `started_at` when the run
        began (aware local time is best; default now); `practice` the practice's name
        ("the previous run" is the latest of the same practice). Takes the lock if the
        caller has not.
        """
        with self.recording(result, report, inputs, options, started_at, practice=practice) as record:
            pass
        return record

    @contextmanager
    def recording(self, result, report: dict | None = None, inputs: Iterable[InputFingerprint] = (),
                  options: dict | None = None, started_at: dt.datetime | None = None, *,
                  practice: str | None = None) -> Iterator[RunRecord]:
        """`record_run`, but the transaction stays open while the block runs: commit when
        it ends, roll back when it raises (or the process dies). Write the outputs in the
        block, and a run is in the history only if its outputs were written:

            with history.recording(result, report, inputs, options, started_at) as record:
                write_outputs(apply_history(report, record))
        """
        if report is None:
            from lotsync.writers.json_report import report_dict
            report = report_dict(result)
        started_at = started_at or dt.datetime.now().astimezone()
        inputs = list(inputs)
        findings = report["findings"]
        run_date = started_at.date().isoformat()
        with self.lock():
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                prev = conn.execute("SELECT run_id FROM run WHERE practice IS ? ORDER BY run_id DESC LIMIT 1",
                                    (practice,)).fetchone()
                prev_id = prev[0] if prev else None
                prev_findings: dict[str, PastFinding] = {}
                prev_inputs: dict[str, InputFingerprint] = {}
                if prev_id is not None:
                    prev_findings = {f.id: f for f in self._past_findings(prev_id)}
                    prev_inputs = {i.source: i for i in self._inputs(prev_id)}
                finished = dt.datetime.now(started_at.tzinfo)
                s = report["summary"]
                cur = conn.execute(
                    "INSERT INTO run (started_at, finished_at, run_date, as_of, practice, lotsync_version,"
                    " options, totals, summary, errors, warnings, infos, previous_run_id)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (started_at.isoformat(), finished.isoformat(), run_date, _iso(report.get("as_of", result.as_of)),
                     practice, report.get("generated_by"), _dumps(options or {}), _dumps(report["totals"]),
                     _dumps(s), s["errors"], s["warnings"], s["infos"], prev_id))
                run_id = cur.lastrowid
                ids = [f["id"] for f in findings]
                conn.executemany("INSERT OR IGNORE INTO finding_seen VALUES (?, ?, ?)",
                                 [(i, run_id, run_date) for i in ids])
                conn.executemany(
                    "INSERT OR IGNORE INTO run_finding (run_id, finding_id, code, severity, status, product, lot,"
                    " location, date, value, message, file, sheet, row, cell) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(run_id, f["id"], f["code"], f["severity"], "ongoing" if f["id"] in prev_findings else "new",
                      f.get("product"), f.get("lot"), f.get("location"), _iso(f.get("date")),
                      None if f.get("value") is None else str(f["value"]), f.get("message"),
                      *_source_cols(f.get("source"))) for f in findings])
                first_seen = dict(conn.execute(
                    "SELECT rf.finding_id, fs.first_seen FROM run_finding rf JOIN finding_seen fs"
                    " ON fs.finding_id = rf.finding_id WHERE rf.run_id = ?", (run_id,)).fetchall())
                conn.executemany("INSERT INTO run_input VALUES (?, ?, ?, ?, ?)",
                                 [(run_id, i.source, i.sha256, i.size, i.mtime)
                                  for i in {i.source: i for i in inputs}.values()])
                current = set(ids)
                resolved = tuple(sorted(set(prev_findings) - current))
                statuses = {i: FindingHistory("ongoing" if i in prev_findings else "new",
                                              dt.date.fromisoformat(first_seen[i])) for i in ids}
                new_count = sum(1 for h in statuses.values() if h.status == "new")
                unchanged = _same_inputs(inputs, prev_inputs) if prev_id is not None else False
                conn.execute("UPDATE run SET new_findings = ?, resolved_findings = ?, inputs_unchanged = ?"
                             " WHERE run_id = ?", (new_count, len(resolved), int(unchanged), run_id))
                yield RunRecord(run_id=run_id, previous_run_id=prev_id, started_at=started_at,
                                findings=statuses, resolved=resolved,
                                resolved_findings=tuple(prev_findings[i] for i in resolved),
                                inputs_unchanged=unchanged)
                if _before_commit is not None:
                    _before_commit()
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # -- posted journals (lotsync journal --post)

    def posted(self, practice: str | None = None) -> list:
        """Every posted journal line of `practice`, oldest post first (books.journal.PostedLine)."""
        from lotsync.books.journal import PostedLine, RowMark
        out = []
        for month, for_month, loc, account, net, rows in self.conn.execute(
                "SELECT j.month, l.for_month, l.location, l.account, l.net_cents, l.rows FROM posted_line l"
                " JOIN posted_journal j ON j.post_id = l.post_id WHERE coalesce(j.practice, '') = ?"
                " ORDER BY j.post_id, l.line_no", (practice or "",)):
            out.append(PostedLine(month, for_month, loc, account, net,
                                  tuple(RowMark(*r) for r in json.loads(rows))))
        return out

    def posted_month(self, month: str, practice: str | None = None) -> str | None:
        """When `month` was posted (ISO time), or None."""
        row = self.conn.execute("SELECT posted_at FROM posted_journal WHERE coalesce(practice, '') = ?"
                                " AND month = ?", (practice or "", month)).fetchone()
        return row[0] if row else None

    def post_journal(self, month: str, lines: list, as_of: dt.date, practice: str | None = None,
                     fmt: str | None = None, posted_at: dt.datetime | None = None) -> int:
        """Record a journal as posted (one transaction). HistoryError when the month was
        posted already: a posted month stays closed."""
        posted_at = posted_at or dt.datetime.now().astimezone()
        with self.lock():
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                was = self.posted_month(month, practice)
                if was is not None:
                    raise HistoryError(
                        f"{month} was posted on {was[:10]} and stays closed; changes to it go into the "
                        "current month's journal as an adjusting entry")
                cur = conn.execute("INSERT INTO posted_journal (practice, month, posted_at, as_of, format)"
                                   " VALUES (?,?,?,?,?)", (practice, month, posted_at.isoformat(),
                                                           as_of.isoformat(), fmt))
                post_id = cur.lastrowid
                conn.executemany(
                    "INSERT INTO posted_line VALUES (?,?,?,?,?,?,?)",
                    [(post_id, i, l.for_month, l.location, l.account, l.net,
                      json.dumps([[r.file, r.sheet, r.fingerprint, r.value, r.where] for r in l.rows],
                                 ensure_ascii=False)) for i, l in enumerate(lines)])
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return post_id

    # -- reading

    def count(self) -> int:
        return self.conn.execute("SELECT count(*) FROM run").fetchone()[0]

    def runs(self, practice: Any = ALL) -> list[RunSummary]:
        """Every run, oldest first (only `practice`'s when given)."""
        sql = f"SELECT {_SUMMARY_COLS} FROM run"
        args: tuple = ()
        if practice is not ALL:
            sql += " WHERE practice IS ?"
            args = (practice,)
        return [_summary(r) for r in self.conn.execute(sql + " ORDER BY run_id", args)]

    def run(self, n: int) -> RunDetail:
        """One run in full (HistoryError when there is no run `n`)."""
        row = self.conn.execute(f"SELECT {_SUMMARY_COLS}, finished_at, lotsync_version, options, totals"
                                " FROM run WHERE run_id = ?", (n,)).fetchone()
        if row is None:
            last = self.conn.execute("SELECT min(run_id), max(run_id) FROM run").fetchone()
            have = f"runs {last[0]} to {last[1]}" if last[0] is not None else "no runs yet"
            raise HistoryError(f"{self.path}: no run {n} ({have})")
        summary = _summary(row[:len(_SUMMARY_FIELDS)])
        finished_at, version, options, totals = row[len(_SUMMARY_FIELDS):]
        findings = [
            {"id": r[0], "code": r[1], "severity": r[2], "status": r[3], "first_seen": r[4],
             "product": r[5], "lot": r[6], "location": r[7], "date": r[8], "value": _dec(r[9]),
             "message": r[10], "source": {"file": r[11], "sheet": r[12], "row": r[13], "cell": r[14]}}
            for r in self.conn.execute(
                "SELECT rf.finding_id, code, severity, status, fs.first_seen, product, lot, location, date,"
                " value, message, file, sheet, row, cell FROM run_finding rf LEFT JOIN finding_seen fs"
                " ON fs.finding_id = rf.finding_id WHERE run_id = ?"
                " ORDER BY CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END,"
                " file, sheet, row, code, rf.finding_id", (n,))]
        resolved: list[PastFinding] = []
        if summary.previous_run_id is not None:
            now = {f["id"] for f in findings}
            resolved = [f for f in self._past_findings(summary.previous_run_id) if f.id not in now]
        return RunDetail(summary=summary, finished_at=finished_at, lotsync_version=version,
                         options=json.loads(options or "{}"),
                         totals={k: _dec(v) for k, v in json.loads(totals or "{}").items()},
                         inputs=self._inputs(n), findings=findings, resolved=resolved)

    def trend(self, limit: int = 12, practice: Any = ALL) -> list[TrendPoint]:
        """The last `limit` runs' totals, oldest first: COGS, on-hand value, expired
        on-hand value (None where a run did not record it) and open errors."""
        sql = "SELECT run_id, started_at, as_of, totals, errors FROM run"
        args: tuple = ()
        if practice is not ALL:
            sql += " WHERE practice IS ?"
            args = (practice,)
        rows = self.conn.execute(sql + " ORDER BY run_id DESC LIMIT ?", args + (max(0, int(limit)),)).fetchall()
        out = []
        for run_id, started_at, as_of, totals, errors in reversed(rows):
            t = json.loads(totals or "{}")
            out.append(TrendPoint(run_id, started_at, as_of, _dec(t.get("cogs")), _dec(t.get("on_hand_value")),
                                  _dec(t.get("expired_on_hand_value")), errors))
        return out

    def integrity_ok(self) -> bool:
        return self.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def _past_findings(self, run_id: int) -> list[PastFinding]:
        return [PastFinding(*r) for r in self.conn.execute(
            "SELECT finding_id, code, severity, message, product, lot, location, file, sheet, row, cell"
            " FROM run_finding WHERE run_id = ? ORDER BY finding_id", (run_id,))]

    def _inputs(self, run_id: int) -> list[InputFingerprint]:
        return [InputFingerprint(*r) for r in self.conn.execute(
            "SELECT source, sha256, size, mtime FROM run_input WHERE run_id = ? ORDER BY source", (run_id,))]


_SUMMARY_FIELDS = ("run_id", "started_at", "as_of", "practice", "errors", "warnings", "infos", "new_findings",
                   "resolved_findings", "inputs_unchanged", "totals", "previous_run_id")
_SUMMARY_COLS = ", ".join(_SUMMARY_FIELDS)


def _summary(r: tuple) -> RunSummary:
    (run_id, started_at, as_of, practice, errors, warnings, infos, new, resolved, unchanged, totals,
     prev) = r
    t = json.loads(totals or "{}")
    return RunSummary(run_id, started_at, as_of, practice, errors, warnings, infos, new, resolved,
                      None if unchanged is None else bool(unchanged), _dec(t.get("cogs")),
                      _dec(t.get("on_hand_value")), prev)


def _iso(v: Any) -> str | None:
    if v is None:
        return None
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)


def _source_cols(s: dict | None) -> tuple:
    s = s or {}
    return (s.get("file"), s.get("sheet"), s.get("row"), s.get("cell"))


def _same_inputs(now: list[InputFingerprint], before: dict[str, InputFingerprint]) -> bool:
    if not now or not before:
        return False
    current = {i.source: i for i in now}
    return current.keys() == before.keys() and all(current[k].same_content(before[k]) for k in current)


# --- report.json --------------------------------------------------------------------------


def apply_history(report: dict, record: RunRecord) -> dict:
    """report.json's dict with each finding's `status` and `first_seen` and a top-level
    `history: {run_id, previous_run_id, resolved, inputs_unchanged}` (a new dict; the
    given one is not changed)."""
    out = dict(report)
    findings = []
    for f in report["findings"]:
        h = record.findings.get(f["id"])
        findings.append({**f, "status": h.status if h else "new",
                         "first_seen": h.first_seen if h else record.started_at.date()})
    out["findings"] = findings
    out["history"] = {"run_id": record.run_id, "previous_run_id": record.previous_run_id,
                      "resolved": list(record.resolved), "inputs_unchanged": record.inputs_unchanged}
    return out


# --- text for `lotsync history` -----------------------------------------------------------


def _money(v: Decimal | None) -> str:
    if v is None:
        return "—"
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v).quantize(Decimal('0.01')):,}"


def format_runs(runs: list[RunSummary]) -> str:
    """`lotsync history`: one line a run, oldest first."""
    if not runs:
        return "No runs recorded yet."
    lines = [f"{'run':>4}  {'started':<19}  {'as of':<10}  {'errors':>6}  {'warn':>5}  {'new':>4}  "
             f"{'resolved':>8}  {'COGS':>12}  {'on hand':>12}  note"]
    for r in runs:
        note = []
        if r.practice:
            note.append(r.practice)
        if r.inputs_unchanged:
            note.append("inputs unchanged")
        lines.append(
            f"{r.run_id:>4}  {r.started_at[:19].replace('T', ' '):<19}  {r.as_of:<10}  {r.errors:>6}  {r.warnings:>5}  "
            f"{'—' if r.new is None else r.new:>4}  {'—' if r.resolved is None else r.resolved:>8}  "
            f"{_money(r.cogs):>12}  {_money(r.on_hand_value):>12}  {', '.join(note)}".rstrip())
    return "\n".join(lines)


def format_run(d: RunDetail) -> str:
    """`lotsync history --run N`: what the run found, new first, then what it resolved."""
    s = d.summary
    lines = [f"Run {s.run_id}" + (f" ({s.practice})" if s.practice else "") +
             f": started {s.started_at}, as of {s.as_of}"
             + (f", after run {s.previous_run_id}" if s.previous_run_id else ", the first run"),
             f"  {s.errors} errors, {s.warnings} warnings, {s.infos} info; "
             f"{'?' if s.new is None else s.new} new, {'?' if s.resolved is None else s.resolved} resolved"
             + ("; inputs unchanged" if s.inputs_unchanged else "")]
    if d.totals:
        lines.append("  " + " · ".join(f"{k.replace('_', ' ')} {_money(v)}" for k, v in d.totals.items()
                                       if k in ("cogs", "on_hand_value", "expired_on_hand_value", "expiring_value")))
    if d.inputs:
        lines.append("Inputs:")
        lines += [f"  {Path(i.source).name if not is_gsheet(i.source) else i.source}  sha256 {i.sha256[:12]}"
                  + (f"  {i.size:,} bytes" if i.size is not None else "") for i in d.inputs]
    for title, wanted in (("New", "new"), ("Ongoing", "ongoing")):
        fs = [f for f in d.findings if f["status"] == wanted]
        if fs:
            lines.append(f"{title} ({len(fs)}):")
            lines += [f"  {f['id']}  {f['severity']:<7} {f['code']:<20} {_where(f['source'])}  "
                      f"{f['message'] or ''}".rstrip() + (f"  (since {f['first_seen']})" if wanted == "ongoing" else "")
                      for f in fs]
    if d.resolved:
        lines.append(f"Resolved since run {s.previous_run_id} ({len(d.resolved)}):")
        lines += [f"  {f.id}  {f.severity:<7} {f.code:<20} "
                  f"{_where({'file': f.file, 'sheet': f.sheet, 'cell': f.cell, 'row': f.row})}".rstrip()
                  for f in d.resolved]
    return "\n".join(lines)


def _where(src: dict) -> str:
    parts = [Path(src["file"]).name if src.get("file") and not is_gsheet(src["file"]) else src.get("file"),
             src.get("sheet"), src.get("cell") or (f"row {src['row']}" if src.get("row") else None)]
    return " › ".join(str(p) for p in parts if p)


def to_jsonable(obj: Any) -> Any:
    """RunSummary / RunDetail / TrendPoint (or lists of them) as plain JSON values, for
    `lotsync history --json`: Decimal as a string of its exact digits, dates as ISO text."""
    from dataclasses import asdict, is_dataclass
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable(asdict(obj))
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    return obj
