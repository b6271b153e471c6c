"""The feedback dashboard over a real app on SQLite and PostgreSQL: each page and its JSON twin,
review moderation (the reward once), the ticket desk (notes, status, the problem-customer flag,
audited and refused to marketers), return steps (points reversed on receipt), warranties."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.models import RankSpell, SnapshotRun
from kizuna.customers.models import Customer, CustomerAudit
from kizuna.feedback.reviews import ReviewIn
from kizuna.feedback.tickets import TicketIn, do_open_ticket
from kizuna.ingest.after_purchase import answer_survey, submit_review
from kizuna.kit.db import session_scope
from kizuna.loyalty.ledger.post import do_earn_for_order
from kizuna.loyalty.models import LoyaltyAccount
from kizuna.orders.return_requests import ReturnLineIn, ReturnRequestIn, do_request_return
from kizuna.orders.schemas import LineIn
from kizuna.orders.warranties import PlanIn, do_create_plan, enrol_order
from kizuna.orders.warranty_claims import do_file_claim
from tests.integration.web.conftest import login

from .factories import BEANS, MUG, T0, customer, ledger, nps_survey, order


def shop(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Survey answers, a pending review, a ticket, a return request and a warranty."""
    with session_scope(sessions) as session:
        taro = customer(session, "C1", given_name="太郎")
        order_id = order(session, "C1", "A-1")
        do_earn_for_order(session, order_id)
        nps_survey(session)
        for n, score in enumerate((10, 9, 3)):
            who = taro if n == 0 else customer(session, f"C{n + 2}")
            answers: dict[str, int | str | None] = {
                "nps": score,
                "packing": 2 + n,
                "comment": f"感想{n}",
            }
            answer_survey(session, "after-delivery", who, answers, at=T0 + timedelta(days=35 * n))
        review = submit_review(session, ReviewIn("BEAN-1", taro, 2, "苦すぎた"), reward="points")
        ticket = do_open_ticket(
            session,
            TicketIn("phone", "complaint", "delivery", "遅い", "まだ届かない", order_number="A-1"),
            actor="desk",
        )
        request = do_request_return(
            session,
            ReturnRequestIn("A-1", (ReturnLineIn(1, 1),), "damaged", "store"),
        )
        do_create_plan(
            session, PlanIn("W1", "WARRANTY-1Y", "1年保証", "1-year cover", 12, 1000), actor="a"
        )
        cover = LineIn("WARRANTY-1Y", 1, 1000, 1000, "1年保証")
        (cover_row,) = enrol_order(session, order(session, "C1", "A-2", (BEANS, MUG, cover)))
        claim = do_file_claim(session, cover_row.id, "取っ手が取れた")
        return {
            "claim": claim.id,
            "customer": taro,
            "review": review.review_id,
            "ticket": ticket.ticket_id,
            "return": request.id,
        }


