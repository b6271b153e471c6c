"""The rank policy document: DESIGN's defaults, validation with the field named, TOML/JSON."""

from __future__ import annotations

import json

import pytest

from kizuna.analytics.ranks.policy import RankPolicy, default_policy
from kizuna.kit.errors import ValidationFailed


def _doc(**changes: object) -> dict:
    data = json.loads(default_policy().to_json())
    data.update(changes)
    return data


class TestDefaults:
    def test_the_default_follows_the_design_table_with_problem_first(self) -> None:
        policy = default_policy()
        assert policy.ranks == [
            "problem", "hot_lead", "lead", "churned", "dormant", "best", "loyal",
            "subscription", "repeat", "new", "one_time",
        ]  # fmt: skip
        assert policy.rule("problem").level is None
        assert {r.rank for r in policy.rules if r.lost} == {"dormant", "churned"}
        assert policy.rule("loyal").label_ja == "優良"
        assert policy.rules[-1].when is None

    def test_levels_order_the_ladder(self) -> None:
        levels = default_policy().levels()
        assert levels["best"] > levels["loyal"] > levels["repeat"] > levels["new"]
        assert levels["churned"] < levels["dormant"] < levels["lead"]


class TestRoundTrip:
    def test_toml_and_json_give_back_the_same_document(self) -> None:
        policy = default_policy()
        assert RankPolicy.from_toml(policy.to_toml()) == policy
        assert RankPolicy.from_json(policy.to_json()) == policy

    def test_toml_is_readable(self) -> None:
        text = default_policy().to_toml()
        assert 'rank = "loyal"' in text
        assert 'when = { kind = "all", of = [{ kind = "compare", field = "spend_12m"' in text
        assert "[rfm]" in text and "[[rules]]" in text


class TestValidation:
    @pytest.mark.parametrize(
        ("change", "message"),
        [
            pytest.param(
                lambda d: d["rules"][3]["when"].update(field="spend_13m"),
                "spend_13m",
                id="unknown-field",
            ),
            pytest.param(lambda d: d["rules"][1].pop("when"), "only the last may", id="no-when"),
            pytest.param(
                lambda d: d["rules"][-1].update(when={"kind": "rank", "rank": "new"}),
                "must have no condition",
                id="last-has-when",
            ),
            pytest.param(
                lambda d: d["rules"][5].update(when={"kind": "rank", "rank": "vip"}),
                "unknown rank 'vip'",
                id="unknown-rank",
            ),
            pytest.param(
                lambda d: d["rules"][6].update(when={"kind": "rank", "rank": "best"}),
                "loop",
                id="loop",
            ),
            pytest.param(
                lambda d: d["rules"].append(dict(d["rules"][-1])), "repeat", id="duplicate"
            ),
            pytest.param(
                lambda d: d["rfm"].update(recency_days=[90, 30]), "ascending", id="breakpoints"
            ),
        ],
    )
    def test_a_broken_policy_is_refused_naming_the_problem(self, change, message) -> None:  # type: ignore[no-untyped-def]
        data = _doc()
        change(data)
        with pytest.raises(ValidationFailed, match=message):
            RankPolicy.from_data(data)

    def test_a_comparison_needs_a_value(self) -> None:
        data = _doc()
        data["rules"][1]["when"] = {"kind": "compare", "field": "recency_days", "op": ">="}
        with pytest.raises(ValidationFailed, match="needs a value") as caught:
            RankPolicy.from_data(data)
        assert caught.value.field is not None and caught.value.field.startswith("rules.1")

    def test_bad_toml_is_a_validation_error(self) -> None:
        with pytest.raises(ValidationFailed, match="not valid TOML"):
            RankPolicy.from_toml("rules = [")
