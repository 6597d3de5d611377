"""One reconcile run as a bookkeeper's scheduler runs it: settings, history, outputs, log.

The CLI's `reconcile` command and nothing else: it resolves the effective settings (the
command line over lotsync.toml over defaults), holds the history lock for the whole run,
reads and reconciles, writes every chosen output inside the history transaction (so a run
is recorded only if its outputs were written, and a run killed half-way leaves both the
history and the previous outputs as they were), publishes to Google Sheets when asked,
and logs one line per run without patient names.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from lotsync.nightly.settings import effective_settings, load_config, reconcile_options
from lotsync.nightly.history import InputRecorder, RunRecord, apply_history, open_history
from lotsync.pipeline import Loaded, SourceReader, gc_paused, release_freed_memory, run
from lotsync.reconcile.result import Result
from lotsync.writers.outset import OutputSet


def write_outputs(result: Result, loaded: Loaded, report: dict, out_dir: Path,
                  formats: list[str] | tuple[str, ...], apply_lot_repairs: bool = False,
                  since=None, periods=None, final_dir: Path | None = None) -> tuple[list[Path], list[str]]:
    """Write the chosen renderings of the one result; (paths written, lines for the summary).

    `final_dir`: when `out_dir` is a staging folder (`writers.outset`), the folder the files
    land in: links and the summary's lines name it; the paths returned are the staged ones."""
    from lotsync.writers.findings_csv import write_findings_csv
    from lotsync.writers.json_report import write_report_json

    final = Path(final_dir) if final_dir is not None else Path(out_dir)

    def shown(p: Path) -> Path:
        return final / Path(p).relative_to(out_dir)

    written: list[Path] = []
    notes: list[str] = []
    if "json" in formats:
        written.append(write_report_json(report, out_dir))
    if "csv" in formats:
        written.append(write_findings_csv(result, out_dir))
    if "xlsx" in formats:
        from lotsync.writers.report_xlsx import write_report_xlsx
        written.append(write_report_xlsx(result, out_dir, since, periods, links_from=final))
        notes.append(f"Report workbook: {shown(written[-1])}")
    if "html" in formats:
        from lotsync.writers.report_html import write_report_html
        written.append(write_report_html(result, out_dir, since, periods))
        notes.append(f"HTML report: {shown(written[-1])}")
    if "parquet" in formats:
        from lotsync.frames import write_parquet
        written.extend(write_parquet(result, out_dir))
        notes.append(f"Parquet tables: {shown(out_dir / 'parquet')} (lots, movements, findings, visits)")
    if "corrected" in formats:
        from lotsync.writers.corrected import write_corrected
        for o in write_corrected(result, loaded, out_dir, apply_lot_repairs=apply_lot_repairs,
                                 final_dir=final):
            written.append(o.path)
            notes.append(f"Corrected: {shown(o.path)} ({o.changed_cells} cells changed)"
                         + (f" — {o.note}" if o.note else ""))
    return written, notes


def publish_sheets(result: Result, loaded: Loaded, reader: SourceReader, write: bool,
                   apply_lot_repairs: bool, verbose: bool, echo: Callable[[str], Any]) -> list[str]:
    """Write corrections back into Google Sheets sources (or say what would change)."""
    if not any(i.file.startswith("gsheet://") for i in loaded.inputs):
        return []  # no Google Sheet read: nothing to plan (and gspread, openpyxl not imported)
    from lotsync.writers.gsheets_publish import findings_table, plan_sheet_changes, summary_table

    plans = plan_sheet_changes(result, loaded, apply_lot_repairs)
    lines: list[str] = []
    if not write:
        for sid, changes in plans.items():
            lines.append(f"gsheet://{sid}: --write-back would change {len(changes)} cell(s)"
                         + (": " + ", ".join(f"{c.tab}!{c.a1}" for c in changes[:20]) if changes else "")
                         + " and refresh the 'lotsync findings' and 'lotsync summary' tabs")
        return lines
    from lotsync.errors import CannotRun
    from lotsync.writers.gsheets_writeback import WriteBackError, write_back
    ftable, stable = findings_table(result), summary_table(result)
    for sid, changes in plans.items():
        try:
            rep = write_back(reader.client, sid, changes, ftable, stable, dt.date.today())
        except WriteBackError as e:
            if verbose:
                for line in e.report.lines():
                    echo(line)
            raise CannotRun(str(e).splitlines()[0]) from None
        lines.extend(rep.lines())
    return lines


