"""One-click unsubscribe, attribution of orders to sends, and the migration on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from kizuna.channels import outbox, suppression, tracking
from kizuna.channels.models import OutboxMessage, Suppression
from kizuna.customers.service import current_consents
from kizuna.kit.errors import ValidationFailed
from kizuna.orders.models import Order
from tests.integration.channels.helpers import add_customers

SENT = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)


def test_one_click_unsubscribe_withdraws_consent_once(session: Session) -> None:
    [cid] = add_customers(session, 1)
    token = suppression.unsubscribe_token(cid, "email", "marketing")
    first = suppression.handle_unsubscribe(session, token)
    again = suppression.handle_unsubscribe(session, token)
    assert (first.customer_id, first.channel, first.scope, first.already) == (
        cid,
        "email",
        "marketing",
        False,
    )
    assert again.already is True
    assert session.scalars(select(Suppression.reason)).all() == ["unsubscribe"]
    assert current_consents(session, cid)["email"].granted is False
    with pytest.raises(ValidationFailed):
        suppression.handle_unsubscribe(session, token[:-2] + "xx")


def test_conversions_are_orders_within_the_window_after_the_send(session: Session) -> None:
    ids = add_customers(session, 4)
    messages = [
        outbox.MessageIn(
            outbox.dedupe_key(c, campaign="may"),
            c,
            "email",
            "welcome",
            source_type="campaign",
            source_key="may",
        )
        for c in ids
    ]
    outbox.record(session, messages)
    session.execute(update(OutboxMessage).values(status="sent", sent_at=SENT))
    orders = [(ids[0], 2, 5000), (ids[0], 3, 1000), (ids[1], 8, 9000), (ids[2], -1, 7000)]
    for n, (cid, days, total) in enumerate(orders):
        session.add(
            Order(
                order_number=f"O{n}",
                customer_id=cid,
                total=total,
                placed_at=SENT + timedelta(days=days),
            )
        )
    session.flush()
    result = tracking.attribution(session, "campaign", "may", days=7)
    # customer 0 ordered twice within 7 days; 1 too late; 2 before the send; 3 never
    assert (result.recipients, result.converters, result.orders, result.revenue) == (4, 1, 2, 6000)
    assert result.conversion_rate == 0.25 and result.revenue_per_recipient == 1500


def test_migration_creates_the_messaging_tables(session: Session) -> None:
    tables = set(inspect(session.connection()).get_table_names())
    assert {
        "outbox_messages",
        "message_log",
        "suppressions",
        "push_subscriptions",
        "message_templates",
        "experiment_assignments",
    } <= tables
