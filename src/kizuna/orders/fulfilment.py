"""Subscription (定期) and shipment verbs: bulk, idempotent writes keyed by the shop's numbers.

A subscription is identified by its subscription number, a shipment by (carrier, tracking
number). Storing the same item again changes nothing (``unchanged``); a changed item is updated in
place. Shipment status events are appended: an event already stored (same shipment, status and
time) is skipped, so a carrier feed can be replayed, and a shipment whose feed brings events not
stored yet counts as updated. Touches nothing but these tables and ``orders.subscription_id``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from kizuna.customers.service import ensure_customers
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.counts import WriteCounts
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.orders.models import SHIPMENT_STATUSES, SUBSCRIPTION_STATUSES


@dataclass(frozen=True, slots=True)
class SubscriptionIn:
    """A recurring purchase; ``order_numbers`` are the orders it produced (linked when stored)."""

    subscription_number: str
    customer: str
    sku: str
    interval_days: int
    started_at: datetime
    status: str = "active"
    next_date: date | None = None
    cancelled_at: datetime | None = None
    order_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ShipmentEventIn:
    """One status report from the carrier."""

    status: str
    at: datetime
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ShipmentIn:
    """A parcel for one order, with the carrier's status history so far."""

    carrier: str
    tracking_number: str
    order_number: str
    status: str = "preparing"
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    events: tuple[ShipmentEventIn, ...] = ()


def _day(bulk: Bulk, day: date | None) -> Any:
    """A date as the dialect returns it from a raw query (SQLite: ISO text)."""
    if day is None or bulk.dialect != "sqlite":
        return day
    return day.isoformat()


def store_subscriptions(session: Session, items: Sequence[SubscriptionIn]) -> WriteCounts:
    """Insert new subscriptions, update changed ones, link their orders; returns the counts."""
    bulk, counts = Bulk(session), WriteCounts()
    latest = {item.subscription_number: item for item in items}
    counts.unchanged += len(items) - len(latest)
    for item in latest.values():
        _check_subscription(item)
    customers = ensure_customers(session, {item.customer: None for item in latest.values()})
    columns = "customer_id, sku, interval_days, status, started_at, next_date, cancelled_at"
    existing = bulk.fetch_map(
        "subscriptions", "subscription_number", list(latest), f"id, {columns}"
    )
    rows_new, rows_changed = [], []
    for key, item in latest.items():
        row = (
            customers[item.customer], item.sku, item.interval_days, item.status,
            bulk.time(item.started_at), _day(bulk, item.next_date), bulk.time(item.cancelled_at),
        )  # fmt: skip
        if key not in existing:
            rows_new.append((key, *row))
        elif tuple(existing[key][1:]) != row:
            rows_changed.append((*row, key))
    counts.inserted, counts.updated = len(rows_new), len(rows_changed)
    counts.unchanged += len(latest) - len(rows_new) - len(rows_changed)
    bulk.insert("subscriptions", ("subscription_number", *columns.split(", ")), rows_new)
    sets = ", ".join(f"{column} = ?" for column in columns.split(", "))
    bulk.executemany(f"UPDATE subscriptions SET {sets} WHERE subscription_number = ?", rows_changed)
    _link_orders(bulk, latest)
    return counts


def _check_subscription(item: SubscriptionIn) -> None:
    if item.status not in SUBSCRIPTION_STATUSES:
        raise ValidationFailed(f"subscription status {item.status!r} is not one of "
                               f"{', '.join(SUBSCRIPTION_STATUSES)}", field="status")  # fmt: skip
    if item.interval_days <= 0:
        raise ValidationFailed("interval_days must be positive", field="interval_days")


def _link_orders(bulk: Bulk, latest: dict[str, SubscriptionIn]) -> None:
    """Point each named order at its subscription (orders stored later get linked on replay)."""
    wanted = [key for key, item in latest.items() if item.order_numbers]
    if not wanted:
        return
    ids = bulk.fetch_map("subscriptions", "subscription_number", wanted)
    bulk.executemany(
        "UPDATE orders SET subscription_id = ? WHERE order_number = ? "
        "AND (subscription_id IS NULL OR subscription_id <> ?)",
        [(ids[key], number, ids[key]) for key in wanted for number in latest[key].order_numbers],
    )


