"""report.html: the report a manager opens on a laptop or a phone, and prints.

The writer builds a typed view of the frozen Result (`report_view.build_view`: every
figure formatted there) and renders it with the Jinja2 templates of the top-level
templates/ folder (`report.html.j2` and the pieces it includes, and `report.css`), which
ship in the package as `lotsync.templates.files`. Changing how the report looks means
editing those files, not this code.

One self-contained file: the stylesheet inlined, charts as inline SVG
(lotsync.writers.charts), no script, no font, no image and no link that loads anything;
a Content-Security-Policy meta tag forbids the browser from fetching anything even if a
later change slipped one in. Autoescaping is on for every template, so every piece of
user text is escaped unless a template marks it safe (none does; only the SVG charts and
the stylesheet arrive as Markup). It names no patient and lists no visits (findings'
messages never hold a patient's name), so a practice of a million visits gives a file of
the same size as a small one: the findings table holds the first 2,000 findings (errors
first) and says how many more are in findings.csv.

Rejected: HTML from f-string pieces with opt-in escaping (the v0.1 writer: one forgotten
escape call is an injection, and a colour change was a code change).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from lotsync.reconcile.result import Result
from lotsync.templates import template_dir
from lotsync.writers.report_view import CSP, MAX_FINDINGS, MAX_USE_NEXT, build_summary, build_view  # noqa: F401
from lotsync.writers.safe import atomic_output

TEMPLATE = "report.html.j2"
STYLESHEET = "report.css"
SUMMARY_TEMPLATE = "summary.html.j2"


@lru_cache(maxsize=1)
def html_environment() -> jinja2.Environment:
    """The Jinja2 environment of the report templates: autoescaping on for every template
    (whatever its name), undefined names are errors (a typo in a template fails loudly
    instead of printing nothing), and block tags leave no blank lines behind."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(template_dir())),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def read_stylesheet() -> str:
    """report.css as text, to be inlined (the page loads nothing)."""
    env = html_environment()
    return env.loader.get_source(env, STYLESHEET)[0]


def render_html(r: Result, since=None, periods=None) -> str:
    view = build_view(r, read_stylesheet(), since, periods)
    return html_environment().get_template(TEMPLATE).render(r=view)


def render_summary_html(r: Result, note: str = "") -> str:
    """The compact summary a notebook shows for a result (`Reconciliation._repr_html_`):
    report.html's header figures and the findings by code (templates/summary.html.j2),
    escaped by the same environment."""
    return html_environment().get_template(SUMMARY_TEMPLATE).render(r=build_summary(r, note))


def write_report_html(result: Result, out_dir: Path, since=None, periods=None) -> Path:
    """Write `out_dir/report.html` (atomically: a temporary file renamed into place).
    `since` (a writers.since.SinceLastRun) puts what changed since the last run first;
    `periods` (an audit.periods.Periods) adds the period tables."""
    path = Path(out_dir) / "report.html"
    with atomic_output(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render_html(result, since, periods))
    return path
