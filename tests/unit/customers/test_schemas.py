"""Customer inputs: the content fingerprint and the API body's validation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kizuna.customers.schemas import CustomerBody, CustomerIn, body_to_input
from kizuna.kit.errors import ValidationFailed


class TestFingerprint:
    def test_equal_content_gives_equal_fingerprints(self) -> None:
        first = CustomerIn(
            "C1", family_name="山田", attributes={"a": 1}, consents=(("email", True),)
        )
        second = CustomerIn(
            "C1", family_name="山田", attributes={"a": 1}, consents=(("email", True),)
        )
        assert first.fingerprint() == second.fingerprint()
        assert len(first.fingerprint()) == 32

    @pytest.mark.parametrize(
        "changed",
        [
            pytest.param(CustomerIn("C1", family_name="佐藤"), id="name"),
            pytest.param(
                CustomerIn("C1", family_name="山田", birth_date=date(1990, 4, 1)), id="birth_date"
            ),
            pytest.param(
                CustomerIn("C1", family_name="山田", consents=(("email", False),)), id="consent"
            ),
            pytest.param(
                CustomerIn("C1", family_name="山田", identities=(("email", "taro@example.jp"),)),
                id="identity",
            ),
            pytest.param(
                CustomerIn("C1", family_name="山田", attributes={"rank": "gold"}), id="attributes"
            ),
        ],
    )
    def test_any_change_changes_the_fingerprint(self, changed: CustomerIn) -> None:
        assert changed.fingerprint() != CustomerIn("C1", family_name="山田").fingerprint()


class TestBodyToInput:
    def test_values_are_normalised(self) -> None:
        body = CustomerBody(
            family_kana="やまだ",
            given_kana="ﾊﾅｺ",
            email="Hanako@Example.JP",
            phone="+81 90-1234-5678",
            prefecture="京都",
            postal_code="６０４－８５７１",
            consents=[{"channel": "email", "granted": True}],  # type: ignore[list-item]
            registered_at=datetime(2024, 1, 5, 10, tzinfo=UTC),
        )
        item = body_to_input("C1", body)
        assert (item.family_kana, item.given_kana) == ("ヤマダ", "ハナコ")
        assert item.identities == (("email", "hanako@example.jp"), ("phone", "09012345678"))
        assert (item.prefecture, item.postal_code) == ("京都府", "604-8571")
        assert (item.marketing_status, item.consents) == ("subscribed", (("email", True),))

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            pytest.param(
                {"email": "hanako"}, "body.email", "'hanako' is not an email address", id="email"
            ),
            pytest.param(
                {"prefecture": "Texas"},
                "body.prefecture",
                "'Texas' is not a Japanese prefecture",
                id="prefecture",
            ),
            pytest.param(
                {"registered_at": datetime(2024, 1, 5, 10)},  # noqa: DTZ001 - naive on purpose
                "body.registered_at",
                "give a time zone, e.g. 2026-01-05T10:00:00+09:00",
                id="naive_time",
            ),
        ],
    )
    def test_bad_fields_are_named_with_their_path(
        self, fields: dict, field: str, message: str
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            body_to_input("C1", CustomerBody(**fields))
        assert (caught.value.field, caught.value.message) == (field, message)
