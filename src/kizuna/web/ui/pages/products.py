"""The product page (related products and alternatives) and the recommendation evaluation page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session

from kizuna.accounts.models import User
from kizuna.catalog.queries import product, products_by_sku
from kizuna.recommend import Pick, alternatives_for, latest_run, related_for
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)


def with_products(session: Session, picks: list[Pick]) -> list[dict[str, Any]]:
    """Recommendations with their product's name, price and stock."""
    found = products_by_sku(session, [p.sku for p in picks])
    return [{**asdict(p), **found.get(p.sku, {"name": p.sku})} for p in picks]


@page(router, "/products/{sku}", "product.html")
def product_page(
    request: Request, sku: str, session: SessionDep, user: User = require_role("marketer")
) -> dict[str, Any]:
    return {
        "user": user,
        "product": product(session, sku),
        "related": with_products(session, related_for(session, sku, 10)),
        "alternatives": with_products(session, alternatives_for(session, [sku], 10)),
    }


@page(router, "/recommend", "recommend.html")
def evaluation_page(
    request: Request, session: SessionDep, user: User = require_role("marketer")
) -> dict[str, Any]:
    evaluation, build = latest_run(session, "evaluate"), latest_run(session, "build")
    return {
        "user": user,
        "evaluation": evaluation.report if evaluation else None,
        "evaluated_at": evaluation.started_at if evaluation else None,
        "build": build.report if build else None,
        "built_at": build.started_at if build else None,
    }
