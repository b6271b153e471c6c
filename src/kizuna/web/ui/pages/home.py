"""The overview page: customers, members vs guests, orders, revenue and repeat rate by month."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request

from kizuna.accounts.models import User
from kizuna.customers.queries import customer_counts
from kizuna.orders.queries import monthly_sales, order_counts
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)
_CACHE: dict[str, tuple[float, tuple[Any, ...], dict[str, Any]]] = {}
CACHE_SECONDS = 300


def overview_data(session: SessionDep, zone: str) -> dict[str, Any]:
    """The overview's figures (cached for five minutes while the record is unchanged)."""
    orders = order_counts(session)
    key = (orders["orders"], orders["last_order_at"])
    cached = _CACHE.get(zone)
    if cached and cached[1] == key and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[2]
    months = monthly_sales(session, 12, zone)
    revenue = sum(m.revenue for m in months)
    buyers = sum(m.buyers for m in months)
    data = {
        **customer_counts(session),
        **orders,
        "revenue_12m": revenue,
        "repeat_rate_12m": sum(m.repeat_buyers for m in months) / buyers if buyers else 0.0,
        "months": [{**vars(m), "repeat_rate": m.repeat_rate} for m in months],
    }
    _CACHE[zone] = (time.monotonic(), key, data)
    return data


@page(router, "/", "overview.html")
def overview(
    request: Request, session: SessionDep, user: User = require_role("marketer", "support")
) -> dict[str, Any]:
    zone = request.app.state.settings.shop_timezone
    return {"user": user, **overview_data(session, zone)}
