"""The suppression list: search it, suppress a customer or an address by hand, lift a
suppression with a reason (each change is logged with who and why)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.models import User
from kizuna.channels.suppression import REASONS
from kizuna.channels.suppression_list import CHANNELS, do_lift, do_suppress, search
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page, render_html

router = APIRouter(include_in_schema=False)
STAFF = require_role("marketer", "support")


def _listing(session: SessionDep, q: str) -> dict[str, Any]:
    return {
        "q": q,
        "suppressions": search(session, q),
        "channels": CHANNELS,
        "reasons": REASONS,
    }


@page(router, "/suppressions", "suppressions.html")
def suppressions_page(
    request: Request, session: SessionDep, q: str = "", done: str = "", user: User = STAFF
) -> dict[str, Any]:
    return {"user": user, "error": None, "done": done, **_listing(session, q)}


@router.post("/suppressions", include_in_schema=False)
def suppress(
    request: Request,
    session: SessionDep,
    channel: Annotated[str, Form()],
    category: Annotated[str, Form()] = "marketing",
    reason: Annotated[str, Form()] = "manual",
    customer_id: Annotated[str, Form()] = "",
    address: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    user: User = STAFF,
) -> Response:
    try:
        if customer_id.strip() and not customer_id.strip().isdigit():
            raise ValidationFailed("the customer number is a number", field="customer_id")
        _, new = do_suppress(
            session,
            channel=channel,
            category=category,
            reason=reason,
            actor=user.email,
            note=note,
            customer_id=int(customer_id) if customer_id.strip() else None,
            address=address or None,
        )
    except KizunaError as error:
        data = {"user": user, "error": error, "done": "", **_listing(session, "")}
        return render_html(request, "suppressions.html", data, status=error.http_status)
    return RedirectResponse(f"/suppressions?done={'added' if new else 'exists'}", 303)


@router.post("/suppressions/{suppression_id}/lift", include_in_schema=False)
def lift(
    request: Request,
    suppression_id: int,
    session: SessionDep,
    reason: Annotated[str, Form()] = "",
    user: User = STAFF,
) -> Response:
    try:
        do_lift(session, suppression_id, actor=user.email, reason=reason)
    except KizunaError as error:
        data = {"user": user, "error": error, "done": "", **_listing(session, "")}
        return render_html(request, "suppressions.html", data, status=error.http_status)
    return RedirectResponse("/suppressions?done=lifted", status_code=303)
