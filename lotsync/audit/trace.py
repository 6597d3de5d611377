"""Recall: trace a lot to every patient who received it, and a patient to every lot.

Pure functions over a `Result` reconciled with `Options(keep_movements=True)` (the ledger's
movements are the trace: every change to a lot's balance, with the row that made it).

- `trace_lot(result, "Lot: C3709C3")`: the lot key (SPEC §1) across every product and
  location; its receipts, every use (recorded on the visit row first, then inferred by
  SPEC §2 lot inference), waste, transfers, returns, expired write-offs, adjustments,
  counts and what is on hand where. The units add up:
  received + transferred in - transferred out - used - wasted - expired - returned
  + adjusted + count variance = on hand (transfers cancel out over all locations).
  Visit rows that *wrote* this lot but were booked to another (a typo'd or mismatched lot:
  `UNKNOWN_LOT`, `LOT_PRODUCT_MISMATCH`) are listed apart as `also_recorded`: for a recall
  they are the patients whose chart names the lot. A lot never received gives
  `found=False` and the known lots within edit distance 2 (`near`).
- A visit row that repeats an earlier one (`DUPLICATE_ENTRY`, e.g. the same row in two
  overlapping exports) still takes from its lot (SPEC §3), so it is a use in the ledger's
  sums; the trace marks it `duplicate=True` and the recall list does not count it twice.
- `trace_patient(result, "Ava Thompson")`: every lot the patient received, with its
  expiration and whether it had expired on the day of use.
- `to_json(trace)`, `write_recall(trace, path)` (.xlsx or .csv, one row per patient, with
  the visit log's contact columns when it has them).
"""

from __future__ import annotations

from lotsync.errors import TraceError  # defined there, with every cannot-run error

import csv
import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from lotsync.audit.mask import normalise_patient
from lotsync.model import Source
from lotsync.reconcile.lots import LEDGER_CONTEXT, ZERO
from lotsync.reconcile.result import LotResult, Movement, Result
from lotsync.tables.values import clean_text, lot_key
from lotsync.readers.marks import mark_xlsxwriter
from lotsync.writers.safe import atomic_output, atomic_path, safe_text

GAP_CODES = ("UNKNOWN_LOT", "LOT_PRODUCT_MISMATCH")
NO_PATIENT = "(patient not recorded)"


# --- the records ----------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """One visit row's take from the lot."""

    date: dt.date | None
    patient: str | None
    provider: str | None
    location: str
    quantity: Decimal
    inferred: bool
    source: Source | None
    product: str
    lot: str
    unit: str | None = None
    visit: str | None = None
    value: Decimal | None = None
    duplicate: bool = False
    ref: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Move:
    """A non-visit movement of the lot: receipt, waste, transfer, return, expired, adjustment, count."""

    kind: str
    date: dt.date | None
    product: str
    lot: str
    location: str
    quantity: Decimal
    value: Decimal | None
    source: Source | None
    other_location: str | None = None


@dataclass(frozen=True)
class OnHand:
    product: str
    location: str
    quantity: Decimal
    expiration: dt.date | None
    unit: str | None
    status: str


