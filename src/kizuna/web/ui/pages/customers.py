"""Customer search and the customer page (profile + timeline) for marketers and the support desk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from kizuna.accounts.models import User
from kizuna.clv.queries import customer_prediction
from kizuna.customers.privacy import export_customer
from kizuna.customers.queries import customer_profile, search_customers
from kizuna.orders.queries import customer_order_totals
from kizuna.recommend import for_you, gift_for
from kizuna.timeline.queries import customer_timeline
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.pages.loyalty import loyalty_panel
from kizuna.web.ui.pages.products import with_products
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)
ANY_ROLE = require_role("marketer", "support")


@page(router, "/customers", "customers.html")
def customers(
    request: Request, session: SessionDep, q: str = "", user: User = ANY_ROLE
) -> dict[str, Any]:
    found = search_customers(session, q) if q.strip() else []
    return {"user": user, "q": q, "customers": [vars(card) for card in found]}


@page(router, "/customers/{customer_id}", "customer.html")
def customer(
    request: Request, customer_id: int, session: SessionDep, user: User = ANY_ROLE
) -> dict[str, Any]:
    profile = customer_profile(session, customer_id).to_dict()
    entries = [e.to_dict() for e in customer_timeline(session, customer_id)]
    return {
        "user": user,
        "prediction": customer_prediction(session, customer_id),
        "for_you": with_products(session, for_you(session, customer_id, 8)),
        "gift": _gift(session, customer_id),
        "loyalty": loyalty_panel(session, customer_id),
        "customer": profile,
        **customer_order_totals(session, customer_id),
        "timeline": entries,
    }


@router.get("/customers/{customer_id}/export.json", include_in_schema=False)
def export(customer_id: int, session: SessionDep, user: User = require_role()) -> dict[str, Any]:
    """APPI disclosure of everything stored about the customer (admins only; audited)."""
    return export_customer(session, customer_id, actor=user.email)


def _gift(session: SessionDep, customer_id: int) -> dict[str, Any] | None:
    gift = gift_for(session, customer_id)
    return with_products(session, [gift])[0] if gift else None
