"""One block of the demo shop: a fixed number of people and everything they did.

Each block draws from its own random stream, ``PCG64([seed, block])``, and always draws a full
block before dropping the people beyond the requested total. So a person's data depends only on
the seed and their number: a 300-customer demo is the first 300 people of a 1M-customer one.
Running numbers (orders, returns, subscriptions, events) continue from the previous block.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from kizuna.customers.schemas import CustomerIn
from kizuna.demo.baskets import fill_baskets, plan_products
from kizuna.demo.browsing import event_records
from kizuna.demo.buying import first_purchases, purchases, subscription_plans
from kizuna.demo.calendar import Calendar, make_calendar
from kizuna.demo.people import People, customer_records, draw_people
from kizuna.demo.products import Catalogue, make_catalogue
from kizuna.demo.records import (
    order_records,
    order_statuses,
    return_records,
    shipment_records,
    subscription_records,
)  # fmt: skip
from kizuna.events.schemas import EventIn
from kizuna.orders.fulfilment import ShipmentIn, SubscriptionIn
from kizuna.orders.schemas import OrderIn, ReturnIn

BLOCK = 1000
CATALOGUE_STREAM = 0xCA7A
PROBLEM_SHARE = 0.003
PROBLEM_REASONS = ("過度な返品・返金要求", "サポート窓口への暴言", "受取拒否の繰り返し",
                   "転売目的の大量購入", "虚偽のクレーム")  # fmt: skip


@dataclass
class Numbers:
    """The last number used for each kind of record, carried from block to block."""

    orders: int = 0
    returns: int = 0
    subscriptions: int = 0
    events: int = 0


@dataclass
class Block:
    """Record inputs for one block, ready for the domain bulk services."""

    customers: list[CustomerIn]
    orders: list[OrderIn]
    returns: list[ReturnIn]
    subscriptions: list[SubscriptionIn]
    shipments: list[ShipmentIn]
    events: list[EventIn]
    problems: list[tuple[str, str]] = field(default_factory=list)
    guests: int = 0


def shop_catalogue(seed: int, today: date) -> tuple[Calendar, Catalogue]:
    """The calendar and the catalogue (the same for every block)."""
    cal = make_calendar(today)
    rng = np.random.Generator(np.random.PCG64([seed, CATALOGUE_STREAM]))
    return cal, make_catalogue(rng, cal.first)


def generate_blocks(customers: int, seed: int, today: date) -> Iterator[Block]:
    """Every block of a shop of ``customers`` people, in order."""
    cal, catalogue = shop_catalogue(seed, today)
    numbers = Numbers()
    for index in range((customers + BLOCK - 1) // BLOCK):
        size = min(BLOCK, customers - index * BLOCK)
        yield generate_block(seed, index, size, cal, catalogue, numbers)


def generate_block(
    seed: int, index: int, size: int, cal: Calendar, catalogue: Catalogue, numbers: Numbers
) -> Block:
    """Block ``index`` keeping its first ``size`` people; advances ``numbers``."""
    rng = np.random.Generator(np.random.PCG64([seed, index]))
    people = draw_people(rng, cal, index * BLOCK, BLOCK)
    first = first_purchases(rng, cal, people)
    plans = subscription_plans(rng, cal, people, first)
    orders = purchases(rng, cal, people, first, plans)
    plan_sku = plan_products(rng, people, catalogue, plans)
    baskets = fill_baskets(rng, cal, people, catalogue, orders, plans, plan_sku)
    status = order_statuses(cal, orders, baskets)
    keep = orders.person < size
    serial = numbers.orders + np.cumsum(keep)
    nums = [f"D-{n:08d}" if k else "" for n, k in zip(serial.tolist(), keep.tolist(), strict=True)]
    order_in = order_records(cal, people, catalogue, orders, baskets, status, nums, keep)
    # Keyword arguments run in the order written, and so do their draws: reordering them changes
    # the shop a seed gives.
    block = Block(
        customers=_members(rng, cal, people, orders.person, orders.at, size),
        orders=[order for order in order_in if order is not None],
        returns=return_records(rng, cal, orders, baskets, status, order_in, keep, numbers.returns),
        shipments=shipment_records(rng, cal, orders, baskets, status, nums, serial, keep),
        subscriptions=subscription_records(cal, people, catalogue, plans, plan_sku, orders, nums,
                                           size, numbers.subscriptions),
        events=event_records(rng, cal, people, catalogue, orders, baskets, first, size,
                             numbers.events),
        problems=_problems(rng, people, first, size),
        guests=len(np.unique(orders.person[keep & ~people.member[orders.person]])),
    )  # fmt: skip
    numbers.orders += len(block.orders)
    numbers.returns += len(block.returns)
    numbers.subscriptions += len(block.subscriptions)
    numbers.events += len(block.events)
    return block


def _members(
    rng: np.random.Generator,
    cal: Calendar,
    people: People,
    buyer: np.ndarray,
    at: np.ndarray,
    size: int,
) -> list[CustomerIn]:
    """CustomerIn for the members among the first ``size`` people (drawn for the whole block);
    nobody registered after their first order (store purchases move to opening hours)."""
    members = np.flatnonzero(people.member)
    earliest = np.full(len(people), cal.end, dtype=np.int64)
    np.minimum.at(earliest, buyer, at)
    registered = np.minimum(people.registered, earliest - 300)[members]
    records = customer_records(rng, people, cal, members, cal.to_datetimes(registered))
    return [record for record, i in zip(records, members.tolist(), strict=True) if i < size]


def _problems(
    rng: np.random.Generator, people: People, first: np.ndarray, size: int
) -> list[tuple[str, str]]:
    """``(external id, reason)`` for the few buying members support flagged as problems."""
    flagged = people.member & (first >= 0) & (rng.random(len(people)) < PROBLEM_SHARE)
    reasons = rng.integers(0, len(PROBLEM_REASONS), len(people))
    return [(people.external_id(i), PROBLEM_REASONS[reasons[i]])
            for i in np.flatnonzero(flagged[:size]).tolist()]  # fmt: skip
