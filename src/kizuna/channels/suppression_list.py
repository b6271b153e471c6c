"""The suppression list as people manage it: search, add by hand, lift with a reason.

Each verb appends a ``message_log`` row (``suppress`` / ``unsuppress``, with who and why), so a
suppression added or lifted from the dashboard is never silent. Nothing here commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from kizuna.channels import suppression
from kizuna.channels.models import Suppression
from kizuna.channels.outbox import log_many
from kizuna.customers.models import Customer, Identity
from kizuna.kit.errors import NotFound, ValidationFailed

CHANNELS = ("email", "sms", "line", "push", "postal")


def search(session: Session, query: str = "", *, limit: int = 200) -> list[dict[str, Any]]:
    """Active suppressions, newest first, whose address, customer id, name or identity (email,
    phone) contains ``query``; each with the customer's name."""
    stmt = select(Suppression, Customer).outerjoin(Customer, Customer.id == Suppression.customer_id)
    stmt = stmt.where(Suppression.lifted_at.is_(None))
    text = query.strip()
    if text:
        like = f"%{text.lower()}%"
        matches: list[ColumnElement[bool]] = [
            Suppression.address.ilike(like),
            Customer.family_name.ilike(like),
            Customer.given_name.ilike(like),
            Customer.family_kana.ilike(like),
            Suppression.customer_id.in_(
                select(Identity.customer_id).where(Identity.value.ilike(like))
            ),
        ]
        if text.isdigit():
            matches.append(Suppression.customer_id == int(text))
        stmt = stmt.where(or_(*matches))
    stmt = stmt.order_by(Suppression.created_at.desc(), Suppression.id.desc()).limit(limit)
    return [
        {
            "id": s.id,
            "customer_id": s.customer_id,
            "name": f"{c.family_name or ''} {c.given_name or ''}".strip() if c else None,
            "address": s.address,
            "channel": s.channel,
            "category": s.category,
            "reason": s.reason,
            "source": s.source,
            "created_at": s.created_at,
        }
        for s, c in session.execute(stmt)
    ]


def do_suppress(
    session: Session,
    *,
    channel: str,
    category: str,
    reason: str,
    actor: str,
    note: str = "",
    customer_id: int | None = None,
    address: str | None = None,
) -> tuple[Suppression, bool]:
    """Suppress a customer or an address by hand (logged with ``actor`` and ``note``); returns
    the row and whether it is new. ``ValidationFailed`` names the field that is wrong."""
    if channel not in CHANNELS:
        raise ValidationFailed(f"channel must be one of {', '.join(CHANNELS)}", field="channel")
    if reason not in suppression.REASONS:
        reasons = ", ".join(suppression.REASONS)
        raise ValidationFailed(f"reason must be one of {reasons}", field="reason")
    if not category.strip():
        message = "say what is suppressed: marketing, * or a category"
        raise ValidationFailed(message, field="category")
    if customer_id is None and not (address or "").strip():
        raise ValidationFailed("give a customer number or an address", field="customer_id")
    if customer_id is not None and session.get(Customer, customer_id) is None:
        raise NotFound(f"there is no customer {customer_id}", field="customer_id")
    row, new = suppression.add(
        session,
        channel=channel,
        category=category.strip(),
        reason=reason,
        source=f"dashboard:{actor}"[:80],
        customer_id=customer_id,
        address=(address or "").strip().lower() or None,
    )
    if new:
        detail = {"suppression_id": row.id, "by": actor, "note": note, "channel": channel}
        log_many(session, [(None, customer_id, "suppress", reason, detail)])
    return row, new


def do_lift(session: Session, suppression_id: int, *, actor: str, reason: str) -> Suppression:
    """Lift a suppression, saying why (logged with ``actor``)."""
    if not reason.strip():
        raise ValidationFailed("say why the suppression is lifted", field="reason")
    row = session.get(Suppression, suppression_id)
    if row is None or row.lifted_at is not None:
        raise NotFound(f"there is no active suppression {suppression_id}", field="id")
    suppression.lift(session, suppression_id)
    detail = {
        "suppression_id": row.id,
        "by": actor,
        "channel": row.channel,
        "category": row.category,
        "was": row.reason,
    }
    log_many(session, [(None, row.customer_id, "unsuppress", reason.strip(), detail)])
    return row
