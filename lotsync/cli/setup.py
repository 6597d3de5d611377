"""`lotsync init` (a starter workbook), `lotsync config` (settings) and `lotsync history` (the
recorded runs)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lotsync.errors import CannotRun


@click.command()
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


@click.command()
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
    from lotsync.nightly.settings import (
        effective_settings,
        load_config,
        show_settings,
        write_starter,
    )

    if init_path:
        click.echo(f"Wrote {write_starter(init_path)}")
        return
    cfg = load_config(config_path, Path.cwd(), check_sources=False)
    if cfg is None and not show:
        raise CannotRun("no lotsync.toml here; 'lotsync config --init' writes a starter")
    click.echo(show_settings(effective_settings(cfg, {})))


@click.command()
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
    from lotsync.nightly.history import (
        format_run,
        format_runs,
        open_history,
        to_jsonable,
    )
    from lotsync.nightly.settings import effective_settings, load_config

    cfg = load_config(config_path, Path.cwd(), check_sources=False)
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