@dataclass(frozen=True)
class Mention:
    """A row that wrote this lot but was booked elsewhere (or took nothing)."""

    code: str
    date: dt.date | None
    product: str | None
    lot: str | None
    location: str | None
    quantity: Decimal | None
    source: Source
    patient: str | None = None
    provider: str | None = None
    booked_to: tuple[str, ...] = ()
    ref: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class LotTrace:
    query: str
    key: str | None
    found: bool
    lot: str | None  # the displayed spelling
    products: tuple[str, ...]
    as_of: dt.date
    expiration: dt.date | None = None
    receipts: tuple[Move, ...] = ()
    uses: tuple[Use, ...] = ()
    waste: tuple[Move, ...] = ()
    transfers: tuple[Move, ...] = ()  # transfer_out movements: location -> other_location
    transfers_in: tuple[Move, ...] = ()
    returns: tuple[Move, ...] = ()
    expired: tuple[Move, ...] = ()
    adjustments: tuple[Move, ...] = ()
    counts: tuple[Move, ...] = ()
    on_hand: tuple[OnHand, ...] = ()
    also_recorded: tuple[Mention, ...] = ()
    near: tuple[str, ...] = ()

    @property
    def product(self) -> str | None:
        return " / ".join(self.products) if self.products else None

    def totals(self) -> dict[str, Decimal]:
        """Units of the lot (all products and locations) by where they went."""
        def s(items) -> Decimal:
            return sum((x.quantity for x in items), ZERO)
        with localcontext(LEDGER_CONTEXT):
            t = {
                "received": s(self.receipts), "used": s(self.uses),
                "used_recorded": s(u for u in self.uses if not u.inferred),
                "used_inferred": s(u for u in self.uses if u.inferred),
                "wasted": s(self.waste), "expired": s(self.expired), "returned": s(self.returns),
                "transferred_out": s(self.transfers), "transferred_in": s(self.transfers_in),
                "adjusted": s(self.adjustments), "count_variance": s(self.counts),
                "on_hand": s(self.on_hand),
            }
            t["unaccounted"] = (t["received"] + t["transferred_in"] - t["transferred_out"] - t["used"]
                                - t["wasted"] - t["expired"] - t["returned"] + t["adjusted"]
                                + t["count_variance"] - t["on_hand"])
        return t


@dataclass(frozen=True)
class PatientUse:
    date: dt.date | None
    product: str
    lot: str
    quantity: Decimal
    unit: str | None
    expiration: dt.date | None
    expired_on_day_of_use: bool
    inferred: bool
    location: str
    provider: str | None
    source: Source | None
    visit: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class PatientTrace:
    query: str
    found: bool
    patient: str | None  # as first written in the log
    as_of: dt.date
    uses: tuple[PatientUse, ...] = ()
    near: tuple[str, ...] = ()


# --- tracing --------------------------------------------------------------------------


def _need_movements(result: Result) -> None:
    if not result.movements and result.lots:
        raise TraceError("this result was reconciled without movements: "
                         "use Options(keep_movements=True) to trace lots")


def _src_key(s: Source | None) -> tuple | None:
    return (s.file, s.sheet, s.row) if s is not None else None


def _duplicate_rows(result: Result) -> set[tuple]:
    return {_src_key(f.source) for f in result.findings if f.code == "DUPLICATE_ENTRY"}


def _order(m: Movement) -> tuple:
    ref = m.ref
    return (m.date or dt.date.min, ref.sort_key if ref is not None else (0, 0))


def _move(m: Movement) -> Move:
    return Move(kind=m.kind, date=m.date, product=m.product, lot=m.lot, location=m.location,
                quantity=m.quantity, value=m.value, source=m.source, other_location=m.other_location)


