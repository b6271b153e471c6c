"""The MIME message: RFC 2047 subject and sender, one-line RFC 8058 headers, stable Message-ID."""

from __future__ import annotations

from email import message_from_bytes, policy

from kizuna.channels.base import Envelope
from kizuna.channels.config import ChannelSettings
from kizuna.channels.email import POLICY, build_message, message_id

SETTINGS = ChannelSettings(sender_name="絆ストア", sender_email="news@shop.example.jp")
ENVELOPE = Envelope(
    3, "c:autumn:9", 9, "email", "marketing", "newsletter", "newsletter", "ja", "hanako@example.jp"
)
LONG = "https://crm.example.jp/u/" + "x" * 120
PARTS = {
    "subject": "【絆ストア】秋の新作のご案内です。今だけ送料無料でお届けします",
    "text": "本文",
    "html": "<p>本文</p>",
    "short": "",
    "unsubscribe_url": LONG,
}


def test_headers_are_encoded_and_the_unsubscribe_url_stays_on_one_line() -> None:
    raw = build_message(ENVELOPE, PARTS, SETTINGS, "shop.example.jp").as_bytes(policy=POLICY)
    assert raw.isascii()
    lines = raw.decode().split("\r\n")
    assert f"List-Unsubscribe: <{LONG}>" in lines
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in lines
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == PARTS["subject"]
    assert parsed["From"] == "絆ストア <news@shop.example.jp>"
    assert parsed["Message-ID"] == message_id("c:autumn:9", "shop.example.jp")


def test_no_unsubscribe_headers_for_non_optional_mail() -> None:
    parts = {**PARTS, "unsubscribe_url": ""}
    message = build_message(ENVELOPE, parts, SETTINGS, "shop.example.jp")
    assert "List-Unsubscribe" not in message and "List-Unsubscribe-Post" not in message
