"""Local days in the shop zone: one offset for Tokyo, exact DST transitions elsewhere, the same
expression on every engine (checked here on DuckDB in memory)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import ibis
import pytest

from kizuna.analytics.staging import _offsets, day_number, to_shop_time


def test_tokyo_has_one_offset() -> None:
    assert _offsets("Asia/Tokyo") == ((None, 9 * 3600),)


def test_london_transitions_match_zoneinfo() -> None:
    spells = dict(_offsets("Europe/London")[1:])
    assert spells[datetime(2011, 3, 27, 1, 0)] == 3600  # noqa: DTZ001 - naive UTC instants
    assert spells[datetime(2011, 10, 30, 1, 0)] == 0  # noqa: DTZ001


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "Europe/London", "America/New_York"])
def test_to_shop_time_equals_python(zone: str) -> None:
    moments = [datetime(2011, 3, 27, 0, 59), datetime(2011, 3, 27, 1, 0),  # noqa: DTZ001
               datetime(2011, 10, 30, 0, 30), datetime(2024, 12, 31, 15, 0)]  # noqa: DTZ001  # fmt: skip
    table = ibis.memtable({"t": moments})
    got = ibis.duckdb.connect().to_pyarrow(table.select(local=to_shop_time(table.t, zone)))
    want = [m.replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) for m in moments]
    assert got.column("local").to_pylist() == want


def test_day_number_counts_from_1970() -> None:
    assert day_number(datetime(1970, 1, 2, tzinfo=UTC).date()) == 1
