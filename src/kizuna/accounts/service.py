"""Account verbs: dashboard users with hashed passwords, and API keys stored as SHA-256 hashes.

Passwords use scrypt (stdlib ``hashlib.scrypt``) with a per-user salt; API key secrets are random
(``secrets.token_urlsafe``), shown once, and compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.accounts.models import ROLES, SCOPES, ApiKey, User
from kizuna.kit.clock import now
from kizuna.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """``scrypt$<salt>$<hash>`` for storage."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches the stored hash."""
    try:
        _scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    candidate = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), **_SCRYPT)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def do_create_user(
    session: Session, email: str, password: str, role: str, name: str = "", language: str = "ja"
) -> User:
    """A new dashboard user; Conflict when the email is taken."""
    if role not in ROLES:
        raise ValidationFailed(f"role {role!r} is not one of {', '.join(ROLES)}", field="role")
    if len(password) < 8:
        raise ValidationFailed("the password needs at least 8 characters", field="password")
    if session.scalar(select(User).where(User.email == email.lower())):
        raise Conflict(f"a user with email {email} exists", field="email")
    user = User(
        email=email.lower(),
        password_hash=hash_password(password),
        role=role,
        name=name,
        language=language,
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User:
    """The user with these credentials; Unauthorized otherwise (same message either way)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not verify_password(password, user.password_hash):
        raise Unauthorized("email or password is wrong")
    return user


def ensure_admin(session: Session, email: str, password: str) -> User:
    """The admin with ``email``, created on first start."""
    user = session.scalar(select(User).where(User.email == email.lower()))
    return user or do_create_user(session, email, password, "admin", name="Admin")


def do_create_api_key(session: Session, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """A new key and its secret (``kz_<prefix>_<secret>``), which is shown only this once."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailed(
            f"unknown scope(s) {', '.join(unknown)}; use {', '.join(SCOPES)}", field="scopes"
        )
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(24)
    key = ApiKey(name=name, prefix=prefix, secret_hash=_digest(secret), scopes=sorted(set(scopes)))
    session.add(key)
    session.flush()
    return key, f"kz_{prefix}_{secret}"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_api_key(session: Session, token: str, scope: str) -> ApiKey:
    """The key for ``token`` if it is valid, not revoked and has ``scope``; else 401/403."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "kz":
        raise Unauthorized("unknown API key")
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not hmac.compare_digest(key.secret_hash, _digest(parts[2])):
        raise Unauthorized("unknown API key")
    if key.revoked_at is not None:
        raise Unauthorized("this API key was revoked")
    if scope not in key.scopes:
        raise Forbidden(f"this API key lacks the scope {scope}", field="scope")
    return key


def do_revoke_api_key(session: Session, prefix: str) -> ApiKey:
    """Revoke the key with ``prefix``; NotFound if there is none."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no API key {prefix}", field="prefix")
    key.revoked_at = key.revoked_at or now()
    session.flush()
    return key


def list_api_keys(session: Session) -> list[ApiKey]:
    """All keys, newest first."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
