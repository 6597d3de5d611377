"""What report.html shows, as typed data: the frozen Result becomes a `ReportView`, which
the Jinja2 templates in the top-level templates/ folder lay out.

Rules:
- Every figure is formatted here (money, quantities, counts with thousands separators), so
  a template only places text and a person changing how the report looks never touches a
  number. Nothing rounds beyond what `charts.money`/`charts.quantity` already show.
- User text stays plain `str`: the templates' autoescaping escapes it. Only the SVG charts
  (built and escaped by `lotsync.writers.charts`) and the stylesheet are `Markup`.
- The report names no patient and lists no visits, so the view holds no visit rows; it
  caps the findings table at MAX_FINDINGS and the use-next table at MAX_USE_NEXT.

Rejected: passing the Result itself to the templates (a template would then compute and
format figures, and a look change could change a number); building HTML in Python string
pieces (the old writer: every piece of text had to remember to call an escape function).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterable

from markupsafe import Markup

from lotsync.version import __version__
from lotsync.model import Finding
from lotsync.reconcile.result import CogsLine, Result
from lotsync.writers import charts as ch
from lotsync.writers.period_tables import period_table, provider_table, supply_table

MAX_FINDINGS = 2000
MAX_BARS = 12  # providers/products in a bar chart before the rest become "Other"
MAX_USE_NEXT = 300
MAX_SINCE_ROWS = 500

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@dataclass(frozen=True)
class Card:
    label: str
    value: str
    sub: str = ""
    cls: str = ""


@dataclass(frozen=True)
class Chart:
    """A titled chart; `svg` empty means there is nothing to draw."""
    title: str
    svg: Markup
    note: str = ""


@dataclass(frozen=True)
class ExpiryRow:
    month: str
    lots: str
    expired: str
    expiring: str


@dataclass(frozen=True)
class Expiry:
    """Expiry exposure: the chart (wide and narrow versions) and its table, or `empty_note`."""
    days: int
    as_of: str
    svg: Markup
    rows: tuple[ExpiryRow, ...]
    total_lots: str
    total_expired: str
    total_expiring: str
    empty_note: str = ""


@dataclass(frozen=True)
class FindingRow:
    severity: str
    code: str
    message: str
    suggestion: str
    product: str
    lot: str
    lot_class: str  # short lots never wrap
    location: str
    date: str
    value: str
    where: str


@dataclass(frozen=True)
class FindingsSummary:
    errors: str
    warnings: str
    infos: str
    svg: Markup


@dataclass(frozen=True)
class Findings:
    total: int
    rows: tuple[FindingRow, ...]
    more_note: str  # "Showing the first ... of ..." when capped


@dataclass(frozen=True)
class UseNextRow:
    product: str
    location: str
    lot: str
    expires: str
    on_hand: str


@dataclass(frozen=True)
class UseNext:
    rows: tuple[UseNextRow, ...]
    more_note: str


@dataclass(frozen=True)
class Cell:
    text: str
    num: bool = False


@dataclass(frozen=True)
class PlainTable:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class SinceRowView:
    code: str
    product: str
    lot: str
    where: str


@dataclass(frozen=True)
class SinceGroup:
    title: str
    count: int
    rows: tuple[SinceRowView, ...]


@dataclass(frozen=True)
class TrendRowView:
    run_id: str
    as_of: str
    cogs: str
    on_hand: str
    expired_on_hand: str
    open_errors: str


@dataclass(frozen=True)
class Since:
    headline: str
    groups: tuple[SinceGroup, ...]
    trend: tuple[TrendRowView, ...]  # empty unless there are two runs or more


@dataclass(frozen=True)
class ProductChart:
    product: str
    svg: Markup


@dataclass(frozen=True)
class PeriodsView:
    units_by_provider: tuple[ProductChart, ...]
    tables: tuple[PlainTable, ...]


@dataclass(frozen=True)
class SourceLine:
    where: str
    what: str


@dataclass(frozen=True)
class Footer:
    version: str
    as_of: str
    tolerance: str
    expiring_days: int
    infer_lots: bool
    sources: tuple[SourceLine, ...]


@dataclass(frozen=True)
class ReportView:
    """Everything report.html shows, in the order it shows it."""
    title: str
    version: str
    csp: str
    css: Markup
    lots: str
    visit_rows: str
    visits: str
    since: Since | None
    cards: tuple[Card, ...]
    cogs_by_month: Chart
    cogs_by_provider: Chart
    cogs_by_product: Chart
    findings_summary: FindingsSummary
    expiry: Expiry
    findings: Findings
    use_next: UseNext | None
    periods: PeriodsView | None
    footer: Footer


def _text(v: object) -> str:
    return "" if v is None else str(v)


def build_cards(r: Result) -> tuple[Card, ...]:
    t, s = r.totals, r.summary
    fefo = ch.fefo_compliance(r)
    shrink = ch.shrinkage(r)
    usable = t.on_hand_value - t.expired_on_hand_value - t.expiring_value
    return (
        Card("COGS", ch.money(t.cogs),
             f"+ {ch.money(t.cogs_estimated)} estimated (no lot or no cost)" if t.cogs_estimated
             else f"{s.visits:,} visits, {s.visit_rows:,} rows"),
        Card("On-hand value", ch.money(t.on_hand_value), f"{ch.money(usable)} usable", "good"),
        Card("Expired, still on hand", ch.money(t.expired_on_hand_value), "remove and write off",
             "bad" if t.expired_on_hand_value else ""),
        Card(f"Expiring within {r.options.expiring_days} days", ch.money(t.expiring_value),
             "use these lots first", "warn" if t.expiring_value else ""),
        Card("Waste", ch.money(t.waste_value), f"{ch.money(t.expired_value)} written off as expired", "waste"),
        Card("Shrinkage", ch.money(shrink), "stock counts found missing", "bad" if shrink > 0 else ""),
        Card("FEFO compliance", ch.percent(fefo), "visits that used the first-expiring lot",
             "good" if fefo is not None and fefo >= Decimal("0.95") else "warn"),
        Card("Findings", f"{s.errors + s.warnings + s.infos:,}",
             f"{s.errors:,} errors · {s.warnings:,} warnings · {s.infos:,} info",
             "bad" if s.errors else ("warn" if s.warnings else "good")),
    )


def _top_lines(lines: Iterable[CogsLine], empty: str) -> list[tuple[str, float, str]]:
    rows = sorted(lines, key=lambda c: (-c.cogs, c.key))
    out = [(c.key or empty, float(c.cogs), ch.COLOR_COGS) for c in rows[:MAX_BARS]]
    rest = rows[MAX_BARS:]
    if rest:
        out.append((f"{len(rest)} others", float(sum((c.cogs for c in rest), Decimal(0))), "#8aa9bb"))
    return out


def build_cogs_charts(r: Result) -> tuple[Chart, Chart, Chart]:
    """COGS by month (with the estimated cost left out, said in a note), by provider, by product."""
    by_month = {m.key: float(m.cogs) for m in r.cogs.by_month}
    months = ch.month_span(list(by_month))
    month_svg = ch.column_svg(months, [("COGS", [by_month.get(m, 0.0) for m in months], ch.COLOR_COGS)],
                              "COGS by month") if months else ""
    prov = _top_lines(r.cogs.by_provider, "(no provider)")
    prod = _top_lines(r.cogs.by_product, "(no product)")
    est = (f"Estimated cost of use with no lot or no cost ({ch.money(r.cogs.estimated)}) is not included."
           if r.cogs.estimated else "")
    return (Chart("COGS by month", Markup(month_svg), est),
            Chart("COGS by provider", Markup(ch.hbar_svg(prov, "COGS by provider") if prov else "")),
            Chart("COGS by product", Markup(ch.hbar_svg(prod, "COGS by product") if prod else "")))


def build_findings_summary(r: Result) -> FindingsSummary:
    s = r.summary
    codes = ch.findings_by_code(r)
    svg = ch.hbar_svg([(code, n, ch.SEVERITY_COLORS.get(sev, "#888")) for code, sev, n in codes],
                      "Findings by code", fmt=lambda v: f"{int(v):,}", label_chars=22) if codes else ""
    return FindingsSummary(f"{s.errors:,}", f"{s.warnings:,}", f"{s.infos:,}", Markup(svg))


def build_expiry(r: Result) -> Expiry:
    days, as_of = r.options.expiring_days, r.as_of.isoformat()
    months = ch.expiry_by_month(r)
    if not months:
        return Expiry(days, as_of, Markup(""), (), "", "", "",
                      empty_note=f"No lot with stock has expired or expires within {days} days of {as_of}.")
    span = ch.month_span([m.month for m in months])
    by = {m.month: m for m in months}
    series = [("Expired", [float(by[k].expired_value) if k in by else 0.0 for k in span], ch.COLOR_EXPIRED),
              (f"Expiring within {days} days",
               [float(by[k].expiring_value) if k in by else 0.0 for k in span], ch.COLOR_EXPIRING)]
    title = "Value on hand of expired and expiring lots, by month of expiration"
    # a wide chart for laptops and paper, a narrow one for phones (the stylesheet shows one)
    svg = (ch.column_svg(span, series, title, width=900, height=270, css_class="wide")
           + ch.column_svg(span, series, title, width=480, height=260, css_class="narrow"))
    rows = tuple(ExpiryRow(m.month, f"{m.lots:,}", ch.money(m.expired_value), ch.money(m.expiring_value))
                 for m in months)
    t = r.totals
    return Expiry(days, as_of, Markup(svg), rows, f"{sum(m.lots for m in months):,}",
                  ch.money(t.expired_on_hand_value), ch.money(t.expiring_value))


def build_finding_row(f: Finding) -> FindingRow:
    return FindingRow(
        severity=f.severity.value, code=_text(f.code), message=_text(f.message),
        suggestion=_text(f.suggestion), product=_text(f.product), lot=_text(f.lot),
        lot_class="lot nowrap" if len(f.lot or "") <= 16 else "lot", location=_text(f.location),
        date=f.date.isoformat() if f.date else "", value=ch.money(f.value), where=f.source.where)


def build_findings(r: Result) -> Findings:
    n = len(r.findings)
    shown = r.findings[:MAX_FINDINGS]
    more = ""
    if n > len(shown):
        counts = Counter(f.severity.value for f in r.findings[MAX_FINDINGS:])
        detail = ", ".join(f"{counts[k]:,} {k}" for k in ("error", "warning", "info") if counts[k])
        more = (f"Showing the first {len(shown):,} of {n:,} findings, errors first. "
                f"The other {n - len(shown):,} ({detail}) are in findings.csv and report.xlsx.")
    return Findings(n, tuple(build_finding_row(f) for f in shown), more)


def build_use_next(r: Result) -> UseNext | None:
    items = r.fefo_next
    if not items:
        return None
    rows = tuple(UseNextRow(_text(u.product), _text(u.location), _text(u.lot),
                            u.expiration.isoformat() if u.expiration else "none",
                            f"{ch.quantity(u.on_hand)} {u.unit or ''}")
                 for u in items[:MAX_USE_NEXT])
    more = (f"The first {MAX_USE_NEXT} of {len(items):,}; all are in report.xlsx (Use next)."
            if len(items) > MAX_USE_NEXT else "")
    return UseNext(rows, more)


def build_since(since: Any) -> Since | None:
    """Nightly runs lead with what changed since the last run, and the totals' trend.
    `since` is a `lotsync.writers.since.SinceLastRun` (or None)."""
    if since is None:
        return None
    groups = tuple(
        SinceGroup(title, len(rows), tuple(SinceRowView(_text(x.code), _text(x.product), _text(x.lot),
                                                        _text(x.where)) for x in rows[:MAX_SINCE_ROWS]))
        for title, rows in (("New", since.new), ("Resolved", since.resolved)) if rows)
    trend = tuple(
        TrendRowView(str(t.run_id), _text(t.as_of),
                     *(ch.money(v) if v is not None else "" for v in (t.cogs, t.on_hand_value,
                                                                       t.expired_on_hand_value)),
                     str(t.open_errors))
        for t in since.trend) if len(since.trend) > 1 else ()
    return Since(since.headline, groups, trend)


def _plain_cell(header: str, v: object) -> Cell:
    """Shares as %, money as $, other numbers right-aligned without trailing zeros."""
    if v is None:
        return Cell("")
    low = header.lower()
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        if any(w in low for w in ("share", "compliance", "traceability", "rate")):
            text = f"{float(v) * 100:.1f}%"
        elif any(w in low for w in ("value", "cogs", "revenue", "margin")):
            text = ch.money(v)
        else:
            text = f"{float(v):,.2f}".rstrip("0").rstrip(".")
        return Cell(text, num=True)
    return Cell(str(v))


def build_plain_table(title: str, headers: list[str], rows: list[list], note: str = "") -> PlainTable:
    return PlainTable(title, tuple(headers),
                      tuple(tuple(_plain_cell(h, v) for h, v in zip(headers, row)) for row in rows), note)


def build_units_by_provider(periods: Any, top: int = 8) -> tuple[ProductChart, ...]:
    """Units of each product by provider: one small bar chart per product (units of
    different products are never added together: Dysport units are not Botox units)."""
    per_product: dict[str, list[tuple[str, float]]] = {}
    for v in periods.providers:
        for u in v.units:
            per_product.setdefault(u.product, []).append((v.provider or "(no provider)", float(u.quantity)))
    ranked = sorted(per_product.items(), key=lambda kv: -sum(q for _, q in kv[1]))[:top]
    charts = []
    for product, rows in ranked:
        rows = sorted(rows, key=lambda r: -r[1])
        svg = ch.hbar_svg([(name, q, "#2E6B8A") for name, q in rows], f"{product} by provider",
                          fmt=lambda x: f"{x:,.1f}".rstrip("0").rstrip("."), width=400)
        charts.append(ProductChart(product, Markup(svg)))
    return tuple(charts)


def build_periods(periods: Any) -> PeriodsView | None:
    """`periods` is a `lotsync.audit.periods.Periods` (or None); the writers render it
    without importing lotsync.audit (the core never imports it)."""
    if periods is None:
        return None
    tables = (build_plain_table("Periods", *period_table(periods)),
              build_plain_table("Providers", *provider_table(periods)),
              build_plain_table("Supply (projection)", *supply_table(periods),
                                note="Days of supply and value at risk project the last 90 days' usage "
                                     "forward: a projection, not a fact."))
    return PeriodsView(build_units_by_provider(periods), tuple(t for t in tables if t.rows))


def build_footer(r: Result) -> Footer:
    sources = []
    for i in r.inputs:
        name = Path(i.file).name if "://" not in i.file else i.file
        where = " › ".join(x for x in (name, i.sheet) if x)
        what = f"{i.kind}, {i.rows_read:,} rows" if i.header_row else f"ignored: {i.note or ''}"
        sources.append(SourceLine(where, what))
    o = r.options
    return Footer(__version__, r.as_of.isoformat(), str(o.tolerance), o.expiring_days, o.infer_lots,
                  tuple(sources))


def build_view(r: Result, css: str, since: Any = None, periods: Any = None) -> ReportView:
    """The whole report as data. `css` is the stylesheet's text (inlined: the page loads nothing)."""
    s = r.summary
    by_month, by_provider, by_product = build_cogs_charts(r)
    return ReportView(
        title=f"Inventory report as of {r.as_of.isoformat()}", version=__version__, csp=CSP,
        css=Markup(css), lots=f"{s.lots:,}", visit_rows=f"{s.visit_rows:,}", visits=f"{s.visits:,}",
        since=build_since(since), cards=build_cards(r), cogs_by_month=by_month,
        cogs_by_provider=by_provider, cogs_by_product=by_product,
        findings_summary=build_findings_summary(r), expiry=build_expiry(r), findings=build_findings(r),
        use_next=build_use_next(r), periods=build_periods(periods), footer=build_footer(r))


# --- the notebook summary -----------------------------------------------------------------


@dataclass(frozen=True)
class SummaryView:
    """What a Reconciliation shows in a notebook (templates/summary.html.j2): the header
    figures of report.html (the same `build_cards`) and the findings by code."""
    title: str
    lots: str
    visit_rows: str
    visits: str
    note: str
    cards: tuple[Card, ...]
    codes: tuple[tuple[str, str, int], ...]  # (code, severity, count), most severe first
    tones: dict[str, str]  # card class or severity -> colour (inline: a notebook has its own CSS)


SUMMARY_TONES = {"bad": "#c62828", "warn": "#b86e00", "good": "#2e7d32", "waste": "#7b5ea7",
                 "error": "#c62828", "warning": "#b86e00", "info": "#1e6fb8"}


def build_summary(r: Result, note: str = "") -> SummaryView:
    s = r.summary
    return SummaryView(title=f"lotsync: inventory as of {r.as_of.isoformat()}", lots=f"{s.lots:,}",
                       visit_rows=f"{s.visit_rows:,}", visits=f"{s.visits:,}", note=note,
                       cards=build_cards(r), codes=tuple(ch.findings_by_code(r)),
                       tones=dict(SUMMARY_TONES))
