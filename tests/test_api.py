"""The Python API (issue 12): `lotsync.reconcile`, `check`, `trace` say what the commands
say, because they are the commands' own path; bad input raises one documented
`LotsyncError` subclass per cause with the line the command prints; a library call reads
no config and writes nothing unless asked; `import lotsync` stays light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

import lotsync
from helpers import write_book, write_csv
from lotsync.audit.trace import dumps, to_json

AS_OF = date(2026, 6, 30)
MASK_KEY = "correct horse battery staple 42"
PATIENTS = ("Ava Thompson", "Ben Ortiz", "Cara Singh", "Dan Wu")


@pytest.fixture
def clinic(tmp_path) -> str:
    """Two sites; lot C3709C3 used on recorded rows, on a row with no lot (inferred),
    transferred, wasted; a FEFO violation (LATE22 opened while C3709C3 sat at Main)."""
    return write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost", "Location"],
                      ["Botox", "C3709C3", date(2026, 9, 30), date(2026, 3, 1), 100, 6, "Main"],
                      ["Botox", "LATE22", date(2027, 3, 31), date(2026, 3, 1), 100, 6.5, "Main"]],
        "Treatments": [["Date", "Patient", "Provider", "Product", "Lot", "Units", "Location", "Price"],
                       [date(2026, 3, 4), "Ava Thompson", "Amy", "Botox", "C3709C3", 20, "Main", 260],
                       [date(2026, 3, 5), "Ben Ortiz", "Amy", "Botox", "N/A", 12, "Main", 156],
                       [date(2026, 3, 20), "Cara Singh", "Dee", "Botox", "C3709C3", 10, "West", 130],
                       [date(2026, 4, 3), "Dan Wu", "Amy", "Botox", "LATE22", 30, "Main", 390]],
        "Adjustments": [["Date", "Product", "Lot", "Qty", "Type", "Location", "To Location"],
                        [date(2026, 3, 10), "Botox", "C3709C3", 20, "transfer", "Main", "West"],
                        [date(2026, 3, 11), "Botox", "C3709C3", 5, "waste", "Main", None]],
    })


def run_main(*args: str, capsys) -> tuple[int, str, str]:
    """`lotsync ARGS` in this process (lotsync.cli.main: the exit status and stderr line)."""
    from lotsync.cli import main
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


# --- the same path as the commands ------------------------------------------------------


def test_reconcile_writes_the_report_the_command_writes(clinic, tmp_path, capsys):
    code, _, err = run_main("reconcile", clinic, "--as-of", "2026-06-30", "--out", str(tmp_path / "cli"),
                            "--format", "json", "--quiet", capsys=capsys)
    assert code == 1, err  # errors found (MISSING_LOT): exit 1, as SPEC §5
    r = lotsync.reconcile(clinic, as_of="2026-06-30", out=tmp_path / "api", formats=["json"])
    assert r.written == (tmp_path / "api" / "report.json",)
    assert (tmp_path / "api" / "report.json").read_bytes() == (tmp_path / "cli" / "report.json").read_bytes()
    assert isinstance(r, lotsync.Reconciliation) and r.summary.errors >= 1
    assert [f.code for f in r.findings] == [f["code"] for f in json.loads(
        (tmp_path / "cli" / "report.json").read_text(encoding="utf-8"))["findings"]]


def test_check_says_what_lotsync_check_json_says(clinic, tmp_path, capsys):
    notes = write_csv(tmp_path / "notes.csv", [["Memo", "Author"], ["order gloves", "Amy"]])
    code, out, _ = run_main("check", clinic, notes, "--json", capsys=capsys)
    assert code == 0
    c = lotsync.check([clinic, Path(notes)])
    assert c.to_json() == json.loads(out)
    assert c.has_inventory and {t.kind for t in c.tables} == {"inventory", "visits", "adjustments"}
    inv = next(t for t in c.tables if t.kind == "inventory")
    assert inv.columns["lot"] == "Lot" and inv.header_row == 1 and inv.rows_read == 2
    assert [Path(i.file).name for i in c.ignored] == ["notes.csv"]
    assert not lotsync.check(notes).has_inventory  # answered, not refused


def test_trace_says_what_lotsync_trace_says(clinic):
    from lotsync.cli.audit import trace as trace_cmd
    res = CliRunner().invoke(trace_cmd, ["lot# c3709-c3", clinic, "--as-of", "2026-06-30", "--json"],
                             env={"LOTSYNC_MASK_KEY": ""})
    assert res.exit_code == 0, res.output
    r = lotsync.reconcile([clinic], as_of=AS_OF)
    t = lotsync.trace(r, "lot# c3709-c3")
    assert dumps(to_json(t)) + "\n" == res.output
    assert t.found and t.totals()["unaccounted"] == 0
    assert {u.patient for u in t.uses} == {"Ava Thompson", "Ben Ortiz", "Cara Singh"}
    assert any(u.inferred for u in t.uses)
    p = lotsync.trace(r, patient="ava THOMPSON")
    assert p.found and [u.lot for u in p.uses] == ["C3709C3"]
    never = lotsync.trace(r, "C3709C4")
    assert not never.found and never.near == ("C3709C3",)


def test_a_masked_result_traces_a_patient_by_the_real_name_typed(clinic, monkeypatch):
    monkeypatch.setenv("LOTSYNC_MASK_KEY", MASK_KEY)
    r = lotsync.reconcile(clinic, as_of=AS_OF, mask_patients=True)
    t = lotsync.trace(r, patient="Ava Thompson")
    assert t.found and t.patient.startswith("P-") and "Thompson" not in repr(t)
    assert lotsync.trace(r, patient=t.patient).uses == t.uses
    nobody = lotsync.trace(r, patient="Ava Thompsen")
    assert not nobody.found and nobody.near == ()  # near pseudonyms would say nothing
    assert all(p not in repr(lotsync.trace(r, "C3709C3")) for p in PATIENTS)


# --- errors: one type per cause ---------------------------------------------------------


def _damaged(tmp_path: Path) -> str:
    p = tmp_path / "Inventory.xlsx"
    p.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    return str(p)


CASES = [
    ("missing file", lambda t, c: ([str(t / "nope.xlsx")], {}), lotsync.SourceNotFoundError, "no such file"),
    ("glob matches nothing", lambda t, c: ([str(t / "visits" / "*.xlsx")], {}), lotsync.SourceNotFoundError,
     "no file matches"),
    ("damaged workbook", lambda t, c: ([_damaged(t)], {}), lotsync.ReadError, "Inventory.xlsx"),
    ("no inventory table", lambda t, c: ([write_csv(t / "notes.csv", [["Memo"], ["gloves"]])], {}),
     lotsync.NoInventoryError, "no inventory table"),
    ("no sources", lambda t, c: ([], {}), lotsync.NoSourcesError, "no sources"),
    ("a date that is not one", lambda t, c: ([c], {"as_of": "June"}), lotsync.ConfigError, "'June' is not a date"),
    ("a tolerance that is not a number", lambda t, c: ([c], {"tolerance": "some"}), lotsync.ConfigError,
     "tolerance"),
    ("an unknown output", lambda t, c: ([c], {"out": t / "o", "formats": "json,pdf"}), lotsync.ConfigError,
     "unknown format pdf"),
    ("a mapping to an unknown field", lambda t, c: ([c], {"mapping": {"columns": {"Qty": "qantity"}}}),
     lotsync.MappingError, "unknown field 'qantity'"),
    ("a missing mapping file", lambda t, c: ([c], {"mapping": t / "map.toml"}), lotsync.MappingError,
     "mapping file not found"),
    ("a missing config file", lambda t, c: ([c], {"config": t / "lotsync.toml"}), lotsync.ConfigError,
     "config file not found"),
    ("a period that ends before it starts", lambda t, c: ([c], {"date_from": "2026-05-01", "date_to": "2026-04-01"}),
     lotsync.CannotRun, "after --to"),
    ("masking without a key", lambda t, c: ([c], {"mask_patients": True}), lotsync.MaskKeyError,
     "LOTSYNC_MASK_KEY"),
]


@pytest.mark.parametrize("cause,make,error,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_one_documented_error_type_per_cause(cause, make, error, words, clinic, tmp_path,
                                                             monkeypatch):
    monkeypatch.delenv("LOTSYNC_MASK_KEY", raising=False)
    sources, kw = make(tmp_path, clinic)
    with pytest.raises(lotsync.LotsyncError) as e:
        lotsync.reconcile(sources, **kw)
    assert type(e.value) is error, (cause, type(e.value))
    text = str(e.value)
    assert words in text and "\n" not in text and "Traceback" not in text
    assert e.value.__cause__ is None or isinstance(e.value.__cause__, lotsync.LotsyncError)
    assert error.__doc__ and error.__name__ in lotsync.errors.__doc__


def test_the_command_prints_the_same_line_the_library_raises(clinic, tmp_path, capsys):
    missing = str(tmp_path / "nope.xlsx")
    with pytest.raises(lotsync.SourceNotFoundError) as e:
        lotsync.reconcile(missing)
    code, _, err = run_main("reconcile", missing, "--out", str(tmp_path / "o"), capsys=capsys)
    assert code == 2 and err == f"lotsync: {e.value}\n"
    with pytest.raises(lotsync.TraceError):
        lotsync.trace(lotsync.reconcile(clinic, as_of=AS_OF), "N/A")
    with pytest.raises(TypeError):  # a programming mistake, not a clinic's
        lotsync.trace(lotsync.reconcile(clinic, as_of=AS_OF), "C3709C3", patient="Ava")


# --- a library call -----------------------------------------------------------------------


def test_a_library_call_reads_no_config_and_writes_nothing_unless_asked(clinic, tmp_path, monkeypatch):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "lotsync.toml").write_text(
        f'tolerance = 5\nas_of = 2026-03-31\n[[sources]]\npath = "{Path(clinic).as_posix()}"\n', encoding="utf-8")
    monkeypatch.chdir(folder)
    r = lotsync.reconcile(clinic, as_of=AS_OF)
    assert r.options.tolerance == Decimal("0.01") and r.written == ()
    assert sorted(p.name for p in folder.iterdir()) == ["lotsync.toml"]  # no lotsync-out, no history
    from_config = lotsync.reconcile(config=True)  # ./lotsync.toml, as the command line reads it
    assert from_config.options.tolerance == Decimal("5") and from_config.as_of == date(2026, 3, 31)
    assert lotsync.reconcile(config="lotsync.toml", as_of="2026-06-30").as_of == AS_OF  # arguments win
    assert sorted(p.name for p in folder.iterdir()) == ["lotsync.toml"]


def test_sources_may_be_paths_a_folder_or_one_string(clinic):
    one = lotsync.reconcile(clinic, as_of=AS_OF)
    assert lotsync.reconcile([Path(clinic)], as_of=AS_OF).lots == one.lots
    assert lotsync.reconcile(Path(clinic).parent, as_of=date(2026, 6, 30)).lots == one.lots


def test_a_result_shows_itself_in_a_notebook_as_a_compact_summary(clinic, monkeypatch):
    r = lotsync.reconcile(clinic, as_of=AS_OF)
    html = r._repr_html_()
    assert "as of 2026-06-30" in html and "$" + f"{r.totals.cogs:,.2f}" in html
    for code, n in r.summary.findings_by_code.items():
        assert f"<code>{code}</code>" in html and f">{n:,}</td>" in html
    assert "<script" not in html and "<style" not in html and len(html) < 6000
    assert not any(p in html for p in PATIENTS)
    assert repr(r).startswith("<lotsync.Reconciliation as of 2026-06-30: 1 lots" if r.summary.lots == 1
                              else "<lotsync.Reconciliation as of 2026-06-30:")
    monkeypatch.setenv("LOTSYNC_MASK_KEY", MASK_KEY)
    masked = lotsync.reconcile(clinic, as_of=AS_OF, mask_patients=True)
    assert "patients masked" in masked._repr_html_() and "patients masked" in repr(masked)


def test_a_hostile_product_name_is_escaped_in_the_summary(tmp_path):
    path = write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [["Product", "Lot", "Qty"], ["<img src=x onerror=alert(1)>", "L1", 10]],
        "Treatments": [["Date", "Product", "Lot", "Units"], [date(2026, 3, 4), "<img src=x onerror=alert(1)>", "L9", 1]],
    })
    html = lotsync.reconcile(path, as_of=AS_OF)._repr_html_()
    assert "<img" not in html and "UNKNOWN_LOT" in html


def test_periods_are_the_reports_periods(clinic):
    r = lotsync.reconcile(clinic, date_from="2026-03-01", date_to="2026-04-30")
    p = r.periods()
    assert r.as_of == date(2026, 4, 30)  # --to is the default as_of, as on the command line
    assert [m.period for m in p.months] == ["2026-03", "2026-04"]
    assert sum((m.cogs for m in p.months), Decimal(0)) == r.totals.cogs


def test_import_lotsync_is_light_and_the_library_never_imports_click(clinic):
    code = textwrap.dedent(f"""
        import sys
        import lotsync
        heavy = [m for m in ("pandas", "pyarrow", "click", "pydantic") if m in sys.modules]
        r = lotsync.reconcile({clinic!r}, as_of="2026-06-30")
        lotsync.trace(r, "C3709C3"); lotsync.check({clinic!r})
        print(heavy, "click" in sys.modules, "pandas" in sys.modules)
        r.to_pandas()
        print("pandas" in sys.modules)
    """)
    env = {k: v for k, v in os.environ.items() if k != "LOTSYNC_MASK_KEY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[] False False", "True"]


def test_lotsync_reconcile_stays_the_function_whatever_is_imported():
    code = textwrap.dedent("""
        import importlib, pkgutil
        import lotsync, lotsync.api
        for m in pkgutil.walk_packages(lotsync.__path__, "lotsync."):
            importlib.import_module(m.name)
        from lotsync.reconcile import Options, reconcile as core
        from lotsync.reconcile import result
        assert lotsync.reconcile is lotsync.api.reconcile and callable(lotsync.reconcile)
        assert core is not lotsync.reconcile and result.Result is lotsync.api.Result
        assert all(hasattr(lotsync, n) for n in lotsync.__all__)
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr


