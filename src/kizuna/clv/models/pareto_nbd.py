"""Pareto/NBD: Poisson purchasing with an exponential lifetime.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting Your Customers: Who Are They
and What Will They Do Next? *Management Science* 33(1), 1–24.
Fader, P. S. & Hardie, B. G. S. (2005). A Note on Deriving the Pareto/NBD Model and Related
Expressions. http://brucehardie.com/notes/009/ (the likelihood and expectations used here).

While alive a customer buys at rate λ; the lifetime is exponential with rate μ; across customers
λ ~ Gamma(r, α) and μ ~ Gamma(s, β). The likelihood (note 009, equation 22):

    L = Γ(r+x) α^r β^s / Γ(r) · [ (α+T)^−(r+x) (β+T)^−s + s/(r+s+x) · A₀ ]

    A₀ = F(t_x) − F(T),   F(y) = ₂F₁(r+s+x, b; r+s+x+1; |α−β|/(max(α,β)+y)) / (max(α,β)+y)^(r+s+x)

with b = s+1 when α ≥ β and b = r+x when α < β (so that the argument is in [0, 1)). Each ₂F₁ is
taken through Euler's transformation, ₂F₁(A, b; A+1; z) = (1−z)^(1−b) ₂F₁(1, A+1−b; A+1; z), whose
series has positive terms bounded by 1/(1−z), so its logarithm never overflows; the difference
F(t_x) − F(T) is formed as u + log1p(−e^(v−u)). On CDNOW (weeks) the published estimates are
r=0.553, α=10.578, s=0.606, β=11.669 (LL ≈ −9595.0). P(alive) (note 009, equation 18) is the
alive term's share of L, from the base class.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import gammaln, hyp2f1

from kizuna.clv.data import CustomerSummary, Floats
from kizuna.clv.models.base import TransactionModel
from kizuna.clv.models.fitting import Design, finite


def _log_f(rsf: Floats, b: Floats, gap: float, top: float, y: Floats) -> Floats:
    """log F(y) = log ₂F₁(rsf, b; rsf+1; z) − rsf·log(top+y) with z = gap/(top+y)."""
    z = gap / (top + y)
    log_hyp = (1 - b) * np.log1p(-z) + np.log(hyp2f1(1.0, rsf + 1 - b, rsf + 1, z))
    return log_hyp - rsf * np.log(top + y)


class ParetoNBDModel(TransactionModel):
    """Pareto/NBD (Schmittlein, Morrison & Colombo 1987), in the Fader-Hardie (2005) form."""

    name: ClassVar[str] = "pnbd"
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")

    @classmethod
    def _parts(cls, p: Floats, d: Design) -> tuple[Floats, Floats, Floats]:
        r, alpha, s, beta = p
        xl = d.x_levels
        head = gammaln(r + xl) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + d.xT_x) * np.log(alpha + d.xT_T) - s * np.log(beta + d.xT_T)
        if alpha >= beta:
            gap, top, shape_of = alpha - beta, alpha, lambda x: s + 1 + 0 * x
        else:
            gap, top, shape_of = beta - alpha, beta, lambda x: r + x
        u = _log_f(r + s + d.xt_x, shape_of(d.xt_x), gap, top, d.xt_t)[d.i_xt]
        v = _log_f(r + s + d.xT_x, shape_of(d.xT_x), gap, top, d.xT_T)[d.i_xT]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_a0 = np.where(v < u, u + np.log1p(-np.exp(v - u)), -np.inf)
        dead = (np.log(s) - np.log(r + s + xl))[d.ix] + log_a0
        return head[d.ix], alive[d.i_xT], dead

    def _initial(self, summary: CustomerSummary) -> Floats:
        scale = max(float(np.mean(summary.T)), 1e-3)
        return np.array([1.0, scale, 1.0, scale])

    def expected_purchases(self, summary: CustomerSummary, t: float) -> Floats:
        """E[Y(t) | x, t_x, T] (note 009, equation 21):

        (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)

        with the s → 1 limit (r+x)/(α+T) · (β+T) · ln(1 + t/(β+T)) taken smoothly.
        """
        r, alpha, s, beta = p = self._p()

        def fn(d: Design) -> Floats:
            _, alive, dead = self._parts(p, d)
            p_alive = np.exp(alive - np.logaddexp(alive, dead))
            life = (beta + d.T) * _one_minus_pow_over(s - 1, np.log1p(t / (beta + d.T)))
            return (r + d.x) / (alpha + d.T) * life * p_alive

        return self._per_customer(summary, fn)

    def expected_purchases_new_customer(self, t: Floats | float) -> Floats:
        """E[X(t)] = rβ/(α(s−1)) · [1 − (β/(β+t))^(s−1)] (note 009, equation 17)."""
        r, alpha, s, beta = self._p()
        t = np.asarray(t, dtype=np.float64)
        out = r / alpha * beta * _one_minus_pow_over(s - 1, np.log1p(t / beta))
        return finite(np.atleast_1d(out), "pnbd expected purchases")


def _one_minus_pow_over(k: float, log_ratio: Floats) -> Floats:
    """(1 − e^(−k·L)) / k, and L in the limit k → 0 (so s = 1 needs no special case)."""
    if abs(k) < 1e-12:
        return np.asarray(log_ratio, dtype=np.float64)
    return -np.expm1(-k * log_ratio) / k
