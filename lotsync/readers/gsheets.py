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

Chosen: `spreadsheets.get` with `includeGridData=true`, `ranges` = the tabs to read, and a
`fields` mask (`GRID_FIELDS`) asking for each cell's `effectiveValue` (the typed result:
numberValue / stringValue / boolValue / errorValue, exact and locale-free),
`effectiveFormat.numberFormat.type` (DATE, DATE_TIME, TIME, CURRENCY, NUMBER, PERCENT, ...)
and `formattedValue` (only used for error cells such as `#DIV/0!`). A number whose format is
DATE becomes a `date` (serial days since 1899-12-30, the Sheets epoch), DATE_TIME a `datetime`
(to the second), TIME a `time`; every other number stays a number (a percent cell showing 15%
is 0.15); a string stays a string. The price is a larger response than a values call (a few
times larger: one object per cell), still one read request against the per-minute quota.

Requests per spreadsheet read: 2 — the metadata `spreadsheets.get` (title, tabs, which tab a
`/<tab>` names) and ONE grid-data `spreadsheets.get` for all the tabs read (none when every
tab is skipped), whatever the number of rows or tabs. Retries of 429/5xx add to that count.

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
128 s without jitter.

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
from dataclasses import dataclass
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
#: Grid-data read: typed value, number-format type, and display string (for error cells).
GRID_FIELDS = (
    "sheets(properties(sheetId,title),data(startRow,startColumn,"
    "rowData(values(effectiveValue,formattedValue,effectiveFormat/numberFormat/type))))"
)

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
    """gspread's HTTP client, counting requests and retrying transient failures.

    `requests_made` counts every HTTP attempt (retries included); `log` holds one line per
    attempt (`"GET /v4/spreadsheets/<id> -> 200"`, no query string, no content).
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

    def request(self, method: str, endpoint: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        tries = max(1, self.max_tries if self.max_tries is not None else MAX_TRIES)
        label = f"{method.upper()} {urlsplit(endpoint).path}"
        failures = 0
        while True:
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
        return cell.get("formattedValue") or "#ERROR!"
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
        return cell.get("formattedValue") or x  # a serial outside Python's dates
    return x


def grid_rows(data: Iterable[Mapping[str, Any]]) -> list[list[Cell]]:
    """`GridData` blocks of one tab -> rows, row 1 at index 0, trailing blanks trimmed."""
    rows: list[list[Cell]] = []
    for block in data:
        r0 = int(block.get("startRow", 0))
        c0 = int(block.get("startColumn", 0))
        for i, row in enumerate(block.get("rowData", []) or []):
            for j, cd in enumerate(row.get("values", []) or []):
                value = cell_value(cd)
                if value is None:
                    continue
                r, c = r0 + i, c0 + j
                while len(rows) <= r:
                    rows.append([])
                line = rows[r]
                if len(line) <= c:
                    line.extend([None] * (c + 1 - len(line)))
                line[c] = value
    while rows and not rows[-1]:
        rows.pop()
    return rows


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

    Two requests: metadata, then one grid-data read for every tab read. `RawSheet.file` is
    `gsheet://<id>`, `sheet` the tab title, `display_file` the spreadsheet title.
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

    to_read = [p.get("title", "") for p, read in plan if read]
    data_by_title: dict[str, list[Mapping[str, Any]]] = {}
    if to_read:
        try:
            grid = http.spreadsheets_get(
                source.spreadsheet_id,
                params={
                    "includeGridData": "true",
                    "ranges": [quote_tab(t) for t in to_read],
                    "fields": GRID_FIELDS,
                },
            )
        except API_ERRORS as err:
            raise ReadError(describe_api_error(err, label, email)) from err
        for sheet in grid.get("sheets", []) or []:
            t = (sheet.get("properties") or {}).get("title")
            if t is not None:
                data_by_title.setdefault(t, []).extend(sheet.get("data", []) or [])

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
            rows = grid_rows(data_by_title.get(t, []))
        out.append(RawSheet(source.uri, t, rows, display_file=title, notes=tuple(notes)))
    return out
