"""Automation jobs: ``automation.release_deferred`` (every minute) re-checks messages held by
quiet hours or the frequency cap whose time has come and enqueues the ones that may now go."""

from __future__ import annotations

from kizuna.automation.sending import release_deferred
from kizuna.channels import tasks as channel_tasks
from kizuna.kit.db import session_scope
from kizuna.kit.queue import crontab, task


@task("automation.release_deferred", schedule=crontab(minute="*"))
def release_deferred_job() -> int:
    """Release due deferred messages; returns how many became pending."""
    with session_scope(channel_tasks.sessions()) as session:
        released = release_deferred(session)
    channel_tasks.enqueue_ids(released)
    return len(released)
