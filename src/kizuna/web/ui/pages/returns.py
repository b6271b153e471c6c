"""The Returns report (requests by reason, channel and status; return rates by product and by
customer; the requests with their next step) and the Warranties report (revenue against claims
by month and plan, covers ending soon)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import User
from kizuna.ingest.after_purchase import receive_return
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.kit.i18n import translate
from kizuna.orders import return_reports, return_requests, warranty_claims, warranty_reports
from kizuna.orders.aftersales_models import (
    CLAIM_RESOLUTIONS,
    RETURN_REASONS,
    WarrantyClaim,
    WarrantyEnrolment,
    WarrantyPlan,
)
from kizuna.orders.models import Order
from kizuna.web.deps import SessionDep, WriteSessionDep, require_role
from kizuna.web.ui.pages.feedback import customer_names
from kizuna.web.ui.render import language_of, page

router = APIRouter(include_in_schema=False)
STAFF = require_role("marketer", "support")
DESK = require_role("support")
# the next steps a request in each status offers on the Returns page
NEXT_STEPS = {
    "requested": ("approve", "reject", "receive", "cancel"),
    "approved": ("receive", "cancel"),
    "received": ("refund",),
}
STATUSES = ("requested", "approved", "received", "refunded", "rejected", "cancelled")


@page(router, "/returns", "returns.html")
def returns_page(
    request: Request, session: SessionDep, status: str | None = None, user: User = STAFF
) -> dict[str, Any]:
    lang = language_of(request)
    listed = return_reports.list_requests(session, status=status or None, limit=100)
    by_customer = return_reports.return_rates_by_customer(session, limit=20)
    names = customer_names(
        session,
        {r["customer_id"] for r in listed["requests"]} | {r["customer_id"] for r in by_customer},
        lang,
    )
    summary = return_reports.request_summary(session)
    return {
        "user": user,
        "status": status or "",
        "statuses": list(STATUSES),
        "summary": summary,
        "reason_labels": {r: translate(f"return.reason.{r}", lang) for r in RETURN_REASONS},
        "by_product": return_reports.return_rates_by_product(session, limit=20),
        "by_customer": [
            r | {"name": names.get(r["customer_id"], {}).get("name")} for r in by_customer
        ],
        "total": listed["total"],
        "requests": [
            r
            | {
                "name": names.get(r["customer_id"], {}).get("name"),
                "next": list(NEXT_STEPS.get(r["status"], ())),
            }
            for r in listed["requests"]
        ],
    }


@router.post("/returns/{request_id}/{step}")
def return_step(
    request_id: int,
    step: str,
    session: WriteSessionDep,
    note: Annotated[str, Form()] = "",
    user: User = DESK,
) -> Response:
    """Approve, reject (with a note), receive (points reversed), refund or cancel a request."""
    actor, text = user.email, note.strip() or None
    if step in ("approve", "reject"):
        return_requests.do_decide_return(
            session, request_id, approve=step == "approve", actor=actor, note=text
        )
    elif step == "receive":
        receive_return(session, request_id, actor=actor)
    elif step == "refund":
        return_requests.do_mark_refunded(session, request_id, actor=actor)
    elif step == "cancel":
        return_requests.do_cancel_return(session, request_id, actor=actor)
    else:
        raise NotFound(f"there is no step {step!r}", field="step")
    return RedirectResponse("/returns", status_code=303)


@page(router, "/warranties", "warranties.html")
def warranties_page(
    request: Request, session: SessionDep, within_days: int = 60, user: User = STAFF
) -> dict[str, Any]:
    lang = language_of(request)
    soon = warranty_reports.expiring(session, within_days=within_days, language=lang)
    names = customer_names(session, {w["customer_id"] for w in soon}, lang)
    claims = _claims(session, lang)
    names |= customer_names(session, {c["customer_id"] for c in claims}, lang)
    revenue = warranty_reports.warranty_revenue(
        session, zone=request.app.state.settings.shop_timezone
    )
    return {
        "user": user,
        "within_days": within_days,
        "revenue": revenue,
        "expiring": [w | {"name": names.get(w["customer_id"], {}).get("name")} for w in soon],
        "claims": [c | {"name": names.get(c["customer_id"], {}).get("name")} for c in claims],
        "resolutions": list(CLAIM_RESOLUTIONS),
    }


def _claims(session: Session, language: str) -> list[dict[str, Any]]:
    """Claims still to decide or to resolve, oldest first."""
    rows = session.execute(
        select(WarrantyClaim, WarrantyEnrolment, WarrantyPlan, Order.order_number)
        .join(WarrantyEnrolment, WarrantyEnrolment.id == WarrantyClaim.enrolment_id)
        .join(WarrantyPlan, WarrantyPlan.id == WarrantyEnrolment.plan_id)
        .join(Order, Order.id == WarrantyEnrolment.order_id)
        .where(WarrantyClaim.status.in_(("open", "approved")))
        .order_by(WarrantyClaim.opened_at, WarrantyClaim.id)
        .limit(100)
    )
    return [
        {
            "id": claim.id,
            "status": claim.status,
            "description": claim.description,
            "opened_at": claim.opened_at,
            "customer_id": enrolment.customer_id,
            "sku": enrolment.sku,
            "plan": plan.name_en if language == "en" else plan.name_ja,
            "ends_on": enrolment.ends_on,
            "order_number": number,
        }
        for claim, enrolment, plan, number in rows
    ]


@router.post("/warranties/claims/{claim_id}/{step}")
def claim_step(
    claim_id: int,
    step: str,
    session: WriteSessionDep,
    note: Annotated[str, Form()] = "",
    resolution: Annotated[str, Form()] = "",
    cost: Annotated[str, Form()] = "0",
    user: User = DESK,
) -> Response:
    """Approve or reject (with a note) an open claim, or resolve an approved one at a cost."""
    if step in ("approve", "reject"):
        warranty_claims.do_decide_claim(
            session,
            claim_id,
            approve=step == "approve",
            actor=user.email,
            note=note.strip() or None,
        )
    elif step == "resolve":
        if not cost.strip().isdigit():
            raise ValidationFailed("cost is a whole number of yen, zero or more", field="cost")
        warranty_claims.do_resolve_claim(
            session, claim_id, resolution=resolution, cost=int(cost), actor=user.email
        )
    else:
        raise NotFound(f"there is no step {step!r}", field="step")
    return RedirectResponse("/warranties", status_code=303)
