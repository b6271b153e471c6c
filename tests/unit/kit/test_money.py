"""Money: minor units, half-up rounding, formatting with the currency's symbol."""

from __future__ import annotations

import pytest

from kizuna.kit.money import format_money, format_yen, minor_digits, to_minor


class TestMinorDigits:
    @pytest.mark.parametrize(
        ("currency", "digits"),
        [
            pytest.param("JPY", 0, id="yen_has_no_minor_unit"),
            pytest.param("jpy", 0, id="lower_case_code"),
            pytest.param("USD", 2, id="dollar_cents"),
            pytest.param("GBP", 2, id="pound_pence"),
            pytest.param("CHF", 2, id="unknown_defaults_to_two"),
        ],
    )
    def test_digits_per_currency(self, currency: str, digits: int) -> None:
        assert minor_digits(currency) == digits


class TestToMinor:
    @pytest.mark.parametrize(
        ("text", "currency", "expected"),
        [
            pytest.param("3200", "JPY", 3200, id="yen_whole"),
            pytest.param("3,200", "JPY", 3200, id="yen_thousands_separator"),
            pytest.param("¥3,200", "JPY", 3200, id="yen_sign"),
            pytest.param("￥3,200", "JPY", 3200, id="full_width_yen_sign"),
            pytest.param("3200.5", "JPY", 3201, id="yen_half_rounds_up"),
            pytest.param("3200.49", "JPY", 3200, id="yen_below_half_rounds_down"),
            pytest.param("2.55", "GBP", 255, id="pence"),
            pytest.param("2.555", "GBP", 256, id="pence_half_rounds_up"),
            pytest.param("2.545", "GBP", 255, id="pence_half_up_not_bankers"),
            pytest.param("0.125", "USD", 13, id="cents_half_rounds_up"),
            pytest.param("-1.5", "JPY", -2, id="negative_half_rounds_away_from_zero"),
            pytest.param(" 7 ", "JPY", 7, id="surrounding_spaces"),
            pytest.param("0", "USD", 0, id="zero"),
        ],
    )
    def test_amount_in_minor_units(self, text: str, currency: str, expected: int) -> None:
        assert to_minor(text, currency) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("abc", id="letters"),
            pytest.param("", id="empty"),
            pytest.param("NaN", id="not_a_number"),
            pytest.param("Infinity", id="infinity"),
            pytest.param("1.2.3", id="two_points"),
        ],
    )
    def test_non_numbers_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="is not an amount"):
            to_minor(text)


class TestFormatMoney:
    @pytest.mark.parametrize(
        ("amount", "currency", "expected"),
        [
            pytest.param(3200, "JPY", "¥3,200", id="yen"),
            pytest.param(0, "JPY", "¥0", id="yen_zero"),
            pytest.param(1_234_567, "JPY", "¥1,234,567", id="yen_millions"),
            pytest.param(-3200, "JPY", "-¥3,200", id="yen_negative"),
            pytest.param(255, "GBP", "£2.55", id="pounds"),
            pytest.param(5, "USD", "$0.05", id="cents_only"),
            pytest.param(-255, "GBP", "-£2.55", id="pounds_negative"),
            pytest.param(123_456_789, "USD", "$1,234,567.89", id="dollars_thousands"),
            pytest.param(1000, "CHF", "CHF 10.00", id="unknown_currency_uses_code"),
        ],
    )
    def test_symbol_separators_and_sign(self, amount: int, currency: str, expected: str) -> None:
        assert format_money(amount, currency) == expected

    def test_format_yen_is_format_money_in_yen(self) -> None:
        assert format_yen(3200) == "¥3,200"

    @pytest.mark.parametrize(
        ("text", "currency", "expected"),
        [
            pytest.param("3,200", "JPY", "¥3,200", id="yen"),
            pytest.param("2.55", "GBP", "£2.55", id="pounds"),
            pytest.param("1234567.891", "USD", "$1,234,567.89", id="dollars_rounded"),
        ],
    )
    def test_parsed_amounts_format_back(self, text: str, currency: str, expected: str) -> None:
        assert format_money(to_minor(text, currency), currency) == expected
