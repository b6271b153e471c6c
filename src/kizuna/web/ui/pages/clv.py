"""The CLV page: fit diagnostics (calibration vs holdout), P(alive) and CLV distributions, top
customers by CLV and valuable customers at risk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kizuna.accounts.models import User
from kizuna.clv.queries import clv_overview
from kizuna.orders.queries import order_counts
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)


@page(router, "/clv", "clv.html")
def clv(request: Request, session: SessionDep, user: User = require_role("marketer")) -> dict:
    data: dict[str, Any] = clv_overview(session)
    return {"user": user, "currency": order_counts(session)["currency"], **data}
