"""Who counts as satisfied, and the NPS / CSAT of a set of answers."""

from __future__ import annotations

import pytest

from kizuna.feedback.scoring import in_range, sentiment, summarise


class TestSentiment:
    @pytest.mark.parametrize(
        ("kind", "score", "expected"),
        [
            pytest.param("nps", 10, "satisfied", id="nps_10_promoter"),
            pytest.param("nps", 9, "satisfied", id="nps_9_promoter"),
            pytest.param("nps", 8, "neutral", id="nps_8_passive"),
            pytest.param("nps", 7, "neutral", id="nps_7_passive"),
            pytest.param("nps", 6, "dissatisfied", id="nps_6_detractor"),
            pytest.param("nps", 0, "dissatisfied", id="nps_0_detractor"),
            pytest.param("csat", 5, "satisfied", id="csat_5"),
            pytest.param("csat", 4, "satisfied", id="csat_4"),
            pytest.param("csat", 3, "neutral", id="csat_3"),
            pytest.param("csat", 2, "dissatisfied", id="csat_2"),
            pytest.param("rating", 1, "dissatisfied", id="rating_1"),
        ],
    )
    def test_boundaries(self, kind: str, score: int, expected: str) -> None:
        assert sentiment(kind, score) == expected


class TestSummarise:
    def test_nps_is_promoters_minus_detractors_in_percent(self) -> None:
        # given 5 promoters, 3 passives and 2 detractors out of 10
        summary = summarise("nps", [10, 9, 9, 10, 9, 8, 7, 7, 3, 6])
        # then NPS = 50 % − 20 % = 30
        assert (summary.satisfied, summary.neutral, summary.dissatisfied) == (5, 3, 2)
        assert summary.score == 30.0
        assert summary.satisfied_share == 50.0
        assert summary.dissatisfied_share == 20.0
        assert summary.average == 7.8
        assert summary.distribution[9] == 3
        assert summary.distribution[0] == 0
        assert len(summary.distribution) == 11

    def test_csat_is_the_share_of_4_and_5(self) -> None:
        summary = summarise("csat", [5, 4, 3, 2, 5, 1])
        assert summary.score == 50.0
        assert summary.to_dict()["distribution"] == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 2}

    def test_no_answers_has_no_score(self) -> None:
        summary = summarise("nps", [])
        assert (summary.answered, summary.score, summary.average) == (0, None, None)
        assert summary.satisfied_share is None

    def test_all_detractors_is_minus_100(self) -> None:
        assert summarise("nps", [0, 1, 2]).score == -100.0


@pytest.mark.parametrize(
    ("kind", "score", "ok"),
    [
        ("nps", 0, True),
        ("nps", 10, True),
        ("nps", 11, False),
        ("nps", -1, False),
        ("csat", 0, False),
        ("csat", 5, True),
        ("rating", 6, False),
    ],
)
def test_in_range(kind: str, score: int, ok: bool) -> None:
    assert in_range(kind, score) is ok
