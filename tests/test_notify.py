"""Notifications after a nightly run (issue 11), against real local servers: an SMTP server
(aiosmtpd) and an HTTP server on 127.0.0.1, on ephemeral ports."""

from __future__ import annotations

import datetime as dt
import email
import json
import os
import socket
import subprocess
import sys
import threading
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lotsync.demo.practice import write_demo_practice
from lotsync.nightly.notify import ATTEMPTS

PASSWORD = "s3cret-Pw-for-tests"
PLANTED = "Zelda Quixote-Planted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[tuple[bytes, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            self.logins.append((auth_data.login, auth_data.password))
            return AuthResult(success=auth_data.password == PASSWORD.encode())
        return AuthResult(success=False)


@pytest.fixture
def smtp():
    box = Mailbox()
    ctl = Controller(box, hostname="127.0.0.1", port=free_port(), authenticator=box.authenticate,
                     auth_require_tls=False)
    ctl.start()
    box.port = ctl.port
    yield box
    ctl.stop()


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests.append((self.headers.get("Content-Type"), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    srv.requests = []
    srv.status = 200
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}/hook"
    yield srv
    srv.shutdown()
    srv.server_close()


def nightly(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TERM", "COLUMNS", "SSL_CERT_FILE")} | (env or {})
    env["LOTSYNC_TEST_SMTP_PW"] = PASSWORD
    return subprocess.run([sys.executable, "-m", "lotsync", "reconcile", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=180, env=env, stdin=subprocess.DEVNULL)


def clinic(tmp_path: Path, notify: str, outputs: str = '["json", "html"]') -> Path:
    write_demo_practice(tmp_path / "practice")
    book = tmp_path / "practice" / "Treatments 2026.xlsx"
    wb = openpyxl.load_workbook(book)
    # a planted patient on a row that makes a finding (a lot nobody received)
    wb["Nov"].append([dt.datetime(2026, 11, 20), PLANTED, "Dr. Kim", "Botox", "ZZ9999", 20, "units", "Main St",
                      19998, 260])
    wb.save(book)
    (tmp_path / "lotsync.toml").write_text(
        f'practice = "Glow"\nas_of = 2026-11-30\noutputs = {outputs}\n[[sources]]\npath = "practice"\n'
        f"[notify]\n{notify}", encoding="utf-8")
    return tmp_path


def patient_names(folder: Path) -> set[str]:
    wb = openpyxl.load_workbook(folder / "practice" / "Treatments 2026.xlsx", read_only=True)
    names = set()
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        col = next(rows).index("Patient")
        names.update(r[col] for r in rows if r[col])
    return names


def test_a_nightly_run_mails_and_posts_its_summary_and_no_patient_identifier(tmp_path, smtp, webhook):
    folder = clinic(tmp_path, f'when = "always"\nemail_to = ["books@clinic.example"]\n'
                              f'email_from = "lotsync@clinic.example"\nsmtp_host = "127.0.0.1"\n'
                              f'smtp_port = {smtp.port}\nsmtp_starttls = false\nsmtp_user = "lotsync"\n'
                              f'smtp_password_env = "LOTSYNC_TEST_SMTP_PW"\nwebhook_url = "{webhook.url}"\n')
    assert PASSWORD not in (folder / "lotsync.toml").read_text()
    done = nightly(folder)
    assert done.returncode == 1, done.stderr  # the demo's errors, as without notify
    assert done.stderr == ""
    assert smtp.logins == [(b"lotsync", PASSWORD.encode())]
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1

    msg = email.message_from_bytes(smtp.messages[0], policy=policy.default)
    assert str(msg["To"]).strip() == "books@clinic.example" and str(msg["Subject"]).strip().startswith("lotsync Glow: ")
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("lotsync 2026-11-30: ")
    n = len(json.loads((folder / "lotsync-out" / "report.json").read_text("utf-8"))["findings"])  # all new
    assert n > 10 and f"Findings ({n}):" in text and "ERROR   " in text and " › " in text  # codes and cells
    assert f"… and {n - 10} more" in text  # the top ten
    assert "Totals: COGS $" in text
    attached = [p for p in msg.iter_attachments()]
    assert [p.get_filename() for p in attached] == ["report.html"]
    assert attached[0].get_payload(decode=True) == (folder / "lotsync-out" / "report.html").read_bytes()

    ctype, body = webhook.requests[0]
    assert ctype.startswith("application/json")
    hook_text = json.loads(body)["text"]
    assert "lotsync 2026-11-30: " in hook_text and text.replace("\r\n", "\n") in hook_text

    received = [smtp.messages[0], body, text.encode(), hook_text.encode()]
    received += [p.get_payload(decode=True) for p in msg.walk() if not p.is_multipart()]
    names = patient_names(folder)
    assert PLANTED in names and len(names) > 50
    for name in names:
        for blob in received:
            assert name.encode() not in blob, "a patient name left in a notification"
    assert b"Quixote" not in b"".join(received)


def test_nothing_new_with_when_new_sends_nothing(tmp_path, smtp, webhook):
    folder = clinic(tmp_path, f'email_to = ["books@clinic.example"]\nemail_from = "lotsync@clinic.example"\n'
                              f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_starttls = false\n'
                              f'webhook_url = "{webhook.url}"\n', outputs='["json"]')
    assert nightly(folder).returncode == 1
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1  # the first run: everything is new
    msg = email.message_from_bytes(smtp.messages[0], policy=policy.default)
    assert list(msg.iter_attachments()) == []  # no report.html written, none attached
    again = nightly(folder)
    assert again.returncode == 1 and "0 new" in again.stdout
    assert len(smtp.messages) == 1 and len(webhook.requests) == 1


def test_an_undeliverable_notification_changes_nothing_but_one_warning_line_each(tmp_path, webhook):
    webhook.status = 500
    closed = free_port()  # nothing listens there: the connection is refused
    folder = clinic(tmp_path, f'when = "always"\nemail_to = ["books@clinic.example"]\n'
                              f'email_from = "lotsync@clinic.example"\nsmtp_host = "127.0.0.1"\n'
                              f'smtp_port = {closed}\nwebhook_url = "{webhook.url}"\ntimeout_seconds = 2\n')
    done = nightly(folder)
    assert done.returncode == 1  # what the run gives without notify
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("lotsync: warning: the e-mail notification failed (")
    assert lines[1].startswith("lotsync: warning: the webhook notification failed (") and "500" in lines[1]
    assert all(l.endswith("the run is unaffected") for l in lines)
    assert len(webhook.requests) == ATTEMPTS  # bounded retries
    assert (folder / "lotsync-out" / "report.json").is_file() and (folder / "lotsync-out" / "report.html").is_file()
    rep = json.loads((folder / "lotsync-out" / "report.json").read_text("utf-8"))
    assert rep["history"]["run_id"] == 1
    log = (folder / ".lotsync" / "lotsync.log").read_text("utf-8")
    assert "notify e-mail failed" in log and "notify webhook failed" in log
    assert "run end:" in log and "exit=1" in log
    assert PLANTED not in log


def test_a_missing_password_variable_is_a_warning_not_a_failed_run(tmp_path, smtp):
    folder = clinic(tmp_path, f'when = "always"\nemail_to = ["b@clinic.example"]\nemail_from = "l@clinic.example"\n'
                              f'smtp_host = "127.0.0.1"\nsmtp_port = {smtp.port}\nsmtp_starttls = false\n'
                              f'smtp_user = "lotsync"\nsmtp_password_env = "LOTSYNC_NOT_SET_ANYWHERE"\n',
                    outputs='["json"]')
    done = nightly(folder)
    assert done.returncode == 1
    assert done.stderr.strip() == ("lotsync: warning: the e-mail notification failed (environment variable "
                                   "LOTSYNC_NOT_SET_ANYWHERE is not set); the run is unaffected")
    assert smtp.messages == []


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key (the test's own mail server)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    c, k = folder / "cert.pem", folder / "key.pem"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    return c, k


def test_starttls_protects_the_login_and_an_untrusted_server_gets_nothing(tmp_path):
    import ssl

    cert, key = self_signed(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    box = Mailbox()
    # the server refuses AUTH before STARTTLS (aiosmtpd's default) and requires STARTTLS
    ctl = Controller(box, hostname="127.0.0.1", port=free_port(), authenticator=box.authenticate,
                     tls_context=ctx, require_starttls=True)
    ctl.start()
    try:
        folder = clinic(tmp_path / "c", f'when = "always"\nemail_to = ["books@clinic.example"]\n'
                                        f'email_from = "lotsync@clinic.example"\nsmtp_host = "127.0.0.1"\n'
                                        f'smtp_port = {ctl.port}\nsmtp_starttls = true\nsmtp_user = "lotsync"\n'
                                        f'smtp_password_env = "LOTSYNC_TEST_SMTP_PW"\ntimeout_seconds = 5\n',
                        outputs='["json"]')
        untrusted = nightly(folder)  # the server's certificate is not one the system trusts
        assert untrusted.returncode == 1
        assert untrusted.stderr.startswith("lotsync: warning: the e-mail notification failed (")
        assert box.messages == [] and box.logins == []

        trusted = nightly(folder, env={"SSL_CERT_FILE": str(cert)})
        assert trusted.returncode == 1 and trusted.stderr == ""
        assert box.logins == [(b"lotsync", PASSWORD.encode())] and len(box.messages) == 1
    finally:
        ctl.stop()


def test_a_masked_run_sends_no_patient_identifier_and_no_pseudonym_either(tmp_path, webhook):
    folder = clinic(tmp_path, f'when = "always"\nwebhook_url = "{webhook.url}"\n', outputs='["json"]')
    done = nightly(folder, "--mask-patients", env={"LOTSYNC_MASK_KEY": "a-test-key-of-enough-length"})
    assert done.returncode == 1, done.stderr
    assert len(webhook.requests) == 1
    body = webhook.requests[0][1]
    rep = json.loads((folder / "lotsync-out" / "report.json").read_text("utf-8"))
    pseudonyms = {v["patient"] for v in rep["cogs"]["by_visit"] if v["patient"]}
    assert pseudonyms and all(p.startswith("P-") for p in pseudonyms)
    for token in pseudonyms | patient_names(folder):
        assert token.encode() not in body
