"""Write lotsync's corrections back into a clinic's Google Sheets spreadsheet.

`write_back()` is given plain data (the cells to change with their old and new values and a
note each, the findings table, the summary table) and makes, per spreadsheet:

1. `spreadsheets.get` (metadata): tab titles, sheet ids, grid sizes. A changed tab that no
   longer exists, or a cell now outside its tab, is refused (`WriteBackConflict`).
2. `spreadsheets.get` of the changed ranges (one range per changed column of each tab, cell
   values and notes; skipped when there are no changes): the guard. If any cell's current
   value differs from the `old` value lotsync read, a person edited it since the read:
   `WriteBackConflict` names the tab and cell (never its contents) and nothing is written.
3. ONE `spreadsheets.batchUpdate` holding, in this order:
   a. `duplicateSheet` of each tab to be changed into `<tab> (before lotsync YYYY-MM-DD)`
      (then ` 2`, ` 3` if taken), placed after the last tab: values, formats and notes as
      they were;
   b. one `updateCells` per changed cell, `fields="userEnteredValue,note"`: the new value
      (`numberValue`/`stringValue`: stored as-is, never parsed, so never a formula; the
      same as valueInputOption RAW) and the note. A note a person had already put on the
      cell is kept; an earlier lotsync note (a paragraph starting `lotsync YYYY-MM-DD:`) is
      replaced. A cell that holds a formula keeps it (`fields="note"`): only the note is
      added, and the report lists it under `formula_cells`, not `cells_changed`;
   c. `lotsync findings` and `lotsync summary`: added (`addSheet`, header row frozen) or,
      if present, grown if needed (`updateSheetProperties`), cleared (`updateCells` over the
      tab with `fields=userEnteredValue`) and rewritten (`updateCells`).
   Text cells that begin with `= + - @`, a tab, CR, LF, NUL or their full-width forms get a
   leading `'` (`lotsync.writers.safe.safe_text`, OWASP CSV injection: Sheets stores them
   as text anyway, but the tabs may be exported to CSV and opened in Excel).

Why one `spreadsheets.batchUpdate` and not a values `batchUpdate` plus a notes
`batchUpdate`: the Sheets API applies a `batchUpdate` atomically ("if any request is not
valid, the entire update fails and nothing is applied"), while two calls can be half applied
(values changed without their notes, or notes explaining changes that never happened).
`updateCells` with `userEnteredValue` writes exactly what values RAW writes, so one call
gives the backup, the values, the notes and the report tabs together or not at all.

Failure
-------
* Before step 3 (any error, a conflict): nothing was written. `WriteBackError` /
  `WriteBackConflict`, `report.written is False`.
* Step 3 rejected outright (400, 403 such as a Viewer-only share or a protected range):
  atomic, so nothing was written (`written False`).
* Step 3 fails with 429/5xx/connection error: the response may have been lost after the
  change was applied, so lotsync does not blindly resend. The batch creates sheets with
  ids lotsync chose (the backup tabs, new report tabs); lotsync re-reads the tab ids: if they
  exist the batch was applied (success, said in `report.detail`); if not, it waits (backoff
  with jitter) and resends, up to `MAX_TRIES` tries, then says nothing was written. If even
  that re-read fails the outcome is unknown and the message says how to tell: the backup tab
  exists if and only if everything was written.
* With no cell changes and both report tabs already present, the batch only rewrites
  lotsync's own tabs, which is idempotent: it is resent freely.

What the caller passes
----------------------
`old` is the cell exactly as `read_gsheet` returned it (a number, text or None; a date is
compared as its serial), `a1` one cell of `tab` as the sheet shows it (`F12`), `new` a number
or text, `note` one or two sentences for the clinic (lotsync prefixes `lotsync YYYY-MM-DD: `),
`today` the date in the backup tab's name. The guard cannot close the second or so between
its read and the batch (the Sheets API has no conditional write); an edit made in that
window is overwritten in the tab but kept in the backup, which is copied at batch time.

Requests per write-back: 3 (metadata, guard read, batchUpdate); 2 with no cell changes; 0
with nothing at all to write. A transient failure of the batch adds one metadata re-read and
one resend per try; a transient failure of a read adds its retries. Independent of the number
of rows, tabs and changes.
"""

from __future__ import annotations

from openpyxl.utils.cell import get_column_letter

import datetime as dt
import math
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import gspread
import requests

