"""`lotsync reconcile --format parquet` (and `outputs = ["parquet"]` in lotsync.toml): the
four frames as Parquet files that pandas and DuckDB read back exactly, written atomically,
and masked in a masked run. The command runs in a real subprocess, as cron runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal, localcontext
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import lotsync
from lotsync.demo.practice import DEMO_AS_OF, write_demo_practice

MASK_KEY = "correct horse battery staple 42"
FRAMES = ("lots", "movements", "findings", "visits")


def lotsync_cli(*args: str, cwd: Path | None = None, mask: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LOTSYNC_DEBUG", "LOTSYNC_MASK_KEY")}
    if mask:
        env["LOTSYNC_MASK_KEY"] = MASK_KEY
    return subprocess.run([sys.executable, "-m", "lotsync", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> list[str]:
    return [str(p) for p in write_demo_practice(tmp_path_factory.mktemp("demo") / "practice")]


@pytest.fixture(scope="module")
def parquet_run(demo_files, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    res = lotsync_cli("reconcile", *demo_files, "--as-of", DEMO_AS_OF.isoformat(), "--out", str(out),
                      "--format", "json,parquet", "--fail-on", "never", "--quiet")
    return res, out


def test_reconcile_format_parquet_writes_the_four_frames_and_nothing_half_written(parquet_run):
    res, out = parquet_run
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in (out / "parquet").iterdir()) == sorted(f"{n}.parquet" for n in FRAMES)
    # only what was asked (and the out folder's lock and manifest: writers.outset)
    assert sorted(p.name for p in out.iterdir()) == [".lotsync.lock", "lotsync-manifest.json", "parquet",
                                                     "report.json"]
    assert not [p for p in out.rglob(".*") if p.name != ".lotsync.lock"]  # no temporary file left
    manifest = json.loads((out / "lotsync-manifest.json").read_text(encoding="utf-8"))
    assert all(f"parquet/{n}.parquet" in json.dumps(manifest) for n in FRAMES)  # ours: never read back


def test_parquet_round_trips_through_pandas_exactly(parquet_run, demo_files):
    _, out = parquet_run
    frames = lotsync.reconcile(demo_files, as_of=DEMO_AS_OF).to_pandas()
    back = lotsync.read_parquet(out)
    for name in FRAMES:
        pd.testing.assert_frame_equal(back[name], frames[name], check_exact=True)
    # plain pandas, no lotsync: the decimals come back exact (as Decimal objects without
    # dtype_backend, as Arrow decimals with it), dates as dates, codes as categories
    plain = pd.read_parquet(out / "parquet" / "movements.parquet")
    assert isinstance(plain["quantity"].iloc[0], Decimal)
    with localcontext(prec=90):  # Python's default 28 digits would round this sum
        assert sum(plain["value"].dropna(), Decimal(0)) == frames["movements"]["value"].sum()
    assert isinstance(plain["kind"].dtype, pd.CategoricalDtype)
    arrow = pd.read_parquet(out / "parquet" / "lots.parquet", dtype_backend="pyarrow")
    assert arrow["derived_remaining"].sum() == frames["lots"]["derived_remaining"].sum()
    assert str(pq.read_schema(out / "parquet" / "lots.parquet").field("expiration").type) == "date32[day]"


def test_duckdb_reads_the_parquet_files_as_they_are(parquet_run, demo_files):
    duckdb = pytest.importorskip("duckdb")
    _, out = parquet_run
    r = lotsync.reconcile(demo_files, as_of=DEMO_AS_OF)
    folder = (out / "parquet").as_posix()
    con = duckdb.connect()
    cogs, = con.execute(f"SELECT -sum(value) FROM '{folder}/movements.parquet' WHERE kind = 'used'").fetchone()
    assert cogs == r.totals.cogs  # a DECIMAL sum, exact to the last of its 27 places
    rows = con.execute(
        f"SELECT l.product, l.lot, l.location, l.derived_remaining, sum(m.quantity) "
        f"FROM '{folder}/lots.parquet' l JOIN '{folder}/movements.parquet' m "
        "USING (product, lot_key, location) GROUP BY ALL").fetchall()
    assert len(rows) == len(r.lots) and all(derived == total for *_, derived, total in rows)
    kinds = dict(con.execute(f"SELECT typeof(date), typeof(quantity) FROM '{folder}/movements.parquet' LIMIT 1").fetchall())
    assert list(kinds) == ["DATE"] and kinds["DATE"].startswith("DECIMAL")


def test_a_masked_parquet_run_holds_no_patient_name(demo_files, tmp_path):
    names = {v.patient for v in lotsync.reconcile(demo_files, as_of=DEMO_AS_OF).cogs.by_visit if v.patient}
    plain_out, masked_out = tmp_path / "plain", tmp_path / "masked"
    for out, mask in ((plain_out, False), (masked_out, True)):
        res = lotsync_cli("reconcile", *demo_files, "--as-of", DEMO_AS_OF.isoformat(), "--out", str(out),
                          "--format", "parquet", "--fail-on", "never", "--quiet",
                          *(["--mask-patients"] if mask else []), mask=mask)
        assert res.returncode == 0, res.stderr

    def found(folder: Path) -> set[str]:
        raw = b"".join(p.read_bytes() for p in (folder / "parquet").iterdir())
        cells = "\n".join(pq.read_table(p).to_pandas().astype(str).to_csv()
                          for p in (folder / "parquet").iterdir())
        return {n for n in names if n.encode() in raw or n in cells}

    assert len(found(plain_out)) == len(names)  # the check can see a name where there is one
    assert found(masked_out) == set()
    visits = lotsync.read_parquet(masked_out)["visits"]
    assert visits["patient"].str.startswith("P-").all()


def test_parquet_in_lotsync_toml_outputs(demo_files, tmp_path):
    (tmp_path / "lotsync.toml").write_text(
        'as_of = "%s"\nfail_on = "never"\noutputs = ["parquet"]\nout = "reports"\nhistory = false\n'
        % DEMO_AS_OF.isoformat()
        + "".join(f'[[sources]]\npath = "{Path(f).as_posix()}"\n' for f in demo_files), encoding="utf-8")
    res = lotsync_cli("reconcile", "--quiet", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert [p.name for p in (tmp_path / "reports").iterdir() if not p.name.startswith((".", "lotsync-"))] == \
        ["parquet"]
    assert len(lotsync.read_parquet(tmp_path / "reports")["lots"]) == 68


def test_reading_a_folder_without_parquet_files_is_one_clear_error(tmp_path):
    with pytest.raises(lotsync.SourceNotFoundError, match="lots.parquet"):
        lotsync.read_parquet(tmp_path)


def test_a_reconciliation_writes_the_same_parquet_files_as_the_command(parquet_run, demo_files, tmp_path):
    """`Reconciliation.to_parquet` (a notebook's way) writes what `--format parquet` wrote."""
    _, out = parquet_run
    paths = lotsync.reconcile(demo_files, as_of=DEMO_AS_OF).to_parquet(tmp_path)
    assert sorted(p.name for p in paths) == sorted(f"{n}.parquet" for n in FRAMES)
    assert all(p.parent == tmp_path / "parquet" and p.is_file() for p in paths)
    assert not [p for p in tmp_path.rglob(".*")]  # atomic: no temporary file left
    mine, theirs = lotsync.read_parquet(tmp_path), lotsync.read_parquet(out)
    for name in FRAMES:
        pd.testing.assert_frame_equal(mine[name], theirs[name], check_exact=True)
