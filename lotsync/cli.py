"""The command line: `lotsync reconcile | check | demo`.

Exit status (SPEC §5): 0 reconciled with nothing at or above --fail-on; 1 reconciled with
findings at or above it; 2 could not run — one line on stderr, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from lotsync import __version__
from lotsync.model import Severity

FAIL_LEVELS = {"error": 0, "warning": 1, "info": 2, "never": -1}
FORMATS = ("json", "csv", "xlsx", "html", "corrected")


class CannotRun(Exception):
    """Exit 2 with this one line."""


def _parse_as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def _parse_tolerance(value: str) -> Decimal:
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not a number") from None
    if not d.is_finite() or d < 0:
        raise click.BadParameter("must be zero or more")
    return d


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


def _run_reconcile(sources, as_of, mapping, day_first, tolerance, expiring_days, infer_lots,
                   reader=None):
    from lotsync.pipeline import SourceReader, run
    from lotsync.reconcile import Options
    from lotsync.tables.mapping import load_mapping

    opts = Options(as_of=_parse_as_of(as_of), tolerance=_parse_tolerance(tolerance),
                   expiring_days=expiring_days, infer_lots=infer_lots, day_first=day_first)
    m = load_mapping(mapping)
    with _StderrProgress() as progress:
        return run(sources, opts, m, read=reader or SourceReader(), progress=progress)


def _publish_sheets(result, loaded, reader, write: bool, apply_lot_repairs: bool,
                    verbose: bool) -> list[str]:
    """Write corrections back into Google Sheets sources (or say what would change)."""
    from lotsync.writers.gsheets_publish import findings_table, plan_sheet_changes, summary_table

    plans = plan_sheet_changes(result, loaded, apply_lot_repairs)
    lines: list[str] = []
    if not plans:
        return lines
    if not write:
        for sid, changes in plans.items():
            lines.append(f"gsheet://{sid}: --write-back would change {len(changes)} cell(s)"
                         + (": " + ", ".join(f"{c.tab}!{c.a1}" for c in changes[:20]) if changes else "")
                         + " and refresh the 'lotsync findings' and 'lotsync summary' tabs")
        return lines
    from lotsync.writers.gsheets_writeback import WriteBackError, write_back
    ftable, stable = findings_table(result), summary_table(result)
    for sid, changes in plans.items():
        try:
            rep = write_back(reader.client, sid, changes, ftable, stable, dt.date.today())
        except WriteBackError as e:
            if verbose:
                for line in e.report.lines():
                    click.echo(line, err=True)
            raise CannotRun(str(e).splitlines()[0]) from None
        lines.extend(rep.lines())
    return lines


def _write_outputs(result, loaded, out_dir: Path, formats: tuple[str, ...],
                   apply_lot_repairs: bool = False) -> list[str]:
    """Write the chosen renderings of the one result; returns lines for the summary."""
    from lotsync.writers.findings_csv import write_findings_csv
    from lotsync.writers.json_report import write_report_json

    notes: list[str] = []
    if "json" in formats:
        write_report_json(result, out_dir)
    if "csv" in formats:
        write_findings_csv(result, out_dir)
    if "xlsx" in formats:
        from lotsync.writers.report_xlsx import write_report_xlsx
        notes.append(f"Report workbook: {write_report_xlsx(result, out_dir)}")
    if "html" in formats:
        from lotsync.writers.report_html import write_report_html
        notes.append(f"HTML report: {write_report_html(result, out_dir)}")
    if "corrected" in formats:
        from lotsync.writers.corrected import write_corrected
        outputs = write_corrected(result, loaded, out_dir, apply_lot_repairs=apply_lot_repairs)
        for o in outputs:
            line = f"Corrected: {o.path} ({o.changed_cells} cells changed)"
            if o.note:
                line += f" — {o.note}"
            notes.append(line)
    return notes


def _formats(value: str) -> tuple[str, ...]:
    chosen = tuple(x.strip() for x in value.split(",") if x.strip())
    bad = [x for x in chosen if x not in FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"unknown format {', '.join(bad) or value!r} (choose from {', '.join(FORMATS)})")
    return chosen


@cli.command()
@click.argument("sources", nargs=-1, required=True)
@common_options
@click.option("--out", "out_dir", default="lotsync-out", show_default=True, type=click.Path(file_okay=False),
              help="Folder for report.json and findings.csv.")
@click.option("--tolerance", default="0.01", show_default=True, help="Quantity differences up to this are equal.")
@click.option("--expiring-days", default=60, show_default=True, type=click.IntRange(0, 3650),
              help="EXPIRING_SOON window after as_of.")
@click.option("--fail-on", type=click.Choice(list(FAIL_LEVELS)), default="error", show_default=True,
              help="Exit 1 when a finding at or above this severity exists.")
@click.option("--no-infer-lots", "no_infer", is_flag=True, help="Do not infer the lot of visits that lack one.")
@click.option("--format", "formats", default=",".join(FORMATS), show_default=True,
              help="Outputs to write, comma-separated.")
@click.option("--apply-lot-repairs", is_flag=True,
              help="In corrected visit copies, write a typo'd lot as the one lot it resolves to.")
@click.option("--credentials", type=click.Path(dir_okay=False),
              help="Google service-account key file (else GOOGLE_APPLICATION_CREDENTIALS, else gspread's default).")
@click.option("--write-back", is_flag=True,
              help="Write corrected Remaining cells, notes and lotsync tabs into Google Sheets sources.")
@click.option("--verbose", "-v", is_flag=True, help="Say more: requests made to Google Sheets, write-back detail.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing on success.")
def reconcile(sources, as_of, mapping, day_first, out_dir, tolerance, expiring_days, fail_on,
              no_infer, formats, apply_lot_repairs, credentials, write_back, verbose, quiet) -> None:
    """Re-derive every lot's ledger from SOURCES and report what does not add up.

    SOURCES are files (.xlsx .xlsm .xls .xlsb .ods .csv), folders, globs, or Google
    Sheets (gsheet://<spreadsheet id>[/<tab>] or the sheet's URL).

    \b
    Example:
      lotsync reconcile Inventory.xlsx "Treatments 2026.xlsx" --as-of 2026-11-30 --out lotsync-out
    """
    fmts = _formats(formats)
    from lotsync.pipeline import SourceReader

    reader = SourceReader(credentials)
    result, loaded = _run_reconcile(sources, as_of, mapping, day_first, tolerance, expiring_days,
                                    not no_infer, reader)
    out = Path(out_dir)
    notes = _write_outputs(result, loaded, out, fmts, apply_lot_repairs)
    notes += _publish_sheets(result, loaded, reader, write_back, apply_lot_repairs, verbose)
    if verbose and reader.requests_made():
        notes.append(f"Google Sheets API requests this run: {reader.requests_made()}")
    if not quiet:
        from lotsync.writers.terminal import print_summary
        print_summary(result, out, extra_lines=notes)
    sys.exit(exit_code(result, fail_on))


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
    from lotsync.demo import DEMO_AS_OF, write_demo_practice
    from lotsync.pipeline import run
    from lotsync.reconcile import Options
    from lotsync.writers.terminal import print_summary

    out = Path(out_dir)
    practice_dir = out / "practice"
    if practice_dir.exists() and any(practice_dir.iterdir()):
        files = sorted(str(p) for p in practice_dir.iterdir() if p.is_file() and not p.name.startswith("."))
        click.echo(f"Using the sample practice already in {practice_dir} (delete it for a fresh one).")
    else:
        files = [str(p) for p in write_demo_practice(practice_dir)]
        click.echo(f"Wrote a sample practice to {practice_dir}: {', '.join(Path(f).name for f in files)}")
    result, loaded = run(files, Options(as_of=DEMO_AS_OF))
    notes = _write_outputs(result, loaded, out, FORMATS)
    print_summary(result, out, extra_lines=notes)
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


def main(argv: list[str] | None = None) -> None:
    """Entry point: turns every failure to run into exit 2 and one line on stderr."""
    from lotsync.pipeline import NoInventoryError
    from lotsync.readers import ReadError
    from lotsync.tables.mapping import MappingError

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
    except (ReadError, NoInventoryError, MappingError, CannotRun, FileExistsError) as e:
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
