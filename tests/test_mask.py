"""Masked identities (issue 6): keyed pseudonyms, the key rules, and proof that no patient
name survives in any output byte once the result is masked."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from helpers import run_files, write_book
from lotsync.audit.mask import (MaskKeyError, mask_key_from_env, mask_result, normalise_patient,
                          pseudonym)
from lotsync.audit.periods import compute_periods
from lotsync.audit.trace import dumps, to_json, trace_lot, trace_patient, write_recall
from lotsync.writers.findings_csv import write_findings_csv
from lotsync.writers.json_report import write_report_json

KEY = b"practice secret: 7f3a9c1e5b2d"
OTHER = b"another practice secret 991"
AS_OF = date(2026, 6, 30)
RECV = ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit Cost"]
# no Visit ID column: a visit is date + patient + provider, so the visit key embeds the name
TREAT = ["Date", "Patient", "Provider", "Product", "Lot", "Units", "Charge", "Phone", "E-mail", "Notes"]
NAMES = ["Ava Thompson", "Benedict Oyelaran", "Chiara Lindqvist", "Dmitri Vasquez-Hale"]
CONTACT = ["555-0101", "chiara@example.org", "12 Harbour Lane"]


def test_pseudonym_is_keyed_stable_and_normalised():
    p = pseudonym(KEY, "Ava Thompson")
    assert re.fullmatch(r"P-[A-Z2-7]{10}", p)
    assert pseudonym(KEY, "ava  thompson") == p == pseudonym(KEY, " AVA THOMPSON ")
    assert pseudonym(KEY, "Ava Thompson") == p  # same key, same pseudonym, every run
    assert pseudonym(OTHER, "Ava Thompson") != p  # another key, another pseudonym
    assert pseudonym(KEY, "Ava Thompsen") != p
    assert normalise_patient("Ava\u00a0 Thompson") == "ava thompson"


def test_the_key_comes_from_the_environment_or_the_config_and_is_never_a_default(monkeypatch):
    monkeypatch.delenv("LOTSYNC_MASK_KEY", raising=False)
    with pytest.raises(MaskKeyError) as e:
        mask_key_from_env(None)
    assert "LOTSYNC_MASK_KEY" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(MaskKeyError, match="too short"):
        mask_key_from_env("short")
    with pytest.raises(MaskKeyError, match="guess"):
        mask_key_from_env("a" * 32)
    assert mask_key_from_env("config secret 0123456789") == b"config secret 0123456789"
    monkeypatch.setenv("LOTSYNC_MASK_KEY", "env secret 0123456789 ")
    assert mask_key_from_env("config secret 0123456789") == b"env secret 0123456789"
    monkeypatch.setenv("LOTSYNC_MASK_KEY", "0123")
    with pytest.raises(MaskKeyError, match="LOTSYNC_MASK_KEY is too short"):
        mask_key_from_env(None)


@pytest.fixture
def named_practice(tmp_path):
    a, b, c, d = NAMES
    return write_book(tmp_path / "clinic.xlsx", {
        "Receiving": [RECV, ["Botox", "C3709C3", date(2026, 12, 31), date(2026, 3, 1), 100, 6],
                      ["Botox", "EARLY1", date(2026, 9, 30), date(2026, 3, 1), 50, 5]],
        "Treatments": [TREAT,
                       [date(2026, 3, 4), a, "Amy", "Botox", "C3709C3", 20, 300, CONTACT[0], None, f"{a} asked for a follow-up"],
                       [date(2026, 3, 5), b, "Amy", "Botox", "N/A", 10, 150, None, None, None],
                       [date(2026, 3, 6), c, "Dee", "Botox", "C3709C3", 12, 180, None, CONTACT[1], CONTACT[2]],
                       # the name typed in the lot cell: an UNKNOWN_LOT whose lot text is the name
                       [date(2026, 3, 7), d, "Dee", "Botox", d, 8, 120, None, None, None],
                       [date(2026, 3, 7), d, "Dee", "Botox", "C3709C3", 4, 60, None, None, None],
                       [date(2026, 3, 7), d, "Dee", "Botox", "C3709C3", 4, 60, None, None, None]],  # duplicate
    })


def _bytes_of(path: Path) -> list[tuple[str, bytes]]:
    """A file's bytes, and for an xlsx every member of the zip, unpacked."""
    data = path.read_bytes()
    out = [(path.name, data)]
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            out += [(f"{path.name}:{n}", z.read(n)) for n in z.namelist()]
    return out


