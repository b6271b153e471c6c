"""What the analytics pages and API share: the day they describe, the rank policy in force,
the engine workbench (fresh for the record's version), the shop currency, and the warm-up."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date

from fastapi import FastAPI, Request
from sqlalchemy.orm import Session

from kizuna.analytics.queries import Workbench, shop_today, workbench
from kizuna.analytics.ranks.policy import RankPolicy
from kizuna.analytics.reports import strategy_report
from kizuna.analytics.snapshots import current_policy
from kizuna.kit.db import session_scope
from kizuna.kit.errors import ValidationFailed
from kizuna.orders.queries import order_counts

logger = logging.getLogger(__name__)


def parse_day(value: str | None, name: str, default: date | None = None) -> date:
    """A ``YYYY-MM-DD`` query parameter (``default`` or today when empty)."""
    if not value:
        return default or shop_today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(
            f"{name} has value {value!r}. Not a date (YYYY-MM-DD).", field=name
        ) from None


@dataclass(frozen=True)
class Scope:
    """One page request's analytics scope."""

    bench: Workbench
    policy: RankPolicy
    as_of: date
    currency: str


def bench_of(request: Request, session: Session) -> Workbench:
    """The workbench over the app's record (or its analytics URL)."""
    settings = request.app.state.settings
    return workbench(session, settings.analytics_url or settings.database_url)


def scope(request: Request, session: Session, as_of: str | None) -> Scope:
    """The workbench, policy, day and currency of a page request."""
    return Scope(
        bench_of(request, session),
        current_policy(session),
        parse_day(as_of, "as_of"),
        order_counts(session)["currency"],
    )


def warm_up(app: FastAPI) -> threading.Thread:
    """Compute today's rank page figures in the background (``kizuna serve``), so that the
    marketer's first visit does not wait for the ranks to be computed."""

    def run() -> None:
        settings = app.state.settings
        try:
            with session_scope(app.state.sessions) as session:
                bench = workbench(session, settings.analytics_url or settings.database_url)
                policy = current_policy(session)
            strategy_report(bench, shop_today(), policy)
        except Exception:  # a warm-up never stops the server; the page will say what is wrong
            logger.exception("analytics warm-up failed")

    thread = threading.Thread(target=run, daemon=True, name="analytics-warm-up")
    thread.start()
    return thread
