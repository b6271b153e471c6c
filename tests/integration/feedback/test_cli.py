"""``kizuna surveys | reviews | tickets | returns | warranties | tracking`` through Typer's
CliRunner on a real database (SQLite and PostgreSQL): text and ``--json``, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from kizuna.cli import app
from kizuna.feedback.reviews import ReviewIn
from kizuna.feedback.tickets import TicketIn, do_open_ticket
from kizuna.ingest.after_purchase import answer_survey, read_survey_invitation, submit_review
from kizuna.kit.db import session_scope
from kizuna.orders.return_requests import ReturnLineIn, ReturnRequestIn, do_request_return
from kizuna.settings import get_settings

from .factories import T0, customer, ledger, nps_survey, order

SURVEY_TOML = """
code = "csat-1"
kind = "csat"
title_ja = "満足度"
title_en = "Satisfaction"

[[questions]]
code = "csat"
kind = "csat"
text_ja = "満足しましたか？"
text_en = "Were you satisfied?"
"""


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("KIZUNA_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield db_url
    get_settings.cache_clear()


def kizuna(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def seed(sessions: sessionmaker[Session]) -> int:
    with session_scope(sessions) as session:
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        nps_survey(session)
        answer_survey(session, "after-delivery", taro, {"nps": 9, "comment": "良い"}, at=T0)
        submit_review(session, ReviewIn("BEAN-1", taro, 5, "香りが良い"), reward="points")
        do_open_ticket(session, TicketIn("chat", "inquiry", "points", "残高は？"), actor="desk")
        do_request_return(
            session, ReturnRequestIn("A-1", (ReturnLineIn(2, 1),), "damaged", "store")
        )
    return taro


def test_surveys_create_list_report_and_link(
    database: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    taro = seed(sessions)
    doc = tmp_path / "csat.toml"
    doc.write_text(SURVEY_TOML, encoding="utf-8")
    created = kizuna("surveys", "create", str(doc))
    assert created.exit_code == 0, created.output
    assert "survey csat-1 (csat) created" in created.output
    listed = json.loads(kizuna("surveys", "list", "--json").output)
    assert {s["code"]: s["responses"] for s in listed["surveys"]} == {
        "csat-1": 0,
        "after-delivery": 1,
    }
    report = kizuna("surveys", "report", "after-delivery", "--json")
    assert report.exit_code == 0, report.output
    data = json.loads(report.output)
    assert data["questions"][0]["summary"]["score"] == 100.0
    assert data["nps_trend"][0]["month"] == "2026-05"
    text = kizuna("surveys", "report", "after-delivery").output
    assert "after-delivery (nps): 1 responses" in text
    link = json.loads(
        kizuna("surveys", "link", "after-delivery", "--customer", "C1", "--json").output
    )
    assert read_survey_invitation(link["token"]) == ("after-delivery", taro, None)


def test_bad_input_exits_2_naming_the_field(
    database: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seed(sessions)
    unknown = kizuna("surveys", "report", "nope", "--json")
    assert unknown.exit_code == 2
    assert json.loads(unknown.output)["error"]["field"] == "survey"
    broken = tmp_path / "broken.toml"
    broken.write_text("code = 1", encoding="utf-8")
    assert kizuna("surveys", "create", str(broken)).exit_code == 2
    nobody = kizuna("surveys", "link", "after-delivery", "--customer", "C9", "--json")
    assert (nobody.exit_code, json.loads(nobody.output)["error"]["field"]) == (2, "customer")
    no_reason = kizuna("reviews", "reject", "1", "--reason", "rating_too_low", "--json")
    assert (no_reason.exit_code, json.loads(no_reason.output)["error"]["field"]) == (2, "reason")


def test_reviews_pending_and_approve(database: str, sessions: sessionmaker[Session]) -> None:
    taro = seed(sessions)
    pending = json.loads(kizuna("reviews", "pending", "--json").output)["reviews"]
    assert [(r["sku"], r["incentivised"]) for r in pending] == [("BEAN-1", True)]
    assert "【PR】" in kizuna("reviews", "pending").output
    approved = kizuna("reviews", "approve", str(pending[0]["id"]), "--json")
    assert approved.exit_code == 0, approved.output
    assert json.loads(approved.output)["points"] == 100
    assert kizuna("reviews", "pending").output.strip() == "no review is waiting"
    with session_scope(sessions) as session:
        assert ("earn", 100, "review") in ledger(session, taro)


def test_tickets_returns_warranties_and_tracking(
    database: str, sessions: sessionmaker[Session]
) -> None:
    seed(sessions)
    listed = json.loads(kizuna("tickets", "list", "--status", "open", "--json").output)
    assert [t["subject"] for t in listed["tickets"]] == ["残高は？"]
    shown = kizuna("tickets", "show", str(listed["tickets"][0]["id"]))
    assert shown.exit_code == 0 and "[open] 残高は？" in shown.output
    assert kizuna("tickets", "show", "999").exit_code == 2
    categories = json.loads(kizuna("tickets", "categories", "--json").output)
    assert categories["totals"] == {"points": 1}
    returns = json.loads(kizuna("returns", "report", "--json").output)
    assert (returns["requests"], returns["by_reason"]) == (1, {"damaged": 1})
    warranties = json.loads(kizuna("warranties", "report", "--json").output)
    assert warranties["total"]["sold"] == 0
    link = json.loads(kizuna("tracking", "link", "A-1", "--json").output)
    assert link["path"] == f"/t/{link['token']}" and len(link["token"]) == 43
    assert kizuna("tracking", "link", "NOPE").exit_code == 2
