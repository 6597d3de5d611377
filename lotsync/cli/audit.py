"""`lotsync trace`: a manufacturer's recall answered the same day.

    lotsync trace LOT SOURCES...            every patient who received the lot, and where the rest went
    lotsync trace --patient NAME SOURCES... every lot a patient received

Exit status: 0 traced; 1 the lot was never received (near matches listed) or the patient
has no treatment; 2 could not run (one line on stderr).

The terminal shows patients' names (the clinic's own recall list) unless `--mask-patients`,
which replaces each with its keyed pseudonym (LOTSYNC_MASK_KEY) everywhere: terminal,
--json and --out.
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click

OUT_SUFFIXES = (".xlsx", ".csv")


class AuditError(click.ClickException):
    """Could not run: exit 2 with one line (also when the command runs on its own)."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"lotsync: {self.format_message()}", err=True)


def _q(d: Decimal | None) -> str:
    if d is None:
        return ""
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def _where(s, with_file: bool = True) -> str:
    if s is None:
        return ""
    name = (Path(s.file).name if "://" not in s.file else s.file) if with_file or not s.sheet else None
    return " › ".join(str(x) for x in (name, s.sheet, s.cell or (f"row {s.row}" if s.row else None)) if x)


def _columns(tb, names) -> None:
    """Dates, quantities and short codes never wrap; text columns fold."""
    for col in names:
        if col in ("date", "quantity", "expires", "lot"):
            tb.add_column(col, justify="right" if col == "quantity" else "left", no_wrap=True)
        else:
            tb.add_column(col, overflow="fold")


def _run(sources, as_of, mapping, day_first, no_infer, mask_patients, config_path=None):
    """The ledger, with movements, from SOURCES or from lotsync.toml (as `reconcile` reads
    it): the Python API's own call, so the command and `lotsync.trace` cannot differ."""
    from lotsync.api import reconcile
    from lotsync.errors import LotsyncError, NoSourcesError

    try:
        return reconcile(list(sources) or None, as_of=as_of, mapping=mapping,
                         day_first=day_first or None, infer_lots=not no_infer,
                         mask_patients=mask_patients, config=config_path or True)
    except NoSourcesError:
        raise AuditError("no SOURCES given: name the inventory and visit files, folders or globs, "
                         "or run where a lotsync.toml names them (lotsync trace --help)") from None
    except LotsyncError as e:
        raise AuditError(str(e).splitlines()[0] if str(e) else type(e).__name__) from None


def _print_lot(t, console) -> None:
    from rich.table import Table
    from rich.text import Text

    if not t.found:
        console.print(Text(f"Lot {t.query} was never received (as of {t.as_of.isoformat()})."))
        if t.near:
            console.print(Text("Lots received with a similar number: " + ", ".join(t.near)))
        else:
            console.print(Text("No received lot has a similar number."))
    else:
        tot = t.totals()
        unit = next((o.unit for o in t.on_hand if o.unit), None)
        unit = f" {unit}" if unit else ""
        head = (f"Lot {t.lot} — {t.product}"
                + (f", expires {t.expiration.isoformat()}" if t.expiration else "")
                + f" — as of {t.as_of.isoformat()}")
        console.print(Text(head, style="bold"))
        console.print(Text(
            f"Received {_q(tot['received'])}{unit}: used {_q(tot['used'])} "
            f"({_q(tot['used_recorded'])} recorded, {_q(tot['used_inferred'])} inferred), "
            f"wasted {_q(tot['wasted'])}, expired {_q(tot['expired'])}, returned {_q(tot['returned'])}, "
            f"adjusted {_q(tot['adjusted'])}, count variance {_q(tot['count_variance'])}, "
            f"on hand {_q(tot['on_hand'])}."))
        patients = {u.patient for u in t.uses if u.patient and not u.duplicate}
        console.print(Text(f"{len(patients)} patients, {sum(not u.duplicate for u in t.uses)} uses."))
        if t.uses:
            tb = Table(title="Uses (recorded on the visit row first, then inferred)", title_justify="left")
            _columns(tb, ("date", "patient", "provider", "location", "quantity", "lot on row", "source"))
            one_file = len({u.source.file for u in t.uses if u.source}) <= 1
            for u in t.uses:
                how = "inferred" if u.inferred else "recorded"
                if u.duplicate:
                    how += ", duplicate row"
                tb.add_row(*(Text(x) for x in (u.date.isoformat() if u.date else "", u.patient or "",
                                               u.provider or "", u.location or "", _q(u.quantity),
                                               how, _where(u.source, not one_file))))
            console.print(tb)
        rest = [("wasted", m) for m in t.waste] + [("transferred", m) for m in t.transfers] \
            + [("returned", m) for m in t.returns] + [("expired", m) for m in t.expired] \
            + [("adjusted", m) for m in t.adjustments] + [("counted", m) for m in t.counts if m.quantity]
        if rest:
            tb = Table(title="Where the rest went", title_justify="left")
            _columns(tb, ("date", "what", "location", "quantity", "source"))
            rest.sort(key=lambda x: (x[1].date.isoformat() if x[1].date else "", x[0]))
            for what, m in rest:
                loc = f"{m.location} → {m.other_location}" if what == "transferred" else m.location
                if what == "counted":
                    what = "count variance"
                tb.add_row(*(Text(x) for x in (m.date.isoformat() if m.date else "", what, loc or "",
                                               _q(m.quantity), _where(m.source))))
            console.print(tb)
        tb = Table(title="On hand", title_justify="left")
        _columns(tb, ("location", "product", "quantity", "status"))
        for o in t.on_hand:
            tb.add_row(*(Text(x) for x in (o.location or "(one location)", o.product, _q(o.quantity), o.status)))
        console.print(tb)
    if t.also_recorded:
        tb = Table(title=f"Visit rows that wrote lot {t.lot or t.query} but were booked to another lot",
                   title_justify="left")
        _columns(tb, ("date", "patient", "provider", "written", "booked to", "why", "source"))
        for a in t.also_recorded:
            tb.add_row(*(Text(x) for x in (a.date.isoformat() if a.date else "", a.patient or "",
                                           a.provider or "", a.lot or "", ", ".join(a.booked_to) or "none",
                                           a.code, _where(a.source))))
        console.print(tb)


