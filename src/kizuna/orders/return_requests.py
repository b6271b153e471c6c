"""Return requests: a customer asks to send some order lines back (courier pickup or a store),
the shop approves or rejects, receives the goods, and refunds.

``requested → approved → received → refunded``; ``rejected`` and ``cancelled`` end a request;
a store may receive goods straight from ``requested``. Receiving records a ``Return`` (number =
the request's number, lines at their goods value), which is what the points ledger reverses
(``ingest.after_purchase`` calls it).

**Amounts.** A line's goods value is its amount pro rata to the quantity, computed cumulatively
per line so that returning a line in parts adds up to exactly its amount. The money refund is
the goods value less the share of the order-level discount, also cumulative (rounded in the
customer's favour); points used on the order come back as points, not money. Shipping is not
refunded. Touches only the return-request tables and, on receipt, the record's returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.kit.locking import lock_key
from kizuna.orders.aftersales_models import (
    RETURN_CHANNELS,
    RETURN_REASONS,
    ReturnRequest,
    ReturnRequestLine,
)
from kizuna.orders.models import Order, OrderLine, Return
from kizuna.orders.schemas import LineIn, ReturnIn
from kizuna.orders.service import store_returns

ACTIVE = ("requested", "approved", "received", "refunded")


@dataclass(frozen=True, slots=True)
class ReturnLineIn:
    """``quantity`` of the order's line ``line_no``."""

    line_no: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ReturnRequestIn:
    """A return request. ``number`` is the storefront's own id (then repeat-safe);
    ``customer_id`` (who asks) must own the order."""

    order_number: str
    lines: tuple[ReturnLineIn, ...]
    reason: str
    channel: str
    note: str | None = None
    pickup_on: date | None = None
    store_code: str | None = None
    number: str | None = None
    customer_id: int | None = None


def _check(item: ReturnRequestIn) -> None:
    if item.channel not in RETURN_CHANNELS:
        raise ValidationFailed(
            f"channel {item.channel!r} is not one of {', '.join(RETURN_CHANNELS)}", field="channel"
        )
    if item.reason not in RETURN_REASONS:
        raise ValidationFailed(
            f"reason {item.reason!r} is not one of {', '.join(RETURN_REASONS)}", field="reason"
        )
    if item.reason == "other" and not (item.note or "").strip():
        raise ValidationFailed("say what the reason is: reason 'other' needs a note", field="note")
    if item.pickup_on is not None and item.channel != "courier_pickup":
        raise ValidationFailed("a pickup date is for courier pickups only", field="pickup_on")
    if not item.lines:
        raise ValidationFailed("name at least one order line to return", field="lines")


def _order(session: Session, number: str, customer_id: int | None) -> Order:
    order = session.scalar(select(Order).where(Order.order_number == number))
    if order is None:
        raise NotFound(f"there is no order {number!r}", field="order_number")
    if order.status == "cancelled":
        raise ValidationFailed(f"order {number} was cancelled", field="order_number")
    if customer_id is not None and order.customer_id != customer_id:
        raise ValidationFailed(
            f"order {number} is not customer #{customer_id}'s", field="customer_id"
        )
    return order


def _requested(session: Session, order_id: int) -> tuple[dict[int, int], dict[int, int]]:
    """``({line_no: quantity}, {line_no: goods value})`` in the order's live requests."""
    rows = session.execute(
        select(
            ReturnRequestLine.line_no,
            func.sum(ReturnRequestLine.quantity),
            func.sum(ReturnRequestLine.amount),
        )
        .join(ReturnRequest, ReturnRequest.id == ReturnRequestLine.request_id)
        .where(ReturnRequest.order_id == order_id, ReturnRequest.status.in_(ACTIVE))
        .group_by(ReturnRequestLine.line_no)
    ).all()
    return {n: int(q) for n, q, _ in rows}, {n: int(a) for n, _, a in rows}


def _lines(
    session: Session, order: Order, wanted: Sequence[ReturnLineIn]
) -> list[tuple[OrderLine, int, int]]:
    """``(order line, quantity, goods value)`` per requested line, checked against what is
    left to return."""
    lines = {
        ln.line_no: ln
        for ln in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    }
    taken, _ = _requested(session, order.id)
    out, seen = [], set()
    for i, want in enumerate(wanted):
        line = lines.get(want.line_no)
        if line is None or want.line_no in seen:
            raise ValidationFailed(
                f"order {order.order_number} has no line {want.line_no}"
                if line is None
                else f"line {want.line_no} is named twice",
                field=f"lines[{i}].line_no",
            )
        seen.add(want.line_no)
        before = taken.get(line.line_no, 0)
        left = line.quantity - before
        if not 0 < want.quantity <= left:
            raise ValidationFailed(
                f"line {line.line_no}: {want.quantity} to return, {left} left",
                field=f"lines[{i}].quantity",
            )
        value = (line.amount * (before + want.quantity)) // line.quantity - (
            line.amount * before
        ) // line.quantity
        out.append((line, want.quantity, value))
    return out


