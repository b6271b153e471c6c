"""Login, logout and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.service import authenticate
from kizuna.kit.errors import Unauthorized
from kizuna.kit.i18n import LANGUAGES
from kizuna.web.deps import SessionDep
from kizuna.web.ui.render import render_html

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


def _demo_hint(request: Request) -> str | None:
    settings = request.app.state.settings
    if settings.environment == "development" and settings.admin_password == "kizuna-admin":
        return f"{settings.admin_email} / {settings.admin_password}"
    return None


@router.get("/login")
def login_form(request: Request, next: str | None = None) -> Response:
    data = {"next": _safe_next(next), "failed": False, "hint": _demo_hint(request)}
    return render_html(request, "login.html", data)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    try:
        user = authenticate(session, email, password)
    except Unauthorized:
        data = {"next": _safe_next(next), "failed": True, "email": email}
        return render_html(request, "login.html", data | {"hint": _demo_hint(request)}, status=401)
    request.session["user_id"] = user.id
    request.session.setdefault("lang", user.language)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{language}")
def switch_language(request: Request, language: str, next: str | None = None) -> Response:
    if language in LANGUAGES:
        request.session["lang"] = language
    return RedirectResponse(_safe_next(next), status_code=303)
