"""Public endpoints reached from messages, without a login: unsubscribe (a confirmation page on
GET and RFC 8058 one-click on POST), the open pixel and the click redirect. Every link carries a
signed token; a forged one is refused, so the redirect is never an open redirect."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.channels.suppression import handle_unsubscribe
from kizuna.channels.tracking import handle_click, handle_open
from kizuna.web.deps import WriteSessionDep
from kizuna.web.ui.render import render_html

router = APIRouter(include_in_schema=False)


@router.get("/u/{token}")
def unsubscribe_page(request: Request, token: str, session: WriteSessionDep) -> Response:
    """The link in the message: unsubscribes and says so in the customer's language."""
    result = handle_unsubscribe(session, token, source="link")
    return render_html(request, "unsubscribed.html", {"result": result})


@router.post("/u/{token}")
def unsubscribe_one_click(token: str, session: WriteSessionDep) -> Response:
    """RFC 8058: the mail client posts ``List-Unsubscribe=One-Click``; no page, just 200."""
    handle_unsubscribe(session, token, source="one_click")
    return Response(status_code=200)


@router.get("/t/o/{token}.gif")
def open_pixel(token: str, session: WriteSessionDep) -> Response:
    """A 1×1 GIF; the first load records an ``email_open`` (opens are a rough signal)."""
    gif = handle_open(session, token)
    return Response(gif, media_type="image/gif", headers={"Cache-Control": "no-store"})


@router.get("/t/c/{token}")
def click(token: str, session: WriteSessionDep) -> Response:
    """Record an ``email_click`` and redirect to the signed URL."""
    return RedirectResponse(handle_click(session, token), status_code=302)