def trace_lot(result: Result, lot_text: str) -> LotTrace:
    """Every movement of the lot whose key matches `lot_text` (SPEC §1), across products and
    locations. Raises TraceError when `lot_text` is not a lot number (blank, N/A, ...)."""
    _need_movements(result)
    key = lot_key(str(lot_text)) if lot_text is not None else None
    if key is None:
        raise TraceError(f"{lot_text!r} is not a lot number")
    lots = [l for l in result.lots if l.lot_key == key]
    units = {(l.product, l.location): l.unit for l in lots}
    dups = _duplicate_rows(result)
    uses: list[Use] = []
    buckets: dict[str, list[Move]] = defaultdict(list)
    for m in result.movements:
        if m.lot_key != key:
            continue
        if m.kind == "used":
            uses.append(Use(date=m.date, patient=m.patient, provider=m.provider, location=m.location,
                            quantity=m.quantity, inferred=m.inferred, source=m.source,
                            product=m.product, lot=m.lot, unit=units.get((m.product, m.location)),
                            visit=m.visit, value=m.value,
                            duplicate=_src_key(m.source) in dups, ref=m.ref))
        else:
            buckets[m.kind].append(_move(m))
    order = {id(u): i for i, u in enumerate(uses)}  # movements come in ledger order
    uses.sort(key=lambda u: (u.inferred, u.date or dt.date.min,
                             u.ref.sort_key if u.ref is not None else (0, 0), order[id(u)]))
    also = _also_recorded(result, key)
    if not lots:
        known = sorted({l.lot_key: l.lot for l in result.lots}.items())
        near = process.extract(key, [k for k, _ in known], scorer=Levenshtein.distance,
                               score_cutoff=2, limit=None)
        display = dict(known)
        near_lots = tuple(display[k] for k, _, _ in sorted(near, key=lambda x: (x[1], x[0])))
        return LotTrace(query=str(lot_text), key=key, found=False, lot=None, products=(),
                        as_of=result.as_of, also_recorded=also, near=near_lots)
    products = tuple(dict.fromkeys(l.product for l in lots))
    exps = [l.expiration for l in lots if l.expiration is not None]
    on_hand = tuple(OnHand(product=l.product, location=l.location, quantity=l.derived_remaining,
                           expiration=l.expiration, unit=l.unit, status=l.status)
                    for l in sorted(lots, key=lambda l: (l.location, l.product.casefold())))
    first = min(lots, key=lambda l: (l.created_by_transfer, l.received_date or dt.date.min))
    return LotTrace(
        query=str(lot_text), key=key, found=True, lot=first.lot, products=products,
        as_of=result.as_of, expiration=min(exps) if exps else None,
        receipts=tuple(buckets["received"]), uses=tuple(uses), waste=tuple(buckets["wasted"]),
        transfers=tuple(buckets["transfer_out"]), transfers_in=tuple(buckets["transfer_in"]),
        returns=tuple(buckets["returned"]), expired=tuple(buckets["expired"]),
        adjustments=tuple(buckets["adjusted"]), counts=tuple(buckets["count"]),
        on_hand=on_hand, also_recorded=also)


def _also_recorded(result: Result, key: str) -> tuple[Mention, ...]:
    """Rows whose lot cell has this key but that were booked to another lot (or none)."""
    hits = [f for f in result.findings
            if f.code in GAP_CODES and f.lot and lot_key(f.lot) == key]
    if not hits:
        return ()
    wanted = {_src_key(f.source) for f in hits}
    taken: dict[tuple, list[Movement]] = defaultdict(list)
    for m in result.movements:
        if m.kind == "used":
            sk = _src_key(m.source)
            if sk in wanted:
                taken[sk].append(m)
    out = []
    for f in hits:
        ms = taken.get(_src_key(f.source), [])
        first = ms[0] if ms else None
        out.append(Mention(code=f.code, date=f.date, product=f.product, lot=f.lot,
                           location=f.location, quantity=f.quantity, source=f.source,
                           patient=first.patient if first else None,
                           provider=first.provider if first else None,
                           booked_to=tuple(dict.fromkeys(m.lot for m in ms)),
                           ref=first.ref if first else None))
    out.sort(key=lambda x: (x.date or dt.date.min, x.source.file, x.source.sheet or "", x.source.row or 0))
    return tuple(out)


def trace_patient(result: Result, name_or_id: str) -> PatientTrace:
    """Every lot the patient received (case and spacing of the name ignored)."""
    _need_movements(result)
    want = normalise_patient(name_or_id)
    lots: dict[tuple, LotResult] = {(l.product, l.lot_key, l.location): l for l in result.lots}
    dups = _duplicate_rows(result)
    uses: list[PatientUse] = []
    shown: str | None = None
    names: dict[str, str] = {}
    for m in result.movements:
        if m.kind != "used" or not m.patient:
            continue
        norm = normalise_patient(m.patient)
        names.setdefault(norm, m.patient)
        if norm != want:
            continue
        shown = shown or m.patient
        lot = lots.get((m.product, m.lot_key, m.location))
        exp = lot.expiration if lot else None
        uses.append(PatientUse(
            date=m.date, product=m.product, lot=m.lot, quantity=m.quantity,
            unit=lot.unit if lot else None, expiration=exp,
            expired_on_day_of_use=bool(exp and m.date and m.date > exp), inferred=m.inferred,
            location=m.location, provider=m.provider, source=m.source, visit=m.visit,
            duplicate=_src_key(m.source) in dups))
    if not uses:
        near = process.extract(want, list(names), scorer=Levenshtein.distance, score_cutoff=2, limit=None)
        return PatientTrace(query=name_or_id, found=False, patient=None, as_of=result.as_of,
                            near=tuple(names[k] for k, _, _ in sorted(near, key=lambda x: (x[1], x[0]))))
    return PatientTrace(query=name_or_id, found=True, patient=shown, as_of=result.as_of, uses=tuple(uses))


