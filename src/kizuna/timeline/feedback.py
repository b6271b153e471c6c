"""Timeline source: what the customer told the shop after a purchase — survey answers, product
reviews, support tickets — and the returns they asked for. No writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.feedback.models import Review, Ticket
from kizuna.feedback.reviews import customer_reviews
from kizuna.feedback.survey_reports import customer_responses
from kizuna.feedback.ticket_reports import customer_tickets
from kizuna.orders.aftersales_models import ReturnRequest
from kizuna.orders.models import Order

if TYPE_CHECKING:
    from kizuna.timeline.queries import TimelineEntry


def feedback(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    """The customer's newest ``limit`` survey answers, reviews, tickets and return requests."""
    return [
        *_surveys(session, customer_id, limit),
        *_reviews(session, customer_id, limit),
        *_tickets(session, customer_id, limit),
        *_return_requests(session, customer_id, limit),
    ]


def _entry(*args: object) -> TimelineEntry:
    from kizuna.timeline.queries import TimelineEntry

    return TimelineEntry(*args)  # type: ignore[arg-type]


def _surveys(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    entries = []
    for r in customer_responses(session, customer_id, limit):
        scores = {k: v for k, v in r["answers"].items() if isinstance(v, int)}
        headline = next(iter(scores.items()), None)
        summary = r["title_ja"] + (f" {headline[0]}={headline[1]}" if headline else "")
        entries.append(_entry(r["at"], "survey", summary, r))
    return entries


def _reviews(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = customer_reviews(session, customer_id)[:limit]
    moderated = dict(
        session.execute(
            select(Review.id, Review.moderated_by).where(Review.id.in_([r["id"] for r in rows]))
        ).all()
    )
    return [
        _entry(
            r["submitted_at"],
            "review",
            f"{r['sku']} {'★' * r['rating']}",
            r | {"actor": moderated.get(r["id"])},
        )
        for r in rows
    ]


def _tickets(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = customer_tickets(session, customer_id, limit)
    creators = dict(
        session.execute(
            select(Ticket.id, Ticket.created_by).where(Ticket.id.in_([t["id"] for t in rows]))
        ).all()
    )
    return [
        _entry(
            t["opened_at"],
            "ticket",
            f"{t['number']} {t['subject']}",
            t | {"actor": creators.get(t["id"])},
        )
        for t in rows
    ]


def _return_requests(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    rows = session.execute(
        select(ReturnRequest, Order.order_number)
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(ReturnRequest.customer_id == customer_id)
        .order_by(ReturnRequest.requested_at.desc(), ReturnRequest.id.desc())
        .limit(limit)
    )
    return [
        _entry(
            r.requested_at,
            "return_request",
            r.number,
            {
                "number": r.number,
                "order_number": number,
                "reason": r.reason,
                "channel": r.channel,
                "status": r.status,
                "refund_amount": r.refund_amount,
                "actor": r.decided_by,
            },
        )
        for r, number in rows
    ]
