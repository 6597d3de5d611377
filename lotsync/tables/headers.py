"""Header normalisation and the alias table (header mapping is data, SPEC §1).

`normalize_header` is the only code that decides when two spellings are the same
header; the spellings themselves live in `aliases.toml`, and a mapping file adds to or
overrides them without touching code (PUDL's column maps are the model).
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources

from lotsync.model import Kind

KIND_FIELDS: dict[Kind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required, optional)
    Kind.INVENTORY: (("product", "lot", "quantity"),
                     ("expiration", "received_date", "unit", "unit_cost", "total_cost",
                      "remaining", "location", "supplier", "invoice")),
    Kind.VISITS: (("date", "product", "quantity"),
                  ("lot", "patient", "provider", "visit_id", "location", "unit", "price")),
    Kind.ADJUSTMENTS: (("date", "product", "lot", "quantity", "type"),
                       ("reason", "location", "to_location", "unit", "staff")),
    Kind.COUNTS: (("date", "product", "lot", "counted"), ("location", "unit")),
    Kind.PRODUCTS: (("product",), ("aliases", "unit", "package_unit", "units_per_package", "category")),
}

ALL_FIELDS: frozenset[str] = frozenset(
    f for req, opt in KIND_FIELDS.values() for f in (*req, *opt)
)

_PUNCT_RE = re.compile(r"[^0-9a-z#]+")


def normalize_header(text: object) -> str:
    """`Lot #`, `Lot No.`, `lot number` -> `lotnumber`; `Rec'd` -> `recd`."""
    if text is None:
        return ""
    s = str(text).casefold().replace("#", " number ")
    s = re.sub(r"\bno\b\.?", " number ", s)
    s = re.sub(r"\bnbr\b|\bnum\b", " number ", s)
    return _PUNCT_RE.sub("", s)


@lru_cache(maxsize=1)
def alias_table() -> tuple[dict[str, str], dict[Kind, dict[str, str]]]:
    """(normalised header -> field for every kind, {kind: normalised header -> field})."""
    raw = tomllib.loads(resources.files("lotsync.tables").joinpath("aliases.toml").read_text("utf-8"))
    common: dict[str, str] = {}
    for field_name, spellings in raw["fields"].items():
        for s in spellings:
            common.setdefault(normalize_header(s), field_name)
    per_kind: dict[Kind, dict[str, str]] = {}
    for kind_name, fields in raw.get("kinds", {}).items():
        table: dict[str, str] = {}
        for field_name, spellings in fields.items():
            for s in spellings:
                table[normalize_header(s)] = field_name
        per_kind[Kind(kind_name)] = table
    return common, per_kind


def field_for(header: object, kind: Kind, extra: dict[str, str] | None = None) -> str | None:
    """The field a header names in a table of `kind`, or None. `extra` (from a mapping
    file, already normalised) wins, then the kind's own aliases, then the common ones."""
    key = normalize_header(header)
    if not key:
        return None
    if extra and key in extra:
        return extra[key]
    common, per_kind = alias_table()
    own = per_kind.get(kind, {})
    if key in own:
        return own[key]
    return common.get(key)


@lru_cache(maxsize=1)
def _field_names() -> tuple[frozenset[str], dict[Kind, frozenset[str]]]:
    """Each field's own name (the first spelling of its alias list), normalised."""
    raw = tomllib.loads(resources.files("lotsync.tables").joinpath("aliases.toml").read_text("utf-8"))
    common = frozenset(normalize_header(sp[0]) for sp in raw["fields"].values() if sp)
    per_kind = {Kind(k): frozenset(normalize_header(sp[0]) for sp in fields.values() if sp)
                for k, fields in raw.get("kinds", {}).items()}
    return common, per_kind


def alias_rank(header: object, kind: Kind) -> int:
    """0 when a header is its field's own name ("Product"), 1 for any other alias
    ("Treatment"). When two columns of a table name one field, the field's own name is
    read, else the earlier column (a visit log with both "Treatment" and "Product")."""
    key = normalize_header(header)
    common, per_kind = _field_names()
    return 0 if key in common or key in per_kind.get(kind, ()) else 1


#: Words in a cost header that name a package (SPEC §1: `Cost per Vial`, `Price/Box`):
#: the cost is per that package. `package`, `pkg`, `pack` name the product's own package
#: unit. `unit`, `each` and measures (`mL`, `mg`) name no package: such a cost stays per
#: the row's unit.
_PACKAGE_WORDS = {"vial": "vial", "vials": "vial", "box": "box", "boxes": "box", "bx": "box",
                  "syringe": "syringe", "syringes": "syringe", "syr": "syringe", "kit": "kit",
                  "pen": "pen", "bottle": "bottle", "carton": "carton", "ampule": "ampule",
                  "ampoule": "ampule", "cartridge": "cartridge", "tube": "tube",
                  "package": "package", "pkg": "package", "pack": "package"}
_WORDS_RE = re.compile(r"[a-z]+")


def package_of_cost(header: object) -> str | None:
    """The package a cost column's header names (`Cost per Vial` -> `vial`), or None."""
    for w in _WORDS_RE.findall(str(header or "").casefold()):
        if w in _PACKAGE_WORDS:
            return _PACKAGE_WORDS[w]
    return None


#: Header spellings that may name a quantity or a unit of measure: decided by the values.
AMBIGUOUS_UNITS = frozenset({normalize_header("Units"), normalize_header("Unit(s)")})

#: Headers of quantity-like columns, that a count tab's name turns into `counted`.
QUANTITY_FIELDS = frozenset({"quantity", "remaining"})

NAME_HINTS: dict[Kind, tuple[str, ...]] = {
    Kind.INVENTORY: ("inventory", "receiv", "stock", "purchase", "lots", "delivery", "intake"),
    Kind.VISITS: ("treatment", "visit", "injection", "usage", "patient", "appointment", "service", "procedure", "log"),
    Kind.ADJUSTMENTS: ("waste", "adjust", "transfer", "movement", "write", "spoil", "return"),
    Kind.COUNTS: ("count", "stocktake", "physical", "audit"),
    Kind.PRODUCTS: ("product", "catalog", "catalogue", "items", "formulary"),
}


def name_hint(*names: str | None) -> Kind | None:
    """The kind a tab name (first) or file name suggests, used only to break ties."""
    for name in names:
        if not name:
            continue
        low = name.casefold()
        for kind in (Kind.COUNTS, Kind.ADJUSTMENTS, Kind.PRODUCTS, Kind.INVENTORY, Kind.VISITS):
            if any(h in low for h in NAME_HINTS[kind]):
                return kind
    return None
