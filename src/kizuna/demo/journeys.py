"""The demo shop's journeys: the ready-made ones installed (switched off), and the welcome
journey switched on and replayed over the last weeks, so the journeys pages show enrolments,
sends and a holdout comparison computed from the demo's own orders."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from kizuna.automation.journeys.replay import replay
from kizuna.automation.journeys.service import install_presets, set_journey_enabled
from kizuna.kit.db import session_scope

LIVE = ("welcome",)
REPLAY_DAYS = 45


def seed_journeys(sessions: sessionmaker[Session], today: date) -> dict[str, Any]:
    """Install the presets, switch ``LIVE`` on and replay them up to ``today`` (idempotent)."""
    end = datetime.combine(today, time(0), tzinfo=UTC)
    with session_scope(sessions) as session:
        installed = install_presets(session, actor="demo")
        for key in LIVE:
            set_journey_enabled(session, key, True, actor="demo")
        replayed = replay(session, LIVE, start=end - timedelta(days=REPLAY_DAYS), end=end)
    return {**installed, **replayed}
