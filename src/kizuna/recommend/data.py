"""Pulling what the recommenders learn from out of the record into numpy arrays.

Grain: one row per purchased order line of a known customer (not cancelled), one row per
product view / cart add. SKUs are mapped to their position in the catalogue; lines whose SKU is
not a catalogue product, or is excluded by the config, are dropped. Reads only; writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import ColumnElement, Select, and_, func, literal_column, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from kizuna.catalog.models import Product
from kizuna.customers.models import Customer
from kizuna.events.models import Event
from kizuna.orders.models import Order, OrderLine
from kizuna.recommend.config import SELLABLE, RecommendConfig

FETCH = 200_000
EVENT_TYPES = ("product_view", "cart_add")


@dataclass(frozen=True)
class Catalogue:
    """Every product: position i holds ``skus[i]``; category -1 and price NaN when unknown."""

    ids: NDArray[np.int64]
    skus: list[str]
    category: NDArray[np.int64]
    price: NDArray[np.float64]
    sellable: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.skus)


@dataclass(frozen=True)
class Purchases:
    """Order lines: customer id, catalogue position, order id, time in epoch days."""

    customer: NDArray[np.int64]
    item: NDArray[np.int64]
    order: NDArray[np.int64]
    day: NDArray[np.float64]


@dataclass(frozen=True)
class Browsing:
    """Views and cart adds: visit key (actor and day), customer id (-1 anonymous), item, day."""

    visit: NDArray[np.int64]
    customer: NDArray[np.int64]
    item: NDArray[np.int64]
    day: NDArray[np.float64]


@dataclass(frozen=True)
class People:
    """Live (not merged-away) customers: id and segment (prefecture, else country, else '')."""

    ids: NDArray[np.int64]
    segment: list[str]


def epoch_days(session: Session, column: InstrumentedAttribute[datetime]) -> ColumnElement[Any]:
    """``column`` as fractional days since 1970-01-01 UTC, computed by the database."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(column) - literal_column("2440587.5")
    return func.extract("epoch", column) / literal_column("86400.0")


def load_catalogue(session: Session, config: RecommendConfig) -> Catalogue:
    """The catalogue; excluded SKUs are never sellable."""
    rows = session.execute(
        select(
            Product.id, Product.sku, Product.category_id, Product.price, Product.stock_status
        ).order_by(Product.id)
    ).all()
    excluded = set(config.exclude_skus)
    return Catalogue(
        np.array([r[0] for r in rows], dtype=np.int64),
        [r[1] for r in rows],
        np.array([r[2] if r[2] is not None else -1 for r in rows], dtype=np.int64),
        np.array([r[3] if r[3] else np.nan for r in rows], dtype=np.float64),
        np.array([r[4] in SELLABLE and r[1] not in excluded for r in rows], dtype=np.bool_),
    )


def _window(
    column: InstrumentedAttribute[datetime], since: datetime | None, until: datetime | None
) -> list:
    out = []
    if since is not None:
        out.append(column >= since)
    if until is not None:
        out.append(column < until)
    return out


def _stream(session: Session, query: Select, width: int) -> NDArray[np.float64]:
    result = session.connection().execute(query.execution_options(stream_results=True))
    parts = [np.empty((0, width))]
    while chunk := result.fetchmany(FETCH):
        # numpy reads Row objects item by item (10x slower): hand it plain tuples
        parts.append(np.array([tuple(row) for row in chunk], dtype=np.float64))
    return np.concatenate(parts)


def _positions(catalogue: Catalogue, product_ids: NDArray[np.float64]) -> NDArray[np.int64]:
    return np.searchsorted(catalogue.ids, product_ids.astype(np.int64))


def load_purchases(
    session: Session,
    catalogue: Catalogue,
    config: RecommendConfig,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Purchases:
    """Order lines of known customers in ``[since, until)``, excluded SKUs dropped."""
    query = (
        select(Order.customer_id, Product.id, Order.id, epoch_days(session, Order.placed_at))
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.sku == OrderLine.sku)
        .where(Order.customer_id.is_not(None), Order.status != "cancelled")
        .where(*_window(Order.placed_at, since, until))
    )
    if config.exclude_skus:
        query = query.where(OrderLine.sku.not_in(config.exclude_skus))
    data = _stream(session, query, 4)
    return Purchases(
        data[:, 0].astype(np.int64),
        _positions(catalogue, data[:, 1]),
        data[:, 2].astype(np.int64),
        data[:, 3],
    )


def load_browsing(
    session: Session,
    catalogue: Catalogue,
    config: RecommendConfig,
    until: datetime | None = None,
) -> Browsing:
    """Product views and cart adds before ``until``; a visit is one actor's calendar day (UTC)."""
    query = (
        select(
            Event.customer_id,
            Event.anonymous_id,
            Product.id,
            epoch_days(session, Event.occurred_at),
        )
        .select_from(Event)
        .join(Product, Product.sku == Event.sku)
        .where(Event.type.in_(EVENT_TYPES), *_window(Event.occurred_at, None, until))
        .where(or_(Event.customer_id.is_not(None), Event.anonymous_id.is_not(None)))
    )
    if config.exclude_skus:
        query = query.where(and_(Event.sku.not_in(config.exclude_skus)))
    rows = session.connection().execute(query.execution_options(stream_results=True))
    actors: dict[object, int] = {}
    customer, actor, product, day = [], [], [], []
    while chunk := rows.fetchmany(FETCH):
        for cid, anon, pid, when in chunk:
            customer.append(-1 if cid is None else cid)
            actor.append(actors.setdefault(cid if cid is not None else anon, len(actors)))
            product.append(pid)
            day.append(when)
    days = np.array(day, dtype=np.float64)
    visit = np.array(actor, dtype=np.int64) * 1_000_000 + np.floor(days).astype(np.int64)
    return Browsing(
        np.unique(visit, return_inverse=True)[1].astype(np.int64) if len(visit) else visit,
        np.array(customer, dtype=np.int64),
        _positions(catalogue, np.array(product, dtype=np.float64)),
        days,
    )


def load_people(session: Session) -> People:
    """Live customers with their segment key."""
    query = (
        select(Customer.id, func.coalesce(Customer.prefecture, Customer.country, ""))
        .where(Customer.merged_into_id.is_(None))
        .order_by(Customer.id)
    )
    ids, segments = [], []
    for cid, segment in session.execute(query):
        ids.append(cid)
        segments.append(segment)
    return People(np.array(ids, dtype=np.int64), segments)
