"""Submitting messages: holdout → guards → outbox, in one call, every decision recorded.

``submit`` is what journeys and campaigns call. Customers in the experiment's holdout get no
message (their assignment is logged); the rest go through the guards, and each message is
recorded in the outbox as ``pending`` (send), ``held`` until a time (deferred by quiet hours or
the frequency cap) or ``dropped``, with the reason. The caller enqueues ``Submitted.pending``
after its transaction commits (``channels.tasks.enqueue_ids``).

``release_deferred`` re-checks held messages whose time has come: they become ``pending``, are
held again, or are dropped, and each outcome is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation import guards, uplift
from kizuna.automation.experiments import DEFAULT_HOLDOUT
from kizuna.channels import outbox
from kizuna.channels.models import OutboxMessage
from kizuna.customers.models import Customer
from kizuna.kit.clock import now

DEFERRABLE = ("quiet_hours", "frequency_cap")


@dataclass(frozen=True, slots=True)
class Submitted:
    """What ``submit`` did: ids to enqueue now and counts per outcome."""

    pending: list[int]
    held: int
    dropped: int
    holdout: int
    duplicates: int


def submit(
    session: Session,
    messages: Sequence[outbox.MessageIn],
    *,
    policy: guards.GuardPolicy | None = None,
    experiment: str | None = None,
    holdout_share: float = DEFAULT_HOLDOUT,
    at: datetime | None = None,
) -> Submitted:
    """Assign, guard and record ``messages``; returns the pending ids to enqueue."""
    at, policy = at or now(), policy or guards.GuardPolicy()
    holdout = 0
    if experiment:
        arms = uplift.assign(
            session,
            experiment,
            [m.customer_id for m in messages],
            holdout_share=holdout_share,
            at=at,
        )
        treated = [m for m in messages if arms[m.customer_id] == "treatment"]
        holdout, messages = len(messages) - len(treated), treated
    candidates = [guards.Candidate(m.customer_id, m.channel, m.kind, m.category) for m in messages]
    decisions = guards.evaluate(session, candidates, policy, at)
    decided = [_apply(m, d) for m, d in zip(messages, decisions, strict=True)]
    recorded = outbox.record(session, decided, at=at)
    held = sum(1 for m in decided if m.status == "held")
    dropped = sum(1 for m in decided if m.status == "dropped")
    return Submitted(recorded.pending, held, dropped, holdout, recorded.duplicates)


def _apply(message: outbox.MessageIn, decision: guards.Decision) -> outbox.MessageIn:
    if decision.action == "send":
        return message
    status = "held" if decision.action == "defer" else "dropped"
    return replace(message, status=status, reason=decision.reason, not_before=decision.until)


def release_deferred(
    session: Session,
    *,
    policy: guards.GuardPolicy | None = None,
    at: datetime | None = None,
    limit: int = 10_000,
) -> list[int]:
    """Re-check held messages that are due; returns the ids now ``pending``."""
    at, policy = at or now(), policy or guards.GuardPolicy()
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.status == "held",
                OutboxMessage.reason.in_(DEFERRABLE),
                OutboxMessage.next_attempt_at <= at,
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )
    candidates = [guards.Candidate(r.customer_id, r.channel, r.kind, r.category) for r in rows]
    released = []
    for row, decision in zip(rows, guards.evaluate(session, candidates, policy, at), strict=True):
        if decision.action == "send":
            outbox.set_status(session, row.id, row.customer_id, "pending", f"released:{row.reason}")
            released.append(row.id)
        elif decision.action == "defer":
            outbox.set_status(
                session, row.id, row.customer_id, "held", decision.reason, not_before=decision.until
            )
        else:
            outbox.set_status(session, row.id, row.customer_id, "dropped", decision.reason)
    return released


def preferred_channel(customer: Customer, segment_default: str | None = None) -> str:
    """The customer's preferred channel, else the segment's default, else email."""
    preference = (customer.attributes or {}).get("preferred_channel")
    return str(preference or segment_default or "email")
