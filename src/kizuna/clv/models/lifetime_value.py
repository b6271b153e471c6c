"""Customer lifetime value: discounted expected purchases times expected spend.

    CLV_i = margin · E[Z_i] · Σ_k (E[Y_i(t_k)] − E[Y_i(t_(k−1))]) · (1 + d)^(−t_k / year)

over steps t_k of one month (by default) up to the horizon, as in Fader, Hardie & Lee (2005),
"RFM and CLV" (the discrete form of their DET, used by lifetimes' ``customer_lifetime_value``).
E[Y_i(t)] comes from a transaction model (BG/NBD, Pareto/NBD) and E[Z_i] from Gamma-Gamma (or any
per-customer spend). ``d`` is an annual rate; purchases in a step are discounted to its end.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike

from kizuna.clv.data import CustomerSummary, Floats
from kizuna.clv.models.fitting import finite
from kizuna.kit.errors import ValidationFailed

DAYS_PER_YEAR = 365.25


class PurchaseModel(Protocol):
    def expected_purchases(self, summary: CustomerSummary, t: float) -> Floats: ...


def expected_clv(
    transaction_model: PurchaseModel,
    summary: CustomerSummary,
    spend: ArrayLike,
    *,
    horizon_days: float = 365.0,
    annual_discount_rate: float = 0.0,
    margin: float = 1.0,
    steps_per_year: int = 12,
) -> Floats:
    """Discounted margin each customer is expected to bring in the next ``horizon_days``."""
    spend_arr = np.broadcast_to(np.asarray(spend, dtype=np.float64), (len(summary),))
    if horizon_days <= 0 or steps_per_year <= 0 or annual_discount_rate <= -1:
        raise ValidationFailed(
            "horizon_days and steps_per_year must be positive and annual_discount_rate > -1.",
            field="horizon_days",
        )
    step_days = DAYS_PER_YEAR / steps_per_year
    n_steps = math.ceil(horizon_days / step_days - 1e-9)
    ends = np.minimum(np.arange(1, n_steps + 1) * step_days, horizon_days)
    previous = np.zeros(len(summary))
    total = np.zeros(len(summary))
    for end in ends:
        cumulative = transaction_model.expected_purchases(summary, summary.to_units(end))
        factor = (1 + annual_discount_rate) ** (-end / DAYS_PER_YEAR)
        total += (cumulative - previous) * factor
        previous = cumulative
    return finite(total * spend_arr * margin, "expected CLV")
