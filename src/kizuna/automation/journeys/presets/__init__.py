"""Ready-made journeys, as data: one TOML document per flow in this folder (the shop edits its
stored copy, never these files). Messages use the packaged templates, in Japanese and English
(``channels/templates/{ja,en}/``); the customer's ``attributes.language`` picks one.

``COUPONS`` are the coupon templates the presets issue (``issue_coupon``);
``service.install_presets`` creates the ones the shop does not have yet, so the birthday and
win-back journeys work at once.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from kizuna.automation.journeys.definition import Journey

COUPONS: dict[str, dict[str, Any]] = {
    "BIRTHDAY": {
        "name": "誕生日クーポン ¥500 / Birthday ¥500 off",
        "rules": {"kind": "amount", "value": 500, "min_spend_yen": 3000},
    },
    "WINBACK": {
        "name": "おかえりなさいクーポン 10% / Welcome back 10% off",
        "rules": {"kind": "percent", "value": 10, "max_discount_yen": 2000},
    },
}


def names() -> list[str]:
    """The keys of the packaged presets, sorted."""
    folder = resources.files(__package__)
    files = [p.name for p in folder.iterdir()]
    return sorted(name.removesuffix(".toml") for name in files if name.endswith(".toml"))


def preset(key: str) -> Journey:
    """The packaged preset ``key`` as a validated journey document."""
    text = resources.files(__package__).joinpath(f"{key}.toml").read_text(encoding="utf-8")
    return Journey.model_validate(tomllib.loads(text))


def presets() -> list[Journey]:
    """Every packaged preset."""
    return [preset(key) for key in names()]
