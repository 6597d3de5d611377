"""lotsync: re-derive every lot's ledger from a med spa's own spreadsheets."""

__version__ = "0.1.0"
