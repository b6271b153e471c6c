"""Signed tokens, dedupe keys and retry backoff."""

from __future__ import annotations

import pytest

from kizuna.channels import tokens
from kizuna.channels.outbox import dedupe_key
from kizuna.channels.recovery import backoff
from kizuna.channels.sms import e164
from kizuna.kit.errors import ValidationFailed


class TestTokens:
    def test_round_trip_and_purpose_separation(self) -> None:
        token = tokens.sign("unsubscribe", [5, "email", "marketing"], secret="s")
        assert tokens.verify("unsubscribe", token, secret="s") == [5, "email", "marketing"]
        with pytest.raises(ValidationFailed, match="open link is invalid"):
            tokens.verify("open", token, secret="s")

    def test_tampered_or_foreign_tokens_are_refused(self) -> None:
        token = tokens.sign("click", [1, "https://shop.example.jp/"], secret="s")
        forged = token.replace(token.split(".")[0], "WzEsImh0dHBzOi8vZXZpbC5leGFtcGxlLyJd")
        for bad in (forged, tokens.sign("click", [1, "x"], secret="other"), "garbage"):
            with pytest.raises(ValidationFailed) as info:
                tokens.verify("click", bad, secret="s")
            assert info.value.code == "bad_token"


def test_dedupe_keys_per_campaign_and_journey_step() -> None:
    assert dedupe_key(9, campaign="autumn") == "c:autumn:9"
    assert dedupe_key(9, journey="welcome", step="mail1") == "j:welcome:mail1:9"
    with pytest.raises(ValueError, match="needs a campaign"):
        dedupe_key(9, journey="welcome")


def test_backoff_doubles_with_bounded_jitter() -> None:
    assert [backoff(n, 60, lambda: 0.0) for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert backoff(2, 60, lambda: 1.0) == 150


def test_e164() -> None:
    assert e164("090-1234-5678") == "+819012345678"
    assert e164("+81 90 1234 5678") == "+819012345678"
