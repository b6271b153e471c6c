"""The nightly jobs are declared with a schedule and run end to end on a small demo shop."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kizuna import jobs
from kizuna.demo.load import run_demo
from kizuna.kit import queue
from kizuna.kit.store import open_store
from kizuna.settings import get_settings


def test_jobs_are_scheduled_at_night_in_tokyo() -> None:
    specs = {name: spec for name, spec in queue._SPECS.items() if name in jobs.SCHEDULE}
    assert set(specs) >= {"clv.refit", "recommend.rebuild", "analytics.snapshot"}
    at_2am_tokyo = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    assert specs["clv.refit"].schedule is not None
    assert specs["clv.refit"].schedule(at_2am_tokyo)
    assert not specs["clv.refit"].schedule(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


def test_jobs_run_on_a_demo_shop(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/jobs.db"
    monkeypatch.setenv("KIZUNA_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        run_demo(open_store(url), customers=600)
        scores = jobs.refit_clv()
        assert scores["purchase_model"] == "pnbd" and scores["customers"] > 0
        assert jobs.rebuild_recommendations()["customers"] > 0
    finally:
        get_settings.cache_clear()
