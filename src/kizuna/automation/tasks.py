"""Automation jobs (each ``automation.verb``, idempotent, enqueuing outbox ids only after its
transaction commits):

* ``automation.release_deferred`` (every minute): re-check messages held by quiet hours or the
  frequency cap whose time has come.
* ``automation.tick`` (every minute): advance due journey enrolments, in batches, for up to
  about 50 seconds.
* ``automation.scan_recent`` (every 5 minutes): the safety net for the ingest hooks: enrol from
  orders, shipments and cart events of the last ``within_hours`` (enrolment is idempotent).
* ``automation.daily_triggers`` (00:05 UTC = 09:05 JST): fan out one ``automation.scan_journey``
  per switched-on daily journey (birthdays, anniversaries, dormancy, points…), each of which
  enrols and then enqueues a tick.
* ``automation.send_due_campaigns`` (every minute): send scheduled campaigns whose time came,
  one transaction each.
* ``automation.on_order`` / ``on_events`` / ``on_shipments``: the ingest hooks as jobs, for a
  pipeline that prefers to enqueue after its own commit; enrolments due later that day (a
  cart's quiet period) get a delayed ``automation.advance`` at their exact time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from kizuna.automation import campaigns
from kizuna.automation.journeys import hooks, runner
from kizuna.automation.journeys.enrol import scan_all, scan_journey
from kizuna.automation.journeys.store import enabled_for, load
from kizuna.automation.journeys.triggers import HANDLERS
from kizuna.automation.sending import release_deferred
from kizuna.channels import tasks as channel_tasks
from kizuna.kit.clock import now
from kizuna.kit.db import session_scope
from kizuna.kit.queue import crontab, enqueue, task

TICK_SECONDS = 50.0


@task("automation.release_deferred", schedule=crontab(minute="*"))
def release_deferred_job() -> int:
    """Release due deferred messages; returns how many became pending."""
    with session_scope(channel_tasks.sessions()) as session:
        released = release_deferred(session)
    channel_tasks.enqueue_ids(released)
    return len(released)


@task("automation.tick", schedule=crontab(minute="*"))
def tick_job(budget: float = TICK_SECONDS, batch: int = 2000) -> int:
    """Advance due enrolments batch by batch (one transaction each); returns how many."""
    started, advanced = time.monotonic(), 0
    while time.monotonic() - started < budget:
        with session_scope(channel_tasks.sessions()) as session:
            report = runner.tick(session, limit=batch)
        channel_tasks.enqueue_ids(report.pending)
        advanced += report.advanced
        if report.advanced < batch:
            break
    return advanced


@task("automation.scan_recent", schedule=crontab(minute="*/5"))
def scan_recent_job() -> dict[str, Any]:
    """Enrol from recent orders, shipments and cart events (safety net), then advance."""
    with session_scope(channel_tasks.sessions()) as session:
        report = scan_all(session, daily=False)
    tick_job()
    return report.to_dict()


@task("automation.daily_triggers", schedule=crontab(hour="0", minute="5"))
def daily_triggers_job() -> list[str]:
    """Enqueue one scan per switched-on daily journey."""
    daily = [name for name, h in HANDLERS.items() if h.source == "daily"]
    with session_scope(channel_tasks.sessions()) as session:
        keys = [journey.key for journey in enabled_for(session, daily)]
    for key in keys:
        enqueue("automation.scan_journey", key)
    return keys


@task("automation.scan_journey", retries=3, retry_delay=60)
def scan_journey_job(key: str) -> dict[str, Any]:
    """Run one journey's trigger and enrol what it finds, then advance."""
    with session_scope(channel_tasks.sessions()) as session:
        journey = load(session, key)
        if not journey.enabled:
            return {"key": key, "skipped": "off"}
        scan, enrolled = scan_journey(session, journey)
    enqueue("automation.tick")
    return {"key": key, "found": len(scan.entries), "enrolled": enrolled, "note": scan.note}


@task("automation.send_due_campaigns", schedule=crontab(minute="*"))
def send_due_campaigns_job() -> list[str]:
    """Send every scheduled campaign whose time has come (each in its own transaction)."""
    with session_scope(channel_tasks.sessions()) as session:
        keys = campaigns.due(session)
    for key in keys:
        with session_scope(channel_tasks.sessions()) as session:
            result = campaigns.send(session, key)
        channel_tasks.enqueue_ids(result["pending"])
    return keys


def _react(hook: Callable[..., hooks.Reaction], ids: list[int]) -> dict[str, object]:
    with session_scope(channel_tasks.sessions()) as session:
        reaction = hook(session, ids)
    channel_tasks.enqueue_ids(reaction.pending)
    schedule_later(reaction.later)
    return reaction.to_dict()


def schedule_later(later: dict[int, datetime]) -> None:
    """Enqueue ``automation.advance`` for enrolments at the second they fall due."""
    moments: dict[datetime, list[int]] = {}
    for enrolment_id, due_at in later.items():
        moments.setdefault(due_at.replace(microsecond=0) + timedelta(seconds=1), []).append(
            enrolment_id
        )
    for moment, ids in moments.items():
        enqueue("automation.advance", ids, delay=max((moment - now()).total_seconds(), 0.0))


@task("automation.advance")
def advance_job(ids: list[int]) -> int:
    """Advance these enrolments if they are due (a delayed job scheduled by a hook)."""
    with session_scope(channel_tasks.sessions()) as session:
        report = runner.advance(session, ids)
    channel_tasks.enqueue_ids(report.pending)
    return report.advanced


@task("automation.on_order", retries=3, retry_delay=10)
def on_order_job(order_id: int) -> dict[str, object]:
    """``hooks.on_order_recorded`` in its own transaction, then enqueue."""
    return _react(hooks.on_orders_recorded, [order_id])


@task("automation.on_events", retries=3, retry_delay=10)
def on_events_job(event_ids: list[int]) -> dict[str, object]:
    """``hooks.on_event_recorded`` in its own transaction, then enqueue."""
    return _react(hooks.on_event_recorded, event_ids)


@task("automation.on_shipments", retries=3, retry_delay=10)
def on_shipments_job(shipment_ids: list[int]) -> dict[str, object]:
    """``hooks.on_shipments_recorded`` in its own transaction, then enqueue."""
    return _react(hooks.on_shipments_recorded, shipment_ids)
