"""SMS through a generic HTTP provider: ``POST {sms_api_url}`` with JSON
``{"to": "+81…", "from": sender_id, "text": …, "reference": dedupe_key}``, a bearer token and an
``Idempotency-Key`` header. Providers differ; a shop with another API subclasses ``body``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, ClassVar

import httpx

from kizuna.channels import http
from kizuna.channels.base import Envelope, Rendered, Renderer, SendResult, register
from kizuna.channels.config import ChannelSettings

# Japanese SMS (UCS-2) allows 70 characters a segment and most carriers 670 in all.
TEXT_LIMIT = 660


@register("sms")
class SmsChannel:
    """Generic HTTP SMS provider adapter; the address is a phone number (0X0… or +81…)."""

    name: ClassVar[str] = "sms"
    resend_unknown: ClassVar[bool] = True

    def __init__(self, settings: ChannelSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=15)

    def render(self, envelope: Envelope, renderer: Renderer) -> Rendered:
        """The provider's JSON body with the short text."""
        text = renderer.parts(envelope)["short"][:TEXT_LIMIT]
        return Rendered(envelope, self.body(envelope, text), text)

    def body(self, envelope: Envelope, text: str) -> dict[str, Any]:
        """The JSON the provider expects."""
        return {
            "to": e164(envelope.address),
            "from": self.settings.sms_sender_id,
            "text": text,
            "reference": envelope.dedupe_key,
        }

    def send(self, rendered: Rendered, at_point_of_no_return: Callable[[], None]) -> SendResult:
        """POST to the provider with the idempotency key."""
        key = hashlib.sha256(rendered.envelope.dedupe_key.encode()).hexdigest()
        headers = {"Idempotency-Key": key}
        if self.settings.sms_api_token:
            headers["Authorization"] = f"Bearer {self.settings.sms_api_token}"
        result, _ = http.post(
            self.client,
            self.settings.sms_api_url,
            at_point_of_no_return,
            json=rendered.payload,
            headers=headers,
            idempotent=True,
        )
        return result

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def e164(phone: str) -> str:
    """A Japanese number as E.164: ``09012345678`` → ``+819012345678``."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if digits.startswith("0"):
        return "+81" + digits[1:]
    return "+" + digits
