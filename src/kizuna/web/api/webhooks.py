"""Generic storefront webhook: ``{"topic": "order.created", "id": "...", "data": {...}}``.

``order.*`` topics carry an order in the shape of ``POST /api/orders``; ``customer.*`` topics a
customer in the shape of ``PUT /api/customers/{id}`` plus ``customer_id``; ``return.created`` a
return (``ReturnBody``: goods back against an order, whose points are reversed pro rata). The
webhook id is used as the idempotency key, so a storefront's retries change nothing.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kizuna.customers.schemas import CustomerBody, body_to_input
from kizuna.customers.service import check_identities, upsert_customers
from kizuna.ingest.pipeline import after_commit, ingest_order, ingest_return
from kizuna.kit.errors import ValidationFailed
from kizuna.orders.schemas import LineBody, LineIn, OrderBody, ReturnIn
from kizuna.web.deps import WriteSessionDep, api_key

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


class WebhookBody(BaseModel):
    topic: str = Field(
        pattern=r"^((order|customer)\.(created|updated|paid|shipped|delivered|cancelled)"
        r"|return\.created)$"
    )
    id: str = Field(min_length=1, max_length=128)
    data: dict[str, Any]


class ReturnBody(BaseModel):
    """Goods back: ``lines`` are what was returned, at the price paid."""

    model_config = ConfigDict(extra="forbid")

    return_number: str = Field(min_length=1, max_length=64)
    order_number: str = Field(min_length=1, max_length=64)
    returned_at: AwareDatetime
    reason: str | None = Field(default=None, max_length=200)
    lines: list[LineBody] = Field(min_length=1, max_length=1000)

    def to_input(self) -> ReturnIn:
        """The record's ``ReturnIn``."""
        return ReturnIn(
            return_number=self.return_number,
            returned_at=self.returned_at.astimezone(UTC),
            lines=tuple(
                LineIn(ln.sku, ln.quantity, ln.unit_price, ln.unit_price * ln.quantity
                       - ln.discount, ln.description, ln.discount)
                for ln in self.lines
            ),
            order_number=self.order_number,
            reason=self.reason,
        )  # fmt: skip


@router.post("/{source}", dependencies=[Depends(api_key("webhooks"))])
def receive(
    source: str, body: WebhookBody, session: WriteSessionDep, background: BackgroundTasks
) -> dict[str, Any]:
    """Apply one storefront event from ``source`` (e.g. ``shopify``, ``ec-cube``, ``pos``)."""
    if body.topic == "return.created":
        ret = ReturnBody.model_validate(body.data)
        result, reactions = ingest_return(session, ret.to_input())
        return {"topic": body.topic, "result": result, "return_number": ret.return_number,
                "reactions": reactions.to_dict()}  # fmt: skip
    if body.topic.startswith("order."):
        order = OrderBody.model_validate(body.data)
        outcome = ingest_order(session, order.to_input(f"{source}:{body.id}"))
        background.add_task(after_commit, outcome.reactions)  # after the request's commit
        return {
            "topic": body.topic,
            "result": outcome.result,
            "order_number": order.order_number,
            "reactions": outcome.reactions.to_dict(),
        }
    data = dict(body.data)
    external_id = data.pop("customer_id", None)
    if not external_id:
        raise ValidationFailed("data.customer_id is required", field="data.customer_id")
    item = body_to_input(str(external_id), CustomerBody.model_validate(data))
    taken = check_identities(session, [item])
    if taken:
        raise taken[item.external_id]
    counts = upsert_customers(session, [item], source=f"webhook:{source}")
    result = "inserted" if counts.inserted else "updated" if counts.updated else "unchanged"
    return {"topic": body.topic, "result": result, "customer_id": external_id}
