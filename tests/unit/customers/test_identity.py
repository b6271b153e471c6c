"""Identity values are stored normalised, so that the same person matches across channels."""

from __future__ import annotations

import pytest

from kizuna.customers.identity import normalise_identity
from kizuna.customers.models import IDENTITY_KINDS


class TestNormaliseIdentity:
    @pytest.mark.parametrize(
        ("kind", "value", "expected"),
        [
            pytest.param("email", "ＴＡＲＯ@EXAMPLE.JP", "taro@example.jp", id="email_full_width"),
            pytest.param("email", " Taro@Example.jp ", "taro@example.jp", id="email_case"),
            pytest.param("phone", "+81 90-1234-5678", "09012345678", id="phone_international"),
            pytest.param(
                "phone", "０９０（１２３４）５６７８", "09012345678", id="phone_full_width"
            ),
            pytest.param("member_number", "ｍ－００１２", "M-0012", id="member_number_upper"),
            pytest.param("store_card", " ab123 ", "AB123", id="store_card_upper"),
            pytest.param("app_id", "Ａｐｐ-7", "App-7", id="app_id_keeps_case"),
            pytest.param("line_user_id", "U4af4980629", "U4af4980629", id="line_user_id"),
        ],
    )
    def test_stored_form(self, kind: str, value: str, expected: str) -> None:
        assert normalise_identity(kind, value) == expected

    @pytest.mark.parametrize(
        ("kind", "value", "reason"),
        [
            pytest.param("email", "taro", "'taro' is not an email address", id="bad_email"),
            pytest.param(
                "phone", "123", "'123' is not a phone number (10 or 11 digits)", id="bad_phone"
            ),
            pytest.param("twitter", "@taro", "unknown identity kind 'twitter'", id="unknown_kind"),
        ],
    )
    def test_invalid_values_are_refused(self, kind: str, value: str, reason: str) -> None:
        with pytest.raises(ValueError) as caught:
            normalise_identity(kind, value)
        assert str(caught.value) == reason

    def test_every_identity_kind_has_a_normaliser(self) -> None:
        assert [normalise_identity(kind, "0312345678") for kind in IDENTITY_KINDS[1:]] == [
            "0312345678"
        ] * (len(IDENTITY_KINDS) - 1)
