"""What a person edits to change how lotsync looks: the HTML report's templates and stylesheet, the starter workbook.
May import nothing: data only (Jinja2 templates, report.css, starter.toml), shipped as `lotsync.templates.files`.

report.html.j2 is the page (it includes the other .html.j2 files; autoescaping is on, so
print text with {{ }} and never mark it safe); report.css is inlined into it; starter.toml
defines the workbook `lotsync init` writes (rebuild it with `python -m lotsync.templates.build`).
"""