def _leaks(paths, secrets) -> list[str]:
    found = []
    for p in paths:
        for where, data in _bytes_of(Path(p)):
            low = data.lower()
            for s in secrets:
                for form in {s, s.upper(), s.lower(), s.replace(" ", "  ")}:
                    for enc in ("utf-8", "utf-16-le"):
                        if form.lower().encode(enc) in low:
                            found.append(f"{s!r} in {where}")
    return sorted(set(found))


def _all_outputs(result, out: Path) -> list[Path]:
    from lotsync.writers.report_html import write_report_html
    from lotsync.writers.report_xlsx import write_report_xlsx
    out.mkdir(parents=True, exist_ok=True)
    paths = [write_report_json(result, out), write_findings_csv(result, out),
             write_report_xlsx(result, out), write_report_html(result, out)]
    t = trace_lot(result, "C3709C3")
    paths += [write_recall(t, out / "recall.xlsx"), write_recall(t, out / "recall.csv")]
    (out / "trace.json").write_text(dumps(to_json(t)), encoding="utf-8")
    paths.append(out / "trace.json")
    return paths


def test_masked_outputs_contain_no_patient_name(named_practice, tmp_path):
    r = run_files([named_practice], as_of=AS_OF, keep_movements=True)[0]
    secrets = NAMES + [n.split()[-1] for n in NAMES] + CONTACT
    # unmasked, the outputs do name patients (so the scan below can see them)
    plain = _all_outputs(r, tmp_path / "plain")
    assert _leaks(plain, NAMES)
    masked = mask_result(r, KEY)
    paths = _all_outputs(masked, tmp_path / "masked")
    assert _leaks(paths, secrets) == []
    # ... and the masked outputs say who is who by pseudonym
    report = (tmp_path / "masked" / "report.json").read_text(encoding="utf-8")
    assert pseudonym(KEY, NAMES[0]) in report and pseudonym(KEY, NAMES[2]) in report
    recall = (tmp_path / "masked" / "recall.csv").read_text(encoding="utf-8-sig")
    assert pseudonym(KEY, NAMES[0]) in recall and "Phone" not in recall.splitlines()[0]


def test_masking_changes_no_figure(named_practice):
    r = run_files([named_practice], as_of=AS_OF, keep_movements=True)[0]
    m = mask_result(r, KEY)
    assert (m.totals, m.summary, m.lots, m.cogs.total, m.cogs.by_month) == \
        (r.totals, r.summary, r.lots, r.cogs.total, r.cogs.by_month)
    assert len(m.cogs.by_visit) == len(r.cogs.by_visit) and len(m.movements) == len(r.movements)
    assert [f.id for f in m.findings] == [f.id for f in r.findings]
    assert compute_periods(m) == compute_periods(r)
    a = pseudonym(KEY, NAMES[0])
    v = next(v for v in m.cogs.by_visit if v.patient == a)
    assert v.visit == f"2026-03-04|{a}|Amy"
    assert {x.patient for x in m.movements if x.kind == "used"} == {pseudonym(KEY, n) for n in NAMES}
    # the finding whose lot cell held a name: scrubbed, still the same finding
    f = next(f for f in m.findings if f.code == "UNKNOWN_LOT")
    assert f.lot == pseudonym(KEY, NAMES[3]) and NAMES[3] not in f.message
    # a masked result is traced by pseudonym
    t = trace_patient(m, pseudonym(KEY, NAMES[2]))
    assert t.found and [u.quantity for u in t.uses] == [12]
    # the original is untouched
    assert NAMES[0] in {v.patient for v in r.cogs.by_visit}


