"""Order API: record an order (idempotent by order number and Idempotency-Key)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header

from kizuna.orders.schemas import OrderBody
from kizuna.orders.service import record_order
from kizuna.web.deps import WriteSessionDep, api_key

router = APIRouter(prefix="/api/orders", tags=["orders"])


@router.post("", dependencies=[Depends(api_key("orders:write"))])
def post_order(
    body: OrderBody,
    session: WriteSessionDep,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> dict[str, Any]:
    """Record an order; sending it again changes nothing (``result: unchanged``)."""
    result = record_order(session, body.to_input(idempotency_key))
    return {"order_number": body.order_number, "result": result}
