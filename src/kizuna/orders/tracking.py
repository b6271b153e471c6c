"""The public order-tracking page: one unguessable link per order, and the data the page shows.

**The token** is 256 random bits from ``secrets`` (43 URL-safe characters), stored with the order
and replaceable (``do_rotate_tracking_token``) if a link leaks. A token that is malformed or
unknown gets the same ``NotFound`` (code ``bad_token``), so a visitor cannot tell a near miss
from nonsense; guessing is hopeless at 2^256.

**The page** shows no personal data (no name, address, phone or prices), because a link can be
forwarded: the order number and date, the status with its milestones, each parcel with its
carrier events, the estimated delivery, and the items. Recommendations are added one layer up
(``ingest.after_purchase``), which may read ``recommend``.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.errors import NotFound
from kizuna.kit.i18n import translate
from kizuna.kit.locking import lock_key
from kizuna.orders.aftersales_models import TrackingLink
from kizuna.orders.delivery import PROGRESS, order_estimate
from kizuna.orders.models import Order, OrderLine, Shipment, ShipmentEvent

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MILESTONES = ("ordered", "preparing", "shipped", "in_transit", "out_for_delivery", "delivered")


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"there is no order #{order_id}", field="order_id")
    return order


def tracking_token(session: Session, order_id: int) -> str:
    """The order's tracking token, created on first use (the same token every later time)."""
    _order(session, order_id)
    # two senders asking at once (email and SMS notice) must agree on one token
    lock_key(session, "tracking", str(order_id))
    token = session.scalar(select(TrackingLink.token).where(TrackingLink.order_id == order_id))
    if token is not None:
        return token
    token = secrets.token_urlsafe(32)
    session.add(TrackingLink(order_id=order_id, token=token))
    session.flush()
    return token


def do_rotate_tracking_token(session: Session, order_id: int) -> str:
    """Replace the order's token (the old link stops working); the new token."""
    _order(session, order_id)
    lock_key(session, "tracking", str(order_id))
    link = session.scalar(select(TrackingLink).where(TrackingLink.order_id == order_id))
    if link is None:
        return tracking_token(session, order_id)
    link.token, link.views, link.last_viewed_at = secrets.token_urlsafe(32), 0, None
    session.flush()
    return link.token


def _refuse() -> NotFound:
    return NotFound("this tracking link is not valid", field="token", code="bad_token")


def order_for_token(session: Session, token: str) -> Order:
    """The order a tracking token belongs to; ``NotFound`` (``bad_token``) for any other text."""
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        raise _refuse()
    link = session.scalar(select(TrackingLink).where(TrackingLink.token == token))
    # compare again in constant time: the index lookup alone is not meant as the secret check
    if link is None or not hmac.compare_digest(link.token, token):
        raise _refuse()
    return _order(session, link.order_id)


def _label(status: str, language: str) -> str:
    return translate(f"tracking.status.{status}", language)


def _overall(order: Order, parcels: list[Shipment]) -> str:
    """The order's status as the page shows it: the least advanced parcel's."""
    if order.status == "cancelled":
        return "cancelled"
    if not parcels:
        return order.status if order.status in ("shipped", "delivered") else "preparing"
    return min((p.status for p in parcels), key=lambda s: (PROGRESS.get(s, 0), s != "failed"))


def _iso(moment: datetime | None, zone: str) -> str | None:
    return None if moment is None else to_shop_tz(moment, zone).isoformat()


def tracking_view(
    session: Session, order: Order, *, language: str = "ja", zone: str = "Asia/Tokyo"
) -> dict:
    """What the tracking page shows for ``order`` (no personal data)."""
    parcels = list(
        session.scalars(select(Shipment).where(Shipment.order_id == order.id).order_by(Shipment.id))
    )
    events = (
        session.execute(
            select(ShipmentEvent)
            .where(ShipmentEvent.shipment_id.in_([p.id for p in parcels]))
            .order_by(ShipmentEvent.at, ShipmentEvent.id)
        )
        .scalars()
        .all()
        if parcels
        else []
    )
    status = _overall(order, parcels)
    reached: dict[str, datetime] = {"ordered": order.placed_at}
    for event in events:
        reached.setdefault(event.status, event.at)
    level = -1 if status == "cancelled" else PROGRESS.get(status, 0)
    steps = [
        {
            "status": m,
            "label": _label(m, language),
            "done": m == "ordered" or PROGRESS[m] <= level,
            "at": _iso(reached.get(m), zone),
        }
        for m in MILESTONES
    ]
    lines = session.execute(
        select(OrderLine.sku, OrderLine.description, OrderLine.quantity)
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.line_no)
    ).all()
    eta = order_estimate(session, order, zone)
    return {
        "order_number": order.order_number,
        "placed_at": _iso(order.placed_at, zone),
        "status": status,
        "status_label": _label(status, language),
        "steps": steps,
        "estimated_delivery": None
        if eta is None
        else {
            "from": eta["from"].isoformat(),
            "to": eta["to"].isoformat(),
            "source": eta["source"],
        },
        "shipments": [
            {
                "carrier": p.carrier,
                "tracking_number": p.tracking_number,
                "status": p.status,
                "status_label": _label(p.status, language),
                "shipped_at": _iso(p.shipped_at, zone),
                "delivered_at": _iso(p.delivered_at, zone),
                "events": [
                    {
                        "status": e.status,
                        "label": _label(e.status, language),
                        "at": _iso(e.at, zone),
                        "note": e.note,
                    }
                    for e in events
                    if e.shipment_id == p.id
                ],
            }
            for p in parcels
        ],
        "items": [{"sku": s, "name": d or s, "quantity": q} for s, d, q in lines],
        "language": language,
    }


def tracking_page(
    session: Session,
    token: str,
    *,
    language: str = "ja",
    zone: str = "Asia/Tokyo",
    count_view: bool = True,
    at: datetime | None = None,
) -> dict:
    """The tracking page for ``token`` (``NotFound`` ``bad_token`` for any unknown or guessed
    token); counts the view unless ``count_view`` is False (the caller commits)."""
    order = order_for_token(session, token)
    if count_view:
        link = session.scalars(select(TrackingLink).where(TrackingLink.order_id == order.id)).one()
        link.views += 1
        link.last_viewed_at = at or now()
    return tracking_view(session, order, language=language, zone=zone)
