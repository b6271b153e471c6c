"""Order verbs: record orders and returns in bulk, idempotently. Touches nothing but the record.

An order is identified by its order number. Recording the same order again changes nothing
(``unchanged``); recording it with different content replaces its lines (``updated``). Customers
named by id are created as stubs when unknown; guests are matched to an existing customer by
normalised email or phone, else kept as a guest customer with that identity.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from kizuna.catalog.service import ensure_skus
from kizuna.customers.schemas import CustomerIn
from kizuna.customers.service import ensure_customers, identity_owners, upsert_customers
from kizuna.kit.bulk import Bulk
from kizuna.kit.clock import now
from kizuna.kit.counts import WriteCounts
from kizuna.kit.errors import Conflict
from kizuna.kit.locking import lock_key
from kizuna.orders.schemas import LineIn, OrderIn, ReturnIn

_ORDER_COLUMNS = (
    "order_number", "idempotency_key", "customer_id", "guest_email", "guest_phone", "channel",
    "status", "currency", "placed_at", "subtotal", "discount", "shipping_fee", "points_used",
    "total", "content_hash", "created_at", "updated_at",
)  # fmt: skip
_RETURN_COLUMNS = (
    "return_number", "order_id", "customer_id", "returned_at", "reason", "currency", "amount",
    "content_hash", "created_at",
)  # fmt: skip


def _guest_key(email: str | None, phone: str | None) -> str:
    return "guest-" + hashlib.blake2b(f"{email}|{phone}".encode(), digest_size=8).hexdigest()


def resolve_customers(session: Session, records: Sequence[OrderIn | ReturnIn]) -> list[int | None]:
    """The customer id of each record: by shop id, else by guest email/phone, else none."""
    named = {r.customer: r.country for r in records if r.customer}
    ids: dict[str, int] = ensure_customers(session, named) if named else {}
    guests = [r for r in records if not r.customer and isinstance(r, OrderIn)
              and (r.guest_email or r.guest_phone)]  # fmt: skip
    guest_ids = _resolve_guests(session, guests) if guests else {}
    out: list[int | None] = []
    for record in records:
        if record.customer:
            out.append(ids[record.customer])
        elif isinstance(record, OrderIn) and (record.guest_email or record.guest_phone):
            out.append(guest_ids[_guest_key(record.guest_email, record.guest_phone)])
        else:
            out.append(None)
    return out


def _resolve_guests(session: Session, guests: Sequence[OrderIn]) -> dict[str, int]:
    """Customer ids by ``_guest_key``: the stored owner of the order's email (else phone), else a
    new guest customer; guest orders in one batch that share an email or phone are one guest."""
    pairs = [("email", g.guest_email) for g in guests if g.guest_email] + [
        ("phone", g.guest_phone) for g in guests if g.guest_phone
    ]
    owners = identity_owners(session, pairs)
    claimed: dict[tuple[str, str], int | str] = dict(owners)  # identity → customer id or new key
    chosen: dict[str, int | str] = {}
    new_guests: dict[str, tuple[OrderIn, dict[tuple[str, str], None]]] = {}
    for g in guests:
        key = _guest_key(g.guest_email, g.guest_phone)
        mine = [(k, v) for k, v in (("email", g.guest_email), ("phone", g.guest_phone)) if v]
        who = next((claimed[p] for p in mine if p in claimed), chosen.get(key, key))
        chosen[key] = who
        for pair in mine:
            claimed.setdefault(pair, who)
            if isinstance(who, str):
                new_guests.setdefault(who, (g, {}))[1][pair] = None
    if new_guests:
        upsert_customers(session, [
            CustomerIn(external_id=key, is_member=False, registration_channel=g.channel,
                       registered_at=g.placed_at, identities=tuple(identities))
            for key, (g, identities) in new_guests.items()
        ])  # fmt: skip
    ids = Bulk(session).fetch_map("customers", "external_id", list(new_guests))
    return {key: ids[who] if isinstance(who, str) else who for key, who in chosen.items()}


def store_orders(session: Session, orders: Sequence[OrderIn]) -> WriteCounts:
    """Record orders with their lines; returns inserted / updated / unchanged counts."""
    bulk, counts = Bulk(session), WriteCounts()
    latest = {order.order_number: order for order in orders}
    counts.unchanged += len(orders) - len(latest)
    existing = bulk.fetch_map("orders", "order_number", list(latest), "id, content_hash")
    prints = {number: order.fingerprint() for number, order in latest.items()}
    todo = [o for k, o in latest.items() if k not in existing or existing[k][1] != prints[k]]
    counts.unchanged += len(latest) - len(todo)
    if not todo:
        return counts
    customer_ids = resolve_customers(session, todo)
    ensure_skus(session, {ln.sku: ln.description or "" for o in todo for ln in o.lines},
                currency=todo[0].currency)  # fmt: skip
    stamp = bulk.time(now())
    rows_new, rows_changed, replaced = [], [], []
    for order, customer_id in zip(todo, customer_ids, strict=True):
        row = _order_row(bulk, order, customer_id, prints[order.order_number], stamp)
        if order.order_number in existing:
            replaced.append(existing[order.order_number][0])
            rows_changed.append((*row[1:-2], stamp, order.order_number))
        else:
            rows_new.append(row)
    counts.inserted, counts.updated = len(rows_new), len(rows_changed)
    bulk.insert("orders", _ORDER_COLUMNS, rows_new)
    sets = ", ".join(f"{col} = ?" for col in _ORDER_COLUMNS[1:-2]) + ", updated_at = ?"
    bulk.executemany(f"UPDATE orders SET {sets} WHERE order_number = ?", rows_changed)
    bulk.executemany("DELETE FROM order_lines WHERE order_id = ?", [(i,) for i in replaced])
    ids = bulk.fetch_map("orders", "order_number", [o.order_number for o in todo])
    _insert_lines(bulk, "order_lines", "order_id", [(ids[o.order_number], o.lines) for o in todo])
    return counts


def _order_row(
    bulk: Bulk, order: OrderIn, customer_id: int | None, fingerprint: str, stamp: Any
) -> tuple:
    return (
        order.order_number, order.idempotency_key, customer_id, order.guest_email,
        order.guest_phone, order.channel, order.status, order.currency, bulk.time(order.placed_at),
        order.subtotal, order.discount, order.shipping_fee, order.points_used, order.total,
        fingerprint, stamp, stamp,
    )  # fmt: skip


def _insert_lines(
    bulk: Bulk, table: str, parent: str, groups: list[tuple[int, tuple[LineIn, ...]]]
) -> None:
    if table == "order_lines":
        columns: tuple[str, ...] = (
            "order_id", "line_no", "sku", "description", "quantity", "unit_price", "discount",
            "amount",
        )  # fmt: skip
        rows: list[tuple] = [
            (pid, n, ln.sku, ln.description, ln.quantity, ln.unit_price, ln.discount, ln.amount)
            for pid, lines in groups
            for n, ln in enumerate(lines, start=1)
        ]
    else:
        columns = (parent, "line_no", "sku", "quantity", "amount")
        rows = [
            (pid, n, ln.sku, ln.quantity, ln.amount)
            for pid, lines in groups
            for n, ln in enumerate(lines, start=1)
        ]
    bulk.insert(table, columns, rows)


def store_returns(session: Session, returns: Sequence[ReturnIn]) -> WriteCounts:
    """Record returns (credit notes) with their lines; idempotent by return number."""
    bulk, counts = Bulk(session), WriteCounts()
    latest = {r.return_number: r for r in returns}
    counts.unchanged += len(returns) - len(latest)
    existing = bulk.fetch_map("returns", "return_number", list(latest), "id, content_hash")
    todo = [r for k, r in latest.items() if k not in existing or existing[k][1] != r.fingerprint()]
    counts.unchanged += len(latest) - len(todo)
    if not todo:
        return counts
    customer_ids = resolve_customers(session, todo)
    orders = bulk.fetch_map(
        "orders",
        "order_number",
        [r.order_number for r in todo if r.order_number],
        "id, customer_id",
    )
    order_ids = {number: order_id for number, (order_id, _) in orders.items()}
    # a return without a customer of its own belongs to whoever the returned order belongs to
    customer_ids = [
        cid if cid is not None or not r.order_number else orders.get(r.order_number, (0, None))[1]
        for r, cid in zip(todo, customer_ids, strict=True)
    ]
    # A changed return is updated in place (its id is kept: merges and later ledgers refer to it).
    replaced = [existing[r.return_number][0] for r in todo if r.return_number in existing]
    counts.updated, counts.inserted = len(replaced), len(todo) - len(replaced)
    stamp = bulk.time(now())
    rows = [
        (r.return_number, order_ids.get(r.order_number), cid, bulk.time(r.returned_at), r.reason,
         r.currency, r.amount, r.fingerprint(), stamp)
        for r, cid in zip(todo, customer_ids, strict=True)
    ]  # fmt: skip
    bulk.insert("returns", _RETURN_COLUMNS, [row for row in rows if row[0] not in existing])
    sets = ", ".join(f"{col} = ?" for col in _RETURN_COLUMNS[1:-1])
    bulk.executemany(f"UPDATE returns SET {sets} WHERE return_number = ?",
                     [(*row[1:-1], row[0]) for row in rows if row[0] in existing])  # fmt: skip
    bulk.executemany("DELETE FROM return_lines WHERE return_id = ?", [(i,) for i in replaced])
    ids = bulk.fetch_map("returns", "return_number", [r.return_number for r in todo])
    _insert_lines(
        bulk, "return_lines", "return_id", [(ids[r.return_number], r.lines) for r in todo]
    )
    return counts


def record_order(session: Session, order: OrderIn) -> str:
    """Record one order (API/webhook path): ``"inserted"``, ``"updated"`` or ``"unchanged"``.

    An idempotency key already used for a different order number is a Conflict (409).
    """
    lock_key(session, "order", order.order_number)
    if order.idempotency_key:
        used_by = Bulk(session).fetch_map("orders", "idempotency_key", [order.idempotency_key],
                                          "order_number")  # fmt: skip
        other = used_by.get(order.idempotency_key)
        if other is not None and other != order.order_number:
            raise Conflict(f"Idempotency-Key was already used for order {other}",
                           field="Idempotency-Key")  # fmt: skip
    counts = store_orders(session, [order])
    return "inserted" if counts.inserted else "updated" if counts.updated else "unchanged"
