"""The support desk's tickets: the list (filters, headline counts, a form for a call or chat
just taken) and a ticket's page (its whole trail; reply or note, status, assignee, and flagging
the customer as a problem customer with a reason, which stops their marketing)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.models import User
from kizuna.customers.queries import find_by_external_id
from kizuna.customers.service import get_customer
from kizuna.feedback import ticket_reports, tickets
from kizuna.feedback.models import TICKET_CHANNELS, TICKET_KINDS, TICKET_PRIORITIES, TICKET_STATUSES
from kizuna.ingest.after_purchase import flag_problem_from_ticket
from kizuna.kit.errors import NotFound
from kizuna.web.deps import SessionDep, WriteSessionDep, require_role
from kizuna.web.ui.pages.feedback import customer_names
from kizuna.web.ui.render import language_of, page

router = APIRouter(include_in_schema=False)
STAFF = require_role("marketer", "support")
DESK = require_role("support")  # admins pass too: flagging is for the desk and admins
CHOICES = {
    "statuses": list(TICKET_STATUSES),
    "categories": list(tickets.TICKET_CATEGORIES),
    "channels": list(TICKET_CHANNELS),
    "kinds": list(TICKET_KINDS),
    "priorities": list(TICKET_PRIORITIES),
}


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


@page(router, "/tickets", "tickets.html")
def ticket_list(
    request: Request,
    session: SessionDep,
    status: str | None = None,
    category: str | None = None,
    assignee: str | None = None,
    user: User = STAFF,
) -> dict[str, Any]:
    found = ticket_reports.list_tickets(
        session,
        status=_blank(status),
        category=_blank(category),
        assignee=_blank(assignee),
        limit=100,
    )
    names = customer_names(
        session, {t["customer_id"] for t in found["tickets"]}, language_of(request)
    )
    return {
        "user": user,
        "filters": {"status": status or "", "category": category or "", "assignee": assignee or ""},
        "total": found["total"],
        "tickets": [t | {"customer": names.get(t["customer_id"])} for t in found["tickets"]],
        "counts": ticket_reports.open_counts(session),
        **CHOICES,
    }


@router.post("/tickets")
def open_ticket(
    session: WriteSessionDep,
    channel: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    category: Annotated[str, Form()],
    subject: Annotated[str, Form()],
    body: Annotated[str, Form()] = "",
    customer: Annotated[str, Form()] = "",
    order_number: Annotated[str, Form()] = "",
    priority: Annotated[str, Form()] = "normal",
    user: User = STAFF,
) -> Response:
    """Record a call, chat or visit just taken; the new ticket's page."""
    customer_id = None
    if _blank(customer):
        found = find_by_external_id(session, customer.strip())
        if found is None and customer.strip().isdigit():
            found = get_customer(session, int(customer.strip()))
        if found is None:
            raise NotFound(f"no customer with id {customer.strip()!r}", field="customer")
        customer_id = found.id
    item = tickets.TicketIn(
        channel=channel,
        kind=kind,
        category=category,
        subject=subject,
        body=_blank(body),
        customer_id=customer_id,
        order_number=_blank(order_number),
        priority=priority,
        assignee=user.email,
    )
    result = tickets.do_open_ticket(session, item, actor=user.email)
    return RedirectResponse(f"/tickets/{result.ticket_id}", status_code=303)


@page(router, "/tickets/{ticket_id}", "ticket.html")
def ticket_page(
    request: Request, ticket_id: int, session: SessionDep, user: User = STAFF
) -> dict[str, Any]:
    detail = ticket_reports.ticket_detail(session, ticket_id)
    customer = None
    if detail["customer_id"] is not None:
        row = get_customer(session, detail["customer_id"])
        customer = customer_names(session, {row.id}, language_of(request))[row.id] | {
            "id": row.id,
            "problem_reason": row.problem_reason,
            "problem_set_by": row.problem_set_by,
        }
    return {
        "user": user,
        "ticket": detail,
        "customer": customer,
        "can_flag": user.role in ("admin", "support"),
        **CHOICES,
    }


def _back(ticket_id: int) -> Response:
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/note")
def add_note(
    ticket_id: int,
    session: WriteSessionDep,
    body: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "note",
    user: User = STAFF,
) -> Response:
    """An internal note, or the message sent to the customer."""
    tickets.do_add_note(session, ticket_id, body, author=user.email, kind=kind)
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/status")
def set_status(
    ticket_id: int,
    session: WriteSessionDep,
    status: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    user: User = STAFF,
) -> Response:
    """Move the ticket (open, pending, resolved, closed)."""
    tickets.do_set_status(session, ticket_id, status, actor=user.email, note=_blank(note))
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/assign")
def assign(
    ticket_id: int,
    session: WriteSessionDep,
    assignee: Annotated[str, Form()] = "",
    user: User = STAFF,
) -> Response:
    """Give the ticket to someone (empty: nobody)."""
    tickets.do_assign(session, ticket_id, _blank(assignee), actor=user.email)
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/flag")
def flag(
    ticket_id: int,
    session: WriteSessionDep,
    reason: Annotated[str, Form()] = "",
    flagged: Annotated[str, Form()] = "1",
    user: User = DESK,
) -> Response:
    """Flag (or clear) the ticket's customer as a problem customer, with the reason; audited."""
    flag_problem_from_ticket(
        session, ticket_id, reason=_blank(reason), actor=user.email, flagged=flagged == "1"
    )
    return _back(ticket_id)
