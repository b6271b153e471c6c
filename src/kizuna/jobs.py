"""The schedule: the nightly jobs the worker runs (times in UTC; 17:00 UTC is 02:00 in Tokyo).

Each job is idempotent and re-reads the record, so a missed or repeated night does no harm.
Domain jobs that send messages live in their domain's ``tasks.py``; this module holds the jobs
that refresh computed results, and is the one place that knows when they run.
"""

from __future__ import annotations

from typing import Any

from kizuna.clv.service import fit_model, predict
from kizuna.kit.db import session_scope
from kizuna.kit.queue import crontab, task
from kizuna.kit.store import open_store
from kizuna.recommend import build_all
from kizuna.settings import get_settings


def _sessions() -> Any:
    return open_store(get_settings().database_url, migrate=False)


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