@dataclass
class Outcome:
    result: Result
    loaded: Loaded
    #: report.json's dict; its `cogs.by_visit` is a `json_report.LazyRows` (indexes and
    #: iterates as a list of dicts, made one at a time)
    report: dict
    out_dir: Path
    record: RunRecord | None
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    trend: list = field(default_factory=list)
    periods: object = None
    weak_guesses: str | None = None  # one line when a table was read on weak guesses

    def history_lines(self) -> list[str]:
        r = self.record
        if r is None:
            return []
        if r.previous_run_id is None:
            return [f"Run {r.run_id} recorded: the first in this history."]
        by_id = {f.id: f for f in self.result.findings}
        new_codes: dict[str, int] = {}
        for i in r.new:
            code = by_id[i].code if i in by_id else "?"
            new_codes[code] = new_codes.get(code, 0) + 1
        lines = [f"Since run {r.previous_run_id}: {len(r.new)} new, {len(r.resolved)} resolved, "
                 f"{len(r.ongoing)} ongoing"
                 + (" (" + ", ".join(f"{c} {n}" for c, n in sorted(new_codes.items())) + ")" if new_codes else "")]
        if r.inputs_unchanged:
            lines.append("The inputs are unchanged since the last run.")
        return lines

    def lines(self) -> list[str]:
        return self.history_lines() + self.notes

    def one_line(self) -> str:
        s, t = self.result.summary, self.result.totals
        from lotsync.writers.terminal import money
        extra = ""
        if self.record is not None and self.record.previous_run_id is not None:
            extra = f" ({len(self.record.new)} new, {len(self.record.resolved)} resolved)"
            if self.record.inputs_unchanged:
                extra += ", inputs unchanged"
        return (f"lotsync {self.result.as_of.isoformat()}: {s.lots} lots, {s.visit_rows} visit rows; "
                f"{s.errors} errors, {s.warnings} warnings, {s.infos} info{extra}; "
                f"COGS {money(t.cogs)}, on hand {money(t.on_hand_value)}; report in {self.out_dir}")

    def summary_json(self, status: int) -> dict:
        rep = self.report
        out = {"as_of": rep["as_of"], "exit_status": status, "summary": rep["summary"],
               "totals": {k: str(v) for k, v in rep["totals"].items()}, "out": str(self.out_dir),
               "written": [str(p) for p in self.written]}
        if "history" in rep:
            out["history"] = {**rep["history"], "new": list(self.record.new) if self.record else []}
        return out


