"""Signed, URL-safe tokens for unsubscribe, open and click links (HMAC with the secret key).

A token carries its payload in the clear (ids, a URL), signed so it cannot be forged or edited;
each purpose has its own salt, so an open token cannot be replayed as an unsubscribe token.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from kizuna.kit.errors import ValidationFailed
from kizuna.settings import get_settings

PURPOSES = ("unsubscribe", "open", "click")


@lru_cache(maxsize=16)
def _serializer(secret: str, purpose: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=f"kizuna.{purpose}")


def sign(purpose: str, payload: Any, *, secret: str | None = None) -> str:
    """A token for ``payload`` (JSON-able) usable only for ``purpose``."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return _serializer(secret or get_settings().secret_key, purpose).dumps(payload)


def verify(purpose: str, token: str, *, secret: str | None = None) -> Any:
    """The payload of a valid token, or ``ValidationFailed`` (code ``bad_token``)."""
    try:
        return _serializer(secret or get_settings().secret_key, purpose).loads(token)
    except BadSignature:
        raise ValidationFailed(
            f"the {purpose} link is invalid or was altered", field="token", code="bad_token"
        ) from None
