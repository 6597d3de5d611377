"""The mapping file (`--mapping FILE`, TOML): where detection misses, the clinic says.

    [columns]                 # header -> field, in every table
    "Qty Rec" = "quantity"

    [[sheets]]                # one entry per tab (or CSV file) to pin down
    file = "Inventory*.xlsx"  # file name or glob (optional)
    sheet = "Receiving"       # tab name (optional)
    kind = "inventory"        # inventory | visits | adjustments | counts | products | ignore
    header_row = 3            # 1-based (optional)
    [sheets.columns]
    "Notes" = "ignore"        # a field name, or "ignore"

A mapping always wins over detection. A bad file is a `MappingError` whose one line
names the key path and what is wrong (exit 2).
"""

from __future__ import annotations

from lotsync.errors import MappingError  # defined there, with every cannot-run error

import fnmatch
import tomllib
from pathlib import Path, PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from lotsync.tables.headers import ALL_FIELDS, normalize_header

KindName = Literal["inventory", "visits", "adjustments", "counts", "products", "ignore"]


def _check_columns(v: dict[str, str]) -> dict[str, str]:
    for header, field_name in v.items():
        if field_name != "ignore" and field_name not in ALL_FIELDS:
            raise ValueError(
                f"{header!r} maps to unknown field {field_name!r} "
                f"(fields: {', '.join(sorted(ALL_FIELDS))}, or 'ignore')"
            )
    return v


class SheetMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str | None = None
    sheet: str | None = None
    kind: KindName | None = None
    header_row: int | None = Field(default=None, ge=1, le=1_048_576)
    columns: dict[str, str] = Field(default_factory=dict)

    _v = field_validator("columns")(_check_columns)

    def matches(self, file: str, sheet: str | None) -> bool:
        if self.file is not None:
            name = PurePath(file).name
            if not (fnmatch.fnmatch(name, self.file) or fnmatch.fnmatch(file, self.file)):
                return False
        if self.sheet is not None and (sheet or "").casefold() != self.sheet.casefold():
            return False
        return True


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    columns: dict[str, str] = Field(default_factory=dict)
    sheets: list[SheetMapping] = Field(default_factory=list)

    _v = field_validator("columns")(_check_columns)

    def for_sheet(self, file: str, sheet: str | None) -> tuple[SheetMapping | None, dict[str, str]]:
        """The sheet's own entry (first that matches) and its header map, normalised."""
        entry = next((s for s in self.sheets if s.matches(file, sheet)), None)
        cols = {normalize_header(h): f for h, f in self.columns.items()}
        if entry:
            cols.update({normalize_header(h): f for h, f in entry.columns.items()})
        return entry, cols


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def load_mapping(path: str | Path | None) -> Mapping:
    """Read and validate a mapping file; an empty mapping when `path` is None."""
    if path is None:
        return Mapping()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise MappingError(f"{p}: mapping file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise MappingError(f"{p}: not valid TOML ({e})") from None
    return mapping_from_dict(data, str(p))


def mapping_from_dict(data: dict, where: str = "mapping") -> Mapping:
    """A mapping file's structure already parsed (or written as a dict in Python);
    MappingError names `where` and the key path of the first problem."""
    try:
        return Mapping.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        raise MappingError(f"{where}: {_loc(err['loc'])}: {msg}") from None
