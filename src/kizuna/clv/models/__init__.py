"""BTYD models: BG/NBD and Pareto/NBD (purchases, P(alive)), Gamma-Gamma (spend), and CLV."""

from kizuna.clv.models.base import TransactionModel
from kizuna.clv.models.beta_geo import BetaGeoModel
from kizuna.clv.models.fitting import ClvFitError, FitOptions, FitResult, NotFitted
from kizuna.clv.models.gamma_gamma import GammaGammaModel
from kizuna.clv.models.lifetime_value import expected_clv
from kizuna.clv.models.pareto_nbd import ParetoNBDModel

__all__ = [
    "BetaGeoModel",
    "ClvFitError",
    "FitOptions",
    "FitResult",
    "GammaGammaModel",
    "NotFitted",
    "ParetoNBDModel",
    "TransactionModel",
    "expected_clv",
]
