"""Holdout assignment and uplift maths: published values, an independent implementation, and
simulated effects of known size."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from kizuna.automation.experiments import (
    ArmStats,
    arm_for,
    compare,
    newcombe,
    variant_for,
    welch,
    wilson,
)


class TestAssignment:
    def test_same_customer_same_arm_and_about_ten_percent_held_out(self) -> None:
        arms = [arm_for("journey:welcome", c) for c in range(20_000)]
        assert arms == [arm_for("journey:welcome", c) for c in range(20_000)]
        assert 0.09 < arms.count("holdout") / len(arms) < 0.11

    def test_experiments_draw_independently(self) -> None:
        a = {c for c in range(5000) if arm_for("campaign:a", c) == "holdout"}
        b = {c for c in range(5000) if arm_for("campaign:b", c) == "holdout"}
        assert 0 < len(a & b) < 0.03 * 5000  # about 1 % overlap, not the same people

    def test_configurable_share_and_weighted_variants(self) -> None:
        held = sum(arm_for("x", c, 0.25) == "holdout" for c in range(10_000))
        assert 2300 < held < 2700
        picks = [variant_for("ab", c, ["A", "B"], [3, 1]) for c in range(8000)]
        assert 0.72 < picks.count("A") / len(picks) < 0.78
        with pytest.raises(ValueError, match="holdout share"):
            arm_for("x", 1, 1.0)


class TestIntervals:
    def test_wilson_matches_the_published_example(self) -> None:
        # Newcombe (1998) Table I: 81/263 → 0.2553 to 0.3662
        lo, hi = wilson(81, 263)
        assert (round(lo, 4), round(hi, 4)) == (0.2553, 0.3662)

    @pytest.mark.parametrize(
        ("x1", "n1", "x2", "n2", "expected"),
        [
            pytest.param(56, 70, 48, 80, (0.0524, 0.3339), id="newcombe_1998_example_a"),
            pytest.param(9, 10, 3, 10, (0.1705, 0.8090), id="newcombe_1998_example_b"),
        ],
    )
    def test_newcombe_hybrid_score_matches_the_paper(
        self, x1: int, n1: int, x2: int, n2: int, expected: tuple[float, float]
    ) -> None:
        _, lo, hi = newcombe(x1, n1, x2, n2)
        assert (round(lo, 4), round(hi, 4)) == expected

    def test_welch_matches_scipy(self) -> None:
        rng = random.Random(7)
        a = [rng.expovariate(1 / 3000) if rng.random() < 0.2 else 0.0 for _ in range(900)]
        b = [rng.expovariate(1 / 3000) if rng.random() < 0.15 else 0.0 for _ in range(110)]
        diff, lo, hi, p = welch(ArmStats.from_values(a), ArmStats.from_values(b))
        ref = stats.ttest_ind(a, b, equal_var=False)
        ci = ref.confidence_interval(0.95)
        assert p == pytest.approx(ref.pvalue, rel=1e-9)
        assert (lo, hi) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))
        assert diff == pytest.approx(sum(a) / len(a) - sum(b) / len(b))


def _simulate(
    seed: int, n: int, base: float, lift: float, share: float = 0.1
) -> tuple[ArmStats, ArmStats]:
    rng = random.Random(seed)
    arms: dict[str, list[float]] = {"treatment": [], "holdout": []}
    for c in range(n):
        arm = arm_for(f"sim{seed}", c, share)
        p = base + (lift if arm == "treatment" else 0.0)
        arms[arm].append(float(rng.randint(2000, 8000)) if rng.random() < p else 0.0)
    return ArmStats.from_values(arms["treatment"]), ArmStats.from_values(arms["holdout"])


class TestSimulatedEffects:
    def test_known_uplift_is_inside_the_interval_and_significant(self) -> None:
        # 10 % base conversion, +5 points for treated customers, 20,000 customers
        treatment, holdout = _simulate(1, 20_000, 0.10, 0.05)
        report = compare(treatment, holdout)
        _, lo, hi = report.rate_diff
        assert lo < 0.05 < hi and lo > 0
        assert report.verdict == "uplift" and report.rate_significant
        assert report.revenue_significant and report.revenue_diff[1] > 0  # ≈ 0.05 × ¥5,000

    def test_coverage_of_the_interval_is_about_95_percent(self) -> None:
        covered = 0
        for seed in range(200):
            treatment, holdout = _simulate(100 + seed, 3000, 0.2, 0.04, share=0.3)
            _, lo, hi = compare(treatment, holdout).rate_diff
            covered += lo <= 0.04 <= hi
        assert 0.90 <= covered / 200 <= 0.99

    def test_no_effect_is_reported_as_no_significant_difference(self) -> None:
        treatment, holdout = _simulate(3, 5000, 0.1, 0.0)
        report = compare(treatment, holdout)
        assert report.verdict == "no_significant_difference"
        assert "points in conversion would be detected" in report.note

    def test_a_few_dozen_customers_get_a_plain_sample_too_small(self) -> None:
        treatment, holdout = _simulate(4, 200, 0.1, 0.05)
        report = compare(treatment, holdout)
        assert report.verdict == "sample_too_small"
        assert report.note.startswith("sample too small")
        assert not report.rate_significant
        assert report.to_dict()["verdict"] == "sample_too_small"
