"""`lotsync check`: which tables lotsync finds and how it reads their columns.

Per column: the field, how sure detection is and the words that decided; a weak guess is
flagged; a sheet that was not read names the likeliest columns for what it lacked.
`--write-mapping FILE` writes what was decided as a mapping file a person can correct (one
edit per miss) and give back to `reconcile --mapping`.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from lotsync.cli.common import common_options, parse_date


@click.command()
@click.argument("sources", nargs=-1, required=True)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Print the same as JSON, for scripts.")
@click.option("--write-mapping", "write_mapping", type=click.Path(dir_okay=False),
              help="Write what was decided as a mapping file to correct and pass to --mapping.")
def check(sources, as_of, mapping, day_first, as_json, write_mapping) -> None:
    """Show which tables lotsync finds in SOURCES and how it reads their columns.

    \b
    Example:
      lotsync check Inventory.xlsx "Treatments 2026.xlsx"
      lotsync check Inventory.xlsx --write-mapping mapping.toml
    """
    from lotsync.survey import check_sources, format_mapping
    from lotsync.tables.mapping import load_mapping
    from lotsync.tables.parse import ParseOptions
    from lotsync.writers.safe import atomic_path

    found = check_sources(sources, load_mapping(mapping),
                          ParseOptions(as_of=parse_date(as_of), day_first=day_first))
    if write_mapping:
        with atomic_path(write_mapping) as tmp:
            Path(tmp).write_text(format_mapping(found.detections), encoding="utf-8")
    if as_json:
        click.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
        return
    for t in found.tables:
        click.echo(f"{_where(t.file, t.sheet)}: {t.kind} table, header in row {t.header_row}, "
                   f"{t.rows_read} rows")
        for f, r in t.readings.items():
            how = "from the mapping file" if r.by_mapping else (
                f"{round(r.confidence * 100):>3}%" + (f"  ({' '.join(r.words)})" if r.words else ""))
            flag = "  ← weak guess, check it" if r.weak else ""
            click.echo(f"    {f:<18} ← {r.header!r:<28} {how}{flag}")
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
    if write_mapping:
        click.echo(f"Wrote {write_mapping}: correct any line, then run 'lotsync reconcile ... --mapping {write_mapping}'.")


def _where(file: str, sheet: str | None) -> str:
    return Path(file).name + (f" › {sheet}" if sheet else "")