# --- JSON -----------------------------------------------------------------------------


def _d(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _source(s: Source | None) -> dict | None:
    if s is None:
        return None
    return {"file": s.file, "sheet": s.sheet, "row": s.row, "column": s.column, "cell": s.cell}


def _move_json(m: Move) -> dict:
    return {"date": _d(m.date), "product": m.product, "location": m.location,
            "quantity": m.quantity, "value": m.value, "source": _source(m.source)}


def to_json(trace: LotTrace | PatientTrace) -> dict:
    """A dict for scripts. Quantities and money are `Decimal` (exact): write them with
    `dumps` (or simplejson with use_decimal=True); dates are ISO strings."""
    if isinstance(trace, PatientTrace):
        return {
            "patient": trace.patient if trace.found else trace.query, "found": trace.found,
            "as_of": _d(trace.as_of),
            "lots": [{"date": _d(u.date), "product": u.product, "lot": u.lot, "quantity": u.quantity,
                      "unit": u.unit, "expiration": _d(u.expiration),
                      "expired_on_day_of_use": u.expired_on_day_of_use, "inferred": u.inferred,
                      "location": u.location, "provider": u.provider, "duplicate": u.duplicate,
                      "source": _source(u.source)} for u in trace.uses],
            "near": list(trace.near),
        }
    t = trace
    return {
        "lot": t.lot if t.found else t.query, "product": t.product, "found": t.found, "key": t.key,
        "as_of": _d(t.as_of), "expiration": _d(t.expiration),
        "uses": [{"date": _d(u.date), "patient": u.patient, "provider": u.provider,
                  "location": u.location, "quantity": u.quantity, "inferred": u.inferred,
                  "source": _source(u.source), "product": u.product, "duplicate": u.duplicate}
                 for u in t.uses],
        "waste": [_move_json(m) for m in t.waste],
        "transfers": [{"date": _d(m.date), "product": m.product, "from": m.location,
                       "to": m.other_location, "quantity": m.quantity, "source": _source(m.source)}
                      for m in t.transfers],
        "returns": [_move_json(m) for m in t.returns],
        "expired": [_move_json(m) for m in t.expired],
        "adjustments": [_move_json(m) for m in t.adjustments],
        "counts": [_move_json(m) for m in t.counts],
        "received": [_move_json(m) for m in t.receipts],
        "on_hand": [{"location": o.location, "quantity": o.quantity, "product": o.product,
                     "expiration": _d(o.expiration), "status": o.status} for o in t.on_hand],
        "also_recorded": [{"date": _d(a.date), "patient": a.patient, "provider": a.provider,
                           "location": a.location, "product": a.product, "lot": a.lot,
                           "quantity": a.quantity, "code": a.code, "booked_to": list(a.booked_to),
                           "source": _source(a.source)} for a in t.also_recorded],
        "totals": t.totals() if t.found else None,
        "near": list(t.near),
    }


def dumps(obj: Any) -> str:
    """JSON text with Decimals as exact numbers."""
    import simplejson
    return simplejson.dumps(obj, use_decimal=True, indent=2, ensure_ascii=False)


# --- the recall list ------------------------------------------------------------------

_CONTACT_RE = re.compile(r"phone|mobile|\bcell\b|\btel\b|e-?mail|address|street|\bcity\b|"
                         r"\bstate\b|\bzip\b|postal|postcode|contact", re.IGNORECASE)


def contact_columns(table) -> list[tuple[str, int]]:
    """(header, 0-based index) of a table's contact columns lotsync does not read itself."""
    cells = getattr(table, "cells", None)
    if not cells or table.header_row is None or table.header_row - 1 >= len(cells):
        return []
    mapped = {c.index for c in table.columns.values()}
    out = []
    for j, h in enumerate(cells[table.header_row - 1]):
        text = clean_text(h) if h is not None else None
        if j not in mapped and text and _CONTACT_RE.search(text):
            out.append((text, j))
    return out


def _contacts(refs: list, cache: dict[int, list]) -> dict[str, str]:
    """Contact values for one patient: per column, the latest row that has one."""
    found: dict[str, str] = {}
    for ref in refs:  # latest first
        if ref is None:
            continue
        t = ref.table
        cols = cache.get(id(t))
        if cols is None:
            cols = cache[id(t)] = contact_columns(t)
        if not cols:
            continue
        row = t.cells[ref.row - 1] if ref.row - 1 < len(t.cells) else []
        for header, j in cols:
            k = header.casefold()
            if k not in found and j < len(row):
                v = clean_text(row[j])
                if v:
                    found[k] = v
    return found


def _where(s: Source | None) -> str:
    if s is None:
        return ""
    return " › ".join(str(x) for x in (Path(s.file).name if "://" not in s.file else s.file,
                                       s.sheet, s.cell or (f"row {s.row}" if s.row else None)) if x)


def _fmt(q: Decimal) -> str:
    s = format(q, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def recall_rows(trace: LotTrace) -> tuple[list[str], list[list]]:
    """(headers, rows) of the recall list: one row per patient, plus the rows that wrote this
    lot but were booked to another. Cells are str, Decimal, int, date or None."""
    groups: dict[str, dict] = {}
    for u in trace.uses:
        g = groups.setdefault(normalise_patient(u.patient) if u.patient else "", {
            "patient": u.patient or NO_PATIENT, "uses": [], "dups": 0, "mentions": []})
        if u.duplicate:
            g["dups"] += 1
        else:
            g["uses"].append(u)
    for a in trace.also_recorded:
        g = groups.setdefault(normalise_patient(a.patient) if a.patient else "", {
            "patient": a.patient or NO_PATIENT, "uses": [], "dups": 0, "mentions": []})
        g["mentions"].append(a)
    cache: dict[int, list] = {}
    contacts: dict[str, dict[str, str]] = {}
    labels: dict[str, str] = {}
    for k, g in groups.items():
        refs = [u.ref for u in sorted(g["uses"], key=lambda u: u.date or dt.date.min, reverse=True)]
        refs += [a.ref for a in g["mentions"]]
        found = _contacts(refs, cache) if k else {}
        contacts[k] = found
        for ref in refs:
            if ref is not None:
                for header, _ in cache.get(id(ref.table), []):
                    labels.setdefault(header.casefold(), header)
    contact_keys = list(labels)
    headers = (["Patient"] + [labels[c] for c in contact_keys]
               + ["First use", "Last use", "Dates", "Uses", "Quantity", "Unit", "Product", "Lot",
                  "Provider", "Location", "Lot on the visit row", "Duplicate rows (not counted)",
                  "Source cells"])
    rows = []
    for k, g in groups.items():
        uses: list[Use] = g["uses"]
        ments: list[Mention] = g["mentions"]
        dates = sorted({u.date for u in uses if u.date} | {a.date for a in ments if a.date})
        qty = sum((u.quantity for u in uses), ZERO)
        how = []
        if any(not u.inferred for u in uses):
            how.append("recorded")
        if any(u.inferred for u in uses):
            how.append("inferred (not written on the row)")
        for a in ments:
            how.append(f"written as {a.lot}, booked to {', '.join(a.booked_to) or 'no lot'}")
        units = sorted({u.unit for u in uses if u.unit})
        rows.append(
            [g["patient"]] + [contacts[k].get(c) for c in contact_keys]
            + [dates[0] if dates else None, dates[-1] if dates else None,
               "; ".join(d.isoformat() for d in dates), len(uses), qty, ", ".join(units),
               ", ".join(dict.fromkeys([u.product for u in uses] + [a.product for a in ments if a.product])),
               trace.lot or trace.query,
               ", ".join(dict.fromkeys(p for p in [u.provider for u in uses] + [a.provider for a in ments] if p)),
               ", ".join(dict.fromkeys(x for x in [u.location for u in uses] + [a.location for a in ments] if x)),
               "; ".join(dict.fromkeys(how)), g["dups"],
               "; ".join(_where(s) for s in [u.source for u in uses] + [a.source for a in ments])])
    rows.sort(key=lambda r: (r[0] == NO_PATIENT, r[1 + len(contact_keys)] or dt.date.max,
                             str(r[0]).casefold()))
    return headers, rows


def patient_rows(trace: PatientTrace) -> tuple[list[str], list[list]]:
    headers = ["Date", "Patient", "Product", "Lot", "Quantity", "Unit", "Expiration",
               "Expired on day of use", "Lot on the visit row", "Provider", "Location",
               "Duplicate row", "Source cell"]
    rows = [[u.date, trace.patient, u.product, u.lot, u.quantity, u.unit, u.expiration,
             "yes" if u.expired_on_day_of_use else "no",
             "inferred (not written on the row)" if u.inferred else "recorded",
             u.provider, u.location, "yes" if u.duplicate else "", _where(u.source)]
            for u in trace.uses]
    return headers, rows


def write_recall(trace: LotTrace | PatientTrace, path: str | Path) -> Path:
    """Write the recall list (a lot trace) or a patient's lots to `.xlsx` or `.csv`, atomically.
    Every text from a sheet is formula-safe; numbers and dates are written as such."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise TraceError(f"{path.name}: the recall list is written as .xlsx or .csv")
    if isinstance(trace, PatientTrace):
        headers, rows = patient_rows(trace)
        title = f"Lots received by {trace.patient or trace.query}"
    else:
        if not trace.found and not trace.also_recorded:
            raise TraceError(f"lot {trace.query} was never received: nothing to write")
        headers, rows = recall_rows(trace)
        title = (f"Recall list for lot {trace.lot or trace.query}"
                 + (f" ({trace.product})" if trace.product else "")
                 + f", as of {trace.as_of.isoformat()}")
    if suffix == ".csv":
        with atomic_output(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(headers)
            for r in rows:
                w.writerow([_csv_cell(c) for c in r])
        return path
    import xlsxwriter
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        mark_xlsxwriter(wb)  # never read back as a visit log if saved beside the sources
        ws = wb.add_worksheet("Recall" if isinstance(trace, LotTrace) else "Patient")
        bold = wb.add_format({"bold": True})
        head = wb.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
        datef = wb.add_format({"num_format": "yyyy-mm-dd"})
        ws.write_string(0, 0, str(safe_text(title)), bold)
        for j, h in enumerate(headers):
            ws.write_string(2, j, str(safe_text(h)), head)
            ws.set_column(j, j, max(10, min(40, len(h) + 4)))
        for i, r in enumerate(rows, start=3):
            for j, c in enumerate(r):
                if c is None or c == "":
                    continue
                if isinstance(c, dt.date):
                    ws.write_datetime(i, j, dt.datetime.combine(c, dt.time()), datef)
                elif isinstance(c, (Decimal, int)) and not isinstance(c, bool):
                    ws.write_number(i, j, float(c))
                else:
                    ws.write_string(i, j, str(safe_text(str(c))))
        ws.freeze_panes(3, 1)
        if rows:
            ws.autofilter(2, 0, 2 + len(rows), len(headers) - 1)
        wb.close()
    return path


def _csv_cell(c: Any) -> Any:
    if c is None:
        return ""
    if isinstance(c, dt.date):
        return c.isoformat()
    if isinstance(c, Decimal):
        return _fmt(c)
    if isinstance(c, int):
        return c
    return safe_text(str(c))
