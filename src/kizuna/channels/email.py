"""Email over SMTP: multipart text + HTML, UTF-8 (RFC 2047 subjects and names), the sender's
identity and an unsubscribe link in the body, and one-click ``List-Unsubscribe`` (RFC 8058).

One SMTP connection is kept for a batch. The DATA command is split so that the row is committed
as ``sending`` just before the final ``.`` (the point of no return, see ``base.py``): a worker
killed before it has delivered nothing; one killed after it leaves an unknown outcome, which the
outbox holds rather than risk a second delivery (``resend_unknown = False``).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formataddr, formatdate
from typing import ClassVar
from urllib.parse import parse_qs, unquote, urlsplit

from kizuna.channels.base import Envelope, Rendered, Renderer, SendResult, register
from kizuna.channels.config import ChannelSettings

_BOUNCE_CODES = frozenset({550, 551, 553})
# RFC 5322 allows 998 characters a line; the default 78 would fold the long one-click URL into
# RFC 2047 encoded words, which mail providers do not read as a List-Unsubscribe URL. 7-bit
# transfer encodings (base64 / quoted-printable) so relays without 8BITMIME pass it unchanged.
POLICY = SMTP_POLICY.clone(max_line_length=998, cte_type="7bit")
_DOT = re.compile(rb"(?m)^\.")


@register("email")
class EmailChannel:
    """SMTP sender; ``smtp_url`` like ``smtp://user:pass@host:587?starttls=1``."""

    name: ClassVar[str] = "email"
    resend_unknown: ClassVar[bool] = False

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.domain = settings.sender_email.rpartition("@")[2] or "localhost"

    def render(self, envelope: Envelope, renderer: Renderer) -> Rendered:
        """The MIME message for ``envelope`` (bytes with CRLF line ends)."""
        parts = renderer.parts(envelope)
        message = build_message(envelope, parts, self.settings, self.domain)
        return Rendered(envelope, message.as_bytes(policy=POLICY), parts["text"])

    def send(self, rendered: Rendered, at_point_of_no_return: Callable[[], None]) -> SendResult:
        """Deliver to the relay; classifies refusals as retryable, permanent or bounce."""
        try:
            smtp = self._connection()
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return SendResult(False, error=f"smtp connect: {exc}")
        try:
            return _transaction(smtp, self.settings.sender_email, rendered, at_point_of_no_return)
        except _Unknown as exc:
            self._drop()
            return SendResult(False, error=f"smtp after data: {exc}", unknown=True)
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            return SendResult(False, error=f"smtp: {exc}")

    def close(self) -> None:
        """Say QUIT and close the connection."""
        if self._smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._smtp.quit()
        self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = connect(self.settings.smtp_url)
        return self._smtp

    def _drop(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(OSError):
                self._smtp.close()
        self._smtp = None


class _Unknown(Exception):
    """The connection failed after the point of no return."""


def _transaction(
    smtp: smtplib.SMTP, sender: str, rendered: Rendered, commit: Callable[[], None]
) -> SendResult:
    recipient = rendered.envelope.address
    code, reply = smtp.mail(sender)
    if code != 250:
        smtp.rset()
        return _refused(code, reply, "MAIL")
    code, reply = smtp.rcpt(recipient)
    if code not in (250, 251):
        smtp.rset()
        return _refused(code, reply, "RCPT")
    code, reply = smtp.docmd("DATA")
    if code != 354:
        smtp.rset()
        return _refused(code, reply, "DATA")
    data = _DOT.sub(b"..", rendered.payload)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    smtp.send(data)
    commit()
    try:
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        raise _Unknown(str(exc)) from exc
    if code != 250:
        return _refused(code, reply, "end of DATA")
    return SendResult(True, provider_id=reply.decode("utf-8", "replace")[:200])


def _refused(code: int, reply: bytes, stage: str) -> SendResult:
    text = f"{stage} {code} {reply.decode('utf-8', 'replace')}"[:500]
    return SendResult(False, error=text, permanent=code >= 500, bounce=code in _BOUNCE_CODES)


def connect(url: str, timeout: float = 30) -> smtplib.SMTP:
    """An open SMTP connection for ``smtp://`` / ``smtps://`` URLs (``?starttls=1``)."""
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host, port = parts.hostname or "127.0.0.1", parts.port
    smtp: smtplib.SMTP
    if parts.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(
            host, port or 465, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port or 25, timeout=timeout)
        if options.get("starttls", ["0"])[0] in ("1", "true", "yes"):
            smtp.starttls(context=ssl.create_default_context())
    if smtp.sock is not None:
        # The body and the final dot are two writes before one read: without TCP_NODELAY, Nagle's
        # algorithm holds the dot until the server's delayed ACK (about 40 ms a message).
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    smtp.ehlo_or_helo_if_needed()
    if parts.username:
        smtp.login(unquote(parts.username), unquote(parts.password or ""))
    return smtp


def build_message(
    envelope: Envelope, parts: dict[str, str], settings: ChannelSettings, domain: str
) -> EmailMessage:
    """The multipart/alternative message with identity and unsubscribe headers."""
    message = EmailMessage(policy=POLICY)
    message["From"] = formataddr((settings.sender_name, settings.sender_email))
    message["To"] = envelope.address
    message["Subject"] = parts["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id(envelope.dedupe_key, domain)
    message["X-Kizuna-Message"] = str(envelope.outbox_id)
    unsubscribe = parts.get("unsubscribe_url")
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(parts["text"], charset="utf-8")
    message.add_alternative(parts["html"], subtype="html", charset="utf-8")
    return message


def message_id(dedupe_key: str, domain: str) -> str:
    """A Message-ID derived from the dedupe key: a resent copy carries the same id, so a
    receiving system that de-duplicates on Message-ID shows it once."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"
