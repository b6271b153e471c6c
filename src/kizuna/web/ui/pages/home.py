"""The overview page: customers, members vs guests, orders, revenue and repeat rate by month.

The figures scan the whole order table, so they are computed off the request path: on start-up
(a background warm-up) and again in the background when they are older than ``FRESH_SECONDS`` or
a new order or customer arrived; a request always gets the latest finished figures at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.accounts.models import User
from kizuna.customers.models import Customer
from kizuna.customers.queries import customer_counts
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order
from kizuna.orders.queries import monthly_sales, order_counts
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)
FRESH_SECONDS = 300


def compute_overview(session: Session, zone: str) -> dict[str, Any]:
    """The overview's figures, computed now."""
    orders = order_counts(session)
    months = monthly_sales(session, 12, zone)
    buyers = sum(m.buyers for m in months)
    return {
        **customer_counts(session),
        **orders,
        "revenue_12m": sum(m.revenue for m in months),
        "repeat_rate_12m": sum(m.repeat_buyers for m in months) / buyers if buyers else 0.0,
        "months": [{**vars(m), "repeat_rate": m.repeat_rate} for m in months],
    }


class OverviewCache:
    """Latest overview figures per record; refreshed in one background thread at a time."""

    def __init__(self, sessions: sessionmaker[Session], zone: str) -> None:
        self.sessions, self.zone = sessions, zone
        self.data: dict[str, Any] | None = None
        self.key: tuple[Any, ...] | None = None
        self.at = 0.0
        self.lock = threading.Lock()
        self.refreshing = False
        self.ready = threading.Event()

    def _version(self, session: Session) -> tuple[Any, ...]:
        # max(id) reads the end of the primary-key index: cheap at any size
        return (
            session.scalar(select(func.max(Order.id))),
            session.scalar(select(func.max(Customer.id))),
        )

    def refresh(self) -> None:
        """Recompute now (in the calling thread)."""
        try:
            with session_scope(self.sessions) as session:
                key, data = self._version(session), compute_overview(session, self.zone)
            with self.lock:
                self.data, self.key, self.at = data, key, time.monotonic()
        finally:
            with self.lock:
                self.refreshing = False
            self.ready.set()

    def _refresh_in_background(self) -> None:
        with self.lock:
            if self.refreshing:
                return
            self.refreshing = True
        threading.Thread(target=self.refresh, daemon=True, name="overview-refresh").start()

    def get(self, session: Session) -> dict[str, Any]:
        """The latest figures; stale ones are served while a refresh runs."""
        if self.data is None:
            if self.refreshing:
                self.ready.wait()  # the warm-up is already computing: wait for it, not twice
            else:
                self.refresh()
        elif self.key != self._version(session) or time.monotonic() - self.at > FRESH_SECONDS:
            self._refresh_in_background()
        assert self.data is not None
        return self.data

    def warm_up(self) -> None:
        """Compute the first figures in the background so that the first visitor doesn't wait."""
        self._refresh_in_background()


def overview_cache(request: Request) -> OverviewCache:
    """The app's overview cache (created on first use)."""
    state = request.app.state
    if getattr(state, "overview", None) is None:
        state.overview = OverviewCache(state.sessions, state.settings.shop_timezone)
    cache: OverviewCache = state.overview
    return cache


@page(router, "/", "overview.html")
def overview(
    request: Request, session: SessionDep, user: User = require_role("marketer", "support")
) -> dict[str, Any]:
    return {"user": user, **overview_cache(request).get(session)}
