"""The config file `lotsync.toml`: everything a nightly run needs, so cron runs one word.

    practice = "Glow Med Spa"
    as_of = "today"                     # or a date: 2026-06-30
    day_first = false
    tolerance = 0.01
    expiring_days = 60
    fail_on = "error"                   # error | warning | info | never
    outputs = ["json", "csv"]           # json | csv | xlsx | html | corrected | parquet
    out = "lotsync-out"
    write_back = false
    history = ".lotsync/history.sqlite" # or false

    [[sources]]
    path = "Inventory.xlsx"             # a file, a folder or a glob
    kind = "inventory"                  # optional: pins the kind of its tables
    [[sources]]
    gsheet = "1AbC...xyz"               # a spreadsheet id (or its link)
    tab = "Visits"                      # optional: read only this tab

    [mapping.columns]                   # the --mapping file's structure, inline
    "Qty Rec" = "quantity"

`load_config(None, cwd)` finds `lotsync.toml` in `cwd`. Relative paths (sources, out,
history) are relative to the config file's folder, wherever lotsync is started from.

A file that cannot be used is a `ConfigError` whose one line names the file, the key path
(0-based list indexes, as in the mapping file's errors) and the problem:

    lotsync.toml: sources[2].pth: unknown key (did you mean 'path'?)
    lotsync.toml: sources[2].path: no file matches 'visits/2026-*.xlsx'
    lotsync.toml: day_first: expected true or false, got "yes"

Command-line options override the file: `effective_settings(config, overrides)`.
"""

from __future__ import annotations

from lotsync.errors import ConfigError  # defined there, with every cannot-run error

import datetime as dt
import difflib
import os
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import (BaseModel, ConfigDict, Field, ValidationError, field_validator,
                      model_validator)

from lotsync.books.journal import Accounts  # [accounting]'s defaults are the journal's
from lotsync.nightly.history import DEFAULT_HISTORY  # .lotsync/history.sqlite, beside the config
from lotsync.tables.mapping import KindName, Mapping, SheetMapping
from lotsync.tables.mapping import _loc  # one spelling of a key path: sources[2].path

CONFIG_NAME = "lotsync.toml"
DEFAULT_OUT = "lotsync-out"
#: What a run writes unless told otherwise.
DEFAULT_OUTPUTS = ("json", "csv", "xlsx", "html", "corrected")
#: Everything it can write: parquet (the four pandas frames, for a consultant's notebook or
#: DuckDB/Spark) only when asked, since it loads pandas and pyarrow.
OUTPUT_FORMATS = DEFAULT_OUTPUTS + ("parquet",)
FAIL_ON = ("error", "warning", "info", "never")
SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".tsv", ".txt"}


# --- the file's model (validated as written) ----------------------------------------------


class SourceEntry(BaseModel):
    """One `[[sources]]` table: a `path` (file, folder or glob) or a `gsheet` id."""

    model_config = ConfigDict(extra="forbid", strict=True)
    path: str | None = None
    gsheet: str | None = None
    tab: str | None = None
    kind: KindName | None = None

    @model_validator(mode="after")
    def _one_place(self) -> "SourceEntry":
        if self.path is None and self.gsheet is None:
            raise ValueError("needs either path = \"...\" or gsheet = \"<spreadsheet id>\"")
        if self.path is not None and self.gsheet is not None:
            raise ValueError("has both path and gsheet; give one source per [[sources]] table")
        for name in ("path", "gsheet", "tab"):
            v = getattr(self, name)
            if v is not None and not v.strip():
                raise ValueError(f"{name} is empty")
        return self


