"""report.html: the report a manager opens on a laptop or a phone, and prints.

One self-contained file: inline CSS, charts as inline SVG (lotsync.writers.charts), no
script, no font, no image and no link that loads anything; a Content-Security-Policy
meta tag forbids the browser from fetching anything even if a later change slipped one
in. Every piece of user text is escaped with `html.escape`. It names no patient and lists
no visits (findings' messages never hold a patient's name), so a practice of a million
visits gives a file of the same size as a small one: the findings table holds the first
2,000 findings (errors first) and says how many more are in findings.csv.
"""

from __future__ import annotations

import html
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Iterable

from lotsync import __version__
from lotsync.model import Finding, Source
from lotsync.reconcile.result import CogsLine, Result
from lotsync.writers import charts as ch
from lotsync.writers.safe import atomic_output

MAX_FINDINGS = 2000
MAX_BARS = 12  # providers/products in a bar chart before the rest become "Other"
MAX_USE_NEXT = 300

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root{--ink:#1d2733;--muted:#5b6673;--line:#dfe3e8;--bg:#f6f7f9;--card:#fff;
--err:#c62828;--warn:#b86e00;--info:#1e6fb8;--ok:#2e7d32}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 16px 40px}
h1{font-size:1.6rem;margin:0 0 4px}
h2{font-size:1.15rem;margin:0 0 10px}
h3{font-size:1rem;margin:0 0 8px}
p{margin:0 0 8px}
.meta,.note{color:var(--muted);font-size:.9rem}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px;margin:16px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:12px;
background:none;border:0;padding:0}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px;
border-top:4px solid #2f6f8f}
.card .label{color:var(--muted);font-size:.85rem}
.card .value{font-size:1.45rem;font-weight:650;font-variant-numeric:tabular-nums;white-space:nowrap}
.card .sub{color:var(--muted);font-size:.8rem}
.card.bad{border-top-color:var(--err)}.card.warn{border-top-color:#ef8f00}
.card.good{border-top-color:var(--ok)}.card.waste{border-top-color:#7b5ea7}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:16px;
background:none;border:0;padding:0;margin:16px 0}
.grid2>section{margin:0}
.chart-wrap{overflow-x:auto}
svg.chart{display:block;width:100%;height:auto}
svg.chart.narrow{display:none}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{padding:6px 8px;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
th{background:#eef2f6;position:sticky;top:0;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nowrap{white-space:nowrap}
table.findings td{overflow-wrap:break-word}
td.prod{min-width:110px}td.lot{min-width:80px}td.loc{min-width:80px}
td.msg{min-width:220px;max-width:460px}
td.msg .sugg{color:var(--muted);font-size:.82rem;margin-top:2px}
td.where{min-width:130px;color:var(--muted)}
tbody tr:nth-child(even){background:#fafbfc}
.sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:.78rem;font-weight:600;color:#fff}
.sev.error{background:var(--err)}.sev.warning{background:#ef8f00}.sev.info{background:var(--info)}
.pills{display:flex;flex-wrap:wrap;gap:8px;margin:0 0 12px}
.pill{border-radius:14px;padding:2px 12px;font-weight:600;font-size:.9rem;color:#fff}
.pill.error{background:var(--err)}.pill.warning{background:#ef8f00}.pill.info{background:var(--info)}
code{font-size:.85em}
footer{color:var(--muted);font-size:.85rem}
footer ul{padding-left:18px;margin:4px 0}
@media (max-width:600px){
 main{padding:12px 10px 30px}
 body{font-size:14px}
 .cards{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
 .card{padding:10px}
 .card .value{font-size:1.15rem}
 section{padding:12px}
 svg.chart.wide{display:none}
 svg.chart.narrow{display:block}
}
@media print{
 @page{margin:12mm}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 body{background:#fff;font-size:10pt}
 main{max-width:none;padding:0}
 section,.card{border-color:#ccc;box-shadow:none}
 section.chart,.cards,.grid2>section{break-inside:avoid}
 .scroll{overflow:visible;border:0}
 th{position:static}
 thead{display:table-header-group}
 tr{break-inside:avoid}
 .chart-wrap svg.chart{min-width:0 !important}
 table.findings td{overflow-wrap:anywhere}
 svg.chart.wide{display:block}
 svg.chart.narrow{display:none}
}
"""


def _e(v: object) -> str:
    """Escape any value for HTML text and attributes (None is empty)."""
    if v is None:
        return ""
    return html.escape(str(v), quote=True)


def _where(s: Source) -> str:
    return s.where


def _card(label: str, value: str, sub: str = "", cls: str = "") -> str:
    return (f'<div class="card {cls}"><div class="label">{_e(label)}</div>'
            f'<div class="value">{_e(value)}</div>'
            + (f'<div class="sub">{_e(sub)}</div>' if sub else "") + "</div>")


def _cards(r: Result) -> str:
    t, s = r.totals, r.summary
    fefo = ch.fefo_compliance(r)
    shrink = ch.shrinkage(r)
    usable = t.on_hand_value - t.expired_on_hand_value - t.expiring_value
    cards = [
        _card("COGS", ch.money(t.cogs),
              f"+ {ch.money(t.cogs_estimated)} estimated (no lot or no cost)" if t.cogs_estimated
              else f"{s.visits:,} visits, {s.visit_rows:,} rows"),
        _card("On-hand value", ch.money(t.on_hand_value), f"{ch.money(usable)} usable", "good"),
        _card("Expired, still on hand", ch.money(t.expired_on_hand_value), "remove and write off",
              "bad" if t.expired_on_hand_value else ""),
        _card(f"Expiring within {r.options.expiring_days} days", ch.money(t.expiring_value),
              "use these lots first", "warn" if t.expiring_value else ""),
        _card("Waste", ch.money(t.waste_value),
              f"{ch.money(t.expired_value)} written off as expired", "waste"),
        _card("Shrinkage", ch.money(shrink), "stock counts found missing",
              "bad" if shrink > 0 else ""),
        _card("FEFO compliance", ch.percent(fefo), "visits that used the first-expiring lot",
              "good" if fefo is not None and fefo >= Decimal("0.95") else "warn"),
        _card("Findings", f"{s.errors + s.warnings + s.infos:,}",
              f"{s.errors:,} errors · {s.warnings:,} warnings · {s.infos:,} info",
              "bad" if s.errors else ("warn" if s.warnings else "good")),
    ]
    return '<section class="cards" aria-label="Key figures">' + "".join(cards) + "</section>"


def _top_lines(lines: Iterable[CogsLine], empty: str) -> list[tuple[str, float, str]]:
    rows = sorted(lines, key=lambda c: (-c.cogs, c.key))
    out = [(c.key or empty, float(c.cogs), ch.COLOR_COGS) for c in rows[:MAX_BARS]]
    rest = rows[MAX_BARS:]
    if rest:
        out.append((f"{len(rest)} others", float(sum((c.cogs for c in rest), Decimal(0))), "#8aa9bb"))
    return out


def _chart_section(title: str, svg: str, note: str = "", cls: str = "chart") -> str:
    body = f'<div class="chart-wrap">{svg}</div>' if svg else '<p class="note">Nothing to show.</p>'
    return (f'<section class="{cls}"><h2>{_e(title)}</h2>' + body
            + (f'<p class="note">{_e(note)}</p>' if note else "") + "</section>")


def _cogs_charts(r: Result) -> str:
    by_month = {m.key: float(m.cogs) for m in r.cogs.by_month}
    months = ch.month_span(list(by_month))
    month_svg = ch.column_svg(months, [("COGS", [by_month.get(m, 0.0) for m in months], ch.COLOR_COGS)],
                              "COGS by month") if months else ""
    prov = _top_lines(r.cogs.by_provider, "(no provider)")
    prov_svg = ch.hbar_svg(prov, "COGS by provider") if prov else ""
    est = (f"Estimated cost of use with no lot or no cost ({ch.money(r.cogs.estimated)}) is not included."
           if r.cogs.estimated else "")
    return ('<div class="grid2">'
            + _chart_section("COGS by month", month_svg, est)
            + _chart_section("COGS by provider", prov_svg)
            + "</div>")


def _expiry(r: Result) -> str:
    months = ch.expiry_by_month(r)
    if not months:
        return _chart_section("Expiry exposure", "",
                              f"No lot with stock has expired or expires within "
                              f"{r.options.expiring_days} days of {r.as_of.isoformat()}.")
    span = ch.month_span([m.month for m in months])
    by = {m.month: m for m in months}
    series = [("Expired", [float(by[k].expired_value) if k in by else 0.0 for k in span], ch.COLOR_EXPIRED),
              (f"Expiring within {r.options.expiring_days} days",
               [float(by[k].expiring_value) if k in by else 0.0 for k in span], ch.COLOR_EXPIRING)]
    title = "Value on hand of expired and expiring lots, by month of expiration"
    # a wide chart for laptops and paper, a narrow one for phones (CSS shows one)
    svg = (ch.column_svg(span, series, title, width=900, height=270, css_class="wide")
           + ch.column_svg(span, series, title, width=480, height=260, css_class="narrow"))
    rows = "".join(
        f'<tr><td class="nowrap">{_e(m.month)}</td><td class="num">{m.lots:,}</td>'
        f'<td class="num">{_e(ch.money(m.expired_value))}</td>'
        f'<td class="num">{_e(ch.money(m.expiring_value))}</td></tr>' for m in months)
    t = r.totals
    table = ('<div class="scroll"><table><thead><tr><th>Month of expiration</th><th class="num">Lots</th>'
             '<th class="num">Expired value</th><th class="num">Expiring value</th></tr></thead>'
             f"<tbody>{rows}</tbody><tfoot><tr><th>Total</th><th class=\"num\">"
             f"{sum(m.lots for m in months):,}</th><th class=\"num\">{_e(ch.money(t.expired_on_hand_value))}</th>"
             f"<th class=\"num\">{_e(ch.money(t.expiring_value))}</th></tr></tfoot></table></div>")
    return ('<section class="chart"><h2>Expiry exposure</h2>'
            '<p class="note">Stock on hand, at cost, of lots past their expiration (red) and of lots '
            f'that expire within {r.options.expiring_days} days of {r.as_of.isoformat()} (amber).</p>'
            f'<div class="chart-wrap">{svg}</div>{table}</section>')


def _products_and_codes(r: Result) -> str:
    prod = _top_lines(r.cogs.by_product, "(no product)")
    prod_svg = ch.hbar_svg(prod, "COGS by product") if prod else ""
    return ('<div class="grid2">' + _chart_section("COGS by product", prod_svg)
            + _findings_summary(r) + "</div>")


def _findings_summary(r: Result) -> str:
    s = r.summary
    pills = (f'<div class="pills"><span class="pill error">{s.errors:,} errors</span>'
             f'<span class="pill warning">{s.warnings:,} warnings</span>'
             f'<span class="pill info">{s.infos:,} info</span></div>')
    codes = ch.findings_by_code(r)
    svg = ch.hbar_svg([(code, n, ch.SEVERITY_COLORS.get(sev, "#888")) for code, sev, n in codes],
                      "Findings by code", fmt=lambda v: f"{int(v):,}", label_chars=22) if codes else ""
    body = f'<div class="chart-wrap">{svg}</div>' if svg else '<p class="note">No findings: every lot adds up.</p>'
    return f'<section class="chart"><h2>Findings by code</h2>{pills}{body}</section>'


def _finding_row(f: Finding) -> str:
    sev = f.severity.value
    sugg = f'<div class="sugg">{_e(f.suggestion)}</div>' if f.suggestion else ""
    return (f'<tr><td><span class="sev {sev}">{sev}</span></td><td class="nowrap"><code>{_e(f.code)}</code></td>'
            f'<td class="msg">{_e(f.message)}{sugg}</td><td class="prod">{_e(f.product)}</td>'
            f'<td class="{"lot nowrap" if len(f.lot or "") <= 16 else "lot"}">{_e(f.lot)}</td><td class="loc">{_e(f.location)}</td>'
            f'<td class="nowrap">{_e(f.date.isoformat() if f.date else "")}</td>'
            f'<td class="num">{_e(ch.money(f.value))}</td><td class="where">{_e(_where(f.source))}</td></tr>')


def _findings_table(r: Result) -> str:
    n = len(r.findings)
    if not n:
        return '<section><h2>Findings</h2><p class="note">No findings.</p></section>'
    shown = r.findings[:MAX_FINDINGS]
    head = ("<tr><th>Severity</th><th>Code</th><th>Message</th><th>Product</th><th>Lot</th>"
            "<th>Location</th><th>Date</th><th class=\"num\">Value</th><th>Where</th></tr>")
    more = ""
    if n > len(shown):
        counts = Counter(f.severity.value for f in r.findings[MAX_FINDINGS:])
        detail = ", ".join(f"{counts[k]:,} {k}" for k in ("error", "warning", "info") if counts[k])
        more = (f'<p class="note">Showing the first {len(shown):,} of {n:,} findings, errors first. '
                f"The other {n - len(shown):,} ({detail}) are in findings.csv and report.xlsx.</p>")
    return ('<section><h2>Findings</h2>' + more
            + '<div class="scroll"><table class="findings"><thead>' + head + "</thead><tbody>"
            + "".join(_finding_row(f) for f in shown) + "</tbody></table></div></section>")


def _use_next(r: Result) -> str:
    items = r.fefo_next
    if not items:
        return ""
    rows = "".join(
        f'<tr><td>{_e(u.product)}</td><td>{_e(u.location)}</td><td class="nowrap"><strong>{_e(u.lot)}</strong></td>'
        f'<td class="nowrap">{_e(u.expiration.isoformat() if u.expiration else "none")}</td>'
        f'<td class="num">{_e(ch.quantity(u.on_hand))} {_e(u.unit or "")}</td></tr>'
        for u in items[:MAX_USE_NEXT])
    more = (f'<p class="note">The first {MAX_USE_NEXT} of {len(items):,}; all are in report.xlsx (Use next).</p>'
            if len(items) > MAX_USE_NEXT else "")
    return ('<section><h2>Use next</h2><p class="note">For each product and location, the lot to use '
            'first: the earliest expiration among lots on hand that have not expired.</p>' + more
            + '<div class="scroll"><table><thead><tr><th>Product</th><th>Location</th><th>Use lot</th>'
            '<th>Expires</th><th class="num">On hand</th></tr></thead><tbody>' + rows
            + "</tbody></table></div></section>")


def _footer(r: Result) -> str:
    items = []
    for i in r.inputs:
        name = Path(i.file).name if "://" not in i.file else i.file
        where = " › ".join(x for x in (name, i.sheet) if x)
        what = (f"{i.kind}, {i.rows_read:,} rows" if i.header_row else f"ignored: {i.note or ''}")
        items.append(f"<li>{_e(where)} — {_e(what)}</li>")
    o = r.options
    return ('<footer><section><h3>How this report was made</h3>'
            f"<p>lotsync {_e(__version__)} re-derived every lot's balance from the receiving log, visits, "
            "adjustments and counts, as of "
            f"{_e(r.as_of.isoformat())} (tolerance {_e(o.tolerance)} units, expiring window "
            f"{o.expiring_days} days, lots {'inferred' if o.infer_lots else 'not inferred'} for visits "
            "without one). Every figure is at each lot's own cost. Details: report.xlsx, findings.csv, "
            "report.json.</p>"
            + (f"<p>Sources:</p><ul>{''.join(items)}</ul>" if items else "")
            + "</section></footer>")


def _since(since) -> str:
    """Nightly runs lead with what changed since the last run, and the totals' trend."""
    if since is None:
        return ""
    out = [f'<section class="card"><h2>Since the last run</h2><p>{_e(since.headline)}</p>']
    for title, rows in (("New", since.new), ("Resolved", since.resolved)):
        if rows:
            out.append(f"<h3>{title} ({len(rows)})</h3><div class=\"scroll\"><table><thead><tr>"
                       "<th>Code</th><th>Product</th><th>Lot</th><th>Where</th></tr></thead><tbody>")
            for x in rows[:500]:
                out.append(f"<tr><td><code>{_e(x.code)}</code></td><td>{_e(x.product or '')}</td>"
                           f"<td>{_e(x.lot or '')}</td><td>{_e(x.where)}</td></tr>")
            out.append("</tbody></table></div>")
    if len(since.trend) > 1:
        out.append("<h3>Trend</h3><div class=\"scroll\"><table><thead><tr><th>Run</th><th>As of</th>"
                   "<th class=\"num\">COGS</th><th class=\"num\">On hand</th>"
                   "<th class=\"num\">Expired on hand</th><th class=\"num\">Open errors</th></tr></thead><tbody>")
        for t in since.trend:
            out.append(f"<tr><td>{t.run_id}</td><td>{_e(t.as_of)}</td>"
                       + "".join(f"<td class=\"num\">{_e(ch.money(v) if v is not None else '')}</td>"
                                 for v in (t.cogs, t.on_hand_value, t.expired_on_hand_value))
                       + f"<td class=\"num\">{t.open_errors}</td></tr>")
        out.append("</tbody></table></div>")
    out.append("</section>")
    return "\n".join(out)


def _table_section(title: str, headers: list[str], rows: list[list], note: str = "") -> str:
    """A plain table from (headers, rows): shares as %, money as $, numbers right-aligned."""
    if not rows:
        return ""

    def cell(h: str, v) -> str:
        if v is None:
            return "<td></td>"
        low = h.lower()
        if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
            if any(w in low for w in ("share", "compliance", "traceability", "rate")):
                text = f"{float(v) * 100:.1f}%"
            elif any(w in low for w in ("value", "cogs", "revenue", "margin")):
                text = ch.money(v)
            else:
                text = f"{float(v):,.2f}".rstrip("0").rstrip(".")
            return f'<td class="num">{_e(text)}</td>'
        return f"<td>{_e(v)}</td>"

    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(h, v) for h, v in zip(headers, row)) + "</tr>" for row in rows)
    return (f'<section class="card"><h2>{_e(title)}</h2>' + (f"<p>{_e(note)}</p>" if note else "")
            + f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></section>')


def _units_by_provider(periods, top: int = 8) -> str:
    """Units of each product by provider: one small bar chart per product (units of
    different products are never added together: Dysport units are not Botox units)."""
    per_product: dict[str, list[tuple[str, float]]] = {}
    for v in periods.providers:
        for u in v.units:
            per_product.setdefault(u.product, []).append((v.provider or "(no provider)", float(u.quantity)))
    if not per_product:
        return ""
    ranked = sorted(per_product.items(), key=lambda kv: -sum(q for _, q in kv[1]))[:top]
    charts = []
    for product, rows in ranked:
        rows = sorted(rows, key=lambda r: -r[1])
        svg = ch.hbar_svg([(name, q, "#2E6B8A") for name, q in rows], f"{product} by provider",
                          fmt=lambda x: f"{x:,.1f}".rstrip("0").rstrip("."), width=400)
        charts.append(f'<div class="chart"><h3>{_e(product)}</h3>{svg}</div>')
    return ('<section class="card"><h2>Units used per product, by provider</h2>'
            f'<div class="grid">{"".join(charts)}</div></section>')


def _periods(periods) -> str:
    if periods is None:
        return ""
    from lotsync.audit.periods import period_table, provider_table, supply_table
    return "\n".join((
        _units_by_provider(periods),
        _table_section("Periods", *period_table(periods)),
        _table_section("Providers", *provider_table(periods)),
        _table_section("Supply (projection)", *supply_table(periods),
                       note="Days of supply and value at risk project the last 90 days' usage forward: a projection, not a fact."),
    ))


def render_html(r: Result, since=None, periods=None) -> str:
    s = r.summary
    title = f"Inventory report as of {r.as_of.isoformat()}"
    parts = [
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="color-scheme" content="light">',
        f'<meta name="generator" content="lotsync {_e(__version__)}">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
        f"<header><h1>{_e(title)}</h1><p class=\"meta\">{s.lots:,} lots · {s.visit_rows:,} visit rows "
        f"({s.visits:,} visits) · made by lotsync {_e(__version__)} from the practice's own sheets</p></header>",
        _since(since),
        _cards(r),
        _cogs_charts(r),
        _products_and_codes(r),
        _expiry(r),
        _findings_table(r),
        _use_next(r),
        _periods(periods),
        _footer(r),
        "</main></body></html>\n",
    ]
    return "\n".join(parts)


def write_report_html(result: Result, out_dir: Path, since=None, periods=None) -> Path:
    """Write `out_dir/report.html` (atomically: a temporary file renamed into place).
    `since` (a writers.since.SinceLastRun) puts what changed since the last run first."""
    path = Path(out_dir) / "report.html"
    with atomic_output(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render_html(result, since, periods))
    return path
