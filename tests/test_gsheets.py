"""Google Sheets source and write-back: the real gspread client over real HTTP, against the
fake Sheets API v4 server in `fake_sheets.py` (127.0.0.1 only; every other host is refused)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import socket
from pathlib import Path
from typing import Any

import gspread
import pytest
import requests

from fake_sheets import (  # noqa: F401  (sheets_server is a fixture)
    FakeCell,
    FakeSheetsServer,
    currency,
    error_cell,
    number,
    percent,
    sheets_server,
)
from lotsync.readers import gsheets
from lotsync.readers.gsheets import (
    BlockedRequest,
    GSheetSource,
    open_client,
    parse_gsheet_source,
    read_gsheet,
    requests_made,
)
from lotsync.readers.raw import RawSheet, ReadError
from lotsync.writers.gsheets_writeback import (
    FINDINGS_TAB,
    SUMMARY_TAB,
    CellChange,
    WriteBackConflict,
    WriteBackError,
    write_back,
)

SID = "1ClinicInventoryAbc_-123"
EMAIL = "lotsync-reader@glow-medspa.iam.gserviceaccount.com"
SECRET = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC-THIS-IS-THE-SECRET-PART"
TODAY = dt.date(2026, 11, 28)
CASSETTES = Path(
    os.environ.get("LOTSYNC_GSPREAD_CASSETTES")
    or Path(__file__).resolve().parents[2] / "shared" / "reference" / "gspread-cassettes"
)


# ---------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Belt and braces: no socket may leave 127.0.0.1 during these tests."""
    local = {"127.0.0.1", "::1", "localhost"}
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in local:
            raise OSError(f"test blocked a connection to {host}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in local:
            raise socket.gaierror(f"test blocked a lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A service-account key file (its private key is not a real key)."""
    path = tmp_path / "glow-key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "glow-medspa",
                "private_key_id": "0123456789abcdef",
                "private_key": f"-----BEGIN PRIVATE KEY-----\n{SECRET}\n-----END PRIVATE KEY-----\n",
                "client_email": EMAIL,
                "client_id": "1234567890",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return path


INVENTORY = [
    ["Glow Med Spa: injectables received", None, None, None, None, None, None],
    [],
    ["Product", "Lot #", "Exp Date", "Qty Received", "Unit Cost", "Remaining", "Notes"],
    ["BOTOX 100U", "C3709C3", dt.date(2027, 5, 31), 200, currency(612), 80, "fridge A"],
    ["Juvederm Ultra XC", "LOT4512", "3/4/2026", 10, currency(300.5), number(4.5), None],
    ["Dysport 300U", "D1234", dt.date(2026, 12, 1), 300, currency(1200.5, '"$"#,##0.00'), 120, True],
    ["Total", None, None, 510, None, FakeCell(204.5, note="checked by Dana", formula="=SUM(F4:F6)"), None],
]
VISITS = [
    [None, "Visit Date", "Patient", "Product", "Units", "Lot", "Price", "Checked in"],
    [None, dt.date(2026, 3, 4), "P-001", "BOTOX 100U", 20, "C3709C3", currency(280), dt.datetime(2026, 3, 4, 9, 30)],
    [None, "03/05/2026", "P-002", "Juvederm Ultra XC", 1, "lot4512", currency(650), None],
    [None, dt.date(2026, 3, 6), "P-003", "Dysport 300U", 50, "N/A", error_cell("#DIV/0!"), None],
    [None, None, None, None, None, None, None, None],
    [None, None, None, None, percent(0.15), None, None, None],
]


@pytest.fixture
def clinic(sheets_server: FakeSheetsServer) -> FakeSheetsServer:
    ss = sheets_server.add_spreadsheet(
        SID,
        "Glow Med Spa — Inventory 2026",
        {"Inventory": INVENTORY, "Visits (March)": VISITS, "Old stuff": [["x"]]},
        hidden=["Old stuff"],
    )
    # a date format on an empty cell below the data: the grid API returns it, the reader drops it
    ss.sheet("Visits (March)").put(40, 1, FakeCell(None, {"type": "DATE", "pattern": "M/d/yyyy"}))
    return sheets_server


def expected_inventory() -> list[list[Any]]:
    return [
        ["Glow Med Spa: injectables received"],
        [],
        ["Product", "Lot #", "Exp Date", "Qty Received", "Unit Cost", "Remaining", "Notes"],
        ["BOTOX 100U", "C3709C3", dt.date(2027, 5, 31), 200, 612, 80, "fridge A"],
        ["Juvederm Ultra XC", "LOT4512", "3/4/2026", 10, 300.5, 4.5],
        ["Dysport 300U", "D1234", dt.date(2026, 12, 1), 300, 1200.5, 120, True],
        ["Total", None, None, 510, None, 204.5],
    ]


def expected_visits() -> list[list[Any]]:
    return [
        [None, "Visit Date", "Patient", "Product", "Units", "Lot", "Price", "Checked in"],
        [None, dt.date(2026, 3, 4), "P-001", "BOTOX 100U", 20, "C3709C3", 280, dt.datetime(2026, 3, 4, 9, 30)],
        [None, "03/05/2026", "P-002", "Juvederm Ultra XC", 1, "lot4512", 650],
        [None, dt.date(2026, 3, 6), "P-003", "Dysport 300U", 50, "N/A", "#DIV/0!"],
        [],
        [None, None, None, None, 0.15],
    ]


def sheet_values(server: FakeSheetsServer, tab: str) -> list[list[Any]]:
    return server.sheet(SID, tab).values()


# ---------------------------------------------------------------------------------------
# Sources


@pytest.mark.parametrize(
    "text, expected",
    [
        ("gsheet://abc_DEF-123", GSheetSource("abc_DEF-123", None)),
        ("GSHEET://abc/Inventory", GSheetSource("abc", "Inventory")),
        ("gsheet://abc/Visits%20(March)", GSheetSource("abc", "Visits (March)")),
        ("gsheet://abc/Stock/2026", GSheetSource("abc", "Stock/2026")),
        ("https://docs.google.com/spreadsheets/d/1AbC_d-9xyz/edit#gid=123456", GSheetSource("1AbC_d-9xyz", None)),
        ("https://docs.google.com/spreadsheets/u/1/d/1AbC/edit?usp=sharing", GSheetSource("1AbC", None)),
        ("docs.google.com/spreadsheets/d/1AbC", GSheetSource("1AbC", None)),
        ("inventory.xlsx", None),
        ("/home/clinic/gsheet.csv", None),
        ("https://example.com/spreadsheets/d/1AbC", None),
    ],
)
def test_parse_gsheet_source(text: str, expected: GSheetSource | None) -> None:
    assert parse_gsheet_source(text) == expected


@pytest.mark.parametrize(
    "text", ["gsheet://", "gsheet://bad id", "https://docs.google.com/spreadsheets/d/e/2PACX-1vR/pubhtml"]
)
def test_parse_gsheet_source_unusable(text: str) -> None:
    with pytest.raises(ReadError):
        parse_gsheet_source(text)


# ---------------------------------------------------------------------------------------
# Reading


def test_read_all_tabs_as_the_clinic_sees_them(clinic: FakeSheetsServer) -> None:
    client = open_client()
    sheets = read_gsheet(GSheetSource(SID), client)

    assert [s.sheet for s in sheets] == ["Inventory", "Visits (March)", "Old stuff"]
    inventory, visits, old = sheets
    assert inventory == RawSheet(
        f"gsheet://{SID}", "Inventory", expected_inventory(), display_file="Glow Med Spa — Inventory 2026"
    )
    assert visits.rows == expected_visits()
    assert old.rows == [["x"]] and old.notes == ("hidden tab",)
    assert inventory.label == "Glow Med Spa — Inventory 2026 › Inventory"
    # types, not just equality (True == 1, date vs datetime)
    assert type(inventory.rows[3][2]) is dt.date and type(visits.rows[1][7]) is dt.datetime
    assert inventory.rows[5][6] is True and isinstance(inventory.rows[4][2], str)

    # a small spreadsheet: metadata, the probe (first 200 rows of every tab), the rest
    assert requests_made(client) == 3
    assert clinic.count() == 3
    grid_calls = [r for r in clinic.requests if r.query.get("includeGridData") == ["true"]]
    assert [c.query["ranges"] for c in grid_calls] == [
        ["'Inventory'!1:200", "'Visits (March)'!1:200", "'Old stuff'!1:200"],
        ["'Inventory'!201:1000", "'Visits (March)'!201:1000", "'Old stuff'!201:1000"],
    ]
    assert all(c.query["prettyPrint"] == ["false"] for c in grid_calls)
    assert clinic.count(path="/values") == 0
    assert not any(r.authorized for r in clinic.requests), "no credentials go to the emulator"


def test_read_one_named_tab_and_from_a_browser_link(clinic: FakeSheetsServer) -> None:
    client = open_client()
    [visits] = read_gsheet(parse_gsheet_source(f"gsheet://{SID}/visits%20(march)"), client)
    assert visits.sheet == "Visits (March)" and visits.rows == expected_visits()
    link = f"https://docs.google.com/spreadsheets/d/{SID}/edit#gid=0"
    assert [s.sheet for s in read_gsheet(parse_gsheet_source(link), client)] == [
        "Inventory",
        "Visits (March)",
        "Old stuff",
    ]
    assert requests_made(client) == 3 + 3  # one tab: metadata + 2 blocks; all: metadata + 2

    with pytest.raises(ReadError) as err:
        read_gsheet(GSheetSource(SID, "Counts"), client)
    assert "no tab named 'Counts'" in str(err.value) and "'Inventory'" in str(err.value)


def test_lotsync_tabs_are_not_read_back(clinic: FakeSheetsServer) -> None:
    client = open_client()
    write_back(client, SID, [CellChange("Inventory", "F4", 80, 60, "derived 60")], [["a"], ["b"]], [["k", 1]], TODAY)
    sheets = read_gsheet(GSheetSource(SID), client)
    by_tab = {s.sheet: s for s in sheets}
    for tab in ("Inventory (before lotsync 2026-11-28)", FINDINGS_TAB, SUMMARY_TAB):
        assert by_tab[tab].rows == [] and "not read" in by_tab[tab].notes[0]
    assert by_tab["Inventory"].rows[3][5] == 60


def test_not_shared_names_the_service_account(clinic: FakeSheetsServer, key_file: Path) -> None:
    clinic.spreadsheets[SID].shared = False
    client = open_client(credentials=key_file)
    with pytest.raises(ReadError) as err:
        read_gsheet(GSheetSource(SID), client)
    message = str(err.value)
    assert "403" in message and EMAIL in message and "share" in message
    assert SECRET not in message and "\n" not in message
    assert clinic.count() == 1, "403 is not retried"


def test_email_from_google_application_credentials(
    clinic: FakeSheetsServer, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_file))
    clinic.spreadsheets[SID].shared = False
    with pytest.raises(ReadError, match=EMAIL):
        read_gsheet(GSheetSource(SID), open_client())


def test_not_found(clinic: FakeSheetsServer) -> None:
    with pytest.raises(ReadError) as err:
        read_gsheet(GSheetSource("1NoSuchSpreadsheet"), open_client())
    assert "not found (404)" in str(err.value) and "check the id" in str(err.value)
    assert clinic.count() == 1


def test_429_is_retried_then_succeeds(clinic: FakeSheetsServer) -> None:
    clinic.fail(429, route="spreadsheets.get", nth=1, times=2)
    clinic.fail(503, route="spreadsheets.get", nth=4, times=1)  # the first grid read, once
    client = open_client()
    sheets = read_gsheet(GSheetSource(SID), client)
    assert sheets[0].rows == expected_inventory()
    assert requests_made(client) == 6 == clinic.count()
    assert gsheets.request_log(client)[:3] == [f"GET /v4/spreadsheets/{SID} -> 429"] * 2 + [
        f"GET /v4/spreadsheets/{SID} -> 200"
    ]


def test_429_for_ever_gives_a_clear_error(clinic: FakeSheetsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    clinic.fail(429, route="spreadsheets.get", times=None)
    client = open_client()
    client.http_client.sleep = waits.append
    with pytest.raises(ReadError) as err:
        read_gsheet(GSheetSource(SID), client)
    message = str(err.value)
    assert "quota exceeded (429)" in message and f"after {gsheets.MAX_TRIES} tries" in message
    assert clinic.count() == gsheets.MAX_TRIES
    # exponential backoff with jitter: each wait within [d/2, d] of d = base * 2**n
    base = gsheets.backoff_base()
    assert len(waits) == gsheets.MAX_TRIES - 1
    for n, wait in enumerate(waits):
        assert base * 2**n / 2 <= wait <= base * 2**n


def test_unreachable_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("LOTSYNC_SHEETS_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("LOTSYNC_SHEETS_BACKOFF_BASE", "0.001")
    client = open_client()
    with pytest.raises(ReadError, match="cannot reach the Google Sheets API"):
        read_gsheet(GSheetSource(SID), client)
    assert requests_made(client) == gsheets.MAX_TRIES


def test_emulator_session_refuses_every_other_host(clinic: FakeSheetsServer) -> None:
    client = open_client()
    for url in (
        "https://www.googleapis.com/drive/v3/files",
        "https://oauth2.googleapis.com/token",
        "http://example.com/",
        "https://sheets.googleapis.com.evil.example/v4/spreadsheets/x",
    ):
        with pytest.raises(BlockedRequest):
            client.http_client.request("get", url)
    with pytest.raises(BlockedRequest):
        client.open("Glow Med Spa — Inventory 2026")  # gspread's Drive lookup
    assert clinic.count() == 0


# ---------------------------------------------------------------------------------------
# Credentials (no network: nothing here makes a request)


def test_credentials_resolution(
    key_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOTSYNC_SHEETS_API_URL", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setattr(gspread.auth, "DEFAULT_SERVICE_ACCOUNT_FILENAME", tmp_path / "none" / "sa.json")
    monkeypatch.setattr(gspread.auth, "DEFAULT_CREDENTIALS_FILENAME", tmp_path / "none" / "credentials.json")
    monkeypatch.setattr(gspread.auth, "DEFAULT_AUTHORIZED_USER_FILENAME", tmp_path / "none" / "authorized.json")

    with pytest.raises(ReadError, match="credentials file not found: .*missing.json"):
        open_client(credentials=tmp_path / "missing.json")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "gone.json"))
    with pytest.raises(ReadError, match="GOOGLE_APPLICATION_CREDENTIALS"):
        open_client()
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS")

    # a key whose private key is broken: a clear error that never shows the key
    with pytest.raises(ReadError) as err:
        open_client(credentials=key_file)
    assert "not a usable service-account key" in str(err.value) and SECRET not in str(err.value)

    # a real (freshly generated) key: a client, the email known, no request made
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    info = json.loads(key_file.read_text())
    info["private_key"] = pem
    good = tmp_path / "good.json"
    good.write_text(json.dumps(info))
    client = open_client(credentials=good)
    assert gsheets.account_email(client) == EMAIL and requests_made(client) == 0

    # nothing at all: one line saying what to do
    with pytest.raises(ReadError, match="no Google credentials found: pass --credentials"):
        open_client()

    # an OAuth desktop client file at gspread's default place: gspread's OAuth flow runs
    secrets = tmp_path / "none" / "credentials.json"
    secrets.parent.mkdir()
    secrets.write_text(json.dumps({"installed": {"client_id": "x", "client_secret": "y"}}))
    calls: list[dict[str, Any]] = []

    def fake_oauth(**kwargs: Any) -> gspread.Client:
        calls.append(kwargs)
        return gspread.Client(auth=None, session=requests.Session(), http_client=kwargs["http_client"])

    monkeypatch.setattr(gspread, "oauth", fake_oauth)
    client = open_client()
    assert calls and calls[0]["credentials_filename"] == secrets
    assert client.http_client.mode == "oauth"


# ---------------------------------------------------------------------------------------
# Write-back

FINDINGS = [
    ["severity", "code", "message", "where", "value"],
    ["error", "UNKNOWN_LOT", '=HYPERLINK("http://evil.example","click")', "Visits (March)!F4", None],
    ["warning", "REMAINING_MISMATCH", "Remaining 80, derived 60", "Inventory!F4", 12240.0],
    ["warning", "REMAINING_MISMATCH", "+1 vial unaccounted", "Inventory!F6", 2.5],
]
SUMMARY = [["lots", 3], ["errors", 1], ["warnings", 2]]


def changes() -> list[CellChange]:
    return [
        CellChange("Inventory", "F4", 80, 60, "Remaining was 80; lotsync derives 60 from receipts and visits"),
        CellChange("Inventory", "f7", 204.5, 184.5, "Total remaining recomputed"),
        CellChange("Visits (March)", "E3", 1, 2, "1 syringe = 2 units? check"),
    ]


def test_write_back_changes_exactly_the_intended_cells(clinic: FakeSheetsServer) -> None:
    client = open_client()
    read_gsheet(GSheetSource(SID), client)
    before = {tab: sheet_values(clinic, tab) for tab in ("Inventory", "Visits (March)")}
    before_formats = clinic.sheet(SID, "Inventory").cells[(3, 4)].fmt
    before_cells = copy.deepcopy(clinic.sheet(SID, "Inventory").cells)
    clinic.clear_log()
    start = requests_made(client)

    report = write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)

    # exactly the intended cells changed, nothing else
    after = {tab: sheet_values(clinic, tab) for tab in before}
    expected = {tab: [list(row) for row in rows] for tab, rows in before.items()}
    expected["Inventory"][3][5] = 60
    expected["Visits (March)"][2][4] = 2  # F7 holds a formula: it stays (note only)
    assert after == expected
    inv = clinic.sheet(SID, "Inventory")
    assert inv.cells[(3, 4)].fmt == before_formats, "formats untouched"
    # notes: lotsync's note on each changed cell; a person's note is kept
    assert clinic.cell(SID, "Inventory", "F4").note == (
        "lotsync 2026-11-28: Remaining was 80; lotsync derives 60 from receipts and visits"
    )
    assert clinic.cell(SID, "Inventory", "F7").note == "checked by Dana\n\nlotsync 2026-11-28: Total remaining recomputed"
    assert clinic.cell(SID, "Inventory", "F7").formula == "=SUM(F4:F6)"
    assert [(r, c) for (r, c), cell in inv.cells.items() if cell.note] == [(3, 5), (6, 5)]
    assert clinic.cell(SID, "Visits (March)", "E3").note == "lotsync 2026-11-28: 1 syringe = 2 units? check"

    # backups hold the old values (and notes), tabs added at the end
    assert clinic.titles(SID) == [
        "Inventory",
        "Visits (March)",
        "Old stuff",
        "Inventory (before lotsync 2026-11-28)",
        "Visits (March) (before lotsync 2026-11-28)",
        FINDINGS_TAB,
        SUMMARY_TAB,
    ]
    assert sheet_values(clinic, "Inventory (before lotsync 2026-11-28)") == before["Inventory"]
    assert sheet_values(clinic, "Visits (March) (before lotsync 2026-11-28)") == before["Visits (March)"]
    assert clinic.cell(SID, "Inventory (before lotsync 2026-11-28)", "F7").note == "checked by Dana"
    backup = clinic.sheet(SID, "Inventory (before lotsync 2026-11-28)")
    assert {k: (c.value, c.fmt, c.note, c.formula) for k, c in backup.cells.items()} == {
        k: (c.value, c.fmt, c.note, c.formula) for k, c in before_cells.items()
    }

    # findings and summary: written as text/numbers, formula-looking text neutralised
    findings = sheet_values(clinic, FINDINGS_TAB)
    assert findings[1][2] == "'" + FINDINGS[1][2] and clinic.cell(SID, FINDINGS_TAB, "C2").formula is None
    assert findings[3][2] == "'+1 vial unaccounted"
    assert findings[2] == FINDINGS[2] and findings[0] == FINDINGS[0]
    assert sheet_values(clinic, SUMMARY_TAB) == SUMMARY
    assert clinic.sheet(SID, FINDINGS_TAB).frozen_rows == 1

    # the report, and the request budget: metadata, guard read, ONE batchUpdate
    assert report.written is True and report.pending == ()
    assert report.cells_changed == (("Inventory", "F4"), ("Visits (March)", "E3"))
    assert report.formula_cells == (("Inventory", "F7"),)
    assert report.backup_tabs == (
        "Inventory (before lotsync 2026-11-28)",
        "Visits (March) (before lotsync 2026-11-28)",
    )
    assert report.tabs_written == (FINDINGS_TAB, SUMMARY_TAB)
    assert report.request_count == 3 == requests_made(client) - start
    assert [r.route for r in clinic.requests] == ["spreadsheets.get", "spreadsheets.get", "spreadsheets.batchUpdate"]
    assert clinic.requests[1].query["ranges"] == ["'Inventory'!F4:F7", "'Visits (March)'!E3:E3"]
    assert any("changed 2 cell(s)" in line for line in report.lines())
    assert any("formula(s) left as they are, note added: Inventory!F7" in line for line in report.lines())


def test_write_back_again_the_same_day(clinic: FakeSheetsServer) -> None:
    client = open_client()
    write_back(client, SID, changes()[:1], FINDINGS, SUMMARY, TODAY)
    report = write_back(
        client,
        SID,
        [CellChange("Inventory", "F4", 60, 55, "Remaining was 60; derived 55")],
        [["severity", "code"], ["info", "PRODUCT_ALIAS"]],
        SUMMARY[:1],
        TODAY,
    )
    assert report.backup_tabs == ("Inventory (before lotsync 2026-11-28) 2",)
    assert sheet_values(clinic, "Inventory (before lotsync 2026-11-28) 2")[3][5] == 60
    assert sheet_values(clinic, "Inventory (before lotsync 2026-11-28)")[3][5] == 80
    # refreshed: cleared then written, old rows gone; still one tab each
    assert sheet_values(clinic, FINDINGS_TAB) == [["severity", "code"], ["info", "PRODUCT_ALIAS"]]
    assert sheet_values(clinic, SUMMARY_TAB) == SUMMARY[:1]
    assert clinic.titles(SID).count(FINDINGS_TAB) == 1
    # the earlier lotsync note is replaced, not stacked
    assert clinic.cell(SID, "Inventory", "F4").note == "lotsync 2026-11-28: Remaining was 60; derived 55"


def test_write_back_only_report_tabs(clinic: FakeSheetsServer) -> None:
    client = open_client()
    report = write_back(client, SID, [], FINDINGS, None, TODAY)
    assert report.request_count == 2 and report.backup_tabs == () and report.tabs_written == (FINDINGS_TAB,)
    assert SUMMARY_TAB not in clinic.titles(SID)
    big = [["row", i] for i in range(1500)]  # more rows than the tab has: it grows
    write_back(client, SID, [], big, None, TODAY)
    assert len(sheet_values(clinic, FINDINGS_TAB)) == 1500


def test_write_back_refuses_a_cell_edited_since_the_read(clinic: FakeSheetsServer) -> None:
    client = open_client()
    read_gsheet(GSheetSource(SID), client)
    clinic.edit(SID, "Inventory", "F7", "777")  # the front desk updates the total meanwhile
    before = {tab: sheet_values(clinic, tab) for tab in clinic.titles(SID)}
    clinic.clear_log()

    with pytest.raises(WriteBackConflict) as err:
        write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)

    message = str(err.value)
    assert "Inventory!F7" in message and "nothing was written" in message
    assert "777" not in message and "204.5" not in message, "no cell contents in messages"
    assert err.value.cells == (("Inventory", "F7"),)
    assert err.value.report.written is False and err.value.report.cells_changed == ()
    assert {tab: sheet_values(clinic, tab) for tab in clinic.titles(SID)} == before
    assert clinic.count(route="spreadsheets.batchUpdate") == 0 and clinic.count() == 2


