"""Customer API: upsert, read, search, timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query

from kizuna.customers.queries import customer_profile, find_by_external_id, search_customers
from kizuna.customers.schemas import CustomerBody, body_to_input
from kizuna.customers.service import check_identities, upsert_customers
from kizuna.kit.errors import NotFound
from kizuna.timeline.queries import customer_timeline
from kizuna.web.deps import SessionDep, WriteSessionDep, api_key

router = APIRouter(prefix="/api/customers", tags=["customers"])
READ, WRITE = Depends(api_key("customers:read")), Depends(api_key("customers:write"))


def _id_of(session: SessionDep, external_id: str) -> int:
    customer = find_by_external_id(session, external_id)
    if customer is None:
        raise NotFound(f"no customer with id {external_id!r}", field="external_id")
    return customer.id


@router.put("/{external_id}", dependencies=[WRITE])
def upsert_customer(
    external_id: str, body: CustomerBody, session: WriteSessionDep
) -> dict[str, Any]:
    """Create or update the customer with the shop's id ``external_id`` (idempotent)."""
    item = body_to_input(external_id, body)
    taken = check_identities(session, [item])
    if taken:
        raise taken[external_id]
    counts = upsert_customers(session, [item], source="api")
    result = "inserted" if counts.inserted else "updated" if counts.updated else "unchanged"
    profile = customer_profile(session, _id_of(session, external_id)).to_dict()
    return {"result": result, "customer": profile}


@router.get("/{external_id}", dependencies=[READ])
def read_customer(external_id: str, session: SessionDep) -> dict[str, Any]:
    """The customer with identities and current consent."""
    return customer_profile(session, _id_of(session, external_id)).to_dict()


@router.get("", dependencies=[READ])
def search(session: SessionDep, q: str = Query(min_length=1, max_length=100)) -> dict[str, Any]:
    """Customers matching a name, kana, email, phone or member number."""
    return {"customers": [vars(card) for card in search_customers(session, q)]}


@router.get("/{external_id}/timeline", dependencies=[READ])
def timeline(external_id: str, session: SessionDep, limit: int = Query(200, le=1000)) -> dict:
    """The customer's history, newest first."""
    entries = customer_timeline(session, _id_of(session, external_id), limit)
    return {"entries": [e.to_dict() for e in entries]}
