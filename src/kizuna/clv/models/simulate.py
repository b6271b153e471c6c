"""Customer summaries drawn from each model's own generative process (tests, benchmarks, demo).

Vectorised, no per-purchase loop: given a customer's rate λ and observed life ℓ ≤ T, the number
of purchases in (0, ℓ] is Poisson(λℓ) and, given n of them, their times are uniform order
statistics, so the k-th is ℓ·Beta(k, n−k+1) and the last is ℓ·U^(1/n).

* BG/NBD: p ~ Beta(a, b); the customer drops out right after the K-th repeat purchase with
  K ~ Geometric(p) on {1, 2, …}, so x = min(K, N(T)) and t_x is the x-th of the N(T) arrivals.
* Pareto/NBD: μ ~ Gamma(s, β); the lifetime τ ~ Exp(μ); x = N(min(τ, T)).

``T`` is one value or one per customer (e.g. customers acquired over a year). With
``whole_days=True`` times are floored to whole units, as a day-level summary from real data is.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from kizuna.clv.data import CustomerSummary, Floats, TimeUnit


def simulate_bgnbd(
    params: Mapping[str, float],
    T: ArrayLike,
    *,
    n: int | None = None,
    rng: np.random.Generator | None = None,
    time_unit: TimeUnit = "week",
    whole_days: bool = False,
) -> CustomerSummary:
    """A summary of ``n`` customers drawn from BG/NBD(r, alpha, a, b)."""
    rng = rng or np.random.default_rng()
    ages = _ages(T, n)
    lam = rng.gamma(params["r"], 1 / params["alpha"], len(ages))
    p = rng.beta(params["a"], params["b"], len(ages))
    arrivals = rng.poisson(lam * ages)
    lifetime_purchases = rng.geometric(p)
    x = np.minimum(arrivals, lifetime_purchases)
    t_x = _kth_arrival(rng, x, arrivals, ages)
    return _summary(x, t_x, ages, time_unit, whole_days)


def simulate_pnbd(
    params: Mapping[str, float],
    T: ArrayLike,
    *,
    n: int | None = None,
    rng: np.random.Generator | None = None,
    time_unit: TimeUnit = "week",
    whole_days: bool = False,
) -> CustomerSummary:
    """A summary of ``n`` customers drawn from Pareto/NBD(r, alpha, s, beta)."""
    rng = rng or np.random.default_rng()
    ages = _ages(T, n)
    lam = rng.gamma(params["r"], 1 / params["alpha"], len(ages))
    mu = rng.gamma(params["s"], 1 / params["beta"], len(ages))
    life = np.minimum(rng.exponential(1 / mu), ages)
    x = rng.poisson(lam * life)
    t_x = _kth_arrival(rng, x, x, life)
    return _summary(x, t_x, ages, time_unit, whole_days)


def simulate_spend(
    params: Mapping[str, float], frequency: ArrayLike, *, rng: np.random.Generator | None = None
) -> Floats:
    """Mean of ``frequency`` purchase values per customer under Gamma-Gamma(p, q, v); 0 if none."""
    rng = rng or np.random.default_rng()
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(params["q"], 1 / params["v"], len(x))
    total = rng.gamma(np.maximum(params["p"] * x, 1e-12), 1 / nu)
    return np.where(x > 0, total / np.maximum(x, 1), 0.0)


def _ages(T: ArrayLike, n: int | None) -> Floats:
    ages = np.asarray(T, dtype=np.float64)
    return np.full(n or 1, float(ages)) if ages.ndim == 0 else ages.copy()


def _kth_arrival(rng: np.random.Generator, k: np.ndarray, n: np.ndarray, span: Floats) -> Floats:
    """Time of the k-th of n uniform arrivals on (0, span]; 0 where k = 0."""
    safe_k, safe_rest = np.maximum(k, 1), np.maximum(n - k + 1, 1)
    return np.where(k > 0, span * rng.beta(safe_k, safe_rest), 0.0)


def _summary(x: np.ndarray, t_x: Floats, T: Floats, unit: TimeUnit, whole: bool) -> CustomerSummary:
    if whole:
        t_x, T = np.floor(t_x), np.floor(T)
    return CustomerSummary(
        frequency=x.astype(np.float64), recency=np.minimum(t_x, T), T=T, time_unit=unit
    )
