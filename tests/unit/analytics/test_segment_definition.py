"""Segment definitions: the typed predicate tree, its labels, its JSON/TOML forms, the palette."""

from __future__ import annotations

import pytest

from kizuna.analytics.segments.definition import SegmentDefinition, labels
from kizuna.analytics.segments.predicates import PREDICATES, UNAVAILABLE, describe
from kizuna.kit.errors import ValidationFailed

LAPSING = {
    "name": "Lapsing loyal in Tokyo",
    "where": {
        "type": "all",
        "of": [
            {"type": "rank", "ranks": ["loyal", "best"]},
            {"type": "field", "field": "recency_days", "min": 60},
            {"type": "not", "of": {"type": "prefecture", "values": ["東京都"]}},
            {"type": "any", "of": [{"type": "consent", "channel": "email"},
                                   {"type": "bought", "categories": ["tea"], "within_days": 90}]},
        ],
    },
}  # fmt: skip


def test_labels_read_as_the_builder_shows_them() -> None:
    definition = SegmentDefinition.from_data(LAPSING)
    assert labels(definition.where) == [
        "All of:",
        "  Rank is loyal or best",
        "  recency_days in 60.0–",
        "  Not:",
        "    Prefecture is 東京都",
        "  Any of:",
        "    Agreed to email",
        "    Bought tea in the last 90 days",
    ]


def test_json_and_toml_round_trip() -> None:
    definition = SegmentDefinition.from_data(LAPSING)
    assert SegmentDefinition.from_json(definition.to_json()) == definition
    assert SegmentDefinition.from_toml(definition.to_toml()) == definition


@pytest.mark.parametrize(
    ("where", "field"),
    [
        pytest.param({"type": "wealth"}, "where", id="unknown-type"),
        pytest.param(
            {"type": "field", "field": "shoe_size", "min": 1}, "where.field.field", id="bad-field"
        ),
        pytest.param({"type": "all", "of": []}, "where.all.of", id="empty-group"),
        pytest.param(
            {"type": "rank", "ranks": ["loyal"], "extra": 1}, "where.rank.extra", id="extra"
        ),
    ],
)
def test_invalid_definitions_name_the_field(where: dict, field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        SegmentDefinition.from_data({"name": "x", "where": where})
    assert caught.value.field == field


def test_the_palette_lists_every_type_and_the_unavailable_ones() -> None:
    palette = {item["type"]: item for item in describe()}
    assert set(PREDICATES) <= set(palette)
    assert all(palette[name]["available"] is False for name in UNAVAILABLE)
    assert palette["rank"]["schema"]["properties"]["ranks"]["type"] == "array"
