"""One settings class for the whole process; every field is read from a ``KIZUNA_`` variable."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """kizuna's settings; ``tests/docs`` checks that docs/settings.md lists every field."""

    model_config = SettingsConfigDict(env_prefix="KIZUNA_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///kizuna.db",
        description="SQLAlchemy URL of the record. A SQLite file in the working directory by "
        "default; PostgreSQL as postgresql+psycopg://user@host/db.",
    )
    shop_timezone: str = Field(
        default="Asia/Tokyo",
        description="IANA time zone in which dates are shown and days are cut.",
    )
    currency: str = Field(
        default="JPY", description="ISO 4217 code of the shop currency; amounts are minor units."
    )
    default_language: str = Field(default="ja", description="Dashboard language: ja or en.")
    analytics_engine: str = Field(
        default="auto",
        description="Engine that runs the analytics (ranks, segments, RFM): auto (= duckdb: "
        "DuckDB in-process over the SQLite or PostgreSQL record), duckdb, postgres (in the "
        "database) or spark.",
    )
    analytics_url: str = Field(
        default="",
        description="Database the analytics read; empty means the record (KIZUNA_DATABASE_URL), "
        "e.g. a read replica or a warehouse copy.",
    )
    queue_url: str = Field(
        default="sqlite:///kizuna-queue.db",
        description="Task queue storage: an SQLite file (embedded, no server) or "
        "redis://host:port/db for Redis at scale; jobs and sends run through it.",
    )
    secret_key: str = Field(
        default="dev-insecure-change-me",
        description="Signs dashboard session cookies. Must be changed when environment=production.",
    )
    environment: str = Field(default="development", description="development, test or production.")
    admin_email: str = Field(
        default="admin@example.jp", description="Login of the first admin, created on setup."
    )
    admin_password: str = Field(
        default="kizuna-admin", description="Password of the first admin created on setup."
    )

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == "dev-insecure-change-me":
            raise ValueError("KIZUNA_SECRET_KEY must be set to a random value in production")
        if self.analytics_engine not in ("auto", "duckdb", "postgres", "spark"):
            raise ValueError(
                f"KIZUNA_ANALYTICS_ENGINE has value {self.analytics_engine!r}; use 'auto', "
                "'duckdb', 'postgres' or 'spark'"
            )
        if self.default_language not in ("ja", "en"):
            raise ValueError(
                f"KIZUNA_DEFAULT_LANGUAGE has value {self.default_language!r}; use 'ja' or 'en'"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()