class NightlyRun:
    def __init__(self, settings: dict, infer_lots: bool, credentials: str | None,
                 apply_lot_repairs: bool, verbose: bool, mask_key: bytes | None = None,
                 date_from: dt.date | None = None, date_to: dt.date | None = None) -> None:
        self.settings = settings
        self.mask_key = mask_key
        self.date_from, self.date_to = date_from, date_to
        self.infer_lots = infer_lots
        self.apply_lot_repairs = apply_lot_repairs
        self.verbose = verbose
        self.reader = SourceReader(credentials)
        self.history = None
        self.log = None
        self.started = dt.datetime.now().astimezone()
        self._t0 = time.monotonic()
        self.outcome: Outcome | None = None

    @classmethod
    def prepare(cls, config_path: str | None, overrides: dict, *, infer_lots: bool = True,
                credentials: str | None = None, apply_lot_repairs: bool = False,
                verbose: bool = False, mask_patients: bool = False,
                date_from: dt.date | None = None, date_to: dt.date | None = None,
                find_config: bool = True) -> "NightlyRun":
        """The effective settings of a run. `find_config=False` (the Python API) reads no
        lotsync.toml unless `config_path` names one; the command line finds ./lotsync.toml."""
        from lotsync.errors import CannotRun, NoSourcesError
        cwd = Path.cwd()
        cfg = load_config(config_path, cwd) if (config_path is not None or find_config) else None
        settings = effective_settings(cfg, overrides, cwd)
        if not settings["sources"]:
            raise NoSourcesError("no sources: name the files to read (on the command line, or in the "
                                 "call), or add [[sources]] to lotsync.toml (lotsync config --init "
                                 "writes a starter)")
        mask_key = None
        if mask_patients:
            from lotsync.audit.mask import mask_key_from_env
            mask_key = mask_key_from_env(None)
        if date_from and date_to and date_from > date_to:
            raise CannotRun(f"--from {date_from} is after --to {date_to}")
        if date_to and overrides.get("as_of") is None and (cfg is None or "as_of" not in cfg.file.model_fields_set):
            settings["as_of"] = date_to  # a period report's ledger ends with the period
        return cls(settings, infer_lots, credentials, apply_lot_repairs, verbose, mask_key,
                   date_from, date_to)

    def execute(self, progress_factory: Callable[[], Any] | None = None, write: bool = True,
                process_exits: bool = False, movements: bool = True) -> Outcome:
        """Read, reconcile, mask; then (unless `write` is False: the Python API asked for
        the result alone) compute the report and periods and write the outputs.

        `process_exits`: the caller (the command line) ends the process soon after, so
        the run's objects are frozen for the collector instead of scanned once more
        (`pipeline.gc_paused(freeze=True)`).

        `movements`: keep a `Movement` per ledger movement in the result (the Python API's
        trace and frames read them; the period figures are then made from them). The
        command line passes False: the period figures come from the ledger's compact
        columns (`Options.keep_ledger`), and Movements are kept only for what reads them:
        Parquet output, and the posted-journal check of a history with posted months (a
        million of them were ~250 MB at 1M rows)."""
        s = self.settings
        if s["history"] is not None:
            from lotsync.nightly.runlog import setup_run_log
            self.history = open_history(s["history"])
            self.log = setup_run_log(Path(s["history"]).parent, self.verbose)
        keep = movements or (write and "parquet" in self._outputs())
        opts = reconcile_options(s, infer_lots=self.infer_lots, keep_movements=keep, keep_ledger=not keep)
        if self.log is not None:
            from lotsync.nightly.runlog import log_start
            log_start(self.log, s["sources"], opts.as_of, s["config"])
        lock = self.history.lock() if self.history else nullcontext()
        out_dir = Path(s["out"])
        try:
            # history lock first, then the out folder's (every run takes them in this order)
            # (a run that writes nothing, the Python API's, touches no out folder at all)
            with lock, (OutputSet(out_dir) if write else nullcontext()) as outs, \
                    gc_paused(freeze=process_exits):
                rec = InputRecorder(read=self.reader)
                if not keep and self.history is not None and self.history.posted(s["practice"]):
                    opts = replace(opts, keep_movements=True)  # _check_posted's journal reads them
                with (progress_factory() if progress_factory else nullcontext()) as progress:
                    result, loaded = run(s["sources"], opts, s["mapping"], read=rec,
                                         progress=progress, exclude=[out_dir])
                if self.mask_key is not None:
                    from lotsync.audit.mask import mask_result
                    result = mask_result(result, self.mask_key)
                if self.history is not None:
                    result = self._check_posted(result, loaded)
                if not write:
                    self.outcome = Outcome(result, loaded, {}, out_dir, None)
                    return self.outcome
                from lotsync.audit.periods import compute_periods, periods_report
                from lotsync.writers.json_report import report_dict
                release_freed_memory()  # what the reconcile freed, before the report's figures
                periods = compute_periods(result, self.date_from, self.date_to)
                # by_visit made a record at a time as report.json is written: as a list of
                # dicts it held 64 MB at 200,000 visit rows, the run's peak
                report = report_dict(result, lazy=True)
                report.update(periods_report(periods))
                outcome = Outcome(result, loaded, report, out_dir, None, periods=periods)
                from lotsync.tables.detect import weak_guess_line
                if (weak := weak_guess_line(loaded.detections)) is not None:
                    outcome.weak_guesses = weak
                    outcome.notes.append(weak)
                if self.history is not None:
                    options = {k: (str(v) if not isinstance(v, (bool, int, type(None), list)) else v)
                               for k, v in s.items() if k not in ("mapping", "origin", "sources", "accounting", "notify")}
                    with self.history.recording(result, report, rec.inputs, options=options,
                                                started_at=self.started, practice=s["practice"]) as record:
                        outcome.record = record
                        outcome.report = apply_history(report, record)
                        # the trend up to the previous run, plus this one
                        from lotsync.nightly.history import TrendPoint
                        from lotsync.writers.since import build_since
                        t = result.totals
                        here = TrendPoint(record.run_id, self.started.isoformat(), result.as_of.isoformat(),
                                          t.cogs, t.on_hand_value, t.expired_on_hand_value,
                                          result.summary.errors)
                        outcome.trend = [p for p in self.history.trend(11, practice=s["practice"])
                                         if p.run_id != record.run_id] + [here]
                        self._write(outcome, outs, build_since(result, record, outcome.trend))
                    # committed: only now do the new files replace the previous set
                else:
                    self._write(outcome, outs)
                self._swap(outcome, outs)
        except BaseException as e:
            if self.log is not None:
                from lotsync.nightly.runlog import log_failure
                from lotsync.errors import describe_failure
                log_failure(self.log, describe_failure(e))
            raise
        self.outcome = outcome
        return outcome

    def _check_posted(self, result: Result, loaded: Loaded) -> Result:
        """POSTED_PERIOD_CHANGED for every posted month whose journal figures changed."""
        posted = self.history.posted(self.settings["practice"])
        if not posted:
            return result
        from lotsync.books.journal import MonthTable, category_map, posted_changes
        from lotsync.books.posted import posted_findings, with_findings
        changes = posted_changes(MonthTable(result, category_map(loaded.practice.products)),
                                 self.settings["accounting"].accounts(), posted)
        return with_findings(result, posted_findings(changes))

    def notify(self, echo: Callable[[str], Any]) -> None:
        """Send `[notify]` after the run; a failed delivery is one warning line and a log
        record, and changes nothing else (lotsync/nightly/notify.py)."""
        cfg = self.settings.get("notify")
        if cfg is None or self.outcome is None:
            return
        from lotsync.nightly.notify import notify
        for d in notify(cfg, self.outcome, self.settings["practice"]):
            if d.ok:
                if self.log is not None:
                    self.log.info("notify %s: %s", d.channel, d.detail)
            else:
                echo(f"lotsync: warning: the {d.channel} notification failed ({d.detail}); the run is unaffected")
                if self.log is not None:
                    self.log.warning("notify %s failed: %s", d.channel, d.detail)

    def _outputs(self) -> list[str]:
        outputs = list(self.settings["outputs"])
        if self.mask_key is not None:
            # corrected copies and write-back are the clinic's own sheets, names and all
            outputs = [x for x in outputs if x != "corrected"]
        return outputs

    def _write(self, o: Outcome, outs: OutputSet, since=None) -> None:
        """Stage every output, refuse one that would land on an input, then write back to
        Google Sheets (if asked): all before the history commits."""
        s = self.settings
        outputs = self._outputs()
        if self.mask_key is not None and ("corrected" in s["outputs"] or s["write_back"]):
            o.notes.append("Masked run: no corrected copies and no write-back (they would carry "
                           "patient names).")
        written, notes = write_outputs(o.result, o.loaded, o.report, outs.staging, outputs,
                                       self.apply_lot_repairs, since, o.periods, final_dir=o.out_dir)
        outs.check(o.loaded.files)
        o.written, o.notes = [outs.final(p) for p in written], o.notes + notes
        if self.mask_key is not None:
            return
        import sys  # not click: the Python API runs this too, and the library never imports click
        o.notes += publish_sheets(o.result, o.loaded, self.reader, bool(s["write_back"]),
                                  self.apply_lot_repairs, self.verbose,
                                  lambda line: print(line, file=sys.stderr))
        if self.verbose and self.reader.requests_made():
            o.notes.append(f"Google Sheets API requests this run: {self.reader.requests_made()}")

    def _swap(self, o: Outcome, outs: OutputSet) -> None:
        replaces = ["corrected"] if "corrected" in self._outputs() else []
        outs.swap(str(o.report.get("generated_by") or "lotsync"), replaces=replaces)

    def finish(self, status: int) -> None:
        if self.log is not None and self.outcome is not None:
            from lotsync.nightly.runlog import close_run_log, log_finish
            log_finish(self.log, self.outcome.result, self.outcome.record, self.outcome.written,
                       status, time.monotonic() - self._t0)
            close_run_log(self.log)
        if self.history is not None:
            self.history.close()
