"""CLV and churn-risk predicates (issue 3, item 4) on every engine: the stored predictions of
``clv_predictions`` select customers inside a segment tree, next to the rank."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.segments.compile import SegmentBase, count, segment_members
from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.analytics.segments.predictions import PREDICTIONS_TABLE
from kizuna.clv.store import ClvFit, ClvPrediction
from kizuna.kit.db import session_scope
from tests.analytics.factories import AS_OF, ago, customers, order, orders

Connect = Callable[[], BaseBackend]
# external id: (is loyal, churn risk, CLV) — None: no prediction stored
PEOPLE: dict[str, tuple[bool, float | None, float | None]] = {
    "LOYAL_RISKY": (True, 0.8, 120_000.0),
    "LOYAL_EDGE": (True, 0.7, 90_000.0),
    "LOYAL_SAFE": (True, 0.2, 300_000.0),
    "LOYAL_UNSCORED": (True, None, None),
    "REPEAT_RISKY": (False, 0.95, 8_000.0),
}


def _store_predictions(session: Session, ids: dict[str, int]) -> None:
    fit = ClvFit(
        model="pnbd", time_unit="week", calibration_end=date(2024, 3, 31), data_end=AS_OF,
        customers=len(ids), params={"r": 0.5}, log_likelihood=-100.0, is_current=True,
    )  # fmt: skip
    session.add(fit)
    session.flush()
    for name, (_loyal, risk, clv) in PEOPLE.items():
        if risk is None or clv is None:
            continue
        session.add(
            ClvPrediction(
                customer_id=ids[name],
                fit_id=fit.id,
                horizon_days=365,
                p_alive=1 - risk,
                expected_purchases=2.0,
                expected_spend=clv / 2,
                clv=clv,
                churn_risk_90d=risk,
            )
        )


@pytest.fixture
def base(record: sessionmaker[Session], analytics: Connect) -> tuple[SegmentBase, dict[str, int]]:
    with session_scope(record) as s:
        ids = customers(s, *PEOPLE)
        for name, (loyal, _risk, _clv) in PEOPLE.items():
            days = (10, 40, 70, 100) if loyal else (10, 40)
            orders(s, [order(f"{name}-{d}", name, ago(d), 20_000) for d in days])
        _store_predictions(s, ids)
    return SegmentBase.build(analytics(), AS_OF), ids


def members(base: tuple[SegmentBase, dict[str, int]], where: dict[str, Any]) -> set[str]:
    segment, ids = base
    names = {cid: name for name, cid in ids.items()}
    definition = SegmentDefinition.from_data({"name": "t", "where": where})
    rows = segment_members(segment, definition).select("customer_id").to_pyarrow().to_pylist()
    return {names[r["customer_id"]] for r in rows}


RISKY_LOYAL = {
    "type": "all",
    "of": [{"type": "churn_risk", "min": 0.7}, {"type": "rank", "ranks": ["loyal"]}],
}


def test_churn_risk_and_rank(base: tuple[SegmentBase, dict[str, int]]) -> None:
    # the threshold is inclusive; the unscored loyal customer and the risky repeat buyer are out
    assert members(base, RISKY_LOYAL) == {"LOYAL_RISKY", "LOYAL_EDGE"}
    counted = count(base[0], SegmentDefinition.from_data({"name": "t", "where": RISKY_LOYAL}))
    assert (counted.members, counted.customers) == (2, 5)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param({"type": "clv", "min": 100_000}, {"LOYAL_RISKY", "LOYAL_SAFE"}, id="clv-min"),
        pytest.param(
            {"type": "clv", "measure": "p_alive", "max": 0.35},
            {"LOYAL_RISKY", "LOYAL_EDGE", "REPEAT_RISKY"},
            id="p-alive-max",
        ),
        pytest.param(
            {"type": "not", "of": {"type": "churn_risk", "min": 0.5}},
            {"LOYAL_SAFE", "LOYAL_UNSCORED"},
            id="not-risky-includes-unscored",
        ),
        pytest.param({"type": "churn_risk", "min": 0.3, "max": 0.75}, {"LOYAL_EDGE"}, id="range"),
    ],
)
def test_prediction_predicates(
    base: tuple[SegmentBase, dict[str, int]], where: dict[str, Any], expected: set[str]
) -> None:
    assert members(base, where) == expected


def test_the_table_name_is_the_clv_models() -> None:
    assert ClvPrediction.__tablename__ == PREDICTIONS_TABLE
