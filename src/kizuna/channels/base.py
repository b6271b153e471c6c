"""The channel protocol and its registry: ``render(envelope, renderer) → Rendered``, then
``send(rendered, at_point_of_no_return) → SendResult``.

A channel is a small adapter around one provider (SMTP, an SMS gateway, LINE, Web Push, the print
shop). It never touches the outbox: the sender (``sender.py``) claims rows, calls the channel and
records the result. ``at_point_of_no_return`` is a callback the channel calls just before the
provider can accept the message (SMTP: before the final dot; HTTP: before the request); it
commits the row as ``sending``, so that a worker killed before it leaves the message safely
resendable, and one killed after it leaves a row whose outcome is unknown.

``resend_unknown`` says what recovery does with such a row: ``True`` where the provider
de-duplicates on our key (LINE ``X-Line-Retry-Key``, an SMS provider's idempotency key), so
sending again cannot deliver twice; ``False`` for SMTP, where the row is held for a person
instead (never sent twice; the one message in flight when a worker dies may wait).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from kizuna.channels.config import ChannelSettings


@dataclass(frozen=True, slots=True)
class Envelope:
    """One outbox row with what a channel needs: the resolved address and the render context."""

    outbox_id: int
    dedupe_key: str
    customer_id: int
    channel: str
    kind: str
    category: str
    template: str
    language: str
    address: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready to leave: the wire payload (MIME bytes, JSON body…) and a text preview."""

    envelope: Envelope
    payload: Any
    preview: str = ""


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the provider said. ``permanent``: do not retry; ``bounce``: suppress the address;
    ``unknown``: the message may or may not have been accepted (connection lost after the point
    of no return)."""

    ok: bool
    provider_id: str | None = None
    error: str | None = None
    permanent: bool = False
    bounce: bool = False
    unknown: bool = False


class Renderer(Protocol):
    """What channels need from ``rendering.Renderer``."""

    def parts(self, envelope: Envelope) -> dict[str, str]: ...


class Channel(Protocol):
    """A message channel. Implementations register with ``@register("email")``."""

    name: ClassVar[str]
    resend_unknown: ClassVar[bool]

    def render(self, envelope: Envelope, renderer: Renderer) -> Rendered: ...

    def send(self, rendered: Rendered, at_point_of_no_return: Callable[[], None]) -> SendResult: ...

    def close(self) -> None: ...


ChannelFactory = Callable[[ChannelSettings], Channel]
_REGISTRY: dict[str, ChannelFactory] = {}


def register(name: str) -> Callable[[ChannelFactory], ChannelFactory]:
    """Class decorator: make ``name`` build this channel (tests may register fakes)."""

    def decorator(factory: ChannelFactory) -> ChannelFactory:
        _REGISTRY[name] = factory
        return factory

    return decorator


def build(name: str, settings: ChannelSettings) -> Channel:
    """A fresh channel instance for ``name``."""
    _load_builtin()
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no channel named {name!r}; known: {sorted(_REGISTRY)}") from None
    return factory(settings)


def names() -> list[str]:
    """Registered channel names."""
    _load_builtin()
    return sorted(_REGISTRY)


def resend_unknown(name: str) -> bool:
    """Whether a ``sending`` row of this channel may be sent again after a worker died."""
    _load_builtin()
    factory = _REGISTRY.get(name)
    return bool(getattr(factory, "resend_unknown", False))


def _load_builtin() -> None:
    # The built-in channels register themselves on import; import them lazily so that importing
    # base.py stays cheap and free of cycles.
    from kizuna.channels import email, line, print_dm, sms, webpush  # noqa: F401
