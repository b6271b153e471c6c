"""The ready-made journeys: valid documents, known triggers/actions/providers, and every message
template they send exists in Japanese and English."""

from __future__ import annotations

from importlib import resources

import pytest

from kizuna.automation.journeys import content
from kizuna.automation.journeys.actions import HANDLERS as ACTION_HANDLERS
from kizuna.automation.journeys.definition import Action
from kizuna.automation.journeys.enrol import HANDLERS as TRIGGER_HANDLERS
from kizuna.automation.journeys.presets import COUPONS, names, preset
from kizuna.automation.journeys.registry import ACTIONS, TRIGGERS
from kizuna.automation.journeys.service import describe_step

TEMPLATES = resources.files("kizuna.channels") / "templates"
FLOWS = {
    "welcome": "first_purchase",
    "birthday": "birthday",
    "anniversary": "anniversary",
    "cart_abandonment": "cart_abandoned",
    "review_request": "review_request",
    "survey_request": "survey_request",
    "shipping_notice": "shipped",
    "dormant_winback": "dormant",
    "stage_up": "stage_changed",
    "points_expiring": "points_expiring",
    "warranty_expiring": "warranty_expiring",
}


def test_every_flow_of_the_issue_has_a_preset() -> None:
    assert {key: preset(key).trigger.type for key in names()} == FLOWS


def test_every_registered_trigger_and_action_has_a_handler() -> None:
    assert set(TRIGGER_HANDLERS) == set(TRIGGERS)
    assert set(ACTION_HANDLERS) == set(ACTIONS)


@pytest.mark.parametrize("key", sorted(FLOWS))
def test_preset_messages_exist_in_both_languages(key: str) -> None:
    journey = preset(key)
    assert journey.enabled is False and journey.name and journey.name_en
    sends = [s for s in journey.steps if isinstance(s, Action) and s.action == "send_message"]
    assert sends, f"{key} sends no message"
    for step in sends:
        template = step.params["template"]
        for lang in ("ja", "en"):
            assert (TEMPLATES / lang / f"{template}.txt.j2").is_file(), f"{lang}/{template}"
        assert set(step.params.get("with", [])) <= set(content.PROVIDERS)
        assert describe_step(step).startswith(f"Send {template} by")
    coupons = [
        s.params["coupon"]
        for s in journey.steps
        if isinstance(s, Action) and s.action == "issue_coupon"
    ]
    assert set(coupons) <= set(COUPONS)


def test_only_the_shipping_notice_is_transactional_and_without_holdout() -> None:
    holdouts = {key: preset(key).holdout_share for key in names()}
    assert holdouts.pop("shipping_notice") == 0.0
    assert set(holdouts.values()) == {0.10}
    [notice] = preset("shipping_notice").steps
    assert isinstance(notice, Action) and notice.params["kind"] == "transactional"
