"""The guards' pure decision: one rule at a time, in order, with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from kizuna.automation.guards import (
    Candidate,
    Decision,
    Facts,
    FrequencyCap,
    GuardPolicy,
    QuietHours,
    decide,
    quiet_until,
)

NOON_JST = datetime(2024, 6, 3, 3, 0, tzinfo=UTC)
POLICY = GuardPolicy()
OK = Facts(consent=True)


@pytest.mark.parametrize(
    ("candidate", "facts", "expected"),
    [
        pytest.param(Candidate(1, "email"), OK, Decision("send"), id="consented_marketing"),
        pytest.param(
            Candidate(1, "email"), Facts(), Decision("drop", "no_consent:email"), id="no_consent"
        ),
        pytest.param(
            Candidate(1, "email"),
            Facts(consent=True, is_problem=True),
            Decision("drop", "problem_customer"),
            id="problem_customer",
        ),
        pytest.param(
            Candidate(1, "email", "transactional", "shipping"),
            Facts(is_problem=True),
            Decision("send"),
            id="transactional_to_problem_customer",
        ),
        pytest.param(
            Candidate(1, "email"),
            Facts(consent=True, suppressed="suppressed:bounce"),
            Decision("drop", "suppressed:bounce"),
            id="suppressed",
        ),
        pytest.param(
            Candidate(1, "email", "transactional", "review_request"),
            Facts(suppressed="suppressed:unsubscribe"),
            Decision("drop", "suppressed:unsubscribe"),
            id="transactional_unsubscribed",
        ),
    ],
)
def test_rules(candidate: Candidate, facts: Facts, expected: Decision) -> None:
    assert decide(candidate, facts, POLICY, NOON_JST) == expected


class TestQuietHours:
    @pytest.mark.parametrize(
        ("jst", "reopen_jst"),
        [
            pytest.param((22, 30), (1, 9, 0), id="late_evening_to_next_morning"),
            pytest.param((3, 0), (0, 9, 0), id="small_hours_to_same_morning"),
            pytest.param((21, 0), (1, 9, 0), id="start_is_quiet"),
            pytest.param((9, 0), None, id="end_is_allowed"),
            pytest.param((12, 0), None, id="daytime"),
        ],
    )
    def test_quiet_until(
        self, jst: tuple[int, int], reopen_jst: tuple[int, int, int] | None
    ) -> None:
        at = datetime(2024, 6, 3, jst[0], jst[1], tzinfo=UTC) - timedelta(hours=9)
        got = quiet_until(at, QuietHours(), "Asia/Tokyo")
        if reopen_jst is None:
            assert got is None
        else:
            day, hour, minute = reopen_jst
            expected = datetime(2024, 6, 3 + day, hour, minute, tzinfo=UTC) - timedelta(hours=9)
            assert got == expected

    def test_sms_deferred_email_not_and_daytime_window(self) -> None:
        late = datetime(2024, 6, 3, 13, 0, tzinfo=UTC)  # 22:00 JST
        assert decide(Candidate(1, "sms"), OK, POLICY, late).reason == "quiet_hours"
        assert decide(Candidate(1, "email"), OK, POLICY, late).action == "send"
        lunch = GuardPolicy(
            quiet_hours=QuietHours(start=time(12), end=time(13), channels=["email"])
        )
        assert decide(Candidate(1, "email"), OK, lunch, NOON_JST).until == NOON_JST + timedelta(
            hours=1
        )


class TestFrequencyCap:
    def test_defer_until_the_oldest_counted_message_ages_out(self) -> None:
        recent = [NOON_JST - timedelta(days=d) for d in (1, 5, 2)]
        decision = decide(
            Candidate(1, "email"), Facts(consent=True, recent=recent), POLICY, NOON_JST
        )
        assert decision == Decision("defer", "frequency_cap", recent[1] + timedelta(days=7))

    def test_drop_rule_and_transactional_bypass(self) -> None:
        recent = [NOON_JST] * 3
        drop = GuardPolicy(frequency_cap=FrequencyCap(on_block="drop"))
        facts = Facts(consent=True, recent=recent)
        assert decide(Candidate(1, "email"), facts, drop, NOON_JST) == Decision(
            "drop", "frequency_cap"
        )
        shipping = Candidate(1, "email", "transactional", "shipping")
        assert decide(shipping, facts, drop, NOON_JST).action == "send"
