"""Japanese data handling: prefectures, postal codes, kana, emails, phones, names."""

from __future__ import annotations

import pytest

from kizuna.kit import jp


class TestNormalisePrefecture:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("東京都", "東京都", id="canonical"),
            pytest.param("東京", "東京都", id="without_suffix_to"),
            pytest.param("京都", "京都府", id="without_suffix_fu_kyoto"),
            pytest.param("大阪", "大阪府", id="without_suffix_fu_osaka"),
            pytest.param("神奈川", "神奈川県", id="without_suffix_ken"),
            pytest.param("北海道", "北海道", id="hokkaido"),
            pytest.param("北海", "北海道", id="hokkaido_short"),
            pytest.param("tokyo", "東京都", id="romaji_lower"),
            pytest.param("Tokyo", "東京都", id="romaji_title"),
            pytest.param("ＴＯＫＹＯ", "東京都", id="romaji_full_width"),
            pytest.param("13", "東京都", id="jis_code"),
            pytest.param("１３", "東京都", id="jis_code_full_width"),
            pytest.param("1", "北海道", id="jis_code_unpadded"),
            pytest.param("01", "北海道", id="jis_code_padded"),
            pytest.param("47", "沖縄県", id="jis_code_last"),
            pytest.param(" 沖縄県 ", "沖縄県", id="surrounding_spaces"),
        ],
    )
    def test_known_spellings_give_the_canonical_name(self, text: str, expected: str) -> None:
        assert jp.normalise_prefecture(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("京", id="over_stripped_kyoto"),
            pytest.param("48", id="code_out_of_range"),
            pytest.param("0", id="code_zero"),
            pytest.param("Texas", id="foreign"),
            pytest.param("", id="empty"),
        ],
    )
    def test_unknown_text_is_refused_with_the_value(self, text: str) -> None:
        with pytest.raises(ValueError, match="is not a Japanese prefecture") as caught:
            jp.normalise_prefecture(text)
        assert repr(text) in str(caught.value)

    def test_every_prefecture_round_trips_by_code(self) -> None:
        # given the 47 prefectures in JIS X 0401 order
        # when each is looked up by its two-digit code
        found = [jp.normalise_prefecture(f"{code:02d}") for code in range(1, 48)]
        # then the list is the prefectures in order
        assert found == list(jp.PREFECTURES)
        assert len(set(found)) == 47


class TestNormalisePostalCode:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("150-0001", "150-0001", id="canonical"),
            pytest.param("1500001", "150-0001", id="digits_only"),
            pytest.param("１５０－０００１", "150-0001", id="full_width_hyphen_minus"),
            pytest.param("１５０ー０００１", "150-0001", id="full_width_prolonged_sound_mark"),
            pytest.param("150−0001", "150-0001", id="minus_sign"),
            pytest.param("150‐0001", "150-0001", id="unicode_hyphen"),
            pytest.param("〒150-0001", "150-0001", id="postal_mark"),
            pytest.param("〒 150-0001 ", "150-0001", id="postal_mark_and_spaces"),
        ],
    )
    def test_variants_give_nnn_nnnn(self, text: str, expected: str) -> None:
        assert jp.normalise_postal_code(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("150-001", id="six_digits"),
            pytest.param("15000011", id="eight_digits"),
            pytest.param("15-00001", id="hyphen_misplaced"),
            pytest.param("ABC-DEFG", id="letters"),
            pytest.param("", id="empty"),
        ],
    )
    def test_anything_but_seven_digits_is_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"is not a postal code \(7 digits"):
            jp.normalise_postal_code(text)


class TestToKatakana:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("やまだ", "ヤマダ", id="hiragana"),
            pytest.param("ﾔﾏﾀﾞ", "ヤマダ", id="half_width_with_dakuten"),
            pytest.param("ﾊﾟﾝ", "パン", id="half_width_with_handakuten"),
            pytest.param("ヤマダ", "ヤマダ", id="already_katakana"),
            pytest.param("やまダ", "ヤマダ", id="mixed"),
            pytest.param("ゔ", "ヴ", id="hiragana_vu"),
            pytest.param("", "", id="empty"),
        ],
    )
    def test_kana_becomes_full_width_katakana(self, text: str, expected: str) -> None:
        assert jp.to_katakana(text) == expected


class TestNormaliseEmail:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("taro@example.jp", "taro@example.jp", id="canonical"),
            pytest.param("Taro@Example.JP", "taro@example.jp", id="mixed_case"),
            pytest.param("ＴＡＲＯ@EXAMPLE.JP", "taro@example.jp", id="full_width_local_part"),
            pytest.param("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ", "taro@example.jp", id="all_full_width"),
            pytest.param("  taro@example.jp\t", "taro@example.jp", id="surrounding_spaces"),
        ],
    )
    def test_width_and_case_are_normalised(self, text: str, expected: str) -> None:
        assert jp.normalise_email(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("taro.example.jp", id="no_at"),
            pytest.param("taro@@example.jp", id="two_ats"),
            pytest.param("@example.jp", id="no_local_part"),
            pytest.param("taro@localhost", id="no_dot_in_domain"),
            pytest.param("ta ro@example.jp", id="inner_space"),
        ],
    )
    def test_malformed_addresses_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match="is not an email address"):
            jp.normalise_email(text)


class TestNormalisePhone:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("090-1234-5678", "09012345678", id="mobile_hyphens"),
            pytest.param("+81 90-1234-5678", "09012345678", id="mobile_international"),
            pytest.param("+819012345678", "09012345678", id="mobile_international_compact"),
            pytest.param("０９０－１２３４－５６７８", "09012345678", id="mobile_full_width"),
            pytest.param("(03) 1234-5678", "0312345678", id="landline_brackets"),
            pytest.param("+81-3-1234-5678", "0312345678", id="landline_international"),
        ],
    )
    def test_digits_only_with_leading_zero(self, text: str, expected: str) -> None:
        assert jp.normalise_phone(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            pytest.param("1234-5678", id="too_short"),
            pytest.param("090-1234-5678-9", id="too_long"),
            pytest.param("phone", id="no_digits"),
        ],
    )
    def test_wrong_lengths_are_refused(self, text: str) -> None:
        with pytest.raises(ValueError, match=r"is not a phone number \(10 or 11 digits\)"):
            jp.normalise_phone(text)


class TestFullName:
    @pytest.mark.parametrize(
        ("family", "given", "language", "expected"),
        [
            pytest.param("山田", "太郎", "ja", "山田 太郎", id="ja_family_first"),
            pytest.param("Yamada", "Taro", "en", "Taro Yamada", id="en_given_first"),
            pytest.param("山田", None, "ja", "山田", id="family_only"),
            pytest.param(None, None, "ja", "", id="neither"),
        ],
    )
    def test_order_depends_on_language(
        self, family: str | None, given: str | None, language: str, expected: str
    ) -> None:
        assert jp.full_name(family, given, language) == expected