class AccountingSettings(BaseModel):
    """`[accounting]`: the accounts `lotsync journal` posts to (names as the books spell
    them; Xero files use the code before the first space), and
    `[accounting.cogs_by_category]`: a COGS account per product category of the catalog."""

    model_config = ConfigDict(extra="forbid", strict=True)
    # The defaults are the journal's own (books.journal.Accounts), written once.
    inventory_account: str = Accounts.inventory
    cogs_account: str = Accounts.cogs
    waste_account: str = Accounts.waste
    expired_account: str = Accounts.expired
    shrinkage_account: str = Accounts.shrinkage
    adjustment_account: str = Accounts.adjustment
    returns_account: str = Accounts.returns
    cogs_by_category: dict[str, str] = Field(default_factory=dict)
    tracking_category: str = "Location"  # Xero's tracking category for the location
    xero_tax_rate: str = "Tax Exempt"  # Xero needs a tax rate name on every line

    @model_validator(mode="after")
    def _not_empty(self) -> "AccountingSettings":
        for name, v in [(n, getattr(self, n)) for n in type(self).model_fields if n != "cogs_by_category"] \
                + [(f"cogs_by_category.{k}", v) for k, v in self.cogs_by_category.items()]:
            if not v.strip():
                raise ValueError(f"{name} is empty; give the account's name")
        return self

    def accounts(self):
        """The pure journal's `Accounts`."""
        return Accounts(inventory=self.inventory_account, cogs=self.cogs_account, waste=self.waste_account,
                        expired=self.expired_account, shrinkage=self.shrinkage_account,
                        adjustment=self.adjustment_account, returns=self.returns_account,
                        cogs_by_category=tuple(self.cogs_by_category.items()))


class NotifySettings(BaseModel):
    """`[notify]`: tell people after a nightly run (e-mail and/or a chat webhook).

    The SMTP password never sits in the file: `smtp_password_env` names the environment
    variable that holds it."""

    model_config = ConfigDict(extra="forbid", strict=True)
    when: Literal["new", "always", "errors"] = "new"
    email_to: list[str] = Field(default_factory=list)
    email_from: str | None = None
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password_env: str | None = None
    webhook_url: str | None = None
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)  # per attempt; 3 attempts at most

    @model_validator(mode="after")
    def _complete(self) -> "NotifySettings":
        if self.email_to and not self.smtp_host:
            raise ValueError("email_to needs smtp_host (the mail server to send through)")
        if self.email_to and not self.email_from:
            raise ValueError("email_to needs email_from (the sender address)")
        if any("@" not in a for a in self.email_to):
            raise ValueError("email_to: every entry must be an e-mail address")
        if self.smtp_user and not self.smtp_password_env:
            raise ValueError("smtp_user needs smtp_password_env (the environment variable holding "
                             "the password; the password itself never goes in this file)")
        if self.webhook_url is not None and not self.webhook_url.lower().startswith(("https://", "http://")):
            raise ValueError("webhook_url must start with https:// (or http://)")
        return self


class ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    practice: str | None = None
    sources: list[SourceEntry] = Field(default_factory=list)
    mapping: Mapping = Field(default_factory=Mapping)
    as_of: dt.date | Literal["today"] = "today"
    day_first: bool = False
    tolerance: Decimal = Decimal("0.01")
    expiring_days: int = Field(default=60, ge=0, le=3650)
    fail_on: Literal["error", "warning", "info", "never"] = "error"
    outputs: list[Literal["json", "csv", "xlsx", "html", "corrected", "parquet"]] = Field(
        default_factory=lambda: list(DEFAULT_OUTPUTS))
    out: str = DEFAULT_OUT
    write_back: bool = False
    history: str | bool = str(DEFAULT_HISTORY)
    accounting: AccountingSettings = Field(default_factory=AccountingSettings)
    notify: NotifySettings | None = None

    @field_validator("as_of", mode="before")
    @classmethod
    def _as_of(cls, v: Any) -> Any:
        return parse_as_of(v)

    @field_validator("tolerance", mode="before")
    @classmethod
    def _tolerance(cls, v: Any) -> Decimal:
        return parse_tolerance(v)

    @field_validator("outputs")
    @classmethod
    def _outputs(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError(f"is empty; name at least one of {', '.join(OUTPUT_FORMATS)}")
        return list(dict.fromkeys(v))

    @field_validator("history")
    @classmethod
    def _history(cls, v: str | bool) -> str | bool:
        if v is True:
            return str(DEFAULT_HISTORY)
        if isinstance(v, str) and not v.strip():
            raise ValueError("is empty (give a path, or false for no history)")
        return v


def parse_as_of(v: Any) -> dt.date | Literal["today"]:
    """A TOML date, "today" or "YYYY-MM-DD" (ValueError otherwise, worded for the user)."""
    if isinstance(v, dt.datetime):
        raise ValueError(f"{v.isoformat()} has a time of day; give a date (YYYY-MM-DD) or \"today\"")
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        s = v.strip()
        if s.lower() == "today":
            return "today"
        try:
            return dt.date.fromisoformat(s)
        except ValueError:
            raise ValueError(f"{v!r} is not a date (use YYYY-MM-DD or \"today\")") from None
    raise ValueError(f"expected a date (YYYY-MM-DD) or \"today\", got {_toml_repr(v)}")


def parse_tolerance(v: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (int, float, str, Decimal)):
        raise ValueError(f"expected a number, got {_toml_repr(v)}")
    try:
        d = Decimal(str(v).strip())  # str(): a float's shortest digits, 0.01 not 0.0100000000000000002
    except InvalidOperation:
        raise ValueError(f"expected a number, got {_toml_repr(v)}") from None
    if not d.is_finite() or d < 0:
        raise ValueError(f"must be zero or more, got {_toml_repr(v)}")
    return d


# --- the resolved config ------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A `[[sources]]` entry after resolution: `files` (absolute, sorted) for a path,
    `uri` (`gsheet://<id>[/<tab>]`) for a Google Sheet."""

    index: int
    entry: SourceEntry
    files: tuple[str, ...] = ()
    uri: str | None = None
    tab: str | None = None

    @property
    def kind(self) -> str | None:
        return self.entry.kind


@dataclass(frozen=True)
class Config:
    """A loaded `lotsync.toml`: `file` holds the values as written (validated), the rest
    is resolved against the file's folder."""

    path: Path
    file: ConfigFile
    sources: tuple[Source, ...]
    out: Path
    history: Path | None
    mapping: Mapping = field(default_factory=Mapping)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def source_strings(self) -> list[str]:
        """What to hand `lotsync.pipeline.run`: every file once (in config order) and every
        Google Sheet address. A file two globs match is read once, not counted twice."""
        out: list[str] = []
        seen: set[str] = set()
        for s in self.sources:
            for item in (s.files if s.uri is None else (s.uri,)):
                if item not in seen:
                    seen.add(item)
                    out.append(item)
        return out


class ConfigMapping(Mapping):
    """The config's `[mapping]` plus the `kind` its `[[sources]]` give.

    A `[[mapping.sheets]]` entry that matches a table and names a kind wins; otherwise a
    source's `kind` applies to its tables (only to `tab` when the source names one), and
    keeps the matched entry's header_row and columns."""

    source_kinds: list[SheetMapping] = Field(default_factory=list)

    def for_sheet(self, file: str, sheet: str | None):
        entry, cols = super().for_sheet(file, sheet)
        if entry is not None and entry.kind is not None:
            return entry, cols
        pinned = next((s for s in self.source_kinds if s.matches(file, sheet)), None)
        if pinned is None:
            return entry, cols
        if entry is None:
            return pinned, cols
        return entry.model_copy(update={"kind": pinned.kind}), cols


def load_config(path: Path | str | None, cwd: Path | str, *,
                check_sources: bool = True) -> Config | None:
    """Read `path` (or `cwd/lotsync.toml` when path is None; None when there is none).

    Raises ConfigError (one line) for a file that cannot be used, including a source
    that matches no file: a nightly run should fail loudly, not reconcile half a practice.
    Commands that only show settings or the history (`config --show`, `history`) pass
    `check_sources=False`: a source not written yet (the starter's Inventory.xlsx) is then
    listed with no files instead of refusing to show anything.
    """
    cwd = Path(cwd)
    if path is None:
        p = cwd / CONFIG_NAME
        if not p.is_file():
            return None
    else:
        p = Path(path)
        if not p.is_absolute():
            p = cwd / p
        if p.is_dir():
            p = p / CONFIG_NAME
        if not p.is_file():
            raise ConfigError(f"{_shown(p, cwd)}: config file not found")
    p = p.resolve()
    shown = _shown(p, cwd)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{shown}: not valid TOML ({_one_line(e)})") from None
    except OSError as e:
        raise ConfigError(f"{shown}: cannot read it ({e.strerror or e})") from None
    return config_from_dict(data, p, shown=shown, check_sources=check_sources)


def config_from_dict(data: dict, path: Path, shown: str | None = None, *,
                     check_sources: bool = True) -> Config:
    """Validate and resolve already-parsed TOML (`path` locates relative paths)."""
    shown = shown or path.name
    try:
        cf = ConfigFile.model_validate(data)
    except ValidationError as e:
        raise ConfigError(f"{shown}: {_error_line(e.errors()[0], data)}") from None
    base = path.parent
    out = _resolve(base, cf.out)
    sources = tuple(_resolve_source(i, s, base, shown, out, check_sources)
                    for i, s in enumerate(cf.sources))
    _check_gsheet_overlap(sources, shown)
    history = None if cf.history is False else _resolve(base, str(cf.history))
    mapping = ConfigMapping(columns=cf.mapping.columns, sheets=cf.mapping.sheets,
                            source_kinds=_source_kinds(sources))
    return Config(path=path, file=cf, sources=sources, out=out,
                  history=history, mapping=mapping)


def _resolve(base: Path, p: str) -> Path:
    q = Path(os.path.expanduser(p))
    return q if q.is_absolute() else base / q


def _resolve_source(i: int, s: SourceEntry, base: Path, shown: str, out: Path,
                    check: bool = True) -> Source:
    if not check and s.gsheet is None:
        try:
            return _resolve_source(i, s, base, shown, out)
        except ConfigError:  # shown as configured; a run would refuse it with one line
            return Source(i, s, files=(str(_resolve(base, s.path.strip())),),
                          tab=s.tab.strip() if s.tab else None)
    where = f"{shown}: sources[{i}]"
    if s.gsheet is not None:
        from lotsync.readers.gsheets import parse_gsheet_source
        from lotsync.readers.raw import ReadError
        text = s.gsheet.strip()
        if not text.lower().startswith(("gsheet://", "https://", "http://", "docs.google.com/")):
            text = "gsheet://" + text
        try:
            gs = parse_gsheet_source(text)
        except ReadError as e:
            msg = _one_line(e).removeprefix(text + ": ")
            if msg.startswith("expected gsheet://"):
                msg = f"{s.gsheet!r} is not a spreadsheet id (the part after /d/ in its link)"
            raise ConfigError(f"{where}.gsheet: {msg}") from None
        if gs is None:
            raise ConfigError(f"{where}.gsheet: {s.gsheet!r} is not a spreadsheet id or link")
        tab = s.tab.strip() if s.tab else gs.tab
        uri = gs.uri + (f"/{quote(tab, safe='')}" if tab else "")
        return Source(i, s, uri=uri, tab=tab)
    pattern = s.path.strip()
    full = _resolve(base, pattern)
    is_glob = any(ch in pattern for ch in "*?[") and not full.exists()
    if not is_glob and not full.exists():
        raise ConfigError(f"{where}.path: no file matches {pattern!r}")
    # The one expansion the command line uses too: it skips lotsync's own outputs and
    # the out folder (issue 14 item 10: `path = "."` read report.xlsx back every night).
    from lotsync.pipeline import expand_sources
    from lotsync.readers.raw import ReadError
    try:
        files = [os.path.abspath(f) for f in expand_sources([str(full)], exclude=[out])]
    except ReadError as e:
        if is_glob:
            raise ConfigError(f"{where}.path: no file matches {pattern!r}") from None
        if full.is_dir():
            raise ConfigError(f"{where}.path: the folder {pattern!r} holds no spreadsheet") from None
        raise ConfigError(f"{where}.path: {_one_line(e)}") from None
    return Source(i, s, files=tuple(files), tab=s.tab.strip() if s.tab else None)


def _check_gsheet_overlap(sources: tuple[Source, ...], shown: str) -> None:
    whole: dict[str, int] = {}
    for s in sources:
        if s.uri is not None and "/" not in s.uri.removeprefix("gsheet://"):
            whole.setdefault(s.uri, s.index)
    for s in sources:
        if s.uri is None:
            continue
        sid = "gsheet://" + s.uri.removeprefix("gsheet://").split("/", 1)[0]
        if sid != s.uri and sid in whole:
            raise ConfigError(
                f"{shown}: sources[{s.index}].tab: sources[{whole[sid]}] already reads every tab of "
                "this spreadsheet, so this tab would be counted twice; remove one of them")


def _source_kinds(sources: tuple[Source, ...]) -> list[SheetMapping]:
    out = []
    for s in sources:
        if s.kind is None:
            continue
        # a Google Sheet's tables all have file = gsheet://<id>, whichever tab they are
        files = s.files if s.uri is None else ("gsheet://" + s.uri.removeprefix("gsheet://").split("/", 1)[0],)
        for item in files:
            out.append(SheetMapping(file=_glob_literal(item), sheet=s.tab, kind=s.kind))
    return out


def _glob_literal(path: str) -> str:
    """A file name as an fnmatch pattern that matches only itself."""
    return "".join(f"[{c}]" if c in "*?[]" else c for c in path)


# --- error lines --------------------------------------------------------------------------


def _toml_repr(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "a table"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v)


_EXPECTED = {
    "bool": "true or false", "int": "a whole number", "string": "text in quotes",
    "str": "text in quotes", "list": "a list [...]", "dict": "a table",
    "model": "a table", "model_attributes": "a table", "float": "a number",
    "decimal": "a number", "date": "a date (YYYY-MM-DD)",
}

_MODELS = {"": ConfigFile, "sources": SourceEntry, "mapping": Mapping, "mapping.sheets": SheetMapping,
           "accounting": AccountingSettings, "notify": NotifySettings}


def _known_keys(loc: tuple) -> list[str]:
    parent = ".".join(p for p in loc[:-1] if isinstance(p, str))
    model = _MODELS.get(parent)
    return sorted(model.model_fields) if model else []


def _value_at(data: Any, loc: tuple) -> Any:
    for part in loc:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _error_line(err: dict, data: dict) -> str:
    loc = tuple(err["loc"])
    if loc and loc[0] in ("as_of", "history"):
        loc = loc[:1]  # pydantic adds the union member tried (`history.str`): keep the key
    typ = err["type"]
    where = _loc(loc) or "(top level)"
    given = err.get("input")
    if typ == "extra_forbidden":
        known = _known_keys(loc)
        key = str(loc[-1])
        if len(loc) > 1 and key in ConfigFile.model_fields:
            name = ".".join(str(p) for p in loc[:-1] if isinstance(p, str))
            table = f"[[{name}]]" if any(isinstance(p, int) for p in loc) else f"[{name}]"
            return (f"{where}: unknown key ({key} is a top-level setting: move it above the first "
                    f"{table} table)")
        near = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]!r}?)" if near else (f" (keys here: {', '.join(known)})" if known else "")
        return f"{where}: unknown key{hint}"
    if typ == "missing":
        return f"{where}: required key is missing"
    if typ == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        choices = expected.replace("'", "").replace(" or ", ", ")
        return f"{where}: must be one of {choices}, got {_toml_repr(given)}"
    if typ in ("value_error", "assertion_error"):
        return f"{where}: {err['msg'].removeprefix('Value error, ').removeprefix('Assertion failed, ')}"
    if typ in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        ctx = err.get("ctx", {})
        bound = {"greater_than_equal": f"{ctx.get('ge')} or more", "less_than_equal": f"{ctx.get('le')} or less",
                 "greater_than": f"more than {ctx.get('gt')}", "less_than": f"less than {ctx.get('lt')}"}[typ]
        return f"{where}: must be {bound}, got {_toml_repr(given)}"
    if typ.endswith(("_type", "_parsing")):
        if where == "history":
            return f"{where}: expected a path in quotes or false, got {_toml_repr(given)}"
        base = typ.rsplit("_", 1)[0]
        if base == "model" and "sources" in loc:
            base = "dict"
        want = _EXPECTED.get(base, base.replace("_", " "))
        if loc and loc[-1] == "as_of":
            want = 'a date (YYYY-MM-DD) or "today"'
        return f"{where}: expected {want}, got {_toml_repr(_value_at(data, loc) if given is None else given)}"
    return f"{where}: {err['msg']}"