from lotsync.readers import gsheets
from lotsync.readers.gsheets import (
    API_ERRORS,
    BlockedRequest,
    account_email,
    backoff_delay,
    describe_api_error,
    is_lotsync_tab,
    is_retriable,
    quote_tab,
    requests_made,
    status_of,
)
from lotsync.writers.safe import safe_text

__all__ = [
    "CellChange",
    "FINDINGS_TAB",
    "SUMMARY_TAB",
    "WriteBackConflict",
    "WriteBackError",
    "WriteBackReport",
    "backup_tab_name",
    "write_back",
]

FINDINGS_TAB = "lotsync findings"
SUMMARY_TAB = "lotsync summary"
MAX_TAB_TITLE = 100

META_FIELDS = (
    "spreadsheetId,properties(title),"
    "sheets(properties(sheetId,title,index,sheetType,gridProperties(rowCount,columnCount)))"
)
GUARD_FIELDS = (
    "sheets(properties(sheetId,title),data(startRow,startColumn,"
    "rowData(values(userEnteredValue,effectiveValue,formattedValue,note))))"
)

_A1_RE = re.compile(r"^\$?([A-Za-z]{1,3})\$?([1-9][0-9]*)$")
_OUR_NOTE_RE = re.compile(r"^lotsync \d{4}-\d{2}-\d{2}:")
_SHEETS_EPOCH = dt.datetime(1899, 12, 30)

Value = str | float | int | None


@dataclass(frozen=True)
class CellChange:
    """One cell to change: `a1` on `tab`, from `old` (what lotsync read) to `new`."""

    tab: str
    a1: str
    old: str | float | None
    new: float | str
    note: str


@dataclass(frozen=True)
class WriteBackReport:
    """What one write-back did to one spreadsheet.

    `written`: True (everything below was written), False (nothing was), None (unknown: see
    `detail`). `cells_changed` (new value and note), `formula_cells` (a formula left in
    place, only the note added), `backup_tabs`, `tabs_written` list what was written (empty
    unless `written` is True); `pending` lists what was planned and not (or not surely)
    written. `requests` has one line per HTTP request, retries included.
    """

    spreadsheet_id: str
    title: str | None = None
    written: bool | None = True
    requests: tuple[str, ...] = ()
    cells_changed: tuple[tuple[str, str], ...] = ()
    formula_cells: tuple[tuple[str, str], ...] = ()
    backup_tabs: tuple[str, ...] = ()
    tabs_written: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    detail: str = ""

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def lines(self) -> list[str]:
        """A short human account, one fact per line (no cell contents)."""
        name = self.title or f"gsheet://{self.spreadsheet_id}"
        out: list[str] = []
        if self.written is True:
            cells = ", ".join(f"{t}!{a}" for t, a in self.cells_changed) or "none"
            out.append(f"{name}: changed {len(self.cells_changed)} cell(s), each with a note: {cells}")
            if self.formula_cells:
                kept = ", ".join(f"{t}!{a}" for t, a in self.formula_cells)
                out.append(f"{name}: formula(s) left as they are, note added: {kept}")
            if self.backup_tabs:
                out.append(f"{name}: backup tab(s): " + ", ".join(self.backup_tabs))
            if self.tabs_written:
                out.append(f"{name}: wrote tab(s): " + ", ".join(self.tabs_written))
        elif self.written is False:
            out.append(f"{name}: nothing was written")
        else:
            out.append(f"{name}: outcome unknown")
        verb = "not written" if self.written is False else "unconfirmed"
        out.extend(f"{name}: {verb}: {p}" for p in self.pending)
        if self.detail:
            out.append(f"{name}: {self.detail}")
        out.append(f"{name}: {self.request_count} Sheets API request(s)")
        return out


class WriteBackError(Exception):
    """Write-back failed; the message (one line) and `report` say what was and wasn't written."""

    def __init__(self, message: str, report: WriteBackReport) -> None:
        super().__init__(message)
        self.report = report


class WriteBackConflict(WriteBackError):
    """Refused before writing anything: cells (or tabs) changed since lotsync read them.

    `cells` holds `(tab, a1)` pairs; the message names them, never their contents.
    """

    def __init__(self, message: str, report: WriteBackReport, cells: Sequence[tuple[str, str]]) -> None:
        super().__init__(message, report)
        self.cells = tuple(cells)


# ---------------------------------------------------------------------------------------
# Small helpers


