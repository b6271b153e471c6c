"""Helpers for the messaging tests: customers with addresses and consent, a real SMTP sink
(aiosmtpd in this process) and a local HTTP server that records what providers would receive."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from kizuna.customers.models import ConsentChange, Customer, Identity

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def add_customers(
    session: Session,
    count: int,
    *,
    consent: tuple[str, ...] = ("email",),
    start: int = 0,
    problem: bool = False,
    **attributes: Any,
) -> list[int]:
    """``count`` customers 山田 花子<i> with email, phone and LINE ids and opt-in to ``consent``."""
    ids = []
    for i in range(start, start + count):
        customer = Customer(
            family_name="山田",
            given_name=f"花子{i}",
            family_kana="ヤマダ",
            is_problem=problem,
            postal_code=f"{1000001 + i:07d}",
            prefecture="東京都",
            attributes={"city": "千代田区", "address1": f"千代田{i}-1", **attributes},
        )
        session.add(customer)
        session.flush()
        session.add_all(
            [
                Identity(customer_id=customer.id, kind="email", value=f"c{i}@example.jp"),
                Identity(customer_id=customer.id, kind="phone", value=f"090{i:08d}"),
                Identity(customer_id=customer.id, kind="line_user_id", value=f"U{i:032x}"),
            ]
            + [
                ConsentChange(
                    customer_id=customer.id,
                    channel=ch,
                    granted=True,
                    source="test",
                    changed_at=LONG_AGO,
                )
                for ch in consent
            ]
        )
        ids.append(customer.id)
    session.flush()
    return ids


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    """One message the sink accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SmtpSink:
    """An SMTP server in this process that keeps what it receives. ``on_mail`` / ``on_data`` run
    inside the server (e.g. to kill a worker at an exact point); ``refuse`` maps a recipient to
    an SMTP reply to answer at RCPT."""

    port: int
    received: list[Received] = field(default_factory=list)
    mails: int = 0
    on_mail: Callable[[int], None] | None = None
    on_data: Callable[[int], None] | None = None
    refuse: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def count(self, header: str = "X-Kizuna-Message") -> dict[str, int]:
        """How many times each value of ``header`` arrived."""
        counts: dict[str, int] = {}
        for item in self.received:
            key = str(item.message[header])
            counts[key] = counts.get(key, 0) + 1
        return counts

    async def handle_MAIL(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        self.mails += 1
        if self.on_mail:
            self.on_mail(self.mails)
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
        )
        if self.on_data:
            self.on_data(len(self.received))
            await asyncio.sleep(0.2)
        return f"250 OK queued as {len(self.received)}"


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """A running ``SmtpSink`` on a free port."""
    sink = SmtpSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@dataclass
class Recorded:
    """One request the HTTP server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpProvider:
    """A local HTTP server; ``replies`` is a queue of ``(status, json body)`` (default 200 {})."""

    port: int
    requests: list[Recorded] = field(default_factory=list)
    replies: list[tuple[int, dict[str, Any]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def http_provider() -> Iterator[HttpProvider]:
    """A running ``HttpProvider``."""
    provider = HttpProvider(free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            provider.requests.append(
                Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status, reply = provider.replies.pop(0) if provider.replies else (200, {})
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", provider.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
