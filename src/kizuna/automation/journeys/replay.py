"""Replay switched-on journeys over a past period, day by day, as if they had been live: each
day's triggers enrol (holdout draw logged on that day), then the runner advances what fell due
and records the sends in the outbox. The demo uses it so the journeys list has enrolments,
sends and a holdout to measure against; the orders are the shop's own, so the uplift reported
is whatever the record shows (on a synthetic shop, typically no significant difference).

Nothing is delivered here: the messages wait in the outbox for ``kizuna worker``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kizuna.automation.journeys import runner
from kizuna.automation.journeys.enrol import scan_journey
from kizuna.automation.journeys.store import load


def replay(
    session: Session,
    keys: Sequence[str],
    *,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(days=1),
    batch: int = 5000,
) -> dict[str, Any]:
    """Run the switched-on journeys ``keys`` at each moment from ``start`` to ``end``; returns
    how many were enrolled per journey and how many enrolments advanced."""
    journeys = [journey for journey in (load(session, key) for key in keys) if journey.enabled]
    enrolled = dict.fromkeys((j.key for j in journeys), 0)
    advanced, moment = 0, start
    while moment <= end:
        for journey in journeys:
            _, new = scan_journey(session, journey, at=moment)
            enrolled[journey.key] += new
        for _ in range(100):  # a bounded drain: each round advances a batch of due enrolments
            report = runner.tick(session, at=moment, limit=batch)
            advanced += report.advanced
            if report.advanced < batch:
                break
        moment += step
    return {"enrolled": enrolled, "advanced": advanced}