def _one_line(e: BaseException) -> str:
    return (str(e).splitlines() or [type(e).__name__])[0]


def _shown(p: Path, cwd: Path) -> str:
    try:
        return str(p.relative_to(cwd.resolve()))
    except ValueError:
        return str(p)


# --- effective settings (command line over file over defaults) ----------------------------


#: The settings `lotsync config --show` prints, in this order.
SETTING_KEYS = ("config", "practice", "sources", "as_of", "day_first", "tolerance", "expiring_days",
                "fail_on", "outputs", "out", "write_back", "history", "mapping")


def effective_settings(config: Config | None, cli_overrides: dict, cwd: Path | str | None = None) -> dict:
    """The settings a run uses: each command-line value that was given (not None) wins
    over the config file, which wins over the defaults.

    `cli_overrides` keys (all optional): sources (list of str), as_of (str "YYYY-MM-DD" /
    "today" or a date), day_first (bool), tolerance (str/Decimal), expiring_days (int),
    fail_on, outputs (list or "json,csv"), out (path), write_back (bool), history (path,
    or False for none), mapping (a path to a --mapping file), practice. Relative override
    paths are taken against `cwd` (the command's working directory), the file's against
    the file's folder.

    Returns plain values: sources list[str] (ready for pipeline.run), as_of date or
    "today" (see `resolve_as_of`), tolerance Decimal, outputs list[str], out Path,
    history Path or None, mapping a `Mapping`, config the file's Path or None, and
    `origin`: {key: "command line" | "<config file name>" | "default"}. The history is on
    by default only with a config file (`.lotsync/history.sqlite` beside it); without
    one, only when `history` is given.
    """
    cwd = Path(cwd) if cwd is not None else Path.cwd()
    defaults = ConfigFile()
    s: dict[str, Any] = {
        "config": config.path if config else None,
        "practice": defaults.practice,
        "sources": [],
        "as_of": defaults.as_of,
        "day_first": defaults.day_first,
        "tolerance": defaults.tolerance,
        "expiring_days": defaults.expiring_days,
        "fail_on": defaults.fail_on,
        "outputs": list(defaults.outputs),
        "out": _resolve(cwd, DEFAULT_OUT),
        "write_back": defaults.write_back,
        # without a config file there is no history unless --history names one: an ad-hoc
        # `lotsync reconcile file.xlsx` leaves no .lotsync folder behind
        "history": None,
        "mapping": Mapping(),
        "accounting": defaults.accounting,
        "notify": defaults.notify,
    }
    origin = {k: "default" for k in s}
    origin["config"] = "found" if config else "none found"
    if config is not None:
        f = config.file
        name = config.path.name
        given = f.model_fields_set
        from_file = {
            "practice": f.practice, "sources": config.source_strings(), "as_of": f.as_of,
            "day_first": f.day_first, "tolerance": f.tolerance, "expiring_days": f.expiring_days,
            "fail_on": f.fail_on, "outputs": list(f.outputs), "out": config.out,
            "write_back": f.write_back, "history": config.history, "mapping": config.mapping,
            "accounting": f.accounting, "notify": f.notify,
        }
        for k, v in from_file.items():
            s[k] = v
            if k in given or (k == "mapping" and config.mapping.source_kinds):
                origin[k] = name
    for k, v in cli_overrides.items():
        if v is None:
            continue
        if k not in s or k in ("config", "accounting", "notify"):
            raise ConfigError(f"unknown setting {k!r} (settings: {', '.join(SETTING_KEYS[1:])})")
        s[k] = _override(k, v, cwd)
        origin[k] = "command line"
    s["origin"] = origin
    return s


