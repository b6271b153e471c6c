"""Ticket reads: the list and the detail for the support desk, one customer's tickets for the
timeline, and categories over time ("what should the shop improve?"). Reads only."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kizuna.feedback.models import Ticket, TicketNote
from kizuna.feedback.tickets import get_ticket
from kizuna.kit.clock import to_shop_tz
from kizuna.orders.models import Order


def _row(ticket: Ticket, order_number: str | None) -> dict:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "customer_id": ticket.customer_id,
        "order_number": order_number,
        "channel": ticket.channel,
        "kind": ticket.kind,
        "category": ticket.category,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "assignee": ticket.assignee,
        "opened_at": ticket.opened_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "updated_at": ticket.updated_at,
    }


def _with_orders(query: Select) -> Select:
    return query.add_columns(Order.order_number).outerjoin(Order, Order.id == Ticket.order_id)


def list_tickets(
    session: Session,
    *,
    status: str | None = None,
    category: str | None = None,
    assignee: str | None = None,
    customer_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict:
    """Tickets matching the filters, most recently changed first, and how many match."""
    query = select(Ticket)
    for column, value in (
        (Ticket.status, status),
        (Ticket.category, category),
        (Ticket.assignee, assignee),
        (Ticket.customer_id, customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        _with_orders(query)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return {"total": int(total), "tickets": [_row(t, number) for t, number in rows]}


def ticket_detail(session: Session, ticket_id: int) -> dict:
    """One ticket with its whole trail of notes, oldest first."""
    ticket = get_ticket(session, ticket_id)
    number = session.scalar(select(Order.order_number).where(Order.id == ticket.order_id))
    notes = session.scalars(
        select(TicketNote).where(TicketNote.ticket_id == ticket.id).order_by(TicketNote.id)
    )
    return _row(ticket, number) | {
        "notes": [
            {
                "id": n.id,
                "kind": n.kind,
                "author": n.author,
                "body": n.body,
                "detail": n.detail,
                "at": n.at,
            }
            for n in notes
        ]
    }


def customer_tickets(session: Session, customer_id: int, limit: int = 50) -> list[dict]:
    """One customer's tickets, newest first (for the timeline)."""
    rows = session.execute(
        _with_orders(select(Ticket).where(Ticket.customer_id == customer_id))
        .order_by(Ticket.opened_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return [_row(t, number) for t, number in rows]


def category_trend(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    zone: str = "Asia/Tokyo",
) -> dict:
    """Tickets opened per month (shop time) and category: ``{"months": [...], "categories":
    {category: [count per month]}, "totals": {category: n}}``, biggest category first."""
    query = select(Ticket.opened_at, Ticket.category)
    if since is not None:
        query = query.where(Ticket.opened_at >= since)
    if until is not None:
        query = query.where(Ticket.opened_at < until)
    if kind is not None:
        query = query.where(Ticket.kind == kind)
    counts: Counter[tuple[str, str]] = Counter()
    for at, category in session.execute(query):
        counts[(to_shop_tz(at, zone).strftime("%Y-%m"), category)] += 1
    months = sorted({month for month, _ in counts})
    totals = Counter({c: 0 for _, c in counts})
    for (_, category), n in counts.items():
        totals[category] += n
    ordered = sorted(totals, key=lambda c: (-totals[c], c))
    return {
        "months": months,
        "categories": {c: [counts.get((m, c), 0) for m in months] for c in ordered},
        "totals": {c: totals[c] for c in ordered},
    }


def open_counts(session: Session) -> dict[str, int]:
    """How many tickets are in each status (the desk's headline numbers)."""
    rows = session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    return {status: int(n) for status, n in rows}
