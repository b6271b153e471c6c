"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291).

Encryption and the VAPID signature come from ``pywebpush`` / ``py_vapid`` when installed (they
are an optional dependency: without them this channel fails each message permanently with a clear
reason); the POST goes through httpx like the other HTTP channels. The address is the browser's
subscription as JSON (``{"endpoint", "keys": {"p256dh", "auth"}}``, from ``push_subscriptions``).
A 404 or 410 from the push service means the subscription is gone: the sender suppresses it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from kizuna.channels import http
from kizuna.channels.base import Envelope, Rendered, Renderer, SendResult, register
from kizuna.channels.config import ChannelSettings

try:  # optional dependency
    from py_vapid import Vapid
    from pywebpush import WebPusher
except ImportError:  # pragma: no cover - depends on the installation
    Vapid = None
    WebPusher = None

TTL_SECONDS = 24 * 3600


def available() -> bool:
    """Whether pywebpush is installed."""
    return WebPusher is not None


@register("push")
class WebPushChannel:
    """Web Push sender; needs ``KIZUNA_VAPID_PRIVATE_KEY``."""

    name: ClassVar[str] = "push"
    resend_unknown: ClassVar[bool] = False

    def __init__(self, settings: ChannelSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=15)
        self._vapid: Any = None

    def render(self, envelope: Envelope, renderer: Renderer) -> Rendered:
        """The notification as JSON (title, body, url, tag), still unencrypted."""
        parts = renderer.parts(envelope)
        note = {
            "title": parts["subject"],
            "body": parts["short"],
            "url": envelope.context.get("url", self.settings.public_url),
            "tag": hashlib.sha256(envelope.dedupe_key.encode()).hexdigest()[:32],
        }
        return Rendered(envelope, note, parts["short"])

    def send(self, rendered: Rendered, at_point_of_no_return: Callable[[], None]) -> SendResult:
        """Encrypt for the subscription, sign with VAPID and POST to its endpoint."""
        if WebPusher is None or Vapid is None:
            return SendResult(False, error="web push needs the pywebpush package", permanent=True)
        if not self.settings.vapid_private_key:
            return SendResult(False, error="KIZUNA_VAPID_PRIVATE_KEY is not set", permanent=True)
        subscription = json.loads(rendered.envelope.address)
        data = json.dumps(rendered.payload, ensure_ascii=False).encode()
        encoded = WebPusher(subscription).encode(data, content_encoding="aes128gcm")
        endpoint = subscription["endpoint"]
        headers = {
            **self._authorization(endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(TTL_SECONDS),
            "Topic": rendered.payload["tag"],
            "Urgency": "normal",
        }
        result, _ = http.post(
            self.client,
            endpoint,
            at_point_of_no_return,
            content=encoded["body"],
            headers=headers,
            gone_is_bounce=True,
        )
        return result

    def _authorization(self, endpoint: str) -> dict[str, str]:
        if self._vapid is None:
            self._vapid = Vapid.from_string(self.settings.vapid_private_key)
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(endpoint))
        claims = {
            "aud": origin,
            "exp": int(time.time()) + 12 * 3600,
            "sub": self.settings.vapid_subject,
        }
        return dict(self._vapid.sign(claims))

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()
