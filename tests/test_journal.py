"""The bookkeeper's month-end (issue 11): `lotsync journal` on the demo practice, the
import layouts QuickBooks Online and Xero document, and posted months that stay closed."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotsync.audit.periods import compute_periods, periods_report
from lotsync.books.journal import (Accounts, allocate, build_journal, category_map, round_cents)
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
from lotsync.nightly.history import open_history
from lotsync.nightly.settings import ConfigError, config_from_dict
from lotsync.pipeline import run
from lotsync.reconcile import Options
from lotsync.writers.journal import CSV_HEADER, QBO_HEADER, XERO_HEADER, write_journal
from lotsync.writers.json_report import report_dict

ACCOUNTS = Accounts(cogs_by_category=(("Neurotoxin", "5010 COGS - Neurotoxins"),))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    files = [str(p) for p in write_demo_practice(folder / "practice")]
    result, loaded = run(files, Options(as_of=DEMO_AS_OF, keep_movements=True))
    report = json.loads(json.dumps(report_dict(result) | periods_report(compute_periods(result)), default=str))
    return result, loaded, report, folder


def cents(v) -> int:
    return round_cents(Decimal(str(v)))


def test_every_demo_month_gives_balanced_entries_whose_cogs_lines_equal_report_cogs_by_month(demo):
    result, loaded, report, _ = demo
    cats = category_map(loaded.practice.products)
    months = {p["period"]: p for p in report["periods"] if p["kind"] == "month"}
    estimated_seen = 0
    for m in report["cogs"]["by_month"]:
        j = build_journal(result, m["month"], ACCOUNTS, cats)
        locations = {e.location for e in j.entries}
        assert locations == {"Main St", "Westside"}  # one entry per location
        assert len(j.entries) == 2
        by_kind: dict[str, int] = defaultdict(int)
        for e in j.entries:
            assert e.debits == e.credits > 0
            assert e.date.isoformat()[:7] == m["month"]
            for l in e.lines:
                assert (l.debit == 0) != (l.credit == 0)
                by_kind[l.kind] += l.debit if l.account != ACCOUNTS.inventory else 0
        assert by_kind["cogs"] == cents(m["cogs"])
        est = sum((Decimal(str(v["estimated"])) for v in report["cogs"]["by_visit"]
                   if v["date"][:7] == m["month"]), Decimal(0))
        assert by_kind["estimated"] == round_cents(est)
        estimated_seen += by_kind["estimated"]
        est_lines = [l for e in j.entries for l in e.lines if l.kind == "estimated"]
        assert all(l.description.startswith("Estimated") for l in est_lines)
        assert bool(est_lines) == bool(est)
        p = months[m["month"]]
        assert by_kind["waste"] == cents(p["waste_value"])
        assert by_kind["expired"] == cents(p["expired_value"])
        assert by_kind["shrinkage"] == cents(p["shrinkage_value"])
        neuro = [l for e in j.entries for l in e.lines if l.account == "5010 COGS - Neurotoxins"]
        assert neuro and all("Neurotoxin" in l.description for l in neuro)
    assert estimated_seen == cents(report["cogs"]["estimated"])  # the demo's estimate, every cent of it


@given(st.lists(st.decimals(min_value=-1000, max_value=1000, places=4, allow_nan=False), min_size=1, max_size=12))
def test_largest_remainder_cents_add_up_to_the_figure_rounded_once(parts):
    total = sum(parts, Decimal(0))
    got = allocate(total, parts)
    assert sum(got) == round_cents(total)
    assert all(abs(p * 100 - c) < 1 for p, c in zip(parts, got))


def test_three_equal_thirds_of_a_cent_round_once_not_three_times():
    third = Decimal(1) / 300  # a third of a cent each
    assert allocate(third * 3, [third, third, third]) == [1, 0, 0]
    assert allocate(Decimal("0.015") * 2, [Decimal("0.015"), Decimal("0.015")]) == [2, 1]


def _read(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_quickbooks_and_xero_files_have_their_documented_columns_and_balance(demo, tmp_path):
    result, loaded, _, _ = demo
    j = build_journal(result, "2026-03", ACCOUNTS, category_map(loaded.practice.products))
    qbo = _read(write_journal(j, tmp_path / "qbo.csv", "quickbooks"))
    assert qbo[0] == ["JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description", "Name",
                      "Location", "Class"] == QBO_HEADER
    per_no: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in qbo[1:]:
        assert row[1] == "03/31/2026"  # MM/DD/YYYY
        assert (row[3] == "") != (row[4] == "")  # a line is a debit or a credit
        per_no[row[0]][0] += round_cents(Decimal(row[3] or 0))
        per_no[row[0]][1] += round_cents(Decimal(row[4] or 0))
        assert row[7] in ("Main St", "Westside")
    assert len(per_no) == 2 and all(d == c for d, c in per_no.values())

    xero = _read(write_journal(j, tmp_path / "xero.csv", "xero", "Tax Exempt", "Location"))
    assert xero[0] == ["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount", "TrackingName1",
                       "TrackingOption1"] == XERO_HEADER
    per_journal: dict[tuple, int] = defaultdict(int)
    for row in xero[1:]:
        assert row[1] == "31/03/2026"  # DD/MM/YYYY
        assert row[3] in ("1400", "5000", "5010", "5100", "5110", "5120", "5130", "2000")  # codes, not names
        assert row[4] == "Tax Exempt" and row[6] == "Location"
        per_journal[(row[0], row[1])] += round_cents(Decimal(row[5]))
    assert len(per_journal) == 2 and set(per_journal.values()) == {0}

    plain = _read(write_journal(j, tmp_path / "plain.csv", "csv"))
    assert plain[0] == CSV_HEADER == ["date", "journal", "account", "debit", "credit", "description", "location"]


def test_an_account_name_that_looks_like_a_formula_is_written_as_text(demo, tmp_path):
    result, loaded, _, _ = demo
    j = build_journal(result, "2026-03", Accounts(inventory="=HYPERLINK(\"x\")"), category_map(loaded.practice.products))
    rows = _read(write_journal(j, tmp_path / "j.csv", "quickbooks"))
    assert any(r[2] == "'=HYPERLINK(\"x\")" for r in rows)
    assert not any(r[2].startswith("=") for r in rows)


def test_accounting_settings_are_validated_with_the_key_path():
    with pytest.raises(ConfigError, match=r"accounting\.cogs_acount: unknown key \(did you mean 'cogs_account'\?\)"):
        config_from_dict({"accounting": {"cogs_acount": "5000"}}, Path("/tmp/lotsync.toml"))
    with pytest.raises(ConfigError, match="accounting: waste_account is empty"):
        config_from_dict({"accounting": {"waste_account": " "}}, Path("/tmp/lotsync.toml"))
    cfg = config_from_dict({"accounting": {"cogs_by_category": {"Neurotoxin": "5010 Toxins"}}},
                           Path("/tmp/lotsync.toml"))
    assert cfg.file.accounting.accounts().cogs_for("neurotoxin") == "5010 Toxins"


def test_a_version_1_history_gains_the_posted_tables_and_keeps_its_runs(tmp_path):
    path = tmp_path / "history.sqlite"
    open_history(path).close()
    with sqlite3.connect(path) as c:  # as lotsync 0.1 left it: schema 1, no posted tables
        c.execute("DROP TABLE posted_line")
        c.execute("DROP TABLE posted_journal")
        c.execute("INSERT INTO run (started_at, finished_at, run_date, as_of) VALUES ('t', 't', 'd', 'a')")
        c.execute("PRAGMA user_version = 1")
    h = open_history(path)
    assert h.conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert h.count() == 1 and h.posted() == []
    h.close()


# --- end to end, as a bookkeeper runs it ------------------------------------------------------


def lotsync(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TERM", "COLUMNS")}
    return subprocess.run([sys.executable, "-m", "lotsync", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=180, env=env, stdin=subprocess.DEVNULL)


def _clinic(tmp_path: Path) -> Path:
    write_demo_practice(tmp_path / "practice")
    (tmp_path / "lotsync.toml").write_text(
        'practice = "Glow"\nas_of = 2026-11-30\noutputs = ["json"]\n[[sources]]\npath = "practice"\n'
        '[accounting]\ncogs_account = "5000 COGS"\n[accounting.cogs_by_category]\nNeurotoxin = "5010 COGS - Neurotoxins"\n',
        encoding="utf-8")
    return tmp_path


def test_a_late_row_in_a_posted_month_raises_posted_period_changed_and_the_next_journal_adjusts(tmp_path):
    clinic = _clinic(tmp_path)
    assert lotsync(clinic, "reconcile").returncode == 1
    posted = lotsync(clinic, "journal", "--month", "2026-01", "--to", "quickbooks", "--post")
    assert posted.returncode == 0, posted.stderr
    assert "Posted 2026-01" in posted.stdout
    jan = _read(clinic / "lotsync-out" / "journal-2026-01-quickbooks.csv")
    assert len(jan) > 4

    # a posted month stays closed: it is not written again
    again = lotsync(clinic, "journal", "--month", "2026-01")
    assert again.returncode == 2 and again.stderr.count("\n") == 1
    assert "2026-01 was posted on" in again.stderr and "stays closed" in again.stderr

    # a late January Botox row turns up, entered in January's tab (24 units of lot E6341C3 at Main St)
    book = clinic / "practice" / "Treatments 2026.xlsx"
    wb = openpyxl.load_workbook(book)
    ws = wb["Jan"]
    ws.append([dt.datetime(2026, 1, 30), "Late Patient", "Dr. Kim", "Botox", "E6341C3", 24, "units", "Main St",
               19999, 312])
    late_row = ws.max_row
    wb.save(book)

    nightly = lotsync(clinic, "reconcile")
    assert nightly.returncode == 1
    rep = json.loads((clinic / "lotsync-out" / "report.json").read_text("utf-8"))
    changed = [f for f in rep["findings"] if f["code"] == "POSTED_PERIOD_CHANGED"]
    assert {f["severity"] for f in changed} == {"warning"}
    assert {f["location"] for f in changed} == {"Main St"}
    by_text = " ".join(f["message"] for f in changed)
    assert "5010 COGS - Neurotoxins" in by_text and "1400 Inventory" in by_text
    assert f"Jan › E{late_row}" in by_text  # the row that caused it, by its cell
    cogs_change = next(f for f in changed if "5010" in f["message"])
    assert cogs_change["source"]["cell"] == f"E{late_row}"
    assert Decimal(str(cogs_change["value"])) > 0
    assert "Late Patient" not in json.dumps(changed)

    nov = lotsync(clinic, "journal", "--month", "2026-11", "--to", "csv")
    assert nov.returncode == 0, nov.stderr
    assert "POSTED_PERIOD_CHANGED" in nov.stderr
    rows = _read(clinic / "lotsync-out" / "journal-2026-11.csv")
    adj = [r for r in rows[1:] if "Adjustment to posted 2026-01" in r[5]]
    assert adj and {r[0] for r in adj} == {"2026-11-30"}  # dated in the current month
    debit = {r[2]: r[3] for r in adj if r[3]}
    assert Decimal(debit["5010 COGS - Neurotoxins"]) == Decimal(str(cogs_change["value"]))
    assert sum(round_cents(Decimal(r[3] or 0)) for r in adj) == sum(round_cents(Decimal(r[4] or 0)) for r in adj)
    # January's own file was not rewritten
    assert _read(clinic / "lotsync-out" / "journal-2026-01-quickbooks.csv") == jan

    # posting November's journal posts the adjustment: January matches again
    assert lotsync(clinic, "journal", "--month", "2026-11", "--post").returncode == 0
    lotsync(clinic, "reconcile")
    rep = json.loads((clinic / "lotsync-out" / "report.json").read_text("utf-8"))
    assert not [f for f in rep["findings"] if f["code"] == "POSTED_PERIOD_CHANGED"]
    assert set(rep["history"]["resolved"]) == {f["id"] for f in changed}


def test_journal_refuses_a_month_after_as_of_and_posting_without_a_history(tmp_path):
    clinic = _clinic(tmp_path)
    plain = lotsync(clinic, "journal", "--month", "2026-03")
    assert plain.returncode == 0 and not (clinic / ".lotsync").exists()  # only --post makes a history
    late = lotsync(clinic, "journal", "--month", "2026-12")
    assert late.returncode == 2 and "after as_of 2026-11-30" in late.stderr
    bad = lotsync(clinic, "journal", "--month", "March")
    assert bad.returncode == 2 and "is not a month" in bad.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    no_hist = lotsync(elsewhere, "journal", str(clinic / "practice"), "--as-of", "2026-11-30", "--month", "2026-03",
                      "--post")
    assert no_hist.returncode == 2 and "--post needs a run history" in no_hist.stderr
    assert not (elsewhere / "lotsync-out").exists()


def test_a_one_site_month_books_each_movement_the_right_way_round(tmp_path):
    from datetime import date

    from helpers import run_files, write_book
    path = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost", "Date Received"],
                      ["Botox", "A1", date(2027, 1, 31), 100, 6, date(2026, 2, 1)],
                      ["Botox", "B2", date(2027, 1, 31), 100, 6, date(2026, 2, 1)]],
        "Treatments": [["Date", "Patient", "Product", "Lot", "Units"],
                       [date(2026, 3, 4), "P1", "Botox", "A1", 20],
                       [date(2026, 3, 5), "P2", "Botox", "B2", 10]],
        "Adjustments": [["Date", "Product", "Lot", "Qty", "Type"],
                        [date(2026, 3, 6), "Botox", "A1", 5, "waste"],
                        [date(2026, 3, 7), "Botox", "A1", 2, "expired"],
                        [date(2026, 3, 8), "Botox", "B2", 10, "return"],
                        [date(2026, 3, 9), "Botox", "B2", 3, "adjustment"]],
        "Counts": [["Date", "Product", "Lot", "Counted"],
                   [date(2026, 3, 31), "Botox", "A1", 70],     # ledger 73: 3 short
                   [date(2026, 3, 31), "Botox", "B2", 84]],    # ledger 83: 1 over
    })
    result, loaded = run_files([path], keep_movements=True)
    j = build_journal(result, "2026-03", Accounts(), category_map(loaded.practice.products))
    assert len(j.entries) == 1 and j.entries[0].location == "" and j.entries[0].number == "LS2603-1"
    got = {(l.kind, l.account, l.debit, l.credit) for l in j.entries[0].lines}
    inv = "1400 Inventory"
    assert got == {
        ("cogs", "5000 Cost of goods sold", 18000, 0), ("cogs", inv, 0, 18000),
        ("waste", "5100 Waste", 3000, 0), ("waste", inv, 0, 3000),
        ("expired", "5110 Expired write-off", 1200, 0), ("expired", inv, 0, 1200),
        ("returned", "2000 Accounts payable", 6000, 0), ("returned", inv, 0, 6000),
        ("shrinkage", "5120 Inventory shrinkage", 1800, 0), ("shrinkage", inv, 0, 1800),
        ("count_gain", inv, 600, 0), ("count_gain", "5120 Inventory shrinkage", 0, 600),
        ("adjusted", inv, 1800, 0), ("adjusted", "5130 Inventory adjustments", 0, 1800),
    }
    assert j.entries[0].debits == j.entries[0].credits
    assert build_journal(result, "2026-04", Accounts(), {}).entries == ()  # nothing moved in April
    with pytest.raises(ValueError, match="keep_movements"):
        build_journal(run_files([path])[0], "2026-03", Accounts(), {})


def test_the_starter_lotsync_toml_names_the_accounts_and_keeps_notify_commented():
    import tomllib

    from lotsync.nightly.settings import STARTER_TOML, ConfigFile
    data = tomllib.loads(STARTER_TOML)
    data.pop("sources")
    cf = ConfigFile.model_validate(data)
    assert cf.accounting.inventory_account == "1400 Inventory" and cf.notify is None
    assert "# [notify]" in STARTER_TOML and 'smtp_password_env = "LOTSYNC_SMTP_PASSWORD"' in STARTER_TOML
    assert "smtp_password =" not in STARTER_TOML
