"""`lotsync journal`: the month's inventory journal, ready to import into the books.

    lotsync journal --month 2026-03                       # sources, as_of, accounts from lotsync.toml
    lotsync journal Inventory.xlsx Treatments.xlsx --month 2026-03 --to quickbooks --out jan.csv
    lotsync journal --month 2026-03 --to xero --post      # and record it as posted: the month closes

Exit status: 0 written; 2 could not run (one line on stderr). A posted month is never
written again: what changed in it since goes, as an adjusting entry, into the journal of
a later month (docs/RULES.md, "Month-end").
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lotsync.writers.journal import FORMATS


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to journal.")
@click.option("--to", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="File layout: plain csv, QuickBooks Online or Xero journal import.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False),
              help="File to write (default: journal-YYYY-MM[-format].csv in the report folder).")
@click.option("--post", is_flag=True, help="Record the journal as posted in the run history: the month closes.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file (default: lotsync.toml in this folder, if there is one).")
@click.option("--as-of", "as_of", metavar="DATE", help="End the ledger on this date (default: as in lotsync.toml, else today).")
@click.option("--mapping", type=click.Path(dir_okay=False), help="TOML file naming sheets' kinds and columns.")
@click.option("--history", "history_path", type=click.Path(dir_okay=False),
              help="Run history holding posted months (default with a config: .lotsync/history.sqlite).")
def journal(sources, month, fmt, out_file, post, config_path, as_of, mapping, history_path) -> None:
    """Write the month's COGS, waste, expiry, returns, shrinkage and adjustment entries.

    One balanced entry per location, in cents, whose lines add up to the month's figures
    in report.json; accounts from lotsync.toml's [accounting].

    \b
    Example:
      lotsync journal --month 2026-03 --to quickbooks
    """
    from lotsync.books.journal import (MonthTable, build_journal, category_map, parse_month,
                                       posted_changes, posted_lines_of)
    from lotsync.books.posted import posted_findings
    from lotsync.errors import CannotRun
    from lotsync.nightly.history import open_history
    from lotsync.nightly.settings import effective_settings, load_config, reconcile_options
    from lotsync.pipeline import SourceReader, gc_paused, run
    from lotsync.writers.journal import describe, write_journal

    try:
        first, end = parse_month(month)
    except ValueError as e:
        raise CannotRun(f"--month: {e}") from None
    month = first.isoformat()[:7]
    cwd = Path.cwd()
    cfg = load_config(config_path, cwd)
    s = effective_settings(cfg, {"sources": list(sources) or None, "as_of": as_of, "mapping": mapping,
                                 "history": history_path}, cwd)
    if not s["sources"]:
        raise CannotRun("no sources: name files on the command line, or add [[sources]] to lotsync.toml")
    opts = reconcile_options(s, keep_movements=True)
    if first > opts.as_of:
        raise CannotRun(f"--month {month} is after as_of {opts.as_of}: nothing has happened in it yet")
    if post and end > opts.as_of:
        raise CannotRun(f"{month} is not over (as_of {opts.as_of}); post it once the month has ended")
    if post and s["history"] is None:
        raise CannotRun("--post needs a run history: run where lotsync.toml is, or give --history FILE")
    # only --post creates a history; reading posted months needs one that exists
    history = (open_history(s["history"], create=post)
               if s["history"] is not None and (post or Path(s["history"]).exists()) else None)
    try:
        practice = s["practice"]
        posted = history.posted(practice) if history is not None else []
        if history is not None and (when := history.posted_month(month, practice)) is not None:
            raise CannotRun(f"{month} was posted on {when[:10]} and stays closed; what changed in it goes "
                            "into a later month's journal as an adjusting entry")
        with gc_paused():  # a million rows' objects: no collector rescans (as reconcile does)
            result, loaded = run(s["sources"], opts, s["mapping"], read=SourceReader())
            categories = category_map(loaded.practice.products)
            accounts = s["accounting"].accounts()
            table = MonthTable(result, categories)
            changes = posted_changes(table, accounts, posted)
            j = build_journal(result, month, accounts, categories, posted, practice, table)
        for f in posted_findings(changes):
            click.echo(f"lotsync: warning: POSTED_PERIOD_CHANGED {f.message}", err=True)
        bad = [e.number for e in j.entries if e.debits != e.credits]
        if bad:  # cannot happen by construction; never hand the books an unbalanced file
            raise CannotRun(f"entries {', '.join(bad)} do not balance; please report it")
        path = Path(out_file) if out_file else Path(s["out"]) / (
            f"journal-{month}.csv" if fmt == "csv" else f"journal-{month}-{fmt}.csv")
        acc = s["accounting"]
        write_journal(j, path, fmt, acc.xero_tax_rate, acc.tracking_category)
        for line in describe(j):
            click.echo(line)
        if end > opts.as_of:
            click.echo(f"Note: {month} is not over; these are its figures up to {opts.as_of}.")
        click.echo(f"Wrote {path}")
        if post:
            history.post_journal(month, posted_lines_of(j), opts.as_of, practice, fmt)
            click.echo(f"Posted {month} in {s['history']}: it stays closed; later changes to it come as "
                       "adjusting entries in a later month's journal.")
    finally:
        if history is not None:
            history.close()
    sys.exit(0)
