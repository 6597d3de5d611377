"""From raw cells to typed rows: find each table, map its columns, read its values.
May import readers (RawSheet), findings, model, errors; never reconcile, writers or above.

Pure code (no I/O): it works on `RawSheet`s, whatever reader produced them.
"""
