"""Pulling the transactions the models need from the record: one row per live order of a known
customer (customer id, order day in the shop's zone, amount in minor units)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.clv.models import ClvFitError
from kizuna.orders.models import Order


@dataclass(frozen=True)
class Transactions:
    customer_ids: NDArray[np.int64]
    days: NDArray[np.datetime64]
    amounts: NDArray[np.float64]

    def first_day(self) -> date:
        return date.fromisoformat(str(self.days.min()))

    def last_day(self) -> date:
        return date.fromisoformat(str(self.days.max()))


def load_transactions(session: Session, zone: str = "Asia/Tokyo") -> Transactions:
    """Every non-cancelled order with a customer; ClvFitError when there are none."""
    query = (
        select(Order.customer_id, Order.placed_at, Order.total)
        .where(Order.customer_id.is_not(None), Order.status != "cancelled")
        .execution_options(yield_per=100_000)
    )
    tz = ZoneInfo(zone)
    ids, days, amounts = [], [], []
    for customer_id, placed_at, total in session.execute(query):
        ids.append(customer_id)
        days.append(placed_at.astimezone(tz).date())
        amounts.append(total)
    if not ids:
        raise ClvFitError("there are no orders with a customer yet: import orders first")
    return Transactions(
        np.asarray(ids, dtype=np.int64),
        np.asarray(days, dtype="datetime64[D]"),
        np.asarray(amounts, dtype=np.float64),
    )
