"""Email end to end: the outbox sends through SMTP to a real server (aiosmtpd) in this process;
headers, encodings, the one-click unsubscribe, the body and the tracking links are read back."""

from __future__ import annotations

import re
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.channels import outbox, sender, suppression, tracking
from kizuna.channels.config import ChannelSettings
from kizuna.channels.models import MessageLog, OutboxMessage, Suppression
from kizuna.events.models import Event
from tests.integration.channels.helpers import add_customers, smtp_sink

NEWS = {
    "headline": "秋の新作のご案内",
    "items": [{"name": "有田焼 茶碗", "price": "¥3,200", "url": "https://shop.example.jp/p/1"}],
}


def _settings(url: str) -> ChannelSettings:
    return ChannelSettings(
        smtp_url=url,
        public_url="https://crm.example.jp",
        sender_name="絆ストア",
        sender_email="news@shop.example.jp",
    )


def _record(session: Session, customer_ids: list[int], **options: object) -> list[int]:
    messages = [
        outbox.MessageIn(
            outbox.dedupe_key(cid, campaign="autumn"),
            cid,
            "email",
            str(options.get("template", "newsletter")),
            kind=str(options.get("kind", "marketing")),
            category=str(options.get("category", "newsletter")),
            language=str(options.get("language", "ja")),
            context=dict(options.get("context", NEWS)),  # type: ignore[call-overload]
            source_type="campaign",
            source_key="autumn",
        )
        for cid in customer_ids
    ]
    recorded = outbox.record(session, messages)
    session.commit()
    return recorded.pending


class TestMarketingMail:
    def test_headers_body_and_links_arrive_as_sent(self, sessions: sessionmaker[Session]) -> None:
        # given two opted-in customers and a recorded Japanese newsletter
        with sessions() as s:
            ids = add_customers(s, 2)
            pending = _record(s, ids)
        # when the outbox sends it to a real SMTP server
        with smtp_sink() as sink:
            report = sender.send_batch(sessions, pending, settings=_settings(sink.url))
        # then both arrive once, with encoded Japanese headers and one-click unsubscribe
        assert report.counts == {"sent": 2}
        assert sorted(r.rcpt_tos[0] for r in sink.received) == ["c0@example.jp", "c1@example.jp"]
        raw = sink.received[0].raw.decode("ascii")
        assert "Subject: =?utf-8?" in raw
        subject = str(make_header(decode_header(re.search(r"^Subject: (.*)$", raw, re.M)[1])))  # type: ignore[index]
        assert subject == "【絆ストア】秋の新作のご案内"
        message = sink.received[0].message
        assert message["From"] == "絆ストア <news@shop.example.jp>"
        assert "=?utf-8?" in re.search(r"^From: (.*)$", raw, re.M)[1]  # type: ignore[index]
        unsubscribe = message["List-Unsubscribe"]
        assert re.fullmatch(r"<https://crm\.example\.jp/u/[\w.-]+>", unsubscribe)
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert text.startswith("山田 花子0 様")
        for part in (text, html):
            assert "絆ストア" in part and "東京都千代田区千代田1-1" in part  # sender identity
            assert unsubscribe.strip("<>") in part  # the same link in the body
        assert "有田焼 茶碗" in html and "https://crm.example.jp/t/o/" in html  # open pixel
        # and the tracking link redirects to the product and records a click event
        link = re.search(r"https://crm\.example\.jp/t/c/([\w.-]+)", text)[1]  # type: ignore[index]
        with sessions() as s:
            assert tracking.handle_click(s, link) == "https://shop.example.jp/p/1"
            pixel = re.search(r"/t/o/([\w.-]+)\.gif", html)[1]  # type: ignore[index]
            assert tracking.handle_open(s, pixel) == tracking.PIXEL_GIF
            tracking.handle_open(s, pixel)  # a second open is the same event
            s.commit()
            events = s.execute(select(Event.type, Event.customer_id).order_by(Event.id)).all()
            assert events == [("email_click", ids[0]), ("email_open", ids[0])]
            sent = s.scalars(select(OutboxMessage.status)).all()
        assert sent == ["sent", "sent"]

    def test_english_and_transactional_mail(self, sessions: sessionmaker[Session]) -> None:
        # given a shipping notice (transactional, not unsubscribable) in English
        with sessions() as s:
            ids = add_customers(s, 1, consent=())
            context = {
                "order_number": "A-1001",
                "carrier": "Yamato",
                "tracking_url": "https://track.example.jp/1",
            }
            pending = _record(
                s,
                ids,
                template="shipping_notice",
                kind="transactional",
                category="shipping",
                language="en",
                context=context,
            )
        with smtp_sink() as sink:
            sender.send_batch(sessions, pending, settings=_settings(sink.url))
        message = sink.received[0].message
        assert message["Subject"] == "[絆ストア] Your order A-1001 has shipped"
        assert "List-Unsubscribe" not in message
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert text.startswith("Dear 花子0 山田,")
        assert "Unsubscribe" not in text and "https://track.example.jp/1" in text


