"""report.html: one self-contained file that loads nothing, shows the figures and charts,
escapes every piece of the clinic's text, names no patient, caps the findings table, and
renders in a real headless Chromium (Debian's `chromium` package; skipped only when it is
not installed).
"""

from __future__ import annotations

import dataclasses
import html
import os
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from helpers import reconcile_files
from markupsafe import escape
from test_report_xlsx import AS_OF, HOSTILE_LOT, HOSTILE_PATIENT, RICH_PRODUCT, clinic

from lotsync.model import Finding, Severity, Source
from lotsync.writers import charts as ch
from lotsync.writers import report_html
from lotsync.writers.report_html import write_report_html

SCRIPT_LOT = "<script>alert(1)</script>"
IMG_LOCATION = '"><img src=http://evil.example/x.png onerror=alert(1)>'

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and os.path.exists(p)), None)


@pytest.fixture
def result(tmp_path):
    r = reconcile_files([clinic(tmp_path / "practice")], as_of=AS_OF)
    # text no spreadsheet reader would let through unchanged, straight into the result
    src = Source(file=str(tmp_path / "practice" / "clinic.xlsx"), sheet="Treat<ments>", row=9,
                 column="Lot", cell="E9")
    extra = Finding(code="UNKNOWN_LOT", severity=Severity.ERROR, message=f"Lot {SCRIPT_LOT} was never received.",
                    source=src, product="Botox & Co", lot=SCRIPT_LOT, location=IMG_LOCATION,
                    suggestion="Did you mean <b>C3709C3</b>?", id="x1")
    return dataclasses.replace(r, findings=(extra,) + r.findings)


@pytest.fixture
def page(result, tmp_path) -> tuple[Path, str]:
    path = write_report_html(result, tmp_path / "out")
    return path, path.read_text(encoding="utf-8")


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def parse(text: str) -> Tags:
    p = Tags()
    p.feed(text)
    p.close()
    return p


# --- self-contained -------------------------------------------------------------------------

LOADING_ATTRS = {"src", "href", "srcset", "poster", "data", "action", "formaction", "xlink:href",
                 "background", "ping", "manifest", "codebase", "cite", "longdesc", "usemap"}


def test_nothing_is_loaded_from_anywhere(page):
    path, text = page
    p = parse(text)
    names = {t for t, _ in p.tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "video", "audio",
                        "source", "track", "base", "form", "image", "use", "foreignobject"}
    for tag, attrs in p.tags:
        for k, v in attrs.items():
            assert k not in LOADING_ATTRS, (tag, k, v)
            assert not k.startswith("on"), (tag, k)  # no event handlers either
            if k == "style":
                assert "url(" not in (v or "")
    css = "".join(p.styles) + " ".join(a.get("style") or "" for _, a in p.tags)
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    # and the browser is told to refuse any load, should a later change slip one in
    csp = [a for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]["content"]
    assert path.stat().st_size < 300_000


def test_phone_ready_and_printable(page):
    _, text = page
    p = parse(text)
    assert any(t == "meta" and a.get("name") == "viewport" and "width=device-width" in a.get("content", "")
               for t, a in p.tags)
    css = "".join(p.styles)
    assert "@media print" in css and "@media (max-width" in css
    assert "overflow-x:auto" in css  # wide tables scroll sideways on a phone
    # every table sits in a scroller
    assert text.count("<table") == text.count('<div class="scroll"><table')


# --- content --------------------------------------------------------------------------------


def test_headline_figures_and_charts(page, result):
    _, text = page
    visible = " ".join(parse(text).text)
    t = result.totals
    for v in (t.cogs, t.on_hand_value, t.expired_on_hand_value, t.expiring_value, t.waste_value):
        assert ch.money(v) in visible
    assert ch.percent(ch.fefo_compliance(result)) == "80.0%"
    assert "80.0%" in visible
    svgs = re.findall(r"<svg\b[^>]*aria-label=\"([^\"]*)\"", text)
    assert svgs[:2] == ["COGS by month", "COGS by provider"]
    assert "COGS by product" in svgs and "Findings by code" in svgs
    assert any(s.startswith("Value on hand of expired and expiring lots") for s in svgs)
    for code in result.summary.findings_by_code:
        assert code in visible


def test_findings_table_lists_every_finding_with_where_it_is(page, result):
    _, text = page
    rows = re.findall(r"<tr><td><span class=\"sev (\w+)\">", text)
    assert rows == [f.severity.value for f in result.findings]
    assert html.escape("clinic.xlsx › Treat<ments> › E9") in text


