"""Suppression: who must not get what. Unsubscribes (per channel, for all marketing or one
category), bounces (per address), complaints and manual blocks; one-click unsubscribe links
(RFC 8058) carry a signed token naming (customer, channel, scope).

Scopes a message is checked against: ``*`` and its own category always; ``marketing`` too when it
is marketing. So a transactional review request is stopped by a ``review_request`` unsubscribe
but not by a marketing one, and a hard bounce (``*``) stops everything to that address.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.channels import tokens
from kizuna.channels.models import Suppression
from kizuna.customers.service import do_set_consent
from kizuna.kit.bulk import chunks
from kizuna.kit.clock import now

REASONS = ("unsubscribe", "bounce", "complaint", "manual")


@dataclass(frozen=True, slots=True)
class Target:
    """What a suppression check needs about one message."""

    customer_id: int
    channel: str
    kind: str
    category: str
    address: str | None = None


@dataclass(frozen=True, slots=True)
class UnsubscribeResult:
    """Outcome of an unsubscribe link: who, from what, and whether it was already in place."""

    customer_id: int
    channel: str
    scope: str
    already: bool


def scopes(kind: str, category: str) -> set[str]:
    """The suppression categories that stop a message of this kind and category."""
    found = {"*", category}
    if kind == "marketing":
        found.add("marketing")
    return found


def add(
    session: Session,
    *,
    channel: str,
    category: str,
    reason: str,
    source: str,
    customer_id: int | None = None,
    address: str | None = None,
) -> tuple[Suppression, bool]:
    """Suppress (unless an active identical one exists); returns it and whether it is new."""
    if reason not in REASONS:
        raise ValueError(f"suppression reason must be one of {REASONS}, not {reason!r}")
    if customer_id is None and address is None:
        raise ValueError("a suppression needs a customer or an address")
    existing = session.scalars(
        select(Suppression).where(
            Suppression.channel == channel,
            Suppression.category == category,
            Suppression.lifted_at.is_(None),
            Suppression.customer_id.is_(None)
            if customer_id is None
            else Suppression.customer_id == customer_id,
            Suppression.address.is_(None) if address is None else Suppression.address == address,
        )
    ).first()
    if existing is not None:
        return existing, False
    row = Suppression(
        customer_id=customer_id,
        address=address,
        channel=channel,
        category=category,
        reason=reason,
        source=source,
    )
    session.add(row)
    session.flush()
    return row, True


def reasons_for(session: Session, targets: Sequence[Target]) -> list[str | None]:
    """For each target, the reason it is suppressed (``suppressed:bounce``…) or None."""
    customers = sorted({t.customer_id for t in targets})
    addresses = sorted({t.address for t in targets if t.address})
    active: list[Suppression] = []
    for part in chunks(customers, 5000):
        active += _active(session, Suppression.customer_id.in_(part))
    for part_a in chunks(addresses, 5000):
        active += _active(session, Suppression.address.in_(part_a))
    by_customer: dict[tuple[int, str], list[Suppression]] = {}
    by_address: dict[tuple[str, str], list[Suppression]] = {}
    for s in active:
        if s.customer_id is not None:
            by_customer.setdefault((s.customer_id, s.channel), []).append(s)
        if s.address is not None:
            by_address.setdefault((s.address, s.channel), []).append(s)
    return [_match(t, by_customer, by_address) for t in targets]


def _active(session: Session, where: object) -> list[Suppression]:
    return list(session.scalars(select(Suppression).where(where, Suppression.lifted_at.is_(None))))  # type: ignore[arg-type]


def _match(
    t: Target,
    by_customer: dict[tuple[int, str], list[Suppression]],
    by_address: dict[tuple[str, str], list[Suppression]],
) -> str | None:
    wanted = scopes(t.kind, t.category)
    candidates: Iterable[Suppression] = by_customer.get((t.customer_id, t.channel), [])
    if t.address:
        candidates = [*candidates, *by_address.get((t.address, t.channel), [])]
    for s in candidates:
        if s.category in wanted:
            return f"suppressed:{s.reason}"
    return None


def unsubscribe_token(customer_id: int, channel: str, scope: str) -> str:
    """The signed token of an unsubscribe link."""
    return tokens.sign("unsubscribe", [customer_id, channel, scope])


def handle_unsubscribe(
    session: Session, token: str, *, source: str = "one_click"
) -> UnsubscribeResult:
    """Apply an unsubscribe link (GET confirmation page or RFC 8058 one-click POST).

    A ``marketing`` scope also withdraws the channel's consent, so the customer record and the
    consent history agree. Raises ``ValidationFailed`` for a forged or altered token.
    """
    customer_id, channel, scope = tokens.verify("unsubscribe", token)
    _, new = add(
        session,
        channel=channel,
        category=scope,
        reason="unsubscribe",
        source=source,
        customer_id=customer_id,
    )
    if scope == "marketing":
        do_set_consent(session, customer_id, channel, False, source=f"unsubscribe:{source}")
    return UnsubscribeResult(customer_id, channel, scope, already=not new)


def record_bounce(
    session: Session,
    channel: str,
    address: str,
    *,
    customer_id: int | None = None,
    source: str = "provider",
) -> Suppression:
    """A hard bounce or a gone subscription: stop everything to that address on that channel."""
    row, _ = add(
        session,
        channel=channel,
        category="*",
        reason="bounce",
        source=source,
        customer_id=customer_id,
        address=address,
    )
    return row


def lift(session: Session, suppression_id: int) -> None:
    """Lift a suppression (e.g. the customer subscribed again)."""
    row = session.get(Suppression, suppression_id)
    if row is not None and row.lifted_at is None:
        row.lifted_at = now()
        session.flush()


def active_list(session: Session, *, limit: int = 500, offset: int = 0) -> list[Suppression]:
    """Active suppressions, newest first (the dashboard's suppression list)."""
    stmt = (
        select(Suppression)
        .where(Suppression.lifted_at.is_(None))
        .order_by(Suppression.created_at.desc(), Suppression.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(stmt))
