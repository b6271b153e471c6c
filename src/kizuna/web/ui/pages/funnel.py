"""The Funnel page: visitor → lead → hot lead → new customer per month, with conversion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kizuna.accounts.models import User
from kizuna.analytics.reports import funnel_report
from kizuna.kit.errors import ValidationFailed
from kizuna.web.analytics_scope import scope
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)


@page(router, "/funnel", "funnel.html")
def funnel_page(
    request: Request,
    session: SessionDep,
    as_of: str | None = None,
    months: int = 12,
    user: User = require_role("marketer"),
) -> dict[str, Any]:
    if not 1 <= months <= 36:
        raise ValidationFailed("months is between 1 and 36", field="months")
    here = scope(request, session, as_of)
    data = funnel_report(here.bench, here.as_of, months)
    totals = {
        key: sum(m[key] for m in data["months"])
        for key in ("visitors", "leads", "hot_leads", "converted_leads", "new_customers")
    }
    return {"user": user, **data, "as_of": here.as_of, "totals": totals}