def test_write_back_refuses_a_renamed_tab(clinic: FakeSheetsServer) -> None:
    client = open_client()
    clinic.sheet(SID, "Visits (March)").title = "Visits March"
    with pytest.raises(WriteBackConflict, match="'Visits \\(March\\)' no longer exist"):
        write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)
    assert clinic.count(route="spreadsheets.batchUpdate") == 0


def test_write_back_500_persisting_writes_nothing_and_says_so(clinic: FakeSheetsServer) -> None:
    client = open_client()
    before = {tab: sheet_values(clinic, tab) for tab in clinic.titles(SID)}
    clinic.fail(500, route="spreadsheets.batchUpdate", times=None)

    with pytest.raises(WriteBackError) as err:
        write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)

    message, report = str(err.value), err.value.report
    assert "(500)" in message and "nothing was written" in message
    assert report.written is False and report.cells_changed == () and report.backup_tabs == ()
    assert report.pending[:2] == (
        "2 cell value(s) and note(s): Inventory!F4, Visits (March)!E3",
        "1 note(s) on formula cells: Inventory!F7",
    )
    assert "backup tab 'Inventory (before lotsync 2026-11-28)'" in report.pending
    assert {tab: sheet_values(clinic, tab) for tab in clinic.titles(SID)} == before
    # each failed try was checked (metadata re-read) before the batch was sent again
    assert clinic.count(route="spreadsheets.batchUpdate") == gsheets.MAX_TRIES
    assert clinic.count(route="spreadsheets.get") == 2 + gsheets.MAX_TRIES
    assert report.request_count == clinic.count()


