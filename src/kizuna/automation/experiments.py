"""Holdout experiments: every journey and campaign keeps a random share of its eligible customers
out (10 % by default) and measures what the messages changed.

Assignment is deterministic: ``arm_for(experiment, customer)`` hashes the pair, so a customer is
always in the same arm of the same experiment, on any machine, without storing anything first;
``assign`` logs the first time a customer was eligible, which starts the conversion window for
both arms alike (the holdout gets no message, so "after the send" is "after the assignment").

Uplift is treatment minus holdout: conversion rate with the Newcombe hybrid score interval (built
from two Wilson intervals; Newcombe 1998, method 10), revenue per customer with Welch's t
interval. "Significant" means the 95 % interval excludes zero. With few customers the report says
so instead of guessing (``MIN_ARM``, ``MIN_EVENTS``).

References: E. B. Wilson (1927), JASA 22:209; R. G. Newcombe (1998), Stat. Med. 17:873–890;
B. L. Welch (1947), Biometrika 34:28–35.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

ARMS = ("treatment", "holdout")
DEFAULT_HOLDOUT = 0.10
MIN_ARM = 30  # customers per arm
MIN_EVENTS = 5  # converters and non-converters per arm, for the normal approximations


def _unit(*parts: object) -> float:
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def arm_for(experiment: str, customer_id: int, holdout_share: float = DEFAULT_HOLDOUT) -> str:
    """``holdout`` for a stable ``holdout_share`` of customers, else ``treatment``."""
    if not 0 <= holdout_share < 1:
        raise ValueError(f"holdout share must be in [0, 1), not {holdout_share}")
    return "holdout" if _unit(experiment, customer_id) < holdout_share else "treatment"


def variant_for(
    experiment: str, customer_id: int, variants: Sequence[str], weights: Sequence[float] = ()
) -> str:
    """A stable weighted pick among ``variants`` (A/B tests, random-split branches); independent
    of the holdout draw."""
    if not variants:
        raise ValueError("no variants to choose from")
    weights = list(weights) or [1.0] * len(variants)
    point, total = _unit(experiment, "variant", customer_id) * sum(weights), 0.0
    for name, weight in zip(variants, weights, strict=True):
        total += weight
        if point < total:
            return name
    return variants[-1]


@dataclass(frozen=True, slots=True)
class ArmStats:
    """One arm: customers, converters, revenue sum and sum of squares (per customer)."""

    n: int
    converters: int
    revenue: float
    revenue_sq: float

    @property
    def rate(self) -> float:
        """Conversion rate."""
        return self.converters / self.n if self.n else 0.0

    @property
    def mean(self) -> float:
        """Revenue per customer."""
        return self.revenue / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        """Sample variance of revenue per customer (ddof = 1)."""
        if self.n < 2:
            return 0.0
        return max((self.revenue_sq - self.n * self.mean**2) / (self.n - 1), 0.0)

    def to_dict(self) -> dict[str, float]:
        """JSON form."""
        return {
            "customers": self.n,
            "converters": self.converters,
            "conversion_rate": self.rate,
            "revenue": self.revenue,
            "revenue_per_customer": self.mean,
        }

    @classmethod
    def from_values(cls, revenues: Sequence[float]) -> ArmStats:
        """Stats from one revenue figure per customer (0 for non-converters)."""
        return cls(
            len(revenues),
            sum(1 for r in revenues if r > 0),
            float(sum(revenues)),
            float(sum(r * r for r in revenues)),
        )


def wilson(x: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``x / n``."""
    if n == 0:
        return (0.0, 1.0)
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def newcombe(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float]:
    """``p1 − p2`` and its Newcombe hybrid score interval (method 10)."""
    p1, p2 = (x1 / n1 if n1 else 0.0), (x2 / n2 if n2 else 0.0)
    l1, u1 = wilson(x1, n1, confidence)
    l2, u2 = wilson(x2, n2, confidence)
    diff = p1 - p2
    return (diff, diff - math.hypot(p1 - l1, u2 - p2), diff + math.hypot(u1 - p1, p2 - l2))


