"""The support desk's timeline over a small demo shop: every source shows up, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.demo.load import run_demo
from kizuna.kit.db import session_scope
from kizuna.orders.models import Subscription
from kizuna.timeline.queries import customer_timeline


def test_subscriber_timeline_has_orders_shipments_subscription_events_and_consent(
    sessions: sessionmaker[Session],
) -> None:
    run_demo(sessions, customers=400)
    with session_scope(sessions) as session:
        subscriber = session.scalar(select(Subscription.customer_id).limit(1))
        assert subscriber is not None
        entries = customer_timeline(session, subscriber, limit=1000)
    kinds = {e.kind for e in entries}
    assert {"order", "shipment", "subscription", "consent"} <= kinds
    times = [e.at for e in entries]
    assert times == sorted(times, reverse=True)
    started = [e for e in entries if e.kind == "subscription" and e.detail["change"] == "started"]
    assert started and started[0].detail["interval_days"] > 0
    order = next(e for e in entries if e.kind == "order")
    d = order.detail
    lines = sum(line["amount"] for line in d["lines"])
    assert d["total"] == lines - d["discount"] + d["shipping_fee"] - d["points_used"]
