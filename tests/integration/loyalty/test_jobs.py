"""The loyalty jobs are in the worker's schedule at the shop's times and run end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kizuna import jobs
from kizuna.kit import queue
from kizuna.kit.clock import now
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.loyalty.ledger.balance import balance
from kizuna.loyalty.ledger.post import do_earn
from kizuna.settings import get_settings
from tests.integration.loyalty.factories import member


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    yield sqlite_url
    get_settings.cache_clear()


def _utc(month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("job", "due", "not_due"),
    [
        pytest.param("loyalty.expire_points", _utc(11, 25, 15, 5), _utc(11, 25, 3, 5),
                     id="00:05 JST"),
        pytest.param("loyalty.evaluate_stages", _utc(11, 30, 16, 0), _utc(11, 30, 1, 0),
                     id="01:00 JST"),
        pytest.param("loyalty.release_expired_holds", _utc(11, 25, 9, 10), _utc(11, 25, 9, 12),
                     id="every 5 min"),
    ],
)  # fmt: skip
def test_scheduled_at_shop_times(job: str, due: datetime, not_due: datetime) -> None:
    spec = queue._SPECS[job]
    assert job in jobs.SCHEDULE and spec.schedule is not None
    assert spec.schedule(due)
    assert not spec.schedule(not_due)


def test_jobs_expire_and_release(database: str) -> None:
    sessions: sessionmaker[Session] = make_sessionmaker(make_engine(database))
    with session_scope(sessions) as session:
        cid = member(session)
        do_earn(session, cid, 100, key="new", reason="campaign")
        # a lot that lapsed long ago (posted last: any later verb would sweep it itself)
        past = now() - timedelta(days=400)
        do_earn(session, cid, 40, key="old", reason="campaign", at=past,
                expires_at=past + timedelta(days=30))  # fmt: skip
    run = jobs.loyalty_expire_points()
    assert (run["lots"], run["points"]) == (1, 40)
    assert jobs.loyalty_release_holds() == 0
    with session_scope(sessions) as session:
        assert balance(session, cid).points == 100
