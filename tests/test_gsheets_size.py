"""Google Sheets at size (issue 10): big tabs are read in row blocks that keep each response
bounded and the request rate within Google's per-user quota, and read the same rows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from fake_sheets import FakeSheetsServer, currency, sheets_server  # noqa: F401  (fixture)
from lotsync.readers import gsheets
from lotsync.readers.gsheets import GSheetSource, open_client, read_gsheet

SID = "1BigClinicSheet_-9"
HEADER = ["Date", "Patient", "Provider", "Product", "Lot #", "Units Used", "Location", "Charge"]


def visit_rows(n: int) -> list[list[Any]]:
    """A header and n visit rows: real dates, text, numbers and currency cells."""
    rows: list[list[Any]] = [HEADER]
    start = dt.date(2025, 1, 1)
    for i in range(n):
        rows.append([start + dt.timedelta(days=i % 365), f"P-{i:05d}", ["Dana", "Lee", "Kim"][i % 3],
                     "BOTOX 100U", f"C{3700 + i % 40}C3", 10 + i % 30, ["Main", "Uptown"][i % 2],
                     currency(12.5 * (1 + i % 7))])
    return rows


def expected(rows: list[list[Any]]) -> list[list[Any]]:
    out = []
    for r in rows:
        out.append([v.value if hasattr(v, "fmt") else v for v in r])
    return out


def grid_ranges(server: FakeSheetsServer) -> list[str]:
    return [rng for r in server.requests if r.query.get("includeGridData") == ["true"]
            for rng in r.query["ranges"]]


def covered_rows(ranges: list[str], tab: str, row_count: int) -> list[int]:
    """The 1-based rows the ranges name, in request order."""
    out: list[int] = []
    for rng in ranges:
        name, _, a1 = rng.partition("!")
        assert name == f"'{tab}'"
        if not a1:
            out.extend(range(1, row_count + 1))
            continue
        a, b = map(int, re.fullmatch(r"(\d+):(\d+)", a1).groups())
        out.extend(range(a, b + 1))
    return out


def test_a_big_tab_is_read_in_several_bounded_blocks_with_the_same_rows(
    sheets_server: FakeSheetsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = visit_rows(3000)
    sheets_server.add_spreadsheet(SID, "Big clinic", {"Treatments": data}, rows=3001, cols=8)
    budget = 60_000
    monkeypatch.setenv(gsheets.BLOCK_BYTES_ENV, str(budget))
    client = open_client()

    [tab] = read_gsheet(GSheetSource(SID), client)

    assert tab.rows == expected(data)
    assert type(tab.rows[1][0]) is dt.date and tab.rows[3000][7] == 12.5 * (1 + 2999 % 7)
    grid_sizes = client.http_client.response_bytes[1:]
    assert len(grid_sizes) >= 8, "a 3,000-row tab at 60 kB a block is many requests"
    # the same head room as 1.5 MB blocks under Google's 2 MB recommendation
    bound = budget * gsheets.MAX_RESPONSE_BYTES / gsheets.BLOCK_BYTES
    assert max(grid_sizes) <= bound and max(sheets_server.response_sizes) <= bound
    assert max(grid_sizes) >= budget / 3, "blocks are sized from measured rows, not tiny"
    # every row asked for exactly once, in order
    assert covered_rows(grid_ranges(sheets_server), "Treatments", 3001) == list(range(1, 3002))


def test_blank_grid_below_the_data_costs_few_requests(
    sheets_server: FakeSheetsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = visit_rows(1500)
    sheets_server.add_spreadsheet(SID, "Big clinic", {"Treatments": data}, rows=200_000, cols=8)
    monkeypatch.setenv(gsheets.BLOCK_BYTES_ENV, "60000")
    client = open_client()
    [tab] = read_gsheet(GSheetSource(SID), client)
    assert tab.rows == expected(data)
    assert covered_rows(grid_ranges(sheets_server), "Treatments", 200_000) == list(range(1, 200_001))
    starts = [int(re.search(r"!(\d+):", rng).group(1)) if "!" in rng else 1
              for rng in grid_ranges(sheets_server)]
    past_data = [s for s in starts if s > 1501]
    assert 0 < len(past_data) <= 8, "blocks past the data grow fourfold: 198,500 blank rows in a few"


def test_big_read_stays_within_the_read_quota_instead_of_meeting_429(
    sheets_server: FakeSheetsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = visit_rows(2000)
    sheets_server.add_spreadsheet(SID, "Big clinic", {"Treatments": data}, rows=2001, cols=8)
    monkeypatch.setenv(gsheets.BLOCK_BYTES_ENV, "40000")
    # Google: 60 a minute; here 4 in 0.3 s at the server against the client's 4 in 0.5 s: a
    # request may reach the server up to 0.2 s late on a loaded machine without a refusal
    sheets_server.read_quota = (4, 0.3)
    client = open_client()
    client.http_client.per_window, client.http_client.quota_window = 4, 0.5

    [tab] = read_gsheet(GSheetSource(SID), client)

    assert tab.rows == expected(data)
    assert sheets_server.count() > 8
    assert sheets_server.quota_refusals == 0, "the throttle waited instead"
    assert client.http_client.throttled > 0


def test_throttle_sleeps_until_the_oldest_request_leaves_the_window() -> None:
    http = open_client(api_url="http://127.0.0.1:9").http_client
    now = [100.0]
    waits: list[float] = []
    http.clock = lambda: now[0]
    http.sleep = lambda s: (waits.append(s), now.__setitem__(0, now[0] + s))
    http.per_window, http.quota_window = 3, 60.0
    for t in (0.0, 1.0, 2.0):
        now[0] = 100.0 + t
        http.throttle("GET")
    http.throttle("POST")  # writes have their own quota
    assert waits == []
    now[0] = 110.0
    http.throttle("GET")  # the 4th read in a minute waits for the 1st to be 60 s old
    assert waits == [pytest.approx(50.0)] and now[0] == pytest.approx(160.0)
    http.throttle("GET")  # and the 5th for the 2nd
    assert waits[1] == pytest.approx(1.0)
