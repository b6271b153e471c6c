"""The functions docs/loyalty.md and the lead's wiring rely on exist under these names."""

from __future__ import annotations

import importlib

import pytest

SURFACE = {
    "kizuna.loyalty.ledger.post": [
        "do_earn",
        "do_redeem",
        "do_hold",
        "do_capture",
        "do_release",
        "do_adjust",
        "do_expire",
        "do_earn_for_order",
        "do_award",
        "do_reverse_for_return",
        "do_reverse_for_cancellation",
    ],
    "kizuna.loyalty.ledger.balance": ["balance", "history", "points_liability", "verify_ledger"],
    "kizuna.loyalty.stages": ["stage_status", "next_stage_gap", "evaluate_stage", "stage_history"],
    "kizuna.loyalty.stage_eval": ["evaluate_all_stages", "preview_stage_distribution"],
    "kizuna.loyalty.benefits": [
        "benefits_for",
        "birthday_gift",
        "can_buy_early",
        "monthly_benefit_cost",
    ],
    "kizuna.loyalty.coupons": [
        "do_create_template",
        "do_issue_coupons",
        "validate_coupon",
        "do_redeem_coupon",
        "do_reverse_coupon",
    ],
    "kizuna.loyalty.quote": ["quote", "Cart", "CartLine"],
    "kizuna.loyalty.queries": ["loyalty_status", "stage_distribution", "stage_movements"],
    "kizuna.loyalty.tasks": ["expire_points", "release_expired_holds", "evaluate_stages"],
    "kizuna.loyalty.versions": ["active_programme", "do_publish_programme", "programme_history"],
    "kizuna.loyalty.programme": ["Programme", "default_programme", "loads", "dumps"],
}


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_public_functions_exist(module: str) -> None:
    loaded = importlib.import_module(module)
    missing = [name for name in SURFACE[module] if not hasattr(loaded, name)]
    assert missing == []
