"""Japanese and English catalogs carry the same keys, and every key a template uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from kizuna.kit.i18n import catalog, translate

TEMPLATES = Path(__file__).resolve().parents[3] / "src" / "kizuna" / "web" / "ui" / "templates"


def test_catalogs_have_the_same_keys() -> None:
    assert set(catalog("ja")) == set(catalog("en"))


def test_every_literal_key_used_in_templates_exists() -> None:
    used = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r't\("([a-z_.]+)"\)', template.read_text(encoding="utf-8")))
    missing = sorted(key for key in used if key not in catalog("ja"))
    assert missing == []


def test_translate_fills_values_and_falls_back_to_the_key() -> None:
    assert translate("nav.customers", "ja") == "顧客"
    assert translate("nav.customers", "en") == "Customers"
    assert translate("no.such.key", "ja") == "no.such.key"
