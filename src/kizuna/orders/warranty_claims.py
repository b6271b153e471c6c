"""Warranty claims: filed under an enrolment, approved or rejected, then resolved by repair,
replacement or refund at a cost to the shop.

A claim must fall inside the cover (shop dates), on an active enrolment, within the plan's
claim limit (rejected claims do not count). Touches only ``warranty_claims``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.kit.locking import lock_key
from kizuna.orders.aftersales_models import CLAIM_RESOLUTIONS, WarrantyClaim, WarrantyPlan
from kizuna.orders.warranties import get_enrolment


def do_file_claim(
    session: Session, enrolment_id: int, description: str, *, at: datetime | None = None
) -> WarrantyClaim:
    """Open a claim; ``Conflict`` when the cover was cancelled, has not started or has ended,
    or the plan's claims are used up."""
    if not description.strip():
        raise ValidationFailed("describe the fault", field="description")
    row, at = get_enrolment(session, enrolment_id), at or now()
    lock_key(session, "warranty_claim", str(row.id))
    day = to_shop_tz(at).date()
    if row.status == "cancelled":
        raise Conflict("this warranty was cancelled", field="enrolment_id", code="warranty_ended")
    if not row.starts_on <= day <= row.ends_on:
        raise Conflict(
            f"the cover runs {row.starts_on} to {row.ends_on}",
            field="enrolment_id",
            code="warranty_ended",
        )
    plan = session.get_one(WarrantyPlan, row.plan_id)
    used = (
        session.scalar(
            select(func.count()).where(
                WarrantyClaim.enrolment_id == row.id, WarrantyClaim.status != "rejected"
            )
        )
        or 0
    )
    if plan.max_claims is not None and used >= plan.max_claims:
        raise Conflict(
            f"plan {plan.code} allows {plan.max_claims} claim(s)",
            field="enrolment_id",
            code="claims_used_up",
        )
    claim = WarrantyClaim(
        enrolment_id=row.id, description=description.strip(), status="open", cost=0, opened_at=at
    )
    session.add(claim)
    session.flush()
    return claim


def _claim(session: Session, claim_id: int) -> WarrantyClaim:
    claim = session.get(WarrantyClaim, claim_id)
    if claim is None:
        raise NotFound(f"there is no warranty claim #{claim_id}", field="claim_id")
    return claim


def do_decide_claim(
    session: Session,
    claim_id: int,
    *,
    approve: bool,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> WarrantyClaim:
    """Approve or reject an open claim (a rejection needs a note)."""
    claim = _claim(session, claim_id)
    if not approve and not (note or "").strip():
        raise ValidationFailed("say why the claim is refused", field="note")
    if claim.status != "open":
        raise Conflict(f"claim #{claim_id} is already {claim.status}", field="status")
    claim.status = "approved" if approve else "rejected"
    claim.note, claim.decided_by, claim.decided_at = note, actor, at or now()
    return claim


def do_resolve_claim(
    session: Session,
    claim_id: int,
    *,
    resolution: str,
    cost: int,
    actor: str,
    at: datetime | None = None,
) -> WarrantyClaim:
    """Close an approved claim by repair, replacement or refund, at ``cost`` yen to the shop."""
    claim = _claim(session, claim_id)
    if resolution not in CLAIM_RESOLUTIONS:
        raise ValidationFailed(
            f"resolution {resolution!r} is not one of {', '.join(CLAIM_RESOLUTIONS)}",
            field="resolution",
        )
    if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
        raise ValidationFailed("cost is a whole number of yen, zero or more", field="cost")
    if claim.status != "approved":
        raise Conflict(f"claim #{claim_id} is {claim.status}; approve it first", field="status")
    claim.status, claim.resolution, claim.cost = "resolved", resolution, cost
    claim.decided_by, claim.decided_at = actor, at or now()
    return claim
