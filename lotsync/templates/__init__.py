"""How lotsync looks, loaded from the top-level templates/ folder (shipped as the package
`lotsync.templates.files`): the report's Jinja2 templates and stylesheet, and the starter
workbook (`lotsync init`), whose definition is templates/starter.toml and whose built copy
is `starter.xlsx` here (run `python -m lotsync.templates.build` after changing the
definition; a test fails when the two drift).

May import the model only (it is read by writers, demo and cli); never nightly, audit,
cli or demo.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["FILES_PACKAGE", "INIT_NAME", "build_starter", "init_workbook", "starter_path", "template_dir"]

#: The package that is the top-level templates/ folder (pyproject's package-dir maps it).
FILES_PACKAGE = "lotsync.templates.files"


def template_dir() -> Path:
    """The folder of the editable templates (templates/ in a checkout or an editable
    install, lotsync/templates/files/ in an installed wheel)."""
    return Path(str(resources.files(FILES_PACKAGE)))


def __getattr__(name: str):
    # Imported on first use, so `python -m lotsync.templates.build` runs the module once.
    if name in ("INIT_NAME", "build_starter", "init_workbook", "starter_path"):
        from lotsync.templates import build
        return getattr(build, name)
    raise AttributeError(f"module 'lotsync.templates' has no attribute {name!r}")
