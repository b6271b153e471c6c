"""The Cohorts page: retention (and revenue) by first-purchase month as a heatmap."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kizuna.accounts.models import User
from kizuna.analytics.reports import cohort_report
from kizuna.kit.errors import ValidationFailed
from kizuna.web.analytics_scope import scope
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)


@page(router, "/cohorts", "cohorts.html")
def cohorts_page(
    request: Request,
    session: SessionDep,
    as_of: str | None = None,
    months: int = 12,
    user: User = require_role("marketer"),
) -> dict[str, Any]:
    if not 1 <= months <= 36:
        raise ValidationFailed("months is between 1 and 36", field="months")
    here = scope(request, session, as_of)
    return {
        "user": user,
        "currency": here.currency,
        **cohort_report(here.bench, here.as_of, months),
        "as_of": here.as_of,
    }
