"""Loyalty API for the storefront and the POS: status, quote, holds, coupons, earn, history,
manual adjustments. The same points work online and in the store.

Customers are named by the shop's id (``external_id``). Writes that the ledger cannot derive a
key for need an ``Idempotency-Key`` header: sending the same request again returns the first
result (``replayed: true``) and changes nothing. Scopes: ``loyalty:read`` for reads and the
quote, ``loyalty:write`` for holds, coupons and earning, ``loyalty:adjust`` for adjustments.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from kizuna.accounts.models import ApiKey
from kizuna.customers.queries import find_by_external_id
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.loyalty.coupons import do_redeem_coupon
from kizuna.loyalty.ledger import post
from kizuna.loyalty.ledger.balance import history
from kizuna.loyalty.ledger.core import EntryResult
from kizuna.loyalty.queries import loyalty_status
from kizuna.loyalty.quote import Cart, CartLine, quote
from kizuna.loyalty.stages import stage_history
from kizuna.orders.models import Order
from kizuna.web.deps import SessionDep, api_key

router = APIRouter(prefix="/api/loyalty", tags=["loyalty"])
READ, WRITE = Depends(api_key("loyalty:read")), Depends(api_key("loyalty:write"))
KeyHeader = Annotated[str | None, Header(max_length=128)]
# Ledger writes take the customer's lock inside the verb (``loyalty.locking``): on SQLite through
# the in-process writer gate, so concurrent requests queue instead of polling SQLite's busy
# handler (``WriteSessionDep`` would take the write lock first, ungated: p99 of seconds).
LedgerSessionDep = SessionDep


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CartLineBody(_Body):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1)
    unit_price: int = Field(ge=0)
    subscription: bool = False


class QuoteBody(_Body):
    customer_id: str = Field(min_length=1, max_length=64)
    lines: list[CartLineBody] = Field(min_length=1)
    shipping_fee: int = Field(0, ge=0)
    coupon_codes: list[str] = Field(default_factory=list, max_length=10)
    points_to_use: int = Field(0, ge=0)


class PointsBody(_Body):
    customer_id: str = Field(min_length=1, max_length=64)
    points: int
    order_ref: str | None = Field(None, max_length=64)


class EarnBody(_Body):
    """Either ``order_number`` (points by the programme's rules) or ``customer_id`` + ``points``
    + ``reason`` (a grant such as a campaign)."""

    order_number: str | None = Field(None, max_length=64)
    customer_id: str | None = Field(None, max_length=64)
    points: int | None = None
    reason: str = Field("campaign", min_length=1, max_length=32)


class CouponBody(_Body):
    customer_id: str = Field(min_length=1, max_length=64)
    code: str = Field(min_length=1, max_length=64)
    subtotal: int = Field(ge=0)
    order_ref: str | None = Field(None, max_length=64)


class AdjustmentBody(_Body):
    customer_id: str = Field(min_length=1, max_length=64)
    points: int
    note: str = Field(max_length=500)
    actor: str = Field(max_length=120)


def customer_id_of(session: SessionDep, external_id: str) -> int:
    """The internal id of the shop's customer ``external_id`` (404 naming ``customer_id``)."""
    customer = find_by_external_id(session, external_id)
    if customer is None:
        raise NotFound(f"no customer with id {external_id!r}", field="customer_id")
    return customer.id


def _key(value: str | None, verb: str) -> str:
    if not value or not value.strip():
        raise ValidationFailed(
            "send an Idempotency-Key header so that a retry cannot post twice",
            field="Idempotency-Key",
        )
    return f"api:{verb}:{value.strip()}"


def _order_id(session: SessionDep, order_number: str) -> int | None:
    return session.scalar(select(Order.id).where(Order.order_number == order_number))


def _entry(result: EntryResult) -> dict[str, Any]:
    return asdict(result)


@router.get("/{customer}", dependencies=[READ])
def status(customer: str, session: SessionDep) -> dict[str, Any]:
    """Stage, progress to the next stage (ja/en sentence), balance, expiring points, benefits."""
    return loyalty_status(session, customer_id_of(session, customer)).as_dict()


@router.get("/{customer}/history", dependencies=[READ])
def entries(
    customer: str,
    session: SessionDep,
    limit: int = Query(50, ge=1, le=500),
    before_id: int | None = Query(None, ge=1),
) -> dict[str, Any]:
    """Ledger entries, newest first (``before_id`` pages back), and the stage changes."""
    cid = customer_id_of(session, customer)
    rows = history(session, cid, limit=limit, before_id=before_id)
    return {
        "entries": [asdict(e) for e in rows],
        "next_before_id": rows[-1].id if len(rows) == limit else None,
        "stage_changes": [asdict(s) for s in stage_history(session, cid)],
    }


@router.post("/quote", dependencies=[READ])
def price(body: QuoteBody, session: SessionDep) -> dict[str, Any]:
    """Price a cart: stage, subscription and volume discounts, coupons, points usable and to earn.
    Writes nothing."""
    cart = Cart(
        lines=tuple(CartLine(**line.model_dump()) for line in body.lines),
        shipping_fee=body.shipping_fee,
        coupon_codes=tuple(body.coupon_codes),
        points_to_use=body.points_to_use,
    )
    return quote(session, customer_id_of(session, body.customer_id), cart).as_dict()


@router.post("/holds", dependencies=[WRITE])
def hold(body: PointsBody, session: LedgerSessionDep, idempotency_key: KeyHeader = None) -> dict:
    """Reserve points for a checkout until the programme's hold timeout."""
    cid = customer_id_of(session, body.customer_id)
    result = post.do_hold(
        session, cid, body.points, key=_key(idempotency_key, "hold"), order_ref=body.order_ref
    )
    return _entry(result)


@router.post("/holds/{hold_id}/capture", dependencies=[WRITE])
def capture(hold_id: int, session: LedgerSessionDep, order_number: str | None = None) -> dict:
    """The checkout went through: the held points are spent (409 once the hold expired)."""
    order_id = _order_id(session, order_number) if order_number else None
    if order_number and order_id is None:
        raise NotFound(f"no order {order_number!r}", field="order_number")
    result = post.do_capture(session, hold_id, key=f"hold:{hold_id}:capture", order_id=order_id)
    return _entry(result)


@router.post("/holds/{hold_id}/release", dependencies=[WRITE])
def release(hold_id: int, session: LedgerSessionDep) -> dict:
    """The checkout was abandoned: the held points go back to the lots they came from."""
    return _entry(post.do_release(session, hold_id, key=f"hold:{hold_id}:release", actor="api"))


@router.post("/redemptions", dependencies=[WRITE])
def redeem(body: PointsBody, session: LedgerSessionDep, idempotency_key: KeyHeader = None) -> dict:
    """Spend points now (POS), earliest-expiring first."""
    cid = customer_id_of(session, body.customer_id)
    result = post.do_redeem(
        session, cid, body.points, key=_key(idempotency_key, "redeem"), order_ref=body.order_ref,
        actor="api",
    )  # fmt: skip
    return _entry(result)


@router.post("/coupons/redeem", dependencies=[WRITE])
def redeem_coupon(
    body: CouponBody, session: LedgerSessionDep, idempotency_key: KeyHeader = None
) -> dict[str, Any]:
    """Use a coupon on an order (409 when used up or expired, 422 when not eligible)."""
    cid = customer_id_of(session, body.customer_id)
    check = do_redeem_coupon(
        session, body.code, cid, body.subtotal, key=_key(idempotency_key, "coupon"),
        order_ref=body.order_ref,
    )  # fmt: skip
    return asdict(check)


@router.post("/earn", dependencies=[WRITE])
def earn(body: EarnBody, session: LedgerSessionDep, idempotency_key: KeyHeader = None) -> dict:
    """Earn points: for a recorded order by the programme's rules (idempotent by order), or a
    grant of ``points`` with a ``reason`` (idempotent by the Idempotency-Key)."""
    if body.order_number:
        order_id = _order_id(session, body.order_number)
        if order_id is None:
            raise NotFound(f"no order {body.order_number!r}", field="order_number")
        result = post.do_earn_for_order(session, order_id)
        return _entry(result) if result else {"points": 0, "entry_id": None, "replayed": False}
    if not body.customer_id or body.points is None:
        raise ValidationFailed(
            "send order_number, or customer_id with points", field="order_number"
        )
    cid = customer_id_of(session, body.customer_id)
    result = post.do_earn(
        session, cid, body.points, key=_key(idempotency_key, "earn"), reason=body.reason,
        actor="api",
    )  # fmt: skip
    return _entry(result)


@router.post("/adjustments")
def adjust(
    body: AdjustmentBody,
    session: LedgerSessionDep,
    key: Annotated[ApiKey, Depends(api_key("loyalty:adjust"))],
    idempotency_key: KeyHeader = None,
) -> dict[str, Any]:
    """A manual correction with a note, by a named person (recorded with the API key used)."""
    cid = customer_id_of(session, body.customer_id)
    actor = f"{body.actor.strip()} (api key kz_{key.prefix})" if body.actor.strip() else ""
    result = post.do_adjust(
        session, cid, body.points, key=_key(idempotency_key, "adjust"), note=body.note,
        actor=actor,
    )  # fmt: skip
    return _entry(result)