def _print_patient(t, console) -> None:
    from rich.table import Table
    from rich.text import Text

    if not t.found:
        console.print(Text(f"No treatment of {t.query} in the visit log (as of {t.as_of.isoformat()})."))
        if t.near:
            console.print(Text("Similar names: " + ", ".join(t.near)))
        return
    expired = sum(u.expired_on_day_of_use for u in t.uses)
    console.print(Text(f"{t.patient}: {len(t.uses)} uses of {len({(u.product, u.lot) for u in t.uses})} lots"
                       + (f", {expired} of an expired lot" if expired else "")
                       + f" — as of {t.as_of.isoformat()}", style="bold"))
    tb = Table(title_justify="left")
    _columns(tb, ("date", "product", "lot", "quantity", "expires", "lot on row", "provider", "source"))
    one_file = len({u.source.file for u in t.uses if u.source}) <= 1
    for u in t.uses:
        exp = u.expiration.isoformat() if u.expiration else "not recorded"
        if u.expired_on_day_of_use:
            exp += " EXPIRED that day"
        tb.add_row(*(Text(x) for x in (
            u.date.isoformat() if u.date else "", u.product, u.lot, _q(u.quantity), exp,
            ("inferred" if u.inferred else "recorded") + (", duplicate row" if u.duplicate else ""),
            " at ".join(x for x in (u.provider, u.location) if x), _where(u.source, not one_file))))
    console.print(tb)


@click.command("trace", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("args", nargs=-1, metavar="[LOT] [SOURCES...]")
@click.option("--patient", metavar="NAME_OR_ID", help="List every lot this patient received instead.")
@click.option("--as-of", "as_of", metavar="DATE", help="End the ledger on this date (default: today).")
@click.option("--mapping", type=click.Path(dir_okay=False), help="TOML file naming sheets' kinds and columns.")
@click.option("--day-first", is_flag=True, help="Read ambiguous text dates as day/month (default month/day).")
@click.option("--no-infer-lots", "no_infer", is_flag=True, help="Do not infer the lot of visits that lack one.")
@click.option("--json", "as_json", is_flag=True, help="Print the trace as JSON, for scripts.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False),
              help="Write the recall list to this .xlsx or .csv file (one row per patient).")
@click.option("--mask-patients", is_flag=True,
              help="Show keyed pseudonyms instead of patients (key: LOTSYNC_MASK_KEY).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Settings file whose sources to read when no SOURCES are given (default: ./lotsync.toml).")
def trace(args, patient, as_of, mapping, day_first, no_infer, as_json, out_file, mask_patients,
          config_path) -> None:
    """Trace LOT to every patient who received it, and where the rest of it went.

    LOT is matched as on the sheets (case, spaces, dashes and a "Lot #" label ignored),
    across every product and location. SOURCES are files, folders or globs. Uses whose lot
    was written on the visit row come first, then those lotsync inferred (open vial,
    first-expiry-first, a repaired typo). With --patient, list every lot one patient
    received, with its expiration and whether it had expired that day.

    \b
    Examples:
      lotsync trace C3709C3 Inventory.xlsx "Treatments 2026.xlsx" --out recall-C3709C3.xlsx
      lotsync trace --patient "Ava Thompson" Inventory.xlsx visits/*.xlsx
      lotsync trace C3709C3                  # sources from ./lotsync.toml
    """
    from rich.console import Console

    from lotsync.api import trace as trace_result
    from lotsync.audit.trace import dumps, to_json, write_recall
    from lotsync.errors import LotsyncError

    if patient is not None:
        if not patient.strip():
            raise AuditError("--patient needs a name or ID")
        lot, sources = None, args
    else:
        if not args:
            raise AuditError("name the LOT to trace (or --patient NAME): lotsync trace --help")
        lot, sources = args[0], args[1:]
    if out_file and Path(out_file).suffix.lower() not in OUT_SUFFIXES:
        raise AuditError(f"{out_file}: --out writes a .xlsx or .csv file")
    result = _run(sources, as_of, mapping, day_first, no_infer, mask_patients, config_path)
    try:
        if out_file:
            from lotsync.writers.outset import refuse_overwrite
            refuse_overwrite([Path(out_file)], result.sources)  # never over a file just read
        t = trace_result(result, lot, patient=patient)
        if out_file and (getattr(t, "found", False) or getattr(t, "also_recorded", ())):
            write_recall(t, out_file)
    except LotsyncError as e:
        raise AuditError(str(e)) from None
    if as_json:
        click.echo(dumps(to_json(t)))
    else:
        # piped or redirected: one row a line rather than folded at 80 columns
        wide = not sys.stdout.isatty()
        console = Console(highlight=False, width=200 if wide else None)
        (_print_patient if patient is not None else _print_lot)(t, console)
        if out_file and (t.found or getattr(t, "also_recorded", ())):
            console.print(f"Recall list: {out_file}", markup=False)
    sys.exit(0 if t.found else 1)
