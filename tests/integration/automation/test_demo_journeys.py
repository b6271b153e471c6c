"""``kizuna demo`` installs the ready-made journeys and replays the welcome journey over the
demo's last weeks: enrolments, sends in the outbox and a logged holdout; a second run adds
nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.automation.journeys.models import Enrolment
from kizuna.automation.journeys.service import list_journeys
from kizuna.automation.models import ExperimentAssignment
from kizuna.channels.models import OutboxMessage
from kizuna.demo import run_demo
from kizuna.kit.db import session_scope


def counts(session: Session) -> tuple[int, int, int]:
    return (
        session.scalar(select(func.count()).select_from(Enrolment)) or 0,
        session.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        session.scalar(select(func.count()).select_from(ExperimentAssignment)) or 0,
    )


def test_demo_has_journeys_with_sends_and_a_holdout(sessions: sessionmaker[Session]) -> None:
    # given a 600-person demo shop
    run_demo(sessions, customers=600)
    with session_scope(sessions) as session:
        lines = {line["key"]: line for line in list_journeys(session)}
        first = counts(session)
        held = session.scalar(
            select(func.count()).where(
                ExperimentAssignment.experiment == "journey:welcome",
                ExperimentAssignment.arm == "holdout",
            )
        )
    # then the eleven journeys are there, welcome on with enrolments, sends and a holdout
    assert len(lines) == 11
    assert [k for k, line in lines.items() if line["enabled"]] == ["welcome"]
    welcome = lines["welcome"]
    assert welcome["enrolled"] > 20 and welcome["sends"] > 0
    assert held and held > 0
    assert welcome["uplift"]["verdict"] in {"sample_too_small", "no_significant_difference",
                                            "uplift", "harm"}  # fmt: skip
    # and a second run enrols and sends nothing new
    run_demo(sessions, customers=600)
    with session_scope(sessions) as session:
        assert counts(session) == first
