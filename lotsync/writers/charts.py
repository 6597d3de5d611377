"""What the report workbook and the HTML report show besides the raw result, and the
inline SVG charts of the HTML report.

The derived figures (FEFO compliance, stock value split, expiry exposure by month) are
computed here once so that report.xlsx and report.html can never disagree. The charts are
small hand-written SVG (no script, no fonts, no network): they print sharply, work offline
and in e-mail, and weigh a few kilobytes. Every label is escaped with `html.escape`.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Sequence

from lotsync.reconcile.result import LotResult, Result

ZERO = Decimal(0)

# Severity and status colours shared by both reports (print-friendly, readable on white).
SEVERITY_COLORS = {"error": "#c62828", "warning": "#ef8f00", "info": "#1e6fb8"}
SEVERITY_FILLS = {"error": "#F8D7DA", "warning": "#FFE8C2", "info": "#DCEBFA"}
STATUS_FILLS = {"negative": "#F8D7DA", "expired": "#F8D7DA", "expiring": "#FFE8C2",
                "depleted": "#EEEEEE", "ok": "#E3F2E1"}
COLOR_COGS = "#2f6f8f"
COLOR_ON_HAND = "#4a8f5a"
COLOR_EXPIRING = "#ef8f00"
COLOR_EXPIRED = "#c62828"
COLOR_WASTE = "#7b5ea7"


# --- derived figures -------------------------------------------------------------------


def fefo_compliance(r: Result) -> Decimal | None:
    """Share (0..1) of visit rows with a recorded lot that drew no FEFO_VIOLATION.

    Visit rows with no lot (MISSING_LOT) are left out: nothing can be said about which
    vial they used. None when no visit row has a lot.
    """
    with_lot = r.summary.visit_rows - r.summary.findings_by_code.get("MISSING_LOT", 0)
    if with_lot <= 0:
        return None
    violating = len({(f.source.file, f.source.sheet, f.source.row)
                     for f in r.findings if f.code == "FEFO_VIOLATION"})
    return max(ZERO, Decimal(with_lot - min(violating, with_lot)) / Decimal(with_lot))


def shrinkage(r: Result) -> Decimal:
    """Stock value that counts found missing (negative count variance is a loss)."""
    return -r.totals.count_variance_value


def lot_value(lot: LotResult) -> Decimal | None:
    """The value of what remains of a lot at its own cost (None without a cost)."""
    if lot.unit_cost is None:
        return None
    return lot.derived_remaining * lot.unit_cost


def at_risk_lots(r: Result) -> list[LotResult]:
    """Lots with stock that has expired or expires within the window, by expiration."""
    lots = [l for l in r.lots if l.status in ("expired", "expiring") and l.expiration is not None]
    lots.sort(key=lambda l: (l.expiration, l.product.casefold(), l.lot, l.location))
    return lots


@dataclass(frozen=True)
class ExpiryMonth:
    month: str  # YYYY-MM of the expiration
    expired_value: Decimal
    expiring_value: Decimal
    lots: int


def expiry_by_month(r: Result) -> list[ExpiryMonth]:
    """Value on hand of expired and expiring lots, by month of expiration."""
    acc: dict[str, list] = {}
    for lot in at_risk_lots(r):
        m = lot.expiration.isoformat()[:7]
        a = acc.setdefault(m, [ZERO, ZERO, 0])
        v = lot_value(lot) or ZERO
        a[0 if lot.status == "expired" else 1] += v
        a[2] += 1
    return [ExpiryMonth(m, a[0], a[1], a[2]) for m, a in sorted(acc.items())]


def month_span(months: Sequence[str]) -> list[str]:
    """Every YYYY-MM from the first to the last of `months` (a chart's time axis has no
    gaps: a month without data shows as an empty slot)."""
    if not months:
        return []
    y, m = map(int, min(months).split("-"))
    last = max(months)
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append(key)
        if key >= last or len(out) > 1200:
            return out
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def stock_split(r: Result) -> list[tuple[str, Decimal, str]]:
    """(label, value, colour) of the stock the practice holds or lost: the data of the
    "value expired vs on hand" charts."""
    t = r.totals
    usable = t.on_hand_value - t.expired_on_hand_value - t.expiring_value
    return [
        ("On hand, usable", usable, COLOR_ON_HAND),
        (f"Expiring within {r.options.expiring_days} days", t.expiring_value, COLOR_EXPIRING),
        ("Expired, still on hand", t.expired_on_hand_value, COLOR_EXPIRED),
        ("Expired, written off", t.expired_value, "#8e3b3b"),
        ("Wasted", t.waste_value, COLOR_WASTE),
    ]


def findings_by_code(r: Result) -> list[tuple[str, str, int]]:
    """(code, severity, count), most severe first, then most frequent."""
    from lotsync.findings import SEVERITY

    rows = [(code, SEVERITY[code].value if code in SEVERITY else "info", n)
            for code, n in r.summary.findings_by_code.items()]
    rank = {"error": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda x: (rank.get(x[1], 3), -x[2], x[0]))
    return rows


# --- formatting ------------------------------------------------------------------------


def money(v: Decimal | float | None, cents: bool = True) -> str:
    if v is None:
        return ""
    d = Decimal(str(v)) if isinstance(v, float) else v
    sign = "-" if d < 0 else ""
    if cents:
        return f"{sign}${abs(d).quantize(Decimal('0.01')):,}"
    return f"{sign}${abs(d).quantize(Decimal(1)):,}"


def money_short(v: float) -> str:
    """$950, $12.5k, $1.2M: for axis ticks and bar labels."""
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a >= 1_000_000:
        return f"{sign}${a / 1_000_000:.3g}M"
    if a >= 10_000:
        return f"{sign}${a / 1000:.0f}k"
    if a >= 1000:
        return f"{sign}${a / 1000:.3g}k"
    if a >= 100 or a == int(a):
        return f"{sign}${a:.0f}"
    return f"{sign}${a:.2f}"


def quantity(v: Decimal | None) -> str:
    if v is None:
        return ""
    if v == v.to_integral_value():
        return f"{v.quantize(Decimal(1)):,}"
    return f"{v.normalize():,f}"


def percent(v: Decimal | None) -> str:
    if v is None:
        return "n/a"
    return f"{(v * 100).quantize(Decimal('0.1'))}%"


# --- inline SVG -------------------------------------------------------------------------

_FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif"'


def _esc(s: object) -> str:
    return html.escape(str(s), quote=True)


def _nice_ticks(top: float, n: int = 4) -> list[float]:
    """Round axis ticks from 0 to at least `top`."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    k = math.ceil(top / step - 1e-9)
    return [i * step for i in range(k + 1)]


