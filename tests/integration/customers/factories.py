"""Factories for the customer tests: customers with identities, orders, events and returns,
recorded through the same service functions the importer uses."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.identity import normalise_identity
from kizuna.customers.models import Customer
from kizuna.customers.schemas import CustomerIn
from kizuna.customers.service import upsert_customers
from kizuna.events.schemas import EventIn
from kizuna.events.service import store_events
from kizuna.orders.schemas import LineIn, OrderIn, ReturnIn
from kizuna.orders.service import store_orders, store_returns

WHEN = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)


def add_customer(
    session: Session, external_id: str, *, member: bool = True, **identities: str
) -> int:
    """A customer with the given identities (raw values, normalised here); its id."""
    pairs = tuple((kind, normalise_identity(kind, value)) for kind, value in identities.items())
    upsert_customers(
        session, [CustomerIn(external_id, is_member=member, family_name="山田", identities=pairs)]
    )
    return session.execute(
        select(Customer.id).where(Customer.external_id == external_id)
    ).scalar_one()


def order(
    number: str,
    customer: str | None = None,
    *,
    email: str | None = None,
    phone: str | None = None,
    amount: int = 1800,
) -> OrderIn:
    """An order of one line; guest identities are given raw and normalised as the importer does."""
    return OrderIn(
        order_number=number,
        placed_at=WHEN,
        lines=(LineIn("BEAN-1", 1, amount, amount),),
        customer=customer,
        guest_email=normalise_identity("email", email) if email else None,
        guest_phone=normalise_identity("phone", phone) if phone else None,
    )


def add_history(session: Session, external_id: str, prefix: str) -> None:
    """Two orders, one return and two events for the customer ``external_id``."""
    store_orders(session, [order(f"{prefix}-1", external_id), order(f"{prefix}-2", external_id)])
    store_returns(
        session,
        [
            ReturnIn(
                f"{prefix}-R1",
                WHEN,
                (LineIn("BEAN-1", 1, 1800, 1800),),
                order_number=f"{prefix}-1",
                customer=external_id,
            )
        ],
    )
    store_events(
        session,
        [EventIn(f"{prefix}-e{i}", "page_view", WHEN, customer=external_id) for i in range(2)],
    )
