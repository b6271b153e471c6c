"""Loyalty pages for the marketer: points liability (outstanding points in yen, expiring per
month), stage distribution and movements, benefit cost per stage and month; and the programme
editor, which validates a draft, previews how many current members each stage would hold under
it, and publishes it as a new version from an effective date."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.models import User
from kizuna.customers.service import get_customer
from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.loyalty.benefits import monthly_benefit_cost
from kizuna.loyalty.ledger.balance import history, points_liability
from kizuna.loyalty.programme import Programme, dumps, loads
from kizuna.loyalty.queries import loyalty_status, stage_distribution, stage_movements
from kizuna.loyalty.stage_eval import preview_stage_distribution
from kizuna.loyalty.versions import active_programme, do_publish_programme, programme_history
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import language_of, page, render_html

router = APIRouter(include_in_schema=False)
MARKETER = require_role("marketer")
COST_MONTHS = 6
MOVEMENT_DAYS = 90


def _months_back(today: date, count: int) -> list[date]:
    """The first days of the last ``count`` months, oldest first (this month last)."""
    firsts, day = [], today.replace(day=1)
    for _ in range(count):
        firsts.append(day)
        day = (day - timedelta(days=1)).replace(day=1)
    return firsts[::-1]


def _stages(programme: Programme) -> list[dict[str, str]]:
    return [{"code": s.code, "ja": s.name_ja, "en": s.name_en} for s in programme.stages]


def _benefit_costs(session: SessionDep, months: list[date], language: str) -> list[dict]:
    rows = []
    for month in months:
        for cost in monthly_benefit_cost(session, month, language=language):
            rows.append({"month": month.strftime("%Y-%m"), **asdict(cost)})
    return rows


def _by_month(rows: list[dict], stages: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Benefit cost per month with one total per stage (the table and the stacked chart)."""
    months: dict[str, dict[str, int]] = {}
    for row in rows:
        per_stage = months.setdefault(row["month"], {s["code"]: 0 for s in stages})
        per_stage[row["stage"]] = per_stage.get(row["stage"], 0) + row["cost_yen"]
    return [
        {"month": m, "by_stage": costs, "total": sum(costs.values())} for m, costs in months.items()
    ]


@page(router, "/loyalty", "loyalty.html")
def loyalty_overview(request: Request, session: SessionDep, user: User = MARKETER) -> dict:
    at = now()
    programme = active_programme(session, at)
    liability = points_liability(session, at=at)
    today = to_shop_tz(at).date()
    stages = _stages(programme)
    costs = _benefit_costs(session, _months_back(today, COST_MONTHS), language_of(request))
    return {
        "user": user,
        "programme": {"version": programme.version, "name": programme.name},
        "stages": stages,
        "liability": {
            "points": liability.points,
            "yen": liability.yen,
            "customers": liability.customers,
            "by_expiry_month": [{"month": m, "points": p} for m, p in liability.by_expiry_month],
        },
        "distribution": stage_distribution(session),
        "movements_days": MOVEMENT_DAYS,
        "movements": stage_movements(session, at - timedelta(days=MOVEMENT_DAYS), at),
        "benefit_costs": costs,
        "benefit_cost_by_month": _by_month(costs, stages),
    }


def _editor(session: SessionDep, text: str | None = None) -> dict[str, Any]:
    programme = active_programme(session)
    draft = programme.model_copy(update={"version": None, "author": None, "effective_from": None})
    return {
        "programme": {"version": programme.version, "name": programme.name},
        "stages": _stages(programme),
        "document": text if text is not None else dumps(draft),
        "history": [asdict(v) for v in programme_history(session)],
        "effective_from": (to_shop_tz(now()).date() + timedelta(days=1)).isoformat(),
        "preview": None,
        "error": None,
    }


def preview(session: SessionDep, draft: Programme) -> list[dict[str, Any]]:
    """Members per stage: as last evaluated, under the programme in force, under ``draft``."""
    current = active_programme(session)
    evaluated = stage_distribution(session)
    now_rules = preview_stage_distribution(session, current)
    edited = preview_stage_distribution(session, draft)
    codes = [s.code for s in current.stages]
    codes += [s.code for s in draft.stages if s.code not in codes]
    names = {s.code: {"ja": s.name_ja, "en": s.name_en} for s in [*draft.stages, *current.stages]}
    return [
        {
            "stage": code,
            "name": names[code],
            "evaluated": evaluated.get(code, 0),
            "now": now_rules.get(code),
            "edited": edited.get(code),
        }
        for code in codes
    ]


def loyalty_panel(session: SessionDep, customer_id: int, entries: int = 8) -> dict[str, Any] | None:
    """The customer page's panel: stage, gap sentence, balance, expiring points, recent entries
    (None for a guest under a members-only programme)."""
    if active_programme(session).members_only and not get_customer(session, customer_id).is_member:
        return None
    status = loyalty_status(session, customer_id).as_dict()
    recent = [asdict(e) for e in history(session, customer_id, limit=entries)]
    return {**status, "recent": recent}


@page(router, "/loyalty/programme", "loyalty_programme.html")
def programme_page(request: Request, session: SessionDep, user: User = MARKETER) -> dict:
    return {"user": user, **_editor(session)}


@router.post("/loyalty/programme", include_in_schema=False)
def programme_post(
    request: Request,
    session: SessionDep,
    document: Annotated[str, Form()],
    action: Annotated[str, Form()] = "preview",
    effective_from: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    user: User = MARKETER,
) -> Response:
    """Validate the edited document; preview its effect, or publish it as a new version."""
    data = {"user": user, **_editor(session, document)}
    if effective_from:
        data["effective_from"] = effective_from
    try:
        draft = loads(document)
        if action == "publish":
            start = _effective_date(effective_from)
            do_publish_programme(session, draft, author=user.email, effective_from=start,
                                 note=note.strip() or None)  # fmt: skip
            return RedirectResponse("/loyalty/programme?published=1", status_code=303)
        data["preview"] = preview(session, draft)
    except KizunaError as error:
        data["error"] = error
        return render_html(request, "loyalty_programme.html", data, status=error.http_status)
    return render_html(request, "loyalty_programme.html", data)


def _effective_date(text: str) -> date | datetime | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"{text!r} is not a date (YYYY-MM-DD)", field="effective_from"
        ) from None
