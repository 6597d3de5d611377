"""Notifications after a nightly run: e-mail (smtplib, optional STARTTLS) and a chat webhook
(a JSON POST `{"text": ...}`), as lotsync.toml's `[notify]` asks.

Rules:
- `when = "new"` (default): only when the run has a finding that is new since the last
  run (without a history every finding is new); `"always"`; `"errors"`: when the run has
  an error-severity finding.
- What is sent: the run's one-line summary, the new and the resolved findings (top ten
  each) as code, severity, product, lot, location, cell and amount, and the totals; the
  e-mail attaches report.html when the run wrote one. Never a message text or any other
  cell content, masked or not: a finding's message holds no patient name today, but
  e-mail and chat are not places for PHI, so nothing that could carry one is sent.
  (report.html names no patient either; a test keeps it so.)
- Delivery never changes the run: each channel is tried `ATTEMPTS` times with a short
  timeout and a short pause; what still fails is one warning line and a run-log record,
  and the report, the history and the exit status are what they would be without notify.
  Rejected: failing the run (cron would then alert about the mailer, not the stock) and
  retrying for minutes (a nightly job must end).
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path


ATTEMPTS = 3
PAUSE_SECONDS = 0.5
TOP = 10


@dataclass(frozen=True)
class Delivery:
    channel: str  # "e-mail" | "webhook"
    ok: bool
    detail: str  # what failed (one line, no content), or whom it reached


def should_send(when: str, result, record) -> bool:
    if when == "always":
        return True
    if when == "errors":
        return result.summary.errors > 0
    if record is None:
        return bool(result.findings)
    return bool(record.new)


def _money(v) -> str:
    from lotsync.writers.terminal import money
    return money(v)


def _finding_line(code: str, severity: str, product, lot, location, where: str, value) -> str:
    parts = [f"{severity.upper():<7} {code}"]
    what = " ".join(str(x) for x in (product, f"lot {lot}" if lot else None) if x)
    if what:
        parts.append(what)
    if location:
        parts.append(f"at {location}")
    if where:
        parts.append(where)
    if value is not None:
        parts.append(_money(value))
    return "  " + " · ".join(parts)


def compose(outcome, practice: str | None = None) -> tuple[str, str]:
    """(subject, text) of the notification: counts, codes, products, lots, cells and amounts only."""
    result, record = outcome.result, outcome.record
    s, t = result.summary, result.totals
    new_ids = set(record.new) if record is not None else {f.id for f in result.findings}
    new = [f for f in result.findings if f.id in new_ids]
    resolved = list(record.resolved_findings) if record is not None else []
    head = f"lotsync{' ' + practice if practice else ''}"
    subject = (f"{head}: {len(new)} new, {len(resolved)} resolved; {s.errors} errors, {s.warnings} warnings "
               f"(as of {result.as_of.isoformat()})")
    lines = [outcome.one_line(), ""]
    lines.append(f"New since the last run ({len(new)}):" if record is not None and record.previous_run_id
                 else f"Findings ({len(new)}):")
    for f in new[:TOP]:
        lines.append(_finding_line(f.code, f.severity.value, f.product, f.lot, f.location, f.source.where, f.value))
    if len(new) > TOP:
        lines.append(f"  … and {len(new) - TOP} more (see the report)")
    if resolved:
        lines.append(f"Resolved since the last run ({len(resolved)}):")
        for p in resolved[:TOP]:
            from lotsync.model import Source
            where = Source(file=p.file or "", sheet=p.sheet, row=p.row, column=None, cell=p.cell).where if p.file else ""
            lines.append(_finding_line(p.code, p.severity, p.product, p.lot, p.location, where, None))
        if len(resolved) > TOP:
            lines.append(f"  … and {len(resolved) - TOP} more")
    lines += ["", "Totals: " + ", ".join([
        f"COGS {_money(t.cogs)}", f"estimated COGS {_money(t.cogs_estimated)}",
        f"waste {_money(t.waste_value)}", f"expired {_money(t.expired_value)}",
        f"on hand {_money(t.on_hand_value)}", f"expired on hand {_money(t.expired_on_hand_value)}"]),
        f"Findings: {s.errors} errors, {s.warnings} warnings, {s.infos} info."]
    return subject, "\n".join(lines) + "\n"


def _retry(fn) -> str | None:
    """Run `fn` up to ATTEMPTS times; None when it worked, else the last failure (one line)."""
    last = ""
    for i in range(ATTEMPTS):
        try:
            fn()
            return None
        except (OSError, smtplib.SMTPException, ssl.SSLError, ValueError) as e:
            last = (str(e).splitlines() or [type(e).__name__])[0] or type(e).__name__
            last = f"{type(e).__name__}: {last}" if type(e).__name__ not in last else last
        if i < ATTEMPTS - 1:
            time.sleep(PAUSE_SECONDS * (i + 1))
    return last


def send_email(cfg, subject: str, text: str, attachment: Path | None, env=os.environ) -> Delivery:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = cfg.email_from
    msg["To"] = ", ".join(cfg.email_to)
    msg.set_content(text)
    if attachment is not None and attachment.is_file():
        msg.add_attachment(attachment.read_bytes(), maintype="text", subtype="html", filename=attachment.name)
    password = None
    if cfg.smtp_user:
        password = env.get(cfg.smtp_password_env or "")
        if password is None:
            return Delivery("e-mail", False, f"environment variable {cfg.smtp_password_env} is not set")

    def once() -> None:
        with smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout_seconds) as smtp:
            smtp.ehlo()
            if cfg.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if cfg.smtp_user:
                smtp.login(cfg.smtp_user, password)
            smtp.send_message(msg)

    err = _retry(once)
    return Delivery("e-mail", err is None, err or f"sent to {len(cfg.email_to)} address(es)")


def post_webhook(cfg, text: str) -> Delivery:
    body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")

    def once() -> None:
        req = urllib.request.Request(cfg.webhook_url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "lotsync"})
        with urllib.request.urlopen(req, timeout=cfg.timeout_seconds) as resp:  # noqa: S310 (the user's URL)
            if not 200 <= resp.status < 300:
                raise OSError(f"HTTP {resp.status}")

    err = _retry(once)
    return Delivery("webhook", err is None, err or "posted")


def notify(cfg, outcome, practice: str | None = None, env=os.environ) -> list[Delivery]:
    """Send what `cfg` asks for after the run in `outcome`; never raises for a delivery."""
    if cfg is None or not should_send(cfg.when, outcome.result, outcome.record):
        return []
    subject, text = compose(outcome, practice)
    out = []
    if cfg.email_to:
        html = next((Path(p) for p in outcome.written if Path(p).name == "report.html"), None)
        out.append(send_email(cfg, subject, text, html, env))
    if cfg.webhook_url:
        out.append(post_webhook(cfg, subject + "\n" + text))
    return out


__all__ = ["notify", "compose", "should_send", "Delivery"]
