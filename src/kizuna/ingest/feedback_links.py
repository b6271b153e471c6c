"""Links in after-purchase messages and what their public forms show.

A review invitation signs ``[customer, order]`` (salt ``kizuna.review``), a return invitation
signs ``[order]`` (salt ``kizuna.return``) with the shop's secret key, like the survey
invitation of ``after_purchase``; an altered token is refused with ``bad_token``. The forms show
no personal data beyond the order's items, because a link can be forwarded.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.feedback.models import Review, SurveyResponse
from kizuna.feedback.surveys import get_survey, survey_form
from kizuna.ingest.after_purchase import read_survey_invitation
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.orders.aftersales_models import (
    RETURN_CHANNELS,
    RETURN_REASONS,
    ReturnRequest,
    ReturnRequestLine,
    WarrantyPlan,
)
from kizuna.orders.models import Order, OrderLine
from kizuna.orders.return_requests import ACTIVE
from kizuna.settings import get_settings

REVIEW_SALT, RETURN_SALT = "kizuna.review", "kizuna.return"


def _signer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=salt)


def _read(salt: str, token: str, what: str) -> list:
    try:
        payload = _signer(salt).loads(token)
    except (BadSignature, ValueError, TypeError):
        raise ValidationFailed(
            f"the {what} link is invalid or was altered", field="token", code="bad_token"
        ) from None
    if not isinstance(payload, list):
        raise ValidationFailed(f"the {what} link is invalid", field="token", code="bad_token")
    return payload


def review_invitation(customer_id: int, order_id: int) -> str:
    """A signed token for the public review form of one order's products."""
    return _signer(REVIEW_SALT).dumps([customer_id, order_id])


def read_review_invitation(token: str) -> tuple[int, int]:
    """``(customer_id, order_id)`` of a review token, or ``ValidationFailed`` (``bad_token``)."""
    customer_id, order_id = _read(REVIEW_SALT, token, "review")
    return int(customer_id), int(order_id)


def return_invitation(order_id: int) -> str:
    """A signed token for the public return-request form of an order."""
    return _signer(RETURN_SALT).dumps([order_id])


def read_return_invitation(token: str) -> int:
    """The order id of a return token, or ``ValidationFailed`` (``bad_token``)."""
    (order_id,) = _read(RETURN_SALT, token, "return")
    return int(order_id)


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound("this link's order no longer exists", field="token", code="bad_token")
    return order


def _goods_lines(session: Session, order_id: int) -> list[OrderLine]:
    """The order's lines, warranty plans left out (they are not reviewed or sent back)."""
    plans = select(WarrantyPlan.sku)
    return list(
        session.scalars(
            select(OrderLine)
            .where(OrderLine.order_id == order_id, OrderLine.sku.not_in(plans))
            .order_by(OrderLine.line_no)
        )
    )


def survey_page(session: Session, token: str, language: str = "ja") -> dict:
    """The public survey form of an invitation, and whether it was answered already."""
    code, customer_id, order_id = read_survey_invitation(token)
    survey = get_survey(session, code)
    subject = "-" if order_id is None else f"order:{order_id}"
    answered = session.scalar(
        select(SurveyResponse.id).where(
            SurveyResponse.survey_id == survey.id,
            SurveyResponse.customer_id == customer_id,
            SurveyResponse.subject == subject,
        )
    )
    order_number = (
        session.scalar(select(Order.order_number).where(Order.id == order_id))
        if order_id is not None
        else None
    )
    return {
        "survey": survey_form(session, code, language),
        "customer_id": customer_id,
        "order_id": order_id,
        "order_number": order_number,
        "answered": answered is not None,
    }


def review_form(session: Session, token: str) -> dict:
    """The products of the invitation's order, each with the customer's review if written."""
    customer_id, order_id = read_review_invitation(token)
    order = _order(session, order_id)
    if order.customer_id != customer_id:
        raise ValidationFailed("the review link is invalid", field="token", code="bad_token")
    lines = _goods_lines(session, order_id)
    skus = sorted({ln.sku for ln in lines})
    rows = session.execute(
        select(Product.sku, Product.id, Product.name).where(Product.sku.in_(skus))
    )
    products, names = {}, {}
    for sku, pid, name in rows:
        products[sku], names[sku] = pid, name
    written = {
        r.product_id: r
        for r in session.scalars(
            select(Review).where(
                Review.customer_id == customer_id, Review.product_id.in_(products.values())
            )
        )
    }
    items, seen = [], set()
    for line in lines:
        if line.sku in seen:
            continue
        seen.add(line.sku)
        review = written.get(products.get(line.sku, -1))
        items.append(
            {
                "sku": line.sku,
                "name": names.get(line.sku) or line.description or line.sku,
                "review": None
                if review is None
                else {"rating": review.rating, "status": review.status, "title": review.title},
            }
        )
    return {
        "customer_id": customer_id,
        "order_id": order_id,
        "order_number": order.order_number,
        "items": items,
    }


def return_form(session: Session, token: str) -> dict:
    """The invitation's order lines with the quantity still returnable, and the choices."""
    order = _order(session, read_return_invitation(token))
    taken = dict(
        session.execute(
            select(ReturnRequestLine.line_no, func.sum(ReturnRequestLine.quantity))
            .join(ReturnRequest, ReturnRequest.id == ReturnRequestLine.request_id)
            .where(ReturnRequest.order_id == order.id, ReturnRequest.status.in_(ACTIVE))
            .group_by(ReturnRequestLine.line_no)
        ).all()
    )
    lines = _goods_lines(session, order.id)
    names = {
        sku: name
        for sku, name in session.execute(
            select(Product.sku, Product.name).where(Product.sku.in_({ln.sku for ln in lines}))
        )
    }
    requests = session.execute(
        select(ReturnRequest.number, ReturnRequest.status, ReturnRequest.requested_at)
        .where(ReturnRequest.order_id == order.id)
        .order_by(ReturnRequest.id)
    ).all()
    return {
        "order_number": order.order_number,
        "cancelled": order.status == "cancelled",
        "lines": [
            {
                "line_no": ln.line_no,
                "sku": ln.sku,
                "name": names.get(ln.sku) or ln.description or ln.sku,
                "quantity": ln.quantity,
                "returnable": max(ln.quantity - int(taken.get(ln.line_no, 0)), 0),
            }
            for ln in lines
        ],
        "reasons": list(RETURN_REASONS),
        "channels": list(RETURN_CHANNELS),
        "requests": [{"number": n, "status": s, "requested_at": at} for n, s, at in requests],
    }
