"""Pure rules of journeys and campaigns: forward-only documents, step labels, the cart
verdict, birthdays on 29 February, ages, campaign content merging and the A/B winner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from kizuna.automation.campaigns import CampaignDoc, content_for, winner
from kizuna.automation.experiments import ArmStats
from kizuna.automation.journeys.conditions import age_on
from kizuna.automation.journeys.definition import Journey
from kizuna.automation.journeys.presets import preset
from kizuna.automation.journeys.scanners import _month_days, _same_day
from kizuna.automation.journeys.service import describe_step
from kizuna.automation.journeys.triggers import _cart_verdict

AT = datetime(2024, 6, 3, 5, 0, tzinfo=UTC)


def _doc(steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {"key": "j", "name": "j", "trigger": {"type": "order_placed"}, "steps": steps}


class TestDocument:
    def test_jumps_only_go_forward(self) -> None:
        steps = [
            {"type": "action", "id": "a", "action": "notify_staff"},
            {"type": "action", "id": "b", "action": "notify_staff", "next": "a"},
        ]
        with pytest.raises(ValidationError, match="step 'b' goes back to 'a'"):
            Journey.model_validate(_doc(steps))

    def test_next_skips_ahead_and_after_follows_it(self) -> None:
        journey = preset("dormant_winback")
        assert journey.after("letter") == "wait"
        assert journey.after("offer") == "wait"
        assert journey.after("point_up_note") == "exit"

    @pytest.mark.parametrize(
        ("step_id", "label"),
        [
            pytest.param("coupon", "Issue the coupon WINBACK", id="action"),
            pytest.param(
                "by_age",
                "Branch: Is at least 60 years old → letter; otherwise → offer",
                id="branch",
            ),
            pytest.param("wait", "Wait 14 day(s)", id="wait"),
            pytest.param(
                "still_dormant",
                "If: Has not ordered since entering; otherwise go to exit",
                id="check",
            ),
            pytest.param("point_up", "Grant 300 points", id="points"),
        ],
    )
    def test_steps_read_as_labels(self, step_id: str, label: str) -> None:
        assert describe_step(preset("dormant_winback").step(step_id)) == label


class TestCartVerdict:
    ENROLMENT = SimpleNamespace(entered_at=AT)
    HOURS = timedelta(hours=3)

    def test_items_added_and_not_removed_after_the_quiet_period(self) -> None:
        activity = [
            (AT, "cart_add", "A"),
            (AT + timedelta(hours=1), "cart_add", "B"),
            (AT + timedelta(hours=2), "cart_remove", "A"),
        ]
        verdict = _cart_verdict(self.ENROLMENT, activity, [], self.HOURS, AT + timedelta(hours=5))
        assert (verdict.go, verdict.context) == (True, {"skus": ["B"]})

    def test_newer_activity_looks_again_later(self) -> None:
        activity = [(AT, "cart_add", "A"), (AT + timedelta(hours=2), "checkout_start", None)]
        verdict = _cart_verdict(self.ENROLMENT, activity, [], self.HOURS, AT + timedelta(hours=3))
        assert (verdict.go, verdict.later) == (False, AT + timedelta(hours=5))

    def test_a_purchase_or_an_empty_cart_exits(self) -> None:
        added = [(AT, "cart_add", "A")]
        bought = _cart_verdict(
            self.ENROLMENT, added, [AT + timedelta(hours=1)], self.HOURS, AT + timedelta(hours=4)
        )
        emptied = [*added, (AT + timedelta(minutes=5), "cart_remove", "A")]
        empty = _cart_verdict(self.ENROLMENT, emptied, [], self.HOURS, AT + timedelta(hours=4))
        assert (bought.exit_reason, empty.exit_reason) == ("purchased", "cart_empty")


class TestDates:
    def test_29_february_is_celebrated_on_the_28th_in_common_years(self) -> None:
        assert _same_day(date(2000, 2, 29), 2023) == date(2023, 2, 28)
        assert _same_day(date(2000, 2, 29), 2024) == date(2024, 2, 29)
        assert _month_days([date(2023, 2, 28)]) == [(2, 28), (2, 29)]
        assert _month_days([date(2024, 2, 28)]) == [(2, 28)]

    @pytest.mark.parametrize(
        ("born", "day", "age"),
        [
            pytest.param(date(1964, 6, 4), date(2024, 6, 3), 59, id="day_before"),
            pytest.param(date(1964, 6, 3), date(2024, 6, 3), 60, id="birthday"),
            pytest.param(None, date(2024, 6, 3), None, id="unknown"),
        ],
    )
    def test_age_in_whole_years(self, born: date | None, day: date, age: int | None) -> None:
        assert age_on(born, day) == age


class TestCampaignContent:
    DOC = CampaignDoc.model_validate(
        {
            "key": "c",
            "name": "c",
            "context": {"items": []},
            "i18n": {"ja": {"headline": "セール"}},
            "by_rank": [
                {"ranks": ["dormant"], "template": "dormant_offer", "context": {"offer": "20%"}}
            ],
            "variants": [
                {"name": "A", "weight": 3},
                {"name": "B", "i18n": {"ja": {"headline": "送料無料"}}},
            ],
        }
    )

    def test_rank_block_then_variant_override_the_base(self) -> None:
        picks = {cid: content_for(self.DOC, cid, "dormant") for cid in range(400)}
        names = [name for name, _ in picks.values()]
        assert 0.65 < names.count("A") / 400 < 0.85
        b = next(c for name, c in picks.values() if name == "B")
        assert (b.template, b.context, b.i18n) == (
            "dormant_offer",
            {"items": [], "offer": "20%"},
            {"ja": {"headline": "送料無料"}},
        )
        _, general = content_for(self.DOC.model_copy(update={"variants": []}), 1, "repeat")
        assert (general.template, general.i18n) == ("newsletter", {"ja": {"headline": "セール"}})


class TestWinner:
    def test_the_best_variant_must_beat_every_other_significantly(self) -> None:
        strong = ArmStats.from_values([1000.0] * 100 + [0.0] * 100)
        weak = ArmStats.from_values([1000.0] * 20 + [0.0] * 180)
        close = ArmStats.from_values([1000.0] * 95 + [0.0] * 105)
        assert winner({"A": strong, "B": weak})["variant"] == "A"
        undecided = winner({"A": strong, "B": weak, "C": close})
        assert (undecided["variant"], undecided["leader"]) == (None, "A")
        assert "A vs C: no significant difference" in undecided["note"]
        assert winner({"A": strong})["variant"] is None
