"""HTTP channel adapters against a local HTTP server: LINE push, a generic SMS provider and Web
Push (VAPID, aes128gcm; decrypted here with the subscription's own keys)."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.channels import outbox, sender
from kizuna.channels.config import ChannelSettings
from kizuna.channels.line import retry_key
from kizuna.channels.models import OutboxMessage, PushSubscription
from tests.integration.channels.helpers import add_customers, http_provider

OFFER = {"offer": "全品10%オフ (今週末まで)"}


def _record(s: Session, ids: list[int], channel: str, kind: str = "marketing") -> list[int]:
    messages = [
        outbox.MessageIn(
            outbox.dedupe_key(c, campaign="winback"),
            c,
            channel,
            "dormant_offer",
            kind=kind,
            context=OFFER,
            source_type="campaign",
            source_key="winback",
        )
        for c in ids
    ]
    pending = outbox.record(s, messages).pending
    s.commit()
    return pending


def _statuses(sessions: sessionmaker[Session]) -> list[tuple[str, str | None]]:
    with sessions() as s:
        return [
            tuple(r)
            for r in s.execute(
                select(OutboxMessage.status, OutboxMessage.reason).order_by(OutboxMessage.id)
            )
        ]  # type: ignore[misc]


class TestLinePush:
    def test_push_shape_token_and_retry_key(self, sessions: sessionmaker[Session]) -> None:
        with sessions() as s:
            ids = add_customers(s, 2, consent=("line",))
            pending = _record(s, ids, "line")
        with http_provider() as line:
            line.replies = [(200, {"sentMessages": [{"id": "m1"}]}), (409, {"message": "dup"})]
            settings = ChannelSettings(line_api_url=line.url, line_channel_token="tok")
            report = sender.send_batch(sessions, pending, settings=settings)
        assert report.counts == {"sent": 2}  # 409 on a retry key: LINE already has it
        first = line.requests[0]
        assert first.path == "/v2/bot/message/push"
        assert first.headers["authorization"] == "Bearer tok"
        assert first.headers["x-line-retry-key"] == retry_key(f"c:winback:{ids[0]}")
        body = first.json()
        assert body["to"] == f"U{0:032x}"
        assert body["messages"][0]["type"] == "text"
        assert "全品10%オフ" in body["messages"][0]["text"]
        assert (
            "配信停止: http://localhost:8000/u/" in body["messages"][0]["text"]
        )  # marketing opt-out

    def test_server_error_is_retried(self, sessions: sessionmaker[Session]) -> None:
        with sessions() as s:
            pending = _record(s, add_customers(s, 1, consent=("line",)), "line")
        with http_provider() as line:
            line.replies = [(500, {"message": "oops"})]
            report = sender.send_batch(
                sessions, pending, settings=ChannelSettings(line_api_url=line.url)
            )
        assert report.counts == {"retry": 1}
        assert _statuses(sessions) == [("pending", None)]


class TestSms:
    def test_generic_provider_gets_e164_and_idempotency_key(
        self, sessions: sessionmaker[Session]
    ) -> None:
        with sessions() as s:
            pending = _record(s, add_customers(s, 1, consent=("sms",)), "sms")
        with http_provider() as sms:
            sms.replies = [(201, {"id": "sms-77"})]
            settings = ChannelSettings(
                sms_api_url=sms.url + "/send", sms_api_token="k", sms_sender_id="SHOP"
            )
            report = sender.send_batch(sessions, pending, settings=settings)
        assert report.counts == {"sent": 1}
        request = sms.requests[0]
        assert request.path == "/send" and request.headers["authorization"] == "Bearer k"
        assert len(request.headers["idempotency-key"]) == 64
        body = request.json()
        assert (body["to"], body["from"]) == ("+819000000000", "SHOP")
        assert body["reference"].startswith("c:winback:")
        with sessions() as s:
            assert s.scalars(select(OutboxMessage.provider_id)).one() == "sms-77"

    def test_bad_request_fails_for_good(self, sessions: sessionmaker[Session]) -> None:
        with sessions() as s:
            pending = _record(s, add_customers(s, 1, consent=("sms",)), "sms")
        with http_provider() as sms:
            sms.replies = [(400, {"error": "invalid number"})]
            sender.send_batch(sessions, pending, settings=ChannelSettings(sms_api_url=sms.url))
        assert _statuses(sessions) == [("failed", "refused")]


class TestWebPush:
    def test_vapid_signed_encrypted_push_decrypts_with_the_subscription_keys(
        self, sessions: sessionmaker[Session]
    ) -> None:
        pytest.importorskip("pywebpush", reason="web push needs the optional pywebpush package")
        import http_ece
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from py_vapid import Vapid

        browser = ec.generate_private_key(ec.SECP256R1())
        public = browser.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        auth = b"0123456789abcdef"
        vapid = Vapid()
        vapid.generate_keys()
        raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
        with http_provider() as service, sessions() as s:
            ids = add_customers(s, 2, consent=("push",))
            for cid, path in zip(ids, ("/push/a", "/push/gone"), strict=True):
                s.add(
                    PushSubscription(
                        customer_id=cid,
                        endpoint=service.url + path,
                        p256dh=_b64(public),
                        auth=_b64(auth),
                    )
                )
            s.flush()
            pending = _record(s, ids, "push")
            service.replies = [(201, {}), (410, {})]
            settings = ChannelSettings(vapid_private_key=_b64(raw), vapid_subject="mailto:a@b.jp")
            report = sender.send_batch(sessions, pending, settings=settings)
        assert report.counts == {"sent": 1, "failed": 1}
        request = service.requests[0]
        assert request.headers["authorization"].startswith("vapid t=")
        assert request.headers["content-encoding"] == "aes128gcm"
        assert request.headers["ttl"] == "86400"
        note = json.loads(
            http_ece.decrypt(
                request.body, private_key=browser, auth_secret=auth, version="aes128gcm"
            )
        )
        assert "全品10%オフ" in note["body"] and note["title"].startswith("【")
        with sessions() as s:
            revoked = s.scalars(select(PushSubscription.revoked_at).order_by(PushSubscription.id))
            assert [r is not None for r in revoked] == [False, True]  # 410: subscription gone


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
