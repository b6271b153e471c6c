"""After-purchase API: survey responses and reports, product reviews (submit, read for the
storefront), support tickets, return requests, carrier status updates and extended warranties.

Customers are named by the shop's id (``customer``). Scopes: ``feedback:read`` for reports,
reviews and tickets read back, ``feedback:write`` for answers, reviews and tickets,
``orders:write`` for returns, shipment updates and warranties. Every refusal names the field
(``answers.nps``, ``rating``, ``lines[0].quantity``, ``order_number``…). A write that finds its
earlier self (the same answers, review, help-desk ticket number or return number) returns 200
with the stored result instead of 201.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.queries import find_by_external_id
from kizuna.feedback import reviews, survey_reports, ticket_reports, tickets
from kizuna.ingest.after_purchase import answer_survey, shipment_status, submit_review
from kizuna.ingest.pipeline import after_commit, shipments_recorded
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.orders import return_reports, warranties, warranty_claims
from kizuna.orders.aftersales_models import ReturnRequest
from kizuna.orders.delivery import ShipmentStatusBody
from kizuna.orders.models import Order
from kizuna.orders.return_requests import ReturnLineIn, ReturnRequestIn, do_request_return
from kizuna.orders.warranty_reports import customer_warranties
from kizuna.web.deps import SessionDep, WriteSessionDep, api_key

router = APIRouter(prefix="/api", tags=["after the purchase"])
READ, WRITE = Depends(api_key("feedback:read")), Depends(api_key("feedback:write"))
ORDERS = Depends(api_key("orders:write"))
Language = Query("ja", pattern="^(ja|en)$")


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _customer_id(session: Session, external_id: str | None, field: str = "customer") -> int:
    customer = find_by_external_id(session, external_id) if external_id else None
    if customer is None:
        raise NotFound(f"no customer with id {external_id!r}", field=field)
    return customer.id


def _order_id(session: Session, number: str | None) -> int | None:
    if number is None:
        return None
    found = session.scalar(select(Order.id).where(Order.order_number == number))
    if found is None:
        raise NotFound(f"there is no order {number!r}", field="order_number")
    return found


def _created(response: Response, created: bool) -> None:
    response.status_code = 201 if created else 200


# ---- surveys -----------------------------------------------------------------------------


class SurveyResponseBody(_Body):
    customer: str = Field(min_length=1, max_length=64, description="The shop's customer id")
    order_number: str | None = Field(None, max_length=64, description="The order asked about")
    answers: dict[str, int | str | None] = Field(description="{question code: answer}")
    language: str = Field("ja", pattern="^(ja|en)$")
    channel: str = Field("api", max_length=16)


@router.post("/surveys/{code}/responses", dependencies=[WRITE], status_code=201)
def post_survey_response(
    code: str, body: SurveyResponseBody, session: WriteSessionDep, response: Response
) -> dict[str, Any]:
    """Store a customer's answers once and grant the survey points once (a repeat: 200)."""
    outcome = answer_survey(
        session,
        code,
        _customer_id(session, body.customer),
        body.answers,
        order_id=_order_id(session, body.order_number),
        language=body.language,
        channel=body.channel,
    )
    _created(response, outcome.response.created)
    return {
        "response_id": outcome.response.response_id,
        "created": outcome.response.created,
        "subject": outcome.response.subject,
        "points": outcome.points,
        "replayed": outcome.replayed,
    }


@router.get("/feedback/surveys/{code}/report", dependencies=[READ])
def survey_report(code: str, session: SessionDep, lang: str = Language) -> dict[str, Any]:
    """Per question: satisfied / neutral / dissatisfied, NPS or CSAT; NPS by month."""
    return survey_reports.question_report(session, code, language=lang) | {
        "nps_trend": survey_reports.nps_trend(session, code),
        "latest_comments": survey_reports.latest_comments(session, code, limit=10, language=lang),
    }


# ---- reviews -----------------------------------------------------------------------------


class ReviewBody(_Body):
    customer: str = Field(min_length=1, max_length=64)
    rating: int = Field(ge=1, le=5)
    body: str = Field(min_length=1, max_length=4000)
    title: str | None = Field(None, max_length=200)
    language: str = Field("ja", pattern="^(ja|en)$")
    reward: str = Field("points", pattern="^(points|coupon|none)$")
    require_purchase: bool = False


@router.post("/products/{sku}/reviews", dependencies=[WRITE], status_code=201)
def post_review(
    sku: str, body: ReviewBody, session: WriteSessionDep, response: Response
) -> dict[str, Any]:
    """Submit a review for moderation (status ``pending``), with its incentive recorded."""
    item = reviews.ReviewIn(
        sku=sku,
        customer_id=_customer_id(session, body.customer),
        rating=body.rating,
        body=body.body,
        title=body.title,
        language=body.language,
    )
    result = submit_review(
        session, item, reward=body.reward, require_purchase=body.require_purchase
    )
    _created(response, result.created)
    stored = reviews.get_review(session, result.review_id)
    return reviews.review_view(stored, sku, body.language) | {"created": result.created}