def _parse_a1(a1: str) -> tuple[int, int]:
    """`"E7"` -> (row index 6, column index 4)."""
    m = _A1_RE.match(a1.strip())
    if not m:
        raise ValueError(f"not a single-cell A1 reference: {a1!r}")
    col = 0
    for ch in m.group(1).upper():
        col = col * 26 + (ord(ch) - 64)
    return int(m.group(2)) - 1, col - 1


def _a1(row: int, col: int) -> str:
    return f"{get_column_letter(col + 1)}{row + 1}"


def _safe_text(s: str) -> str:
    return str(safe_text(s))


def _number(v: Any) -> int | float:
    x = float(v)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {v!r}")
    return v if isinstance(v, int) else x


def _entered_value(v: Any) -> dict[str, Any]:
    """A new value for a changed cell -> `ExtendedValue` (never a formula)."""
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, (int, float, Decimal)):
        return {"numberValue": _number(v)}
    if isinstance(v, str):
        return {"stringValue": _safe_text(v)}
    raise TypeError(f"CellChange.new must be a number or text, not {type(v).__name__}")


def _table_cell(v: Any) -> dict[str, Any]:
    """A findings/summary value -> `CellData` (empty dict for a blank)."""
    if v is None or v == "":
        return {}
    if isinstance(v, bool):
        return {"userEnteredValue": {"boolValue": v}}
    if isinstance(v, (int, float, Decimal)):
        x = float(v)
        if not math.isfinite(x):
            return {"userEnteredValue": {"stringValue": str(v)}}
        return {"userEnteredValue": {"numberValue": v if isinstance(v, int) else x}}
    if isinstance(v, (dt.date, dt.datetime)):
        return {"userEnteredValue": {"stringValue": v.isoformat()}}
    return {"userEnteredValue": {"stringValue": _safe_text(str(v))}}


def _note_text(existing: str | None, note: str, today: dt.date) -> str:
    ours = note if _OUR_NOTE_RE.match(note) else f"lotsync {today.isoformat()}: {note}"
    kept = [p for p in (existing or "").split("\n\n") if p.strip() and not _OUR_NOTE_RE.match(p.strip())]
    return "\n\n".join(kept + [ours])


