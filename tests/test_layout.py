"""The house rules of the package layout: the layering each folder's __init__ states holds
(import-linter contracts in pyproject.toml: no cycle, the core never imports nightly, audit,
demo or cli, nothing imports cli, reconcile stays pure), every folder says in two lines what
it is and what it may import, and every package is listed for the wheel."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lotsync"


def lint_imports(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    """Run import-linter's `lint-imports` on the contracts in pyproject.toml (no cache: the
    answer must be about the code as it is now)."""
    env = {**os.environ, "PYTHONPATH": str(pythonpath)} if pythonpath else None
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    return subprocess.run([sys.executable, "-c", script, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_every_import_contract_is_kept():
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in proc.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("writers/since.py", "from lotsync.nightly.history import TrendPoint", "Layers"),
    ("reconcile/lots.py", "import openpyxl", "The reconcile core is pure"),
    ("tables/values.py", "import lotsync.cli", "Nothing imports the command line"),
    ("model.py", "from lotsync.findings import sort_findings", "No import cycle"),
], ids=["core imports nightly", "reconcile does I/O", "library imports cli", "a cycle"])
def test_a_broken_rule_is_caught(tmp_path, module, line, contract):
    """The contracts are not vacuous: one bad import in a copy of the package breaks the
    contract that forbids it (the copy comes first on the path, so it is the one linted)."""
    copy = tmp_path / "lotsync"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    path = copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    proc = lint_imports(tmp_path, pythonpath=tmp_path)
    assert proc.returncode != 0, proc.stdout[-3000:]
    broken = proc.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, proc.stdout[-3000:]


def folders() -> list[Path]:
    return sorted(p.parent for p in PACKAGE.rglob("__init__.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("folder", [p.name for p in folders() if p != PACKAGE] + ["templates (top level)"])
def test_every_folder_says_what_it_is_and_what_it_may_import(folder):
    init = ROOT / "templates" / "__init__.py" if folder.startswith("templates (") else PACKAGE / folder / "__init__.py"
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert doc, f"{init} has no docstring"
    what, may = (doc.splitlines() + ["", ""])[:2]
    assert what.strip(), f"{init}: the first line says what the folder is"
    assert may.startswith("May import"), f"{init}: the second line says what it may import"


def test_every_package_is_in_the_wheel():
    """pyproject lists the packages (packages.find cannot see templates/): a new folder
    under lotsync/ that is not listed would be missing from `pip install .`."""
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(conf["packages"])
    found = {".".join(p.relative_to(ROOT).parts) for p in folders()}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert conf["package-dir"] == {"lotsync.templates.files": "templates"}
    assert listed - found == {"lotsync.templates.files"}
