"""Period figures (issue 6) on a hand-built practice whose every number is worked out here.

The practice (one site, as_of 2026-06-30):
  Receiving  E  Botox    EARLY1  50 u  at $5    received 2026-01-15, expires 2026-09-30
             A  Botox    LATE22  100 u at $6    received 2026-01-15, expires 2026-12-31
             F  Juvederm JV9     10 syr at $300 received 2026-02-01, expires 2026-04-30
  Visits  r1 2026-01-20 Amy  Botox EARLY1  20 u  $300   cogs 20x5 = 100
          r2 2026-02-10 Ben  Botox LATE22  30 u  $400   cogs 30x6 = 180, FEFO_VIOLATION (E had 30)
          r3 2026-02-10 Ben  Botox N/A     10 u  -      MISSING_LOT; open vial -> A: 10x6 = 60
          r4 2026-02-12 Amy  Juvederm JV9   2 syr $1400 cogs 2x300 = 600
          r5 2026-03-02 Amy  Botox ZZZ999   4 u  -      UNKNOWN_LOT; FEFO -> E: 4x5 = 20
  Adjustments 2026-03-05 waste 5 u of A ($30); 2026-05-01 expired 8 syr of F ($2,400)
  Count   2026-03-31 E counted 24 (ledger 50-20-4 = 26): variance -2 u = -$10 (shrinkage $10)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from helpers import run_files, write_book
from lotsync.audit.periods import (compute_periods, period_table, periods_json, periods_report,
                             provider_table, supply_table, visit_rows)
from lotsync.writers.json_report import _ENCODER

D = Decimal
RECV = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit", "Unit Cost"]
TREAT = ["Date", "Patient", "Provider", "Product", "Lot", "Qty", "Unit", "Price"]
ADJ = ["Date", "Product", "Lot", "Qty", "Type"]
COUNT = ["Date", "Product", "Lot", "Counted"]


#: A FEFO violation, a missing and an unknown lot (inferred), waste, an expiry and a count
#: with shrinkage (tests/test_period_columns.py builds a variant of it).
PRACTICE = {
        "Receiving": [RECV,
                      ["Botox", "EARLY1", date(2026, 9, 30), date(2026, 1, 15), 50, "units", 5],
                      ["Botox", "LATE22", date(2026, 12, 31), date(2026, 1, 15), 100, "units", 6],
                      ["Juvederm", "JV9", date(2026, 4, 30), date(2026, 2, 1), 10, "syringe", 300]],
        "Treatments": [TREAT,
                       [date(2026, 1, 20), "P1", "Amy", "Botox", "EARLY1", 20, "units", 300],
                       [date(2026, 2, 10), "P2", "Ben", "Botox", "LATE22", 30, "units", 400],
                       [date(2026, 2, 10), "P3", "Ben", "Botox", "N/A", 10, "units", None],
                       [date(2026, 2, 12), "P4", "Amy", "Juvederm", "JV9", 2, "syringe", 1400],
                       [date(2026, 3, 2), "P5", "Amy", "Botox", "ZZZ999", 4, "units", None]],
        "Waste": [ADJ, [date(2026, 3, 5), "Botox", "LATE22", 5, "waste"],
                  [date(2026, 5, 1), "Juvederm", "JV9", 8, "expired"]],
        "Count": [COUNT, [date(2026, 3, 31), "Botox", "EARLY1", 24]],
}


@pytest.fixture(scope="module")
def practice(tmp_path_factory):
    return write_book(tmp_path_factory.mktemp("periods") / "clinic.xlsx", PRACTICE)


def reconciled(path, as_of=date(2026, 6, 30)):
    return run_files([path], as_of=as_of, keep_movements=True)[0]


@pytest.fixture(scope="module")
def result(practice):
    return reconciled(practice)


def test_the_practice_is_what_the_docstring_says(result):
    codes = sorted(f.code for f in result.findings)
    assert codes.count("FEFO_VIOLATION") == 1 and codes.count("MISSING_LOT") == 1
    assert codes.count("UNKNOWN_LOT") == 1 and codes.count("COUNT_VARIANCE") == 1
    assert result.cogs.total == 960 and result.totals.on_hand_value == 450
    assert len(visit_rows(result)) == result.summary.visit_rows == 5


def test_monthly_figures(result):
    p = compute_periods(result)
    assert [m.period for m in p.months] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    jan, feb, mar, apr, may, jun = p.months
    assert (jan.start, jan.end, jun.end) == (date(2026, 1, 15), date(2026, 1, 31), date(2026, 6, 30))
    # January: both Botox lots received (50x5 + 100x6 = 850); r1 used 20 of E
    assert (jan.received_value, jan.cogs, jan.revenue, jan.margin) == (850, 100, 300, 200)
    assert [(u.product, u.quantity) for u in jan.units_used] == [("Botox", 20)]
    assert (jan.opening_value, jan.closing_value) == (0, 750)
    assert (jan.visit_rows, jan.lot_gaps, jan.fefo_violations, jan.traceability, jan.fefo_compliance) == \
        (1, 0, 0, 1, 1)
    # February: the lot received in January is used (opening balance carried over)
    assert (feb.received_value, feb.cogs, feb.revenue, feb.margin) == (3000, 840, 1800, 960)
    assert [(u.product, u.quantity) for u in feb.units_used] == [("Botox", 40), ("Juvederm", 2)]
    assert (feb.opening_value, feb.closing_value) == (750, 750 + 3000 - 840)
    assert (feb.visit_rows, feb.lot_gaps, feb.fefo_violations) == (3, 1, 1)
    assert (feb.traceability, feb.fefo_compliance) == (D("0.6667"), D("0.3333"))  # 2/3, 1/3
    # March: an unknown lot (inferred from E), waste and a short count; no price: no revenue
    assert (mar.cogs, mar.revenue, mar.margin, mar.waste_value) == (20, None, None, 30)
    assert (mar.count_variance_value, mar.shrinkage_value) == (-10, 10)
    assert (mar.received_value, mar.waste_share) == (0, None)  # nothing received: no share
    assert (mar.traceability, mar.fefo_compliance) == (0, 0)
    assert mar.closing_value == 2910 - 20 - 30 - 10 == 2850
    # April: nothing happened; May: the filler expired on the shelf
    assert (apr.visit_rows, apr.traceability, apr.opening_value, apr.closing_value) == (0, None, 2850, 2850)
    assert (may.expired_value, may.closing_value) == (2400, 450)
    assert jun.closing_value == result.totals.on_hand_value == 450


def test_quarter_and_year_roll_ups(result):
    p = compute_periods(result)
    q1, q2 = p.quarters
    assert (q1.period, q1.start, q1.end, q2.period, q2.end) == \
        ("2026-Q1", date(2026, 1, 15), date(2026, 3, 31), "2026-Q2", date(2026, 6, 30))
    assert (q1.received_value, q1.cogs, q1.revenue, q1.margin) == (3850, 960, 2100, 1140)
    assert (q1.waste_value, q1.waste_share) == (30, D("0.0078"))  # 30 / 3850 = 0.00779
    assert (q1.visit_rows, q1.lot_gaps, q1.fefo_violations, q1.traceability, q1.fefo_compliance) == \
        (5, 2, 1, D("0.6"), D("0.4"))
    assert (q2.expired_value, q2.expired_share, q2.opening_value, q2.closing_value) == (2400, None, 2850, 450)
    [y] = p.years
    assert (y.period, y.received_value, y.cogs, y.waste_value, y.expired_value, y.shrinkage_value) == \
        ("2026", 3850, 960, 30, 2400, 10)
    assert (y.waste_share, y.expired_share) == (D("0.0078"), D("0.6234"))  # 2400 / 3850 = 0.62338
    assert [(u.product, u.quantity) for u in y.units_used] == [("Botox", 64), ("Juvederm", 2)]
    # every month's cogs and revenue add up to the ledger's
    assert sum(m.cogs for m in p.months) == result.cogs.total
    assert sum(m.received_value for m in p.months) == result.totals.received_value
    assert sum(m.revenue or 0 for m in p.months) == sum(c.revenue or 0 for c in result.cogs.by_month)


def test_from_to_report_a_period_with_the_right_opening_balance(result):
    p = compute_periods(result, date(2026, 2, 1), date(2026, 2, 28))
    [feb] = p.months
    assert (feb.opening_value, feb.cogs, feb.closing_value) == (750, 840, 2910)
    assert [q.period for q in p.quarters] == ["2026-Q1"] and p.quarters[0].cogs == 840
    # a range cut inside a month covers only its days
    p = compute_periods(result, date(2026, 2, 11), date(2026, 3, 1))
    feb, mar = p.months
    assert (feb.start, feb.cogs, feb.visit_rows, feb.received_value) == (date(2026, 2, 11), 600, 1, 0)
    assert feb.opening_value == 750 + 3000 - 240
    assert (mar.start, mar.end, mar.cogs, mar.visit_rows) == (date(2026, 3, 1), date(2026, 3, 1), 0, 0)
    # the per-provider view covers the same days
    assert [(v.provider, v.visit_rows) for v in p.providers] == [("Amy", 1)]


def test_per_provider_view(result):
    p = compute_periods(result)
    amy, ben = p.providers
    assert (amy.provider, amy.visit_rows, amy.lot_gaps, amy.fefo_violations) == ("Amy", 3, 1, 0)
    assert [(u.product, u.quantity) for u in amy.units] == [("Botox", 24), ("Juvederm", 2)]
    assert (amy.lot_gap_share, amy.lot_gap_rate, amy.fefo_share) == (D("0.5"), D("0.3333"), 0)
    assert (ben.provider, ben.visit_rows, ben.lot_gaps, ben.fefo_violations) == ("Ben", 2, 1, 1)
    assert [(u.product, u.quantity) for u in ben.units] == [("Botox", 40)]
    assert (ben.lot_gap_share, ben.lot_gap_rate, ben.fefo_share) == (D("0.5"), D("0.5"), 1)
    headers, rows = provider_table(p)
    assert rows[0][:4] == ["Amy", "Botox", 24, 3] and rows[1][:4] == ["Amy", "Juvederm", 2, None]


def test_supply_projection(practice):
    # as of 2026-03-31 the last 90 days are 2026-01-01 .. 2026-03-31
    r = reconciled(practice, as_of=date(2026, 3, 31))
    botox, juvederm = compute_periods(r).supply
    # Botox: 20 + 30 + 10 + 4 = 64 u used; on hand A 55 + E 24 = 79; 79 / (64/90) = 111.09 days
    assert (botox.used_in_window, botox.on_hand, botox.days_of_supply) == (64, 79, D("111.1"))
    assert botox.daily_use == D("0.7111") and botox.value_at_risk == 0  # E lasts 34 days, A 77 more
    # Juvederm: 2 syringes in 90 days; 8 on hand expire 30 days after as_of: 2/90 x 30 = 2/3 used,
    # 7 1/3 expire unused: 7.3333 x $300 = $2,200
    assert (juvederm.used_in_window, juvederm.on_hand, juvederm.days_of_supply) == (2, 8, D("360.0"))
    assert (juvederm.quantity_at_risk, juvederm.value_at_risk) == (D("7.3333"), D("2200.00"))
    assert juvederm.projection and botox.projection
    # as of 2026-06-30 nothing was used in 90 days: every lot with an expiration is at risk
    [botox] = compute_periods(reconciled(practice)).supply  # Juvederm: none usable left
    assert (botox.daily_use, botox.days_of_supply, botox.quantity_at_risk, botox.value_at_risk) == \
        (0, None, 79, D("450.00"))  # A 55 x $6 + E 24 x $5


def test_json_and_tables(result):
    p = compute_periods(result)
    j = periods_json(p)
    assert [x["kind"] for x in j] == ["month"] * 6 + ["quarter"] * 2 + ["year"]
    assert j[1]["period"] == "2026-02" and j[1]["cogs"] == 840 and j[1]["start"] == "2026-02-01"
    keys = periods_report(p)
    assert set(keys) == {"period_range", "periods", "supply", "providers"}
    assert keys["supply"]["projection"] is True and all(s["projection"] for s in keys["supply"]["products"])
    text = _ENCODER.encode(keys)  # report.json's encoder writes it, Decimals exact
    assert '"cogs": 840' in text
    headers, rows = period_table(p, kinds=("year",))
    assert rows[0][headers.index("COGS")] == 960
    headers, rows = supply_table(p)
    assert "projection" in " ".join(headers)


def test_periods_need_the_ledgers_movements(practice):
    r = run_files([practice], as_of=date(2026, 6, 30))[0]
    with pytest.raises(ValueError, match="keep_movements"):
        compute_periods(r)


def test_demo_period_figures_add_up_to_the_ledger(tmp_path):
    from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
    files = [str(p) for p in write_demo_practice(tmp_path / "practice")]
    r = run_files(files, as_of=DEMO_AS_OF, keep_movements=True)[0]
    p = compute_periods(r)
    [y] = p.years
    assert y.cogs == r.cogs.total and y.received_value == r.totals.received_value
    assert y.waste_value == r.totals.waste_value and y.expired_value == r.totals.expired_value
    assert y.count_variance_value == r.totals.count_variance_value
    assert y.closing_value == r.totals.on_hand_value
    assert y.visit_rows == r.summary.visit_rows
    assert y.lot_gaps == sum(r.summary.findings_by_code.get(c, 0)
                             for c in ("MISSING_LOT", "UNKNOWN_LOT", "LOT_PRODUCT_MISMATCH")) - sum(
        1 for f in r.findings if f.code in ("UNKNOWN_LOT", "LOT_PRODUCT_MISMATCH")
        and not any(i.kind == "visits" and (i.file, i.sheet) == (f.source.file, f.source.sheet) for i in r.inputs))
    assert {v.provider for v in p.providers} >= {"Dr. Kim", "Tara PA-C"}
    assert sum(v.visit_rows for v in p.providers) == y.visit_rows
