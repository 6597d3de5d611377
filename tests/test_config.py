"""lotsync.toml (lotsync/config.py): one error test per kind of mistake, each with its
one-line message; paths relative to the file; command line over file over defaults; the
starter file; and a config driving a real reconcile."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from helpers import AS_OF, write_book, write_csv
from lotsync.nightly.settings import (STARTER_TOML, Config, ConfigError, ConfigFile, effective_settings, load_config,
                            reconcile_options, show_settings, write_starter)
from lotsync.pipeline import run

D = dt.date


def write_config(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "lotsync.toml"
    p.write_text(text, encoding="utf-8")
    return p


def error_of(folder: Path, text: str) -> str:
    write_config(folder, text)
    with pytest.raises(ConfigError) as e:
        load_config(None, folder)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith("lotsync.toml: ")
    return msg.removeprefix("lotsync.toml: ")


@pytest.fixture
def clinic(tmp_path) -> Path:
    """A clinic folder: Inventory.xlsx and visits/2026-01.xlsx, 2026-02.xlsx."""
    write_book(tmp_path / "Inventory.xlsx", {"Receiving": [["Product", "Lot", "Expiration", "Qty", "Unit Cost"],
                                                           ["Botox", "C3709C3", D(2026, 12, 31), 100, 6]]})
    for month in (1, 2):
        write_book(tmp_path / "visits" / f"2026-0{month}.xlsx", {"Treatments": [
            ["Date", "Patient", "Product", "Lot", "Units"], [D(2026, month, 4), "P1", "Botox", "C3709C3", 10]]})
    return tmp_path


SOURCES = '[[sources]]\npath = "Inventory.xlsx"\n[[sources]]\npath = "visits/2026-*.xlsx"\n'


# --- one error per kind of mistake --------------------------------------------------------


def test_unknown_key_names_its_path_and_the_nearest_key(clinic):
    assert error_of(clinic, SOURCES + '[[sources]]\npth = "x.xlsx"\n') == "sources[2].pth: unknown key (did you mean 'path'?)"
    assert error_of(clinic, "tolerence = 0.1\n" + SOURCES) == "tolerence: unknown key (did you mean 'tolerance'?)"
    assert error_of(clinic, SOURCES + '[[mapping.sheets]]\nfiel = "x"\n') == \
        "mapping.sheets[0].fiel: unknown key (did you mean 'file'?)"


def test_wrong_type_says_what_was_expected_and_what_was_given(clinic):
    assert error_of(clinic, 'day_first = "yes"\n' + SOURCES) == 'day_first: expected true or false, got "yes"'
    assert error_of(clinic, "expiring_days = 6.5\n" + SOURCES) == "expiring_days: expected a whole number, got 6.5"
    assert error_of(clinic, "expiring_days = -1\n" + SOURCES) == "expiring_days: must be 0 or more, got -1"
    assert error_of(clinic, 'tolerance = "a little"\n' + SOURCES) == 'tolerance: expected a number, got "a little"'
    assert error_of(clinic, 'outputs = "json"\n' + SOURCES) == 'outputs: expected a list [...], got "json"'
    assert error_of(clinic, 'outputs = ["json", "pdf"]\n' + SOURCES) == \
        'outputs[1]: must be one of json, csv, xlsx, html, corrected, parquet, got "pdf"'
    assert error_of(clinic, "history = 5\n" + SOURCES) == "history: expected a path in quotes or false, got 5"
    assert error_of(clinic, 'sources = ["Inventory.xlsx"]\n') == 'sources[0]: expected a table, got "Inventory.xlsx"'
    assert error_of(clinic, '[[sources]]\npath = "Inventory.xlsx"\nkind = "visit"\n') == \
        'sources[0].kind: must be one of inventory, visits, adjustments, counts, products, ignore, got "visit"'


def test_missing_source_names_the_pattern(clinic):
    assert error_of(clinic, SOURCES + '[[sources]]\npath = "visits/2027-*.xlsx"\n') == \
        "sources[2].path: no file matches 'visits/2027-*.xlsx'"
    assert error_of(clinic, '[[sources]]\npath = "Inventory 2026.xlsx"\n') == \
        "sources[0].path: no file matches 'Inventory 2026.xlsx'"
    assert error_of(clinic, '[[sources]]\nkind = "visits"\n') == \
        'sources[0]: needs either path = "..." or gsheet = "<spreadsheet id>"'
    assert error_of(clinic, '[[sources]]\ngsheet = "not an id!"\n') == \
        "sources[0].gsheet: 'not an id!' is not a spreadsheet id (the part after /d/ in its link)"


def test_a_setting_written_after_a_sources_table_is_explained(clinic):
    # TOML puts a key written after [[sources]] into that table: say so
    assert error_of(clinic, SOURCES + 'fail_on = "warning"\n') == (
        "sources[1].fail_on: unknown key (fail_on is a top-level setting: move it above the first "
        "[[sources]] table)")


def test_bad_date(clinic):
    assert error_of(clinic, 'as_of = "June 30"\n' + SOURCES) == "as_of: 'June 30' is not a date (use YYYY-MM-DD or \"today\")"
    assert error_of(clinic, "as_of = 2026-06-30T02:00:00\n" + SOURCES) == \
        'as_of: 2026-06-30T02:00:00 has a time of day; give a date (YYYY-MM-DD) or "today"'


def test_bad_fail_on(clinic):
    assert error_of(clinic, 'fail_on = "errors"\n' + SOURCES) == \
        'fail_on: must be one of error, warning, info, never, got "errors"'


def test_not_toml_and_not_found(clinic, tmp_path):
    assert error_of(clinic, "practice = \n").startswith("not valid TOML (")
    with pytest.raises(ConfigError, match=r"^elsewhere\.toml: config file not found$"):
        load_config(Path("elsewhere.toml"), tmp_path)
    (clinic / "lotsync.toml").unlink()
    assert load_config(None, clinic) is None


def test_a_bad_mapping_in_the_config_reads_like_a_bad_mapping_file(clinic):
    assert error_of(clinic, SOURCES + '[mapping.columns]\n"Qty Rec" = 5\n') == \
        'mapping.columns.Qty Rec: expected text in quotes, got 5'
    assert error_of(clinic, SOURCES + '[mapping.columns]\n"Qty Rec" = "qty"\n').startswith(
        "mapping.columns: 'Qty Rec' maps to unknown field 'qty' (fields: ")


# --- a good file --------------------------------------------------------------------------


def test_a_full_config_resolves_paths_against_its_own_folder(clinic, tmp_path, monkeypatch):
    write_config(clinic, '''
practice = "Glow Med Spa"
as_of = 2026-06-30
day_first = true
tolerance = 0.05
expiring_days = 30
fail_on = "warning"
outputs = ["json", "html", "json"]
out = "reports"
write_back = true
history = "state/history.sqlite"
''' + SOURCES + '''
[[sources]]
path = "visits/*.xlsx"          # overlaps the glob above: each file is read once
[[sources]]
gsheet = "1AbCdEfGhIjKlMnOpQrStUv"
tab = "Visits March"
kind = "visits"
''')
    monkeypatch.chdir(tmp_path.parent)  # started from elsewhere, with --config
    cfg = load_config(clinic / "lotsync.toml", Path.cwd())
    assert isinstance(cfg, Config) and cfg.file.practice == "Glow Med Spa"
    assert cfg.source_strings() == [str(clinic / "Inventory.xlsx"), str(clinic / "visits" / "2026-01.xlsx"),
                                    str(clinic / "visits" / "2026-02.xlsx"),
                                    "gsheet://1AbCdEfGhIjKlMnOpQrStUv/Visits%20March"]
    assert cfg.out == clinic / "reports" and cfg.history == clinic / "state" / "history.sqlite"
    f = cfg.file
    assert (f.as_of, f.day_first, f.tolerance, f.expiring_days, f.fail_on, f.outputs, f.write_back) == (
        D(2026, 6, 30), True, Decimal("0.05"), 30, "warning", ["json", "html"], True)
    # the gsheet source's kind pins its tab
    entry, _ = cfg.mapping.for_sheet("gsheet://1AbCdEfGhIjKlMnOpQrStUv", "Visits March")
    assert entry.kind == "visits"
    assert cfg.mapping.for_sheet("gsheet://1AbCdEfGhIjKlMnOpQrStUv", "Other")[0] is None


def test_defaults_and_history_off(clinic):
    write_config(clinic, "history = false\n" + SOURCES)
    cfg = load_config(None, clinic)
    assert cfg.history is None and cfg.out == clinic / "lotsync-out"
    assert (cfg.file.as_of, cfg.file.tolerance, cfg.file.fail_on, cfg.file.outputs) == (
        "today", Decimal("0.01"), "error", ["json", "csv", "xlsx", "html", "corrected"])  # every output, as the CLI
    write_config(clinic, SOURCES)
    assert load_config(None, clinic).history == clinic / ".lotsync" / "history.sqlite"


def test_command_line_wins_over_the_file_which_wins_over_defaults(clinic, tmp_path):
    write_config(clinic, 'fail_on = "warning"\nas_of = 2026-06-30\ntolerance = 0.05\nout = "reports"\n' + SOURCES)
    cfg = load_config(None, clinic)
    s = effective_settings(cfg, {"fail_on": "error", "as_of": None, "tolerance": "0.2", "history": False,
                                 "outputs": "json,xlsx", "out": "here"}, cwd=tmp_path)
    assert s["fail_on"] == "error" and s["as_of"] == D(2026, 6, 30) and s["tolerance"] == Decimal("0.2")
    assert s["history"] is None and s["outputs"] == ["json", "xlsx"] and s["out"] == tmp_path / "here"
    assert s["expiring_days"] == 60 and len(s["sources"]) == 3
    assert s["origin"]["fail_on"] == "command line" and s["origin"]["as_of"] == "lotsync.toml"
    assert s["origin"]["expiring_days"] == "default"
    text = show_settings(s)
    assert 'fail_on = "error"  # command line' in text and "as_of = 2026-06-30  # lotsync.toml" in text
    assert "history = false  # command line" in text
    opts = reconcile_options(s)
    assert (opts.as_of, opts.tolerance, opts.expiring_days) == (D(2026, 6, 30), Decimal("0.2"), 60)
    no_file = effective_settings(None, {}, cwd=tmp_path)
    assert reconcile_options(no_file, today=D(2026, 7, 1)).as_of == D(2026, 7, 1)
    assert no_file["history"] is None and no_file["sources"] == [] and no_file["out"] == tmp_path / "lotsync-out"
    assert effective_settings(None, {"history": "h.sqlite"}, cwd=tmp_path)["history"] == tmp_path / "h.sqlite"
    with pytest.raises(ConfigError, match=r"^--fail-on: must be one of error, warning, info, never, got 'loud'$"):
        effective_settings(cfg, {"fail_on": "loud"})
    with pytest.raises(ConfigError, match=r"^--as-of: '30/6' is not a date"):
        effective_settings(cfg, {"as_of": "30/6"})


def test_a_config_drives_a_real_reconcile_with_its_kinds_and_mapping(tmp_path):
    write_book(tmp_path / "Stock.xlsx", {"Sheet1": [["Product", "Lot", "Expiration", "Qty Rec", "Unit Cost"],
                                                    ["Botox", "C3709C3", D(2026, 12, 31), 100, 6]]})
    write_csv(tmp_path / "log.csv", [["Date", "Patient", "Product", "Lot", "Units"],
                                     [D(2026, 3, 4).isoformat(), "P1", "Botox", "C3709C3", 10]])
    write_csv(tmp_path / "old.csv", [["Date", "Patient", "Product", "Lot", "Units"],
                                     [D(2026, 3, 5).isoformat(), "P2", "Botox", "NOPE", 10]])
    write_config(tmp_path, '''
[[sources]]
path = "Stock.xlsx"
kind = "inventory"
[[sources]]
path = "*.csv"
[[sources]]
path = "old.csv"
kind = "ignore"
[mapping.columns]
"Qty Rec" = "quantity"
''')
    cfg = load_config(None, tmp_path)
    s = effective_settings(cfg, {"as_of": AS_OF.isoformat()})
    result, _ = run(s["sources"], reconcile_options(s), s["mapping"])
    kinds = {(Path(i.file).name, i.kind) for i in result.inputs}
    assert kinds == {("Stock.xlsx", "inventory"), ("log.csv", "visits"), ("old.csv", "ignored")}
    lot = result.lots[0]
    assert (lot.received, lot.used) == (100, 10)
    assert not [f for f in result.findings if f.code == "UNKNOWN_LOT"]


# --- the starter file ---------------------------------------------------------------------


def test_the_starter_file_is_valid_and_never_overwritten(tmp_path):
    ConfigFile.model_validate(tomllib.loads(STARTER_TOML))
    p = write_starter(tmp_path)
    assert p == tmp_path / "lotsync.toml" and p.read_text() == STARTER_TOML
    with pytest.raises(ConfigError, match=r"^lotsync\.toml: sources\[0\]\.path: no file matches 'Inventory\.xlsx'$"):
        load_config(None, tmp_path)
    write_book(tmp_path / "Inventory.xlsx", {"Receiving": [["Product", "Lot", "Qty"], ["Botox", "A1", 1]]})
    write_book(tmp_path / "visits" / "jan.xlsx", {"Visits": [["Date", "Product", "Lot", "Units"]]})
    cfg = load_config(None, tmp_path)
    assert cfg.file.practice == "My Med Spa" and len(cfg.source_strings()) == 2
    p.write_text("# mine\n")
    with pytest.raises(FileExistsError, match="already exists"):
        write_starter(p)
    assert p.read_text() == "# mine\n"


def test_config_show_after_config_init_lists_the_starters_sources_before_they_exist(tmp_path, monkeypatch):
    """`lotsync config --init` then `lotsync config --show` (the README's flow) shows the
    settings, although the starter's Inventory.xlsx is not written yet; a run still refuses."""
    import subprocess
    import sys
    monkeypatch.chdir(tmp_path)
    cmd = [sys.executable, "-m", "lotsync"]
    assert subprocess.run([*cmd, "config", "--init"], capture_output=True, text=True).returncode == 0
    shown = subprocess.run([*cmd, "config", "--show"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert str(tmp_path / "Inventory.xlsx") in shown.stdout
    with pytest.raises(ConfigError, match=r"sources\[0\]\.path: no file matches 'Inventory.xlsx'"):
        load_config(None, tmp_path)
    run_ = subprocess.run([*cmd, "reconcile"], capture_output=True, text=True)
    assert run_.returncode == 2 and "no file matches" in run_.stderr and "Traceback" not in run_.stderr
