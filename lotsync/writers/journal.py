"""The month's journal as files a bookkeeper imports (docs/ACCOUNTING.md names the sources).

- `csv`: date, journal, account, debit, credit, description, location (ISO dates).
- `quickbooks`: QuickBooks Online's journal-entry import: JournalNo, JournalDate
  (MM/DD/YYYY), AccountName, Debits, Credits, Description, Name, Location, Class; lines
  of one entry share a JournalNo; a debit line leaves Credits blank and the other way.
- `xero`: Xero's manual-journal import: Narration, Date (DD/MM/YYYY), Description,
  AccountCode, TaxRate, Amount (debit positive, credit negative), TrackingName1,
  TrackingOption1; lines of one journal share Narration and Date. AccountCode is the code
  alone ("1400", not "1400 Inventory"): the text before the first space when it holds a
  digit, else the whole name.

Amounts are written from cents as plain `1234.50`; every text cell (account names, the
catalog's categories and the sheets' locations are user text) goes through the
formula-injection guard; the file is written atomically.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Protocol, Sequence

from lotsync.writers.safe import atomic_output, safe_text


class JournalLine(Protocol):
    account: str
    debit: int  # cents
    credit: int
    description: str
    location: str

    @property
    def net(self) -> int: ...


class JournalEntry(Protocol):
    number: str
    date: dt.date
    narration: str
    lines: Sequence[JournalLine]

    @property
    def debits(self) -> int: ...

    @property
    def credits(self) -> int: ...


class Journal(Protocol):
    """What a `lotsync.books.journal.Journal` holds: writers sit below books in the
    layering, so they render it by its shape (as `since.TrendPoint` is a Protocol)."""

    month: str
    entries: Sequence[JournalEntry]

FORMATS = ("csv", "quickbooks", "xero")

CSV_HEADER = ["date", "journal", "account", "debit", "credit", "description", "location"]
QBO_HEADER = ["JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description", "Name",
              "Location", "Class"]
XERO_HEADER = ["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount", "TrackingName1",
               "TrackingOption1"]


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _amount(cents: int) -> str:
    return money(cents) if cents else ""


def account_code(account: str) -> str:
    """Xero wants the account's code: '1400' from '1400 Inventory'; a name without a code as is."""
    head = account.strip().split(" ", 1)[0]
    return head if any(ch.isdigit() for ch in head) else account.strip()


def journal_rows(journal: Journal, fmt: str, tax_rate: str = "Tax Exempt",
                 tracking: str = "Location") -> tuple[list[str], list[list[str]]]:
    """(header, rows) of `fmt`, text cells guarded."""
    s = safe_text
    rows: list[list[str]] = []
    for e in journal.entries:
        for l in e.lines:
            if fmt == "csv":
                rows.append([e.date.isoformat(), e.number, s(l.account), _amount(l.debit), _amount(l.credit),
                             s(l.description), s(l.location)])
            elif fmt == "quickbooks":
                rows.append([e.number, e.date.strftime("%m/%d/%Y"), s(l.account), _amount(l.debit),
                             _amount(l.credit), s(l.description), "", s(l.location), ""])
            elif fmt == "xero":
                rows.append([s(e.narration), e.date.strftime("%d/%m/%Y"), s(l.description), s(account_code(l.account)),
                             s(tax_rate), money(l.net), s(tracking) if l.location else "", s(l.location)])
            else:
                raise ValueError(f"unknown journal format {fmt!r} (choose from {', '.join(FORMATS)})")
    header = {"csv": CSV_HEADER, "quickbooks": QBO_HEADER, "xero": XERO_HEADER}[fmt]
    return header, rows


def write_journal(journal: Journal, path: Path, fmt: str, tax_rate: str = "Tax Exempt",
                  tracking: str = "Location") -> Path:
    header, rows = journal_rows(journal, fmt, tax_rate, tracking)
    with atomic_output(Path(path), "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return Path(path)


def describe(journal: Journal) -> list[str]:
    """Lines for the terminal: each entry with its totals, and whether it balances."""
    out = []
    for e in journal.entries:
        ok = "balanced" if e.debits == e.credits else "NOT BALANCED"
        out.append(f"{e.number}  {e.date.isoformat()}  {e.narration}: {len(e.lines)} lines, "
                   f"debits {money(e.debits)} = credits {money(e.credits)} ({ok})")
    if not journal.entries:
        out.append(f"No inventory movements with a cost in {journal.month}: nothing to post.")
    return out

