"""Read a clinic's Google Sheets spreadsheet into `RawSheet`s, through gspread.

Sources
-------
`gsheet://<spreadsheet id>` (every tab), `gsheet://<spreadsheet id>/<tab>` (one tab), or the
link a person copies from the browser (`https://docs.google.com/spreadsheets/d/<id>/edit#gid=0`).
A browser link always carries the `#gid` of whichever tab happened to be open, so it does not
name a tab: a link means the whole spreadsheet, like `gsheet://<id>`.

How values are read (the render-option choice)
----------------------------------------------
The clinic must get back what it sees in the Sheets UI: a date cell is a `datetime.date`, a
currency or number cell a number, and a date typed as text stays `str` (downstream decides
day/month order per column and flags it). The values API cannot give that in one call:

* `FORMATTED_VALUE` (the default) returns display strings in the spreadsheet's locale
  ("3/4/2026" in en_US, "04/03/2026" in en_GB, "612,00 €"): a real date and a date typed as
  text are the same string, and numbers come back rounded to their display ("$612.00" for
  612.004). Rejected.
* `UNFORMATTED_VALUE` + `dateTimeRenderOption=SERIAL_NUMBER` returns exact numbers, but a date
  is the serial 46085, indistinguishable from a quantity of 46085 without the cell's format.
  Rejected.
* `UNFORMATTED_VALUE` + `FORMATTED_STRING` returns dates as locale display strings, again
  indistinguishable from dates typed as text. Rejected.
* `FORMULA` returns formula text instead of results. Rejected.
* Two values calls (unformatted + formatted) and guessing which numbers are dates doubles the
  requests and still guesses. Rejected.

Chosen: `spreadsheets.get` with `includeGridData=true`, `ranges` = row blocks of the tabs to
read, and a `fields` mask (`GRID_FIELDS`) asking for each cell's `effectiveValue` (the typed
result: numberValue / stringValue / boolValue / errorValue, exact and locale-free) and
`effectiveFormat.numberFormat.type` (DATE, DATE_TIME, TIME, CURRENCY, NUMBER, PERCENT, ...).
A number whose format is DATE becomes a `date` (serial days since 1899-12-30, the Sheets
epoch), DATE_TIME a `datetime` (to the second), TIME a `time`; every other number stays a
number (a percent cell showing 15% is 0.15); a string stays a string; an error cell is its
display (`#DIV/0!`), rebuilt from `errorValue.type`. `formattedValue` is not asked for (it
repeated every string and was a third of each response), and responses come unindented
(`prettyPrint=false`, a standard Google API parameter): together about a third of the bytes.

Reading at size (issue 10)
--------------------------
One grid read per spreadsheet made a 205k-row practice one 353 MB response (69 s, 1.8 GB
peak). Google recommends responses of at most 2 MB and allows 60 read requests a minute per
user. So a spreadsheet is read in row blocks (`plan_blocks`):

* the metadata request gives each tab's grid size; the first grid request (the probe) reads
  the first `PROBE_ROWS` rows of every tab (the whole tab when it is no longer), packed
  several tabs to a request within `BLOCK_BYTES` at a dense estimate (`DENSE_CELL_BYTES` a
  cell): a small spreadsheet is 3 requests in all (metadata, probe, the rest);
* each response's size is measured and shared among its tabs by the cells they returned;
  a tab's next block is as many rows as `BLOCK_BYTES` holds at the bytes of its densest
  measured rows (rows with a value); a block that came back empty (the blank rows Sheets
  keeps below the data) lets the next one grow fourfold, so a 1M-row grid holding 200k rows
  costs a few requests more, not hundreds. `BLOCK_BYTES` (1.5 MB) leaves room under the
  2 MB bound for rows longer than those measured;
* each block is parsed into the tab's rows as it arrives and its JSON dropped, so memory
  holds one response at a time, not the spreadsheet's whole grid;
* every request goes through the client's quota throttle (a sliding window of
  `READS_PER_MINUTE` reads, and as many writes, per `QUOTA_WINDOW` seconds), which sleeps
  rather than meet a 429; a 429 that comes anyway is retried with backoff (below).

Rejected: values.batchGet pages (no formats: dates cannot be told from numbers, above);
fixed-size blocks (a 26-column tab of long notes and a 6-column log differ fivefold per row);
streaming a single huge response with an incremental JSON parser (still one 353 MB response,
which Google may time out, and no quota relief for anyone else using the spreadsheet).

Tabs lotsync wrote itself (`lotsync findings`, `lotsync summary`, `<tab> (before lotsync
YYYY-MM-DD)` backups) are not read when reading all tabs (a backup would count every receipt
twice); each comes back as an empty `RawSheet` with a note, so the report can list it as
ignored instead of it vanishing. Hidden tabs are read, with a note. Chart sheets (no cells)
are left out.

Clients, retries, the emulator
------------------------------
`open_client()` builds a `gspread.Client` whose HTTP client (`SheetsHTTPClient`) counts every
request it makes (`requests_made(client)`, for `--verbose`) and retries 408, 429, 5xx (not
501) and connection errors with exponential backoff and jitter: `MAX_TRIES` tries in all, waits of
about `BACKOFF_BASE * 2**n` seconds (half of it random), capped at `BACKOFF_CAP`. Tests make
the waits tiny with `LOTSYNC_SHEETS_BACKOFF_BASE` (or by setting `BACKOFF_BASE`). gspread's own
`BackOffHTTPClient` is not used: its wait grows across unrelated requests and it sleeps up to
128 s without jitter. Before every attempt the client's throttle (`SheetsHTTPClient.throttle`)
waits, if need be, until the request is within the per-user quota (`READS_PER_MINUTE`, env
`LOTSYNC_SHEETS_READS_PER_MINUTE`; 0 turns it off), so a big read meets no 429 of its own.

With `LOTSYNC_SHEETS_API_URL` set (or `api_url=` given), every request for
`https://sheets.googleapis.com/` is sent to that base URL instead, over plain HTTP with no
credentials, through a `requests.Session` passed as `gspread.Client(auth=None, session=...)`
(the documented way to bring your own session; patching `gspread.urls` does not work). Any
other URL (Drive, OAuth token endpoints, anything) is refused by the session before a socket
opens. This is how the tests run and how a user tries lotsync safely.

Otherwise credentials are, in order: the `credentials` file, `GOOGLE_APPLICATION_CREDENTIALS`,
gspread's default service-account file (`~/.config/gspread/service_account.json`), and then
gspread's OAuth desktop flow (a person signs in in the browser). A credentials file may also be
an OAuth client file ("installed") or a stored authorized-user file. Key contents never appear
in messages; the service account's `client_email` (not secret) is kept so that a 403 can say
whom to share the spreadsheet with.

Errors become one-line `ReadError`s: 404 (check the id), 403 (share it with <email>, or enable
the Sheets API), 401 (key revoked), 429 after the retries (wait a minute), 5xx after the
retries, unreachable emulator. No cell content is ever part of a message.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from urllib.parse import unquote, urlsplit

import gspread
import gspread.auth
import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from requests.adapters import BaseAdapter, HTTPAdapter

from lotsync.readers.raw import Cell, RawSheet, ReadError

__all__ = [
    "API_ERRORS",
    "API_URL_ENV",
    "BACKOFF_ENV",
    "BlockedRequest",
    "GSheetSource",
    "SheetsHTTPClient",
    "account_email",
    "describe_api_error",
    "emulator_session",
    "is_retriable",
    "is_lotsync_tab",
    "open_client",
    "parse_gsheet_source",
    "quote_tab",
    "read_gsheet",
    "request_log",
    "requests_made",
    "status_of",
]

API_URL_ENV = "LOTSYNC_SHEETS_API_URL"
BACKOFF_ENV = "LOTSYNC_SHEETS_BACKOFF_BASE"
CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"
SHEETS_ORIGIN = "https://sheets.googleapis.com/"
SHEETS_API = "https://sheets.googleapis.com/v4/spreadsheets"

#: Seconds; the n-th retry waits about BACKOFF_BASE * 2**n (between half and all of it).
BACKOFF_BASE = 1.0
#: No single wait is longer than this many seconds.
BACKOFF_CAP = 32.0
#: Tries in all for one request (so MAX_TRIES - 1 retries): about 31 s of waiting at most
#: with the default base, enough to ride out most of a per-minute quota window.
MAX_TRIES = 6
#: HTTP statuses worth retrying (Google: 408, 429 and 5xx are transient; 501 is not).
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def is_retriable(status: int | None) -> bool:
    """408, 429 and every 5xx but 501."""
    return status is not None and (status in RETRY_STATUSES or (status >= 500 and status != 501))

#: Metadata read: no cell data, only what the reader needs.
META_FIELDS = (
    "spreadsheetId,properties(title,locale,timeZone),"
    "sheets(properties(sheetId,title,index,sheetType,hidden,gridProperties(rowCount,columnCount)))"
)
#: Grid-data read: typed value and number-format type only (no display strings).
GRID_FIELDS = (
    "sheets(properties(sheetId,title),data(startRow,startColumn,"
    "rowData(values(effectiveValue,effectiveFormat/numberFormat/type))))"
)

#: Google's recommended largest payload; the reader's blocks aim under it (bytes of JSON).
MAX_RESPONSE_BYTES = 2_000_000
#: Bytes a grid request is sized for (env LOTSYNC_SHEETS_BLOCK_BYTES overrides, for tests).
BLOCK_BYTES = 1_500_000
BLOCK_BYTES_ENV = "LOTSYNC_SHEETS_BLOCK_BYTES"
#: Rows of each tab the first grid request reads (a tab no longer is read whole).
PROBE_ROWS = 200
#: Bytes a cell is assumed to take before any was measured (a dated, formatted cell is ~90).
DENSE_CELL_BYTES = 70
#: A block that came back empty lets the next block of that tab be this many times longer.
EMPTY_GROWTH = 4
#: Google's per-user quota: read requests (and, apart, write requests) per window.
READS_PER_MINUTE = 60
QUOTA_ENV = "LOTSYNC_SHEETS_READS_PER_MINUTE"
#: Seconds: Google counts per minute; one more second absorbs latency and clock skew.
QUOTA_WINDOW = 61.0

#: errorValue.type -> what the cell shows.
_ERROR_DISPLAY = {
    "DIVIDE_BY_ZERO": "#DIV/0!", "N_A": "#N/A", "NAME": "#NAME?", "VALUE": "#VALUE!",
    "REF": "#REF!", "NUM": "#NUM!", "NULL_VALUE": "#NULL!", "ERROR": "#ERROR!",
    "LOADING": "#LOADING",
}

_SHEETS_EPOCH = dt.date(1899, 12, 30)
_SHEETS_EPOCH_DT = dt.datetime(1899, 12, 30)
_SCHEME = "gsheet://"
_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
_URL_ID_RE = re.compile(r"/spreadsheets/(?:u/\d+/)?d/([A-Za-z0-9_-]+)")
LOTSYNC_TABS = ("lotsync findings", "lotsync summary")
_BACKUP_RE = re.compile(r" \(before lotsync \d{4}-\d{2}-\d{2}\)(?: \d+)?$")


# ---------------------------------------------------------------------------------------
# Sources


@dataclass(frozen=True)
class GSheetSource:
    """A spreadsheet to read: its id and, optionally, the one tab to read."""

    spreadsheet_id: str
    tab: str | None = None

    @property
    def uri(self) -> str:
        """`gsheet://<id>`: the `RawSheet.file` of every tab read from it."""
        return f"{_SCHEME}{self.spreadsheet_id}"

    def __str__(self) -> str:
        return f"{self.uri}/{self.tab}" if self.tab else self.uri


def parse_gsheet_source(text: str) -> GSheetSource | None:
    """`gsheet://<id>[/<tab>]` or a Google Sheets link -> a `GSheetSource`.

    Returns None when `text` is not a Google Sheets source (a local path). Raises
    `ReadError` for a Google Sheets source that cannot work (no id, a "Publish to the web"
    link). The tab part may be percent-encoded (`gsheet://abc/Visits%20March`) and may
    contain `/`.
    """
    s = text.strip()
    if s[: len(_SCHEME)].lower() == _SCHEME:
        rest = s[len(_SCHEME) :]
        sid, _, tab = rest.partition("/")
        if not sid or not _ID_RE.match(sid):
            raise ReadError(f"{text}: expected gsheet://<spreadsheet id>[/<tab>]")
        tab = unquote(tab).strip() if tab else ""
        return GSheetSource(sid, tab or None)
    low = s.lower()
    for prefix in ("https://", "http://", ""):
        if low.startswith(prefix + "docs.google.com/spreadsheets/"):
            path = urlsplit(s if prefix else "https://" + s).path
            if re.search(r"/spreadsheets/(?:u/\d+/)?d/e/", path):
                raise ReadError(
                    f"{text}: a 'Publish to the web' link cannot be read through the Sheets API;"
                    " use the spreadsheet's own link (Share > Copy link)"
                )
            m = _URL_ID_RE.search(path)
            if not m:
                raise ReadError(f"{text}: no spreadsheet id in this link (expected .../spreadsheets/d/<id>/...)")
            return GSheetSource(m.group(1), None)
    return None


def quote_tab(title: str) -> str:
    """A tab title as the first part of an A1 range: `'Visits ''25'`."""
    return "'" + title.replace("'", "''") + "'"


def is_lotsync_tab(title: str) -> bool:
    """True for tabs lotsync writes: findings, summary and dated backups."""
    return title.casefold() in LOTSYNC_TABS or bool(_BACKUP_RE.search(title))


# ---------------------------------------------------------------------------------------
# HTTP: counting, retrying, emulator session


class BlockedRequest(requests.exceptions.RequestException):
    """The emulator session refused a request that is not for the Sheets API."""


def backoff_base() -> float:
    """The backoff base in seconds: `LOTSYNC_SHEETS_BACKOFF_BASE`, else `BACKOFF_BASE`."""
    env = os.environ.get(BACKOFF_ENV)
    if env:
        try:
            value = float(env)
            if value >= 0:
                return value
        except ValueError:
            pass
    return BACKOFF_BASE


def quota_per_window() -> int:
    """Requests of one kind allowed per quota window: `LOTSYNC_SHEETS_READS_PER_MINUTE`,
    else `READS_PER_MINUTE` (0 turns the throttle off)."""
    env = os.environ.get(QUOTA_ENV)
    if env:
        try:
            return max(0, int(env))
        except ValueError:
            pass
    return READS_PER_MINUTE


def block_bytes() -> int:
    """Bytes a grid request is sized for: `LOTSYNC_SHEETS_BLOCK_BYTES`, else `BLOCK_BYTES`."""
    env = os.environ.get(BLOCK_BYTES_ENV)
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return BLOCK_BYTES


def backoff_delay(failures: int) -> float:
    """Seconds to wait after the `failures`-th failure (0-based): exponential, with jitter."""
    ceiling = min(BACKOFF_CAP, backoff_base() * (2**failures))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def status_of(err: BaseException) -> int | None:
    """The HTTP status of a gspread `APIError` (from the response: the body may not be JSON)."""
    if isinstance(err, APIError):
        resp = getattr(err, "response", None)
        code = getattr(resp, "status_code", None)
        return int(code) if code is not None else int(err.code)
    return None


class SheetsHTTPClient(HTTPClient):
    """gspread's HTTP client, counting requests, keeping to the quota, retrying failures.

    `requests_made` counts every HTTP attempt (retries included); `log` holds one line per
    attempt (`"GET /v4/spreadsheets/<id> -> 200"`, no query string, no content);
    `response_bytes` the size of each successful response; `throttled` the seconds slept to
    stay within `per_window` reads (and, apart, writes) per `quota_window` seconds.
    `account_email` is the service account's address when known (for 403 messages).
    """

    def __init__(self, auth: Any, session: requests.Session | None = None) -> None:
        super().__init__(auth, session)
        self.requests_made = 0
        self.log: list[str] = []
        self.account_email: str | None = None
        self.mode = "google"
        self.max_tries: int | None = None  # None: the module's MAX_TRIES
        self.sleep = time.sleep
        self.clock = time.monotonic
        self.per_window = quota_per_window()  # requests of one kind per quota window; 0: no limit
        self.quota_window = QUOTA_WINDOW
        self.throttled = 0.0  # seconds slept to stay within the quota
        self._sent: dict[str, deque[float]] = {"read": deque(), "write": deque()}
        self.response_bytes: list[int] = []  # size of each successful response body

    def throttle(self, method: str) -> None:
        """Wait, if need be, so this request is at most the `per_window`-th of its kind
        (read: GET; write: the rest) in the last `quota_window` seconds. Google's quota is
        per user per minute; meeting it with a sleep beats earning a 429 and a backoff."""
        if self.per_window <= 0:
            return
        sent = self._sent["read" if method.upper() == "GET" else "write"]
        now = self.clock()
        while sent and now - sent[0] >= self.quota_window:
            sent.popleft()
        start = now
        if len(sent) >= self.per_window:
            start = sent[len(sent) - self.per_window] + self.quota_window
            wait = start - now
            if wait > 0:
                self.sleep(wait)
                self.throttled += wait
        sent.append(start)

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        tries = max(1, self.max_tries if self.max_tries is not None else MAX_TRIES)
        label = f"{method.upper()} {urlsplit(endpoint).path}"
        failures = 0
        while True:
            self.throttle(method)
            self.requests_made += 1
            try:
                response = super().request(method, endpoint, *args, **kwargs)
            except APIError as err:
                status = status_of(err)
                self.log.append(f"{label} -> {status}")
                if is_retriable(status) and failures + 1 < tries:
                    self.sleep(backoff_delay(failures))
                    failures += 1
                    continue
                err.lotsync_tries = failures + 1  # type: ignore[attr-defined]
                raise
            except BlockedRequest:
                self.log.append(f"{label} -> refused")
                raise
            except (requests.ConnectionError, requests.Timeout) as err:
                self.log.append(f"{label} -> {type(err).__name__}")
                if failures + 1 < tries:
                    self.sleep(backoff_delay(failures))
                    failures += 1
                    continue
                err.lotsync_tries = failures + 1  # type: ignore[attr-defined]
                raise
            self.log.append(f"{label} -> {response.status_code}")
            self.response_bytes.append(len(response.content))
            return response


def requests_made(client: gspread.Client) -> int:
    """HTTP requests this client has made so far (retries included); 0 if not counted."""
    return int(getattr(client.http_client, "requests_made", 0))


def request_log(client: gspread.Client) -> list[str]:
    """One line per HTTP request made so far (method, path, status); for `--verbose`."""
    return list(getattr(client.http_client, "log", []))


def account_email(client: gspread.Client) -> str | None:
    """The service account's email when known (from the key file's `client_email`)."""
    http = client.http_client
    email = getattr(http, "account_email", None)
    if email:
        return email
    auth = getattr(http, "auth", None)
    return getattr(auth, "service_account_email", None)


class _RewriteAdapter(HTTPAdapter):
    """Sends `https://sheets.googleapis.com/<path>` to `<base>/<path>`, with no proxy."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        request = request.copy()
        url = request.url or ""
        if url.lower().startswith(SHEETS_ORIGIN):
            url = self.base + "/" + url[len(SHEETS_ORIGIN) :]
        request.url = url
        request.headers.pop("Authorization", None)
        kwargs["proxies"] = {}
        return super().send(request, **kwargs)