def _override(k: str, v: Any, cwd: Path) -> Any:
    try:
        if k == "as_of":
            return parse_as_of(v)
        if k == "tolerance":
            return parse_tolerance(v)
        if k == "fail_on":
            if v not in FAIL_ON:
                raise ValueError(f"must be one of {', '.join(FAIL_ON)}, got {v!r}")
            return v
        if k == "outputs":
            items = [x.strip() for x in (v.split(",") if isinstance(v, str) else v) if x.strip()]
            bad = [x for x in items if x not in OUTPUT_FORMATS]
            if bad or not items:
                raise ValueError(f"unknown format {', '.join(bad) or repr(v)} (choose from {', '.join(OUTPUT_FORMATS)})")
            return list(dict.fromkeys(items))
        if k == "out":
            return _resolve(cwd, str(v))
        if k == "history":
            return None if v is False else _resolve(cwd, str(v))
        if k == "mapping":
            if isinstance(v, Mapping):
                return v
            from lotsync.tables.mapping import MappingError, load_mapping
            try:
                return load_mapping(_resolve(cwd, str(v)))
            except MappingError as e:
                raise ValueError(str(e)) from None
        if k == "sources":
            return [str(x) for x in ([v] if isinstance(v, str) else v)]
        if k == "expiring_days":
            return int(v)
        return v
    except ValueError as e:
        option = {"outputs": "format"}.get(k, k)  # the command-line option that sets it
        raise ConfigError(f"--{option.replace('_', '-')}: {_one_line(e)}") from None