def test_write_back_500_after_applying_is_not_applied_twice(clinic: FakeSheetsServer) -> None:
    client = open_client()
    clinic.fail(500, route="spreadsheets.batchUpdate", apply=True)  # applied, response lost
    report = write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)
    assert report.written is True and "had been applied" in report.detail
    assert clinic.count(route="spreadsheets.batchUpdate") == 1
    assert clinic.titles(SID).count("Inventory (before lotsync 2026-11-28)") == 1
    assert "Inventory (before lotsync 2026-11-28) 2" not in clinic.titles(SID)
    assert sheet_values(clinic, "Inventory")[3][5] == 60


def test_write_back_500_then_server_down_says_how_to_tell(clinic: FakeSheetsServer) -> None:
    client = open_client()
    clinic.fail(500, route="spreadsheets.batchUpdate", apply=True)
    clinic.fail(503, route="spreadsheets.get", nth=3, times=None)  # the check fails too
    with pytest.raises(WriteBackError) as err:
        write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)
    assert err.value.report.written is None
    assert "outcome is unknown" in str(err.value)
    assert "if the tab 'Inventory (before lotsync 2026-11-28)' exists" in str(err.value)
    assert "Inventory (before lotsync 2026-11-28)" in clinic.titles(SID)  # it was written, all of it
    assert sheet_values(clinic, FINDINGS_TAB)[0] == FINDINGS[0]


