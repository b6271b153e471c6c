"""The support desk's read model: one customer's history, newest first, from every domain.

Reads orders, returns, shipments, on-site events, consent changes and audit rows (merges, flags,
privacy requests); later domains (points, stages, messages, tickets) add a source here. No writes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.models import ConsentChange, CustomerAudit
from kizuna.events.models import Event
from kizuna.orders.models import Order, OrderLine, Return, Shipment, ShipmentEvent, Subscription
from kizuna.timeline.feedback import feedback
from kizuna.timeline.loyalty import points_and_stages
from kizuna.timeline.messages import messages


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened. ``kind`` picks the icon and the label; ``detail`` the specifics."""

    at: datetime
    kind: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def customer_timeline(session: Session, customer_id: int, limit: int = 200) -> list[TimelineEntry]:
    """The newest ``limit`` entries of the customer's history across all sources."""
    entries: list[TimelineEntry] = []
    for source in (
        _orders,
        _returns,
        _shipments,
        _subscriptions,
        _events,
        _consents,
        _audit,
        messages,
        points_and_stages,
        feedback,
    ):
        entries.extend(source(session, customer_id, limit))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _orders(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    orders = session.scalars(
        select(Order)
        .where(Order.customer_id == customer_id)
        .order_by(Order.placed_at.desc())
        .limit(limit)
    ).all()
    lines: dict[int, list[dict[str, Any]]] = {}
    if orders:
        query = select(OrderLine).where(OrderLine.order_id.in_([o.id for o in orders]))
        for line in session.scalars(query.order_by(OrderLine.order_id, OrderLine.line_no)):
            lines.setdefault(line.order_id, []).append(
                {
                    "sku": line.sku,
                    "description": line.description,
                    "quantity": line.quantity,
                    "amount": line.amount,
                }
            )
    return [
        TimelineEntry(
            o.placed_at,
            "order",
            o.order_number,
            {
                "order_number": o.order_number,
                "channel": o.channel,
                "status": o.status,
                "total": o.total,
                "currency": o.currency,
                "points_used": o.points_used,
                "discount": o.discount,
                "shipping_fee": o.shipping_fee,
                "lines": lines.get(o.id, []),
            },
        )
        for o in orders
    ]


def _returns(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = session.scalars(
        select(Return)
        .where(Return.customer_id == customer_id)
        .order_by(Return.returned_at.desc())
        .limit(limit)
    )
    return [
        TimelineEntry(
            r.returned_at,
            "return",
            r.return_number,
            {"amount": r.amount, "currency": r.currency, "reason": r.reason},
        )
        for r in rows
    ]


def _shipments(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    query = (
        select(ShipmentEvent, Shipment, Order.order_number)
        .join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(Order.customer_id == customer_id)
        .order_by(ShipmentEvent.at.desc())
        .limit(limit)
    )
    return [
        TimelineEntry(
            event.at,
            "shipment",
            ship.tracking_number,
            {
                "status": event.status,
                "carrier": ship.carrier,
                "order_number": number,
                "tracking_number": ship.tracking_number,
                "note": event.note,
            },
        )
        for event, ship, number in session.execute(query)
    ]


def _subscriptions(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = session.scalars(
        select(Subscription).where(Subscription.customer_id == customer_id).limit(limit)
    )
    entries = []
    for sub in rows:
        detail = {
            "sku": sub.sku,
            "interval_days": sub.interval_days,
            "status": sub.status,
            "next_date": sub.next_date,
        }
        entries.append(
            TimelineEntry(
                sub.started_at,
                "subscription",
                sub.subscription_number,
                {**detail, "change": "started"},
            )
        )
        if sub.cancelled_at is not None:
            entries.append(
                TimelineEntry(
                    sub.cancelled_at,
                    "subscription",
                    sub.subscription_number,
                    {**detail, "change": "cancelled"},
                )
            )
    return entries


def _events(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = session.scalars(
        select(Event)
        .where(Event.customer_id == customer_id)
        .order_by(Event.occurred_at.desc())
        .limit(limit)
    )
    return [
        TimelineEntry(
            e.occurred_at,
            "event",
            e.type,
            {"type": e.type, "sku": e.sku, "properties": e.properties},
        )
        for e in rows
    ]


def _consents(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = session.scalars(
        select(ConsentChange)
        .where(ConsentChange.customer_id == customer_id)
        .order_by(ConsentChange.changed_at.desc())
        .limit(limit)
    )
    return [
        TimelineEntry(
            c.changed_at,
            "consent",
            c.channel,
            {"channel": c.channel, "granted": c.granted, "source": c.source},
        )
        for c in rows
    ]


def _audit(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = session.scalars(
        select(CustomerAudit)
        .where(CustomerAudit.customer_id == customer_id)
        .order_by(CustomerAudit.at.desc())
        .limit(limit)
    )
    return [
        TimelineEntry(
            a.at,
            "audit",
            a.action,
            {"action": a.action, "actor": a.actor, "detail": _short(a.detail)},
        )
        for a in rows
    ]


def _short(detail: dict[str, Any]) -> dict[str, Any]:
    moved = detail.get("moved")
    if isinstance(moved, dict):
        return {**detail, "moved": {table: len(ids) for table, ids in moved.items()}}
    return detail