def _discount_share(order: Order, before: int, goods: int) -> int:
    """This request's share of the order-level discount (cumulative, rounded down)."""
    if not order.discount or order.subtotal <= 0:
        return 0
    return (order.discount * (before + goods)) // order.subtotal - (
        order.discount * before
    ) // order.subtotal


def do_request_return(
    session: Session, item: ReturnRequestIn, *, at: datetime | None = None
) -> ReturnRequest:
    """Record a return request (``requested``) with its lines and refund amount."""
    _check(item)
    order = _order(session, item.order_number, item.customer_id)
    # one request at a time per order: quantities left and numbering depend on the others
    lock_key(session, "return_request", str(order.id))
    if item.number:
        known = session.scalar(select(ReturnRequest).where(ReturnRequest.number == item.number))
        if known is not None:
            if known.order_id != order.id:
                raise Conflict(f"return request {item.number} is for another order", field="number")
            return known
    lines = _lines(session, order, item.lines)
    goods = sum(value for _, _, value in lines)
    before = sum(_requested(session, order.id)[1].values())
    count = session.scalar(select(func.count()).where(ReturnRequest.order_id == order.id)) or 0
    request = ReturnRequest(
        number=item.number or f"RR-{order.order_number}-{count + 1}",
        order_id=order.id,
        customer_id=order.customer_id,
        channel=item.channel,
        reason=item.reason,
        note=item.note,
        status="requested",
        refund_amount=goods - _discount_share(order, before, goods),
        pickup_on=item.pickup_on,
        store_code=item.store_code,
        requested_at=at or now(),
    )
    session.add(request)
    session.flush()
    session.add_all(
        ReturnRequestLine(
            request_id=request.id,
            line_no=line.line_no,
            sku=line.sku,
            quantity=quantity,
            amount=value,
        )
        for line, quantity, value in lines
    )
    session.flush()
    return request


def get_request(session: Session, request_id: int) -> ReturnRequest:
    """The return request, or NotFound."""
    request = session.get(ReturnRequest, request_id)
    if request is None:
        raise NotFound(f"there is no return request #{request_id}", field="request_id")
    return request


def _move(request: ReturnRequest, allowed: tuple[str, ...], target: str) -> None:
    if request.status not in allowed:
        raise Conflict(
            f"return request {request.number} is {request.status}; it cannot become {target}",
            field="status",
        )
    request.status = target


def do_decide_return(
    session: Session,
    request_id: int,
    *,
    approve: bool,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> ReturnRequest:
    """Approve or reject a requested return (a rejection needs a note)."""
    request = get_request(session, request_id)
    if not approve and not (note or "").strip():
        raise ValidationFailed("say why the return is refused", field="note")
    if request.status == ("approved" if approve else "rejected"):
        return request
    _move(request, ("requested",), "approved" if approve else "rejected")
    request.decided_at, request.decided_by, request.decision_note = at or now(), actor, note
    return request


def do_receive_return(
    session: Session, request_id: int, *, actor: str, at: datetime | None = None
) -> ReturnRequest:
    """The goods arrived: record the ``Return`` (once) and mark the request ``received``."""
    request = get_request(session, request_id)
    if request.status in ("received", "refunded"):
        return request
    _move(request, ("requested", "approved"), "received")
    at = at or now()
    order = session.get_one(Order, request.order_id)
    prices = dict(
        session.execute(
            select(OrderLine.line_no, OrderLine.unit_price).where(OrderLine.order_id == order.id)
        ).all()
    )
    lines = session.scalars(
        select(ReturnRequestLine)
        .where(ReturnRequestLine.request_id == request.id)
        .order_by(ReturnRequestLine.line_no)
    ).all()
    store_returns(
        session,
        [
            ReturnIn(
                return_number=request.number,
                returned_at=at,
                order_number=order.order_number,
                currency=order.currency,
                reason=request.reason,
                lines=tuple(
                    LineIn(ln.sku, ln.quantity, prices.get(ln.line_no, 0), ln.amount)
                    for ln in lines
                ),
            )
        ],
    )
    request.return_id = session.scalar(
        select(Return.id).where(Return.return_number == request.number)
    )
    request.received_at, request.decided_by = at, request.decided_by or actor
    session.flush()
    return request


def do_mark_refunded(
    session: Session, request_id: int, *, actor: str, at: datetime | None = None
) -> ReturnRequest:
    """The money went back: ``received → refunded``."""
    request = get_request(session, request_id)
    if request.status == "refunded":
        return request
    _move(request, ("received",), "refunded")
    request.refunded_at = at or now()
    request.decided_by = request.decided_by or actor
    return request


def do_cancel_return(session: Session, request_id: int, *, actor: str) -> ReturnRequest:
    """The customer withdrew the request before the goods arrived."""
    request = get_request(session, request_id)
    if request.status != "cancelled":
        _move(request, ("requested", "approved"), "cancelled")
        request.decided_by, request.decided_at = actor, now()
    return request