def test_user_text_is_escaped(page):
    _, text = page
    p = parse(text)
    # escaped as the templates' autoescaping does it (markupsafe: " becomes &#34;)
    assert SCRIPT_LOT not in text and str(escape(SCRIPT_LOT)) in text
    assert "<img" not in text and "<b>C3709C3" not in text
    assert str(escape(HOSTILE_LOT)) in text
    assert str(escape(RICH_PRODUCT)) in text
    visible = " ".join(p.text)
    assert SCRIPT_LOT in visible and "Did you mean <b>C3709C3</b>?" in visible  # shown as typed


def test_names_no_patient_and_lists_no_visits(page):
    _, text = page
    for patient in (HOSTILE_PATIENT, "Jane Roe", "John Doe"):
        assert patient not in text and html.escape(patient) not in text and str(escape(patient)) not in text


def test_a_huge_practice_gets_a_capped_findings_table(result, tmp_path):
    f = result.findings[1]
    many = tuple(dataclasses.replace(f, id=str(i), severity=Severity.WARNING if i >= 2000 else Severity.ERROR)
                 for i in range(2600))
    big = dataclasses.replace(result, findings=many)
    text = write_report_html(big, tmp_path / "out").read_text(encoding="utf-8")
    assert text.count('<tr><td><span class="sev') == report_html.MAX_FINDINGS == 2000
    assert "Showing the first 2,000 of 2,600 findings" in text
    assert "The other 600 (600 warning) are in findings.csv" in text


def test_written_atomically(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = write_report_html(result, out)
    before = first.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(report_html, "build_view", boom)
    with pytest.raises(RuntimeError):
        write_report_html(result, out)
    assert first.read_bytes() == before
    assert [p.name for p in out.iterdir()] == ["report.html"]


def test_an_empty_practice_renders(result, tmp_path):
    from decimal import Decimal

    from lotsync.reconcile.result import Cogs

    empty = dataclasses.replace(
        result, lots=(), findings=(), fefo_next=(),
        cogs=Cogs(total=Decimal(0), estimated=Decimal(0), by_visit=(), by_provider=(), by_product=(),
                  by_month=()),
        summary=dataclasses.replace(result.summary, findings_by_code={}, errors=0, warnings=0, infos=0,
                                    visit_rows=0, visits=0))
    text = write_report_html(empty, tmp_path / "out").read_text(encoding="utf-8")
    assert "No findings" in text and "n/a" in text


# --- in a real browser ----------------------------------------------------------------------


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """(width, height, distinct byte values in the pixel data) of a PNG, without Pillow."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    idat, pos = b"", 8
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    pixels = zlib.decompress(idat)
    return width, height, len(set(pixels[: 4_000_000]))


def chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
         "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, "HOME": str(tmp_path)})


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
@pytest.mark.parametrize("size", ["1280,2400", "390,2400"], ids=["laptop", "phone"])
def test_renders_in_headless_chromium(page, tmp_path, size):
    path, _ = page
    shot = tmp_path / f"report-{size.split(',')[0]}.png"
    proc = chromium([f"--window-size={size}", f"--screenshot={shot}", path.resolve().as_uri()], tmp_path)
    assert shot.exists(), proc.stderr[-2000:]
    w, h, colours = png_size_and_colours(shot)
    assert (w, h) == tuple(int(x) for x in size.split(","))
    assert shot.stat().st_size > 30_000 and colours > 50, "the screenshot is blank"
    # the page asked for nothing its Content-Security-Policy had to block (Chromium logs
    # "Loading the image '...' violates the following Content Security Policy directive")
    assert "Content Security Policy" not in proc.stderr and "Refused to" not in proc.stderr, proc.stderr[-2000:]
    if os.environ.get("LOTSYNC_SHOTS"):  # keep the screenshot to look at
        Path(os.environ["LOTSYNC_SHOTS"]).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(os.environ["LOTSYNC_SHOTS"]) / shot.name)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_the_browser_check_would_see_a_blocked_load(tmp_path):
    """The check above is not vacuous: a page that tries to load an image is reported."""
    bad = tmp_path / "bad.html"
    bad.write_text(f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" '
                   f'content="{report_html.CSP}"></head><body><img src="http://127.0.0.1:9/x.png"></body></html>')
    proc = chromium([f"--screenshot={tmp_path / 'bad.png'}", bad.as_uri()], tmp_path)
    assert "Content Security Policy" in proc.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_chromium_builds_the_dom_and_prints_it(page, tmp_path):
    path, _ = page
    proc = chromium(["--dump-dom", path.resolve().as_uri()], tmp_path)
    dom = proc.stdout
    assert "<h1>Inventory report as of 2026-06-30</h1>" in dom
    assert dom.count("<svg") >= 5
    assert "<script" not in dom  # the hostile lot stayed text
    pdf = tmp_path / "report.pdf"
    chromium([f"--print-to-pdf={pdf}", "--no-pdf-header-footer", path.resolve().as_uri()], tmp_path)
    assert pdf.exists() and pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000