def test_the_readme_python_snippet_works_as_written(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Python"):]
    snippet = section[section.index("```python") + len("```python"):section.index("```\n", section.index("```python") + 9)]
    write_book(tmp_path / "Inventory.xlsx", {
        "Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost"],
                      ["Botox", "C3709C3", date(2026, 12, 31), 100, 6.12]]})
    write_book(tmp_path / "visits" / "Treatments 2026.xlsx", {
        "Treatments": [["Date", "Patient", "Provider", "Product", "Lot", "Units"],
                       [date(2026, 3, 4), "Ava Thompson", "Amy", "Botox", "C3709C3", 20]]})
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(snippet, "README.md", "exec"), names)
    r, frames = names["r"], names["frames"]
    assert r.summary.lots == 1 and r.lots[0].derived_remaining == 80
    assert set(frames) == {"lots", "movements", "findings", "visits"}
    assert frames["movements"]["quantity"].sum() == 80
    assert lotsync.trace(r, "C3709C3").uses[0].patient == "Ava Thompson"


def test_out_and_history_write_and_record_as_the_nightly_command_does(clinic, tmp_path):
    out, hist = tmp_path / "reports", tmp_path / "h" / "history.sqlite"
    first = lotsync.reconcile(clinic, as_of=AS_OF, out=out, formats=("json", "csv"), history=hist)
    assert sorted(p.name for p in first.written) == ["findings.csv", "report.json"]
    lotsync.reconcile(clinic, as_of=AS_OF, out=out, formats="json", history=hist)
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["history"]["previous_run_id"] == rep["history"]["run_id"] - 1
    assert {f["status"] for f in rep["findings"]} == {"ongoing"}
    with pytest.raises(TypeError):
        lotsync.reconcile(clinic, formats="json")  # which outputs, but written where?


def test_a_bad_format_names_the_option_a_person_typed(clinic, tmp_path, capsys):
    code, _, err = run_main("reconcile", clinic, "--out", str(tmp_path / "o"), "--format", "json,pdf",
                            capsys=capsys)
    assert code == 2 and err.startswith("lotsync: --format: unknown format pdf")
    with pytest.raises(lotsync.ConfigError, match="^--format: unknown format pdf"):
        lotsync.reconcile(clinic, out=tmp_path / "o", formats=["json", "pdf"])
