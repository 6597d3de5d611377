"""The command line: `lotsync reconcile | check | demo | init | trace | config | history`.

Exit status (SPEC §5): 0 reconciled with nothing at or above --fail-on; 1 reconciled with
findings at or above it; 2 could not run — one line on stderr, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from lotsync import __version__
from lotsync.nightly.settings import OUTPUT_FORMATS as FORMATS  # json, csv, xlsx, html, corrected

FAIL_LEVELS = {"error": 0, "warning": 1, "info": 2, "never": -1}


from lotsync.errors import CannotRun, LotsyncError  # noqa: E402,F401  (re-exported for callers)


def _parse_as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def exit_code(result, fail_on: str) -> int:
    level = FAIL_LEVELS[fail_on]
    if level < 0:
        return 0
    return 1 if any(f.severity.rank <= level for f in result.findings) else 0


def common_options(fn):
    opts = [
        click.option("--as-of", "as_of", metavar="DATE", help="End the ledger on this date (default: today)."),
        click.option("--mapping", type=click.Path(dir_okay=False), help="TOML file naming sheets' kinds and columns."),
        click.option("--day-first", is_flag=True, help="Read ambiguous text dates as day/month (default month/day)."),
    ]
    for o in reversed(opts):
        fn = o(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lotsync")
def cli() -> None:
    """Lot-level traceability and true product cost from a med spa's own spreadsheets.

    \b
    Example:
      lotsync reconcile Inventory.xlsx "Treatments 2026.xlsx" --out lotsync-out
    """


class _StderrProgress:
    """A progress bar on stderr, only when stderr is a terminal (never in cron logs)."""

    def __init__(self) -> None:
        self._progress = None
        self._task = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
            self._progress = Progress(TextColumn("{task.description:<32}"), BarColumn(),
                                      TimeElapsedColumn(), console=Console(stderr=True),
                                      transient=True)

    def __enter__(self):
        if self._progress:
            self._progress.__enter__()
            self._task = self._progress.add_task("starting", total=1)
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self._progress:
            self._progress.update(self._task, description=stage, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self._progress:
            self._progress.__exit__(*exc)


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file (default: lotsync.toml in this folder, if there is one).")
@click.option("--as-of", "as_of", metavar="DATE", help="End the ledger on this date (default: today).")
@click.option("--mapping", type=click.Path(dir_okay=False), help="TOML file naming sheets' kinds and columns.")
@click.option("--day-first/--month-first", "day_first", default=None,
              help="Read ambiguous text dates as day/month or month/day (default month/day).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Folder for the report files (default: lotsync-out).")
@click.option("--tolerance", help="Quantity differences up to this are equal (default 0.01).")
@click.option("--expiring-days", type=click.IntRange(0, 3650), help="EXPIRING_SOON window after as_of (default 60).")
@click.option("--fail-on", type=click.Choice(list(FAIL_LEVELS)),
              help="Exit 1 when a finding at or above this severity exists (default error).")
@click.option("--no-infer-lots", "no_infer", is_flag=True, help="Do not infer the lot of visits that lack one.")
@click.option("--format", "formats", help=f"Outputs to write, comma-separated (default {','.join(FORMATS)}).")
@click.option("--apply-lot-repairs", is_flag=True,
              help="In corrected visit copies, write a typo'd lot as the one lot it resolves to.")
@click.option("--credentials", type=click.Path(dir_okay=False),
              help="Google service-account key file (else GOOGLE_APPLICATION_CREDENTIALS, else gspread's default).")
@click.option("--write-back/--no-write-back", "write_back", default=None,
              help="Write corrected Remaining cells, notes and lotsync tabs into Google Sheets sources.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False),
              help="Run history database (default with a config: .lotsync/history.sqlite beside it).")
@click.option("--no-history", is_flag=True, help="Do not record this run.")
@click.option("--from", "date_from", metavar="DATE", help="Report periods from this date (the ledger still starts at the beginning).")
@click.option("--to", "date_to", metavar="DATE", help="Report periods up to this date (default as_of; also the default as_of).")
@click.option("--mask-patients", is_flag=True,
              help="Replace every patient identifier in every output by a keyed pseudonym (key: LOTSYNC_MASK_KEY).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (for scripts).")
@click.option("--verbose", "-v", is_flag=True, help="Full summary and detail, even when not on a terminal.")
@click.option("--quiet", "-q", is_flag=True, help="One summary line, even on a terminal.")
def reconcile(sources, config_path, as_of, mapping, day_first, out_dir, tolerance, expiring_days,
              fail_on, no_infer, formats, apply_lot_repairs, credentials, write_back, history_path,
              no_history, date_from, date_to, mask_patients, as_json, verbose, quiet) -> None:
    """Re-derive every lot's ledger from SOURCES and report what does not add up.

    SOURCES are files (.xlsx .xlsm .xls .xlsb .ods .csv), folders, globs, or Google
    Sheets (gsheet://<spreadsheet id>[/<tab>] or the sheet's URL); or name them in
    lotsync.toml. On a terminal it prints a summary; from cron, one line (--verbose for
    all of it).

    \b
    Example:
      lotsync reconcile Inventory.xlsx "Treatments 2026.xlsx" --as-of 2026-11-30 --out lotsync-out
      lotsync reconcile --config clinic/lotsync.toml --quiet      # nightly, from cron
    """
    from lotsync.nightly.run import NightlyRun

    overrides = {"sources": list(sources) or None, "as_of": as_of, "day_first": day_first,
                 "tolerance": tolerance, "expiring_days": expiring_days, "fail_on": fail_on,
                 "outputs": formats, "out": out_dir, "write_back": write_back,
                 "history": False if no_history else history_path, "mapping": mapping}
    run = NightlyRun.prepare(config_path, overrides, infer_lots=not no_infer,
                             credentials=credentials, apply_lot_repairs=apply_lot_repairs,
                             verbose=verbose, mask_patients=mask_patients,
                             date_from=_parse_as_of(date_from) if date_from else None,
                             date_to=_parse_as_of(date_to) if date_to else None)
    outcome = run.execute(progress_factory=_StderrProgress)
    status = exit_code(outcome.result, run.settings["fail_on"])
    run.finish(status)
    import gc
    gc.freeze()  # the process ends next: skip one last scan of millions of objects
    if as_json:
        click.echo(json.dumps(outcome.summary_json(status), indent=2, ensure_ascii=False, default=str))
    elif quiet or (not verbose and not sys.stdout.isatty()):
        click.echo(outcome.one_line())
    else:
        from lotsync.writers.terminal import print_summary
        print_summary(outcome.result, outcome.out_dir, extra_lines=outcome.lines())
    sys.exit(status)


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the same as JSON, for scripts.")
def check(sources, as_of, mapping, day_first, as_json) -> None:
    """Show which tables lotsync finds in SOURCES and how it reads their columns.

    \b
    Example:
      lotsync check Inventory.xlsx "Treatments 2026.xlsx"
    """
    from lotsync.pipeline import load_practice, read_sources
    from lotsync.tables.mapping import load_mapping
    from lotsync.tables.parse import ParseOptions

    m = load_mapping(mapping)
    sheets = read_sources(sources)
    loaded = load_practice(sheets, m, ParseOptions(as_of=_parse_as_of(as_of), day_first=day_first))
    tables, ignored = [], []
    for t in loaded.inputs:
        if t.kind == "ignored":
            ignored.append({"file": t.file, "sheet": t.sheet, "reason": t.note})
        else:
            tables.append({"file": t.file, "sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
                           "rows_read": t.rows_read, "columns": dict(t.columns), "unused": list(t.unused)})
    problems = [{"code": f.code, "message": f.message, "file": f.source.file, "sheet": f.source.sheet,
                 "row": f.source.row, "column": f.source.column, "cell": f.source.cell}
                for f in loaded.findings if f.code in ("INVALID_VALUE", "MISSING_REQUIRED")]
    if as_json:
        click.echo(json.dumps({"tables": tables, "ignored": ignored, "problems": problems},
                              indent=2, ensure_ascii=False))
    else:
        for t in tables:
            where = f"{Path(t['file']).name}" + (f" › {t['sheet']}" if t["sheet"] else "")
            click.echo(f"{where}: {t['kind']} table, header in row {t['header_row']}, {t['rows_read']} rows")
            for f, h in t["columns"].items():
                click.echo(f"    {f:<18} ← {h}")
            if t["unused"]:
                click.echo(f"    unused columns: {', '.join(t['unused'])}")
        for i in ignored:
            where = f"{Path(i['file']).name}" + (f" › {i['sheet']}" if i["sheet"] else "")
            click.echo(f"{where}: ignored ({i['reason']})")
        if problems:
            click.echo(f"{len(problems)} unreadable or blank required cells:")
            for p in problems:
                where = " › ".join(str(x) for x in (Path(p["file"]).name, p["sheet"], p["cell"] or f"row {p['row']}") if x)
                click.echo(f"    {where}: {p['message']}")
        if not any(t["kind"] == "inventory" for t in tables):
            click.echo("No inventory table found: lotsync needs a receiving log with product, lot and quantity.")


@cli.command()
@click.option("--out", "out_dir", default="lotsync-demo", show_default=True, type=click.Path(file_okay=False),
              help="Folder for the sample practice (in practice/) and its report.")
def demo(out_dir) -> None:
    """Write a sample two-location med spa's sheets and reconcile them.

    The sample has problems planted on purpose (a mistyped lot, a wrong Remaining, an
    expired vial used, ...): the report shows how lotsync finds each one.

    \b
    Example:
      lotsync demo --out lotsync-demo
    """
    from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
    from lotsync.writers.terminal import print_summary

    out = Path(out_dir)
    practice_dir = out / "practice"
    if practice_dir.exists() and any(practice_dir.iterdir()):
        files = sorted(str(p) for p in practice_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        click.echo(f"Using the sample practice already in {practice_dir} (delete it for a fresh one).")
    else:
        files = [str(p) for p in write_demo_practice(practice_dir)]
        click.echo(f"Wrote a sample practice to {practice_dir}: {', '.join(Path(f).name for f in files)}")
    from lotsync.nightly.run import NightlyRun
    # the same path as `lotsync reconcile` (periods, every output), with no run history
    run_ = NightlyRun.prepare(None, {"sources": files, "as_of": DEMO_AS_OF.isoformat(),
                                     "out": str(out), "history": False, "fail_on": "never"})
    outcome = run_.execute(progress_factory=_StderrProgress)
    run_.finish(0)
    print_summary(outcome.result, out, extra_lines=outcome.lines())
    sys.exit(0)


@cli.command()
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
def init(directory) -> None:
    """Write a starter inventory workbook (Products, Inventory, Visits, Adjustments, Counts).

    It never overwrites a file. Its headers are ones lotsync reads without a mapping.

    \b
    Example:
      lotsync init clinic-records
    """
    from lotsync.templates import init_workbook

    click.echo(f"Wrote {init_workbook(directory)}")


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file (default: lotsync.toml in this folder).")
@click.option("--show", is_flag=True, help="Print the effective settings and where each comes from.")
@click.option("--init", "init_path", is_flag=False, flag_value="lotsync.toml", default=None,
              type=click.Path(), help="Write a commented starter lotsync.toml (never over a file).")
def config(config_path, show, init_path) -> None:
    """Show the effective settings, or write a starter lotsync.toml.

    \b
    Example:
      lotsync config --init            # writes ./lotsync.toml
      lotsync config --show
    """
    from lotsync.nightly.settings import effective_settings, load_config, show_settings, write_starter

    if init_path:
        click.echo(f"Wrote {write_starter(init_path)}")
        return
    cfg = load_config(config_path, Path.cwd())
    if cfg is None and not show:
        raise CannotRun("no lotsync.toml here; 'lotsync config --init' writes a starter")
    click.echo(show_settings(effective_settings(cfg, {})))


@cli.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Settings file (its history).")
@click.option("--history", "history_path", type=click.Path(dir_okay=False), help="History database.")
@click.option("--run", "run_id", type=int, help="Show one run in full.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def history(config_path, history_path, run_id, as_json) -> None:
    """List the recorded runs, or show one (what was new and resolved, the totals).

    \b
    Example:
      lotsync history
      lotsync history --run 12 --json
    """
    from lotsync.nightly.settings import effective_settings, load_config
    from lotsync.nightly.history import format_run, format_runs, open_history, to_jsonable

    cfg = load_config(config_path, Path.cwd())
    s = effective_settings(cfg, {"history": history_path})
    if s["history"] is None:
        raise CannotRun("no history: run with a lotsync.toml, or name one with --history")
    h = open_history(s["history"], create=False)
    try:
        data = h.run(run_id) if run_id is not None else h.runs()
        if as_json:
            click.echo(json.dumps(to_jsonable(data), indent=2, ensure_ascii=False))
        else:
            click.echo(format_run(data) if run_id is not None else format_runs(data))
    finally:
        h.close()


from lotsync.cli.audit import trace  # noqa: E402  (the recall command lives with the audit code)

cli.add_command(trace)


def main(argv: list[str] | None = None) -> None:
    """Entry point: turns every failure to run into exit 2 and one line on stderr."""
    try:
        rv = cli.main(args=argv, prog_name="lotsync", standalone_mode=False)
        sys.exit(rv or 0)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("lotsync: interrupted", err=True)
        sys.exit(2)
    except click.ClickException as e:
        click.echo(f"lotsync: {e.format_message()}", err=True)
        sys.exit(2)
    except (LotsyncError, FileExistsError) as e:
        click.echo(f"lotsync: {str(e).splitlines()[0] if str(e) else type(e).__name__}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("lotsync: interrupted", err=True)
        sys.exit(2)
    except OSError as e:
        click.echo(f"lotsync: {e.filename or ''}: {e.strerror or e}".replace(": :", ":"), err=True)
        sys.exit(2)
    except Exception as e:  # a bug: still one line, and no cell contents (they may be PHI)
        import os
        import traceback
        if os.environ.get("LOTSYNC_DEBUG"):
            traceback.print_exc()
        tb = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
        where = f" at {Path(tb.filename).name}:{tb.lineno}" if tb else ""
        click.echo(f"lotsync: internal error {type(e).__name__}{where}; please report it "
                   "(set LOTSYNC_DEBUG=1 for details)", err=True)
        sys.exit(2)
