"""Survey predicates (issue 7: answers stored per customer and usable in segments) on every
engine: answers submitted through the feedback domain select customers by their latest score
or NPS group; customers who never answered never match."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from ibis.backends import BaseBackend
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.segments.compile import SegmentBase, count, segment_members
from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.analytics.segments.feedback import NPS_GROUPS
from kizuna.feedback.scoring import sentiment
from kizuna.feedback.surveys import QuestionIn, SurveyIn, do_create_survey, do_submit_response
from kizuna.kit.db import session_scope
from kizuna.kit.errors import ValidationFailed
from kizuna.orders.models import Order
from tests.analytics.factories import AS_OF, ago, at, customers, order, orders
from tests.integration.feedback.factories import NPS_SURVEY

Connect = Callable[[], BaseBackend]
SUPPORT_SURVEY = SurveyIn(
    code="support",
    kind="csat",
    title_ja="サポート満足度",
    title_en="Support satisfaction",
    questions=(
        QuestionIn("comment", "text", "ご意見", "Anything else?", required=False),
        QuestionIn("csat", "csat", "満足度", "How satisfied were you?"),
    ),
)
PEOPLE = ("PROMO", "PASSIVE", "DETRACTOR", "TURNED", "LATE", "SILENT")


def _order_id(session: Session, number: str) -> int:
    return session.execute(select(Order.id).where(Order.order_number == number)).scalar_one()


@pytest.fixture
def base(record: sessionmaker[Session], analytics: Connect) -> tuple[SegmentBase, dict[str, int]]:
    with session_scope(record) as s:
        ids = customers(s, *PEOPLE)
        orders(s, [order(f"{name}-1", name, ago(400)) for name in PEOPLE])
        do_create_survey(s, NPS_SURVEY, actor="marketer@example.jp")
        do_create_survey(s, SUPPORT_SURVEY, actor="marketer@example.jp")

        def answer(name: str, days: int, given: dict[str, Any], **kw: Any) -> None:
            code = kw.pop("survey", "after-delivery")
            do_submit_response(s, code, ids[name], given, at=ago(days), **kw)

        answer("PROMO", 10, {"nps": 10, "packing": 5})
        answer("PROMO", 20, {"csat": 2}, survey="support")
        answer("PASSIVE", 40, {"nps": 8, "packing": 3})
        answer("DETRACTOR", 200, {"nps": 3})
        # a promoter once (about an order), a detractor in the latest answer
        answer("TURNED", 300, {"nps": 10}, order_id=_order_id(s, "TURNED-1"))
        answer("TURNED", 5, {"nps": 2})
        # answered the day after as_of: not yet an answer on as_of
        later = at(AS_OF + timedelta(days=1))
        do_submit_response(s, "after-delivery", ids["LATE"], {"nps": 9}, at=later)
    return SegmentBase.build(analytics(), AS_OF), ids


def members(base: tuple[SegmentBase, dict[str, int]], where: dict[str, Any]) -> set[str]:
    segment, ids = base
    names = {cid: name for name, cid in ids.items()}
    definition = SegmentDefinition.from_data({"name": "t", "where": where})
    rows = segment_members(segment, definition).select("customer_id").to_pyarrow().to_pylist()
    return {names[r["customer_id"]] for r in rows}


def nps(*groups: str) -> dict[str, Any]:
    return {"type": "nps_group", "survey": "after-delivery", "groups": list(groups)}


def score(**fields: Any) -> dict[str, Any]:
    return {"type": "survey_score", "survey": "after-delivery", **fields}


CASES: list[tuple[str, dict[str, Any], set[str]]] = [
    ("promoters", nps("promoter"), {"PROMO"}),
    ("detractors: the latest answer counts", nps("detractor"), {"DETRACTOR", "TURNED"}),
    ("promoters or passives", nps("promoter", "passive"), {"PROMO", "PASSIVE"}),
    (
        "not answered: never in a group",
        {"type": "not", "of": nps("promoter", "passive", "detractor")},
        {"SILENT", "LATE"},
    ),
    ("default question is the NPS one", score(min=9), {"PROMO"}),
    ("range, inclusive", score(min=3, max=8), {"PASSIVE", "DETRACTOR"}),
    ("another question", score(question="packing", max=3), {"PASSIVE"}),
    ("within the last 30 days", score(within_days=30), {"PROMO", "TURNED"}),
    ("window and range", score(max=6, within_days=30), {"TURNED"}),
    ("CSAT survey's own question", score(survey="support", max=2), {"PROMO"}),
    ("unknown survey matches nobody", score(survey="nope"), set()),
    ("unknown question matches nobody", score(question="nope"), set()),
]


def test_survey_predicates(base: tuple[SegmentBase, dict[str, int]]) -> None:
    got = {name: members(base, where) for name, where, _ in CASES}
    assert got == {name: expected for name, _, expected in CASES}
    both = {"type": "all", "of": [nps("detractor"), {"type": "member"}]}
    counted = count(base[0], SegmentDefinition.from_data({"name": "t", "where": both}))
    assert (counted.members, counted.customers) == (2, len(PEOPLE))


def test_an_unknown_group_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        SegmentDefinition.from_data({"name": "t", "where": nps("promoter", "fan")})
    assert caught.value.field == "where.nps_group.groups.1"
    assert "promoter" in str(caught.value)


def test_groups_agree_with_feedback_scoring() -> None:
    word = {"promoter": "satisfied", "passive": "neutral", "detractor": "dissatisfied"}
    for group, (low, high) in NPS_GROUPS.items():
        assert {sentiment("nps", s) for s in range(low, high + 1)} == {word[group]}
    assert sorted(s for low, high in NPS_GROUPS.values() for s in range(low, high + 1)) == list(
        range(11)
    )
