"""`lotsync reconcile` (the main job, also nightly from cron) and `lotsync demo` (the same path on
the bundled sample practice)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from lotsync.cli.common import FAIL_LEVELS, StderrProgress, exit_code, parse_date
from lotsync.nightly.settings import DEFAULT_OUTPUTS, OUTPUT_FORMATS


@click.command()
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
@click.option("--format", "formats",
              help=f"Outputs to write, comma-separated, of {','.join(OUTPUT_FORMATS)} "
                   f"(default {','.join(DEFAULT_OUTPUTS)}).")
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
                             date_from=parse_date(date_from) if date_from else None,
                             date_to=parse_date(date_to) if date_to else None)
    # the process ends next: the run's objects are frozen for the collector, not scanned again
    # no Movement objects: the period figures come from the ledger's columns (execute's doc)
    outcome = run.execute(progress_factory=StderrProgress, process_exits=True, movements=False)
    status = exit_code(outcome.result, run.settings["fail_on"])
    run.notify(lambda line: click.echo(line, err=True))
    run.finish(status)
    if as_json:
        click.echo(json.dumps(outcome.summary_json(status), indent=2, ensure_ascii=False, default=str))
    elif quiet or (not verbose and not sys.stdout.isatty()):
        click.echo(outcome.one_line())
        if outcome.weak_guesses and not quiet:
            click.echo(outcome.weak_guesses, err=True)  # a doubt worth a line even in a log
    else:
        from lotsync.writers.terminal import print_summary
        print_summary(outcome.result, outcome.out_dir, extra_lines=outcome.lines())
    sys.exit(status)


@click.command()
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
    outcome = run_.execute(progress_factory=StderrProgress, process_exits=True, movements=False)
    run_.finish(0)
    print_summary(outcome.result, out, extra_lines=outcome.lines())
    sys.exit(0)