class TestPages:
    def test_every_page_and_its_json_twin(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        login(app_client, app_sessions)
        for path in (
            "/feedback",
            "/reviews",
            "/tickets",
            f"/tickets/{ids['ticket']}",
            "/returns",
            "/warranties",
        ):
            html = app_client.get(path)
            assert html.status_code == 200, path
            assert app_client.get(path + ".json").status_code == 200, path
        data = app_client.get("/feedback.json").json()
        assert data["survey"] == "after-delivery"
        assert [m["answered"] for m in data["nps_trend"]] == [1, 1, 1]
        assert data["report"]["questions"][0]["summary"]["score"] == round(100 * (2 - 1) / 3, 1)
        assert data["ticket_categories"]["totals"] == {"delivery": 1}
        assert [c["text"] for c in data["comments"]] == ["感想2", "感想1", "感想0"]
        returns = app_client.get("/returns.json").json()
        assert returns["summary"]["by_reason"] == {"damaged": 1}
        assert returns["requests"][0]["next"] == ["approve", "reject", "receive", "cancel"]
        warranties = app_client.get("/warranties.json").json()
        assert warranties["revenue"]["total"]["revenue"] == 1000
        english = app_client.get("/lang/en?next=/tickets", follow_redirects=True)
        assert "Support tickets" in english.text and "Delivery" in english.text

    def test_pages_need_a_login(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        for path in ("/feedback", "/tickets", "/returns.json"):
            response = app_client.get(path, follow_redirects=False)
            assert response.status_code in (303, 401), path


class TestByRankAndStage:
    def test_the_latest_scores_are_summarised_by_rank_and_stage(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        with session_scope(app_sessions) as session:
            run = SnapshotRun(as_of=T0.date(), policy_name="default", policy_version=1, engine="x")
            session.add(run)
            session.flush()
            for cid, rank in ((ids["customer"], "loyal"), (ids["customer"] + 1, "new")):
                session.add(
                    RankSpell(customer_id=cid, rank=rank, valid_from=T0.date(), run_id=run.id)
                )
            account = session.get(LoyaltyAccount, ids["customer"]) or LoyaltyAccount(
                customer_id=ids["customer"]
            )
            account.stage = "Gold"
            session.add(account)
        login(app_client, app_sessions)
        data = app_client.get("/feedback.json").json()
        assert data["group_kind"] == "nps"
        assert [(g["group"], g["answered"], g["score"]) for g in data["by_rank"]] == [
            ("loyal", 1, 100.0),
            ("new", 1, 100.0),
        ]
        assert [(g["group"], g["score"]) for g in data["by_stage"]] == [("Gold", 100.0)]


class TestModeration:
    def test_approving_rewards_once_and_rejecting_needs_a_reason(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        login(app_client, app_sessions, "marketer")
        queue = app_client.get("/reviews.json").json()["queue"]
        assert [r["id"] for r in queue] == [ids["review"]]
        assert queue[0]["disclosure"].startswith("【PR】")
        no_reason = app_client.post(f"/reviews/{ids['review']}/reject", data={})
        assert no_reason.status_code == 422
        for _ in range(2):
            done = app_client.post(f"/reviews/{ids['review']}/approve", follow_redirects=False)
            assert done.status_code == 303
        assert app_client.get("/reviews.json").json()["queue"] == []
        with session_scope(app_sessions) as session:
            assert ledger(session, ids["customer"]).count(("earn", 100, "review")) == 1


class TestTicketDesk:
    def test_notes_status_and_the_problem_flag(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        login(app_client, app_sessions, "support")
        base = f"/tickets/{ids['ticket']}"
        app_client.post(f"{base}/note", data={"body": "配送業者に確認中", "kind": "note"})
        app_client.post(f"{base}/status", data={"status": "pending"})
        app_client.post(f"{base}/assign", data={"assignee": "sato@example.jp"})
        flagged = app_client.post(f"{base}/flag", data={"reason": "暴言", "flagged": "1"})
        assert flagged.status_code == 200  # followed the redirect to the ticket page
        detail = app_client.get(f"{base}.json").json()
        assert detail["ticket"]["status"] == "pending"
        assert detail["ticket"]["assignee"] == "sato@example.jp"
        assert [n["kind"] for n in detail["ticket"]["notes"]] == [
            "message",
            "note",
            "status",
            "assignment",
            "problem_flag",
        ]
        assert detail["customer"]["is_problem"] is True
        with session_scope(app_sessions) as session:
            row = session.get_one(Customer, ids["customer"])
            assert row.problem_reason is not None and row.problem_reason.startswith("暴言 (ticket")
            assert row.problem_set_by == "support@example.jp"
            actions = session.scalars(
                select(CustomerAudit.action).where(CustomerAudit.customer_id == ids["customer"])
            ).all()
            assert "problem_flagged" in actions
        no_reason = app_client.post(f"{base}/flag", data={"reason": "", "flagged": "1"})
        assert no_reason.status_code == 422

    def test_a_marketer_cannot_flag_and_a_call_opens_a_ticket(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        login(app_client, app_sessions, "marketer")
        refused = app_client.post(f"/tickets/{ids['ticket']}/flag", data={"reason": "x"})
        assert refused.status_code == 403
        opened = app_client.post(
            "/tickets",
            data={
                "channel": "chat",
                "kind": "inquiry",
                "category": "points",
                "subject": "ポイントの有効期限",
                "customer": "C1",
            },
            follow_redirects=False,
        )
        assert opened.status_code == 303
        listed = app_client.get("/tickets.json?category=points").json()
        assert [t["subject"] for t in listed["tickets"]] == ["ポイントの有効期限"]
        assert listed["tickets"][0]["customer"]["name"] == "山田 太郎"


class TestReturnSteps:
    def test_receiving_reverses_points_and_refund_closes(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        login(app_client, app_sessions, "support")
        for step in ("approve", "receive", "refund"):
            moved = app_client.post(f"/returns/{ids['return']}/{step}", follow_redirects=False)
            assert moved.status_code == 303, step
        listed = app_client.get("/returns.json").json()
        assert listed["requests"][0]["status"] == "refunded"
        assert listed["by_product"][0]["sku"] == "BEAN-1"
        with session_scope(app_sessions) as session:
            # 122 points earned on ¥6,100 of goods; ¥1,800 came back: floor(122 × 1800 / 6100)
            assert ledger(session, ids["customer"])[-1] == ("reverse_earn", -36, "return")
        wrong = app_client.post(f"/returns/{ids['return']}/approve", follow_redirects=False)
        assert wrong.status_code == 409
        unknown = app_client.post(f"/returns/{ids['return']}/teleport", follow_redirects=False)
        assert unknown.status_code == 404


class TestWarrantyClaims:
    def test_a_claim_is_approved_then_resolved_at_a_cost(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        login(app_client, app_sessions, "support")
        claims = app_client.get("/warranties.json").json()["claims"]
        assert [(c["id"], c["status"], c["sku"]) for c in claims] == [
            (ids["claim"], "open", "CUP-1")
        ]
        base = f"/warranties/claims/{ids['claim']}"
        no_cost = app_client.post(f"{base}/resolve", data={"resolution": "repair", "cost": "x"})
        assert no_cost.status_code == 422
        assert app_client.post(f"{base}/approve", follow_redirects=False).status_code == 303
        resolved = app_client.post(
            f"{base}/resolve", data={"resolution": "repair", "cost": "800"}, follow_redirects=False
        )
        assert resolved.status_code == 303
        data = app_client.get("/warranties.json").json()
        assert data["claims"] == []
        assert (data["revenue"]["total"]["claim_cost"], data["revenue"]["total"]["approved"]) == (
            800,
            1,
        )


class TestTimeline:
    def test_surveys_reviews_tickets_and_returns_are_on_the_customer_timeline(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        ids = shop(app_sessions)
        login(app_client, app_sessions, "support")
        data = app_client.get(f"/customers/{ids['customer']}.json").json()
        kinds = {e["kind"] for e in data["timeline"]}
        assert {"survey", "review", "ticket", "return_request"} <= kinds
        survey = next(e for e in data["timeline"] if e["kind"] == "survey")
        assert survey["detail"]["answers"] == {"nps": 10, "packing": 2, "comment": "感想0"}
        ticket = next(e for e in data["timeline"] if e["kind"] == "ticket")
        assert ticket["detail"]["subject"] == "遅い"
        page = app_client.get(f"/customers/{ids['customer']}")
        assert page.status_code == 200
        assert f'href="/tickets/{ids["ticket"]}"' in page.text
        assert "苦すぎた" in page.text