def _clip(label: str, n: int) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def hbar_svg(rows: Sequence[tuple[str, float, str]], title: str,
             fmt: Callable[[float], str] = money_short, width: int = 440,
             label_chars: int = 20) -> str:
    """Horizontal bars: one row per (label, value, colour). Negative values draw no bar
    but show their figure."""
    if not rows:
        return ""
    row_h, pad_top, pad_bottom = 26, 8, 8
    label_w = min(int(14 + label_chars * 7.6), width // 2)
    value_w = 64
    bar_w = width - label_w - value_w - 8
    top = max((v for _, v, _ in rows), default=0) or 1
    h = pad_top + pad_bottom + row_h * len(rows)
    out = [f'<svg class="chart" viewBox="0 0 {width} {h}" width="{width}" height="{h}" role="img" '
           f'style="max-width:{width}px;min-width:{width * 7 // 10}px" aria-label="{_esc(title)}" {_FONT} font-size="13">',
           f"<title>{_esc(title)}</title>"]
    for i, (label, v, color) in enumerate(rows):
        y = pad_top + i * row_h
        w = max(0.0, v) / top * bar_w
        shown = _clip(label, label_chars)
        out.append(f'<g><title>{_esc(label)}: {_esc(fmt(v))}</title>'
                   f'<text x="{label_w - 8}" y="{y + 17}" text-anchor="end" fill="#333">{_esc(shown)}</text>'
                   f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="2" fill="{color}"/>'
                   f'<text x="{label_w + w + 6:.1f}" y="{y + 17}" fill="#333">{_esc(fmt(v))}</text></g>')
    out.append(f'<line x1="{label_w}" y1="{pad_top}" x2="{label_w}" y2="{h - pad_bottom}" stroke="#999"/>')
    out.append("</svg>")
    return "".join(out)


def column_svg(categories: Sequence[str], series: Sequence[tuple[str, Sequence[float], str]],
               title: str, fmt: Callable[[float], str] = money_short, width: int = 480,
               height: int = 260, css_class: str = "") -> str:
    """Vertical columns, stacked when there is more than one series (values below zero
    are drawn as zero). A legend names the series when there are several."""
    n = len(categories)
    if n == 0:
        return ""
    left, right, top_pad = 58, 10, 14
    legend_h = 22 if len(series) > 1 else 0
    bottom = 44
    plot_h = height - top_pad - bottom - legend_h
    plot_w = width - left - right
    totals = [sum(max(0.0, s[1][i]) for s in series) for i in range(n)]
    ticks = _nice_ticks(max(totals) if totals else 0)
    ymax = ticks[-1] or 1
    slot = plot_w / n
    bar = max(2.0, min(48.0, slot * 0.7))
    label_px = 7.2 * max((len(_clip(c, 10)) for c in categories), default=1) + 10
    label_every = max(1, math.ceil(label_px / slot))
    y0 = top_pad + legend_h + plot_h
    cls = f"chart {css_class}".strip()
    out = [f'<svg class="{cls}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'style="max-width:{width}px;min-width:{width * 7 // 10}px" role="img" aria-label="{_esc(title)}" {_FONT} font-size="13">',
           f"<title>{_esc(title)}</title>"]
    if legend_h:
        x = left
        for name, _, color in series:
            out.append(f'<rect x="{x}" y="{top_pad - 4}" width="12" height="12" fill="{color}"/>'
                       f'<text x="{x + 16}" y="{top_pad + 6}" fill="#333">{_esc(name)}</text>')
            x += 28 + 7 * len(name)
    for t in ticks:
        y = y0 - t / ymax * plot_h
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e3e3"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_esc(fmt(t))}</text>')
    for i, cat in enumerate(categories):
        cx = left + slot * i + slot / 2
        base = 0.0
        tip = [f"{cat}"] + [f"{name}: {fmt(vals[i])}" for name, vals, _ in series]
        parts = [f"<g><title>{_esc(' · '.join(tip))}</title>"]
        for name, vals, color in series:
            v = max(0.0, vals[i])
            if v <= 0:
                continue
            h = v / ymax * plot_h
            parts.append(f'<rect x="{cx - bar / 2:.1f}" y="{y0 - base - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{color}"/>')
            base += h
        parts.append("</g>")
        out.append("".join(parts))
        if i % label_every == 0:
            out.append(f'<text x="{cx:.1f}" y="{y0 + 16}" text-anchor="middle" fill="#555">{_esc(_clip(cat, 10))}</text>')
    out.append(f'<line x1="{left}" y1="{y0}" x2="{width - right}" y2="{y0}" stroke="#999"/>')
    out.append("</svg>")
    return "".join(out)