def test_write_back_500_on_the_guard_read(clinic: FakeSheetsServer) -> None:
    client = open_client()
    clinic.fail(500, route="spreadsheets.get", nth=2, times=None)
    with pytest.raises(WriteBackError) as err:
        write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)
    assert err.value.report.written is False and "nothing was written" in str(err.value)
    assert clinic.count(route="spreadsheets.batchUpdate") == 0


def test_write_back_transient_500_is_resent_once_checked(clinic: FakeSheetsServer) -> None:
    client = open_client()
    clinic.fail(503, route="spreadsheets.batchUpdate", times=1)  # not applied
    report = write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)
    assert report.written is True and clinic.count(route="spreadsheets.batchUpdate") == 2
    assert report.request_count == 5  # metadata, guard, batch (503), check, batch


def test_write_back_viewer_only_share(clinic: FakeSheetsServer, key_file: Path) -> None:
    client = open_client(credentials=key_file)
    clinic.fail(403, route="spreadsheets.batchUpdate")
    with pytest.raises(WriteBackError) as err:
        write_back(client, SID, changes(), FINDINGS, SUMMARY, TODAY)
    assert f"share the spreadsheet with {EMAIL} as Editor" in str(err.value)
    assert "nothing was written" in str(err.value) and SECRET not in str(err.value)
    assert clinic.count(route="spreadsheets.batchUpdate") == 1


