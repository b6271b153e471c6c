"""Content slot documents: audience matching, first rule wins, default, validation."""

from __future__ import annotations

import pytest

from kizuna.kit.errors import ValidationFailed
from kizuna.recommend.content import ANONYMOUS, Audience, Block, ContentRule, SlotContent, Viewer

GOLD = Viewer(1, member=True, stage="gold", rank="loyal", segments=("coffee-lovers",))
MEMBER = Viewer(2, member=True, stage="silver")


class TestAudience:
    @pytest.mark.parametrize(
        ("audience", "viewer", "expected"),
        [
            pytest.param(Audience(), ANONYMOUS, True, id="empty-matches-anyone"),
            pytest.param(Audience(member=False), ANONYMOUS, True, id="non-member"),
            pytest.param(Audience(member=True), ANONYMOUS, False, id="member-only"),
            pytest.param(Audience(stages=["gold", "platinum"]), GOLD, True, id="stage-in"),
            pytest.param(Audience(stages=["gold"]), MEMBER, False, id="stage-out"),
            pytest.param(Audience(ranks=["loyal"], member=True), GOLD, True, id="all-fields"),
            pytest.param(Audience(ranks=["loyal"], member=False), GOLD, False, id="one-fails"),
            pytest.param(Audience(segments=["coffee-lovers", "x"]), GOLD, True, id="segment"),
            pytest.param(Audience(segments=["x"]), GOLD, False, id="no-segment"),
        ],
    )
    def test_matches(self, audience: Audience, viewer: Viewer, expected: bool) -> None:
        assert audience.matches(viewer) is expected


class TestSlotContent:
    doc = SlotContent(
        slot="cart-banner",
        rules=[
            ContentRule(audience=Audience(stages=["gold"]), block=Block(key="free-shipping")),
            ContentRule(audience=Audience(member=True), block=Block(key="points-x2")),
        ],
        default=Block(key="join", title="会員登録で500ポイント"),
    )

    def test_first_matching_rule_wins_else_default(self) -> None:
        assert self.doc.choose(GOLD).key == "free-shipping"  # type: ignore[union-attr]
        assert self.doc.choose(MEMBER).key == "points-x2"  # type: ignore[union-attr]
        assert self.doc.choose(ANONYMOUS).key == "join"  # type: ignore[union-attr]

    def test_no_default_means_nothing(self) -> None:
        assert SlotContent(slot="x").choose(GOLD) is None

    def test_round_trips_as_json(self) -> None:
        again = SlotContent.parse(self.doc.model_dump(mode="json"))
        assert again == self.doc

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            pytest.param({"slot": "Bad Slot"}, "slot", id="slot-pattern"),
            pytest.param(
                {"slot": "ok", "rules": [{"block": {}}]}, "rules.0.block.key", id="block-key"
            ),
            pytest.param({"slot": "ok", "colour": "red"}, "colour", id="unknown-field"),
        ],
    )
    def test_invalid_documents_name_the_field(self, data: dict, field: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            SlotContent.parse(data)
        assert caught.value.field == field
