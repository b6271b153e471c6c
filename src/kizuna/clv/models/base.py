"""What every BTYD transaction model shares: grouped maximum likelihood, standard errors, errors.

A subclass supplies the per-row log-likelihood ``_loglik(params, x, t_x, T)`` (and, when it has
one, its gradient) plus the closed-form ``expected_*`` methods. This module turns that into a fit:

* rows with identical (x, t_x, T) are grouped and weighted by their count, so the cost of one
  likelihood evaluation is the number of distinct rows, not of customers (day-level summaries of a
  million customers have a few tens of thousands of distinct rows);
* parameters are optimised on the log scale (all are positive) with L-BFGS-B; when that stops
  without converging, Nelder-Mead restarts from its best point and L-BFGS-B polishes again;
* standard errors come from the numerical Hessian in log space, mapped back by the delta method
  (se(θ) = θ · se(log θ));
* anything that is not a clean interior optimum raises :class:`ClvFitError`, never a NaN.

It also holds the predictions that follow from the likelihood alone: the chance of no purchase in
the next t is L(x, t_x, T + t) / L(x, t_x, T) for both models (a quiet (T, T+t] is exactly the
event of an observation window that ends later), hence churn risk and the next-purchase time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray
from scipy import optimize

from kizuna.clv.data import CustomerSummary, Floats
from kizuna.kit.errors import ValidationFailed

_FAR_FUTURE = 1e12  # in model time units: "never" for S(∞) without special-casing each model


class ClvFitError(ValidationFailed):
    """The model cannot be fitted to this data (too little of it, or no clean optimum)."""

    code = "clv_fit_failed"


class NotFitted(ValidationFailed):
    """A prediction was asked of a model that has not been fitted."""

    code = "clv_not_fitted"


@dataclass(frozen=True)
class FitOptions:
    """How a model is fitted; the defaults suit every shop size."""

    min_repeat_buyers: int = 10
    """Refuse to fit with fewer customers who bought again: the dropout process is unidentified."""
    initial: Mapping[str, float] | None = None
    """Starting values by parameter name; the model picks data-based ones when absent."""
    max_iterations: int = 1000
    log_bound: float = 18.0
    """Each log-parameter stays in [-log_bound, log_bound]; ending on the bound is a failure."""
    gradient_tolerance: float = 1e-6
    """Largest accepted |gradient| of the mean log-likelihood (per customer) w.r.t. log-params."""
    standard_errors: bool = True


@dataclass(frozen=True)
class FitResult:
    """A fitted model's estimates, ready for JSON."""

    model: str
    params: dict[str, float]
    standard_errors: dict[str, float]
    log_likelihood: float
    n_customers: int
    n_groups: int
    iterations: int
    seconds: float
    extra: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (floats and ints only)."""
        return asdict(self)


@dataclass(frozen=True)
class Grouped:
    """Distinct rows of some columns, their counts, and the map back to the original rows."""

    columns: tuple[Floats, ...]
    weight: Floats
    inverse: NDArray[np.intp]


def group_rows(*columns: Floats) -> Grouped:
    """Distinct rows of the given equal-length columns (lexsort + run boundaries)."""
    n = len(columns[0])
    if n == 0:
        return Grouped(tuple(c[:0] for c in columns), np.zeros(0), np.zeros(0, dtype=np.intp))
    order = np.lexsort(columns[::-1])
    new = np.zeros(n, dtype=bool)
    new[0] = True
    for col in columns:
        s = col[order]
        new[1:] |= s[1:] != s[:-1]
    starts = np.flatnonzero(new)
    group_of_sorted = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.intp)
    inverse[order] = group_of_sorted
    weight = np.diff(np.append(starts, n)).astype(np.float64)
    return Grouped(tuple(c[order[starts]] for c in columns), weight, inverse)


Objective = Callable[[Floats], float]
Gradient = Callable[[Floats], Floats]


def minimise(
    fun: Objective, grad: Gradient | None, theta0: Floats, options: FitOptions, names: tuple[str, ...]
) -> tuple[Floats, int]:
    """Minimise ``fun`` over log-parameters; the optimum, or :class:`ClvFitError`."""
    bounds = [(-options.log_bound, options.log_bound)] * len(theta0)
    jac: Any = grad if grad is not None else "3-point"
    opts = {"maxiter": options.max_iterations, "gtol": 1e-10, "ftol": 1e-15}
    res = optimize.minimize(fun, theta0, jac=jac, method="L-BFGS-B", bounds=bounds, options=opts)
    iterations = int(res.nit)
    if not _converged(res, grad, options):
        nm = optimize.minimize(
            fun, res.x, method="Nelder-Mead", bounds=bounds,
            options={"maxiter": 200 * len(theta0), "xatol": 1e-10, "fatol": 1e-12},
        )  # fmt: skip
        res = optimize.minimize(fun, nm.x, jac=jac, method="L-BFGS-B", bounds=bounds, options=opts)
        iterations += int(nm.nit) + int(res.nit)
    theta = np.asarray(res.x, dtype=np.float64)
    if not np.isfinite(res.fun) or not np.isfinite(theta).all():
        raise ClvFitError("The fit produced a non-finite log-likelihood; the data cannot support it.")
    on_bound = np.abs(theta) > options.log_bound - 1e-3
    if on_bound.any():
        name = names[int(np.flatnonzero(on_bound)[0])]
        raise ClvFitError(
            f"Parameter {name} ran to its bound (exp(±{options.log_bound})): the data do not "
            "identify it (for example no dropout, or every customer alike).",
            field=name,
        )
    if not _converged(res, grad, options):
        raise ClvFitError(f"The fit did not converge ({res.message}).")
    return theta, iterations


def _converged(res: Any, grad: Gradient | None, options: FitOptions) -> bool:
    g = grad(res.x) if grad is not None else getattr(res, "jac", None)
    if g is None or not np.isfinite(res.fun):
        return False
    return bool(np.max(np.abs(g)) < options.gradient_tolerance)


def hessian(fun: Objective, grad: Gradient | None, theta: Floats) -> Floats:
    """Central-difference Hessian (of the gradient when there is one, else of ``fun``)."""
    k = len(theta)
    h = np.empty((k, k))
    if grad is not None:
        step = 1e-5
        for i in range(k):
            e = np.zeros(k)
            e[i] = step
            h[:, i] = (grad(theta + e) - grad(theta - e)) / (2 * step)
        return (h + h.T) / 2
    step = 1e-4
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.zeros(k), np.zeros(k)
            ei[i], ej[j] = step, step
            h[i, j] = h[j, i] = (
                fun(theta + ei + ej) - fun(theta + ei - ej) - fun(theta - ei + ej) + fun(theta - ei - ej)
            ) / (4 * step**2)
    return h


def standard_errors(h_sum: Floats, params: Floats, names: tuple[str, ...]) -> dict[str, float]:
    """Delta-method standard errors from the Hessian of −LL (summed) in log-parameter space."""
    eig = np.linalg.eigvalsh(h_sum)
    if not np.isfinite(eig).all() or eig.min() <= 0:
        raise ClvFitError(
            "The log-likelihood is flat or not at a maximum (Hessian not positive definite): "
            "the data cannot identify all parameters."
        )
    se_log = np.sqrt(np.diag(np.linalg.inv(h_sum)))
    return {n: float(p * s) for n, p, s in zip(names, params, se_log, strict=True)}


class TransactionModel:
    """Base of the purchase-count models (BG/NBD, Pareto/NBD): fit and likelihood-based output."""

    name: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]

    def __init__(self, options: FitOptions | None = None) -> None:
        self.options = options or FitOptions()
        self._result: FitResult | None = None

    # -- hooks -------------------------------------------------------------------------------
    @staticmethod
    def _loglik(p: Floats, x: Floats, t_x: Floats, T: Floats) -> Floats:
        """Per-row log-likelihood at natural parameters ``p``."""
        raise NotImplementedError

    @staticmethod
    def _loglik_grad(p: Floats, x: Floats, t_x: Floats, T: Floats) -> Floats | None:
        """d LL / d log-params, shape (k, rows), or None to use finite differences."""
        return None

    def _initial(self, summary: CustomerSummary) -> Floats:
        raise NotImplementedError

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
        g = group_rows(summary.frequency, summary.recency, summary.T)
        x, t_x, T = g.columns
        n = float(g.weight.sum())

        def fun(theta: Floats) -> float:
            with np.errstate(all="ignore"):
                ll = float(g.weight @ self._loglik(np.exp(theta), x, t_x, T))
            return -ll / n if np.isfinite(ll) else np.inf

        grad: Gradient | None = None
        if self._loglik_grad(np.ones(len(self.param_names)), x[:1], t_x[:1], T[:1]) is not None:

            def grad(theta: Floats) -> Floats:
                with np.errstate(all="ignore"):
                    d = self._loglik_grad(np.exp(theta), x, t_x, T)
                assert d is not None
                return -(d @ g.weight) / n

        theta0 = np.log(self._start(summary))
        theta, iterations = minimise(fun, grad, theta0, self.options, self.param_names)
        params = np.exp(theta)
        ses: dict[str, float] = {}
        if self.options.standard_errors:
            h = hessian(fun, grad, theta) * n
            ses = standard_errors(h, params, self.param_names)
        self._result = FitResult(
            model=self.name,
            params={k: float(v) for k, v in zip(self.param_names, params, strict=True)},
            standard_errors=ses,
            log_likelihood=-fun(theta) * n,
            n_customers=int(n),
            n_groups=len(x),
            iterations=iterations,
            seconds=time.perf_counter() - started,
        )
        return self

    def _start(self, summary: CustomerSummary) -> Floats:
        start = self._initial(summary)
        if self.options.initial:
            given = self.options.initial
            start = np.array([given.get(k, v) for k, v in zip(self.param_names, start, strict=True)])
        return start

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
        self._result = FitResult(self.name, {k: float(params[k]) for k in self.param_names},
                                 {}, float("nan"), 0, 0, 0, 0.0)  # fmt: skip
        return self

    def _p(self) -> Floats:
        return np.array([self.params[k] for k in self.param_names])

    def log_likelihood(self, summary: CustomerSummary) -> float:
        """Total log-likelihood of ``summary`` at the fitted parameters."""
        return float(self._per_customer(summary, lambda x, t, T: self._loglik(self._p(), x, t, T)).sum())

    # -- predictions -------------------------------------------------------------------------
    def _per_customer(
        self, summary: CustomerSummary, fn: Callable[[Floats, Floats, Floats], Floats]
    ) -> Floats:
        """``fn`` evaluated once per distinct (x, t_x, T) and spread back to every customer."""
        g = group_rows(summary.frequency, summary.recency, summary.T)
        with np.errstate(all="ignore"):
            out = np.asarray(fn(*g.columns), dtype=np.float64)
        return finite(out[g.inverse], f"{self.name} prediction")

    def expected_probability_no_purchase(self, summary: CustomerSummary, t: float) -> Floats:
        """P(no purchase in (T, T+t] | x, t_x, T) = L(x, t_x, T+t) / L(x, t_x, T)."""
        p = self._p()
        return self._per_customer(
            summary, lambda x, tx, T: np.exp(self._loglik(p, x, tx, T + t) - self._loglik(p, x, tx, T))
        )

    def expected_churn_risk(self, summary: CustomerSummary, days: float = 90.0) -> Floats:
        """Churn risk: the probability of no purchase in the next ``days`` days."""
        return self.expected_probability_no_purchase(summary, summary.to_units(days))

    def expected_time_to_next_purchase(
        self, summary: CustomerSummary, quantile: float = 0.5
    ) -> Floats:
        """Time (model units) by which the next purchase has happened with ``quantile`` chance,
        given that the customer buys again at all; ``inf`` for customers sure to be gone.

        The mean is useless here: E[1/λ] is infinite when r + x ≤ 1, true of most customers.
        Solved by bisection on log t of (1 − S(t)) / (1 − S(∞)) = quantile, with
        S(t) = P(no purchase in (T, T+t]).
        """
        p = self._p()

        def solve(x: Floats, tx: Floats, T: Floats) -> Floats:
            ll0 = self._loglik(p, x, tx, T)
            never = np.exp(self._loglik(p, x, tx, T + _FAR_FUTURE) - ll0)
            lo, hi = np.full(len(x), -12.0), np.full(len(x), np.log(_FAR_FUTURE) - 1)
            for _ in range(64):
                mid = (lo + hi) / 2
                s = np.exp(self._loglik(p, x, tx, T + np.exp(mid)) - ll0)
                below = (1 - s) < quantile * (1 - never)
                lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
            return np.where(never > 1 - 1e-12, np.inf, np.exp((lo + hi) / 2))

        g = group_rows(summary.frequency, summary.recency, summary.T)
        with np.errstate(all="ignore"):
            out = solve(*g.columns)[g.inverse]
        if np.isnan(out).any():
            raise ClvFitError(f"{self.name} next-purchase time is not a number for some rows.")
        return out

    def expected_next_purchase_date(
        self, summary: CustomerSummary, quantile: float = 0.5
    ) -> NDArray[np.datetime64]:
        """Calibration end + :meth:`expected_time_to_next_purchase` as dates (NaT when never)."""
        if summary.calibration_end is None:
            raise ValidationFailed("The summary has no calibration_end date.", field="calibration_end")
        days = self.expected_time_to_next_purchase(summary, quantile) * summary.days_per_unit
        out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[D]")
        ok = np.isfinite(days) & (days < 1e6)
        out[ok] = summary.calibration_end + np.ceil(days[ok]).astype("timedelta64[D]")
        return out


def finite(values: Floats, what: str) -> Floats:
    """``values`` unchanged, or :class:`ClvFitError` naming the first non-finite row."""
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ClvFitError(f"{what} is not finite at row {row}.", row=row)
    return values
