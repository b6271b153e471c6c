"""Rule-driven earning: points for an order, and fixed bonuses for events.

The programme in force when the order was placed decides the points; they are computed from a
frozen ``EarnContext`` (stage, qualifying spend before the order, days since the previous
order) and posted through ``post.post_earn``. The idempotency key is derived from the order or
the event, and the request fingerprint from what was asked (not from the computed points), so a
replay after the rules changed still returns the original entry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.service import get_customer
from kizuna.kit.clock import now
from kizuna.loyalty.dates import local_date
from kizuna.loyalty.earn_rules import EarnBreakdown, EarnContext, Event, compute_earn
from kizuna.loyalty.errors import OrderNotFound
from kizuna.loyalty.ledger.common import post_earn, replayed
from kizuna.loyalty.ledger.core import EntryResult, fingerprint
from kizuna.loyalty.models import LoyaltyAccount
from kizuna.loyalty.programme import Programme
from kizuna.loyalty.qualifying import qualifying_amount
from kizuna.loyalty.versions import active_programme
from kizuna.orders.models import Order


def earn_basis(programme: Programme, order: Order) -> int:
    """The yen amount points are earned on (goods after discounts, and after points used when
    the programme says so); never negative."""
    amount = order.subtotal - order.discount
    if programme.earn_basis == "after_points":
        amount -= order.points_used
    return max(0, amount)


def current_stage(session: Session, programme: Programme, customer_id: int) -> str:
    """The member's stage code (the entry stage until they are first evaluated)."""
    stage = session.scalar(
        select(LoyaltyAccount.stage).where(LoyaltyAccount.customer_id == customer_id)
    )
    return programme.stage(stage).code


def order_context(
    session: Session, programme: Programme, order: Order, segments: frozenset[str] = frozenset()
) -> EarnContext:
    """What the earn rules see for ``order``."""
    customer_id = order.customer_id
    assert customer_id is not None
    previous = session.scalar(
        select(Order.placed_at)
        .where(
            Order.customer_id == customer_id,
            Order.placed_at < order.placed_at,
            Order.status != "cancelled",
            Order.id != order.id,
        )
        .order_by(Order.placed_at.desc())
        .limit(1)
    )
    return EarnContext(
        amount=earn_basis(programme, order),
        stage=current_stage(session, programme, customer_id),
        on=local_date(order.placed_at),
        period_spend_before=qualifying_amount(
            session, programme, customer_id, order.placed_at - timedelta(microseconds=1)
        ),
        segments=segments,
        days_since_last_order=None if previous is None else (order.placed_at - previous).days,
    )


def preview_order_points(
    session: Session, order_id: int, segments: frozenset[str] = frozenset()
) -> EarnBreakdown:
    """The points ``order_id`` would earn now, without posting anything."""
    order = _order(session, order_id)
    programme = active_programme(session, order.placed_at)
    if order.customer_id is None:
        return EarnBreakdown(0)
    return compute_earn(
        programme.earn_rules, order_context(session, programme, order, segments), programme.rounding
    )


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(f"there is no order #{order_id}", field="order_id")
    return order


def do_earn_for_order(
    session: Session,
    order_id: int,
    *,
    at: datetime | None = None,
    segments: frozenset[str] = frozenset(),
) -> EntryResult | None:
    """Post the points ``order_id`` earns (key ``order:<id>:earn``); None when it earns none
    (guest or non-member under a members-only programme, cancelled, or zero points)."""
    order = _order(session, order_id)
    if order.customer_id is None or order.status == "cancelled":
        return None
    key, print_ = f"order:{order.id}:earn", fingerprint("earn_order", order.id)
    done = replayed(session, order.customer_id, key, print_)
    if done is not None:
        return done
    programme = active_programme(session, order.placed_at)
    if programme.members_only and not get_customer(session, order.customer_id).is_member:
        return None
    ctx = order_context(session, programme, order, segments)
    breakdown = compute_earn(programme.earn_rules, ctx, programme.rounding)
    if breakdown.points <= 0:
        return None
    detail = breakdown.as_dict() | {"amount": ctx.amount, "stage": ctx.stage}
    return post_earn(
        session,
        order.customer_id,
        breakdown.points,
        key=key,
        print_=print_,
        reason="order",
        at=at,
        order_id=order.id,
        link_type="order",
        link_ref=order.order_number,
        detail=detail,
    )


def do_award(
    session: Session,
    customer_id: int,
    event: Event,
    *,
    key: str,
    link_ref: str | None = None,
    at: datetime | None = None,
) -> EntryResult | None:
    """Post the programme's fixed bonus for ``event`` (registration, birthday, survey, review,
    referral); None when the programme gives none for it."""
    at = at or now()
    print_ = fingerprint("award", customer_id, event, link_ref)
    done = replayed(session, customer_id, key, print_)
    if done is not None:
        return done
    programme = active_programme(session, at)
    ctx = EarnContext(
        amount=0,
        stage=current_stage(session, programme, customer_id),
        on=local_date(at),
        event=event,
    )
    breakdown = compute_earn(programme.earn_rules, ctx, programme.rounding)
    if breakdown.points <= 0:
        return None
    return post_earn(
        session,
        customer_id,
        breakdown.points,
        key=key,
        print_=print_,
        reason=event,
        at=at,
        link_type=event,
        link_ref=link_ref,
        detail=breakdown.as_dict(),
    )
