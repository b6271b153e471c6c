"""The process's database: one engine and session factory per URL, created on first use."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kizuna.kit.db import make_engine, make_sessionmaker
from kizuna.kit.migrate import upgrade


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """The shared engine for ``url``."""
    return make_engine(url)


def open_store(url: str, *, migrate: bool = True) -> sessionmaker[Session]:
    """A session factory for ``url``, with the schema brought up to date first."""
    engine = engine_for(url)
    if migrate:
        upgrade(engine)
    return make_sessionmaker(engine)
