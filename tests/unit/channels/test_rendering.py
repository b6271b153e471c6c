"""Rendering: every packaged template in ja and en, the footers no template can forget, shop
overrides and missing context."""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import UndefinedError

from kizuna.channels import tokens
from kizuna.channels.base import Envelope
from kizuna.channels.config import ChannelSettings
from kizuna.channels.rendering import REQUIRED, Renderer, missing_context

SETTINGS = ChannelSettings(public_url="https://crm.example.jp", sender_name="絆ストア")
ITEM = {"name": "有田焼 茶碗", "price": "¥3,200", "url": "https://shop.example.jp/p/1"}
SAMPLE: dict[str, Any] = {
    "headline": "新作",
    "items": [ITEM],
    "coupon_code": "HB-123",
    "order_number": "A-1",
    "carrier": "ヤマト運輸",
    "tracking_url": "https://t.example.jp/1",
    "offer": "10%オフ",
    "review_url": "https://shop.example.jp/r/1",
    "points": 300,
    "expires_on": "2024-06-30",
}


def _envelope(template: str, language: str = "ja", kind: str = "marketing", **ctx: Any) -> Envelope:
    context = {key: SAMPLE[key] for key in REQUIRED[template]} | ctx
    context["customer"] = {"name": "山田 花子", "family_name": "山田", "given_name": "花子"}
    category = "shipping" if template == "shipping_notice" else "newsletter"
    return Envelope(7, "c:x:1", 1, "email", kind, category, template, language, "a@b.jp", context)


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("template", sorted(REQUIRED))
def test_every_default_template_renders_with_identity_and_opt_out(
    template: str, language: str
) -> None:
    kind = "transactional" if template == "shipping_notice" else "marketing"
    parts = Renderer(settings=SETTINGS).parts(_envelope(template, language, kind))
    assert parts["subject"] and "{{" not in parts["subject"]
    assert "絆ストア" in parts["text"] and "東京都千代田区" in parts["text"]
    assert "<html" in parts["html"] and "絆ストア" in parts["html"]
    if kind == "marketing":
        assert parts["unsubscribe_url"].startswith("https://crm.example.jp/u/")
        assert (
            parts["unsubscribe_url"] in parts["text"] and parts["unsubscribe_url"] in parts["short"]
        )
    else:
        assert parts["unsubscribe_url"] == ""


def test_links_are_signed_click_redirects_to_the_original_url() -> None:
    parts = Renderer(settings=SETTINGS).parts(_envelope("newsletter"))
    assert "https://shop.example.jp/p/1" not in parts["text"]
    token = parts["text"].split("https://crm.example.jp/t/c/")[1].split()[0]
    assert tokens.verify("click", token) == [7, "https://shop.example.jp/p/1"]
    unsubscribe = parts["unsubscribe_url"].rsplit("/", 1)[1]
    assert tokens.verify("unsubscribe", unsubscribe) == [1, "email", "marketing"]


def test_shop_override_replaces_the_packaged_file() -> None:
    source = (
        "{% block subject %}特売 {{ customer.name }} 様{% endblock %}"
        "{% block body %}本文{% endblock %}"
    )
    renderer = Renderer({("welcome.txt.j2", "ja"): source}, settings=SETTINGS)
    parts = renderer.parts(_envelope("welcome"))
    assert parts["subject"] == "特売 山田 花子 様"
    assert parts["text"].startswith("本文\n\n--\n絆ストア")


def test_missing_context_is_an_error_not_a_blank() -> None:
    envelope = _envelope("shipping_notice", kind="transactional")
    del envelope.context["carrier"]
    assert missing_context("shipping_notice", envelope.context) == ["carrier"]
    with pytest.raises(UndefinedError, match="carrier"):
        Renderer(settings=SETTINGS).parts(envelope)
