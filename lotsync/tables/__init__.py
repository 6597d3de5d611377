"""From raw cells to typed rows: find each table, map its columns, read its values.

Pure code (no I/O): it works on `RawSheet`s, whatever reader produced them.
"""
