"""Channel jobs: ``channels.send_batch`` (send some outbox rows) and ``channels.dispatch_due``
(every minute and when a worker starts: recover rows of dead workers, enqueue what is due).

The jobs only read and move outbox rows, so running one twice, or losing one with a killed
worker, is harmless: whatever is still ``pending`` is found again by the next ``dispatch_due``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from kizuna.channels import base, outbox, recovery, sender
from kizuna.channels.config import get_channel_settings
from kizuna.kit.bulk import chunks
from kizuna.kit.clock import now
from kizuna.kit.queue import crontab, enqueue, on_worker_start, task
from kizuna.kit.store import open_store
from kizuna.settings import get_settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def sessions() -> sessionmaker[Session]:
    """The worker's session factory (the record named by the settings)."""
    return open_store(get_settings().database_url, migrate=False)


@task("channels.send_batch")
def send_batch(ids: list[int]) -> dict[str, int]:
    """Send these outbox rows (those still due); schedule retries of transient failures."""
    report = sender.send_batch(sessions(), ids)
    for outbox_id, retry_at in report.retry_at.items():
        enqueue("channels.send_batch", [outbox_id], delay=(retry_at - now()).total_seconds())
    return dict(report.counts)


@task("channels.dispatch_due", schedule=crontab(minute="*"))
def dispatch_due() -> int:
    """Recover rows whose worker's lease ran out and enqueue due rows in batches."""
    with sessions()() as session:
        recovered = recovery.recover(session, base.resend_unknown)
        ids = outbox.due_ids(session)
    if any(recovered.values()):
        log.warning("outbox recovery: %s", recovered)
    return enqueue_ids(ids)


def enqueue_ids(ids: Sequence[int], batch_size: int | None = None) -> int:
    """Enqueue ``channels.send_batch`` jobs for ``ids``; returns how many jobs."""
    size = batch_size or get_channel_settings().outbox_batch_size
    jobs = 0
    for part in chunks(list(ids), size):
        enqueue("channels.send_batch", list(part))
        jobs += 1
    return jobs


@on_worker_start
def recover_on_start() -> None:
    """A restarted worker first picks up what a killed one left."""
    dispatch_due()
