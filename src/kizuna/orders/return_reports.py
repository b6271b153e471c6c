"""Return reports for the dashboard: return rates by product and by customer, reasons and
channels of return requests, and the request list. Reads only.

Rates are by order cohort: of the goods in orders placed in the window (cancelled orders left
out), how much came back in the returns recorded against those orders, whenever they came.
Returns that name no order (a bare credit note) cannot be placed in a cohort and are left out.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.orders.aftersales_models import ReturnRequest, ReturnRequestLine
from kizuna.orders.models import Order, OrderLine, Return, ReturnLine
from kizuna.orders.return_requests import get_request


def _cohort(query: Select, since: datetime | None, until: datetime | None) -> Select:
    query = query.where(Order.status != "cancelled")
    if since is not None:
        query = query.where(Order.placed_at >= since)
    if until is not None:
        query = query.where(Order.placed_at < until)
    return query


def _rate(part: int, whole: int) -> float | None:
    return None if whole <= 0 else round(part / whole, 4)


def return_rates_by_product(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    min_sold: int = 1,
    limit: int = 50,
) -> list[dict]:
    """Per SKU: units sold, units returned, the return rate and the value returned; highest
    rate first among SKUs with at least ``min_sold`` units sold."""
    sold = session.execute(
        _cohort(
            select(OrderLine.sku, func.sum(OrderLine.quantity), func.sum(OrderLine.amount))
            .join(Order, Order.id == OrderLine.order_id)
            .group_by(OrderLine.sku),
            since,
            until,
        )
    ).all()
    back = dict(
        (sku, (int(q), int(a)))
        for sku, q, a in session.execute(
            _cohort(
                select(ReturnLine.sku, func.sum(ReturnLine.quantity), func.sum(ReturnLine.amount))
                .join(Return, Return.id == ReturnLine.return_id)
                .join(Order, Order.id == Return.order_id)
                .group_by(ReturnLine.sku),
                since,
                until,
            )
        )
    )
    wanted = select(Product.sku, Product.name).where(Product.sku.in_([row[0] for row in sold]))
    names: dict[str, str] = {sku: name for sku, name in session.execute(wanted)} if sold else {}
    rows = []
    for sku, units, value in sold:
        units, value = int(units or 0), int(value or 0)
        if units < min_sold:
            continue
        returned, returned_value = back.get(sku, (0, 0))
        rows.append(
            {
                "sku": sku,
                "name": names.get(sku) or sku,
                "sold": units,
                "returned": returned,
                "rate": _rate(returned, units),
                "sold_value": value,
                "returned_value": returned_value,
            }
        )
    rows.sort(key=lambda r: (-(r["rate"] or 0), -r["returned"], r["sku"]))
    return rows[:limit]


def return_rates_by_customer(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[dict]:
    """Per customer with a return: orders, orders with a return, value bought and returned,
    and both rates; highest value rate first."""
    bought = {
        cid: (int(n), int(v or 0))
        for cid, n, v in session.execute(
            _cohort(
                select(Order.customer_id, func.count(), func.sum(Order.subtotal))
                .where(Order.customer_id.is_not(None))
                .group_by(Order.customer_id),
                since,
                until,
            )
        )
    }
    returned: dict[int, list] = defaultdict(lambda: [set(), 0])
    for cid, order_id, amount in session.execute(
        _cohort(
            select(Order.customer_id, Order.id, Return.amount)
            .select_from(Return)
            .join(Order, Order.id == Return.order_id)
            .where(Order.customer_id.is_not(None)),
            since,
            until,
        )
    ):
        returned[cid][0].add(order_id)
        returned[cid][1] += int(amount or 0)
    rows = []
    for cid, (orders, value_back) in returned.items():
        n, value = bought.get(cid, (0, 0))
        rows.append(
            {
                "customer_id": cid,
                "orders": n,
                "orders_returned": len(orders),
                "order_rate": _rate(len(orders), n),
                "bought_value": value,
                "returned_value": value_back,
                "value_rate": _rate(value_back, value),
            }
        )
    rows.sort(key=lambda r: (-(r["value_rate"] or 0), -r["returned_value"], r["customer_id"]))
    return rows[:limit]


def _requests(query: Select, since: datetime | None, until: datetime | None) -> Select:
    if since is not None:
        query = query.where(ReturnRequest.requested_at >= since)
    if until is not None:
        query = query.where(ReturnRequest.requested_at < until)
    return query


def request_summary(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> dict:
    """Return requests in the window by reason, by channel and by status, with refund totals."""
    rows = session.execute(
        _requests(
            select(
                ReturnRequest.reason,
                ReturnRequest.channel,
                ReturnRequest.status,
                func.count(),
                func.sum(ReturnRequest.refund_amount),
            ).group_by(ReturnRequest.reason, ReturnRequest.channel, ReturnRequest.status),
            since,
            until,
        )
    ).all()
    out: dict = {
        "requests": 0,
        "refunded_value": 0,
        "by_reason": defaultdict(int),
        "by_channel": defaultdict(int),
        "by_status": defaultdict(int),
    }
    for reason, channel, status, n, refund in rows:
        out["requests"] += int(n)
        out["by_reason"][reason] += int(n)
        out["by_channel"][channel] += int(n)
        out["by_status"][status] += int(n)
        if status == "refunded":
            out["refunded_value"] += int(refund or 0)
    for key in ("by_reason", "by_channel", "by_status"):
        out[key] = dict(sorted(out[key].items(), key=lambda kv: (-kv[1], kv[0])))
    return out


def list_requests(
    session: Session, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> dict:
    """Return requests, newest first, and how many match."""
    query = select(ReturnRequest)
    if status is not None:
        query = query.where(ReturnRequest.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.add_columns(Order.order_number)
        .join(Order, Order.id == ReturnRequest.order_id)
        .order_by(ReturnRequest.requested_at.desc(), ReturnRequest.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return {
        "total": int(total),
        "requests": [
            {
                "id": r.id,
                "number": r.number,
                "order_number": number,
                "customer_id": r.customer_id,
                "channel": r.channel,
                "reason": r.reason,
                "status": r.status,
                "refund_amount": r.refund_amount,
                "requested_at": r.requested_at,
            }
            for r, number in rows
        ],
    }


def request_view(session: Session, request_id: int) -> dict:
    """A return request with its lines and order number."""
    request = get_request(session, request_id)
    number = session.scalar(select(Order.order_number).where(Order.id == request.order_id))
    lines = session.scalars(
        select(ReturnRequestLine)
        .where(ReturnRequestLine.request_id == request.id)
        .order_by(ReturnRequestLine.line_no)
    )
    return {
        "id": request.id,
        "number": request.number,
        "order_number": number,
        "customer_id": request.customer_id,
        "channel": request.channel,
        "reason": request.reason,
        "note": request.note,
        "status": request.status,
        "refund_amount": request.refund_amount,
        "pickup_on": request.pickup_on,
        "store_code": request.store_code,
        "requested_at": request.requested_at,
        "decided_at": request.decided_at,
        "decided_by": request.decided_by,
        "decision_note": request.decision_note,
        "received_at": request.received_at,
        "refunded_at": request.refunded_at,
        "return_id": request.return_id,
        "lines": [
            {"line_no": ln.line_no, "sku": ln.sku, "quantity": ln.quantity, "amount": ln.amount}
            for ln in lines
        ],
    }
