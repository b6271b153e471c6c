"""``kizuna loyalty status | expire | evaluate-stages`` through Typer's CliRunner on a real
database (SQLite and PostgreSQL): text and ``--json`` output, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from kizuna.cli import app
from kizuna.kit.clock import now
from kizuna.kit.db import session_scope
from kizuna.loyalty.ledger.post import do_earn
from kizuna.settings import get_settings
from tests.integration.loyalty.factories import member, order


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def kizuna(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _seed(sessions: sessionmaker[Session]) -> int:
    """Member M1 with a ¥60,000 order this year, 600 points and 40 points that expired."""
    with session_scope(sessions) as session:
        cid = member(session, "M1", family_name="山田", given_name="花子")
        order(session, "M1", "A-1", 60_000, at=now() - timedelta(days=1))
        do_earn(session, cid, 600, key="t:600", reason="campaign")
        past = now() - timedelta(days=400)
        do_earn(session, cid, 40, key="t:40", reason="campaign", at=past,
                expires_at=past + timedelta(days=30))  # fmt: skip
    return cid


def test_status_expire_and_evaluate(database: str, sessions: sessionmaker[Session]) -> None:
    cid = _seed(sessions)
    # when the nightly expiry runs
    expired = kizuna("loyalty", "expire", "--json")
    assert expired.exit_code == 0, expired.output
    assert json.loads(expired.output) | {"seconds": 0} == {
        "customers": 1, "lots": 1, "points": 40, "holds_released": 0, "seconds": 0,
    }  # fmt: skip
    # and the monthly evaluation puts the ¥60,000 member in Gold
    evaluated = kizuna("loyalty", "evaluate-stages", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    counts = json.loads(evaluated.output)
    assert (counts["members"], counts["joined"]) == (1, 1)
    # then the status shows Gold, 600 points, and the gap to Platinum
    status = kizuna("loyalty", "status", "M1", "--json")
    assert status.exit_code == 0, status.output
    data = json.loads(status.output)
    assert (data["customer_id"], data["stage"]["stage"], data["points"]["points"]) == (
        cid, "gold", 600,
    )  # fmt: skip
    assert data["stage"]["message"]["en"].startswith("¥90,000 more to Platinum by ")
    text = kizuna("loyalty", "status", "M1", "--lang", "en")
    assert text.exit_code == 0
    assert text.output.splitlines()[:3] == [
        "Gold (gold)",
        data["stage"]["message"]["en"],
        "points: 600 (held 0, debt 0)",
    ]
    # running the jobs again changes nothing
    again = json.loads(kizuna("loyalty", "expire", "--json").output)
    assert (again["lots"], again["points"]) == (0, 0)


def test_unknown_customer_exits_2_naming_it(database: str) -> None:
    result = kizuna("loyalty", "status", "NOPE", "--json")
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["field"] == "customer"
    bad_lang = kizuna("loyalty", "status", "NOPE", "--lang", "fr")
    assert bad_lang.exit_code == 2
