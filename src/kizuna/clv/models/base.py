"""The base of the purchase-count models (BG/NBD, Pareto/NBD): fit, and likelihood-based output.

A subclass supplies ``_parts(params, design)``: per distinct row, the log of the common factor,
of the "still alive at T" term and of the "dropped out before T" term, whose log-sum-exp is the
row's log-likelihood; optionally ``_loglik_and_grad`` (the summed log-likelihood and its gradient
in log-parameter space); and its closed-form ``expected_*`` methods. Fitting, standard errors and
the outputs below come from here:

* P(alive | x, t_x, T) = e^alive / (e^alive + e^dead), the posterior weight of the alive term;
* P(no purchase in (T, T+t] | x, t_x, T) = L(x, t_x, T+t) / L(x, t_x, T) for both models (a
  quiet (T, T+t] is exactly the event of an observation window that ends later), hence churn
  risk and the next-purchase time.

Computes only; reads and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar, Self

import numpy as np
from numpy.typing import NDArray

from kizuna.clv.data import CustomerSummary, Floats
from kizuna.clv.models.fitting import (
    ClvFitError,
    Design,
    FitOptions,
    FitResult,
    Memo,
    NotFitted,
    dot,
    finite,
    hessian,
    minimise,
    standard_errors,
)
from kizuna.kit.errors import ValidationFailed

_LONGEST = 1e12  # model time units: the bisection's upper end for the next-purchase time


class TransactionModel:
    """Purchase-count model: ``Model(options).fit(summary)``, then the ``expected_*`` methods."""

    name: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]
    analytic_gradient: ClassVar[bool] = False
    """True when the subclass implements ``_loglik_and_grad``."""

    def __init__(self, options: FitOptions | None = None) -> None:
        self.options = options or FitOptions()
        self._result: FitResult | None = None

    # -- hooks -------------------------------------------------------------------------------
    @classmethod
    def _parts(cls, p: Floats, d: Design) -> tuple[Floats, Floats, Floats]:
        """(common, alive, dead) log-terms per distinct row at natural parameters ``p``."""
        raise NotImplementedError

    @classmethod
    def _loglik_and_grad(cls, p: Floats, d: Design) -> tuple[float, Floats] | None:
        """(Σ weight · LL, Σ weight · ∂LL/∂log θ), or None to use finite differences."""
        return None

    def _initial(self, summary: CustomerSummary) -> Floats:
        raise NotImplementedError

    @classmethod
    def _loglik(cls, p: Floats, d: Design) -> Floats:
        head, alive, dead = cls._parts(p, d)
        return head + np.logaddexp(alive, dead)

    # -- fitting -----------------------------------------------------------------------------
    def fit(self, summary: CustomerSummary) -> Self:
        """Maximum-likelihood estimates from ``summary``; sets :attr:`result`."""
        started = time.perf_counter()
        repeaters = int((summary.frequency > 0).sum())
        if repeaters < self.options.min_repeat_buyers:
            raise ClvFitError(
                f"{self.name} needs at least {self.options.min_repeat_buyers} customers with a "
                f"repeat purchase; this data has {repeaters}.",
                field="frequency",
            )
        d = Design.build(summary.frequency, summary.recency, summary.T, group=self.options.group)
        n = float(d.weight.sum())

        def objective(theta: Floats) -> float:
            with np.errstate(all="ignore"):
                ll = dot(d.weight, self._loglik(np.exp(theta), d))
            return -ll / n if np.isfinite(ll) else np.inf

        fun: Callable[[Floats], float] = objective
        grad: Callable[[Floats], Floats] | None = None
        if self.analytic_gradient:

            def fun_grad(theta: Floats) -> tuple[float, Floats]:
                with np.errstate(all="ignore"):
                    both = self._loglik_and_grad(np.exp(theta), d)
                assert both is not None
                ll, g = both
                return (-ll / n if np.isfinite(ll) else np.inf), -g / n

            memo = Memo(fun_grad)
            fun, grad = memo.fun, memo.grad

        theta, iterations = minimise(fun, grad, np.log(self._start(summary)), self.options,
                                     self.param_names)  # fmt: skip
        params = np.exp(theta)
        ses: dict[str, float] = {}
        if self.options.standard_errors:
            ses = standard_errors(hessian(fun, grad, theta) * n, params, self.param_names)
        self._result = FitResult(
            model=self.name,
            params={k: float(v) for k, v in zip(self.param_names, params, strict=True)},
            standard_errors=ses,
            log_likelihood=-fun(theta) * n,
            n_customers=int(n),
            n_groups=len(d.x),
            iterations=iterations,
            seconds=time.perf_counter() - started,
        )
        return self

    def _start(self, summary: CustomerSummary) -> Floats:
        start = self._initial(summary)
        given = self.options.initial or {}
        return np.array([given.get(k, v) for k, v in zip(self.param_names, start, strict=True)])

    @property
    def result(self) -> FitResult:
        """The fit's estimates; :class:`NotFitted` before :meth:`fit`."""
        if self._result is None:
            raise NotFitted(f"{self.name} has not been fitted; call fit(summary) first.")
        return self._result

    @property
    def params(self) -> dict[str, float]:
        """Fitted parameters by name."""
        return self.result.params

    def with_params(self, **params: float) -> Self:
        """This model with the given parameters set (no fit): for simulation and what-ifs."""
        missing = set(self.param_names) - set(params)
        if missing:
            raise ValidationFailed(f"Missing parameters: {', '.join(sorted(missing))}.")
        values = {k: float(params[k]) for k in self.param_names}
        self._result = FitResult(self.name, values, {}, float("nan"), 0, 0, 0, 0.0)
        return self

    def _p(self) -> Floats:
        return np.array([self.params[k] for k in self.param_names])

    def log_likelihood(self, summary: CustomerSummary) -> float:
        """Total log-likelihood of ``summary`` at the fitted parameters."""
        return float(self._per_customer(summary, lambda d: self._loglik(self._p(), d)).sum())

    # -- predictions -------------------------------------------------------------------------
    def _per_customer(self, summary: CustomerSummary, fn: Callable[[Design], Floats]) -> Floats:
        """``fn`` evaluated once per distinct (x, t_x, T) and spread back to every customer."""
        d = Design.build(summary.frequency, summary.recency, summary.T)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(d), dtype=np.float64)
        return finite(out[d.inverse], f"{self.name} prediction")

    def _loglik_rows(self, x: Floats, t_x: Floats, T: Floats) -> Floats:
        """Log-likelihood of each given row (any order, not grouped)."""
        d = Design.build(x, t_x, T)
        return self._loglik(self._p(), d)[d.inverse]

    def expected_probability_alive(self, summary: CustomerSummary) -> Floats:
        """P(alive at T | x, t_x, T): the alive term's share of the likelihood."""

        def fn(d: Design) -> Floats:
            _, alive, dead = self._parts(self._p(), d)
            return np.exp(alive - np.logaddexp(alive, dead))

        return self._per_customer(summary, fn)

    def expected_probability_no_purchase(self, summary: CustomerSummary, t: float) -> Floats:
        """P(no purchase in (T, T+t] | x, t_x, T) = L(x, t_x, T+t) / L(x, t_x, T)."""

        def fn(d: Design) -> Floats:
            later = self._loglik_rows(d.x, d.t_x, d.T + t)
            return np.exp(later - self._loglik(self._p(), d))

        return self._per_customer(summary, fn)

    def expected_churn_risk(self, summary: CustomerSummary, days: float = 90.0) -> Floats:
        """Churn risk: the probability of no purchase in the next ``days`` days."""
        return self.expected_probability_no_purchase(summary, summary.to_units(days))

    def expected_time_to_next_purchase(
        self, summary: CustomerSummary, quantile: float = 0.5
    ) -> Floats:
        """Time (model units) by which the next purchase has happened with ``quantile`` chance,
        given that the customer buys again at all; ``inf`` for customers sure to be gone.

        A mean would be useless here: E[1/λ] is infinite when r + x ≤ 1, true of most
        customers. Solved by bisection on log t of (1 − S(t)) / (1 − S(∞)) = quantile, with
        S(t) = P(no purchase in (T, T+t]).
        """

        def fn(d: Design) -> Floats:
            ll0 = self._loglik(self._p(), d)
            # S(∞): at T = ∞ the alive term vanishes and only "gone before buying again" remains
            never = np.exp(self._loglik_rows(d.x, d.t_x, d.T + np.inf) - ll0)
            lo, hi = np.full(len(d.x), -12.0), np.full(len(d.x), np.log(_LONGEST))
            for _ in range(60):
                mid = (lo + hi) / 2
                s = np.exp(self._loglik_rows(d.x, d.t_x, d.T + np.exp(mid)) - ll0)
                below = (1 - s) < quantile * (1 - never)
                lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
            return np.where(never > 1 - 1e-12, np.inf, np.exp((lo + hi) / 2))

        d = Design.build(summary.frequency, summary.recency, summary.T)
        with np.errstate(all="ignore"):
            out = fn(d)[d.inverse]
        if np.isnan(out).any():
            raise ClvFitError(f"{self.name} next-purchase time is not a number for some rows.")
        return out

    def expected_next_purchase_date(
        self, summary: CustomerSummary, quantile: float = 0.5
    ) -> NDArray[np.datetime64]:
        """Calibration end + :meth:`expected_time_to_next_purchase`, as dates (NaT for never)."""
        if summary.calibration_end is None:
            raise ValidationFailed(
                "The summary has no calibration_end date.", field="calibration_end"
            )
        days = self.expected_time_to_next_purchase(summary, quantile) * summary.days_per_unit
        out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
        ok = np.isfinite(days) & (days < 1e6)
        out[ok] = summary.calibration_end + np.ceil(days[ok]).astype("timedelta64[D]")
        return out
