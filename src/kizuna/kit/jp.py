"""Japanese data handling: prefectures, postal codes, width/kana normalisation, names, phones."""

from __future__ import annotations

import re
import unicodedata

PREFECTURES: tuple[str, ...] = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)
PREFECTURES_EN: tuple[str, ...] = (
    "Hokkaido",
    "Aomori",
    "Iwate",
    "Miyagi",
    "Akita",
    "Yamagata",
    "Fukushima",
    "Ibaraki",
    "Tochigi",
    "Gunma",
    "Saitama",
    "Chiba",
    "Tokyo",
    "Kanagawa",
    "Niigata",
    "Toyama",
    "Ishikawa",
    "Fukui",
    "Yamanashi",
    "Nagano",
    "Gifu",
    "Shizuoka",
    "Aichi",
    "Mie",
    "Shiga",
    "Kyoto",
    "Osaka",
    "Hyogo",
    "Nara",
    "Wakayama",
    "Tottori",
    "Shimane",
    "Okayama",
    "Hiroshima",
    "Yamaguchi",
    "Tokushima",
    "Kagawa",
    "Ehime",
    "Kochi",
    "Fukuoka",
    "Saga",
    "Nagasaki",
    "Kumamoto",
    "Oita",
    "Miyazaki",
    "Kagoshima",
    "Okinawa",
)

_PREF_LOOKUP: dict[str, str] = {}
for _code, (_ja, _en) in enumerate(zip(PREFECTURES, PREFECTURES_EN, strict=True), start=1):
    # Only the one-character suffix goes: "京都府" → "京都" ("東京都" → "東京"), never "京".
    _short = _ja[:-1] if _ja[-1] in "都府県" else _ja
    for _key in (_ja, _short, _en.lower(), f"{_code:02d}", str(_code)):
        _PREF_LOOKUP[_key] = _ja
_PREF_LOOKUP["北海"] = "北海道"

_POSTAL = re.compile(r"^(\d{3})-?(\d{4})$")
_DASHES = str.maketrans(dict.fromkeys("ー−‐‑‒–—―", "-"))
_HIRA_TO_KATA = {code: code + 0x60 for code in range(0x3041, 0x3097)}


def nfkc(text: str) -> str:
    """Full-width ASCII to half-width and half-width kana to full-width (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", text)


def normalise_prefecture(text: str) -> str:
    """The canonical prefecture (``"東京"``, ``"tokyo"``, ``"13"`` → ``"東京都"``) or ValueError."""
    key = nfkc(text).strip()
    found = _PREF_LOOKUP.get(key) or _PREF_LOOKUP.get(key.lower())
    if found is None:
        raise ValueError(f"{text!r} is not a Japanese prefecture")
    return found


def normalise_postal_code(text: str) -> str:
    """``"１５０ー０００１"`` → ``"150-0001"``; ValueError unless seven digits."""
    cleaned = nfkc(text).translate(_DASHES).replace("〒", "").strip()
    match = _POSTAL.match(cleaned)
    if not match:
        raise ValueError(f"{text!r} is not a postal code (7 digits, e.g. 150-0001)")
    return f"{match.group(1)}-{match.group(2)}"


def to_katakana(text: str) -> str:
    """Hiragana and half-width kana to full-width katakana (for セイ・メイ matching)."""
    return nfkc(text).translate(_HIRA_TO_KATA)


def normalise_email(text: str) -> str:
    """Width-normalised, trimmed, lower-cased email; ValueError if it has no single @."""
    email = nfkc(text).strip().lower()
    local, sep, domain = email.partition("@")
    if not sep or not local or "." not in domain or "@" in domain or " " in email:
        raise ValueError(f"{text!r} is not an email address")
    return email


def normalise_phone(text: str) -> str:
    """Digits only, +81 turned into a leading 0: ``"+81 90-1234-5678"`` → ``"09012345678"``."""
    digits = re.sub(r"\D", "", nfkc(text))
    if nfkc(text).strip().startswith("+81"):
        digits = "0" + digits[2:]
    if not 10 <= len(digits) <= 11:
        raise ValueError(f"{text!r} is not a phone number (10 or 11 digits)")
    return digits


def full_name(family: str | None, given: str | None, language: str = "ja") -> str:
    """姓 名 in Japanese order; ``Given Family`` in English."""
    parts = [family or "", given or ""] if language == "ja" else [given or "", family or ""]
    return " ".join(p for p in parts if p).strip()