def test_write_back_rejects_bad_arguments(clinic: FakeSheetsServer) -> None:
    client = open_client()
    for bad in (
        [CellChange("Inventory", "F4:F5", 80, 60, "x")],
        [CellChange(FINDINGS_TAB, "A1", None, 1, "x")],
        [CellChange("Inventory", "F4", 80, 60, "x"), CellChange("Inventory", "$F$4", 80, 61, "y")],
    ):
        with pytest.raises(ValueError):
            write_back(client, SID, bad, None, None, TODAY)
    assert clinic.count() == 0


# ---------------------------------------------------------------------------------------
# The fake stays faithful to the recorded real API


def _cassette(name: str) -> list[dict[str, Any]]:
    path = CASSETTES / f"{name}.json"
    if not path.is_file():
        pytest.skip(f"recorded cassettes not found at {CASSETTES} (set LOTSYNC_GSPREAD_CASSETTES)")
    return json.loads(path.read_text())["interactions"]


def _body(part: Any) -> Any:
    if isinstance(part, dict):
        part = part.get("string")
    return json.loads(part) if part else None


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return type(value).__name__


@pytest.mark.parametrize(
    "name",
    [
        "SpreadsheetTest.test_values_get",
        "WorksheetTest.test_batch_update",
        "WorksheetTest.test_update_and_get",
        "WorksheetTest.test_get_all_values_date_time_render_options",
    ],
)
def test_fake_replays_recorded_interactions(sheets_server: FakeSheetsServer, name: str) -> None:
    """Replay gspread's recorded Sheets requests against the fake; compare the answers."""
    interactions = [i for i in _cassette(name) if "sheets.googleapis.com" in i["request"]["uri"]]
    first_id = interactions[0]["request"]["uri"].split("/spreadsheets/")[1].split("?")[0].split("/")[0]
    interactions = [i for i in interactions if f"/spreadsheets/{first_id}" in i["request"]["uri"]]
    meta = _body(interactions[0]["response"]["body"])
    sheets_server.add_spreadsheet(first_id, meta["properties"]["title"])
    session = gsheets.emulator_session(sheets_server.url)
    ids: dict[int, int] = {}
    compared = 0
    for inter in interactions:
        rq, rs = inter["request"], inter["response"]
        body = _body(rq.get("body"))
        text = json.dumps(body) if body is not None else None
        for recorded, ours in ids.items():
            text = text.replace(str(recorded), str(ours)) if text else text
        got = session.request(
            rq["method"],
            rq["uri"],
            data=text.encode() if text else None,
            headers={"Content-Type": "application/json"} if text else {},
        )
        want = _body(rs["body"])
        assert got.status_code == rs["status"]["code"], rq["uri"]
        answer = got.json()
        if "addSheet" in (text or "") and want:
            recorded_id = want["replies"][0]["addSheet"]["properties"]["sheetId"]
            ids[recorded_id] = answer["replies"][0]["addSheet"]["properties"]["sheetId"]
            want["replies"][0]["addSheet"]["properties"]["sheetId"] = ids[recorded_id]
        if rq["method"] == "GET" and "/values" not in rq["uri"]:
            assert _shape(answer).keys() == _shape(want).keys()
            assert answer["sheets"] == want["sheets"]
            for key in ("title", "locale", "autoRecalc", "timeZone", "defaultFormat"):
                assert answer["properties"][key] == want["properties"][key]
            assert answer["spreadsheetUrl"] == want["spreadsheetUrl"]
        else:
            assert answer == want, rq["method"] + " " + rq["uri"]
        compared += 1
    assert compared >= 4


