"""Shipment status updates from a carrier or the cart (the API/webhook shape), and estimated
delivery dates.

**Status words.** A carrier feed may send kizuna's own statuses or the carrier's words (ヤマト,
佐川, 日本郵便: 荷物受付, 輸送中, 配達中, 配達完了, ご不在…); ``normalise_status`` maps both.
**Order of events.** Feeds arrive late and out of order: every event is stored (replays are
skipped by ``store_shipments``), and the shipment's status is the status of its latest event.
**Estimates.** A date the carrier announced wins; otherwise the estimate is the ship date (or
the order date plus a handling day) plus the transit days to the customer's prefecture, as a
one-day range. Touches only shipments, their events and ``shipment_estimates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.kit import jp
from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.errors import ValidationFailed
from kizuna.orders.aftersales_models import ShipmentEstimate
from kizuna.orders.fulfilment import ShipmentEventIn, ShipmentIn, store_shipments
from kizuna.orders.models import SHIPMENT_STATUSES, Order, Shipment, ShipmentEvent

PROGRESS = {
    "preparing": 0,
    "shipped": 1,
    "in_transit": 2,
    "out_for_delivery": 3,
    "failed": 3,
    "delivered": 4,
}
CARRIER_WORDS = {
    "荷物受付": "shipped",
    "集荷": "shipped",
    "発送": "shipped",
    "発送済み": "shipped",
    "出荷": "shipped",
    "引受": "shipped",
    "picked up": "shipped",
    "accepted": "shipped",
    "輸送中": "in_transit",
    "作業店通過": "in_transit",
    "配達店到着": "in_transit",
    "中継": "in_transit",
    "到着": "in_transit",
    "in transit": "in_transit",
    "配達中": "out_for_delivery",
    "持出中": "out_for_delivery",
    "配達予定": "out_for_delivery",
    "out for delivery": "out_for_delivery",
    "配達完了": "delivered",
    "お届け完了": "delivered",
    "お届け済み": "delivered",
    "受取完了": "delivered",
    "delivered": "delivered",
    "ご不在": "failed",
    "不在": "failed",
    "不在持戻": "failed",
    "持戻": "failed",
    "返送": "failed",
    "exception": "failed",
    "attempted": "failed",
}
HANDLING_DAYS = 1
# transit days from a warehouse in central Honshu, by prefecture code (JIS X 0401)
_FAR = {1: 2, **dict.fromkeys(range(31, 47), 2), 47: 3}


def normalise_status(text: str) -> str:
    """kizuna's shipment status for ``text`` (its own word or a carrier's), or ValidationFailed."""
    word = jp.nfkc(text or "").strip().lower().replace("_", " ")
    if word.replace(" ", "_") in SHIPMENT_STATUSES:
        return word.replace(" ", "_")
    if word in CARRIER_WORDS:
        return CARRIER_WORDS[word]
    raise ValidationFailed(
        f"shipment status {text!r} is not one of {', '.join(SHIPMENT_STATUSES)}"
        " nor a known carrier status",
        field="status",
    )


class ShipmentStatusBody(BaseModel):
    """Body of a shipment status update (``POST /api/shipments/status``)."""

    model_config = ConfigDict(extra="forbid")

    carrier: str = Field(min_length=1, max_length=40)
    tracking_number: str = Field(min_length=1, max_length=64)
    order_number: str | None = Field(
        default=None, max_length=64, description="Needed for the first update of a parcel"
    )
    status: str = Field(min_length=1, max_length=40, description="kizuna's or the carrier's word")
    at: AwareDatetime
    note: str | None = Field(default=None, max_length=300)
    estimated_delivery: date | None = None


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """What an update did: the shipment, its status before and after, and the estimate."""

    shipment_id: int
    order_id: int
    order_number: str
    before: str | None
    status: str
    changed: bool
    estimated_on: date | None


def do_update_shipment_status(
    session: Session, body: ShipmentStatusBody | dict, *, source: str = "carrier"
) -> StatusUpdate:
    """Record one status event for a parcel (creating the parcel on its first update)."""
    update = body if isinstance(body, ShipmentStatusBody) else ShipmentStatusBody(**body)
    status = normalise_status(update.status)
    shipment = session.scalar(
        select(Shipment).where(
            Shipment.carrier == update.carrier, Shipment.tracking_number == update.tracking_number
        )
    )
    number = update.order_number
    if shipment is not None:
        number = session.scalar(select(Order.order_number).where(Order.id == shipment.order_id))
    elif not number:
        raise ValidationFailed(
            f"parcel {update.carrier} {update.tracking_number} is new: give its order_number",
            field="order_number",
        )
    assert number is not None
    before = shipment.status if shipment is not None else None
    latest = _latest_event(session, shipment)
    current = status if latest is None or update.at >= latest else (before or status)
    shipped = shipment.shipped_at if shipment is not None else None
    delivered = shipment.delivered_at if shipment is not None else None
    if status == "shipped" and shipped is None:
        shipped = update.at
    if status == "delivered" and delivered is None:
        delivered = update.at
    # the whole history goes with the new event: store_shipments appends what it lacks
    events = (*_events(session, shipment), ShipmentEventIn(status, update.at, update.note))
    store_shipments(
        session,
        [
            ShipmentIn(
                update.carrier, update.tracking_number, number, current, shipped, delivered, events
            )
        ],
    )
    if shipment is not None:
        session.expire(shipment)  # store_shipments wrote through the connection, not the ORM
    stored = session.scalars(
        select(Shipment).where(
            Shipment.carrier == update.carrier, Shipment.tracking_number == update.tracking_number
        )
    ).one()
    if update.estimated_delivery is not None:
        _set_estimate(session, stored.id, update.estimated_delivery, source)
    estimate = session.scalar(
        select(ShipmentEstimate.estimated_on).where(ShipmentEstimate.shipment_id == stored.id)
    )
    return StatusUpdate(
        stored.id, stored.order_id, number, before, stored.status, before != stored.status, estimate
    )


def _latest_event(session: Session, shipment: Shipment | None) -> datetime | None:
    if shipment is None:
        return None
    return session.scalar(
        select(func.max(ShipmentEvent.at)).where(ShipmentEvent.shipment_id == shipment.id)
    )


def _events(session: Session, shipment: Shipment | None) -> tuple[ShipmentEventIn, ...]:
    if shipment is None:
        return ()
    rows = session.execute(
        select(ShipmentEvent.status, ShipmentEvent.at, ShipmentEvent.note)
        .where(ShipmentEvent.shipment_id == shipment.id)
        .order_by(ShipmentEvent.at, ShipmentEvent.id)
    )
    return tuple(ShipmentEventIn(status, at, note) for status, at, note in rows)


def _set_estimate(session: Session, shipment_id: int, day: date, source: str) -> None:
    row = session.scalar(
        select(ShipmentEstimate).where(ShipmentEstimate.shipment_id == shipment_id)
    )
    if row is None:
        session.add(ShipmentEstimate(shipment_id=shipment_id, estimated_on=day, source=source[:40]))
    else:
        row.estimated_on, row.source, row.updated_at = day, source[:40], now()
    session.flush()


def transit_days(prefecture: str | None) -> int:
    """Days in transit to ``prefecture`` (1 within Honshu's centre; 2 to Hokkaido, western
    Honshu, Shikoku and Kyushu; 3 to Okinawa; 2 when unknown)."""
    if not prefecture:
        return 2
    try:
        code = jp.PREFECTURES.index(jp.normalise_prefecture(prefecture)) + 1
    except ValueError:
        return 2
    return _FAR.get(code, 1)


def estimate(
    shipment: Shipment | None,
    order: Order,
    prefecture: str | None,
    announced: date | None = None,
    zone: str = "Asia/Tokyo",
) -> dict | None:
    """``{"from", "to", "source"}``: when the parcel should arrive (shop dates), or None for a
    cancelled order. ``source`` is ``delivered``, ``carrier`` or ``estimate``."""
    if order.status == "cancelled":
        return None
    if shipment is not None and shipment.delivered_at is not None:
        day = to_shop_tz(shipment.delivered_at, zone).date()
        return {"from": day, "to": day, "source": "delivered"}
    if announced is not None:
        return {"from": announced, "to": announced, "source": "carrier"}
    if shipment is not None and shipment.shipped_at is not None:
        start = to_shop_tz(shipment.shipped_at, zone).date()
    else:
        start = to_shop_tz(order.placed_at, zone).date() + timedelta(days=HANDLING_DAYS)
    first = start + timedelta(days=transit_days(prefecture))
    return {"from": first, "to": first + timedelta(days=1), "source": "estimate"}


def order_estimate(session: Session, order: Order, zone: str = "Asia/Tokyo") -> dict | None:
    """The order's delivery estimate: the latest of its parcels' estimates."""
    prefecture = None
    if order.customer_id is not None:
        prefecture = session.scalar(
            select(Customer.prefecture).where(Customer.id == order.customer_id)
        )
    parcels = session.scalars(select(Shipment).where(Shipment.order_id == order.id)).all()
    if not parcels:
        return estimate(None, order, prefecture, None, zone)
    announced: dict[int, date] = dict(
        session.execute(
            select(ShipmentEstimate.shipment_id, ShipmentEstimate.estimated_on).where(
                ShipmentEstimate.shipment_id.in_([p.id for p in parcels])
            )
        ).all()
    )
    found = [estimate(p, order, prefecture, announced.get(p.id), zone) for p in parcels]
    known = [e for e in found if e is not None]
    pending = [e for e in known if e["source"] != "delivered"]
    pool = pending or known  # a parcel still on its way decides; else the last delivery
    return max(pool, key=lambda e: e["to"]) if pool else None
