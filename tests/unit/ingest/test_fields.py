"""Field parsers: each returns a value or raises ValueError with a reason a person can act on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from kizuna.ingest import fields as f


class TestParseDatetime:
    @pytest.mark.parametrize(
        ("text", "zone", "expected"),
        [
            pytest.param(
                "2024-01-05 10:00",
                "Asia/Tokyo",
                datetime(2024, 1, 5, 1, tzinfo=UTC),
                id="naive_read_in_shop_zone",
            ),
            pytest.param(
                "2024-01-05T10:00:00+09:00",
                "Europe/London",
                datetime(2024, 1, 5, 1, tzinfo=UTC),
                id="offset_wins_over_zone",
            ),
            pytest.param(
                "2024/01/05 10:00:00",
                "Asia/Tokyo",
                datetime(2024, 1, 5, 1, tzinfo=UTC),
                id="slashes",
            ),
            pytest.param(
                "2024/1/5 9:05",
                "Asia/Tokyo",
                datetime(2024, 1, 5, 0, 5, tzinfo=UTC),
                id="spreadsheet_unpadded",
            ),
            pytest.param(
                "2024/1/5",
                "Asia/Tokyo",
                datetime(2024, 1, 4, 15, tzinfo=UTC),
                id="date_only_is_local_midnight",
            ),
            pytest.param(
                "20240105", "Asia/Tokyo", datetime(2024, 1, 4, 15, tzinfo=UTC), id="basic_format"
            ),
            pytest.param(
                "２０２４－０１－０５",
                "Asia/Tokyo",
                datetime(2024, 1, 4, 15, tzinfo=UTC),
                id="full_width",
            ),
            pytest.param(
                "2010-12-01 08:26:00",
                "Europe/London",
                datetime(2010, 12, 1, 8, 26, tzinfo=UTC),
                id="london_winter_is_utc",
            ),
        ],
    )
    def test_aware_utc(self, text: str, zone: str, expected: datetime) -> None:
        assert f.parse_datetime(text, zone) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("2024-02-30", id="no_such_day"),
            pytest.param("2024-13-01", id="no_such_month"),
            pytest.param("2024/1/5 25:00", id="no_such_hour"),
            pytest.param("05/01/2024", id="day_first"),
            pytest.param("yesterday", id="words"),
            pytest.param("", id="empty"),
            pytest.param("0001-01-01", id="out_of_range_after_zone_shift"),
        ],
    )
    def test_bad_values_say_what_to_use(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"is not a date-time \(use YYYY-MM-DD HH:MM:SS\)"):
            f.parse_datetime(text, "Asia/Tokyo")


class TestParseDate:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("1990-04-01", date(1990, 4, 1), id="iso"),
            pytest.param("1990/4/1", date(1990, 4, 1), id="slashes_unpadded"),
            pytest.param("19900401", date(1990, 4, 1), id="basic_format"),
            pytest.param("１９９０－０４－０１", date(1990, 4, 1), id="full_width"),
        ],
    )
    def test_dates(self, text: str, expected: date) -> None:
        assert f.parse_date(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("1990-02-30", id="no_such_day"),
            pytest.param("1990", id="year_only"),
            pytest.param("April 1st", id="words"),
        ],
    )
    def test_bad_dates(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"is not a date \(use YYYY-MM-DD\)"):
            f.parse_date(text)


class TestParseMoney:
    @pytest.mark.parametrize(
        ("text", "currency", "expected"),
        [
            pytest.param("1,800", "JPY", 1800, id="yen"),
            pytest.param("2.55", "GBP", 255, id="pence"),
            pytest.param("0", "JPY", 0, id="zero"),
            pytest.param("2147483647", "JPY", 2_147_483_647, id="largest_storable"),
        ],
    )
    def test_amounts(self, text: str, currency: str, expected: int) -> None:
        assert f.parse_money(text, currency) == expected

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            pytest.param("-100", "is negative; amounts must be 0 or more", id="negative"),
            pytest.param("2147483648", "is too large", id="beyond_32_bits"),
            pytest.param("abc", "is not an amount", id="letters"),
        ],
    )
    def test_refused(self, text: str, reason: str) -> None:
        with pytest.raises(ValueError, match=reason):
            f.parse_money(text, "JPY")


class TestParseInt:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("3", 3, id="plain"),
            pytest.param("-3", -3, id="negative"),
            pytest.param("１，０００", 1000, id="full_width_with_separator"),
            pytest.param(" 12 ", 12, id="spaces"),
        ],
    )
    def test_whole_numbers(self, text: str, expected: int) -> None:
        assert f.parse_int(text) == expected

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            pytest.param("1.5", "is not a whole number", id="fraction"),
            pytest.param("", "is not a whole number", id="empty"),
            pytest.param("99999999999", "is too large", id="beyond_32_bits"),
        ],
    )
    def test_refused(self, text: str, reason: str) -> None:
        with pytest.raises(ValueError, match=reason):
            f.parse_int(text)


class TestParseBool:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("1", True, id="one"),
            pytest.param("yes", True, id="yes"),
            pytest.param("TRUE", True, id="upper_true"),
            pytest.param("はい", True, id="hai"),
            pytest.param("○", True, id="maru"),
            pytest.param("0", False, id="zero"),
            pytest.param("いいえ", False, id="iie"),
            pytest.param("×", False, id="batsu"),
            pytest.param("", False, id="empty_is_no"),
        ],
    )
    def test_yes_no(self, text: str, expected: bool) -> None:
        assert f.parse_bool(text) is expected

    def test_other_text_is_refused(self) -> None:
        with pytest.raises(ValueError, match=r"'maybe' is not yes/no \(use 1 or 0\)"):
            f.parse_bool("maybe")


class TestParseGender:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("female", "female", id="english"),
            pytest.param("F", "female", id="letter"),
            pytest.param("女性", "female", id="japanese"),
            pytest.param("2", "female", id="jis_x_0303_female"),
            pytest.param("男", "male", id="japanese_male"),
            pytest.param("1", "male", id="jis_x_0303_male"),
            pytest.param("その他", "other", id="other"),
            pytest.param("", "unknown", id="empty"),
        ],
    )
    def test_genders(self, text: str, expected: str) -> None:
        assert f.parse_gender(text) == expected

    def test_unknown_value_lists_the_choices(self) -> None:
        with pytest.raises(ValueError, match=r"'X' is not a gender \(female, male, other or"):
            f.parse_gender("X")


class TestParseJsonObject:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param('{"size": "M", "会員": true}', {"size": "M", "会員": True}, id="object"),
            pytest.param("", {}, id="empty"),
            pytest.param("   ", {}, id="blank"),
        ],
    )
    def test_objects(self, text: str, expected: dict) -> None:
        assert f.parse_json_object(text) == expected

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            pytest.param(
                '{"size": ', "not valid JSON: Expecting value at character 9", id="truncated"
            ),
            pytest.param(
                "{'size': 'M'}",
                "not valid JSON: Expecting property name enclosed in double quotes at character 1",
                id="single_quotes",
            ),
            pytest.param("[1, 2]", 'must be a JSON object like {"key": "value"}', id="array"),
            pytest.param('"text"', 'must be a JSON object like {"key": "value"}', id="string"),
        ],
    )
    def test_malformed_json_names_the_problem(self, text: str, reason: str) -> None:
        with pytest.raises(ValueError) as caught:
            f.parse_json_object(text)
        assert str(caught.value) == reason


class TestParseCurrency:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("JPY", "JPY", id="upper"),
            pytest.param("gbp", "GBP", id="lower"),
            pytest.param("ＵＳＤ", "USD", id="full_width"),
        ],
    )
    def test_codes(self, text: str, expected: str) -> None:
        assert f.parse_currency(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("YENS", id="four_letters"),
            pytest.param("¥", id="symbol"),
            pytest.param("12A", id="digits"),
        ],
    )
    def test_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"is not a currency code \(three letters"):
            f.parse_currency(text)


class TestParseChoice:
    def test_case_insensitive_with_default_for_empty(self) -> None:
        choices = ("online", "app", "store", "phone")
        assert f.parse_choice("STORE", choices, "online") == "store"
        assert f.parse_choice("", choices, "online") == "online"

    def test_unknown_value_lists_the_choices(self) -> None:
        with pytest.raises(ValueError) as caught:
            f.parse_choice("web", ("online", "app"), "online")
        assert str(caught.value) == "'web' is not one of online, app"
