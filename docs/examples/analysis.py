"""A consultant's first three questions, answered from lotsync's frames.

    python docs/examples/analysis.py Inventory.xlsx visits/ --as-of 2026-06-30

1. COGS by provider and month: the exact cost of every use, at its own lot's cost.
2. FEFO compliance by provider: of the visit rows that name their lot, the share that
   used the first-expiring lot on the shelf (no FEFO_VIOLATION).
3. Waste by product: units wasted and written off as expired, and what they cost.

Every sum is exact (the frames hold Arrow decimals; nothing passes through a float) and
comes from the same ledger as report.json: the project's tests run this script on the
demo practice and check its numbers against the report's figures. Amounts are rounded to
cents only when printed.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal

import pandas as pd

import lotsync

SOURCE_ROW = ["source_file", "source_sheet", "source_row"]


def cogs_by_provider_and_month(frames: dict[str, pd.DataFrame]) -> pd.Series:
    """COGS per (provider, month). A use's cost is minus its movement's value (a use
    takes stock out, so its quantity and value are negative). Uses of a lot without a
    cost have no value: they are estimated apart, as in report.json's cogs.by_provider."""
    mv = frames["movements"]
    uses = mv[(mv["kind"] == "used") & mv["value"].notna()]
    month = uses["date"].dt.strftime("%Y-%m").rename("month")
    return (-uses["value"]).rename("cogs").groupby([uses["provider"], month], observed=True,
                                                   dropna=False).sum()


def fefo_compliance_by_provider(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per provider: visit rows whose lot was written on the row (not inferred), how many
    drew a FEFO_VIOLATION, and the share that did not. A visit row is one source row; the
    findings point at the same (file, sheet, row) as the movements."""
    mv, fd = frames["movements"], frames["findings"]
    recorded = mv[(mv["kind"] == "used") & ~mv["inferred"]].drop_duplicates(SOURCE_ROW)
    late = fd[fd["code"] == "FEFO_VIOLATION"][SOURCE_ROW].drop_duplicates().assign(violation=True)
    rows = recorded[["provider", *SOURCE_ROW]].merge(late, how="left", on=SOURCE_ROW)
    rows["violation"] = rows["violation"].fillna(False).astype(bool)
    out = rows.groupby("provider", observed=True, dropna=False).agg(
        rows=("violation", "size"), violations=("violation", "sum"))
    out["compliance"] = 1 - out["violations"] / out["rows"]
    return out


def waste_by_product(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per product: units wasted and expired (in its unit of use) and their value at each
    lot's own cost (lots without a cost count in the units, not in the value)."""
    mv = frames["movements"]
    out = mv[mv["kind"].isin(["wasted", "expired"])]
    table = (-out[["quantity", "value"]]).groupby([out["product"], out["kind"]], observed=True).sum()
    return table.unstack("kind", fill_value=Decimal(0))


def _money(v) -> str:
    return "" if pd.isna(v) else f"${Decimal(v).quantize(Decimal('0.01')):,}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sources", nargs="+", help="files, folders or globs, as for lotsync reconcile")
    ap.add_argument("--as-of", help="end the ledger on this date (YYYY-MM-DD; default today)")
    ap.add_argument("--mask-patients", action="store_true", help="pseudonyms (LOTSYNC_MASK_KEY)")
    args = ap.parse_args(argv)
    try:
        result = lotsync.reconcile(args.sources, as_of=args.as_of, mask_patients=args.mask_patients)
    except lotsync.LotsyncError as e:
        print(f"analysis: {e}", file=sys.stderr)
        return 2
    frames = result.to_pandas()
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(f"{result!r}\n\nCOGS by provider and month")
        print(cogs_by_provider_and_month(frames).map(_money).unstack("month", fill_value="").to_string())
        print("\nFEFO compliance by provider (visit rows that name their lot)")
        fefo = fefo_compliance_by_provider(frames)
        print(fefo.assign(compliance=fefo["compliance"].map("{:.1%}".format)).to_string())
        print("\nWaste by product")
        waste = waste_by_product(frames)
        print(waste.apply(lambda col: col.map(_money) if col.name[0] == "value" else col).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