def resolve_as_of(value: dt.date | str, today: dt.date | None = None) -> dt.date:
    """A setting's as_of as the date to reconcile to ("today" is the run's own date)."""
    if value == "today":
        return today or dt.date.today()
    return value  # type: ignore[return-value]


def reconcile_options(settings: dict, today: dt.date | None = None, **extra):
    """`lotsync.reconcile.Options` from effective settings (extra: infer_lots, keep_movements)."""
    from lotsync.reconcile import Options
    return Options(as_of=resolve_as_of(settings["as_of"], today), tolerance=settings["tolerance"],
                   expiring_days=settings["expiring_days"], day_first=settings["day_first"], **extra)


def show_settings(settings: dict) -> str:
    """`lotsync config --show`: one `key = value` line each, TOML-like, with where it came from."""
    origin = settings.get("origin", {})
    lines = []
    for k in SETTING_KEYS:
        v = settings[k]
        if k == "mapping":
            m: Mapping = v
            sheets = len(m.sheets) + len(getattr(m, "source_kinds", []))
            text = f"{len(m.columns)} column names, {sheets} sheet entries" if (m.columns or sheets) else "none"
        elif k == "sources":
            text = "[" + ", ".join(_toml_repr(x) for x in v) + "]" if v else "[]  (none: give sources on the command line)"
        elif k == "history":
            text = _toml_repr(str(v)) if v is not None else "false"
        elif k == "outputs":
            text = "[" + ", ".join(_toml_repr(x) for x in v) + "]"
        elif v is None:
            text = "(not set)"
        elif isinstance(v, Path):
            text = _toml_repr(str(v))
        else:
            text = _toml_repr(v)
        lines.append(f"{k} = {text}  # {origin.get(k, 'default')}")
    return "\n".join(lines)


