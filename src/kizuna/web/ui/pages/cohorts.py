"""The month-by-month analytics pages: Cohorts (retention and revenue by first-purchase month,
as a heatmap) and Funnel (visitor → lead → hot lead → new customer per month, with conversion)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from kizuna.accounts.models import User
from kizuna.analytics.reports import cohort_report, funnel_report
from kizuna.kit.errors import ValidationFailed
from kizuna.web.analytics_scope import Scope, scope
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)
FUNNEL_STEPS = ("visitors", "leads", "hot_leads", "converted_leads", "new_customers")


def _monthly_scope(request: Request, session: Session, as_of: str | None, months: int) -> Scope:
    if not 1 <= months <= 36:
        raise ValidationFailed("months is between 1 and 36", field="months")
    return scope(request, session, as_of)


@page(router, "/cohorts", "cohorts.html")
def cohorts_page(
    request: Request,
    session: SessionDep,
    as_of: str | None = None,
    months: int = 12,
    user: User = require_role("marketer"),
) -> dict[str, Any]:
    here = _monthly_scope(request, session, as_of, months)
    return {
        "user": user,
        "currency": here.currency,
        **cohort_report(here.bench, here.as_of, months),
        "as_of": here.as_of,
    }


@page(router, "/funnel", "funnel.html")
def funnel_page(
    request: Request,
    session: SessionDep,
    as_of: str | None = None,
    months: int = 12,
    user: User = require_role("marketer"),
) -> dict[str, Any]:
    here = _monthly_scope(request, session, as_of, months)
    data = funnel_report(here.bench, here.as_of, months)
    totals = {key: sum(m[key] for m in data["months"]) for key in FUNNEL_STEPS}
    return {"user": user, **data, "as_of": here.as_of, "totals": totals}