def store_shipments(session: Session, items: Sequence[ShipmentIn]) -> WriteCounts:
    """Insert new shipments, update changed ones, append unseen status events; returns counts.

    Raises NotFound when a shipment names an order that is not stored.
    """
    bulk, counts = Bulk(session), WriteCounts()
    latest = {(item.carrier, item.tracking_number): item for item in items}
    counts.unchanged += len(items) - len(latest)
    for item in latest.values():
        _check_shipment(item)
    orders = bulk.fetch_map("orders", "order_number", sorted({i.order_number for i in items}))
    missing = sorted({i.order_number for i in latest.values()} - set(orders))
    if missing:
        raise NotFound(f"order {missing[0]!r} is not stored", field="order_number")
    existing = _existing_shipments(bulk, list(latest))
    event_counts = _event_counts(bulk, [row[0] for row in existing.values()])
    rows_new, rows_changed, touched = [], [], []
    for key, item in latest.items():
        row = (orders[item.order_number], item.status, bulk.time(item.shipped_at),
               bulk.time(item.delivered_at))  # fmt: skip
        if key not in existing:
            rows_new.append((*key, *row))
            touched.append(key)
        elif tuple(existing[key][1:]) != row:
            rows_changed.append((*row, *key))
            touched.append(key)
        elif event_counts.get(existing[key][0], 0) < len(set(item.events)):
            touched.append(key)
    counts.inserted = len(rows_new)
    counts.updated = len(touched) - len(rows_new)
    counts.unchanged += len(latest) - len(touched)
    shipment_columns = ("carrier", "tracking_number", "order_id", "status", "shipped_at")
    bulk.insert("shipments", (*shipment_columns, "delivered_at"), rows_new)
    bulk.executemany(
        "UPDATE shipments SET order_id = ?, status = ?, shipped_at = ?, delivered_at = ? "
        "WHERE carrier = ? AND tracking_number = ?",
        rows_changed,
    )
    _append_events(bulk, {key: latest[key] for key in touched})
    return counts


def _check_shipment(item: ShipmentIn) -> None:
    for status in (item.status, *(event.status for event in item.events)):
        if status not in SHIPMENT_STATUSES:
            raise ValidationFailed(f"shipment status {status!r} is not one of "
                                   f"{', '.join(SHIPMENT_STATUSES)}", field="status")  # fmt: skip


def _existing_shipments(bulk: Bulk, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple]:
    """``{(carrier, tracking): (id, order_id, status, shipped_at, delivered_at)}`` stored now."""
    by_carrier: dict[str, list[str]] = {}
    for carrier, tracking in keys:
        by_carrier.setdefault(carrier, []).append(tracking)
    out = {}
    for carrier, numbers in sorted(by_carrier.items()):
        # Carrier first, so that the (carrier, tracking_number) unique index serves the lookup.
        for part in chunks(sorted(numbers), 5000):
            text = (
                "SELECT tracking_number, id, order_id, status, shipped_at, delivered_at "
                f"FROM shipments WHERE carrier = ? AND tracking_number IN ({bulk.marks(len(part))})"
            )
            for row in bulk.conn.exec_driver_sql(bulk.sql(text), (carrier, *part)):
                out[(carrier, row[0])] = tuple(row[1:])
    return out


def _event_counts(bulk: Bulk, shipment_ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for part in chunks(sorted(shipment_ids), 5000):
        text = (f"SELECT shipment_id, COUNT(*) FROM shipment_events WHERE shipment_id IN "
                f"({bulk.marks(len(part))}) GROUP BY shipment_id")  # fmt: skip
        out.update(
            (row[0], row[1]) for row in bulk.conn.exec_driver_sql(bulk.sql(text), tuple(part))
        )
    return out


def _append_events(bulk: Bulk, items: dict[tuple[str, str], ShipmentIn]) -> None:
    if not items:
        return
    ids = {key: row[0] for key, row in _existing_shipments(bulk, list(items)).items()}
    bulk.executemany(
        "INSERT INTO shipment_events (shipment_id, status, at, note) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (shipment_id, status, at) DO NOTHING",
        [
            (ids[key], event.status, bulk.time(event.at), event.note)
            for key, item in items.items()
            for event in item.events
        ],
    )
