"""The published evaluation: Online Retail imported through kizuna's importer, trained on the
purchases before 2011-09-01, scored on each customer's purchases afterwards (docs/recommend.md).
SQLite only: the figures do not depend on the backend and the import takes ~20 s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kizuna.ingest.csv_import import import_file
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.kit.migrate import upgrade
from kizuna.recommend import RecommendConfig, build_all, evaluate, for_you, related_for
from kizuna.recommend.config import ONLINE_RETAIL_NON_PRODUCTS
from kizuna.recommend.evaluate import EvaluationReport
from kizuna.recommend.store import latest_run
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data
CONFIG = RecommendConfig(exclude_skus=ONLINE_RETAIL_NON_PRODUCTS)


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    path = shared_file("online_retail", "online_retail.csv.gz")
    engine = make_engine(f"sqlite:///{Path(tmp_path_factory.mktemp('retail')) / 'k.db'}")
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with session_scope(factory) as s:
        import_file(s, "orders", path, "online-retail")
    yield factory
    engine.dispose()


@pytest.fixture(scope="module")
def report(retail: sessionmaker[Session]) -> EvaluationReport:
    with session_scope(retail) as s:
        return evaluate(s, date(2011, 9, 1), config=CONFIG, k=10)


def test_for_you_beats_popularity_by_at_least_30_percent_recall(report: EvaluationReport) -> None:
    for_you_ = report.score("for_you")
    popularity = report.score("popularity")
    assert for_you_.customers == popularity.customers == 1_947
    assert popularity.recall == pytest.approx(0.0308, abs=1e-4)
    assert report.lift() >= 0.30
    assert for_you_.recall >= 0.12
    assert for_you_.ndcg > report.score("buy_again").ndcg > popularity.ndcg


def test_every_method_is_scored_on_every_population(report: EvaluationReport) -> None:
    assert [s.method for s in report.all_purchases] == [
        "popularity",
        "popularity_recent",
        "item_knn",
        "als",
        "buy_again",
        "for_you",
    ]
    assert [s.method for s in report.new_items] == [
        "popularity",
        "popularity_recent",
        "item_knn",
        "als",
    ]
    assert report.score("als", "new_items").recall > report.score("popularity", "new_items").recall
    assert [s.method for s in report.cold] == ["popularity", "popular_in_segment"]
    assert report.score("popularity", "cold").customers == 1_021
    assert 0 < report.score("for_you").coverage <= 1


def test_the_report_is_stored_for_the_evaluation_page(
    retail: sessionmaker[Session], report: EvaluationReport
) -> None:
    with session_scope(retail) as s:
        run = latest_run(s, "evaluate")
        assert run is not None
        assert run.report["recall_lift_for_you"] == pytest.approx(report.lift(), abs=1e-4)
        assert run.report["all_purchases"][0]["method"] == "popularity"


def test_build_on_the_real_shop_serves_every_customer(retail: sessionmaker[Session]) -> None:
    with session_scope(retail) as s:
        built = build_all(s, CONFIG)
    assert built.customers == 4_372
    with session_scope(retail) as s:
        picks = for_you(s, 1, 10)
        related = related_for(s, "85123A", 5)  # WHITE HANGING HEART T-LIGHT HOLDER
    assert len(picks) == 10 and not {p.sku for p in picks} & set(ONLINE_RETAIL_NON_PRODUCTS)
    assert len(related) == 5 and "85123A" not in {p.sku for p in related}
