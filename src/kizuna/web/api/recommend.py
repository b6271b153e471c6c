"""Storefront reads: recommendations for a customer, related products, cart alternatives and
content blocks. Each is one indexed lookup into lists precomputed by ``kizuna recommend build``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends, Query

from kizuna.customers.queries import find_by_external_id
from kizuna.kit.errors import NotFound
from kizuna.recommend import alternatives_for, content_block, for_you, gift_for, related_for
from kizuna.web.deps import SessionDep, api_key

router = APIRouter(prefix="/api", tags=["recommendations"])
READ = Depends(api_key("customers:read"))


def _customer_id(session: SessionDep, external_id: str) -> int:
    customer = find_by_external_id(session, external_id)
    if customer is None:
        raise NotFound(f"no customer with id {external_id!r}", field="customer")
    return customer.id


@router.get("/recommendations/{customer}", dependencies=[READ])
def recommendations(
    customer: str, session: SessionDep, n: int = Query(10, ge=1, le=50)
) -> dict[str, Any]:
    """'For you' for the customer (the shop's customer id), and their gift pick."""
    customer_id = _customer_id(session, customer)
    gift = gift_for(session, customer_id)
    return {
        "customer": customer,
        "items": [asdict(p) for p in for_you(session, customer_id, n)],
        "gift": asdict(gift) if gift else None,
    }


@router.get("/products/{sku}/related", dependencies=[READ])
def related(sku: str, session: SessionDep, n: int = Query(10, ge=1, le=50)) -> dict[str, Any]:
    """Products bought or viewed together with ``sku`` (in stock)."""
    return {"sku": sku, "items": [asdict(p) for p in related_for(session, sku, n)]}


@router.get("/cart/alternatives", dependencies=[READ])
def alternatives(
    session: SessionDep,
    sku: list[str] = Query(min_length=1, max_length=50),
    n: int = Query(10, ge=1, le=50),
) -> dict[str, Any]:
    """In-stock alternatives for the SKUs of a cart (same category, similar price)."""
    return {"skus": sku, "items": [asdict(p) for p in alternatives_for(session, sku, n)]}


@router.get("/content/{slot}", dependencies=[READ])
def content(slot: str, session: SessionDep, customer: str | None = None) -> dict[str, Any]:
    """The block configured for this slot and viewer (member, stage, rank, segment), or 404."""
    customer_id = _customer_id(session, customer) if customer else None
    block = content_block(session, slot, customer_id)
    if block is None:
        raise NotFound(f"no content is configured for slot {slot!r}", field="slot")
    return {"slot": slot, "block": block.model_dump()}