def welch(a: ArmStats, b: ArmStats, confidence: float = 0.95) -> tuple[float, float, float, float]:
    """``mean_a − mean_b``, its Welch t interval and the two-sided p-value."""
    diff = a.mean - b.mean
    va, vb = (a.variance / a.n if a.n else 0.0), (b.variance / b.n if b.n else 0.0)
    se = math.sqrt(va + vb)
    if se == 0 or a.n < 2 or b.n < 2:
        return (diff, diff, diff, 1.0 if diff == 0 else 0.0)
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    t = stats.t.ppf(0.5 + confidence / 2, df)
    p = 2 * stats.t.sf(abs(diff) / se, df)
    return (diff, diff - t * se, diff + t * se, float(p))


@dataclass(frozen=True, slots=True)
class Uplift:
    """Treatment vs holdout: the two arms, the differences with intervals, and a verdict."""

    treatment: ArmStats
    holdout: ArmStats
    rate_diff: tuple[float, float, float]
    revenue_diff: tuple[float, float, float]
    revenue_p: float
    confidence: float
    verdict: str
    note: str

    @property
    def rate_significant(self) -> bool:
        """The conversion interval excludes zero (and the sample is large enough)."""
        _, lo, hi = self.rate_diff
        return self.verdict != "sample_too_small" and (lo > 0 or hi < 0)

    @property
    def revenue_significant(self) -> bool:
        """The revenue-per-customer interval excludes zero (and the sample is large enough)."""
        _, lo, hi = self.revenue_diff
        return self.verdict != "sample_too_small" and (lo > 0 or hi < 0)

    def to_dict(self) -> dict[str, object]:
        """JSON form for the API, the CLI's ``--json`` and the dashboard."""
        return {
            "treatment": self.treatment.to_dict(),
            "holdout": self.holdout.to_dict(),
            "conversion_uplift": dict(zip(("diff", "low", "high"), self.rate_diff, strict=True)),
            "revenue_uplift": dict(zip(("diff", "low", "high"), self.revenue_diff, strict=True)),
            "revenue_p_value": self.revenue_p,
            "confidence": self.confidence,
            "conversion_significant": bool(self.rate_significant),
            "revenue_significant": bool(self.revenue_significant),
            "verdict": self.verdict,
            "note": self.note,
        }


def compare(treatment: ArmStats, holdout: ArmStats, confidence: float = 0.95) -> Uplift:
    """Uplift of ``treatment`` over ``holdout`` with intervals and a plain verdict."""
    rate = newcombe(treatment.converters, treatment.n, holdout.converters, holdout.n, confidence)
    diff, lo, hi, p = welch(treatment, holdout, confidence)
    small = _too_small(treatment, holdout)
    if small:
        verdict, note = "sample_too_small", small
    elif rate[1] > 0:
        verdict, note = "uplift", "the messages raised conversion"
    elif rate[2] < 0:
        verdict, note = "harm", "customers who got the messages converted less"
    else:
        verdict, note = "no_significant_difference", _mde_note(treatment, holdout, confidence)
    return Uplift(treatment, holdout, rate, (diff, lo, hi), p, confidence, verdict, note)


def _too_small(t: ArmStats, h: ArmStats) -> str:
    if min(t.n, h.n) < MIN_ARM:
        return (
            f"sample too small: {t.n} treated and {h.n} held out; at least {MIN_ARM} per "
            "arm are needed before the difference means anything"
        )
    events = min(t.converters, h.converters, t.n - t.converters, h.n - h.converters)
    if events < MIN_EVENTS:
        return (
            f"sample too small: each arm needs at least {MIN_EVENTS} converters and "
            f"{MIN_EVENTS} non-converters (treatment {t.converters}/{t.n}, holdout "
            f"{h.converters}/{h.n})"
        )
    return ""


def _mde_note(t: ArmStats, h: ArmStats, confidence: float) -> str:
    pooled = (t.converters + h.converters) / (t.n + h.n)
    z = stats.norm.ppf(0.5 + confidence / 2) + stats.norm.ppf(0.8)
    mde = z * math.sqrt(pooled * (1 - pooled) * (1 / t.n + 1 / h.n))
    return (
        f"no significant difference; with these sizes only a change of about "
        f"{mde * 100:.1f} points in conversion would be detected (80% power)"
    )
