"""Uplift over the record: holdout assignments logged, orders within the window, a simulated
effect of known size recovered with its interval."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.automation import uplift
from kizuna.automation.models import ExperimentAssignment
from kizuna.kit.bulk import Bulk
from tests.integration.channels.helpers import add_customers

START = datetime(2024, 4, 1, 0, 0, tzinfo=UTC)


def test_simulated_campaign_uplift_is_recovered(session: Session) -> None:
    # given 1,500 customers, 30 % held out, 10 % base conversion and +12 points when treated
    ids = add_customers(session, 1500)
    arms = uplift.assign(session, "campaign:sim", ids, holdout_share=0.3, at=START)
    assert uplift.assign(session, "campaign:sim", ids, holdout_share=0.3) == arms  # stable
    rng, rows = random.Random(11), []
    for n, cid in enumerate(ids):
        p = 0.10 + (0.12 if arms[cid] == "treatment" else 0.0)
        if rng.random() < p:
            rows.append((f"S{n}", cid, 4000, START + timedelta(days=rng.uniform(0, 6.9))))
        if rng.random() < 0.2:  # orders after the window do not count
            rows.append((f"L{n}", cid, 4000, START + timedelta(days=20)))
    bulk = Bulk(session)
    bulk.executemany(
        "INSERT INTO orders (order_number, customer_id, total, placed_at, channel, status, "
        "currency, subtotal, discount, shipping_fee, points_used, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'online', 'placed', 'JPY', 0, 0, 0, 0, ?, ?)",
        [(o, c, t, bulk.time(at), bulk.time(START), bulk.time(START)) for o, c, t, at in rows],
    )
    # when the uplift is measured over a 7-day window
    report = uplift.measure(session, "campaign:sim", days=7, as_of=START + timedelta(days=30))
    # then the interval contains the true effect and the verdict is an uplift
    _, lo, hi = report.rate_diff
    assert lo < 0.12 < hi and lo > 0
    assert report.verdict == "uplift"
    assert report.treatment.n + report.holdout.n == 1500
    assert 0.25 < report.holdout.n / 1500 < 0.35
    held = session.scalar(select(func.count()).where(ExperimentAssignment.arm == "holdout"))
    assert held == report.holdout.n


def test_a_small_shop_is_told_the_sample_is_too_small(session: Session) -> None:
    ids = add_customers(session, 40)
    uplift.assign(session, "journey:birthday", ids, at=START)
    report = uplift.measure(session, "journey:birthday", as_of=START + timedelta(days=8))
    assert report.verdict == "sample_too_small"
    assert "at least 30 per arm" in report.note
