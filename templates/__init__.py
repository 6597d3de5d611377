"""What a person edits to change how lotsync looks: the HTML report and the starter workbook.

Data only (Jinja2 templates, a stylesheet, TOML); nothing here imports anything.
"""
