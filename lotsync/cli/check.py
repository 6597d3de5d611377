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
    from lotsync.pipeline import load_practice, read_sources
    from lotsync.tables.mapping import load_mapping
    from lotsync.tables.parse import ParseOptions

    m = load_mapping(mapping)
    sheets = read_sources(sources)
    loaded = load_practice(sheets, m, ParseOptions(as_of=parse_date(as_of), day_first=day_first))
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
