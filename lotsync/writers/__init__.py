"""Renderers of the one frozen `Result`: JSON, CSV, xlsx, HTML, corrected copies, Sheets.
May import the core below it (pipeline, reconcile, tables, readers, templates); never audit, nightly, cli.

The only I/O besides the readers. report.html is rendered from the Jinja2 templates in the
top-level templates/ folder (report_view builds what they show).
"""
