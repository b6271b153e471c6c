"""Which engine the settings select, and the refusal of an unknown one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kizuna.analytics.backends import resolve
from kizuna.kit.errors import ValidationFailed
from kizuna.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("KIZUNA_ANALYTICS_ENGINE", "KIZUNA_ANALYTICS_URL", "KIZUNA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()  # the environment is restored after this: read it afresh


@pytest.mark.parametrize(
    ("url", "engine", "expected"),
    [
        pytest.param("sqlite:///shop.db", None, "duckdb", id="sqlite-auto"),
        pytest.param("postgresql://u@h/db", None, "duckdb", id="postgres-auto"),
        pytest.param("postgresql://u@h/db", "postgres", "postgres", id="postgres-in-place"),
        pytest.param("sqlite:///shop.db", "spark", "spark", id="spark"),
    ],
)
def test_auto_is_duckdb_and_an_engine_can_be_named(
    url: str, engine: str | None, expected: str
) -> None:
    assert resolve(url, engine) == (url, expected)


def test_the_settings_choose_url_and_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", "sqlite:///record.db")
    monkeypatch.setenv("KIZUNA_ANALYTICS_URL", "postgresql://u@replica/db")
    monkeypatch.setenv("KIZUNA_ANALYTICS_ENGINE", "postgres")
    get_settings.cache_clear()
    assert resolve() == ("postgresql://u@replica/db", "postgres")


def test_an_unknown_engine_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="'bigquery'"):
        resolve("sqlite:///shop.db", "bigquery")
    with pytest.raises(ValueError, match="KIZUNA_ANALYTICS_ENGINE"):
        Settings(analytics_engine="bigquery")
