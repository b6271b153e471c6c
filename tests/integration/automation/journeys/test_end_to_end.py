"""End to end, on SQLite and PostgreSQL: an order is recorded through the orders service; the
ingest hook's job enrols the customer in the welcome journey and records the first message in
the outbox; the queue (Huey, immediate mode) runs the send job, and the mail arrives at a real
SMTP server (aiosmtpd) in this process, in Japanese, with the one-click unsubscribe."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.automation import tasks as automation_tasks
from kizuna.automation.journeys import service
from kizuna.channels import tasks as channel_tasks
from kizuna.channels.config import get_channel_settings
from kizuna.channels.models import OutboxMessage
from kizuna.customers.models import Customer
from kizuna.kit import queue
from kizuna.kit.clock import now
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order
from kizuna.orders.schemas import LineIn, OrderIn
from kizuna.orders.service import record_order
from kizuna.settings import get_settings
from tests.integration.channels.helpers import SmtpSink, add_customers, smtp_sink


def _clear() -> None:
    get_settings.cache_clear()
    get_channel_settings.cache_clear()
    channel_tasks.sessions.cache_clear()


@pytest.fixture
def sink(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpSink]:
    """A mail sink, the worker's settings pointing at it and at the test record, and an
    immediate queue (jobs run when enqueued)."""
    with smtp_sink() as running:
        monkeypatch.setenv("KIZUNA_DATABASE_URL", db_url)
        monkeypatch.setenv("KIZUNA_SMTP_URL", running.url)
        monkeypatch.setenv("KIZUNA_SENDER_NAME", "絆ストア")
        monkeypatch.setenv("KIZUNA_PUBLIC_URL", "https://crm.example.jp")
        _clear()
        queue.configure("memory://", immediate=True)
        yield running
    _clear()


def test_an_order_becomes_a_welcome_mail_at_the_smtp_server(
    sessions: sessionmaker[Session], sink: SmtpSink
) -> None:
    # given a member who agreed to email, and the welcome journey switched on without holdout
    with session_scope(sessions) as session:
        [cid] = add_customers(session, 1)
        session.get_one(Customer, cid).external_id = "M-0001"
        service.install_presets(session, actor="owner@shop")
        doc = service.journey_detail(session, "welcome")["document"]
        service.publish_journey(session, {**doc, "holdout_share": 0.0}, actor="owner@shop")
        service.set_journey_enabled(session, "welcome", True, actor="owner@shop")
    # when the storefront's order is recorded and the ingest pipeline calls the hook's job
    with session_scope(sessions) as session:
        placed = now() - timedelta(minutes=1)
        line = LineIn("SKU-1", 1, 3200, 3200)
        assert (
            record_order(session, OrderIn("W-1", placed, (line,), customer="M-0001")) == "inserted"
        )
        order_id = session.scalar(select(Order.id).where(Order.order_number == "W-1"))
    reaction = automation_tasks.on_order_job(int(order_id or 0))
    # then the welcome mail was recorded, sent once, and arrived in Japanese
    assert reaction["enrolled"] == {"welcome": 1} and reaction["pending"] == 1
    with session_scope(sessions) as session:
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.dedupe_key, message.status) == (f"j:welcome:thanks.once:{cid}", "sent")
    [mail] = sink.received
    assert mail.rcpt_tos == ["c0@example.jp"]
    subject = str(make_header(decode_header(mail.message["Subject"])))
    assert subject == "【絆ストア】ご購入ありがとうございます"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = mail.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("山田 花子0 様")
    # and running the job again sends nothing more
    assert automation_tasks.on_order_job(int(order_id or 0))["pending"] == 0
    assert len(sink.received) == 1
