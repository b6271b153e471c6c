"""The after-purchase REST API on SQLite and PostgreSQL: scoped keys, 201 for a new record and
200 for its repeat, the survey points once, reviews for the storefront with the disclosure,
tickets, return requests, carrier updates and warranties; 4xx errors name the field."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from kizuna.ingest.after_purchase import moderate_review
from kizuna.kit.db import session_scope
from kizuna.orders.schemas import LineIn
from kizuna.orders.warranties import PlanIn, do_create_plan
from tests.integration.web.conftest import make_key

from .factories import BEANS, MUG, T0, customer, ledger, nps_survey, order

SCOPES = ["feedback:read", "feedback:write", "orders:write"]


def setup(sessions: sessionmaker[Session], scopes: list[str] = SCOPES) -> dict[str, str]:
    with session_scope(sessions) as session:
        customer(session, "C1")
        order(session, "C1", "A-1")
        nps_survey(session)
    return {"Authorization": f"Bearer {make_key(sessions, scopes)}"}


class TestSurveys:
    def test_answers_are_stored_once_and_rewarded_once(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        body = {"customer": "C1", "order_number": "A-1", "answers": {"nps": 10, "comment": "良"}}
        first = app_client.post("/api/surveys/after-delivery/responses", json=body, headers=auth)
        again = app_client.post("/api/surveys/after-delivery/responses", json=body, headers=auth)
        assert (first.status_code, first.json()["points"], first.json()["created"]) == (
            201,
            50,
            True,
        )
        assert (again.status_code, again.json()["created"], again.json()["replayed"]) == (
            200,
            False,
            True,
        )
        with session_scope(app_sessions) as session:
            assert ledger(session, 1) == [("earn", 50, "survey")]
        report = app_client.get("/api/feedback/surveys/after-delivery/report", headers=auth).json()
        assert report["responses"] == 1
        assert report["questions"][0]["summary"]["score"] == 100.0
        assert report["nps_trend"][0]["nps"] == 100.0

    def test_bad_answers_name_the_field(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        url = "/api/surveys/after-delivery/responses"
        cases = [
            ({"customer": "C1", "answers": {}}, 422, "answers"),
            ({"customer": "C1", "answers": {"nps": 11}}, 422, "answers.nps"),
            ({"customer": "C9", "answers": {"nps": 1}}, 404, "customer"),
            ({"customer": "C1", "order_number": "X", "answers": {"nps": 1}}, 404, "order_number"),
            ({"customer": "C1"}, 422, "body.answers"),
        ]
        for body, status, field in cases:
            response = app_client.post(url, json=body, headers=auth)
            assert (response.status_code, response.json()["error"]["field"]) == (status, field)
        unknown = app_client.post("/api/surveys/nope/responses", json=cases[1][0], headers=auth)
        assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "survey")

    def test_keys_need_the_scope(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions, ["feedback:read"])
        body = {"customer": "C1", "answers": {"nps": 5}}
        denied = app_client.post("/api/surveys/after-delivery/responses", json=body, headers=auth)
        assert denied.status_code == 403
        assert app_client.get("/api/tickets").status_code == 401


class TestReviews:
    def test_submit_moderate_and_read_back_with_the_disclosure(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        body = {"customer": "C1", "rating": 4, "body": "香りが良い", "title": "満足"}
        posted = app_client.post("/api/products/BEAN-1/reviews", json=body, headers=auth)
        assert posted.status_code == 201
        review = posted.json()
        assert (review["status"], review["incentive"], review["verified_purchase"]) == (
            "pending",
            "points",
            True,
        )
        again = app_client.post("/api/products/BEAN-1/reviews", json=body, headers=auth)
        assert again.status_code == 200
        # nothing is shown before approval
        empty = app_client.get("/api/products/BEAN-1/reviews", headers=auth).json()
        assert (empty["count"], empty["reviews"]) == (0, [])
        with session_scope(app_sessions) as session:
            moderate_review(session, review["id"], approve=True, actor="mod")
        shown = app_client.get("/api/products/BEAN-1/reviews?lang=en", headers=auth).json()
        assert (shown["count"], shown["average"]) == (1, 4.0)
        assert shown["reviews"][0]["disclosure"].startswith("Incentivised review")
        ratings = app_client.get("/api/products/ratings?sku=BEAN-1&sku=CUP-1", headers=auth).json()[
            "ratings"
        ]
        assert (ratings["BEAN-1"]["count"], ratings["CUP-1"]["count"]) == (1, 0)

    def test_bad_reviews_name_the_field(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        cases = [
            ("BEAN-1", {"customer": "C1", "rating": 6, "body": "x"}, 422, "body.rating"),
            ("BEAN-1", {"customer": "C1", "rating": 3, "body": ""}, 422, "body.body"),
            ("NOPE", {"customer": "C1", "rating": 3, "body": "x"}, 404, "sku"),
            ("BEAN-1", {"customer": "C1", "rating": 3, "body": "x", "x": 1}, 422, "body.x"),
        ]
        for sku, body, status, field in cases:
            response = app_client.post(f"/api/products/{sku}/reviews", json=body, headers=auth)
            assert (response.status_code, response.json()["error"]["field"]) == (status, field)


class TestTickets:
    def test_open_note_list_and_detail(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        body = {
            "channel": "email",
            "kind": "complaint",
            "category": "delivery",
            "subject": "届かない",
            "body": "まだ届きません",
            "order_number": "A-1",
            "number": "ZD-1",
        }
        opened = app_client.post("/api/tickets", json=body, headers=auth)
        assert opened.status_code == 201
        ticket = opened.json()
        assert (ticket["customer_id"], ticket["order_number"], ticket["status"]) == (
            1,
            "A-1",
            "open",
        )
        assert app_client.post("/api/tickets", json=body, headers=auth).status_code == 200
        note = app_client.post(
            f"/api/tickets/{ticket['id']}/notes",
            json={"body": "調査中", "author": "sato"},
            headers=auth,
        )
        assert note.status_code == 201
        detail = app_client.get(f"/api/tickets/{ticket['id']}", headers=auth).json()
        assert [n["kind"] for n in detail["notes"]] == ["message", "note"]
        listed = app_client.get("/api/tickets?status=open&customer=C1", headers=auth).json()
        assert listed["total"] == 1
        changed = app_client.post(
            f"/api/tickets/{ticket['id']}/changes",
            json={"status": "resolved", "assignee": "sato", "author": "zendesk"},
            headers=auth,
        ).json()
        assert (changed["status"], changed["assignee"]) == ("resolved", "sato")
        assert [n["kind"] for n in changed["notes"]][-2:] == ["status", "assignment"]
        bad = app_client.post(
            f"/api/tickets/{ticket['id']}/changes", json={"status": "done"}, headers=auth
        )
        assert (bad.status_code, bad.json()["error"]["field"]) == (422, "status")

    def test_bad_tickets_name_the_field(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        base = {"channel": "email", "subject": "x"}
        cases = [
            (base | {"channel": "fax"}, 422, "channel"),
            (base | {"category": "weather"}, 422, "category"),
            (base | {"order_number": "NOPE"}, 404, "order_number"),
            (base | {"subject": ""}, 422, "body.subject"),
        ]
        for body, status, field in cases:
            response = app_client.post("/api/tickets", json=body, headers=auth)
            assert (response.status_code, response.json()["error"]["field"]) == (status, field)
        assert app_client.get("/api/tickets/999", headers=auth).status_code == 404


class TestReturnsShipmentsWarranties:
    def test_a_return_request_and_its_errors(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        body = {
            "order_number": "A-1",
            "lines": [{"line_no": 1, "quantity": 1}],
            "reason": "damaged",
            "channel": "courier_pickup",
            "number": "R-1",
        }
        made = app_client.post("/api/returns", json=body, headers=auth)
        assert made.status_code == 201
        assert (made.json()["number"], made.json()["refund_amount"]) == ("R-1", 1800)
        assert app_client.post("/api/returns", json=body, headers=auth).status_code == 200
        too_many = body | {"number": None, "lines": [{"line_no": 1, "quantity": 2}]}
        refused = app_client.post("/api/returns", json=too_many, headers=auth)
        assert (refused.status_code, refused.json()["error"]["field"]) == (
            422,
            "lines[0].quantity",
        )
        unknown = app_client.post("/api/returns", json=body | {"order_number": "X"}, headers=auth)
        assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "order_number")
        shown = app_client.get(f"/api/returns/{made.json()['id']}", headers=auth).json()
        assert shown["lines"] == [{"line_no": 1, "sku": "BEAN-1", "quantity": 1, "amount": 1800}]

    def test_a_carrier_update_moves_the_status_and_returns_the_notice(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        body = {
            "carrier": "yamato",
            "tracking_number": "4290-1",
            "order_number": "A-1",
            "status": "配達中",
            "at": (T0 + timedelta(days=1)).isoformat(),
        }
        update = app_client.post("/api/shipments/status", json=body, headers=auth)
        assert update.status_code == 200
        data = update.json()
        assert (data["status"], data["changed"]) == ("out_for_delivery", True)
        assert data["notice"]["kind"] == "shipping.out_for_delivery"
        assert len(data["notice"]["tracking_token"]) == 43
        bad = app_client.post("/api/shipments/status", json=body | {"status": "迷子"}, headers=auth)
        assert (bad.status_code, bad.json()["error"]["field"]) == (422, "status")
        new = body | {"tracking_number": "9", "order_number": None}
        missing = app_client.post("/api/shipments/status", json=new, headers=auth)
        assert (missing.status_code, missing.json()["error"]["field"]) == (422, "order_number")

    def test_warranty_enrolment_and_claim(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        auth = setup(app_sessions)
        with session_scope(app_sessions) as session:
            plan = PlanIn("W5", "WARRANTY-5Y", "5年保証", "5-year cover", 60, 3000)
            do_create_plan(session, plan, actor="admin")
            cover = LineIn("WARRANTY-5Y", 1, 3000, 3000, "5年保証")
            order(session, "C1", "A-2", (BEANS, MUG, cover))
        enrolled = app_client.post(
            "/api/warranties/enrolments", json={"order_number": "A-2"}, headers=auth
        )
        assert enrolled.status_code == 200
        (row,) = enrolled.json()["enrolments"]
        assert (row["sku"], row["price"], row["status"]) == ("CUP-1", 3000, "active")
        claim = app_client.post(
            "/api/warranties/claims",
            json={"enrolment_id": row["id"], "description": "取っ手が取れた"},
            headers=auth,
        )
        assert claim.status_code == 201 and claim.json()["status"] == "open"
        no_plan = app_client.post(
            "/api/warranties/enrolments", json={"order_number": "A-2", "line_no": 1}, headers=auth
        )
        assert (no_plan.status_code, no_plan.json()["error"]["field"]) == (422, "plan")
        mine = app_client.get("/api/customers/C1/warranties", headers=auth).json()
        assert [w["plan"] for w in mine["warranties"]] == ["W5"]
