"""The Python API: the command line's own run, for a notebook or a script.

    import lotsync
    r = lotsync.reconcile(["Inventory.xlsx", "visits/"], as_of="2026-06-30")
    r.summary, r.lots, r.findings        # the frozen Result (lotsync.reconcile.result)
    frames = r.to_pandas()               # "lots", "movements", "findings", "visits"
    lotsync.check(["Inventory.xlsx"])    # what `lotsync check --json` says, as objects
    lotsync.trace(r, "C3709C3")          # what `lotsync trace` says

Rules:
- One path. `reconcile` is `lotsync reconcile`: the same settings resolution
  (`nightly.settings`), the same run (`nightly.run.NightlyRun`: read, detect, type,
  reconcile, mask), and with `out=` the same outputs, written the same way. `check` is
  `lotsync check` (`lotsync.survey`), `trace` is `lotsync trace` (`lotsync.audit.trace`);
  the commands call these functions. Rejected: a second, "simpler" pipeline for Python
  (two paths drift: one would forget the mask or the config's mapping).
- A library call reads no lotsync.toml unless asked (`config=PATH`, or `config=True` for
  ./lotsync.toml as the command line does), writes nothing unless given `out=`, and keeps
  no run history unless given `history=`: a notebook should not pick up settings or leave
  files behind because of the folder it was started in.
- Bad input raises one exception type per cause, all `LotsyncError` (the classes and
  their causes are listed in `lotsync.errors`), each with the one line the command line
  prints; never a traceback from inside a reader. Programming mistakes (a lot and a
  patient at once) are `TypeError`, as in any Python library.
- The result is a `Reconciliation`: a `Result` (so every function over a Result takes it)
  that also knows whether it was masked and can turn itself into pandas frames, Parquet
  files and a notebook summary. A masked result holds no patient name anywhere: not in
  its visits, movements, findings or the sheet rows behind its source references.

The library never imports click, and `import lotsync` imports neither pandas nor the
readers: they load on first use.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Union

from lotsync.errors import TraceError
from lotsync.findings import exit_status
from lotsync.reconcile.result import Result

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

    from lotsync.audit.periods import Periods
    from lotsync.audit.trace import LotTrace, PatientTrace
    from lotsync.survey import SheetCheck
    from lotsync.tables.mapping import Mapping

PathLike = Union[str, "os.PathLike[str]"]
Sources = Union[PathLike, Iterable[PathLike]]


@dataclass(frozen=True, repr=False)
class Reconciliation(Result):
    """The frozen `Result` of a reconcile, plus how it was made and its other forms.

    Every field of `Result` (as_of, options, inputs, lots, findings, cogs, totals,
    summary, fefo_next, movements) as report.json names them; `masked` is True when every
    patient identifier was replaced by its pseudonym; `date_from` / `date_to` the period
    asked for (`periods()` reports it); `written` the files written when `out=` was given;
    `sources` every source read, after folders and globs were expanded.
    """

    masked: bool = False
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    written: tuple[Path, ...] = ()
    sources: tuple[str, ...] = ()

    @classmethod
    def of(cls, result: Result, **extra: Any) -> "Reconciliation":
        """`result` (any Result) as a Reconciliation, with `extra` fields set."""
        base = {f.name: getattr(result, f.name) for f in fields(Result)}
        if isinstance(result, Reconciliation):
            base.update({f.name: getattr(result, f.name) for f in fields(Reconciliation)})
        return cls(**{**base, **extra})

    def to_pandas(self) -> dict[str, "pd.DataFrame"]:
        """{"lots", "movements", "findings", "visits"}: pandas DataFrames with exact Arrow
        decimals, Arrow dates and categorical product/location/code (see lotsync.frames)."""
        from lotsync.frames import to_pandas
        return to_pandas(self)

    def to_arrow(self) -> dict[str, "pa.Table"]:
        """The same four tables as pyarrow Tables."""
        from lotsync.frames import to_arrow
        return to_arrow(self)

    def to_parquet(self, out: PathLike) -> list[Path]:
        """Write the four frames to `<out>/parquet/*.parquet` (each atomically), as
        `lotsync reconcile --format parquet` does; returns the paths."""
        from lotsync.frames import write_parquet
        return write_parquet(self, Path(out))

    def periods(self) -> "Periods":
        """Figures by month, quarter and year, per provider, and the supply projection,
        for `date_from`..`date_to` (as report.json's periods, providers and supply)."""
        from lotsync.audit.periods import compute_periods
        return compute_periods(self, self.date_from, self.date_to)

    def _repr_html_(self) -> str:
        from lotsync.writers.report_html import render_summary_html
        return render_summary_html(self, "patients masked" if self.masked else "")

    def __repr__(self) -> str:
        s = self.summary
        return (f"<lotsync.Reconciliation as of {self.as_of.isoformat()}: {s.lots:,} lots, "
                f"{s.visit_rows:,} visit rows, {s.errors:,} errors, {s.warnings:,} warnings, "
                f"{s.infos:,} info; COGS {_money(self.totals.cogs)}"
                + (", patients masked" if self.masked else "") + ">")


def _money(d: Decimal) -> str:
    from lotsync.writers.terminal import money
    return money(d)


# --- arguments ----------------------------------------------------------------------------


def _source_list(sources: Sources | None) -> list[str] | None:
    """A path, a string or any iterable of them, as the strings pipeline.run reads."""
    if sources is None:
        return None
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    try:
        out = [os.fspath(s) for s in sources]
    except TypeError:
        raise TypeError("sources must be a path or a list of paths (files, folders, globs, "
                        "gsheet:// addresses)") from None
    return out or None


def _date_text(value: dt.date | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"expected a date or 'YYYY-MM-DD', got {type(value).__name__}")


def _period_date(name: str, value: dt.date | str | None) -> dt.date | None:
    """--from / --to: a date or YYYY-MM-DD (ConfigError otherwise, like every option)."""
    text = _date_text(value)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        from lotsync.errors import ConfigError
        raise ConfigError(f"--{name.replace('_', '-')}: {text!r} is not a date (use YYYY-MM-DD)") from None


def _mapping(mapping: "PathLike | Mapping | dict | None") -> "Mapping | None":
    """A mapping file path, a Mapping, or the file's structure as a dict; MappingError if unusable."""
    from lotsync.tables.mapping import Mapping, load_mapping, mapping_from_dict
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return mapping_from_dict(mapping)
    return load_mapping(Path(os.fspath(mapping)))


# --- the three calls ----------------------------------------------------------------------


def reconcile(sources: Sources | None = None, *, as_of: dt.date | str | None = None,
              mapping: "PathLike | Mapping | dict | None" = None, infer_lots: bool = True,
              mask_patients: bool = False, day_first: bool | None = None,
              tolerance: Decimal | str | int | None = None, expiring_days: int | None = None,
              date_from: dt.date | str | None = None, date_to: dt.date | str | None = None,
              config: PathLike | bool | None = None, credentials: PathLike | None = None,
              out: PathLike | None = None, formats: Iterable[str] | str | None = None,
              history: PathLike | bool | None = None) -> Reconciliation:
    """Re-derive every lot's ledger from `sources`, as `lotsync reconcile` does.

    sources: files (.xlsx .xlsm .xls .xlsb .ods .csv), folders, globs or Google Sheets
      (`gsheet://<id>[/<tab>]` or the sheet's link); a single path is fine. None: the
      sources of the config file.
    as_of: end the ledger on this date (a date, "YYYY-MM-DD" or "today"; default today,
      or the config's, or `date_to`).
    mapping: a mapping file (path), a `Mapping`, or its structure as a dict
      (`{"columns": {"Qty Rec": "quantity"}}`); it wins over detection.
    infer_lots: infer the lot of a visit that lacks one (SPEC §2); False as --no-infer-lots.
    mask_patients: replace every patient identifier by its keyed pseudonym (the key is
      LOTSYNC_MASK_KEY, 16 characters or more; there is no default key).
    day_first, tolerance, expiring_days: as the command-line options (None: the config's
      value, else the default: month first, 0.01, 60).
    date_from, date_to: the period `periods()` reports (the ledger still starts at the
      first row); `date_to` is also the default as_of.
    config: a lotsync.toml to read (its sources, mapping and settings; arguments win), True
      for ./lotsync.toml if there is one; None (default) reads none.
    credentials: a Google service-account key for gsheet:// sources.
    out, formats: also write the outputs to the folder `out` (formats as `--format`:
      json, csv, xlsx, html, corrected, parquet; default json, csv, xlsx, html, corrected).
      Without `out` nothing is written.
    history: with `out`, record the run in this run-history database (True: as the
      command line would, the config's history; none without a config); default none.

    Returns a `Reconciliation`. Raises (all `lotsync.LotsyncError`, see lotsync.errors):
    SourceNotFoundError (a file, folder or glob that is not there), ReadError (a source
    that cannot be read), NoInventoryError (no inventory table), NoSourcesError (no
    sources at all), ConfigError (a config file or a bad value such as as_of="June"),
    MappingError (a mapping that cannot be used), MaskKeyError (mask_patients without a
    usable key), HistoryError (the history is locked or unusable), CannotRun (date_from
    after date_to).
    """
    from lotsync.nightly.run import NightlyRun

    write = out is not None
    if formats is not None and not write:
        raise TypeError("formats= says which outputs to write to out=; give out= as well")
    overrides = {
        "sources": _source_list(sources), "as_of": _date_text(as_of), "day_first": day_first,
        "tolerance": str(tolerance) if isinstance(tolerance, (int, float)) and not isinstance(tolerance, bool)
        else tolerance,
        "expiring_days": expiring_days,
        "outputs": (formats if isinstance(formats, str) else list(formats)) if formats is not None else None,
        "out": os.fspath(out) if write else None,
        "history": _history(history, write),
        "mapping": _mapping(mapping),
    }
    config_path = None if config in (None, False, True) else os.fspath(config)
    d_from, d_to = _period_date("from", date_from), _period_date("to", date_to)
    run = NightlyRun.prepare(config_path, overrides, infer_lots=infer_lots,
                             credentials=os.fspath(credentials) if credentials is not None else None,
                             mask_patients=mask_patients, date_from=d_from, date_to=d_to,
                             find_config=config is True)
    status = 0
    try:
        outcome = run.execute(write=write)
        status = exit_status(outcome.result.findings, run.settings["fail_on"])
    finally:
        run.finish(status)  # the run log's status line, as the command would exit
    return Reconciliation.of(outcome.result, masked=run.mask_key is not None, date_from=d_from,
                             date_to=d_to, written=tuple(outcome.written),
                             sources=tuple(outcome.loaded.files))


def _history(history: PathLike | bool | None, write: bool) -> PathLike | bool | None:
    """No history unless asked, and never for a run that writes nothing."""
    if not write or history is None or history is False:
        return False
    if history is True:
        return None  # the config's (or --history's default): as the command line
    return os.fspath(history)


def check(sources: Sources, *, as_of: dt.date | str | None = None,
          mapping: "PathLike | Mapping | dict | None" = None, day_first: bool = False,
          credentials: PathLike | None = None) -> "SheetCheck":
    """Which tables lotsync finds in `sources` and how it reads their columns, as
    `lotsync check --json` says it: `.tables` (kind, header row, rows, field -> header,
    unused columns), `.ignored` (with why), `.problems` (unreadable or blank required
    cells), `.has_inventory`; `.to_json()` is the command's JSON.

    Raises SourceNotFoundError, ReadError, MappingError, ConfigError (a bad as_of),
    NoSourcesError (no sources named)."""
    from lotsync.nightly.settings import parse_as_of, resolve_as_of
    from lotsync.pipeline import SourceReader
    from lotsync.survey import check_sources
    from lotsync.tables.mapping import Mapping
    from lotsync.tables.parse import ParseOptions

    srcs = _source_list(sources)
    if not srcs:
        from lotsync.errors import NoSourcesError
        raise NoSourcesError("no sources: name the files, folders or Google Sheets to check")
    text = _date_text(as_of)
    try:
        day = resolve_as_of(parse_as_of(text)) if text is not None else dt.date.today()
    except ValueError as e:
        from lotsync.errors import ConfigError
        raise ConfigError(f"--as-of: {e}") from None
    return check_sources(srcs, _mapping(mapping) or Mapping(), ParseOptions(as_of=day, day_first=day_first),
                         read=SourceReader(os.fspath(credentials) if credentials is not None else None))


def trace(result: Result, lot: str | None = None, *, patient: str | None = None
          ) -> "LotTrace | PatientTrace":
    """What `lotsync trace` says: `trace(r, "C3709C3")` follows the lot (spelled any way)
    to every patient who received it and everywhere the rest went (a `LotTrace`: uses,
    waste, transfers, returns, on hand by location, near matches when it was never
    received); `trace(r, patient="Ava Thompson")` lists every lot the patient received
    and whether it had expired that day (a `PatientTrace`).

    On a masked result a patient is found by pseudonym ("P-…") or by the real name typed
    (its pseudonym is computed with LOTSYNC_MASK_KEY); near matches are not offered.
    Raises TraceError (not a lot number, a blank patient, a result without movements),
    MaskKeyError (a real name on a masked result without the key)."""
    from lotsync.audit.trace import trace_lot, trace_patient

    if (lot is None) == (patient is None):
        raise TypeError("trace(result, LOT) or trace(result, patient=NAME): give one of them")
    if not isinstance(result, Result):
        raise TypeError(f"trace() needs the result of lotsync.reconcile, not {type(result).__name__}")
    if lot is not None:
        return trace_lot(result, lot)
    if not str(patient).strip():
        raise TraceError("a patient trace needs a name or ID")
    masked = getattr(result, "masked", False)
    query = str(patient)
    if masked and not query.strip().upper().startswith("P-"):
        from lotsync.audit.mask import mask_key_from_env, pseudonym
        query = pseudonym(mask_key_from_env(None), query)  # a real name typed: its pseudonym
    t = trace_patient(result, query)
    if masked and not t.found:
        # near pseudonyms say nothing (and near names would undo the mask)
        t = type(t)(query=query, found=False, patient=None, as_of=t.as_of, near=())
    return t


def read_parquet(folder: PathLike) -> dict[str, "pd.DataFrame"]:
    """The four frames a run wrote with `--format parquet` (its `--out` folder or the
    `parquet/` folder in it), with exactly the types `Reconciliation.to_pandas()` gives.
    Raises SourceNotFoundError (a frame's file is missing), ReadError (not Parquet)."""
    from lotsync.frames import read_parquet as read
    return read(Path(os.fspath(folder)))


__all__ = ["Reconciliation", "check", "read_parquet", "reconcile", "trace"]
