"""A plain `pip install .` works: the wheel holds every data file lotsync reads (vocabulary,
report templates and stylesheet, the starter workbook and its definition), and lotsync
installed from it into a fresh venv runs the demo and writes every report.

Fast and offline: the wheel is built from a copy of the source (pip's build isolation
finds setuptools in the machine's wheel cache), installed with --no-deps --no-index into a
venv made without pip, and that venv sees the already-installed dependencies through a
.pth line (lotsync itself comes from the wheel: the venv's own site-packages is first on
the path, and the test checks that). The wheel's declared dependencies are checked against
pyproject.toml separately, so a missing one still fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_SUFFIXES = {".toml", ".xlsx", ".j2", ".css", ".json", ".csv", ".txt"}

pytestmark = pytest.mark.wheel


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel from a copy of the source (an in-tree build would write build/ and
    egg-info into the checkout while other tests run)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("lotsync", "templates"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = tmp_path_factory.mktemp("dist")
    proc = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    (whl,) = dist.glob("lotsync-*.whl")
    return whl


def test_the_wheel_holds_every_data_file(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(p.relative_to(ROOT).as_posix()) for p in (ROOT / "lotsync").rglob("*")
                if p.suffix in DATA_SUFFIXES}
    expected |= {"lotsync/templates/files/" + p.relative_to(ROOT / "templates").as_posix()
                 for p in (ROOT / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert "lotsync/tables/vocabulary.toml" in expected and "lotsync/templates/files/report.html.j2" in expected
    assert expected <= names, f"missing from the wheel: {sorted(expected - names)}"


def test_the_wheel_declares_the_dependencies_of_pyproject(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    declared = {line.split(":", 1)[1].strip().split(";")[0].replace(" ", "")
                for line in meta.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line}
    wanted = {d.replace(" ", "") for d in
              tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    assert wanted == declared and any(d.startswith("jinja2") for d in declared)


def test_installed_from_the_wheel_the_demo_writes_every_report(wheel, tmp_path):
    venv = tmp_path / "venv"
    proc = run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert proc.returncode == 0, proc.stderr
    vpy = venv / "bin" / "python"
    proc = run([sys.executable, "-m", "pip", "--python", str(vpy), "install", "-q", "--no-deps", "--no-index",
                str(wheel)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    # the dependencies already installed here, after the venv's own site-packages
    site = Path(run([str(vpy), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_lotsync_test_deps.pth").write_text("\n".join(sorted(ours)) + "\n")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    where = run([str(vpy), "-c", "import lotsync, lotsync.templates as t; print(lotsync.__file__); "
                 "print(t.template_dir())"], cwd=tmp_path, env=env)
    assert where.returncode == 0, where.stderr[-2000:]
    module_file, templates = where.stdout.split()
    assert Path(module_file).is_relative_to(venv) and Path(templates).is_relative_to(venv), where.stdout

    out = tmp_path / "out"
    proc = run([str(venv / "bin" / "lotsync"), "demo", "--out", str(out)], cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    for name in ("report.html", "report.xlsx", "report.json", "findings.csv"):
        assert (out / name).is_file() and (out / name).stat().st_size > 1000, name
    assert "<h1>Inventory report as of " in (out / "report.html").read_text(encoding="utf-8")

    proc = run([str(venv / "bin" / "lotsync"), "init", str(tmp_path / "clinic")], cwd=tmp_path, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "clinic" / "lotsync-inventory.xlsx").read_bytes()[:2] == b"PK"


def test_in_this_checkout_the_templates_are_the_top_level_folder():
    """An editable install (`pip install -e .`) reads templates/ itself, so an edit there
    shows in the next report without reinstalling."""
    import lotsync
    from lotsync.templates import template_dir

    if not Path(lotsync.__file__).resolve().is_relative_to(ROOT):
        pytest.skip("lotsync is not imported from this checkout")
    assert template_dir().resolve() == ROOT / "templates"
