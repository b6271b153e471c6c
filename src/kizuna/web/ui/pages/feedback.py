"""The Feedback page (NPS and CSAT over time, each question's satisfied and dissatisfied share,
the latest comments, support tickets by category over time) and the review moderation queue
(approve, or reject with a reason; an approved incentivised review gets its reward once)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import User
from kizuna.analytics.models import RankSpell
from kizuna.customers.models import Customer
from kizuna.feedback import reviews, survey_reports, ticket_reports
from kizuna.ingest.after_purchase import moderate_review
from kizuna.kit.i18n import translate
from kizuna.kit.jp import full_name
from kizuna.loyalty.models import LoyaltyAccount
from kizuna.web.deps import SessionDep, WriteSessionDep, require_role
from kizuna.web.ui.render import language_of, page

router = APIRouter(include_in_schema=False)
STAFF = require_role("marketer", "support")


def customer_names(session: Session, ids: set[int | None], language: str) -> dict[int, dict]:
    """``{customer_id: {"name", "is_problem"}}`` for the dashboard's lists."""
    wanted = sorted(i for i in ids if i is not None)
    if not wanted:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.family_name, Customer.given_name, Customer.is_problem).where(
            Customer.id.in_(wanted)
        )
    )
    return {
        cid: {"name": full_name(family, given, language) or f"#{cid}", "is_problem": problem}
        for cid, family, given, problem in rows
    }


def _groups(session: Session) -> dict[str, dict[int, str]]:
    """Each customer's current rank (the open rank spell) and loyalty stage."""
    ranks = session.execute(
        select(RankSpell.customer_id, RankSpell.rank).where(RankSpell.valid_to.is_(None))
    )
    stages = session.execute(
        select(LoyaltyAccount.customer_id, LoyaltyAccount.stage).where(
            LoyaltyAccount.stage.is_not(None)
        )
    )
    return {
        "rank": {cid: rank for cid, rank in ranks},
        "stage": {cid: stage for cid, stage in stages if stage},
    }


def _zone(request: Request) -> str:
    return str(request.app.state.settings.shop_timezone)


@page(router, "/feedback", "feedback.html")
def feedback(
    request: Request, session: SessionDep, survey: str | None = None, user: User = STAFF
) -> dict[str, Any]:
    lang, zone = language_of(request), _zone(request)
    surveys = survey_reports.survey_list(session, lang)
    code = survey or (surveys[0]["code"] if surveys else None)
    comments = survey_reports.latest_comments(session, code, limit=20, language=lang)
    names = customer_names(session, {c["customer_id"] for c in comments}, lang)
    trend = ticket_reports.category_trend(session, zone=zone)
    kind = next((s["kind"] for s in surveys if s["code"] == code and s["kind"] == "csat"), "nps")
    groups = _groups(session)
    return {
        "user": user,
        "surveys": surveys,
        "survey": code,
        "report": survey_reports.question_report(session, code, language=lang) if code else None,
        "nps_trend": survey_reports.score_trend(session, "nps", code, zone=zone) if code else [],
        "csat_trend": survey_reports.score_trend(session, "csat", code, zone=zone) if code else [],
        "group_kind": kind,
        "by_rank": survey_reports.scores_by_group(session, kind, groups["rank"]),
        "by_stage": survey_reports.scores_by_group(session, kind, groups["stage"]),
        "comments": [c | {"name": names.get(c["customer_id"], {}).get("name")} for c in comments],
        "ticket_categories": trend,
        "category_labels": {
            c: translate(f"ticket.category.{c}", lang) for c in trend["categories"]
        },
        "open_tickets": ticket_reports.open_counts(session),
        "reviews": reviews.status_counts(session),
    }


@page(router, "/reviews", "reviews.html")
def review_queue(request: Request, session: SessionDep, user: User = STAFF) -> dict[str, Any]:
    lang = language_of(request)
    queue = reviews.moderation_queue(session, limit=100, language=lang)
    names = customer_names(session, {r["customer_id"] for r in queue}, lang)
    return {
        "user": user,
        "queue": [r | {"customer": names.get(r["customer_id"])} for r in queue],
        "counts": reviews.status_counts(session),
        "reasons": list(reviews.REJECTION_REASONS),
    }


@router.post("/reviews/{review_id}/approve")
def approve(
    review_id: int,
    session: WriteSessionDep,
    coupon_template: Annotated[str, Form()] = "",
    user: User = STAFF,
) -> Response:
    """Publish the review; an incentivised one gets its points (or coupon) once."""
    moderate_review(
        session,
        review_id,
        approve=True,
        actor=user.email,
        coupon_template=coupon_template.strip() or None,
    )
    return RedirectResponse("/reviews", status_code=303)


@router.post("/reviews/{review_id}/reject")
def reject(
    review_id: int,
    session: WriteSessionDep,
    reason: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    user: User = STAFF,
) -> Response:
    """Reject the review with a content reason (a low rating is not one)."""
    moderate_review(
        session,
        review_id,
        approve=False,
        actor=user.email,
        reason=reason or None,
        note=note.strip() or None,
    )
    return RedirectResponse("/reviews", status_code=303)
