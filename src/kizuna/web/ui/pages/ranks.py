"""The Ranks page (distribution, migration heatmap between two chosen days, the strategy support
table with its editable services and targets, the three policies' KPIs) and the rank policy
editor (the versioned document as TOML or JSON, validation with a preview, history)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from kizuna.accounts.models import User
from kizuna.analytics.queries import snapshot_runs
from kizuna.analytics.ranks.policy import RankPolicy
from kizuna.analytics.reports import migration_report, rank_distribution, strategy_report
from kizuna.analytics.snapshots import current_policy, do_publish_policy, policy_history
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.web.analytics_scope import bench_of, parse_day, scope
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page, render_html

router = APIRouter(include_in_schema=False)
MARKETER = require_role("marketer")
From = Annotated[str | None, Query(alias="from")]
To = Annotated[str | None, Query(alias="to")]


@page(router, "/ranks", "ranks.html")
def ranks_page(
    request: Request,
    session: SessionDep,
    as_of: str | None = None,
    start: From = None,
    end: To = None,
    moves: str | None = None,
    user: User = MARKETER,
) -> dict[str, Any]:
    here = scope(request, session, as_of)
    monthly = moves == "recompute"
    to_day = parse_day(end, "to", here.as_of)
    from_day = parse_day(start, "from", to_day - timedelta(days=90))
    return {
        "user": user,
        "as_of": here.as_of,
        "currency": here.currency,
        "policy": {"name": here.policy.name, "version": here.policy.version},
        "distribution": rank_distribution(here.bench, here.as_of, here.policy),
        "strategy": strategy_report(here.bench, here.as_of, here.policy, monthly_moves=monthly),
        "migration": migration_report(here.bench, from_day, to_day, here.policy),
        "snapshots": snapshot_runs(session),
    }


def _rate(value: str, field: str) -> float | None:
    """A percentage typed in the table ("12.5") as a rate (0.125); empty is no target."""
    if not value.strip():
        return None
    try:
        return float(value) / 100
    except ValueError:
        raise ValidationFailed(f"{field} has value {value!r}. Not a number.", field=field) from None


def edited_policy(
    policy: RankPolicy,
    ranks: list[str],
    services: list[str],
    customers: list[str],
    churn: list[str],
    upgrade: list[str],
    notes: list[str],
) -> RankPolicy:
    """``policy`` with the services and targets typed in the strategy table (validated)."""
    data = policy.model_dump(mode="json")
    rules = {rule["rank"]: rule for rule in data["rules"]}
    rows = zip(ranks, services, customers, churn, upgrade, notes, strict=True)
    for rank, service, count, churn_pct, upgrade_pct, note in rows:
        if rank not in rules:
            raise ValidationFailed(f"unknown rank {rank!r}", field="rank")
        rules[rank]["services"] = service.strip()
        rules[rank]["target"] = {
            "customers": int(count) if count.strip().isdigit() else None,
            "churn_rate": _rate(churn_pct, f"target.{rank}.churn_rate"),
            "upgrade_rate": _rate(upgrade_pct, f"target.{rank}.upgrade_rate"),
            "note": note.strip() or None,
        }
    return RankPolicy.from_data(data)


@router.post("/ranks/targets", include_in_schema=False)
def save_targets(
    session: SessionDep,
    rank: Annotated[list[str], Form()],
    services: Annotated[list[str], Form()],
    target_customers: Annotated[list[str], Form()],
    target_churn: Annotated[list[str], Form()],
    target_upgrade: Annotated[list[str], Form()],
    target_note: Annotated[list[str], Form()],
    as_of: Annotated[str, Form()] = "",
    user: User = MARKETER,
) -> Response:
    """Publish a new policy version with the strategy table's services and targets."""
    policy = edited_policy(
        current_policy(session), rank, services, target_customers, target_churn,
        target_upgrade, target_note,
    )  # fmt: skip
    published = do_publish_policy(
        session, policy, author=user.email, note="services and targets (strategy table)"
    )
    query = f"?as_of={as_of}&saved={published.version}" if as_of else f"?saved={published.version}"
    return RedirectResponse(f"/ranks{query}#strategy", status_code=303)


def _editor(session: Session, fmt: str, text: str | None = None) -> dict[str, Any]:
    policy = current_policy(session)
    document = policy.to_json() if fmt == "json" else policy.to_toml()
    return {
        "format": fmt,
        "document": document if text is None else text,
        "policy": {"name": policy.name, "version": policy.version},
        "history": policy_history(session, policy.name),
        "error": None,
        "preview": None,
    }


@page(router, "/ranks/policy", "rank_policy.html")
def policy_page(
    request: Request, session: SessionDep, format: str = "toml", user: User = MARKETER
) -> dict[str, Any]:
    if format not in ("toml", "json"):
        raise ValidationFailed("format is toml or json", field="format")
    return {"user": user, **_editor(session, format)}


def parse_policy(text: str, fmt: str) -> RankPolicy:
    """A rank policy document typed in the editor (ValidationFailed names the field)."""
    if fmt == "json":
        try:
            return RankPolicy.from_data(json.loads(text))
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"not valid JSON: {exc.msg} (line {exc.lineno})", field="document"
            ) from None
    return RankPolicy.from_toml(text)


@router.post("/ranks/policy", include_in_schema=False)
def publish_policy(
    request: Request,
    session: SessionDep,
    document: Annotated[str, Form()],
    format: Annotated[str, Form()] = "toml",
    action: Annotated[str, Form()] = "validate",
    note: Annotated[str, Form()] = "",
    user: User = MARKETER,
) -> Response:
    """Validate the edited document (with a preview of the ranks) or publish it."""
    fmt = "json" if format == "json" else "toml"
    data = {"user": user, **_editor(session, fmt, document)}
    try:
        policy = parse_policy(document, fmt)
        if action == "publish":
            published = do_publish_policy(session, policy, author=user.email, note=note or None)
            return RedirectResponse(
                f"/ranks/policy?format={fmt}&published={published.version}", status_code=303
            )
        preview_day = parse_day(None, "as_of")
        data["preview"] = rank_distribution(bench_of(request, session), preview_day, policy)
    except KizunaError as error:
        data["error"] = error
        return render_html(request, "rank_policy.html", data, status=422)
    return render_html(request, "rank_policy.html", data)
