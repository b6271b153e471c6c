"""Where messages go and who sends them: sender identity, providers, outbox timing.

Read from ``KIZUNA_`` environment variables (or ``.env``) like the main settings; kept in the
channels domain because only senders and workers need them. docs/messaging.md lists every field
(``tests/unit/channels/test_config.py`` checks it).
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChannelSettings(BaseSettings):
    """Sender identity (特定電子メール法), provider endpoints and outbox retry timing."""

    model_config = SettingsConfigDict(env_prefix="KIZUNA_", env_file=".env", extra="ignore")

    public_url: str = Field(
        default="http://localhost:8000",
        description="Public base URL of the kizuna web app; tracking, click and unsubscribe "
        "links point here.",
    )
    sender_name: str = Field(default="kizuna shop", description="Shop name shown as sender.")
    sender_email: str = Field(default="shop@example.jp", description="From address of mail.")
    sender_postal_address: str = Field(
        default="〒100-0001 東京都千代田区千代田1-1",
        description="Postal address printed in every marketing message (特定電子メール法).",
    )
    sender_contact: str = Field(
        default="shop@example.jp", description="Where recipients can ask or complain."
    )
    smtp_url: str = Field(
        default="smtp://127.0.0.1:25",
        description="SMTP relay: smtp://[user:password@]host:port, smtps:// for TLS, "
        "?starttls=1 to upgrade.",
    )
    sms_api_url: str = Field(default="", description="HTTP SMS provider endpoint (POST JSON).")
    sms_api_token: str = Field(default="", description="Bearer token of the SMS provider.")
    sms_sender_id: str = Field(default="KIZUNA", description="Sender id shown on SMS.")
    line_api_url: str = Field(
        default="https://api.line.me", description="LINE Messaging API base URL."
    )
    line_channel_token: str = Field(default="", description="LINE channel access token.")
    vapid_private_key: str = Field(
        default="",
        description="Web Push VAPID private key: base64url of the raw 32-byte key or its DER.",
    )
    vapid_subject: str = Field(
        default="mailto:shop@example.jp", description="VAPID contact (mailto: or https:)."
    )
    outbox_batch_size: int = Field(default=200, description="Messages per send job.")
    outbox_lease_seconds: int = Field(
        default=300, description="How long a claimed batch is a worker's before it is recovered."
    )
    outbox_max_attempts: int = Field(default=5, description="Tries before a message fails.")
    outbox_backoff_seconds: int = Field(
        default=60, description="First retry delay; doubles per attempt (with jitter)."
    )


@lru_cache(maxsize=1)
def get_channel_settings() -> ChannelSettings:
    """The process-wide channel settings (read once)."""
    return ChannelSettings()
