"""The fields of each kind of table, header normalisation, and tab-name hints (SPEC §1).

`normalize_header` decides when a mapping file's header and a sheet's header are the same
(case, spaces and punctuation ignored; `#`, `No`, `No.`, `Number` alike). How a header is
read as a field is tables/words.py with its vocabulary.toml (the exact-spelling list,
aliases.toml, went with issue 9: nothing read it any more).
"""

from __future__ import annotations

import re
import unicodedata

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

#: Tab and file name stems per kind, English first, then Spanish, French, Portuguese, Italian,
#: German and Dutch (accents dropped before matching: `Recepción` -> recepcion).
NAME_HINTS: dict[Kind, tuple[str, ...]] = {
    Kind.INVENTORY: ("inventory", "receiv", "stock", "purchase", "lots", "delivery", "intake",
                     "inventario", "recepcion", "ingreso", "entrada", "compra", "existencia", "reception",
                     "livraison", "achat", "recebimento", "estoque", "ricevimento", "magazzino", "giacenz",
                     "eingang", "lieferung", "bestand", "lager", "ontvangst", "voorraad"),
    Kind.VISITS: ("treatment", "visit", "injection", "usage", "patient", "appointment", "service", "procedure", "log",
                  "tratamiento", "consulta", "aplicacion", "traitement", "soin", "visite", "tratamento",
                  "atendimento", "trattamento", "behandlung", "behandeling"),
    Kind.ADJUSTMENTS: ("waste", "wastage", "discard", "adjust", "transfer", "movement", "write", "spoil", "return",
                       "merma", "ajuste", "baja", "desperdicio", "traspaso", "perte", "ajustement", "casse",
                       "perda", "scarto", "rettifica", "verlust", "korrektur", "schwund", "afboeking"),
    Kind.COUNTS: ("count", "stocktake", "physical", "audit", "conteo", "recuento", "comptage", "inventaire",
                  "contagem", "conteggio", "inventur", "zahlung", "telling", "fisico"),
    Kind.PRODUCTS: ("product", "catalog", "catalogue", "items", "formulary", "producto", "produit", "produto",
                    "prodott", "artikel", "articulo", "article"),
}


def name_hint(*names: str | None) -> Kind | None:
    """The kind a tab name (first) or file name suggests, used only to break ties."""
    for name in names:
        if not name:
            continue
        low = "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))
        for kind in (Kind.COUNTS, Kind.ADJUSTMENTS, Kind.PRODUCTS, Kind.INVENTORY, Kind.VISITS):
            if any(h in low for h in NAME_HINTS[kind]):
                return kind
    return None
