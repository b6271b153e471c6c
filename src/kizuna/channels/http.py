"""One POST to an HTTP provider, classified the same way for every HTTP channel.

2xx is accepted; 409 is accepted when the caller sent an idempotency key (the provider has the
message already); 408, 429 and 5xx are retried; other 4xx are permanent. A connection that never
opened delivered nothing (retry); one that failed after the request went out is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from kizuna.channels.base import SendResult

_RETRY = frozenset({408, 425, 429})
# Raised before any byte of the request left: safe to retry, never an unknown outcome.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
    httpx.InvalidURL,
)


def post(
    client: httpx.Client,
    url: str,
    at_point_of_no_return: Callable[[], None],
    *,
    json: Any = None,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    idempotent: bool = False,
    gone_is_bounce: bool = False,
) -> tuple[SendResult, httpx.Response | None]:
    """POST and classify; returns the result and the response (None when there was none)."""
    at_point_of_no_return()
    try:
        response = client.post(url, json=json, content=content, headers=headers)
    except _NOT_SENT as exc:
        return SendResult(False, error=f"not sent: {exc}"), None
    except httpx.HTTPError as exc:
        return SendResult(False, error=f"http: {exc}", unknown=True), None
    return classify(response, idempotent=idempotent, gone_is_bounce=gone_is_bounce), response


def classify(
    response: httpx.Response, *, idempotent: bool = False, gone_is_bounce: bool = False
) -> SendResult:
    """The send result for a provider's HTTP response."""
    status = response.status_code
    if 200 <= status < 300 or (status == 409 and idempotent):
        return SendResult(True, provider_id=_provider_id(response))
    error = f"HTTP {status}: {response.text[:300]}"
    if status in _RETRY or status >= 500:
        return SendResult(False, error=error)
    bounce = gone_is_bounce and status in (404, 410)
    return SendResult(False, error=error, permanent=True, bounce=bounce)


def _provider_id(response: httpx.Response) -> str | None:
    for header in ("x-line-request-id", "x-line-accepted-request-id", "location", "x-request-id"):
        if header in response.headers:
            return response.headers[header][:200]
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        value = body.get("id") or body.get("message_id")
        return str(value)[:200] if value is not None else None
    return None
