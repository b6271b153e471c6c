"""Trigger handlers: who enters a journey, for which occurrence, and when its first step is due.

Each trigger type in ``registry.TRIGGERS`` has a handler here (record events) or in
``scanners.py`` (dates and computed state). A handler's ``scan(session, params, at, ids)``
returns ``Entry`` rows, set-based: ``ids`` narrows an event trigger to the orders, shipments
or events just recorded (the ingest hooks); without ``ids`` it looks back ``within_hours``
(48 by default), the safety net that the periodic ``automation.scan_recent`` job runs. Older
events never enrol anyone, so importing years of history sends nothing.

An entry's ``occurrence`` (the order, the shipment, the cart day…) makes enrolment idempotent:
(journey, customer, occurrence) is unique. A trigger that must still hold when its first step is
due (cart abandoned: no purchase, no newer cart activity) also has a ``confirm``, which the
runner calls before the holdout draw.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from kizuna.events.models import Event
from kizuna.kit.bulk import chunks
from kizuna.kit.clock import to_shop_tz
from kizuna.orders.models import Order, Shipment

Params = Mapping[str, Any]
CART_TYPES = ("cart_add", "cart_remove", "checkout_start")


@dataclass(frozen=True, slots=True)
class Entry:
    """A customer found by a trigger: the occurrence, when they entered, when the first step
    is due, and what the trigger knows (order number, skus…) for the journey's messages."""

    customer_id: int
    occurrence: str
    entered_at: datetime
    due_at: datetime
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Scan:
    """What a scan found, and a note when it could not look (a declared gap)."""

    entries: list[Entry]
    note: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    """``confirm``'s answer for one enrolment: go now, look again at ``later``, or exit."""

    go: bool = True
    later: datetime | None = None
    exit_reason: str = ""
    context: dict[str, Any] = field(default_factory=dict)


Scanner = Callable[[Session, Params, datetime, Sequence[int] | None], Scan]
Confirmer = Callable[[Session, Params, Sequence[Any], datetime], dict[int, Verdict]]


@dataclass(frozen=True)
class Handler:
    """A trigger's scanner; ``source`` names what its ``ids`` are (order, shipment, event, or
    ``daily`` for the date-based ones); ``confirm`` re-checks an entry when it falls due."""

    scan: Scanner
    source: str
    confirm: Confirmer | None = None


HANDLERS: dict[str, Handler] = {}


def handler(
    name: str, source: str, confirm: Confirmer | None = None
) -> Callable[[Scanner], Scanner]:
    """Register ``scan`` as the handler of trigger ``name``."""

    def register(scan: Scanner) -> Scanner:
        HANDLERS[name] = Handler(scan, source, confirm)
        return scan

    return register


def since(params: Params, at: datetime) -> datetime:
    """The oldest event an event trigger still reacts to."""
    return at - timedelta(hours=float(params.get("within_hours", 48)))


def _orders(params: Params, at: datetime, ids: Sequence[int] | None) -> Any:
    stmt: Any = select(Order.id, Order.customer_id, Order.placed_at, Order.order_number).where(
        Order.customer_id.is_not(None),
        Order.status != "cancelled",
        Order.placed_at <= at,
    )
    if ids is not None:
        stmt = stmt.where(Order.id.in_(list(ids)))
    return stmt


def _rows(session: Session, stmt: Any, lowest: datetime, column: Any) -> list[Any]:
    return list(session.execute(stmt.where(column >= lowest)))


