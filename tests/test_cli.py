"""SPEC §4–§5 through the command line, in a subprocess (`python -m lotsync ...`): outputs,
exit status, one-line errors, determinism, formula-injection safety, --version, --help."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from lotsync import __version__

AS_OF = "2026-06-30"
RECV = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"]
TREAT = ["Date", "Patient", "Provider", "Product", "Lot", "Units"]


def lotsync(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LOTSYNC_DEBUG"}
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "lotsync", *args], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, env=env, timeout=120)


def reconcile(*args: str, out: Path) -> subprocess.CompletedProcess:
    return lotsync("reconcile", *args, "--as-of", AS_OF, "--out", str(out))


@pytest.fixture
def clean_book(book):
    """Nothing wrong but an info: a lot expiring within 60 days of as_of."""
    return book({"Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6.12],
                               ["Xeomin", "X100", date(2026, 8, 15), date(2026, 3, 1), 50, 5]],
                 "Treatments": [TREAT, [date(2026, 3, 4), "P1", "Amy", "Botox", "C3709C3", 20]]},
                name="clean.xlsx")


@pytest.fixture
def warning_book(book):
    """A warning (REMAINING_MISMATCH) and nothing worse."""
    return book({"Receiving": [RECV + ["Remaining"],
                               ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6.12, 95]],
                 "Treatments": [TREAT, [date(2026, 3, 4), "P1", "Amy", "Botox", "C3709C3", 20]]},
                name="warnings.xlsx")


@pytest.fixture
def error_book(book):
    """An error (MISSING_LOT)."""
    return book({"Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6.12]],
                 "Treatments": [TREAT, [date(2026, 3, 4), "P1", "Amy", "Botox", "N/A", 20]]},
                name="errors.xlsx")


def assert_cannot_run(p: subprocess.CompletedProcess, *words: str) -> None:
    """Exit 2, one clear line on stderr, no traceback (and not a crash caught late)."""
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr and "Traceback" not in p.stdout
    assert "internal error" not in p.stderr, p.stderr
    for w in words:
        assert w.lower() in p.stderr.lower(), (w, p.stderr)


# --- outputs and exit status ----------------------------------------------------------


def test_reconcile_writes_report_json_and_findings_csv(error_book, tmp_path):
    out = tmp_path / "out"
    p = reconcile(error_book, out=out)
    assert p.returncode == 1, p.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"), parse_float=Decimal)
    assert report["schema_version"] == 1
    assert report["generated_by"] == f"lotsync {__version__}"
    assert report["as_of"] == AS_OF
    spec_keys = ["schema_version", "generated_by", "as_of", "inputs", "lots", "findings", "cogs",
                 "totals", "summary"]
    assert [k for k in report if k in spec_keys] == spec_keys  # all there, in the SPEC's order
    (lot,) = report["lots"]
    assert (lot["lot"], lot["received"], lot["used"], lot["used_inferred"]) == ("C3709C3", 100, 20, 20)
    assert lot["unit_cost"] == Decimal("6.12")
    (f,) = report["findings"]
    assert (f["code"], f["severity"], f["source"]["cell"], f["source"]["sheet"]) == \
        ("MISSING_LOT", "error", "E2", "Treatments")
    assert f["date"] == "2026-03-04"
    assert report["summary"]["errors"] == 1 and report["summary"]["findings_by_code"] == {"MISSING_LOT": 1}
    assert report["cogs"]["by_visit"][0]["inferred"] is True
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["code"], r["severity"], r["sheet"], r["row"], r["cell"]) for r in rows] == \
        [("MISSING_LOT", "error", "Treatments", "2", "E2")]
    assert rows[0]["id"] == f["id"]


@pytest.mark.parametrize("fixture, fail_on, code", [
    ("clean_book", None, 0), ("clean_book", "info", 1), ("clean_book", "warning", 0),
    ("warning_book", None, 0), ("warning_book", "warning", 1), ("warning_book", "error", 0),
    ("error_book", None, 1), ("error_book", "error", 1), ("error_book", "never", 0),
])
def test_exit_status_by_fail_on(request, tmp_path, fixture, fail_on, code):
    path = request.getfixturevalue(fixture)
    args = [path] + (["--fail-on", fail_on] if fail_on else [])
    p = reconcile(*args, out=tmp_path / "out")
    assert p.returncode == code, p.stderr
    assert (tmp_path / "out" / "report.json").exists()
    assert "Traceback" not in p.stderr


def test_options_reach_the_ledger(book, tmp_path):
    path = book({"Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), "1/3/2026", 100, 6.12]],
                 "Treatments": [TREAT, ["2/3/2026", "P1", "Amy", "Botox", None, 20]]}, name="opts.xlsx")
    out = tmp_path / "out"
    p = lotsync("reconcile", path, "--as-of", "2026-03-02", "--day-first", "--no-infer-lots",
                "--out", str(out), "--quiet")
    assert p.returncode == 1, p.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    (lot,) = report["lots"]
    # day first: received 1 March, the visit on 2 March (by as_of); no inference: nothing taken
    assert (lot["received"], lot["used"], lot["used_inferred"]) == (100, 0, 0)
    assert report["findings"][0]["date"] == "2026-03-02"
    assert report["cogs"]["by_visit"][0]["inferred"] is False


def test_report_json_is_deterministic(error_book, warning_book, tmp_path):
    a = reconcile(error_book, warning_book, out=tmp_path / "a")
    b = reconcile(error_book, warning_book, out=tmp_path / "b")
    assert a.returncode == b.returncode == 1
    assert (tmp_path / "a" / "report.json").read_bytes() == (tmp_path / "b" / "report.json").read_bytes()
    assert (tmp_path / "a" / "findings.csv").read_bytes() == (tmp_path / "b" / "findings.csv").read_bytes()


def test_report_lists_are_sorted(book, tmp_path):
    path = book({"Receiving": [RECV, ["Xeomin", "X100", None, None, 50, None],
                               ["Botox", "H8821", date(2026, 7, 1), None, 100, 6],
                               ["Botox", "C3709C3", date(2026, 12, 31), None, 100, 6]],
                 "Treatments": [TREAT, [date(2026, 3, 4), "P1", "Amy", "Botox", "ZZ9", 20],
                                [date(2026, 3, 4), "P2", "Amy", "Botox", None, 20]]})
    reconcile(path, out=tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert [(l["product"], l["lot"]) for l in report["lots"]] == \
        [("Botox", "C3709C3"), ("Botox", "H8821"), ("Xeomin", "X100")]
    sev = {"error": 0, "warning": 1, "info": 2}
    keys = [(sev[f["severity"]], f["source"]["file"], f["source"]["sheet"], f["source"]["row"], f["code"])
            for f in report["findings"]]
    assert keys == sorted(keys) and len(set(k[0] for k in keys)) == 3


# --- could not run: exit 2 ------------------------------------------------------------


def test_missing_file(tmp_path):
    assert_cannot_run(reconcile(str(tmp_path / "Inventory.xlsx"), out=tmp_path / "out"), "Inventory.xlsx")


def test_folder_with_no_spreadsheet(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt.bak").write_text("hello")
    assert_cannot_run(reconcile(str(folder), out=tmp_path / "out"), "docs")


def test_docx_renamed_xlsx(tmp_path):
    path = tmp_path / "Inventory.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.'
                   'openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>')
    assert_cannot_run(reconcile(str(path), out=tmp_path / "out"), "Inventory.xlsx")


def test_empty_workbook(book, tmp_path):
    assert_cannot_run(reconcile(book({"Sheet1": []}), out=tmp_path / "out"), "clinic.xlsx")


def test_zero_byte_xlsx(tmp_path):
    path = tmp_path / "Inventory.xlsx"
    path.write_bytes(b"")
    assert_cannot_run(reconcile(str(path), out=tmp_path / "out"), "Inventory.xlsx")


def test_csv_with_no_header(csv_file, tmp_path):
    path = csv_file([["Botox", "C3709C3", "100"], ["Xeomin", "X1", "50"]], name="stock.csv")
    assert_cannot_run(reconcile(path, out=tmp_path / "out"), "stock.csv", "inventory")


def test_no_inventory_table_anywhere(book, tmp_path):
    path = book({"Treatments": [TREAT, [date(2026, 3, 4), "P1", "Amy", "Botox", "C3709C3", 20]]})
    p = reconcile(path, out=tmp_path / "out")
    assert_cannot_run(p, "inventory")
    assert not (tmp_path / "out" / "report.json").exists()


@pytest.mark.parametrize("args, word", [
    (["--as-of", "nonsense"], "nonsense"),
    (["--as-of", "2026-02-30"], "2026-02-30"),
    (["--fail-on", "nonsense"], "nonsense"),
    (["--tolerance", "lots"], "lots"),
    (["--expiring-days", "-3"], "-3"),
    (["--format", "pdf"], "pdf"),
    (["--no-such-option"], "--no-such-option"),
])
def test_bad_option(clean_book, tmp_path, args, word):
    p = lotsync("reconcile", clean_book, "--out", str(tmp_path / "out"), *args)
    assert_cannot_run(p, word)
    assert not (tmp_path / "out" / "report.json").exists()


def test_no_sources(tmp_path):
    assert_cannot_run(lotsync("reconcile", "--out", str(tmp_path / "out")))


# --- formula injection ----------------------------------------------------------------

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def test_findings_csv_is_safe_from_formula_injection(book, tmp_path):
    path = book({"Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6.12],
                               ["+Botox", "-cmd", date(2026, 12, 31), date(2026, 3, 1), 10, None]],
                 "Treatments": [TREAT + ["Location"],
                                [date(2026, 3, 4), "@SUM(1+1)", "=cmd|' /C calc'!A0", "Botox",
                                 '=HYPERLINK("http://x","y")', 20, "@Downtown"],
                                [date(2026, 3, 5), "@SUM(1+1)", "Amy", "Botox", "C3709C3", 200, None]]})
    out = tmp_path / "out"
    p = reconcile(path, out=out)
    assert p.returncode == 1, p.stderr
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert body
    lots = [r[header.index("lot")] for r in body]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in lots
    assert '=HYPERLINK("http://x","y")' not in lots
    assert "@Downtown" not in [r[header.index("location")] for r in body]
    for r in body:
        for name, cell in zip(header, r):
            if cell.startswith(DANGEROUS):
                # only a number may start with a sign (a negative quantity or value)
                Decimal(cell)
                assert name in ("quantity", "value"), (name, cell)
    text = (out / "findings.csv").read_text(encoding="utf-8-sig")
    assert "@SUM" not in text.replace("'@SUM", "")  # a patient never starts a cell


# --- version and help -----------------------------------------------------------------


def test_version():
    p = lotsync("--version")
    assert p.returncode == 0
    assert __version__ in p.stdout


@pytest.mark.parametrize("command", [[], ["reconcile"], ["check"], ["demo"]])
def test_help_shows_an_example(command):
    p = lotsync(*command, "--help")
    assert p.returncode == 0, p.stderr
    assert "Example" in p.stdout
    assert "lotsync " + (command[0] if command else "reconcile") in p.stdout


# --- the check command ---------------------------------------------------------------


def test_check_lists_tables_and_ignored_sheets(book):
    path = book({"Receiving": [["Inventory log"], [], RECV, ["Botox", "C1", date(2026, 12, 31), None, 100, 6]],
                 "Sheet2": [["Product", "Qty"], ["Botox", 4]]})
    p = lotsync("check", path, "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    assert [(t["sheet"], t["kind"], t["header_row"]) for t in data["tables"]] == [("Receiving", "inventory", 3)]
    assert [i["sheet"] for i in data["ignored"]] == ["Sheet2"]
