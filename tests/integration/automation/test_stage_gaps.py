"""``next_stage_gaps`` (set-based, used by the points-expiring journey) says exactly what
``next_stage_gap`` says for each member, under a rolling, a yearly and a lifetime window, on
SQLite and PostgreSQL; and the points-expiring content carries that line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from kizuna.loyalty.models import LoyaltyAccount
from kizuna.loyalty.programme import default_programme
from kizuna.loyalty.stage_gaps import next_stage_gaps
from kizuna.loyalty.stages import next_stage_gap
from kizuna.loyalty.versions import do_publish_programme, forget
from kizuna.orders.models import Return
from tests.integration.automation.journeys.factories import add_customers, add_order

AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def members(session: Session) -> list[int]:
    """Members with no orders, small and large spend, old and recent orders, a return, a
    stored stage above what they qualify for, and one at the top."""
    ids = add_customers(session, 8)
    plan = {
        ids[1]: [(10, 3000)],
        ids[2]: [(300, 20000), (40, 15000)],
        ids[3]: [(500, 90000), (20, 4000)],
        ids[4]: [(100, 60000)],
        ids[5]: [(5, 250000)],
        ids[6]: [(200, 40000), (3, 12000)],
        ids[7]: [(700, 80000)],
    }
    for cid, orders in plan.items():
        for days_ago, total in orders:
            add_order(session, cid, AT - timedelta(days=days_ago), total=total)
    order = add_order(session, ids[6], AT - timedelta(days=2), total=9000)
    session.add(
        Return(
            return_number="R1",
            order_id=order.id,
            customer_id=ids[6],
            amount=9000,
            returned_at=AT - timedelta(days=1),
        )
    )
    session.add(LoyaltyAccount(customer_id=ids[4], stage="gold"))
    session.add(LoyaltyAccount(customer_id=ids[7], stage="silver"))
    session.flush()
    return ids


@pytest.mark.parametrize("period", ["rolling_months", "year", "lifetime"])
def test_bulk_lines_equal_the_single_ones(session: Session, period: str) -> None:
    # given a programme with this qualifying window, in force before AT
    base = default_programme()
    rule = base.qualification.model_copy(update={"period": period})
    do_publish_programme(
        session,
        base.model_copy(update={"qualification": rule}),
        author="test",
        effective_from=AT - timedelta(days=900),
    )
    forget(session)
    ids = members(session)
    # when the lines are computed for everyone at once
    bulk = next_stage_gaps(session, ids, at=AT)
    # then each equals the one-member line, in both languages
    for cid in ids:
        for language in ("ja", "en"):
            single = next_stage_gap(session, cid, at=AT, language=language)
            assert bulk[cid][language] == single, (period, cid, language)
    assert len({lines["en"] for lines in bulk.values()}) >= 4
