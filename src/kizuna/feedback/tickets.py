"""Support tickets: inquiries, complaints and requests from chat, phone, email, social media, the
web form or a store; category, status, assignee, notes; and the problem-customer workflow.

Every change appends a ``TicketNote`` (kind ``note``, ``message``, ``status``, ``assignment``,
``problem_flag``, ``problem_clear``), so a ticket's trail is its history. Flagging a customer as
a problem customer (クレーマー) goes through ``customers.service.do_flag_problem``, which writes
the customer's audit row in the same transaction; the guards of ``automation`` then keep every
marketing message from them. Unflagging works the same way. Reads live in ``ticket_reports``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.customers.service import do_flag_problem, get_customer
from kizuna.feedback.models import (
    TICKET_CHANNELS,
    TICKET_KINDS,
    TICKET_PRIORITIES,
    TICKET_STATUSES,
    Ticket,
    TicketNote,
)
from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.kit.locking import lock_key
from kizuna.orders.models import Order

TICKET_CATEGORIES = (
    "delivery",
    "product",
    "quality",
    "order_change",
    "payment",
    "returns",
    "points",
    "account",
    "website",
    "staff",
    "other",
)
NOTE_KINDS = ("note", "message")


@dataclass(frozen=True, slots=True)
class TicketIn:
    """A new ticket. ``number`` is the help desk's own id when it has one (then opening the
    same number again returns the stored ticket); ``order_number`` links the order."""

    channel: str
    kind: str
    category: str
    subject: str
    body: str | None = None
    customer_id: int | None = None
    order_number: str | None = None
    priority: str = "normal"
    assignee: str | None = None
    number: str | None = None
    opened_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketResult:
    ticket_id: int
    number: str
    created: bool = True


def _one_of(value: str, allowed: tuple[str, ...], field: str) -> None:
    if value not in allowed:
        raise ValidationFailed(f"{field} {value!r} is not one of {', '.join(allowed)}", field=field)


def _check(item: TicketIn) -> None:
    _one_of(item.channel, TICKET_CHANNELS, "channel")
    _one_of(item.kind, TICKET_KINDS, "kind")
    _one_of(item.category, TICKET_CATEGORIES, "category")
    _one_of(item.priority, TICKET_PRIORITIES, "priority")
    if not item.subject.strip():
        raise ValidationFailed("a ticket needs a subject", field="subject")
    if len(item.subject) > 200:
        raise ValidationFailed("the subject has more than 200 characters", field="subject")


def _order(session: Session, item: TicketIn) -> tuple[int | None, int | None]:
    """``(order_id, customer_id)``: the named order and whose it is (checked against the
    customer given)."""
    if item.customer_id is not None:
        get_customer(session, item.customer_id)
    if not item.order_number:
        return None, item.customer_id
    order = session.scalar(select(Order).where(Order.order_number == item.order_number))
    if order is None:
        raise NotFound(f"there is no order {item.order_number!r}", field="order_number")
    if item.customer_id is not None and order.customer_id not in (None, item.customer_id):
        raise ValidationFailed(
            f"order {item.order_number} is not customer #{item.customer_id}'s", field="order_number"
        )
    return order.id, item.customer_id if item.customer_id is not None else order.customer_id


def _note(
    session: Session,
    ticket: Ticket,
    kind: str,
    author: str,
    body: str | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> TicketNote:
    note = TicketNote(
        ticket_id=ticket.id, kind=kind, author=author, body=body, detail=detail, at=at or now()
    )
    session.add(note)
    ticket.updated_at = note.at
    return note


def do_open_ticket(session: Session, item: TicketIn, *, actor: str) -> TicketResult:
    """Open a ticket (status ``open``), with its first message as a note."""
    _check(item)
    if item.number:
        lock_key(session, "ticket", item.number)
        known = session.scalar(select(Ticket).where(Ticket.number == item.number))
        if known is not None:
            return TicketResult(known.id, known.number, created=False)
    order_id, customer_id = _order(session, item)
    at = item.opened_at or now()
    number = item.number or f"T{to_shop_tz(at):%y%m%d}-{secrets.token_hex(3).upper()}"
    ticket = Ticket(
        number=number,
        customer_id=customer_id,
        order_id=order_id,
        channel=item.channel,
        kind=item.kind,
        category=item.category,
        subject=item.subject.strip(),
        status="open",
        priority=item.priority,
        assignee=item.assignee,
        created_by=actor,
        opened_at=at,
        updated_at=at,
    )
    session.add(ticket)
    session.flush()
    if item.body and item.body.strip():
        _note(session, ticket, "message", actor, item.body.strip(), at, channel=item.channel)
    session.flush()
    return TicketResult(ticket.id, ticket.number)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket, or NotFound."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise NotFound(f"there is no ticket #{ticket_id}", field="ticket_id")
    return ticket


def do_add_note(
    session: Session,
    ticket_id: int,
    body: str,
    *,
    author: str,
    kind: str = "note",
    at: datetime | None = None,
) -> int:
    """Add an internal ``note`` or a customer ``message`` to the ticket; the note's id."""
    _one_of(kind, NOTE_KINDS, "kind")
    if not body.strip():
        raise ValidationFailed("the note is empty", field="body")
    note = _note(session, get_ticket(session, ticket_id), kind, author, body.strip(), at)
    session.flush()
    return note.id