@router.get("/products/ratings", dependencies=[READ])
def ratings(
    session: SessionDep, sku: list[str] = Query(min_length=1, max_length=200)
) -> dict[str, Any]:
    """Count, average and distribution of approved reviews for each SKU asked for."""
    return {"ratings": reviews.product_ratings(session, sku)}


@router.get("/products/{sku}/reviews", dependencies=[READ])
def product_reviews(
    sku: str,
    session: SessionDep,
    lang: str = Language,
    limit: int = Query(20, ge=1, le=100),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Approved reviews, newest first, each with the incentive disclosure when incentivised."""
    return reviews.product_reviews(session, sku, language=lang, limit=limit, offset=offset)


# ---- tickets -----------------------------------------------------------------------------


class TicketBody(_Body):
    channel: str = Field(description="chat, phone, email, social, form or store")
    kind: str = Field("inquiry", description="inquiry, complaint or request")
    category: str = Field("other", description="delivery, product, quality, payment, …")
    subject: str = Field(min_length=1, max_length=200)
    body: str | None = Field(None, max_length=20000)
    customer: str | None = Field(None, max_length=64)
    order_number: str | None = Field(None, max_length=64)
    priority: str = "normal"
    assignee: str | None = Field(None, max_length=120)
    number: str | None = Field(None, max_length=64, description="The help desk's own id")
    opened_at: AwareDatetime | None = None
    author: str = Field("api", max_length=120)


class NoteBody(_Body):
    body: str = Field(min_length=1, max_length=20000)
    kind: str = Field("note", pattern="^(note|message)$")
    author: str = Field("api", min_length=1, max_length=120)


@router.post("/tickets", dependencies=[WRITE], status_code=201)
def post_ticket(body: TicketBody, session: WriteSessionDep, response: Response) -> dict[str, Any]:
    """Open a ticket from the support desk or a help-desk webhook (repeat-safe by ``number``)."""
    customer_id = _customer_id(session, body.customer) if body.customer else None
    fields = body.model_dump(exclude={"customer", "author"})
    result = tickets.do_open_ticket(
        session, tickets.TicketIn(customer_id=customer_id, **fields), actor=body.author
    )
    _created(response, result.created)
    return ticket_reports.ticket_detail(session, result.ticket_id) | {"created": result.created}


@router.get("/tickets", dependencies=[READ])
def list_tickets(
    session: SessionDep,
    status: str | None = None,
    category: str | None = None,
    customer: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Tickets, most recently changed first, filtered by status, category or customer."""
    customer_id = _customer_id(session, customer) if customer else None
    return ticket_reports.list_tickets(
        session,
        status=status,
        category=category,
        customer_id=customer_id,
        limit=limit,
        offset=offset,
    )


@router.get("/tickets/{ticket_id}", dependencies=[READ])
def get_ticket(ticket_id: int, session: SessionDep) -> dict[str, Any]:
    """One ticket with its whole trail of notes."""
    return ticket_reports.ticket_detail(session, ticket_id)


@router.post("/tickets/{ticket_id}/notes", dependencies=[WRITE], status_code=201)
def post_note(ticket_id: int, body: NoteBody, session: WriteSessionDep) -> dict[str, Any]:
    """Add an internal note or a customer message to the ticket."""
    note_id = tickets.do_add_note(session, ticket_id, body.body, author=body.author, kind=body.kind)
    return {"note_id": note_id, "ticket": ticket_reports.ticket_detail(session, ticket_id)}


class TicketChangeBody(_Body):
    status: str | None = Field(None, description="open, pending, resolved or closed")
    assignee: str | None = Field(None, max_length=120, description="Empty string: nobody")
    note: str | None = Field(None, max_length=20000)
    author: str = Field("api", min_length=1, max_length=120)


@router.post("/tickets/{ticket_id}/changes", dependencies=[WRITE])
def change_ticket(ticket_id: int, body: TicketChangeBody, session: WriteSessionDep) -> dict:
    """Move a ticket's status and/or assignee (a help desk's webhook); each change is noted."""
    if body.status is not None:
        tickets.do_set_status(session, ticket_id, body.status, actor=body.author, note=body.note)
    if body.assignee is not None:
        tickets.do_assign(session, ticket_id, body.assignee or None, actor=body.author)
    return ticket_reports.ticket_detail(session, ticket_id)


# ---- returns -----------------------------------------------------------------------------


class ReturnLineBody(_Body):
    line_no: int = Field(ge=1)
    quantity: int = Field(ge=1)


class ReturnBody(_Body):
    order_number: str = Field(min_length=1, max_length=64)
    lines: list[ReturnLineBody] = Field(min_length=1, max_length=200)
    reason: str
    channel: str = Field(description="courier_pickup or store")
    note: str | None = Field(None, max_length=2000)
    pickup_on: date | None = None
    store_code: str | None = Field(None, max_length=32)
    number: str | None = Field(None, max_length=64, description="The storefront's own id")
    customer: str | None = Field(None, max_length=64, description="Who asks (must own the order)")


@router.post("/returns", dependencies=[ORDERS], status_code=201)
def post_return(body: ReturnBody, session: WriteSessionDep, response: Response) -> dict[str, Any]:
    """Request a return of some order lines; the refund amount is computed here."""
    known = body.number is not None and session.scalar(
        select(ReturnRequest.id).where(ReturnRequest.number == body.number)
    )
    item = ReturnRequestIn(
        order_number=body.order_number,
        lines=tuple(ReturnLineIn(ln.line_no, ln.quantity) for ln in body.lines),
        reason=body.reason,
        channel=body.channel,
        note=body.note,
        pickup_on=body.pickup_on,
        store_code=body.store_code,
        number=body.number,
        customer_id=_customer_id(session, body.customer) if body.customer else None,
    )
    request = do_request_return(session, item)
    _created(response, not known)
    return return_reports.request_view(session, request.id)


@router.get("/returns/{request_id}", dependencies=[ORDERS])
def get_return(request_id: int, session: SessionDep) -> dict[str, Any]:
    """A return request with its lines, status and refund."""
    return return_reports.request_view(session, request_id)


# ---- shipments ---------------------------------------------------------------------------


@router.post("/shipments/status", dependencies=[ORDERS])
def post_shipment_status(
    body: ShipmentStatusBody, session: WriteSessionDep, background: BackgroundTasks
) -> dict[str, Any]:
    """A carrier's (or the cart's) status for a parcel; when the status moved, the shipment
    journeys (shipping notice, delivered, review request) react after the commit."""
    update = shipment_status(session, body, source="api")
    if update["changed"]:
        reactions = shipments_recorded(session, [update["shipment_id"]])
        background.add_task(after_commit, reactions)
        update["journeys"] = reactions.to_dict()
    return update


# ---- warranties --------------------------------------------------------------------------


class EnrolBody(_Body):
    order_number: str = Field(min_length=1, max_length=64)
    line_no: int | None = Field(None, ge=1, description="Leave out to enrol every plan line")
    plan: str | None = Field(None, max_length=64, description="Needed with line_no")
    warranty_line_no: int | None = Field(None, ge=1)
    price: int | None = Field(None, ge=0)


class ClaimBody(_Body):
    enrolment_id: int = Field(ge=1)
    description: str = Field(min_length=1, max_length=4000)


def _enrolment(row: Any) -> dict[str, Any]:
    keys = ("id", "order_id", "customer_id", "line_no", "sku", "warranty_line_no", "price")
    return {k: getattr(row, k) for k in keys} | {
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
        "status": row.status,
    }


@router.post("/warranties/enrolments", dependencies=[ORDERS])
def post_enrolment(body: EnrolBody, session: WriteSessionDep) -> dict[str, Any]:
    """Enrol an order's warranty lines (all of them, or ``line_no`` under ``plan``)."""
    if body.line_no is None:
        order_id = _order_id(session, body.order_number)
        assert order_id is not None
        rows = warranties.enrol_order(session, order_id)
    else:
        if not body.plan:
            raise ValidationFailed("name the plan of the line to cover", field="plan")
        rows = [
            warranties.do_enrol(
                session,
                body.order_number,
                body.line_no,
                body.plan,
                warranty_line_no=body.warranty_line_no,
                price=body.price,
            )
        ]
    return {"enrolments": [_enrolment(r) for r in rows]}


@router.post("/warranties/claims", dependencies=[ORDERS], status_code=201)
def post_claim(body: ClaimBody, session: WriteSessionDep) -> dict[str, Any]:
    """File a claim under an enrolment (inside the cover, within the plan's claim limit)."""
    claim = warranty_claims.do_file_claim(session, body.enrolment_id, body.description)
    return {
        "claim_id": claim.id,
        "enrolment_id": claim.enrolment_id,
        "status": claim.status,
        "opened_at": claim.opened_at,
    }


@router.get("/customers/{customer}/warranties", dependencies=[READ])
def warranties_of(customer: str, session: SessionDep, lang: str = Language) -> dict[str, Any]:
    """The customer's warranties with their status today."""
    rows = customer_warranties(session, _customer_id(session, customer), language=lang)
    return {"customer": customer, "warranties": rows}
