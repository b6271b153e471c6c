"""``run_demo`` on SQLite and PostgreSQL: it loads through the domain services, unifies guests
with members, and a second run with the same seed changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.customers.models import Customer, CustomerAudit
from kizuna.demo import DemoReport, run_demo
from kizuna.events.models import Event
from kizuna.kit.clock import start_of_day
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order, Return, Shipment, ShipmentEvent, Subscription

PEOPLE = 300
RECORDS = ("products", "customers", "orders", "returns", "subscriptions", "shipments", "events")


@pytest.fixture
def loaded(sessions: sessionmaker[Session]) -> DemoReport:
    """A 300-person demo shop stored in a fresh database."""
    return run_demo(sessions, customers=PEOPLE)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestRunDemo:
    def test_everything_is_stored(
        self, sessions: sessionmaker[Session], loaded: DemoReport
    ) -> None:
        with session_scope(sessions) as session:
            stored = {
                "orders": count(session, Order), "returns": count(session, Return),
                "subscriptions": count(session, Subscription), "events": count(session, Event),
                "shipments": count(session, Shipment),
            }  # fmt: skip
            assert count(session, ShipmentEvent) > stored["shipments"]
            assert (
                session.scalar(select(func.count()).where(Customer.is_problem)) == loaded.problems
            )
        assert stored == {name: loaded.records[name].inserted for name in stored}
        assert all(stored.values()) and loaded.seconds["total"] > 0

    def test_a_second_run_changes_nothing(self, sessions: sessionmaker[Session],
                                          loaded: DemoReport) -> None:  # fmt: skip
        with session_scope(sessions) as session:
            audits = count(session, CustomerAudit)
        again = run_demo(sessions, customers=PEOPLE)
        for name in RECORDS:
            counts = again.records[name]
            assert (counts.inserted, counts.updated) == (0, 0), name
            assert counts.unchanged == loaded.records[name].inserted, name
        assert again.problems == 0
        with session_scope(sessions) as session:
            assert count(session, CustomerAudit) == audits

    def test_guest_checkouts_with_a_member_email_join_the_member(
        self, sessions: sessionmaker[Session], loaded: DemoReport
    ) -> None:
        with session_scope(sessions) as session:
            unified = session.scalar(
                select(func.count())
                .select_from(Order)
                .join(Customer, Order.customer_id == Customer.id)
                .where(Order.guest_email.is_not(None), Customer.is_member)
            )
            guests = session.scalar(select(func.count()).where(Customer.is_member.is_(False)))
        assert unified and unified > 0
        assert guests and guests >= loaded.guests

    def test_customers_churn_and_subscriptions_link_their_orders(
        self, sessions: sessionmaker[Session], loaded: DemoReport
    ) -> None:
        cutoff = start_of_day(loaded.today) - timedelta(days=365)
        with session_scope(sessions) as session:
            last = (
                select(Order.customer_id, func.max(Order.placed_at).label("last"))
                .where(Order.customer_id.is_not(None)).group_by(Order.customer_id).subquery()
            )  # fmt: skip
            buyers = session.scalar(select(func.count()).select_from(last)) or 0
            lapsed = session.scalar(select(func.count()).where(last.c.last < cutoff)) or 0
            linked = session.scalar(select(func.count()).where(Order.subscription_id.is_not(None)))
        assert 0.1 < lapsed / buyers < 0.5
        assert linked and linked > 0