class TestRefusals:
    def test_hard_bounce_fails_and_suppresses_the_address(
        self, sessions: sessionmaker[Session]
    ) -> None:
        with sessions() as s:
            ids = add_customers(s, 2)
            pending = _record(s, ids)
        with smtp_sink() as sink:
            sink.refuse["c0@example.jp"] = "550 5.1.1 no such user"
            report = sender.send_batch(sessions, pending, settings=_settings(sink.url))
        assert report.counts == {"sent": 1, "failed": 1}
        with sessions() as s:
            row = s.scalars(select(OutboxMessage).where(OutboxMessage.customer_id == ids[0])).one()
            assert (row.status, row.reason) == ("failed", "refused")
            assert "550" in (row.last_error or "")
            bounce = s.scalars(select(Suppression)).one()
            assert (bounce.address, bounce.category, bounce.reason) == (
                "c0@example.jp",
                "*",
                "bounce",
            )

    def test_temporary_refusal_is_retried_with_backoff(
        self, sessions: sessionmaker[Session]
    ) -> None:
        with sessions() as s:
            pending = _record(s, add_customers(s, 1))
        with smtp_sink() as sink:
            sink.refuse["c0@example.jp"] = "451 4.3.0 try later"
            report = sender.send_batch(sessions, pending, settings=_settings(sink.url))
        assert report.counts == {"retry": 1}
        with sessions() as s:
            row = s.scalars(select(OutboxMessage)).one()
            assert (row.status, row.attempts) == ("pending", 1)
            assert row.next_attempt_at is not None and row.next_attempt_at > row.updated_at
            log = s.scalars(select(MessageLog)).one()
            assert (log.action, log.reason) == ("retry", "transient_error")

    def test_unsubscribed_between_record_and_send_is_dropped_at_send(
        self, sessions: sessionmaker[Session]
    ) -> None:
        with sessions() as s:
            ids = add_customers(s, 1)
            pending = _record(s, ids)
            token = suppression.unsubscribe_token(ids[0], "email", "marketing")
            suppression.handle_unsubscribe(s, token)
            s.commit()
        with smtp_sink() as sink:
            report = sender.send_batch(sessions, pending, settings=_settings(sink.url))
        assert report.counts == {"dropped": 1} and sink.received == []
        with sessions() as s:
            row = s.scalars(select(OutboxMessage)).one()
            assert (row.status, row.reason) == ("dropped", "suppressed:unsubscribe")


def test_worker_dying_after_the_final_dot_holds_instead_of_resending(
    sessions: sessionmaker[Session],
) -> None:
    """The one unknown outcome SMTP has: the server took the message but the worker never heard.
    The row is held with ``outcome_unknown`` (and logged), never sent a second time."""
    with sessions() as s:
        pending = _record(s, add_customers(s, 1))
    with smtp_sink() as sink:
        sink.on_data = lambda n: (_ for _ in ()).throw(ConnectionResetError("sink dies"))
        # the sink stores the message, then drops the connection without a reply
        report = sender.send_batch(sessions, pending, settings=_settings(sink.url))
    assert len(sink.received) == 1
    assert report.counts == {"held": 1}
    with sessions() as s:
        row = s.scalars(select(OutboxMessage)).one()
        assert (row.status, row.reason) == ("held", "outcome_unknown")


@pytest.mark.parametrize("template", ["newsletter", "welcome"])
def test_duplicate_record_sends_once(sessions: sessionmaker[Session], template: str) -> None:
    context = NEWS if template == "newsletter" else {}
    with sessions() as s:
        ids = add_customers(s, 1)
        first = _record(s, ids, template=template, context=context)
        again = _record(s, ids, template=template, context=context)
    assert len(first) == 1 and again == []
    with smtp_sink() as sink:
        sender.send_batch(sessions, first + first, settings=_settings(sink.url))
        sender.send_batch(sessions, first, settings=_settings(sink.url))
    assert len(sink.received) == 1
