"""How lotsync looks: the top-level templates/ folder (report templates, starter workbook), loaded.
May import nothing else in lotsync (it sits at the bottom of the core, beside readers).

templates/ ships inside the package as `lotsync.templates.files` (pyproject's package-dir):
the report's Jinja2 templates and stylesheet, and templates/starter.toml, the definition of
the starter workbook (`lotsync init`) whose built copy is `starter.xlsx` here (run
`python -m lotsync.templates.build` after changing the definition; a test fails when the
two drift).
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
