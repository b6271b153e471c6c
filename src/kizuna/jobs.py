"""The schedule: the nightly jobs the worker runs (times in UTC; 17:00 UTC is 02:00 in Tokyo).

Each job is idempotent and re-reads the record, so a missed or repeated night does no harm.
Domain jobs that send messages live in their domain's ``tasks.py``; this module holds the jobs
that refresh computed results, and is the one place that knows when they run.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from kizuna.analytics.queries import shop_today
from kizuna.analytics.snapshots import current_policy, take_snapshot
from kizuna.clv.service import fit_model, predict
from kizuna.kit.db import session_scope
from kizuna.kit.queue import crontab, task
from kizuna.kit.store import open_store
from kizuna.loyalty import tasks as loyalty_tasks
from kizuna.recommend import build_all
from kizuna.settings import get_settings


def _sessions() -> Any:
    return open_store(get_settings().database_url, migrate=False)


@task("analytics.snapshot", retries=2, retry_delay=600, schedule=crontab(hour="16", minute="30"))
def snapshot_ranks() -> dict[str, Any]:
    """Store every customer's rank at the end of the shop day that just ended (idempotent)."""
    with session_scope(_sessions()) as session:
        policy = current_policy(session)
    return take_snapshot(None, shop_today() - timedelta(days=1), policy).to_dict()


@task("clv.refit", retries=2, retry_delay=600, schedule=crontab(hour="17", minute="0"))
def refit_clv() -> dict[str, Any]:
    """Refit Pareto/NBD and Gamma-Gamma on the whole history and rescore every customer."""
    zone = get_settings().shop_timezone
    with session_scope(_sessions()) as session:
        fit_model(session, "pnbd", zone=zone)
        fit_model(session, "gg", zone=zone)
    with session_scope(_sessions()) as session:
        return predict(session, 365, zone=zone)


@task("recommend.rebuild", retries=2, retry_delay=600, schedule=crontab(hour="18", minute="0"))
def rebuild_recommendations() -> dict[str, Any]:
    """Recompute related products, 'for you', alternatives and gift picks."""
    with session_scope(_sessions()) as session:
        return build_all(session).to_dict()


SCHEDULE = {"clv.refit": "02:00 JST", "recommend.rebuild": "03:00 JST"}
SCHEDULE["analytics.snapshot"] = "01:30 JST"


# Loyalty (loyalty/tasks.py): expiry just after the shop's midnight, abandoned checkouts every
# 5 minutes, stage evaluation at 01:00 shop time on the 1st (16:00 UTC the day before, so the
# job runs daily and acts only when the shop's date is the 1st).
@task("loyalty.expire_points", retries=2, retry_delay=600, schedule=crontab(hour="15", minute="5"))
def loyalty_expire_points() -> dict[str, Any]:
    """Time out holds and expire every due lot (00:05 JST)."""
    return asdict(loyalty_tasks.expire_points(_sessions()))


@task("loyalty.release_expired_holds", retries=2, retry_delay=60, schedule=crontab(minute="*/5"))
def loyalty_release_holds() -> int:
    """Give back the points of checkouts that timed out."""
    return loyalty_tasks.release_expired_holds(_sessions())


@task(
    "loyalty.evaluate_stages", retries=2, retry_delay=600, schedule=crontab(hour="16", minute="0")
)
def loyalty_evaluate_stages() -> dict[str, Any] | None:
    """Evaluate every member's stage on the 1st of the shop's month (None on other days)."""
    if shop_today().day != 1:
        return None
    return asdict(loyalty_tasks.evaluate_stages(_sessions()))


SCHEDULE["loyalty.expire_points"] = "00:05 JST"
SCHEDULE["loyalty.release_expired_holds"] = "every 5 minutes"
SCHEDULE["loyalty.evaluate_stages"] = "01:00 JST on the 1st"
