"""docs/examples/analysis.py on the demo practice: its numbers are the report's numbers.

COGS by provider and month adds up to report.json's cogs.by_provider and cogs.by_month;
FEFO compliance by provider counts the report's per-provider FEFO violations over the
visit rows that name their lot; waste by product adds up to totals.waste_value and
expired_value. And the script runs as a user runs it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from decimal import Decimal, localcontext
from pathlib import Path

import pytest

import lotsync
from lotsync.audit.periods import periods_report
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
from lotsync.writers.json_report import report_dict

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "examples" / "analysis.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("analysis_example", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    files = [str(p) for p in write_demo_practice(tmp_path_factory.mktemp("demo") / "practice")]
    r = lotsync.reconcile(files, as_of=DEMO_AS_OF)
    report = report_dict(r)
    report.update(periods_report(r.periods()))
    return files, r, r.to_pandas(), report


def test_cogs_by_provider_and_month_adds_up_to_the_reports_cogs(example, demo):
    _, r, frames, report = demo
    cogs = example.cogs_by_provider_and_month(frames)
    by_provider = cogs.groupby(level="provider", observed=True, dropna=False).sum()
    by_month = cogs.groupby(level="month").sum()
    assert {(k if isinstance(k, str) else ""): v for k, v in by_provider.items()} == \
        {line["provider"]: line["cogs"] for line in report["cogs"]["by_provider"]}
    assert dict(by_month.items()) == {line["month"]: line["cogs"] for line in report["cogs"]["by_month"]}
    assert cogs.sum() == report["cogs"]["total"] == r.totals.cogs
    assert len(cogs) >= 4 * 11  # four providers, eleven months of the demo year


def test_fefo_compliance_by_provider_counts_the_reports_violations(example, demo):
    _, r, frames, report = demo
    fefo = example.fefo_compliance_by_provider(frames)
    providers = {p["provider"]: p for p in report["providers"]}
    assert set(fefo.index) == set(providers)
    for name, row in fefo.iterrows():
        assert row["violations"] == providers[name]["fefo_violations"], name
    assert fefo["violations"].sum() == r.summary.findings_by_code["FEFO_VIOLATION"] == 2
    # rows that name their lot: every visit row of the report but those with a lot gap and
    # those that took nothing (UNKNOWN_UNIT)
    named = sum(p["visit_rows"] - p["lot_gaps"] for p in providers.values())
    assert fefo["rows"].sum() == named - r.summary.findings_by_code.get("UNKNOWN_UNIT", 0)
    assert ((fefo["compliance"] > 0.99) & (fefo["compliance"] <= 1)).all()


def test_waste_by_product_adds_up_to_the_reports_waste_and_expired_values(example, demo):
    _, r, frames, report = demo
    waste = example.waste_by_product(frames)
    assert waste[("value", "wasted")].sum() == r.totals.waste_value
    assert waste[("value", "expired")].sum() == r.totals.expired_value
    per_lot: dict[str, Decimal] = {}
    with localcontext(prec=90):  # exact, as the ledger computes (Python's default: 28 digits)
        for lot in report["lots"]:
            if lot["unit_cost"] is not None:
                per_lot[lot["product"]] = per_lot.get(lot["product"], Decimal(0)) + lot["wasted"] * lot["unit_cost"]
    for product, row in waste.iterrows():
        assert row[("value", "wasted")] == per_lot[product], product
        assert row[("quantity", "wasted")] == sum(l["wasted"] for l in report["lots"] if l["product"] == product)


def test_the_example_script_runs_on_the_demo_practice(demo):
    files = demo[0]
    env = {k: v for k, v in os.environ.items() if k != "LOTSYNC_MASK_KEY"}
    res = subprocess.run([sys.executable, str(SCRIPT), *files, "--as-of", DEMO_AS_OF.isoformat()],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr
    for heading in ("COGS by provider and month", "FEFO compliance by provider", "Waste by product"):
        assert heading in res.stdout
    assert "Dr. Kim" in res.stdout and "Botox Cosmetic 100U" in res.stdout and "$" in res.stdout
    bad = subprocess.run([sys.executable, str(SCRIPT), "nope.xlsx"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert bad.returncode == 2 and bad.stderr.startswith("analysis: Cannot read nope.xlsx")
