"""The programme document: validation with field names, overlapping stages, TOML/JSON."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.loyalty.errors import ProgrammeInvalid, StagesOverlap
from kizuna.loyalty.programme import default_programme, dumps, loads, parse_programme


def document(*stages: dict) -> dict:
    return {"name": "test", "stages": list(stages)}


def stage(code: str, minimum: int, maximum: int | None = None) -> dict:
    out = {"code": code, "name_ja": code, "name_en": code, "min_qualifying": minimum}
    return out | ({"max_qualifying": maximum} if maximum is not None else {})


class TestStages:
    @pytest.mark.parametrize(
        ("stages", "error", "field"),
        [
            pytest.param(
                (stage("a", 0), stage("b", 0)),
                StagesOverlap,
                "stages[1].min_qualifying",
                id="same_minimum",
            ),
            pytest.param(
                (stage("a", 0), stage("b", 500), stage("c", 100)),
                StagesOverlap,
                "stages[2].min_qualifying",
                id="out_of_order",
            ),
            pytest.param(
                (stage("a", 0, 600), stage("b", 500)),
                StagesOverlap,
                "stages[0].max_qualifying",
                id="range_overlaps_next",
            ),
            pytest.param(
                (stage("a", 0, 400), stage("b", 500)),
                ProgrammeInvalid,
                "stages[0].max_qualifying",
                id="gap_between_stages",
            ),
            pytest.param(
                (stage("a", 100),),
                ProgrammeInvalid,
                "stages[0].min_qualifying",
                id="first_not_zero",
            ),
            pytest.param(
                (stage("a", 0), stage("a", 5)),
                ProgrammeInvalid,
                "stages[1].code",
                id="code_repeats",
            ),
        ],
    )
    def test_bad_stage_ladders_are_refused_with_the_field(self, stages, error, field) -> None:
        with pytest.raises(error) as err:
            parse_programme(document(*stages))
        assert err.value.field == field
        assert err.value.http_status == 422

    def test_contiguous_ranges_are_fine(self) -> None:
        programme = parse_programme(document(stage("a", 0, 500), stage("b", 500)))
        assert programme.entitled(499).code == "a" and programme.entitled(500).code == "b"


class TestFields:
    def test_a_bad_nested_value_names_its_path(self) -> None:
        data = document(stage("a", 0)) | {
            "earn_rules": [{"id": "x", "type": "base_rate", "default_percent": -1}]
        }
        with pytest.raises(ProgrammeInvalid) as err:
            parse_programme(data)
        assert err.value.field == "earn_rules[0].default_percent"

    def test_unknown_keys_are_refused(self) -> None:
        with pytest.raises(ProgrammeInvalid) as err:
            parse_programme(document(stage("a", 0)) | {"colour": "blue"})
        assert err.value.field == "colour"

    def test_unreadable_toml(self) -> None:
        with pytest.raises(ProgrammeInvalid) as err:
            loads("name = ")
        assert err.value.field == "document"


class TestRoundTrip:
    @pytest.mark.parametrize("fmt", ["toml", "json"])
    def test_the_default_programme_round_trips(self, fmt: str) -> None:
        programme = default_programme()
        assert loads(dumps(programme, fmt), fmt) == programme  # type: ignore[arg-type]

    @settings(max_examples=60)
    @given(
        steps=st.lists(st.integers(1, 10_000_000), min_size=0, max_size=6, unique=True),
        names=st.lists(
            st.text(min_size=1, max_size=12).filter(lambda s: s.strip()), min_size=7, max_size=7
        ),
        grace=st.integers(0, 1000),
    )
    def test_any_valid_ladder_round_trips_through_toml(self, steps, names, grace) -> None:
        minimums = [0, *sorted(steps)]
        stages = [
            {"code": f"s{i}", "name_ja": names[i], "name_en": names[i], "min_qualifying": m}
            for i, m in enumerate(minimums)
        ]
        programme = parse_programme(
            {"name": names[0], "stages": stages, "qualification": {"grace_days": grace}}
        )
        assert loads(dumps(programme)) == programme
