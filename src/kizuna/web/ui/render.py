"""Rendering dashboard pages: Jinja templates in the user's language, and each page's JSON twin.

A page handler returns its data as a dict; ``page()`` registers both ``/path`` (HTML) and
``/path.json`` (the same data as JSON, which the page's charts also read).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kizuna.kit import jp
from kizuna.kit.clock import to_shop_tz
from kizuna.kit.errors import KizunaError
from kizuna.kit.i18n import LANGUAGES, translate
from kizuna.kit.money import format_money

TEMPLATES = Path(__file__).parent / "templates"
env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _when(value: datetime | date | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_shop_tz(value).strftime(fmt)
    return value.strftime("%Y-%m-%d")


env.filters["money"] = lambda amount, currency="JPY": format_money(int(amount or 0), currency)
env.filters["when"] = _when
env.filters["number"] = lambda n: f"{int(n or 0):,}"
env.filters["percent"] = lambda x: f"{(x or 0) * 100:.1f}%"
env.globals["full_name"] = jp.full_name


def language_of(request: Request) -> str:
    """The language chosen in the session, else the shop default (Japanese)."""
    chosen = request.session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.app.state.settings.default_language


def render_html(
    request: Request, template: str, data: dict[str, Any], status: int = 200
) -> Response:
    """The template with ``data``, ``t()`` in the user's language and the JSON twin's URL."""
    lang = language_of(request)
    context = {
        **data,
        "request": request,
        "lang": lang,
        "user": data.get("user"),
        "t": lambda key, **kw: translate(key, lang, **kw),
        "json_url": request.url.path
        + ".json"
        + (f"?{request.url.query}" if request.url.query else ""),
    }
    html = env.get_template(template).render(context)
    return HTMLResponse(
        html,
        status_code=status,
        headers={"Link": f'<{context["json_url"]}>; rel="alternate"; type="application/json"'},
    )


def page(router: APIRouter, path: str, template: str) -> Callable[[Callable[..., dict]], Callable]:
    """Register a page handler at ``path`` (HTML) and ``path.json`` (its data)."""

    def register(handler: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(handler)
        def as_html(request: Request, **kwargs: Any) -> Response:
            return render_html(request, template, handler(request=request, **kwargs))

        @functools.wraps(handler)
        def as_json(request: Request, **kwargs: Any) -> Response:
            data = handler(request=request, **kwargs)
            data.pop("user", None)
            return JSONResponse(jsonable_encoder(data))

        signature = inspect.signature(handler)
        for view in (as_html, as_json):
            view.__signature__ = signature  # type: ignore[attr-defined]
        # the JSON twin first: "/customers/{id}" would otherwise swallow "/customers/1.json"
        router.add_api_route(path + ".json", as_json, methods=["GET"], include_in_schema=False)
        router.add_api_route(
            path, as_html, methods=["GET"], response_class=HTMLResponse, include_in_schema=False
        )
        return handler

    return register


def render_error(request: Request, error: KizunaError) -> Response:
    """An error page in the user's language."""
    return render_html(request, "error.html", {"error": error}, status=error.http_status)
