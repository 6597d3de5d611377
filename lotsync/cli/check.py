"""`lotsync check`: which tables lotsync finds and how it reads their columns."""

from __future__ import annotations

import json
from pathlib import Path

import click

from lotsync.cli.common import common_options, parse_date


@click.command()
@click.argument("sources", nargs=-1, required=True)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the same as JSON, for scripts.")
def check(sources, as_of, mapping, day_first, as_json) -> None:
    """Show which tables lotsync finds in SOURCES and how it reads their columns.

    \b
    Example:
      lotsync check Inventory.xlsx "Treatments 2026.xlsx"
    """
    from lotsync.survey import check_sources
    from lotsync.tables.mapping import load_mapping
    from lotsync.tables.parse import ParseOptions

    found = check_sources(sources, load_mapping(mapping),
                          ParseOptions(as_of=parse_date(as_of), day_first=day_first))
    if as_json:
        click.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
        return
    for t in found.tables:
        click.echo(f"{_where(t.file, t.sheet)}: {t.kind} table, header in row {t.header_row}, "
                   f"{t.rows_read} rows")
        for f, h in t.columns.items():
            click.echo(f"    {f:<18} ← {h}")
        if t.unused:
            click.echo(f"    unused columns: {', '.join(t.unused)}")
    for i in found.ignored:
        click.echo(f"{_where(i.file, i.sheet)}: ignored ({i.reason})")
    if found.problems:
        click.echo(f"{len(found.problems)} unreadable or blank required cells:")
        for p in found.problems:
            where = " › ".join(str(x) for x in (Path(p.file).name, p.sheet, p.cell or f"row {p.row}") if x)
            click.echo(f"    {where}: {p.message}")
    if not found.has_inventory:
        click.echo("No inventory table found: lotsync needs a receiving log with product, lot and quantity.")


def _where(file: str, sheet: str | None) -> str:
    return Path(file).name + (f" › {sheet}" if sheet else "")
