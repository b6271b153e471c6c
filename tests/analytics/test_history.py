"""Rank history on every engine: snapshots written as spells, re-runs replace a day, the
migration matrix (customers and revenue) from snapshots equals the recomputed one, and moves per
month carry their direction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from ibis.backends import BaseBackend
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.models import RankSpell, SnapshotRun
from kizuna.analytics.ranks.history import migration_matrix, monthly_transitions, time_in_rank
from kizuna.analytics.snapshots import take_snapshot
from kizuna.kit.db import session_scope
from kizuna.kit.errors import Conflict
from tests.analytics.conftest import EngineCase
from tests.analytics.factories import at, customers, order, orders

Connect = Callable[[], BaseBackend]
D1, D2, D3 = date(2024, 4, 30), date(2024, 5, 31), date(2024, 6, 30)


@pytest.fixture
def shop(record: sessionmaker[Session]) -> dict[str, int]:
    """A: one purchase in April then a second in May (new → repeat); B: bought once long ago
    (dormant by June); C: registers in May, buys in June (lead → new)."""
    with session_scope(record) as s:
        ids = customers(s, "A", "B")
        orders(s, [
            order("A-1", "A", at(date(2024, 4, 20))),
            order("A-2", "A", at(date(2024, 5, 20)), 7_000),
            order("B-1", "B", at(date(2023, 12, 15)), 4_000),
        ])  # fmt: skip
        ids |= customers(s, "C")
        orders(s, [order("C-1", "C", at(date(2024, 6, 10)), 5_000)])
    return ids


def snapshot_all(record_url: str, case: EngineCase, days: list[date]) -> None:
    for day in days:
        take_snapshot(record_url, day, engine=case.engine)


class TestSnapshots:
    def test_each_run_writes_only_the_changes(
        self, shop: dict[str, int], record: sessionmaker[Session], record_url: str,
        engine_case: EngineCase,
    ) -> None:  # fmt: skip
        first = take_snapshot(record_url, D1, engine=engine_case.engine)
        second = take_snapshot(record_url, D2, engine=engine_case.engine)
        # A: new → repeat; B: one_time → one_time (no change); C: lead → lead
        assert (first.customers, first.opened, first.closed) == (3, 3, 0)
        assert (second.opened, second.closed) == (1, 1)
        with session_scope(record) as s:
            assert s.scalar(select(func.count()).select_from(RankSpell)) == 4

    def test_a_rerun_replaces_the_day_and_the_past_is_refused(
        self, shop: dict[str, int], record: sessionmaker[Session], record_url: str,
        engine_case: EngineCase,
    ) -> None:  # fmt: skip
        snapshot_all(record_url, engine_case, [D1, D2])
        again = take_snapshot(record_url, D2, engine=engine_case.engine)
        assert (again.replaced_run, again.opened, again.closed) == (True, 1, 1)
        with session_scope(record) as s:
            assert s.scalar(select(func.count()).select_from(SnapshotRun)) == 2
            assert s.scalar(select(func.count()).select_from(RankSpell)) == 4
        with pytest.raises(Conflict, match="history is written forwards"):
            take_snapshot(record_url, D1, engine=engine_case.engine)


class TestMigration:
    def test_matrix_from_snapshots_equals_the_recomputed_one(
        self, shop: dict[str, int], record_url: str, engine_case: EngineCase, analytics: Connect
    ) -> None:
        snapshot_all(record_url, engine_case, [D1, D2, D3])
        con = analytics()
        cells = {(c.from_rank, c.to_rank): c for c in migration_matrix(con, D1, D3)}
        # A moved up from new to repeat and spent ¥7,000 in between; C went from lead to new
        assert cells[("new", "repeat")].customers == 1
        assert cells[("new", "repeat")].revenue == 7_000
        assert cells[("new", "repeat")].direction == "up"
        assert (cells[("lead", "new")].revenue, cells[("lead", "new")].direction) == (5_000, "up")
        assert cells[("one_time", "dormant")].direction == "down"
        recomputed = migration_matrix(con, D1, D3, source="recompute")
        assert recomputed == list(cells.values())

    def test_moves_per_month_and_time_in_rank(
        self, shop: dict[str, int], record_url: str, engine_case: EngineCase, analytics: Connect
    ) -> None:
        snapshot_all(record_url, engine_case, [D1, D2, D3])
        con = analytics()
        moves = {(m["month"], m["from_rank"], m["to_rank"]): m for m in monthly_transitions(con)}
        assert moves[("2024-05", "new", "repeat")]["direction"] == "up"
        assert moves[("2024-06", "one_time", "dormant")]["customers"] == 1
        assert moves[("2024-06", "lead", "new")]["direction"] == "up"
        spells = {r["rank"]: r for r in time_in_rank(con, D3)}
        # A has been a repeat customer since the May snapshot: 30 days on June 30
        assert (spells["repeat"]["customers"], spells["repeat"]["max_days"]) == (1, 30)
        assert spells["lead"]["finished_spells"] == 1
        assert spells["lead"]["mean_finished_days"] == (D3 - D1).days


def test_a_customer_without_a_rank_on_one_side_shows_as_none(
    shop: dict[str, int], record: sessionmaker[Session], record_url: str,
    engine_case: EngineCase, analytics: Connect,
) -> None:  # fmt: skip
    snapshot_all(record_url, engine_case, [D1])
    with session_scope(record) as s:
        customers(s, "LATE")
        orders(s, [order("L-1", "LATE", at(D2 - timedelta(days=1)))])
    snapshot_all(record_url, engine_case, [D2])
    cells = {(c.from_rank, c.to_rank): c for c in migration_matrix(analytics(), D1, D2)}
    assert (cells[("(none)", "new")].customers, cells[("(none)", "new")].direction) == (
        1,
        "entered",
    )
