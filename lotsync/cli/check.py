"""`lotsync check`: which tables lotsync finds and how it reads their columns.

Per column: the field, how sure detection is and the words that decided; a weak guess is
flagged; a sheet that was not read names the likeliest columns for what it lacked.
`--write-mapping FILE` writes what was decided as a mapping file a person can correct (one
edit per miss) and give back to `reconcile --mapping`.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePath

import click

from lotsync.cli.common import common_options, parse_date


def _toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def mapping_text(detections) -> str:
    """The decisions of one check as a mapping TOML (the format of tables/mapping.py)."""
    from lotsync.tables.headers import ALL_FIELDS
    out = ["# Written by 'lotsync check --write-mapping'. Each column is read as the field on its",
           "# right; correct a line (or write \"ignore\") and run 'lotsync reconcile ... --mapping' with",
           "# this file. Fields: " + ", ".join(sorted(ALL_FIELDS)) + ".", ""]
    for d in detections:
        name = PurePath(d.sheet.file).name
        if d.kind is None:
            out += [f"# {name}{' › ' + d.sheet.sheet if d.sheet.sheet else ''}: not read ({d.note}).",
                    "# To read it, add a [[sheets]] entry with its kind, header_row and columns.", ""]
            continue
        out += ["[[sheets]]", f"file = {_toml_str(name)}"]
        if d.sheet.sheet:
            out.append(f"sheet = {_toml_str(d.sheet.sheet)}")
        out += [f"kind = {_toml_str(d.kind.value)}", f"header_row = {d.header_row}", "[sheets.columns]"]
        for f, r in d.readings.items():
            how = "mapping file" if r.by_mapping else f"{round(r.confidence * 100)}% sure" + (
                f", from {' '.join(r.words)}" if r.words else "")
            out.append(f"{_toml_str(r.header)} = {_toml_str(f)}  # {how}{' — WEAK GUESS' if r.weak else ''}")
        for h in d.unused:
            out.append(f"{_toml_str(h)} = \"ignore\"")
        out.append("")
    return "\n".join(out)


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
    from lotsync.pipeline import load_practice, read_sources
    from lotsync.tables.mapping import load_mapping
    from lotsync.tables.parse import ParseOptions
    from lotsync.writers.safe import atomic_path

    m = load_mapping(mapping)
    sheets = read_sources(sources)
    loaded = load_practice(sheets, m, ParseOptions(as_of=parse_date(as_of), day_first=day_first))
    readings = {(d.sheet.file, d.sheet.sheet): d for d in loaded.detections}
    tables, ignored = [], []
    for t in loaded.inputs:
        d = readings.get((t.file, t.sheet))
        if t.kind == "ignored":
            ignored.append({"file": t.file, "sheet": t.sheet, "reason": t.note,
                            "closest": {f: list(h) for f, h in (d.closest if d else {}).items()}})
        else:
            cols = {f: {"header": r.header, "confidence": r.confidence, "words": list(r.words),
                        "weak": r.weak, "by_mapping": r.by_mapping}
                    for f, r in (d.readings if d else {}).items()}
            tables.append({"file": t.file, "sheet": t.sheet, "kind": t.kind, "header_row": t.header_row,
                           "rows_read": t.rows_read, "columns": cols, "unused": list(t.unused)})
    problems = [{"code": f.code, "message": f.message, "file": f.source.file, "sheet": f.source.sheet,
                 "row": f.source.row, "column": f.source.column, "cell": f.source.cell}
                for f in loaded.findings if f.code in ("INVALID_VALUE", "MISSING_REQUIRED")]
    if write_mapping:
        with atomic_path(write_mapping) as tmp:
            Path(tmp).write_text(mapping_text(loaded.detections), encoding="utf-8")
    if as_json:
        click.echo(json.dumps({"tables": tables, "ignored": ignored, "problems": problems},
                              indent=2, ensure_ascii=False))
    else:
        for t in tables:
            where = f"{Path(t['file']).name}" + (f" › {t['sheet']}" if t["sheet"] else "")
            click.echo(f"{where}: {t['kind']} table, header in row {t['header_row']}, {t['rows_read']} rows")
            for f, c in t["columns"].items():
                how = "from the mapping file" if c["by_mapping"] else (
                    f"{round(c['confidence'] * 100):>3}%" + (f"  ({' '.join(c['words'])})" if c["words"] else ""))
                flag = "  ← weak guess, check it" if c["weak"] else ""
                click.echo(f"    {f:<18} ← {c['header']!r:<28} {how}{flag}")
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
        if write_mapping:
            click.echo(f"Wrote {write_mapping}: correct any line, then run 'lotsync reconcile ... --mapping {write_mapping}'.")
