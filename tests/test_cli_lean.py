"""What `lotsync reconcile` costs beyond the ledger (issue 10): a json-only run imports no
writer it does not use, the collector is frozen rather than rescanned at the end of a run
the process ends after, and no Google Sheets planning happens without a Google Sheet.
Speed itself is measured in bench/, never asserted here."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from datetime import date

import pytest
from openpyxl.utils.cell import get_column_letter

from lotsync.model import column_letter
from lotsync.pipeline import gc_paused

RECV = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"]
TREAT = ["Date", "Patient", "Provider", "Product", "Lot", "Units"]

#: what a json-only run never needs: workbook writers, the Sheets client, data frames, templates
HEAVY = ("openpyxl", "numpy", "pandas", "pyarrow", "jinja2", "gspread", "xlsxwriter", "google")

_RUN_AND_LIST = """
import json, sys
from lotsync.cli import main
try:
    main(sys.argv[2:])
except SystemExit as e:
    code = e.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"exit": code, "heavy": heavy, "frozen": __import__("gc").get_freeze_count() > 0}))
"""


def _run_cli_listing_imports(*args: str) -> dict:
    p = subprocess.run([sys.executable, "-c", _RUN_AND_LIST, json.dumps(HEAVY), *args],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture
def clinic(book):
    return book({"Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6.12]],
                 "Treatments": [TREAT, [date(2026, 3, 4), "P1", "Amy", "Botox", "C3709C3", 20],
                                [date(2026, 3, 5), "P2", "Ben", "Botox", "N/A", 10]]})


def test_a_json_only_reconcile_imports_no_workbook_writer_nor_sheets_client(clinic, tmp_path):
    out = tmp_path / "out"
    got = _run_cli_listing_imports("reconcile", clinic, "--as-of", "2026-06-30", "--format", "json,csv",
                                   "--no-history", "-q", "--out", str(out))
    assert got["exit"] == 1  # MISSING_LOT: reconciled, with an error
    assert got["heavy"] == []
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["findings_by_code"] == {"MISSING_LOT": 1}
    assert (out / "findings.csv").exists()


def test_a_reconcile_ends_with_the_runs_objects_frozen_for_the_collector(clinic, tmp_path):
    got = _run_cli_listing_imports("reconcile", clinic, "--as-of", "2026-06-30", "--format", "json",
                                   "--no-history", "-q", "--out", str(tmp_path / "out"))
    assert got["frozen"] is True


def test_an_xlsx_report_still_imports_its_writer(clinic, tmp_path):
    out = tmp_path / "out"
    got = _run_cli_listing_imports("reconcile", clinic, "--as-of", "2026-06-30", "--format", "xlsx",
                                   "--no-history", "-q", "--out", str(out))
    assert "openpyxl" in got["heavy"] or "xlsxwriter" in got["heavy"]
    assert (out / "report.xlsx").exists()


def test_gc_paused_with_freeze_leaves_the_collector_on_and_the_objects_frozen():
    gc.collect()
    before = gc.get_freeze_count()
    assert gc.isenabled()
    try:
        with gc_paused(freeze=True):
            assert not gc.isenabled()
            kept = [[i] for i in range(1000)]  # containers the collector tracks
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()
    with gc_paused():  # the default: paused and resumed, nothing frozen
        pass
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_column_letters_are_excels_for_every_column():
    assert [column_letter(n) for n in (1, 26, 27, 52, 53, 702, 703, 16384)] == \
        ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]
    assert all(column_letter(n) == get_column_letter(n) for n in range(1, 18279))
    for bad in (0, 18279):
        with pytest.raises(ValueError):
            column_letter(bad)


def _rss_kb() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_memory_between_stages_goes_back_to_the_system():
    from lotsync.pipeline import release_freed_memory
    import ctypes
    try:
        ctypes.CDLL(None).malloc_trim
    except AttributeError:
        pytest.skip("not glibc")
    release_freed_memory()
    blocks = [bytes(1500) for _ in range(40_000)]  # 60 MB in the C heap (too big for pymalloc)
    kept = blocks[::16]  # one block in 16 stays: the heap cannot shrink from its top alone
    del blocks
    before = _rss_kb()
    release_freed_memory()
    assert before - _rss_kb() > 20_000  # kB: most of the 56 MB freed is the system's again
    assert len(kept) == 2500 and all(len(b) == 1500 for b in kept)  # what is alive is untouched
