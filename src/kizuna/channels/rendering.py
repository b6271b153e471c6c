"""Message rendering: a shop's override (database) first, else the packaged default file.

A message template is ``templates/<lang>/<name>.txt.j2`` with three blocks: ``subject``, ``body``
(plain text) and ``short`` (SMS, LINE, push). HTML comes from ``<name>.html.j2`` when it exists,
else from the body laid into ``_layout.html.j2``. The sender identity and unsubscribe footers
(``_footer.*.j2``) are added here, so no template can forget them (特定電子メール法).

Context every template gets: ``customer`` (``name``, ``family_name``, ``given_name``), ``shop``
(name, email, postal address, contact, url), ``unsubscribe_url``, ``pixel_url``, ``marketing``,
and the function ``link(url)`` that wraps a URL in a signed click-tracking redirect; plus the
message's own context, whose required keys are listed in ``REQUIRED``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from jinja2 import (
    ChoiceLoader,
    DictLoader,
    Environment,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.channels import tokens
from kizuna.channels.base import Envelope
from kizuna.channels.config import ChannelSettings, get_channel_settings
from kizuna.channels.models import MessageTemplate

REQUIRED: dict[str, tuple[str, ...]] = {
    "newsletter": ("headline", "items"),
    "welcome": (),
    "birthday": ("coupon_code",),
    "shipping_notice": ("order_number", "carrier", "tracking_url"),
    "dormant_offer": ("offer",),
    "cart_reminder": ("items",),
    "review_request": ("order_number", "review_url", "points"),
    "points_expiring": ("points", "expires_on"),
}
# Categories a recipient cannot opt out of: they are part of the purchase contract.
NON_OPTIONAL = frozenset({"shipping", "order", "account", "security"})
_URL = re.compile(r"(https?://[^\s<>\"]+)")


class Renderer:
    """Renders the parts of a message (subject, text, html, short) for an envelope."""

    def __init__(
        self,
        overrides: Mapping[tuple[str, str], str] | None = None,
        settings: ChannelSettings | None = None,
        secret: str | None = None,
    ) -> None:
        self.settings = settings or get_channel_settings()
        self.secret = secret
        mapping = {f"{lang}/{name}": source for (name, lang), source in (overrides or {}).items()}
        self.env = Environment(
            loader=ChoiceLoader(
                [DictLoader(mapping), PackageLoader("kizuna.channels", "templates")]
            ),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._shop = {
            "name": self.settings.sender_name,
            "email": self.settings.sender_email,
            "postal_address": self.settings.sender_postal_address,
            "contact": self.settings.sender_contact,
            "url": self.settings.public_url,
        }

    def context(self, envelope: Envelope) -> dict[str, Any]:
        """Everything a template of ``envelope`` can use."""
        base = self.settings.public_url.rstrip("/")
        marketing = envelope.kind == "marketing"
        scope = "marketing" if marketing else envelope.category
        secret = self.secret
        unsubscribe = tokens.sign(
            "unsubscribe", [envelope.customer_id, envelope.channel, scope], secret=secret
        )
        opened = tokens.sign("open", envelope.outbox_id, secret=secret)

        def link(url: str) -> str:
            token = tokens.sign("click", [envelope.outbox_id, url], secret=secret)
            return f"{base}/t/c/{token}"

        return {
            "customer": {"name": "", "family_name": "", "given_name": ""},
            **envelope.context,
            "shop": self._shop,
            "marketing": marketing,
            "unsubscribable": marketing or envelope.category not in NON_OPTIONAL,
            "unsubscribe_url": f"{base}/u/{unsubscribe}",
            "pixel_url": f"{base}/t/o/{opened}.gif",
            "link": link,
            "language": envelope.language,
        }

    def parts(self, envelope: Envelope) -> dict[str, str]:
        """``subject``, ``text``, ``html``, ``short`` and ``unsubscribe_url`` (empty when the
        category cannot be unsubscribed) for ``envelope``."""
        context = self.context(envelope)
        lang = envelope.language
        main = self._template(lang, f"{envelope.template}.txt.j2")
        subject = _block(main, "subject", context).strip()
        body = _block(main, "body", context).strip()
        short = _block(main, "short", context).strip() if "short" in main.blocks else body
        footer = self.env.get_template(f"{lang}/_footer.txt.j2").render(context).strip()
        short_footer = self.env.get_template(f"{lang}/_footer.short.j2").render(context).strip()
        text = f"{body}\n\n{footer}\n"
        try:
            page = self._template(lang, f"{envelope.template}.html.j2")
        except TemplateNotFound:
            page = self.env.get_template(f"{lang}/_layout.html.j2")
            context = {**context, "body_html": _paragraphs(body)}
        html_part = page.render(context, subject=subject)
        short_text = f"{short}\n{short_footer}".strip() if short_footer else short
        unsubscribe = context["unsubscribe_url"] if context["unsubscribable"] else ""
        return {
            "subject": subject,
            "text": text,
            "html": html_part,
            "short": short_text,
            "unsubscribe_url": unsubscribe,
        }

    def _template(self, lang: str, name: str) -> Template:
        try:
            return self.env.get_template(f"{lang}/{name}")
        except TemplateNotFound:
            if lang == "en":
                raise
            return self.env.get_template(f"en/{name}")


def _block(template: Template, name: str, context: dict[str, Any]) -> str:
    return "".join(template.blocks[name](template.new_context(context)))


def _paragraphs(text: str) -> str:
    """Plain text as HTML paragraphs, with URLs made into links (already tracked)."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        escaped = html.escape(para)
        linked = _URL.sub(r'<a href="\1">\1</a>', escaped)
        out.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


def missing_context(template: str, context: Mapping[str, Any]) -> list[str]:
    """The required keys of ``template`` that ``context`` lacks (for previews and validation)."""
    return [key for key in REQUIRED.get(template, ()) if key not in context]


def load_renderer(session: Session, settings: ChannelSettings | None = None) -> Renderer:
    """A renderer with the shop's template overrides from the database."""
    rows = session.execute(
        select(MessageTemplate.name, MessageTemplate.language, MessageTemplate.source)
    )
    return Renderer({(name, lang): source for name, lang, source in rows}, settings)
