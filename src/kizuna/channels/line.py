"""LINE Messaging API push (``POST /v2/bot/message/push``) to a customer's LINE user id.

Each message carries ``X-Line-Retry-Key`` derived from its dedupe key: LINE accepts a key once
and answers 409 to a repeat, so a message whose outcome is unknown can be sent again safely.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import ClassVar

import httpx

from kizuna.channels import http
from kizuna.channels.base import Envelope, Rendered, Renderer, SendResult, register
from kizuna.channels.config import ChannelSettings

TEXT_LIMIT = 5000


@register("line")
class LineChannel:
    """LINE push of one text message; the address is the LINE user id (``U…``)."""

    name: ClassVar[str] = "line"
    resend_unknown: ClassVar[bool] = True

    def __init__(self, settings: ChannelSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self.client = client or httpx.Client(timeout=15)
        self.url = settings.line_api_url.rstrip("/") + "/v2/bot/message/push"

    def render(self, envelope: Envelope, renderer: Renderer) -> Rendered:
        """The push body: one text message with the short text."""
        text = renderer.parts(envelope)["short"][:TEXT_LIMIT]
        body = {"to": envelope.address, "messages": [{"type": "text", "text": text}]}
        return Rendered(envelope, body, text)

    def send(self, rendered: Rendered, at_point_of_no_return: Callable[[], None]) -> SendResult:
        """POST the push with the bearer token and the retry key."""
        headers = {"X-Line-Retry-Key": retry_key(rendered.envelope.dedupe_key)}
        if self.settings.line_channel_token:
            headers["Authorization"] = f"Bearer {self.settings.line_channel_token}"
        result, _ = http.post(
            self.client,
            self.url,
            at_point_of_no_return,
            json=rendered.payload,
            headers=headers,
            idempotent=True,
        )
        return result

    def close(self) -> None:
        """Close the HTTP client."""
        self.client.close()


def retry_key(dedupe_key: str) -> str:
    """The UUID LINE expects as a retry key, stable for a message."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"kizuna:{dedupe_key}"))
