"""Generic storefront webhook: ``{"topic": "order.created", "id": "...", "data": {...}}``.

``order.*`` topics carry an order in the shape of ``POST /api/orders``; ``customer.*`` topics a
customer in the shape of ``PUT /api/customers/{id}`` plus ``customer_id``. The webhook id is used
as the idempotency key, so a storefront's retries change nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from kizuna.customers.schemas import CustomerBody, body_to_input
from kizuna.customers.service import check_identities, upsert_customers
from kizuna.kit.errors import ValidationFailed
from kizuna.orders.schemas import OrderBody
from kizuna.orders.service import record_order
from kizuna.web.deps import WriteSessionDep, api_key

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


class WebhookBody(BaseModel):
    topic: str = Field(
        pattern=r"^(order|customer)\.(created|updated|paid|shipped|delivered|cancelled)$"
    )
    id: str = Field(min_length=1, max_length=128)
    data: dict[str, Any]


@router.post("/{source}", dependencies=[Depends(api_key("webhooks"))])
def receive(source: str, body: WebhookBody, session: WriteSessionDep) -> dict[str, Any]:
    """Apply one storefront event from ``source`` (e.g. ``shopify``, ``ec-cube``, ``pos``)."""
    if body.topic.startswith("order."):
        order = OrderBody.model_validate(body.data)
        result = record_order(session, order.to_input(f"{source}:{body.id}"))
        return {"topic": body.topic, "result": result, "order_number": order.order_number}
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
