"""Products: which names are one product, its unit of use, and unit conversion.

Rules (SPEC §1): names match ignoring case and repeated spaces, and through the
catalog's aliases. A product's unit of use is the catalog's `unit`, else the unit most of
its visit rows use, else the unit most of its receipts use. A quantity in the unit of use
(or with no unit) counts as is; one in the product's package unit is multiplied by
`units_per_package`; anything else cannot be converted (UNKNOWN_UNIT). Dysport units are
not Botox units: conversion never crosses products.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter

from lotsync.model import Practice
from lotsync.tables.values import canon_unit, name_words, product_key

ONE = Decimal(1)


@dataclass(frozen=True)
class ProductInfo:
    key: str
    name: str
    unit: str | None
    package_unit: str | None
    units_per_package: Decimal | None
    words: frozenset[str]


class Catalog:
    """Resolves product names to products and row units to factors (memoised)."""

    def __init__(self, products: dict[str, ProductInfo], aliases: dict[str, str]) -> None:
        self.products = products
        self._aliases = aliases
        self._resolved: dict[str, str] = {}
        self._factors: dict[tuple[str, str | None], Decimal | None] = {}

    def resolve(self, name: str) -> str:
        """The product key of a name as written in a row."""
        hit = self._resolved.get(name)
        if hit is None:
            k = product_key(name)
            hit = self._aliases.get(k, k)
            self._resolved[name] = hit
        return hit

    def info(self, key: str) -> ProductInfo:
        return self.products[key]

    def factor(self, key: str, unit: str | None) -> Decimal | None:
        """Units of use per one `unit` of product `key`, or None when it cannot convert."""
        ck = (key, unit)
        if ck in self._factors:
            return self._factors[ck]
        p = self.products[key]
        u = canon_unit(unit)
        if u is None or p.unit is None or u == p.unit:
            f: Decimal | None = ONE
        elif p.package_unit is not None and u == p.package_unit and p.units_per_package:
            f = p.units_per_package
        else:
            f = None
        self._factors[ck] = f
        return f


def build_catalog(practice: Practice) -> Catalog:
    """The product catalog: catalog rows first, then every name the logs use."""
    products: dict[str, ProductInfo] = {}
    aliases: dict[str, str] = {}
    catalog_unit: dict[str, str | None] = {}
    for row in practice.products:
        k = product_key(row.product)
        if k in products:
            continue
        products[k] = ProductInfo(k, row.product, canon_unit(row.unit), canon_unit(row.package_unit),
                                  row.units_per_package, name_words(row.product))
        catalog_unit[k] = canon_unit(row.unit)
        for a in row.aliases:
            aliases.setdefault(product_key(a), k)
    for k in products:
        aliases[k] = k

    names: dict[str, str] = {}  # key -> first spelling seen
    visit_units: dict[str, Counter] = {}
    receipt_units: dict[str, Counter] = {}
    product_of, unit_of = attrgetter("product"), attrgetter("unit")
    for rows, counter in ((practice.inventory, receipt_units), (practice.visits, visit_units),
                          (practice.adjustments, None), (practice.counts, None)):
        # each distinct spelling once, in order of first use; the (name, unit) pairs are
        # counted in C: a million rows cost two passes of C, not a million Python steps
        key_of: dict[str, str] = {}
        for name in dict.fromkeys(map(product_of, rows)):
            pk = product_key(name)
            k = key_of[name] = aliases.get(pk, pk)
            names.setdefault(k, name)
        if counter is not None:
            for (name, unit), n in Counter(zip(map(product_of, rows), map(unit_of, rows))).items():
                if unit is not None:
                    counter.setdefault(key_of[name], Counter())[unit] += n
    for k, name in names.items():
        if k in products:
            continue
        unit = None
        for counter in (visit_units, receipt_units):
            c = counter.get(k)
            if c:
                unit = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                break
        products[k] = ProductInfo(k, name, unit, None, None, name_words(name))
    # catalog products with no unit: take it from the logs too
    for k, p in list(products.items()):
        if p.unit is None:
            for counter in (visit_units, receipt_units):
                c = counter.get(k)
                if c:
                    u = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                    if u != p.package_unit:
                        products[k] = ProductInfo(k, p.name, u, p.package_unit, p.units_per_package, p.words)
                        break
    return Catalog(products, aliases)
