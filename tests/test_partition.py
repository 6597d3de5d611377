"""The partition property (issue 10): reconciling a practice's independent parts apart and
merging gives the same report.json, byte for byte, as reconciling it whole."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from lotsync import pipeline
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
from lotsync.reconcile import Options, reconcile
from lotsync.reconcile.partition import (merge_parts, product_groups, reconcile_part,
                                         reconcile_partitioned, split_practice)
from lotsync.writers.json_report import write_report_json

from helpers import bench_generator


def _report_bytes(result, out: Path) -> bytes:
    return write_report_json(result, out).read_bytes()


def _same_report_whole_and_in_parts(files: list[Path], opts: Options, tmp_path: Path,
                                    map_=map) -> int:
    whole, loaded = pipeline.run([str(f) for f in files], opts)
    parted = reconcile_partitioned(loaded.practice, opts, loaded.inputs, loaded.findings, map_=map_)
    a = _report_bytes(whole, tmp_path / "whole")
    b = _report_bytes(parted, tmp_path / "parts")
    assert a == b
    assert parted.findings == whole.findings and parted.cogs == whole.cogs
    return len(split_practice(loaded.practice))


def test_demo_practice_in_parts_gives_the_same_report(tmp_path: Path) -> None:
    """The demo plants transfers, unlogged transfers, aliases, lot/product mismatches,
    counts, waste and inferred lots: the links the partition must respect."""
    files = write_demo_practice(tmp_path / "demo")
    n = _same_report_whole_and_in_parts(files, Options(as_of=DEMO_AS_OF), tmp_path)
    assert n > 3, "the demo's products split into several parts"


def test_generated_practice_in_parts_gives_the_same_report(tmp_path: Path) -> None:
    bench_generator()(3000, tmp_path / "gen", n_lots=300, seed=7, verbose=False)
    files = [tmp_path / "gen" / "inventory.xlsx", tmp_path / "gen" / "visits.xlsx"]
    n = _same_report_whole_and_in_parts(files, Options(as_of=dt.date(2026, 1, 1)), tmp_path)
    assert n > 10


def test_parts_reconciled_in_other_processes_merge_to_the_same_report(tmp_path: Path) -> None:
    files = write_demo_practice(tmp_path / "demo")
    with ProcessPoolExecutor(max_workers=2) as pool:
        _same_report_whole_and_in_parts(files, Options(as_of=DEMO_AS_OF), tmp_path, map_=pool.map)


def test_products_sharing_a_lot_key_are_one_part_and_sites_are_not_split(tmp_path: Path) -> None:
    files = write_demo_practice(tmp_path / "demo")
    _, loaded = pipeline.run([str(f) for f in files], Options(as_of=DEMO_AS_OF))
    practice = loaded.practice
    groups = product_groups(practice)
    parts = split_practice(practice)
    # every row in exactly one part
    assert sum(len(p.practice.visits) for p in parts) == len(practice.visits)
    assert sum(len(p.practice.inventory) for p in parts) == len(practice.inventory)
    assert sorted(i for p in parts for i in p.visit_rows) == list(range(len(practice.visits)))
    # a lot key never spans two parts; all sites of a product stay together
    part_of_key: dict[str, int] = {}
    for n, p in enumerate(parts):
        for row in (*p.practice.inventory, *p.practice.visits, *p.practice.adjustments):
            if row.lot_key is not None:
                assert part_of_key.setdefault(row.lot_key, n) == n
    assert len({frozenset(g) for g in groups}) == len(groups)
    # the demo's mismatch (a Botox lot typed under Restylane) and its alias (Juvederm's lot
    # under a shorter name) each join two products into one part
    whole = reconcile(practice, Options(as_of=DEMO_AS_OF), loaded.inputs, loaded.findings)
    assert {"LOT_PRODUCT_MISMATCH", "PRODUCT_ALIAS"} <= {f.code for f in whole.findings}
    linked = sorted(sorted(g) for g in groups if len(g) > 1)
    assert linked == [["botox cosmetic 100u", "restylane lyft 1ml"], ["juvederm", "juvederm ultra xc 1ml"]]


def test_merging_parts_out_of_order_changes_nothing(tmp_path: Path) -> None:
    files = write_demo_practice(tmp_path / "demo")
    opts = Options(as_of=DEMO_AS_OF)
    whole, loaded = pipeline.run([str(f) for f in files], opts)
    results = [reconcile_part(p, opts) for p in split_practice(loaded.practice)]
    merged = merge_parts(loaded.practice, results[::-1], opts, loaded.inputs, loaded.findings)
    assert _report_bytes(merged, tmp_path / "a") == _report_bytes(whole, tmp_path / "b")


def test_parts_merged_keep_the_ledger_columns_the_period_figures_read(tmp_path: Path) -> None:
    """With only Options.keep_ledger (what the reconcile command keeps), merged parts carry
    the parts' ledger columns joined: the period figures equal the whole's, both ways."""
    from decimal import localcontext

    from lotsync.audit.periods import compute_from_columns, compute_periods
    from lotsync.reconcile.lots import LEDGER_CONTEXT

    files = write_demo_practice(tmp_path / "demo")
    opts = Options(as_of=DEMO_AS_OF, keep_ledger=True)
    _, loaded = pipeline.run([str(f) for f in files], Options(as_of=DEMO_AS_OF))
    whole = reconcile(loaded.practice, opts, loaded.inputs, loaded.findings)
    parted = reconcile_partitioned(loaded.practice, opts, loaded.inputs, loaded.findings)
    assert not parted.movements and len(parted.ledger) == len(whole.ledger)
    assert compute_periods(parted) == compute_periods(whole)
    with localcontext(LEDGER_CONTEXT):  # as compute_periods runs it (exact sums)
        assert compute_from_columns(parted, None, None) == compute_from_columns(whole, None, None)
    # merging twice (the parts' columns are not consumed) gives the same again
    results = [reconcile_part(p, opts) for p in split_practice(loaded.practice)]
    first = merge_parts(loaded.practice, results, opts, loaded.inputs, loaded.findings)
    again = merge_parts(loaded.practice, results, opts, loaded.inputs, loaded.findings)
    assert compute_periods(first) == compute_periods(again) == compute_periods(whole)