# --- the starter file ---------------------------------------------------------------------


STARTER_TOML = '''\
# lotsync.toml: what `lotsync reconcile` reads when it is run in this folder.
# Paths are relative to this file's folder. Command-line options override these settings.
# Check it with `lotsync config --show`.

# The practice's name, shown on the reports and in the run history.
practice = "My Med Spa"

# Reconcile up to this date: "today" (the day the run happens) or a date such as 2026-06-30.
as_of = "today"

# Read ambiguous text dates such as 03/04/2026 as day/month (true) or month/day (false).
day_first = false

# Quantity differences up to this many units of use count as equal.
tolerance = 0.01

# EXPIRING_SOON: lots that expire within this many days after as_of.
expiring_days = 60

# Exit with status 1 when a finding at or above this severity exists:
# "error", "warning", "info", or "never" (always 0 when the run worked).
fail_on = "error"

# Reports to write: any of "json", "csv", "xlsx", "html", "corrected" (these five by
# default) and "parquet" (lots, movements, findings and visits as Parquet tables for
# pandas, DuckDB or Spark, in parquet/); and the folder to write them to.
outputs = ["json", "csv", "xlsx", "html", "corrected"]
out = "lotsync-out"

# Write the findings back into Google Sheets sources (a "lotsync findings" tab).
write_back = false

# The run history (what is new and what was resolved since the last run), or false for none.
history = ".lotsync/history.sqlite"

# Where the sheets are: one [[sources]] table each. A path may be a file, a folder or a
# glob ("visits/2026-*.xlsx"). `kind` (optional) pins what the tables are: inventory,
# visits, adjustments, counts, products or ignore; `tab` narrows it to one tab.
[[sources]]
path = "Inventory.xlsx"
kind = "inventory"

[[sources]]
path = "visits/*.xlsx"

# A Google Sheet: its id (from the link .../spreadsheets/d/<id>/edit), optionally one tab.
# [[sources]]
# gsheet = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
# tab = "Treatments"
# kind = "visits"

# Column names lotsync does not recognise by itself (header = field), as in --mapping files.
# [mapping.columns]
# "Qty Rec" = "quantity"
#
# [[mapping.sheets]]
# file = "Inventory*.xlsx"
# sheet = "Receiving"
# header_row = 3

# The month-end journal (`lotsync journal --month 2026-03`): the accounts it posts to,
# spelled as in your books. Xero files use the code before the first space ("1400").
[accounting]
inventory_account = "1400 Inventory"
cogs_account = "5000 Cost of goods sold"
waste_account = "5100 Waste"
expired_account = "5110 Expired write-off"
shrinkage_account = "5120 Inventory shrinkage"
adjustment_account = "5130 Inventory adjustments"
returns_account = "2000 Accounts payable"
# tracking_category = "Location"     # Xero tracking category that holds the location
# xero_tax_rate = "Tax Exempt"       # Xero's tax rate name for these lines

# A COGS account per product category (the catalog's Category column); others use cogs_account.
[accounting.cogs_by_category]
# Neurotoxin = "5010 COGS - Neurotoxins"

# Tell people after each run: when = "new" (only when a finding is new), "always" or "errors".
# No patient identifier is ever sent. The SMTP password is read from the environment
# variable named here, never from this file.
# [notify]
# when = "new"
# email_to = ["books@clinic.example"]
# email_from = "lotsync@clinic.example"
# smtp_host = "smtp.clinic.example"
# smtp_port = 587
# smtp_starttls = true
# smtp_user = "lotsync"
# smtp_password_env = "LOTSYNC_SMTP_PASSWORD"
# webhook_url = "https://hooks.example/..."
'''


def write_starter(path: Path | str) -> Path:
    """Write STARTER_TOML to `path` (a folder means `folder/lotsync.toml`); never
    overwrites: FileExistsError when the file is there."""
    p = Path(path)
    if p.is_dir():
        p = p / CONFIG_NAME
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(p, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(STARTER_TOML)
    except FileExistsError:
        raise FileExistsError(f"{p} already exists; lotsync does not overwrite it") from None
    return p
