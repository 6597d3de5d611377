"""`lotsync reconcile --mask-patients` on the demo practice: no patient name in any output
byte (report.json, findings.csv, report.xlsx unzipped, report.html), the same key gives the
same pseudonyms, and no key means exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from helpers import output_bytes
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice


def _patients(practice: Path) -> set[str]:
    wb = openpyxl.load_workbook(practice / "Treatments 2026.xlsx", read_only=True)
    names = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2, values_only=True):
            if row and isinstance(row[1], str):
                names.add(row[1])
    return names


def _run(practice: Path, out: Path, key: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LOTSYNC_MASK_KEY"}
    if key:
        env["LOTSYNC_MASK_KEY"] = key
    return subprocess.run([sys.executable, "-m", "lotsync", "reconcile", str(practice), "--as-of",
                           DEMO_AS_OF.isoformat(), "--out", str(out), "--mask-patients", "-q"],
                          capture_output=True, text=True, timeout=180, env=env)


def test_masked_outputs_contain_no_patient_name(tmp_path):
    practice = tmp_path / "practice"
    write_demo_practice(practice)
    names = _patients(practice)
    assert len(names) > 50
    r = _run(practice, tmp_path / "out", "a-practice-secret-of-some-length")
    assert r.returncode == 1, r.stderr
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} >= {"report.json", "findings.csv", "report.xlsx", "report.html"}
    assert not (out / "corrected").exists()  # the clinic's own sheets carry names
    blob = output_bytes(out) + r.stdout.encode()
    leaked = [n for n in names if n.encode() in blob or n.split()[-1].encode() + b", " in blob]
    assert leaked == []
    assert b"P-" in blob  # pseudonyms are there instead

    again = _run(practice, tmp_path / "again", "a-practice-secret-of-some-length")
    other = _run(practice, tmp_path / "other", "another-secret-entirely-0123")
    j1 = (out / "report.json").read_bytes()
    assert (tmp_path / "again" / "report.json").read_bytes() == j1
    assert (tmp_path / "other" / "report.json").read_bytes() != j1
    assert again.returncode == other.returncode == 1


def test_masking_without_a_key_refuses_to_run(tmp_path):
    practice = tmp_path / "practice"
    write_demo_practice(practice)
    r = _run(practice, tmp_path / "out", None)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "LOTSYNC_MASK_KEY" in r.stderr
    assert not (tmp_path / "out").exists()
