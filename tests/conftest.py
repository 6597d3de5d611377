"""Fixtures shared by the specification tests (builders live in helpers.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

from helpers import write_book, write_csv  # noqa: E402

settings.register_profile(
    "lotsync", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False,
    print_blob=True)
settings.load_profile("lotsync")


@pytest.fixture
def book(tmp_path):
    """`book({"Receiving": rows, "Treatments": rows}, name="clinic.xlsx")` -> path of a real .xlsx."""

    def make(sheets: dict[str, list[list]], name: str = "clinic.xlsx", **kw) -> str:
        return write_book(tmp_path / name, sheets, **kw)

    return make


@pytest.fixture
def csv_file(tmp_path):
    """`csv_file(rows, name="visits.csv")` -> path of a real CSV file."""

    def make(rows: list[list], name: str = "visits.csv", **kw) -> str:
        return write_csv(tmp_path / name, rows, **kw)

    return make
