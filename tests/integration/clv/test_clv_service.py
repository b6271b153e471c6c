"""CLV over the record: the CDNOW sample imported through the real importer, fitted with the
paper's calibration period, gives the published estimates; predictions are stored and shown."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from kizuna.clv.queries import clv_overview, customer_prediction
from kizuna.clv.service import fit_model, predict
from kizuna.clv.store import ClvPrediction
from kizuna.customers.identity import do_merge
from kizuna.ingest.csv_import import import_file
from kizuna.kit.db import session_scope
from kizuna.kit.errors import NotFound
from tests.conftest import shared_file

CALIBRATION_END = date(1997, 9, 30)


@pytest.fixture
def cdnow(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    path = shared_file("cdnow", "CDNOW_sample.txt.gz")
    with session_scope(sessions) as session:
        import_file(session, "orders", path, "cdnow-sample")
    return sessions


def test_bgnbd_on_the_imported_sample_reproduces_the_paper(cdnow: sessionmaker[Session]) -> None:
    with session_scope(cdnow) as session:
        outcome = fit_model(session, "bgnbd", CALIBRATION_END, "week", zone="America/New_York")
    calibrated = outcome.report["calibration_params"]
    # Fader, Hardie & Lee (2005): r = 0.243, alpha = 4.414, a = 0.793, b = 2.426
    assert calibrated["r"] == pytest.approx(0.243, abs=1e-3)
    assert calibrated["alpha"] == pytest.approx(4.414, abs=2e-3)
    assert calibrated["a"] == pytest.approx(0.793, abs=1e-3)
    assert calibrated["b"] == pytest.approx(2.426, abs=2e-3)
    holdout = outcome.report["holdout"]
    assert holdout["customers"] == 2_357
    assert holdout["actual_total"] == 1_882  # PROVENANCE.md: repeat customer-days in the holdout
    assert holdout["predicted_total"] == pytest.approx(1_653.4, abs=0.5)


def test_predict_stores_every_customer_and_the_page_shows_it(cdnow: sessionmaker[Session]) -> None:
    with session_scope(cdnow) as session, pytest.raises(NotFound):
        predict(session)
    with session_scope(cdnow) as session:
        fit_model(session, "pnbd", CALIBRATION_END, zone="America/New_York")
        fit_model(session, "gg", CALIBRATION_END, zone="America/New_York")
        summary = predict(session, 365, annual_discount_rate=0.1, zone="America/New_York")
    assert summary["purchase_model"] == "pnbd" and summary["spend_model"] == "gg"
    assert summary["customers"] == 2_357
    with session_scope(cdnow) as session:
        assert session.scalar(select(func.count()).select_from(ClvPrediction)) == 2_357
        bounds = session.execute(
            select(
                func.min(ClvPrediction.p_alive),
                func.max(ClvPrediction.p_alive),
                func.min(ClvPrediction.clv),
            )
        ).one()
        assert 0 <= bounds[0] <= bounds[1] <= 1 and bounds[2] >= 0
        page = clv_overview(session)
        assert {f["model"] for f in page["fits"]} == {"pnbd", "gg"}
        assert sum(b["customers"] for b in page["p_alive_histogram"]) == 2_357
        top = page["top_customers"][0]
        assert top["clv"] == max(r["clv"] for r in page["top_customers"])
        assert customer_prediction(session, top["customer_id"]) is not None


def test_merge_drops_the_merged_customers_prediction(cdnow: sessionmaker[Session]) -> None:
    with session_scope(cdnow) as session:
        fit_model(session, "bgnbd", CALIBRATION_END, zone="America/New_York")
        predict(session, 90, zone="America/New_York")
    with session_scope(cdnow) as session:
        first, second = session.scalars(
            select(ClvPrediction.customer_id).order_by(ClvPrediction.customer_id).limit(2)
        ).all()
        do_merge(session, first, second, actor="test")
    with session_scope(cdnow) as session:
        assert customer_prediction(session, second) is None
        assert customer_prediction(session, first) is not None


def test_cli_fit_prints_parameters_and_holdout_error(
    cdnow: sessionmaker[Session], db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kizuna.cli import app
    from kizuna.settings import get_settings

    monkeypatch.setenv("KIZUNA_DATABASE_URL", db_url)
    monkeypatch.setenv("KIZUNA_SHOP_TIMEZONE", "America/New_York")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["clv", "fit", "--model", "bgnbd", "--calibration-end", "1997-09-30"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "log-likelihood" in result.output and "holdout after 1997-09-30" in result.output
