"""Request dependencies: a unit of work per request, API-key scopes, dashboard users and roles."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from kizuna.accounts.models import ApiKey, User
from kizuna.accounts.service import check_api_key
from kizuna.kit.errors import Forbidden, Unauthorized
from kizuna.kit.locking import begin_write


def get_session(request: Request) -> Iterator[Session]:
    """One session per request, committed when the handler returns, rolled back on error."""
    session = request.app.state.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent, so that a client never sees a success
# for a write that was not yet (or never) committed, and its next request reads its own writes.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_write_session(session: SessionDep) -> Session:
    """The request's session, holding SQLite's write lock from the start (API writes)."""
    begin_write(session)
    return session


WriteSessionDep = Annotated[Session, Depends(get_write_session, scope="function")]


def api_key(scope: str) -> Callable[..., ApiKey]:
    """Dependency: a valid, unrevoked API key with ``scope`` (``Authorization: Bearer kz_…``)."""

    def check(session: SessionDep, authorization: Annotated[str | None, Header()] = None) -> ApiKey:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthorized("send the API key as 'Authorization: Bearer kz_…'")
        return check_api_key(session, authorization[7:].strip(), scope)

    return check


class LoginRequired(Exception):
    """Raised for dashboard pages without a logged-in user; the app redirects to /login."""


def current_user(request: Request, session: SessionDep) -> User:
    """The logged-in dashboard user."""
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id else None
    if user is None:
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: str) -> Any:
    """Dependency: the current user, if their role is one of ``roles`` (admin always passes)."""

    def check(user: CurrentUser) -> User:
        if user.role != "admin" and user.role not in roles:
            raise Forbidden(f"the {user.role} role may not open this page")
        return user

    return Depends(check)
