"""Split a practice into parts that reconcile independently, and merge their results.

The rule (SPEC §1-§2, as `booking.py` implements it): every interaction between two rows
goes through a product key or a lot key, never through a location alone.

* Within one product, locations interact: a transfer moves stock between them, a row whose
  lot exists only at another site takes from it there (UNLOGGED_TRANSFER), a repaired lot
  key is looked up at every location, the estimated cost of uncovered use is the product's
  mean over all its locations, and the unit of use is voted by all its visit rows. So
  (product, location) is NOT an independent partition in general.
* Across products, rows interact only through a shared lot key: PRODUCT_ALIAS takes from
  another product's lot with the row's key, LOT_PRODUCT_MISMATCH names the products that
  own the key. Duplicate detection, open-vial evidence, FEFO and near-key repair are all
  within one product.

So the exact partition key is the connected component of products linked by lot keys: a
union-find over product keys (after catalog aliases), joining every product that carries a
given lot key in any table. The products catalog is small and goes whole to every part
(each part resolves names exactly as the whole would). A practice of 50 products usually
splits into about 50 parts; a lot number typed under the wrong product merges two.

Each part is reconciled by `reconcile_part` (catalog, booking, lot checks: the per-row
work) to a `PartResult`, which is plain picklable data, so parts can run in other processes
or on other machines. `merge_parts` is the aggregation: it puts each visit row's take back
at its row, groups COGS, sorts findings and gives them their ids, and computes totals and
the summary over the whole, so the merged `Result` equals `reconcile(practice)` (report.json
is byte-identical; tests/test_partition.py holds that). The one difference: `movements` are
merged in date order, not in the single sweep's interleaving of products within a day; the
ledger's columns (Options.keep_ledger) are the parts' one after another, which the period
figures read alike (a visit row's movements are all in its part).

Rejected: partitioning by (product, location) (wrong as soon as a transfer or an unlogged
transfer links two sites; exact only for a site with no such link, which the union-find
finds anyway if locations are added as nodes, at the cost of shipping product-wide facts,
mean cost and unit of use, to every part); merging finished `Result`s (a visit spanning two
products would need its rows' order back to pick its date and provider, and finding ids
depend on the global order).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import localcontext
from typing import Callable, Iterable, Sequence

from lotsync.model import Finding, Practice, TableInput
from lotsync.reconcile import assemble_result
from lotsync.reconcile.booking import VisitTake
from lotsync.reconcile.catalog import build_catalog
from lotsync.reconcile.checks import check_lots
from lotsync.reconcile.cogs import compute_cogs, visit_key
from lotsync.reconcile.ledger import join_ledgers
from lotsync.reconcile.lots import LEDGER_CONTEXT
from lotsync.reconcile.result import LotResult, Movement, Options, Result
from lotsync.reconcile.sweep import SweepBooker

__all__ = ["Part", "PartResult", "product_groups", "split_practice", "reconcile_part",
           "merge_parts", "reconcile_partitioned"]


@dataclass(frozen=True)
class Part:
    """One independent part: its products, its rows (in the whole's order), and where its
    visit rows sit in the whole practice's visits."""

    products: frozenset[str]
    practice: Practice
    visit_rows: tuple[int, ...]


@dataclass(frozen=True)
class PartResult:
    """What a part's per-row work produced: plain data, picklable, ready to merge."""

    visit_rows: tuple[int, ...]
    lots: tuple[LotResult, ...]
    findings: tuple[Finding, ...]  # unsorted, without ids: ids need the whole's order
    takes: tuple[VisitTake | None, ...]
    missing_lot_notes: dict
    product_names: dict[str, str]
    movements: tuple[Movement, ...]
    ledger: LedgerColumns | None = None  # the part's columns, with Options.keep_ledger


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = parent.setdefault(x, x)
        while root != parent[root]:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _rows(practice: Practice) -> Iterable:
    yield from practice.inventory
    yield from practice.visits
    yield from practice.adjustments
    yield from practice.counts


def product_groups(practice: Practice) -> list[frozenset[str]]:
    """Product keys (after aliases) grouped into components linked by shared lot keys,
    in order of each group's first row."""
    resolve = build_catalog(practice).resolve
    uf = _UnionFind()
    owner: dict[str, str] = {}
    for row in _rows(practice):
        pk = resolve(row.product)
        uf.find(pk)
        key = getattr(row, "lot_key", None)
        if key is not None:
            first = owner.setdefault(key, pk)
            if first != pk:
                uf.union(first, pk)
    members: dict[str, set[str]] = {}
    for pk in uf.parent:
        members.setdefault(uf.find(pk), set()).add(pk)
    return [frozenset(m) for m in members.values()]


def split_practice(practice: Practice) -> list[Part]:
    """The practice as independent parts (one per product group); every row in exactly one."""
    resolve = build_catalog(practice).resolve
    groups = product_groups(practice)
    part_of = {pk: i for i, g in enumerate(groups) for pk in g}
    n = len(groups)

    def split(rows: tuple) -> list[list]:
        out: list[list] = [[] for _ in range(n)]
        for row in rows:
            out[part_of[resolve(row.product)]].append(row)
        return out

    inventory, adjustments, counts = (split(practice.inventory), split(practice.adjustments),
                                      split(practice.counts))
    visits: list[list] = [[] for _ in range(n)]
    positions: list[list[int]] = [[] for _ in range(n)]
    for i, v in enumerate(practice.visits):
        p = part_of[resolve(v.product)]
        visits[p].append(v)
        positions[p].append(i)
    return [Part(groups[i], Practice(inventory=tuple(inventory[i]), visits=tuple(visits[i]),
                                     adjustments=tuple(adjustments[i]), counts=tuple(counts[i]),
                                     products=practice.products),
                 tuple(positions[i]))
            for i in range(n)]


def reconcile_part(part: Part, opts: Options) -> PartResult:
    """The per-row work of `reconcile` for one part: catalog, booking, lot checks."""
    with localcontext(LEDGER_CONTEXT):
        catalog = build_catalog(part.practice)
        booker = SweepBooker(part.practice, catalog, opts, keep_takes=True)  # the lean sweep
        booking, notes = booker.run(), booker.missing_lot_suggestions
        if booking.ledger is not None:
            booking.ledger.done()
        lots, lot_findings = check_lots(list(booking.lots.values()), opts)
        return PartResult(part.visit_rows, tuple(lots), tuple(booking.findings) + tuple(lot_findings),
                          tuple(booking.takes), dict(notes),
                          {k: p.name for k, p in catalog.products.items()},
                          tuple(booking.movements), booking.ledger)


def merge_parts(practice: Practice, parts: Sequence[PartResult], opts: Options,
                inputs: tuple[TableInput, ...] = (),
                parse_findings: Sequence[Finding] = ()) -> Result:
    """The whole practice's `Result` from its parts: the aggregation step (group-bys,
    sorting, ids, totals) that needs every part, and nothing of the per-row work."""
    with localcontext(LEDGER_CONTEXT):
        takes: list[VisitTake | None] = [None] * len(practice.visits)
        names: dict[str, str] = {}
        notes: dict = {}
        lots: list[LotResult] = []
        for pr in parts:
            for i, t in zip(pr.visit_rows, pr.takes):
                takes[i] = t
            names.update(pr.product_names)
            notes.update(pr.missing_lot_notes)
            lots.extend(pr.lots)
        lots.sort(key=lambda r: (r.product.casefold(), r.lot_key, r.location))
        cogs = compute_cogs(practice.visits, takes, names)
        movements = sorted((m for pr in parts for m in pr.movements),
                           key=lambda m: m.date.toordinal() if m.date else 0)
        ledger = None  # the parts' columns one after another (`join_ledgers`)
        for pr in parts:
            if pr.ledger is not None:
                ledger = pr.ledger if ledger is None else join_ledgers(ledger, pr.ledger)
        return assemble_result(practice, opts, inputs, parse_findings, notes,
                               [f for pr in parts for f in pr.findings], lots, cogs,
                               len({visit_key(v) for v in practice.visits}), movements, ledger)


def reconcile_partitioned(practice: Practice, opts: Options, inputs: tuple[TableInput, ...] = (),
                          parse_findings: Sequence[Finding] = (),
                          map_: Callable = map) -> Result:
    """`reconcile`, part by part: `map_` runs `reconcile_part` over the parts (the builtin
    `map` here; `ProcessPoolExecutor().map`, a Dask bag or Ray tasks elsewhere)."""
    parts = split_practice(practice)
    results = list(map_(reconcile_part, parts, [opts] * len(parts)))
    return merge_parts(practice, results, opts, inputs, parse_findings)