def do_set_status(
    session: Session,
    ticket_id: int,
    status: str,
    *,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> Ticket:
    """Move the ticket to ``status``; resolving and closing stamp the time, reopening clears it."""
    _one_of(status, TICKET_STATUSES, "status")
    ticket, at = get_ticket(session, ticket_id), at or now()
    if ticket.status == status:
        return ticket
    before = ticket.status
    ticket.status = status
    if status in ("open", "pending"):
        ticket.resolved_at = ticket.closed_at = None
    if status == "resolved":
        ticket.resolved_at = at
    if status == "closed":
        ticket.closed_at = at
        ticket.resolved_at = ticket.resolved_at or at
    _note(session, ticket, "status", actor, note, at, before=before, after=status)
    session.flush()
    return ticket


def do_assign(
    session: Session,
    ticket_id: int,
    assignee: str | None,
    *,
    actor: str,
    at: datetime | None = None,
) -> Ticket:
    """Give the ticket to ``assignee`` (None: nobody)."""
    ticket = get_ticket(session, ticket_id)
    if ticket.assignee != assignee:
        _note(
            session, ticket, "assignment", actor, None, at, before=ticket.assignee, after=assignee
        )
        ticket.assignee = assignee
        session.flush()
    return ticket


def do_flag_customer(
    session: Session,
    ticket_id: int,
    *,
    reason: str | None,
    actor: str,
    flagged: bool = True,
    at: datetime | None = None,
) -> Customer:
    """Flag (or clear) the ticket's customer as a problem customer, with the reason and the
    ticket number; audited on the customer and noted on the ticket."""
    ticket = get_ticket(session, ticket_id)
    if ticket.customer_id is None:
        raise ValidationFailed(f"ticket {ticket.number} names no customer", field="customer_id")
    if flagged and not (reason or "").strip():
        raise ValidationFailed("say why the customer is a problem customer", field="reason")
    if not actor.strip():
        raise ValidationFailed("say who flags the customer", field="actor")
    text = f"{reason.strip()} (ticket {ticket.number})" if reason and reason.strip() else None
    customer = do_flag_problem(
        session,
        ticket.customer_id,
        reason=text or f"ticket {ticket.number}",
        actor=actor,
        flagged=flagged,
    )
    kind = "problem_flag" if flagged else "problem_clear"
    _note(session, ticket, kind, actor, reason, at, customer_id=ticket.customer_id)
    session.flush()
    return customer
