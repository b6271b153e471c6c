"""The nightly ``analytics.snapshot`` job stores the ranks of the shop day that just ended."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kizuna import jobs
from kizuna.analytics.models import RankSpell, SnapshotRun
from kizuna.analytics.queries import shop_today
from kizuna.kit import queue
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.settings import get_settings
from tests.analytics.factories import ago, customers, order, orders


def test_the_job_is_scheduled_before_the_clv_refit() -> None:
    spec = queue._SPECS["analytics.snapshot"]
    assert jobs.SCHEDULE["analytics.snapshot"] == "01:30 JST"
    assert spec.schedule is not None and spec.retries == 2


def test_the_job_writes_yesterdays_snapshot_once(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    with session_scope(sessions) as s:
        customers(s, "A", "B")
        orders(s, [order("A-1", "A", ago(3))])
    monkeypatch.setenv("KIZUNA_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        first = jobs.snapshot_ranks()
        again = jobs.snapshot_ranks()  # a retried or repeated night replaces the day's run
    finally:
        get_settings.cache_clear()
    yesterday = shop_today() - timedelta(days=1)
    assert first["as_of"] == again["as_of"] == yesterday.isoformat()
    assert (first["customers"], first["opened"], again["replaced_run"]) == (2, 2, True)
    with session_scope(sessions) as s:
        runs = s.scalars(select(SnapshotRun)).all()
        ranks = sorted(s.scalars(select(RankSpell.rank)).all())
    engine.dispose()
    assert [r.as_of for r in runs] == [yesterday]
    assert ranks == ["churned", "lead"]  # A's only order is in 2024: churned by now