@handler("first_purchase", "order")
def first_purchase(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """The customer's first order that was not cancelled (once per customer)."""
    prior = aliased(Order)
    earlier = exists().where(
        prior.customer_id == Order.customer_id,
        prior.status != "cancelled",
        or_(
            prior.placed_at < Order.placed_at,
            and_(prior.placed_at == Order.placed_at, prior.id < Order.id),
        ),
    )
    stmt = _orders(params, at, ids).where(~earlier)
    rows = _rows(session, stmt, since(params, at), Order.placed_at)
    return Scan([_order_entry(r, "once", r.placed_at) for r in rows])


@handler("order_placed", "order")
def order_placed(session: Session, params: Params, at: datetime, ids: Sequence[int] | None) -> Scan:
    """Every order that was not cancelled."""
    rows = _rows(session, _orders(params, at, ids), since(params, at), Order.placed_at)
    return Scan([_order_entry(r, f"o{r.id}", r.placed_at) for r in rows])


@handler("survey_request", "order")
def survey_request(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """``days_after`` days after an order (enrolled when the order arrives, due later)."""
    delay = timedelta(days=float(params.get("days_after", 7)))
    rows = _rows(session, _orders(params, at, ids), since(params, at) - delay, Order.placed_at)
    return Scan([_order_entry(r, f"o{r.id}", r.placed_at + delay) for r in rows])


def _order_entry(row: Any, occurrence: str, due: datetime) -> Entry:
    context = {"order_id": row.id, "order_number": row.order_number}
    return Entry(row.customer_id, occurrence, row.placed_at, due, context)


def _shipments(at: datetime, ids: Sequence[int] | None, column: Any) -> Any:
    stmt: Any = (
        select(
            Shipment.id,
            Shipment.carrier,
            Shipment.tracking_number,
            Order.id.label("order_id"),
            Order.order_number,
            Order.customer_id,
            column.label("moment"),
        )
        .join(Order, Order.id == Shipment.order_id)
        .where(Order.customer_id.is_not(None), column.is_not(None), column <= at)
    )
    if ids is not None:
        stmt = stmt.where(Shipment.id.in_(list(ids)))
    return stmt


def _shipment_entries(rows: list[Any], delay: timedelta = timedelta()) -> Scan:
    return Scan(
        [
            Entry(
                r.customer_id,
                f"s{r.id}",
                r.moment,
                r.moment + delay,
                {
                    "shipment_id": r.id,
                    "order_id": r.order_id,
                    "order_number": r.order_number,
                    "carrier": r.carrier,
                    "tracking_number": r.tracking_number,
                },
            )
            for r in rows
        ]
    )


@handler("shipped", "shipment")
def shipped(session: Session, params: Params, at: datetime, ids: Sequence[int] | None) -> Scan:
    """A parcel left the warehouse (``shipped_at`` set)."""
    stmt = _shipments(at, ids, Shipment.shipped_at)
    return _shipment_entries(_rows(session, stmt, since(params, at), Shipment.shipped_at))


@handler("delivered", "shipment")
def delivered(session: Session, params: Params, at: datetime, ids: Sequence[int] | None) -> Scan:
    """A parcel arrived (``delivered_at`` set)."""
    stmt = _shipments(at, ids, Shipment.delivered_at)
    return _shipment_entries(_rows(session, stmt, since(params, at), Shipment.delivered_at))


@handler("review_request", "shipment")
def review_request(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """``days_after`` days after delivery."""
    delay = timedelta(days=float(params.get("days_after", 5)))
    stmt = _shipments(at, ids, Shipment.delivered_at)
    rows = _rows(session, stmt, since(params, at) - delay, Shipment.delivered_at)
    return _shipment_entries(rows, delay)


def _confirm_cart(
    session: Session, params: Params, enrolments: Sequence[Any], at: datetime
) -> dict[int, Verdict]:
    """Still abandoned? No order since the cart activity, and the quiet period has passed since
    the latest cart activity; the cart's items (added, not removed) go into the context."""
    hours = timedelta(hours=float(params.get("hours", 3)))
    verdicts: dict[int, Verdict] = {}
    for part in chunks(list(enrolments), 2000):
        customers = [e.customer_id for e in part]
        first = min(e.entered_at for e in part)
        activity: dict[Any, list[tuple[datetime, str, str | None]]] = {}
        for cid, when, kind, sku in session.execute(
            select(Event.customer_id, Event.occurred_at, Event.type, Event.sku).where(
                Event.customer_id.in_(customers),
                Event.type.in_(CART_TYPES),
                Event.occurred_at >= first,
            )
        ):
            activity.setdefault(cid, []).append((when, kind, sku))
        bought: dict[Any, list[datetime]] = {}
        for cid, placed in session.execute(
            select(Order.customer_id, Order.placed_at).where(
                Order.customer_id.in_(customers),
                Order.placed_at >= first,
                Order.status != "cancelled",
            )
        ):
            bought.setdefault(cid, []).append(placed)
        for e in part:
            verdicts[e.id] = _cart_verdict(
                e, activity.get(e.customer_id, []), bought.get(e.customer_id, []), hours, at
            )
    return verdicts


def _cart_verdict(
    enrolment: Any,
    activity: Sequence[tuple[datetime, str, str | None]],
    bought: Sequence[datetime],
    hours: timedelta,
    at: datetime,
) -> Verdict:
    start = enrolment.entered_at
    if any(placed >= start for placed in bought):
        return Verdict(False, exit_reason="purchased")
    mine = sorted(a for a in activity if a[0] >= start)
    latest = max((a[0] for a in mine), default=start)
    if latest + hours > at:
        return Verdict(False, later=latest + hours)
    cart: dict[str, None] = {}
    for _, kind, sku in mine:
        if sku and kind == "cart_add":
            cart[sku] = None
        elif sku and kind == "cart_remove":
            cart.pop(sku, None)
    if not cart:
        return Verdict(False, exit_reason="cart_empty")
    return Verdict(True, context={"skus": list(cart)})


@handler("cart_abandoned", "event", confirm=_confirm_cart)
def cart_abandoned(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """Cart activity with no purchase ``hours`` later: one occurrence per customer and shop day;
    confirmed (and the items read) when due."""
    hours = timedelta(hours=float(params.get("hours", 3)))
    stmt: Any = select(Event.customer_id, Event.occurred_at).where(
        Event.customer_id.is_not(None), Event.type == "cart_add", Event.occurred_at <= at
    )
    if ids is not None:
        stmt = stmt.where(Event.id.in_(list(ids)))
    first: dict[tuple[int, str], datetime] = {}
    for cid, when in _rows(session, stmt, since(params, at), Event.occurred_at):
        day = f"c{to_shop_tz(when):%Y%m%d}"
        first[(cid, day)] = min(when, first.get((cid, day), when))
    return Scan([Entry(cid, day, when, when + hours) for (cid, day), when in first.items()])