class _RefuseAdapter(BaseAdapter):
    """Refuses every request it is asked to send (mounted on http:// and https://)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        host = urlsplit(request.url or "").hostname or "?"
        raise BlockedRequest(
            f"lotsync refused a request to {host}: with {API_URL_ENV} set, only Sheets API"
            f" requests are sent, to {self.base}"
        )

    def close(self) -> None:
        pass


def emulator_session(base_url: str) -> requests.Session:
    """A session that sends Sheets API requests to `base_url` and refuses everything else."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ReadError(f"{API_URL_ENV}={base_url!r}: expected a base URL such as http://127.0.0.1:8123")
    session = requests.Session()
    session.trust_env = False  # no proxies or .netrc from the environment
    refuse = _RefuseAdapter(base_url)
    session.mount("http://", refuse)
    session.mount("https://", refuse)
    session.mount(SHEETS_ORIGIN, _RewriteAdapter(base_url))  # longest prefix wins
    return session


# ---------------------------------------------------------------------------------------
# Credentials


def _load_json(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as err:
        raise ReadError(f"cannot read credentials file {path} ({type(err).__name__})") from None
    except ValueError:
        raise ReadError(f"credentials file {path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ReadError(f"credentials file {path} is not a Google credentials file")
    return data


def _client_email(path: str | os.PathLike[str] | None) -> str | None:
    """`client_email` of a service-account key file, or None (never raises)."""
    if not path:
        return None
    try:
        data = _load_json(Path(path).expanduser())
    except ReadError:
        return None
    email = data.get("client_email")
    return email if data.get("type") == "service_account" and isinstance(email, str) else None


def _client_from_file(path: Path) -> gspread.Client:
    info = _load_json(path)
    kind = info.get("type")
    if kind == "service_account":
        try:
            client = gspread.service_account_from_dict(info, http_client=SheetsHTTPClient)
        except Exception as err:  # google-auth: ValueError, MalformedError, ...
            raise ReadError(
                f"{path} is not a usable service-account key ({type(err).__name__});"
                " download a new JSON key for the service account"
            ) from None
        client.http_client.account_email = info.get("client_email")  # type: ignore[attr-defined]
        client.http_client.mode = "service account"  # type: ignore[attr-defined]
        return client
    if kind == "authorized_user":
        try:
            from google.oauth2.credentials import Credentials as UserCredentials

            creds = UserCredentials.from_authorized_user_info(info)
        except Exception as err:
            raise ReadError(f"{path} is not a usable authorized-user file ({type(err).__name__})") from None
        client = gspread.Client(auth=creds, http_client=SheetsHTTPClient)
        client.http_client.mode = "oauth"  # type: ignore[attr-defined]
        return client
    if "installed" in info or "web" in info:
        return _oauth_client(credentials_filename=path)
    raise ReadError(
        f"{path} is neither a service-account key nor an OAuth client file"
        " (download the key from Google Cloud: IAM > Service accounts > Keys > Add key > JSON)"
    )


def _oauth_client(credentials_filename: Path | None = None) -> gspread.Client:
    secrets = Path(credentials_filename or gspread.auth.DEFAULT_CREDENTIALS_FILENAME)
    authorized = Path(gspread.auth.DEFAULT_AUTHORIZED_USER_FILENAME)
    if not secrets.is_file() and not authorized.is_file():
        raise ReadError(
            "no Google credentials found: pass --credentials KEY.json (a service-account key),"
            f" set {CREDENTIALS_ENV}, or, to sign in as yourself, save an OAuth desktop client"
            f" file as {secrets}"
        )
    try:
        client = gspread.oauth(
            credentials_filename=secrets,
            authorized_user_filename=authorized,
            http_client=SheetsHTTPClient,
        )
    except ReadError:
        raise
    except Exception as err:
        raise ReadError(f"Google sign-in failed ({type(err).__name__}); run again to retry") from None
    client.http_client.mode = "oauth"  # type: ignore[attr-defined]
    return client


def open_client(credentials: str | os.PathLike[str] | None = None, *, api_url: str | None = None) -> gspread.Client:
    """A gspread client for lotsync: counted, retrying, emulator-aware.

    `api_url` (the CLI's config key) or env `LOTSYNC_SHEETS_API_URL`: talk to that base URL
    over plain HTTP with no credentials; the key file, if named, is only read for its
    `client_email`. Otherwise `credentials`, then `GOOGLE_APPLICATION_CREDENTIALS`, then
    gspread's default service-account file, then the OAuth desktop flow. Raises `ReadError`
    (one line, never key material) when no usable credentials exist.
    """
    base = api_url or os.environ.get(API_URL_ENV) or None
    named = os.fspath(credentials) if credentials else os.environ.get(CREDENTIALS_ENV) or None
    if base:
        client = gspread.Client(auth=None, session=emulator_session(base), http_client=SheetsHTTPClient)
        client.http_client.account_email = _client_email(named)  # type: ignore[attr-defined]
        client.http_client.mode = f"emulator {base}"  # type: ignore[attr-defined]
        return client
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            origin = "" if credentials else f" (from {CREDENTIALS_ENV})"
            raise ReadError(f"credentials file not found: {path}{origin}")
        return _client_from_file(path)
    default_sa = Path(gspread.auth.DEFAULT_SERVICE_ACCOUNT_FILENAME)
    if default_sa.is_file():
        return _client_from_file(default_sa)
    return _oauth_client()


# ---------------------------------------------------------------------------------------
# Errors

try:
    from google.auth.exceptions import GoogleAuthError as _GoogleAuthError
except ImportError:  # pragma: no cover
    _GoogleAuthError = APIError  # type: ignore[misc,assignment]

#: What a Sheets API call can raise: API errors, transport errors (including the emulator
#: refusing a host), authentication errors, a body that is not JSON.
API_ERRORS: tuple[type[BaseException], ...] = (APIError, requests.RequestException, _GoogleAuthError, ValueError)


def describe_api_error(
    err: BaseException,
    where: str,
    email: str | None = None,
    *,
    writing: bool = False,
) -> str:
    """One line for the user about a failed Sheets API call. No cell contents, no key."""
    tries = getattr(err, "lotsync_tries", 1)
    after = f" after {tries} tries" if tries > 1 else ""
    if isinstance(err, BlockedRequest):
        return f"{where}: {err}"
    if isinstance(err, (requests.ConnectionError, requests.Timeout)):
        return f"{where}: cannot reach the Google Sheets API ({type(err).__name__}{after}); check the network"
    try:
        from google.auth.exceptions import GoogleAuthError, RefreshError
    except ImportError:  # pragma: no cover
        GoogleAuthError = RefreshError = ()  # type: ignore[assignment,misc]
    if isinstance(err, RefreshError):
        return f"{where}: Google rejected the credentials (the key may be revoked or deleted); create a new key"
    if isinstance(err, GoogleAuthError):
        return f"{where}: could not authenticate with Google ({type(err).__name__})"
    if not isinstance(err, APIError):
        return f"{where}: Google Sheets request failed ({type(err).__name__})"
    status = status_of(err)
    error = err.error if isinstance(err.error, Mapping) else {}
    message = str(error.get("message", ""))
    blob = json.dumps(error.get("details", "")) + message
    role = "Editor" if writing else "Viewer (Editor for --write-back)"
    if status == 404:
        return f"{where}: spreadsheet not found (404): check the id in the link"
    if status == 403:
        if "SERVICE_DISABLED" in blob or "has not been used" in message or "is disabled" in message:
            return f"{where}: the Google Sheets API is not enabled for this Google Cloud project (403): enable it in the Cloud console"
        if email:
            return f"{where}: no access (403): share the spreadsheet with {email} as {role}"
        return f"{where}: no access (403): share the spreadsheet, as {role}, with the Google account lotsync signs in as"
    if status == 401:
        return f"{where}: Google rejected the credentials (401): the key may be revoked; create a new key"
    if status == 429:
        return f"{where}: Google Sheets API quota exceeded (429){after}: wait a minute and run again"
    if status is not None and status >= 500:
        return f"{where}: the Google Sheets API failed ({status}){after}: try again later"
    short = " ".join(message.split())[:200]
    return f"{where}: the Google Sheets API refused the request ({status}): {short}"


# ---------------------------------------------------------------------------------------
# Reading


def _serial_to_date(x: float) -> dt.date:
    return _SHEETS_EPOCH + dt.timedelta(days=int(x // 1))


def _serial_to_datetime(x: float) -> dt.datetime:
    return _SHEETS_EPOCH_DT + dt.timedelta(seconds=round(x * 86400))


def _serial_to_time(x: float) -> dt.time | dt.timedelta:
    seconds = round(x * 86400)
    if 0 <= seconds < 86400:
        return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    return dt.timedelta(seconds=seconds)  # a duration such as [h]:mm over a day


def cell_value(cell: Mapping[str, Any]) -> Cell:
    """One `CellData` (effectiveValue + number-format type) -> the value a person sees."""
    ev = cell.get("effectiveValue")
    if not ev:
        return None
    if "stringValue" in ev:
        return ev["stringValue"] if ev["stringValue"] != "" else None
    if "boolValue" in ev:
        return bool(ev["boolValue"])
    if "errorValue" in ev:
        err = ev["errorValue"] or {}
        return cell.get("formattedValue") or _ERROR_DISPLAY.get(err.get("type", ""), "#ERROR!")
    if "numberValue" not in ev:
        return None
    x = ev["numberValue"]
    kind = ((cell.get("effectiveFormat") or {}).get("numberFormat") or {}).get("type")
    try:
        if kind == "DATE":
            return _serial_to_date(x)
        if kind == "DATE_TIME":
            return _serial_to_datetime(x)
        if kind == "TIME":
            return _serial_to_time(x)
    except (OverflowError, ValueError):
        return cell.get("formattedValue") or x  # a serial outside Python's dates: the number
    return x


def add_block(rows: list[list[Cell]], block: Mapping[str, Any],
              shared: dict[Any, Any] | None = None) -> tuple[int, int, int]:
    """Parse one `GridData` block into `rows` (row 1 at index 0), in place.

    `shared` (one per read) makes equal text and dates one object: a product name, a
    provider or a date repeated on 200k rows is then stored once, not once per cell (JSON
    decoding makes a new object for each).

    Returns (cells returned, rows holding a value, 0-based index of the last such row or
    -1): what the block cost and held, for sizing the next one.
    """
    r0 = int(block.get("startRow", 0))
    c0 = int(block.get("startColumn", 0))
    cells = data_rows = 0
    last = -1
    for i, row in enumerate(block.get("rowData", []) or []):
        values = row.get("values", []) or []
        cells += len(values)
        held = False
        for j, cd in enumerate(values):
            value = cell_value(cd)
            if value is None:
                continue
            if shared is not None and value.__class__ in (str, dt.date):
                value = shared.setdefault(value, value)
            held = True
            r, c = r0 + i, c0 + j
            while len(rows) <= r:
                rows.append([])
            line = rows[r]
            if len(line) <= c:
                line.extend([None] * (c + 1 - len(line)))
            line[c] = value
        data_rows += held
        if held:
            last = r0 + i
    return cells, data_rows, last


def grid_rows(data: Iterable[Mapping[str, Any]]) -> list[list[Cell]]:
    """`GridData` blocks of one tab -> rows, row 1 at index 0, trailing blanks trimmed."""
    rows: list[list[Cell]] = []
    for block in data:
        add_block(rows, block)
    while rows and not rows[-1]:
        rows.pop()
    return rows


@dataclass
class TabPlan:
    """Reading one tab in row blocks: where the next block starts, and what rows cost."""

    title: str
    row_count: int
    col_count: int
    next_row: int = 0  # 0-based: the first row not read yet
    row_bytes: float = 0.0  # bytes of the densest rows measured so far (0: none yet)
    last_rows: int = 0  # rows asked for in the last block
    last_empty: bool = False  # the last block ended in rows holding no value
    last_data_rows: int = 0  # rows holding a value in the last block
    rows: list[list[Cell]] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.next_row >= self.row_count

    def estimate(self, seen: float = 0.0) -> float:
        """Bytes one row of this tab is expected to take: its own measure, else the widest
        row measured in another tab (`seen`), else a dense cell for every grid column."""
        dense = DENSE_CELL_BYTES * max(1, self.col_count)
        return self.row_bytes or (min(seen, dense) if seen else dense)


def plan_blocks(tabs: list[TabPlan], budget: int) -> list[tuple[TabPlan, int, int]]:
    """The blocks (tab, first row, end row; 0-based, half-open) of the next grid request.

    Tabs in order, each as many rows as the budget left holds at its estimate; a tab that
    has read nothing yet gets at most `PROBE_ROWS` (the probe); a tab whose last block was
    empty may grow `EMPTY_GROWTH` times past what its estimate allows. At least one row.
    """
    out: list[tuple[TabPlan, int, int]] = []
    left = float(budget)
    seen = max((t.row_bytes for t in tabs), default=0.0)
    for tab in tabs:
        if tab.done:
            continue
        per_row = tab.estimate(seen)
        fit = int(left // per_row)
        if tab.last_empty:
            fit = max(fit, tab.last_rows * EMPTY_GROWTH)
        if tab.next_row == 0:
            fit = min(fit, PROBE_ROWS if tab.row_count > PROBE_ROWS else tab.row_count)
        # a block past the data is charged as if it held what the last one held
        charged = min(int(left // per_row), max(1, tab.last_data_rows)) if tab.last_empty else fit
        rows = min(tab.row_count - tab.next_row, fit)
        if rows <= 0:
            if out:
                break
            rows = 1
        out.append((tab, tab.next_row, tab.next_row + rows))
        left -= max(1, min(rows, charged)) * per_row
        if left < per_row:
            break
    return out


def block_range(tab: TabPlan, start: int, end: int) -> str:
    """The A1 range of rows start..end-1: the bare tab when that is all of it."""
    if start == 0 and end >= tab.row_count:
        return quote_tab(tab.title)
    return f"{quote_tab(tab.title)}!{start + 1}:{end}"


def read_blocks(http: Any, spreadsheet_id: str, tabs: list[TabPlan]) -> None:
    """Read every tab of `tabs` into its `rows`, one bounded request at a time.

    Raises the API errors of `http.request` (the caller turns them into one line).
    """
    budget = block_bytes()
    url = f"{SHEETS_API}/{spreadsheet_id}"
    shared: dict[Any, Any] = {}
    while True:
        blocks = plan_blocks(tabs, budget)
        if not blocks:
            return
        response = http.request(
            "get",
            url,
            params={
                "includeGridData": "true",
                "ranges": [block_range(t, a, b) for t, a, b in blocks],
                "fields": GRID_FIELDS,
                "prettyPrint": "false",
            },
        )
        size = len(response.content)
        payload = response.json()
        del response
        by_title: dict[str, list[Mapping[str, Any]]] = {}
        for sheet in payload.get("sheets", []) or []:
            t = (sheet.get("properties") or {}).get("title")
            if t is not None:
                by_title.setdefault(t, []).extend(sheet.get("data", []) or [])
        del payload
        measured: list[tuple[TabPlan, int, int, int]] = []
        for tab, start, end in blocks:
            cells = data_rows = 0
            last = -1
            for block in by_title.pop(tab.title, []):  # a tab appears once per request
                c, d, lr = add_block(tab.rows, block, shared)
                cells, data_rows, last = cells + c, data_rows + d, max(last, lr)
            measured.append((tab, end - start, cells, data_rows))
            tab.next_row = end
            tab.last_empty = last < end - 1
        total_cells = sum(m[2] for m in measured) or 1
        for tab, asked, cells, data_rows in measured:
            tab.last_rows, tab.last_data_rows = asked, data_rows
            if data_rows:
                per_row = size * cells / total_cells / data_rows
                tab.row_bytes = max(per_row, tab.row_bytes * 0.5)


def _resolve_tab(wanted: str, titles: list[str], label: str) -> str:
    if wanted in titles:
        return wanted
    folded = [t for t in titles if t.casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    listed = ", ".join(repr(t) for t in titles) or "none"
    raise ReadError(f"{label}: no tab named {wanted!r} (tabs: {listed})")


def read_gsheet(source: GSheetSource, client: gspread.Client) -> list[RawSheet]:
    """All tabs of the spreadsheet (or the named one) as `RawSheet`s, in tab order.

    One metadata request, then grid reads in row blocks of about `BLOCK_BYTES` each (see
    the module docstring). `RawSheet.file` is `gsheet://<id>`, `sheet` the tab title,
    `display_file` the spreadsheet title.
    """
    http = client.http_client
    label = str(source)
    email = account_email(client)
    try:
        meta = http.spreadsheets_get(
            source.spreadsheet_id, params={"includeGridData": "false", "fields": META_FIELDS}
        )
    except API_ERRORS as err:
        raise ReadError(describe_api_error(err, label, email)) from err
    title = (meta.get("properties") or {}).get("title") or source.spreadsheet_id
    tabs = [s.get("properties", {}) for s in meta.get("sheets", []) or []]
    tabs.sort(key=lambda p: p.get("index", 0))
    grid_tabs = [p for p in tabs if p.get("sheetType", "GRID") == "GRID"]
    titles = [p.get("title", "") for p in grid_tabs]

    if source.tab is not None:
        wanted = _resolve_tab(source.tab, titles, f"{label} ({title})")
        plan = [(p, True) for p in grid_tabs if p.get("title") == wanted]
    else:
        plan = [(p, not is_lotsync_tab(p.get("title", ""))) for p in grid_tabs]

    to_read: dict[str, TabPlan] = {}
    for p, read in plan:
        if read:
            grid = p.get("gridProperties") or {}
            t = p.get("title", "")
            to_read[t] = TabPlan(t, max(1, int(grid.get("rowCount", 1) or 1)),
                                 max(1, int(grid.get("columnCount", 1) or 1)))
    try:
        read_blocks(http, source.spreadsheet_id, list(to_read.values()))
    except API_ERRORS as err:
        raise ReadError(describe_api_error(err, label, email)) from err

    out: list[RawSheet] = []
    for props, read in plan:
        t = props.get("title", "")
        notes: list[str] = []
        if props.get("hidden"):
            notes.append("hidden tab")
        if not read:
            notes.append("tab written by lotsync (findings, summary or backup): not read")
            rows: list[list[Cell]] = []
        else:
            rows = to_read[t].rows
            while rows and not rows[-1]:
                rows.pop()
        out.append(RawSheet(source.uri, t, rows, display_file=title, notes=tuple(notes)))
    return out
