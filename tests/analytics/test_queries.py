"""The public segment functions other domains call (the campaign builder): ``count_segment``
and ``segment_member_ids`` on the memoised workbench, and when they see new data."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.queries import count_segment, forget, segment_member_ids, workbench
from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from tests.analytics.factories import AS_OF, ago, customers, order, orders

BUYERS = SegmentDefinition.from_data(
    {"name": "buyers", "where": {"type": "field", "field": "orders", "min": 1}}
)


@pytest.fixture
def record(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as s:
        customers(s, "A", "B")
        orders(s, [order("A-1", "A", ago(3))])
    yield sessions
    forget(sqlite_url)
    engine.dispose()


def test_counts_then_sees_a_new_buyer_when_asked_fresh(
    record: sessionmaker[Session], sqlite_url: str
) -> None:
    with session_scope(record) as s:
        counted = count_segment(BUYERS, as_of=AS_OF, session=s, database_url=sqlite_url)
        first = workbench(s, sqlite_url)
        ids = segment_member_ids(BUYERS, as_of=AS_OF, session=s, database_url=sqlite_url)
    assert (counted.members, counted.customers, len(ids)) == (1, 2, 1)
    with session_scope(record) as s:
        orders(s, [order("B-1", "B", ago(1))])
    with session_scope(record) as s:
        # the dashboard's count keeps the recent copy (rebuilt at most every few minutes)…
        assert workbench(s, sqlite_url) is first
        assert count_segment(BUYERS, as_of=AS_OF, session=s, database_url=sqlite_url).members == 1
        # …while an audience that is acted on reads the record as it is now
        ids = segment_member_ids(BUYERS, as_of=AS_OF, session=s, database_url=sqlite_url)
    assert len(ids) == 2 and ids == sorted(ids)