def _unchanged(cell: Mapping[str, Any], old: Any) -> bool:
    """Does the cell (CellData) still hold `old`, the value lotsync read?"""
    ev = cell.get("effectiveValue") or {}
    if old is None or old == "":
        return not ev or ev.get("stringValue") == ""
    if "errorValue" in ev:
        return isinstance(old, str) and cell.get("formattedValue") == old
    if isinstance(old, bool):
        return "boolValue" in ev and ev["boolValue"] is old
    if isinstance(old, (dt.date, dt.datetime)):
        base = old if isinstance(old, dt.datetime) else dt.datetime(old.year, old.month, old.day)
        serial = (base - _SHEETS_EPOCH).total_seconds() / 86400
        x = ev.get("numberValue")
        return x is not None and math.isclose(float(x), serial, abs_tol=1e-6)
    if isinstance(old, (int, float, Decimal)):
        x = ev.get("numberValue")
        return x is not None and math.isclose(float(x), float(old), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(old, str):
        return ev.get("stringValue") == old or cell.get("formattedValue") == old
    return False


def backup_tab_name(tab: str, today: dt.date, taken: set[str]) -> str:
    """`"<tab> (before lotsync YYYY-MM-DD)"`, then `" 2"`, `" 3"`... until free.

    `taken` holds case-folded titles (Sheets titles are unique ignoring case).
    """
    suffix = f" (before lotsync {today.isoformat()})"
    n = 1
    while True:
        extra = "" if n == 1 else f" {n}"
        room = MAX_TAB_TITLE - len(suffix) - len(extra)
        name = tab[:room] + suffix + extra
        if name.casefold() not in taken:
            return name
        n += 1


def _new_sheet_id(used: set[int]) -> int:
    while True:
        candidate = random.randrange(1, 2**31 - 1)
        if candidate not in used:
            used.add(candidate)
            return candidate


def _once(http: Any, call: Callable[[], Any]) -> Any:
    """Run `call` with the client's own retries off (write_back decides about resending)."""
    if not hasattr(http, "max_tries"):
        return call()
    saved = http.max_tries
    http.max_tries = 1
    try:
        return call()
    finally:
        http.max_tries = saved


def _transient(err: BaseException) -> bool:
    if isinstance(err, BlockedRequest):
        return False
    if isinstance(err, (requests.ConnectionError, requests.Timeout)):
        return True
    return is_retriable(status_of(err))


def _committed(http: Any, spreadsheet_id: str, markers: set[int]) -> bool | None:
    """Were the sheets with ids `markers` created? True / False / None (cannot tell)."""
    try:
        meta = http.spreadsheets_get(
            spreadsheet_id, params={"includeGridData": "false", "fields": "sheets(properties(sheetId))"}
        )
    except API_ERRORS:
        return None
    ids = {s.get("properties", {}).get("sheetId") for s in meta.get("sheets", []) or []}
    if markers <= ids:
        return True
    if not markers & ids:
        return False
    return None


# ---------------------------------------------------------------------------------------
# The write-back


@dataclass
class _Plan:
    requests: list[dict[str, Any]] = field(default_factory=list)
    cells: list[tuple[str, str]] = field(default_factory=list)
    formulas: list[tuple[str, str]] = field(default_factory=list)
    backups: list[str] = field(default_factory=list)
    tabs: list[str] = field(default_factory=list)
    markers: dict[int, str] = field(default_factory=dict)  # created sheet id -> its title

    def pending(self) -> tuple[str, ...]:
        out = [f"{len(self.cells)} cell value(s) and note(s): " + ", ".join(f"{t}!{a}" for t, a in self.cells)] if self.cells else []
        if self.formulas:
            out.append(f"{len(self.formulas)} note(s) on formula cells: " + ", ".join(f"{t}!{a}" for t, a in self.formulas))
        out += [f"backup tab {b!r}" for b in self.backups]
        out += [f"tab {t!r}" for t in self.tabs]
        return tuple(out)


def write_back(
    client: gspread.Client,
    spreadsheet_id: str,
    changes: Sequence[CellChange],
    findings_table: Sequence[Sequence[Value]] | None,
    summary_table: Sequence[Sequence[Value]] | None,
    today: dt.date,
) -> WriteBackReport:
    """Apply `changes` (guarded, backed up, noted) and write the findings and summary tabs.

    `findings_table` / `summary_table`: rows of cells, header first; None leaves that tab
    alone. Raises `WriteBackConflict` when a person changed a cell (or a tab) since the read,
    `WriteBackError` for any other failure (both carry `.report`); `ValueError` or `TypeError`
    for a bad argument (an A1 that is not one cell, a change aimed at a lotsync tab, the same
    cell twice, a `new` that is not a finite number or text), before any request.
    """
    http = client.http_client
    log = getattr(http, "log", None)
    log_start = len(log) if log is not None else 0
    count_start = requests_made(client)
    label = f"gsheet://{spreadsheet_id}"
    email = account_email(client)
    title: str | None = None
    plan = _Plan()

    def report(written: bool | None, detail: str = "") -> WriteBackReport:
        if log is not None:
            made = tuple(log[log_start:])
        else:
            made = tuple(f"request {i + 1}" for i in range(requests_made(client) - count_start))
        done = written is True
        return WriteBackReport(
            spreadsheet_id=spreadsheet_id,
            title=title,
            written=written,
            requests=made,
            cells_changed=tuple(plan.cells) if done else (),
            formula_cells=tuple(plan.formulas) if done else (),
            backup_tabs=tuple(plan.backups) if done else (),
            tabs_written=tuple(plan.tabs) if done else (),
            pending=() if done else plan.pending(),
            detail=detail,
        )

    def fail(err: BaseException, outcome: str, written: bool | None) -> WriteBackError:
        message = describe_api_error(err, label + (f" ({title})" if title else ""), email, writing=True)
        return WriteBackError(f"{message}; {outcome}", report(written, outcome))

    nothing = "nothing was written (no cell, note or tab changed)"

    # -- argument checks (no request yet) ---------------------------------------------
    parsed: list[tuple[CellChange, int, int]] = []
    seen: set[tuple[str, int, int]] = set()
    for ch in changes:
        if is_lotsync_tab(ch.tab):
            raise ValueError(f"refusing to change a lotsync tab: {ch.tab!r}")
        r, c = _parse_a1(ch.a1)
        if (ch.tab, r, c) in seen:
            raise ValueError(f"the same cell is changed twice: {ch.tab}!{ch.a1}")
        seen.add((ch.tab, r, c))
        _entered_value(ch.new)  # type check before any request
        parsed.append((ch, r, c))

    if not parsed and findings_table is None and summary_table is None:
        return report(True, "nothing to write")

    # -- 1. metadata ------------------------------------------------------------------
    try:
        meta = http.spreadsheets_get(spreadsheet_id, params={"includeGridData": "false", "fields": META_FIELDS})
    except API_ERRORS as err:
        raise fail(err, nothing, False) from err
    title = (meta.get("properties") or {}).get("title")
    where = f"{label} ({title})" if title else label
    all_props = [s.get("properties", {}) for s in meta.get("sheets", []) or []]
    by_title = {p.get("title"): p for p in all_props}
    by_fold = {str(p.get("title", "")).casefold(): p for p in all_props}

    missing = sorted({ch.tab for ch, _, _ in parsed if ch.tab not in by_title})
    outside = [
        (ch.tab, _a1(r, c))
        for ch, r, c in parsed
        if ch.tab in by_title
        and (
            r >= by_title[ch.tab].get("gridProperties", {}).get("rowCount", 1000)
            or c >= by_title[ch.tab].get("gridProperties", {}).get("columnCount", 26)
        )
    ]
    if missing or outside:
        why = []
        if missing:
            why.append("tab(s) " + ", ".join(repr(t) for t in missing) + " no longer exist (renamed or deleted)")
        if outside:
            why.append("cell(s) " + ", ".join(f"{t}!{a}" for t, a in outside) + " are outside their tab now (rows or columns deleted)")
        cells = [(ch.tab, _a1(r, c)) for ch, r, c in parsed if ch.tab in missing] + outside
        message = f"{where}: refused: {'; '.join(why)} since lotsync read the spreadsheet; {nothing}; run lotsync again"
        raise WriteBackConflict(message, report(False, nothing), cells)

    # -- 2. guard: re-read the changed cells --------------------------------------------
    current: dict[tuple[str, int, int], Mapping[str, Any]] = {}
    if parsed:
        spans: dict[tuple[str, int], list[int]] = {}
        for ch, r, c in parsed:
            spans.setdefault((ch.tab, c), []).append(r)
        ranges = [
            f"{quote_tab(tab)}!{get_column_letter(c + 1)}{min(rows) + 1}:{get_column_letter(c + 1)}{max(rows) + 1}"
            for (tab, c), rows in spans.items()
        ]
        try:
            grid = http.spreadsheets_get(spreadsheet_id, params={"ranges": ranges, "fields": GUARD_FIELDS})
        except API_ERRORS as err:
            raise fail(err, nothing, False) from err
        for sheet in grid.get("sheets", []) or []:
            t = (sheet.get("properties") or {}).get("title")
            for block in sheet.get("data", []) or []:
                r0, c0 = int(block.get("startRow", 0)), int(block.get("startColumn", 0))
                for i, row in enumerate(block.get("rowData", []) or []):
                    for j, cd in enumerate(row.get("values", []) or []):
                        current[(t, r0 + i, c0 + j)] = cd
        conflicts = [(ch.tab, _a1(r, c)) for ch, r, c in parsed if not _unchanged(current.get((ch.tab, r, c), {}), ch.old)]
        if conflicts:
            shown = ", ".join(f"{t}!{a}" for t, a in conflicts[:10])
            more = f" and {len(conflicts) - 10} more" if len(conflicts) > 10 else ""
            message = (
                f"{where}: refused: {len(conflicts)} cell(s) changed since lotsync read the spreadsheet"
                f" ({shown}{more}); {nothing}; run lotsync again to reconcile the current values"
            )
            raise WriteBackConflict(message, report(False, nothing), conflicts)

    # -- 3. plan the single batchUpdate --------------------------------------------------
    used_ids = {int(p.get("sheetId", 0)) for p in all_props}
    taken = {str(p.get("title", "")).casefold() for p in all_props}
    position = len(all_props)
    changed_tabs: list[str] = []
    for ch, _, _ in parsed:
        if ch.tab not in changed_tabs:
            changed_tabs.append(ch.tab)
    for tab in changed_tabs:
        name = backup_tab_name(tab, today, taken)
        taken.add(name.casefold())
        new_id = _new_sheet_id(used_ids)
        plan.requests.append(
            {
                "duplicateSheet": {
                    "sourceSheetId": by_title[tab]["sheetId"],
                    "insertSheetIndex": position,
                    "newSheetId": new_id,
                    "newSheetName": name,
                }
            }
        )
        position += 1
        plan.backups.append(name)
        plan.markers[new_id] = name
    for ch, r, c in parsed:
        cell = current.get((ch.tab, r, c), {})
        note = _note_text(cell.get("note"), ch.note, today)
        if "formulaValue" in (cell.get("userEnteredValue") or {}):
            # a formula stays a formula: a constant over it would break the sheet's logic
            data: dict[str, Any] = {"note": note}
            plan.formulas.append((ch.tab, _a1(r, c)))
        else:
            data = {"userEnteredValue": _entered_value(ch.new), "note": note}
            plan.cells.append((ch.tab, _a1(r, c)))
        plan.requests.append(
            {
                "updateCells": {
                    "start": {"sheetId": by_title[ch.tab]["sheetId"], "rowIndex": r, "columnIndex": c},
                    "rows": [{"values": [data]}],
                    "fields": ",".join(data),
                }
            }
        )
    for name, table in ((FINDINGS_TAB, findings_table), (SUMMARY_TAB, summary_table)):
        if table is None:
            continue
        rows = [{"values": [_table_cell(v) for v in row]} for row in table]
        height = len(rows)
        width = max((len(row) for row in table), default=0)
        props = by_fold.get(name.casefold())
        if props is not None:
            sheet_id = int(props["sheetId"])
            grid_props = props.get("gridProperties", {})
            have_rows = int(grid_props.get("rowCount", 0))
            have_cols = int(grid_props.get("columnCount", 0))
            if height > have_rows or width > have_cols:
                plan.requests.append(
                    {
                        "updateSheetProperties": {
                            "properties": {
                                "sheetId": sheet_id,
                                "gridProperties": {
                                    "rowCount": max(have_rows, height),
                                    "columnCount": max(have_cols, width),
                                },
                            },
                            "fields": "gridProperties/rowCount,gridProperties/columnCount",
                        }
                    }
                )
            plan.requests.append({"updateCells": {"range": {"sheetId": sheet_id}, "fields": "userEnteredValue"}})
            tab_title = str(props.get("title"))
        else:
            sheet_id = _new_sheet_id(used_ids)
            grid_props = {"rowCount": max(height, 1) + 1, "columnCount": max(width, 1)}
            if height > 1:
                grid_props["frozenRowCount"] = 1
            plan.requests.append(
                {
                    "addSheet": {
                        "properties": {
                            "sheetId": sheet_id,
                            "title": name,
                            "index": position,
                            "sheetType": "GRID",
                            "gridProperties": grid_props,
                        }
                    }
                }
            )
            position += 1
            plan.markers[sheet_id] = name
            tab_title = name
        if rows:
            plan.requests.append(
                {
                    "updateCells": {
                        "start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0},
                        "rows": rows,
                        "fields": "userEnteredValue",
                    }
                }
            )
        plan.tabs.append(tab_title)

    if not plan.requests:
        return report(True, "nothing to write")

    # -- 4. send it, never applying it twice ---------------------------------------------
    body = {"requests": plan.requests}
    markers = set(plan.markers)
    marker_name = next(iter(plan.markers.values()), None)
    tries = max(1, gsheets.MAX_TRIES)
    failures = 0
    while True:
        try:
            _once(http, lambda: http.batch_update(spreadsheet_id, body))
            return report(True, "")
        except API_ERRORS as err:
            if not _transient(err):
                raise fail(err, nothing, False) from err
            failures += 1
            if markers:
                applied = _committed(http, spreadsheet_id, markers)
                if applied is True:
                    return report(
                        True,
                        "the Sheets API reported an error, but the change had been applied (checked: its new tabs exist)",
                    )
                if applied is None:
                    unknown = (
                        f"the outcome is unknown: if the tab {marker_name!r} exists in the spreadsheet, every"
                        " change, note and tab listed was written; if it does not, none was"
                    )
                    raise fail(err, unknown, None) from err
            if failures >= tries:
                err.lotsync_tries = failures  # type: ignore[attr-defined]
                if markers:
                    raise fail(err, nothing + " (checked)", False) from err
                raise fail(
                    err,
                    "the lotsync findings and summary tabs may not have been refreshed; no other cell was touched",
                    None,
                ) from err
            getattr(http, "sleep", time.sleep)(backoff_delay(failures - 1))
