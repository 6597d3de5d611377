"""The bookkeeper's month-end: the journal's entries from a Result, and posted months that changed.
May import audit (period figures), writers and the core below them; never nightly, demo or cli.

Pure: a Result, accounts and what was posted in; entries and findings out. The history
(nightly) stores posted journals; writers/journal.py renders the entries as import files.
"""