def test_fake_metadata_matches_recorded_shape(sheets_server: FakeSheetsServer) -> None:
    recorded = _body(_cassette("ClientTest.test_open_by_key_has_metadata")[1]["response"]["body"])
    sheets_server.add_spreadsheet(recorded["spreadsheetId"], recorded["properties"]["title"])
    client = open_client()
    spreadsheet = client.open_by_key(recorded["spreadsheetId"])  # gspread's own metadata call
    assert spreadsheet.title == recorded["properties"]["title"]
    assert [ws.title for ws in spreadsheet.worksheets()] == ["Sheet1"]
    ours = client.http_client.fetch_sheet_metadata(recorded["spreadsheetId"])
    assert set(ours) == set(recorded)
    assert set(ours["properties"]) == set(recorded["properties"])
    assert ours["sheets"] == recorded["sheets"]
    assert _shape(ours["properties"]["spreadsheetTheme"]) == _shape(recorded["properties"]["spreadsheetTheme"])


def test_fake_render_options_for_clinic_cells(clinic: FakeSheetsServer) -> None:
    """What each render option gives for a date, a text date and currency (via gspread)."""
    ws = open_client().open_by_key(SID).worksheet("Inventory")
    rng = "C4:E5"
    assert ws.get(rng) == [["5/31/2027", "200", "$612.00"], ["3/4/2026", "10", "$300.50"]]
    assert ws.get(rng, value_render_option="UNFORMATTED_VALUE") == [[46538, 200, 612], ["3/4/2026", 10, 300.5]]
    assert ws.get(rng, value_render_option="UNFORMATTED_VALUE", date_time_render_option="FORMATTED_STRING") == [
        ["5/31/2027", 200, 612],
        ["3/4/2026", 10, 300.5],
    ]
    assert ws.get("A3:A9", major_dimension="COLUMNS") == [["Product", "BOTOX 100U", "Juvederm Ultra XC", "Dysport 300U", "Total"]]
    assert ws.get("H1:H3") == [[]]  # empty range: `values` omitted (gspread shows [[]])
    assert ws.get_all_values()[1] == [""] * 7  # trailing rows/cells trimmed, gaps padded by gspread
    ws.update([["=1+1", "2026-03-04"]], "H1", raw=False)
    assert ws.get("H1:I1", value_render_option="FORMULA") == [["=1+1", 46085]]
    assert ws.get("H1:I1") == [["2", "2026-03-04"]]
    ws.update([["=1+1"]], "H2")  # RAW: text, never a formula
    assert ws.get("H2", value_render_option="FORMULA") == [["=1+1"]]
    with pytest.raises(gspread.exceptions.APIError, match="exceeds grid limits"):
        ws.update([[1]], "A1001")
