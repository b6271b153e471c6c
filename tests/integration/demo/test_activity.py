"""The demo shop's activity on SQLite and PostgreSQL: opening balances that reconcile, members
staged, monthly rank snapshots, survey answers, reviews and tickets; a second run adds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.models import SnapshotRun
from kizuna.demo import run_demo
from kizuna.demo.activity import seed_activity
from kizuna.demo.load import SEED, TODAY
from kizuna.feedback.models import Review, SurveyResponse, Ticket
from kizuna.kit.db import session_scope
from kizuna.loyalty.ledger.balance import verify_ledger
from kizuna.loyalty.ledger.models import PointEntry

PEOPLE = 400


def _url(sessions: sessionmaker[Session]) -> str:
    return sessions.kw["bind"].url.render_as_string(hide_password=False)


@pytest.fixture
def activity(sessions: sessionmaker[Session]) -> dict[str, Any]:
    run_demo(sessions, customers=PEOPLE)
    return seed_activity(sessions, _url(sessions), TODAY, SEED)


def count(session: Session, *where: Any, model: type = PointEntry) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_the_shop_has_points_stages_history_and_feedback(
    sessions: sessionmaker[Session], activity: dict[str, Any]
) -> None:
    with session_scope(sessions) as session:
        opening = count(session, PointEntry.reason == "opening_balance")
        assert opening == activity["points"]["opening_lots"] > 0
        assert count(session, PointEntry.reason == "order") == activity["points"]["live_earns"]
        assert verify_ledger(session) == []
        assert count(session, model=SnapshotRun) == len(activity["snapshots"]) == 8
        responses = count(session, model=SurveyResponse)
        assert responses == activity["feedback"]["responses"] > 0
        assert count(session, model=Review) == activity["feedback"]["reviews"]
        assert count(session, model=Ticket) == activity["feedback"]["tickets"]
    assert activity["stages"]["members"] > 0


def test_a_second_run_adds_nothing(
    sessions: sessionmaker[Session], activity: dict[str, Any]
) -> None:
    with session_scope(sessions) as session:
        before = (count(session), count(session, model=SurveyResponse),
                  count(session, model=Review), count(session, model=Ticket))  # fmt: skip
    again = seed_activity(sessions, _url(sessions), TODAY, SEED)
    assert again["snapshots"] == []
    with session_scope(sessions) as session:
        after = (count(session), count(session, model=SurveyResponse),
                 count(session, model=Review), count(session, model=Ticket))  # fmt: skip
        assert count(session, model=SnapshotRun) == 8
    assert after == before
