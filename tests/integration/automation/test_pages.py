"""The automation dashboard pages over a real app on SQLite and PostgreSQL: journeys (switch,
detail with funnel and uplift), the campaign builder (live count, preview, send, schedule,
errors naming the field), the suppression list (search, add, lift with a reason) and the
message log in the customer timeline; roles and JSON twins."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.analytics.snapshots import do_save_segment
from kizuna.automation.journeys import service
from kizuna.channels.models import MessageLog, OutboxMessage
from kizuna.customers.models import Customer
from kizuna.kit import queue
from kizuna.kit.db import session_scope
from tests.integration.channels.helpers import add_customers
from tests.integration.web.conftest import app_client, app_sessions, login

__all__ = ["app_client", "app_sessions"]

TOKYO = {"type": "prefecture", "values": ["東京都"]}


def seed(sessions: sessionmaker[Session], tokyo: int = 12, osaka: int = 3) -> list[int]:
    """``tokyo`` customers in 東京都 with email consent, ``osaka`` in 大阪府, a saved segment."""
    with session_scope(sessions) as session:
        ids = add_customers(session, tokyo)
        session.add_all(
            Customer(family_name="大阪", given_name=f"太郎{i}", prefecture="大阪府")
            for i in range(osaka)
        )
        definition = SegmentDefinition.model_validate({"name": "tokyo", "where": TOKYO})
        do_save_segment(session, "tokyo", definition, author="test")
    return ids


class TestJourneyPages:
    def test_install_switch_and_detail(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        login(app_client, app_sessions, role="marketer")
        # given no journeys: the page offers the ready-made ones
        assert app_client.get("/journeys.json").json()["journeys"] == []
        assert "install-presets" in app_client.get("/journeys").text
        app_client.post("/journeys/install")
        listed = {j["key"]: j for j in app_client.get("/journeys.json").json()["journeys"]}
        assert len(listed) == 11 and not listed["welcome"]["enabled"]
        # when the welcome journey is switched on from its form
        moved = app_client.post(
            "/journeys/welcome/switch", data={"enabled": "on"}, follow_redirects=False
        )
        assert (moved.status_code, moved.headers["location"]) == (303, "/journeys")
        # then the list and the detail page say so, with steps, funnel and uplift
        listed = {j["key"]: j for j in app_client.get("/journeys.json").json()["journeys"]}
        assert listed["welcome"]["enabled"] is True
        detail = app_client.get("/journeys/welcome.json").json()["journey"]
        assert detail["steps"][0]["reached"] == 0
        assert detail["uplift"]["verdict"] == "sample_too_small"
        html = app_client.get("/journeys/welcome").text
        assert 'id="journey-funnel"' in html and "サンプル不足" in html
        assert app_client.get("/journeys/nope.json").status_code == 404

    def test_support_may_not_open_journeys(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        login(app_client, app_sessions, role="support")
        assert app_client.get("/journeys").status_code == 403
        assert (
            app_client.post("/journeys/welcome/switch", data={"enabled": "on"}).status_code == 403
        )
        assert app_client.get("/suppressions").status_code == 200


def builder(**changes: Any) -> dict[str, Any]:
    return {
        "key": "autumn",
        "name": "秋の新商品",
        "audience_mode": "segment",
        "segment": "tokyo",
        "channel": "email",
        "template": "newsletter",
        "headline_ja": "秋の新商品のご案内",
        "headline_en": "New for autumn",
        "variant_b_ja": "秋の新作、入荷しました",
        "holdout": "20",
        "action": "send",
        **changes,
    }


class TestCampaignBuilder:
    def test_live_count_preview_and_send(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        queue.configure("memory://")
        seed(app_sessions)
        login(app_client, app_sessions, role="marketer")
        # the live count of the saved segment and of a JSON tree
        count = app_client.post("/campaigns/audience.json", data=builder()).json()
        assert (count["members"], count["customers"]) == (12, 15)
        osaka = builder(audience_mode="definition", definition='{"type": "prefecture", '
                        '"values": ["大阪府"]}')  # fmt: skip
        assert app_client.post("/campaigns/audience.json", data=osaka).json()["members"] == 3
        # the preview renders base and variant B in Japanese and English
        blocks = app_client.post("/campaigns/preview.json", data=builder()).json()["blocks"]
        assert blocks["base"]["ja"]["subject"].endswith("秋の新商品のご案内")
        assert blocks["base"]["en"]["subject"].endswith("New for autumn")
        assert blocks["variant:B"]["ja"]["subject"].endswith("秋の新作、入荷しました")
        # when it is sent
        sent = app_client.post("/campaigns", data=builder(), follow_redirects=False)
        assert (sent.status_code, sent.headers["location"]) == (303, "/campaigns?done=autumn")
        # then it is listed with its counts and the outbox holds the treated customers
        row = app_client.get("/campaigns.json").json()["campaigns"][0]
        assert (row["key"], row["status"], row["audience"]) == ("autumn", "sent", 12)
        assert row["pending"] + row["holdout"] == 12 and row["variants"] == ["A", "B"]
        with session_scope(app_sessions) as session:
            outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert outbox == row["pending"]
        assert queue.get_huey().pending_count() >= 1
        # and its page reports the holdout comparison and the A/B state
        result = app_client.get("/campaigns/autumn.json").json()["campaign"]
        assert result["uplift"]["verdict"] == "sample_too_small"
        assert result["winner"]["variant"] is None
        assert "勝者はまだ決まっていません" in app_client.get("/campaigns/autumn").text

    def test_schedule_and_errors_name_the_field(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        seed(app_sessions)
        login(app_client, app_sessions, role="marketer")
        later = builder(key="xmas", action="schedule", scheduled_at="2099-12-20T10:00")
        assert app_client.post("/campaigns", data=later, follow_redirects=False).status_code == 303
        row = app_client.get("/campaigns.json").json()["campaigns"][0]
        assert (row["status"], row["scheduled_at"][:16]) == ("scheduled", "2099-12-20T01:00")
        bad_tree = builder(audience_mode="definition", definition="{nope")
        response = app_client.post("/campaigns", data=bad_tree)
        assert response.status_code == 422 and "not valid JSON" in response.text
        bad_key = app_client.post("/campaigns", data=builder(key="Bad Key"))
        assert bad_key.status_code == 422 and "(key)" in bad_key.text
        no_time = app_client.post("/campaigns", data=builder(key="x", action="schedule"))
        assert no_time.status_code == 422 and "scheduled_at" in no_time.text
        unknown = app_client.post("/campaigns/audience.json", data=builder(segment="nope"))
        assert unknown.status_code == 404
        assert unknown.json()["error"]["message"] == "no saved segment named 'nope'"


class TestSuppressionsAndTimeline:
    def test_add_search_lift_and_timeline(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = seed(app_sessions, tokyo=3, osaka=0)
        login(app_client, app_sessions, role="support")
        # given a customer suppressed by hand and an address suppressed
        form = {"customer_id": str(ids[0]), "channel": "email", "note": "電話で依頼"}
        assert (
            app_client.post("/suppressions", data=form, follow_redirects=False).status_code == 303
        )
        again = app_client.post("/suppressions", data=form, follow_redirects=False)
        assert again.headers["location"] == "/suppressions?done=exists"
        address = {"address": "Spam@Example.jp", "channel": "email", "reason": "complaint"}
        app_client.post("/suppressions", data=address)
        # when searching by email, by name and by address
        found = app_client.get("/suppressions.json", params={"q": "c0@example"}).json()
        assert [s["customer_id"] for s in found["suppressions"]] == [ids[0]]
        assert (
            len(app_client.get("/suppressions.json", params={"q": "花子"}).json()["suppressions"])
            == 1
        )
        spam = app_client.get("/suppressions.json", params={"q": "spam@"}).json()["suppressions"]
        assert [(s["address"], s["reason"]) for s in spam] == [("spam@example.jp", "complaint")]
        # then lifting needs a reason, and both changes show in the customer's timeline
        sid = found["suppressions"][0]["id"]
        assert app_client.post(f"/suppressions/{sid}/lift", data={"reason": " "}).status_code == 422
        lifted = app_client.post(f"/suppressions/{sid}/lift", data={"reason": "再登録"})
        assert lifted.status_code == 200
        assert (
            app_client.get("/suppressions.json", params={"q": "c0@"}).json()["suppressions"] == []
        )
        timeline = app_client.get(f"/customers/{ids[0]}.json").json()["timeline"]
        changes = [
            (e["summary"], e["detail"]["reason"]) for e in timeline if e["kind"] == "suppression"
        ]
        assert sorted(changes) == [("suppress", "manual"), ("unsuppress", "再登録")]
        with session_scope(app_sessions) as session:
            by = session.scalars(select(MessageLog.detail)).all()
        assert {d["by"] for d in by} == {"support@example.jp"}

    def test_bad_input_names_the_field(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        login(app_client, app_sessions, role="marketer")
        nobody = app_client.post("/suppressions", data={"channel": "email"})
        assert nobody.status_code == 422 and "(customer_id)" in nobody.text
        fax = app_client.post("/suppressions", data={"channel": "fax", "address": "x"})
        assert fax.status_code == 422 and "(channel)" in fax.text
        missing = app_client.post("/suppressions", data={"channel": "email", "customer_id": "999"})
        assert missing.status_code == 404


def test_timeline_shows_messages_with_their_reason(
    app_client: TestClient, app_sessions: sessionmaker[Session]
) -> None:
    # given a campaign sent to three customers, one of whom has no email consent
    queue.configure("memory://")
    with session_scope(app_sessions) as session:
        ids = add_customers(session, 2) + add_customers(session, 1, start=2, consent=())
        service.install_presets(session, actor="test")
    login(app_client, app_sessions, role="marketer")
    tree = '{"type": "prefecture", "values": ["東京都"]}'
    form = builder(audience_mode="definition", definition=tree, holdout="0", variant_b_ja="")
    assert app_client.post("/campaigns", data=form, follow_redirects=False).status_code == 303
    # then the customer without consent sees a dropped message with the guard's reason
    timeline = app_client.get(f"/customers/{ids[2]}.json").json()["timeline"]
    message = next(e for e in timeline if e["kind"] == "message")
    assert (message["summary"], message["detail"]["status"]) == ("newsletter", "dropped")
    assert message["detail"]["reason"] == "no_consent:email"
    assert message["detail"]["source_key"] == "autumn"
    page = app_client.get(f"/customers/{ids[2]}").text
    assert "no_consent:email" in page and "送信せず" in page
    sent = app_client.get(f"/customers/{ids[0]}.json").json()["timeline"]
    assert [e["detail"]["status"] for e in sent if e["kind"] == "message"] == ["pending"]
