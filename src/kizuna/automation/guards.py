"""Guards, in one place: may this message go to this customer now?

Checks, in order (the first that blocks decides, and its reason is logged with the message):

1. ``problem_customer``: problem customers (クレーマー) get no marketing at all.
2. ``no_consent:<channel>``: marketing needs the customer's current opt-in for the channel
   (特定電子メール法); the latest consent change per channel wins.
3. ``suppressed:<reason>``: unsubscribes, bounces and complaints (``channels.suppression``);
   transactional messages are stopped by an unsubscribe of their own category only.
4. ``quiet_hours``: no SMS/LINE/push in the quiet hours (21:00–09:00 shop time by default).
5. ``frequency_cap``: at most N marketing messages per customer per D days (3 per 7 by default).

Transactional messages skip 1, 2, 5 (and 4 unless the policy says otherwise). Quiet hours and the
cap either defer (``held`` until the next allowed time, then checked again) or drop, by an explicit
rule in the policy. ``gather`` loads the facts in bulk; ``decide`` is a pure function of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.channels import suppression
from kizuna.channels.models import OutboxMessage
from kizuna.customers.models import ConsentChange, Customer
from kizuna.kit.bulk import chunks

Action = Literal["send", "defer", "drop"]
COUNTED = ("pending", "claimed", "sending", "sent")


class QuietHours(BaseModel):
    """No messages on ``channels`` between ``start`` and ``end`` (shop time; may wrap midnight)."""

    start: time = time(21, 0)
    end: time = time(9, 0)
    channels: list[str] = Field(default_factory=lambda: ["sms", "push", "line"])
    on_block: Literal["defer", "drop"] = "defer"
    transactional_too: bool = False


class FrequencyCap(BaseModel):
    """At most ``max_messages`` marketing messages per customer in ``days`` days."""

    max_messages: int = Field(default=3, ge=1)
    days: int = Field(default=7, ge=1)
    on_block: Literal["defer", "drop"] = "defer"


class GuardPolicy(BaseModel):
    """The shop's guard rules (a document: editable, exportable)."""

    frequency_cap: FrequencyCap = Field(default_factory=FrequencyCap)
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    timezone: str = "Asia/Tokyo"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A message about to be recorded: whom, on which channel, what kind and category."""

    customer_id: int
    channel: str
    kind: str = "marketing"
    category: str = "newsletter"


@dataclass(slots=True)
class Facts:
    """What the guards know about a candidate's customer (loaded in bulk by ``gather``)."""

    is_problem: bool = False
    consent: bool = False
    suppressed: str | None = None
    recent: list[datetime] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Decision:
    """``send`` now, ``defer`` until ``until``, or ``drop``; with the reason logged."""

    action: Action
    reason: str = ""
    until: datetime | None = None


def decide(c: Candidate, facts: Facts, policy: GuardPolicy, at: datetime) -> Decision:
    """The guards' decision for one candidate (pure)."""
    marketing = c.kind == "marketing"
    if marketing and facts.is_problem:
        return Decision("drop", "problem_customer")
    if marketing and not facts.consent:
        return Decision("drop", f"no_consent:{c.channel}")
    if facts.suppressed:
        return Decision("drop", facts.suppressed)
    quiet = policy.quiet_hours
    if c.channel in quiet.channels and (marketing or quiet.transactional_too):
        reopen = quiet_until(at, quiet, policy.timezone)
        if reopen is not None:
            return _block(quiet.on_block, "quiet_hours", reopen)
    cap = policy.frequency_cap
    if marketing and len(facts.recent) >= cap.max_messages:
        recent = sorted(facts.recent)
        frees = recent[len(recent) - cap.max_messages] + timedelta(days=cap.days)
        return _block(cap.on_block, "frequency_cap", frees)
    return Decision("send")


def _block(rule: str, reason: str, until: datetime) -> Decision:
    return Decision("defer", reason, until) if rule == "defer" else Decision("drop", reason)


def quiet_until(at: datetime, quiet: QuietHours, zone: str) -> datetime | None:
    """When the quiet hours around ``at`` end (aware UTC), or None when ``at`` is not quiet."""
    local = at.astimezone(ZoneInfo(zone))
    now_t, start, end = local.time(), quiet.start, quiet.end
    if start == end:
        return None
    inside = (start <= now_t < end) if start < end else (now_t >= start or now_t < end)
    if not inside:
        return None
    day = local.date() if now_t < end else local.date() + timedelta(days=1)
    reopen = datetime.combine(day, end, tzinfo=ZoneInfo(zone))
    return reopen.astimezone(at.tzinfo)


def gather(
    session: Session, candidates: Sequence[Candidate], policy: GuardPolicy, at: datetime
) -> list[Facts]:
    """The facts for each candidate, read in a few bulk queries."""
    ids = sorted({c.customer_id for c in candidates})
    problem: set[int] = set()
    consent: dict[tuple[int, str], bool] = {}
    recent: dict[int, list[datetime]] = {}
    since = at - timedelta(days=policy.frequency_cap.days)
    for part in chunks(ids, 5000):
        problem |= set(
            session.scalars(
                select(Customer.id).where(Customer.id.in_(part), Customer.is_problem.is_(True))
            )
        )
        rows = session.execute(
            select(ConsentChange.customer_id, ConsentChange.channel, ConsentChange.granted)
            .where(ConsentChange.customer_id.in_(part))
            .order_by(ConsentChange.changed_at, ConsentChange.id)
        )
        consent.update({(cid, ch): bool(granted) for cid, ch, granted in rows})
        moment = func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at)
        sent = session.execute(
            select(
                OutboxMessage.customer_id, OutboxMessage.sent_at, OutboxMessage.created_at
            ).where(
                OutboxMessage.customer_id.in_(part),
                OutboxMessage.kind == "marketing",
                OutboxMessage.status.in_(COUNTED),
                moment > since,
            )
        )
        for cid, sent_at, created_at in sent:
            recent.setdefault(cid, []).append(sent_at or created_at)
    targets = [suppression.Target(c.customer_id, c.channel, c.kind, c.category) for c in candidates]
    blocked = suppression.reasons_for(session, targets)
    return [
        Facts(
            c.customer_id in problem,
            consent.get((c.customer_id, c.channel), False),
            reason,
            list(recent.get(c.customer_id, [])),
        )
        for c, reason in zip(candidates, blocked, strict=True)
    ]


def evaluate(
    session: Session, candidates: Sequence[Candidate], policy: GuardPolicy, at: datetime
) -> list[Decision]:
    """Decisions for the candidates in order; a message decided ``send`` counts towards the
    cap of the customer's later candidates in the same call."""
    facts = gather(session, candidates, policy, at)
    shared: dict[int, list[datetime]] = {}
    decisions = []
    for c, f in zip(candidates, facts, strict=True):
        f.recent = shared.setdefault(c.customer_id, f.recent)
        decision = decide(c, f, policy, at)
        if decision.action == "send" and c.kind == "marketing":
            f.recent.append(at)
        decisions.append(decision)
    return decisions
