"""The recommender's knobs as one validated document, with the defaults chosen on a validation
window (docs/recommend.md: tuned on Online Retail before 2011-09-01, never on the test months)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

SELLABLE = ("in_stock", "low_stock")


class RecommendConfig(BaseModel):
    """How the nightly build computes related items, "for you" lists and fallbacks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    related_n: int = Field(
        20, ge=1, le=100, description="Related / alternative items kept per SKU."
    )
    customer_n: int = Field(12, ge=1, le=50, description="Items kept per customer.")
    shrink: float = Field(5.0, ge=0, description="Co-occurrence shrinkage: c/(c+shrink).")
    view_weight: float = Field(
        0.5, ge=0, description="Weight of co-view similarity against co-purchase in related items."
    )
    factors: int = Field(64, ge=2, le=512, description="ALS latent factors.")
    regularization: float = Field(0.05, ge=0, description="ALS L2 regularisation.")
    iterations: int = Field(15, ge=1, le=100, description="ALS sweeps.")
    alpha: float = Field(5.0, ge=0, description="ALS confidence: 1 + alpha*log1p(orders).")
    event_confidence: float = Field(
        0.3, ge=0, description="Orders-equivalent of one viewing day / cart add in ALS input."
    )
    again_weight: float = Field(
        0.5, ge=0, description="Weight of 'buy again' (own history) against the ALS score."
    )
    again_half_life_days: float = Field(
        60.0, gt=0, description="Recency decay of 'buy again' (days for the weight to halve)."
    )
    repeat_threshold: float = Field(
        0.1,
        ge=0,
        le=1,
        description="A SKU is a repeat purchase when at least this share of its buyers bought it "
        "on two or more orders (shrunk towards the shop's rate); others are never re-recommended.",
    )
    popular_days: int = Field(
        90, ge=1, description="Window, before the latest order, for 'popular' and segment lists."
    )
    segment_prior: float = Field(
        30.0, ge=0, description="Pseudo-buyers that pull a small segment's list to the shop's."
    )
    price_sigma: float = Field(
        0.3, gt=0, description="Alternatives: width of the price match on the log-price scale."
    )
    exclude_skus: tuple[str, ...] = Field(
        (), description="SKUs never recommended and ignored as signal (postage, fees, vouchers)."
    )
    seed: int = Field(0, description="Random seed of the ALS initialisation.")


# Online Retail's codes that are not merchandise (postage, carriage, fees, manual adjustments,
# samples, bad debt): excluded when evaluating on that dataset (docs/recommend.md).
ONLINE_RETAIL_NON_PRODUCTS = (
    "POST",
    "DOT",
    "M",
    "m",
    "C2",
    "D",
    "S",
    "B",
    "CRUK",
    "PADS",
    "BANK CHARGES",
    "AMAZONFEE",
)