def test_the_same_patient_has_the_same_pseudonym_across_files_and_runs(named_practice, tmp_path):
    other = write_book(tmp_path / "later.xlsx", {
        "Receiving": [RECV, ["Botox", "Z1", date(2027, 12, 31), date(2026, 5, 1), 100, 6]],
        "Treatments": [TREAT, [date(2026, 5, 4), " ava   THOMPSON", "Amy", "Botox", "Z1", 20, 300, None, None, None]]})
    r1 = mask_result(run_files([named_practice], as_of=AS_OF, keep_movements=True)[0], KEY)
    r2 = mask_result(run_files([other], as_of=AS_OF, keep_movements=True)[0], KEY)
    r3 = mask_result(run_files([other], as_of=AS_OF, keep_movements=True)[0], OTHER)
    p1 = {v.patient for v in r1.cogs.by_visit}
    p2 = {v.patient for v in r2.cogs.by_visit}
    assert p2 <= p1 and p2 == {pseudonym(KEY, "Ava Thompson")}
    assert {v.patient for v in r3.cogs.by_visit}.isdisjoint(p1)


def test_masked_demo_reports_contain_no_patient_name(tmp_path):
    from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice
    files = [str(p) for p in write_demo_practice(tmp_path / "practice")]
    r = run_files(files, as_of=DEMO_AS_OF, keep_movements=True)[0]
    names = sorted({v.patient for v in r.cogs.by_visit if v.patient})
    assert len(names) > 50
    m = mask_result(r, KEY)
    from lotsync.writers.report_html import write_report_html
    from lotsync.writers.report_xlsx import write_report_xlsx
    out = tmp_path / "masked"
    paths = [write_report_json(m, out), write_findings_csv(m, out), write_report_xlsx(m, out),
             write_report_html(m, out)]
    key = next(l.lot_key for l in r.lots if l.location == "Westside" and l.transferred_in)
    paths.append(write_recall(trace_lot(m, key), out / "recall.xlsx"))
    blob = b"".join(data for p in paths for _, data in _bytes_of(p)).decode("utf-8", "replace").casefold()
    leaked = [n for n in names if n.casefold() in blob]
    assert leaked == []


def test_a_masked_visit_log_tab_named_for_a_patient_keeps_its_period_figures(tmp_path):
    """A clinic keeping a visit log per patient names the tab for them, so masking renames
    the tab in the findings and inputs; the reconcile command's result keeps the ledger's
    columns (no Movements), and its period figures must still match the row that took from
    a lot to its finding: counted once, as from Movements."""
    recv = write_book(tmp_path / "receiving.xlsx", {"Receiving": [
        ["Product", "Lot", "Expiration", "Date Received", "Qty", "Unit", "Unit Cost"],
        ["Botox 100U", "B1", date(2026, 3, 1), date(2026, 1, 5), 200, "units", 5]]})
    treat = write_book(tmp_path / "treatments.xlsx", {"May": [
        ["Date", "Patient", "Provider", "Product", "Lot", "Qty", "Unit", "Price"],
        ["2026-05-04", "May", "Dr A", "Botox 100U", "B1", 20, "units", 300],  # EXPIRED_USE
        ["2026-05-05", "Jane Roe", "Dr A", "Botox 100U", "B1", 10, "units", 150]]})
    key = b"k" * 32
    by_movements = mask_result(run_files([recv, treat], as_of=date(2026, 6, 30),
                                         keep_movements=True)[0], key)
    by_columns = mask_result(run_files([recv, treat], as_of=date(2026, 6, 30),
                                       keep_ledger=True)[0], key)
    assert "May" not in {i.sheet for i in by_columns.inputs}  # the tab was scrubbed
    cols = compute_periods(by_columns)
    assert [m.visit_rows for m in cols.months if m.period == "2026-05"] == [2]
    assert cols == compute_periods(by_movements)
    # and the masked result's ledger shows the sheet through the mask, as its movements do
    assert all(t.sheet != "May" for t in by_columns.ledger.tables)
