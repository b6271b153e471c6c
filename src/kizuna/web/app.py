"""The one web process: REST API under /api, the dashboard pages, static files served locally."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.middleware.sessions import SessionMiddleware

from kizuna import __version__
from kizuna.accounts.service import ensure_admin
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError
from kizuna.kit.store import open_store
from kizuna.settings import Settings, get_settings
from kizuna.web import analytics_scope, public, public_feedback
from kizuna.web.api import analytics as analytics_api
from kizuna.web.api import automation as automation_api
from kizuna.web.api import customers as customers_api
from kizuna.web.api import events as events_api
from kizuna.web.api import feedback as feedback_api
from kizuna.web.api import loyalty as loyalty_api
from kizuna.web.api import orders as orders_api
from kizuna.web.api import recommend as recommend_api
from kizuna.web.api import webhooks as webhooks_api
from kizuna.web.deps import LoginRequired
from kizuna.web.ui.pages import (
    auth,
    campaigns,
    clv,
    cohorts,
    content,
    customers,
    feedback,
    home,
    journeys,
    messages,
    products,
    ranks,
    returns,
    segments,
    support,
)
from kizuna.web.ui.pages import loyalty as loyalty_pages
from kizuna.web.ui.pages.home import OverviewCache
from kizuna.web.ui.render import render_error

STATIC = Path(__file__).parent / "ui" / "static"


def create_app(settings: Settings | None = None, *, warm_up: bool = False) -> FastAPI:
    """The FastAPI application over the record at ``settings.database_url``."""
    settings = settings or get_settings()
    app = FastAPI(
        title="kizuna",
        version=__version__,
        docs_url="/docs",
        description="kizuna (絆) REST API: customers, orders, events, webhooks.",
    )
    app.state.settings = settings
    app.state.sessions = open_store(settings.database_url)
    with session_scope(app.state.sessions) as session:
        ensure_admin(session, settings.admin_email, settings.admin_password)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        same_site="lax",
        session_cookie="kizuna_session",
        https_only=False,
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in (
        customers_api.router,
        feedback_api.router,
        orders_api.router,
        events_api.router,
        webhooks_api.router,
        recommend_api.router,
        automation_api.router,
        analytics_api.router,
        loyalty_api.router,
        auth.router,
        home.router,
        customers.router,
        clv.router,
        loyalty_pages.router,
        products.router,
        content.router,
        feedback.router,
        support.router,
        returns.router,
        journeys.router,
        campaigns.router,
        messages.router,
        ranks.router,
        segments.router,
        cohorts.router,
        public.router,
        public_feedback.router,
    ):
        app.include_router(router)
    _handle_errors(app)
    app.state.overview = OverviewCache(app.state.sessions, settings.shop_timezone)
    if warm_up:
        app.state.overview.warm_up()
        analytics_scope.warm_up(app)
    return app


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith("/api") and not path.endswith(".json")


def _handle_errors(app: FastAPI) -> None:
    @app.exception_handler(KizunaError)
    async def kizuna_error(request: Request, exc: KizunaError) -> Response:
        if _wants_html(request):
            return render_error(request, exc)
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.http_status)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        if _wants_html(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse(
            {"error": {"code": "login_required", "message": "log in first"}}, status_code=401
        )

    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def invalid(request: Request, exc: RequestValidationError | ValidationError) -> Response:
        prefix = "body.data." if isinstance(exc, ValidationError) else ""
        errors = [
            {
                "field": prefix + ".".join(str(p) for p in e["loc"]),
                "message": e["msg"],
                "type": e["type"],
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            {
                "error": {
                    "code": "validation_failed",
                    "message": errors[0]["message"] if errors else "invalid request",
                    "field": errors[0]["field"] if errors else None,
                    "errors": errors,
                }
            },
            status_code=422,
        )
