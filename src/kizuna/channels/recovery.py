"""Retries and recovery for outbox rows: backoff after a transient failure, and rows whose
worker died. ``claimed`` rows of a dead worker are sent again (nothing had left); ``sending`` rows
are sent again only when the channel de-duplicates (``resend_unknown``), else held with
``outcome_unknown`` for a person, so a message is never delivered twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizuna.channels.models import OutboxMessage
from kizuna.channels.outbox import log_many, set_status
from kizuna.kit.clock import now


def backoff(attempts: int, base_seconds: int, jitter: Callable[[], float] = random.random) -> float:
    """Seconds before the next try: base × 2^(attempts−1), plus up to 25 % jitter."""
    return base_seconds * 2 ** max(attempts - 1, 0) * (1 + 0.25 * jitter())


def mark_failed_attempt(
    session: Session, row: OutboxMessage, error: str, *, permanent: bool, base_seconds: int
) -> datetime | None:
    """Retry later (``pending`` with backoff) or fail for good; returns the retry time, if any."""
    stamp = now()
    if permanent or row.attempts >= row.max_attempts:
        reason = "refused" if permanent else "retries_exhausted"
        set_status(session, row.id, row.customer_id, "failed", reason, error=error)
        return None
    retry_at = stamp + timedelta(seconds=backoff(row.attempts, base_seconds))
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id)
        .values(
            status="pending",
            next_attempt_at=retry_at,
            last_error=error[:2000],
            claimed_by=None,
            lease_until=None,
            updated_at=stamp,
        )
        .execution_options(synchronize_session=False)
    )
    log_many(
        session,
        [
            (
                row.id,
                row.customer_id,
                "retry",
                "transient_error",
                {"error": error[:500], "attempt": row.attempts, "retry_at": retry_at.isoformat()},
            )
        ],
    )
    session.commit()
    return retry_at


def recover(
    session: Session, resendable: Callable[[str], bool], *, at: datetime | None = None
) -> dict[str, int]:
    """Rows whose worker's lease ran out: ``claimed`` → pending; ``sending`` → pending when the
    channel is ``resendable``, else held with ``outcome_unknown``. Returns counts."""
    at = at or now()
    expired = select(OutboxMessage).where(
        OutboxMessage.status.in_(("claimed", "sending")), OutboxMessage.lease_until < at
    )
    counts = {"recovered": 0, "resent_unknown": 0, "held_unknown": 0}
    for row in session.scalars(expired).all():
        if row.status == "claimed":
            set_status(session, row.id, row.customer_id, "pending", "recovered_claim")
            counts["recovered"] += 1
        elif resendable(row.channel):
            set_status(session, row.id, row.customer_id, "pending", "outcome_unknown_resent")
            counts["resent_unknown"] += 1
        else:
            set_status(session, row.id, row.customer_id, "held", "outcome_unknown")
            counts["held_unknown"] += 1
    return counts
