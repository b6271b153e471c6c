"""Order API: record an order (idempotent by order number and Idempotency-Key) and react to it:
points, stage and journeys in the same transaction (``ingest.pipeline``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header

from kizuna.ingest.pipeline import after_commit, ingest_order
from kizuna.orders.schemas import OrderBody
from kizuna.web.deps import WriteSessionDep, api_key

router = APIRouter(prefix="/api/orders", tags=["orders"])


@router.post("", dependencies=[Depends(api_key("orders:write"))])
def post_order(
    body: OrderBody,
    session: WriteSessionDep,
    background: BackgroundTasks,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> dict[str, Any]:
    """Record an order; sending it again changes nothing (``result: unchanged``)."""
    outcome = ingest_order(session, body.to_input(idempotency_key))
    # background tasks run after the response, so after the request's commit
    background.add_task(after_commit, outcome.reactions)
    return {
        "order_number": body.order_number,
        "result": outcome.result,
        "reactions": outcome.reactions.to_dict(),
    }
