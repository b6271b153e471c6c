"""Where demo customers live and what they do: prefectures by population, postal code ranges,
occupations, email domains. Pure data plus two vectorised draws."""

from __future__ import annotations

import numpy as np

from kizuna.kit.jp import PREFECTURES

# 2020 census population in thousands, in the order of ``kizuna.kit.jp.PREFECTURES``.
POPULATION = (
    5225, 1238, 1211, 2302, 960, 1068, 1833, 2867, 1933, 1939, 7345, 6284, 14048, 9237, 2201,
    1035, 1133, 767, 810, 2048, 1979, 3633, 7542, 1770, 1414, 2578, 8838, 5465, 1324, 923, 553,
    671, 1888, 2800, 1342, 720, 950, 1335, 692, 5135, 811, 1312, 1738, 1124, 1070, 1588, 1467,
)  # fmt: skip

# First three digits of the postal codes used in each prefecture (inclusive ranges, approximate).
POSTAL_PREFIX = (
    (40, 99), (30, 39), (20, 29), (980, 989), (10, 19), (990, 999), (960, 979), (300, 319),
    (320, 329), (370, 379), (330, 369), (260, 299), (100, 208), (210, 259), (940, 959),
    (930, 939), (920, 929), (910, 919), (400, 409), (380, 399), (500, 509), (410, 439),
    (440, 498), (510, 519), (520, 529), (600, 629), (530, 599), (650, 679), (630, 639),
    (640, 649), (680, 689), (690, 699), (700, 719), (720, 739), (740, 759), (770, 779),
    (760, 769), (790, 799), (780, 789), (800, 839), (840, 849), (850, 859), (860, 869),
    (870, 879), (880, 889), (890, 899), (900, 909),
)  # fmt: skip

OCCUPATIONS = (
    ("会社員", 34), ("パート・アルバイト", 14), ("専業主婦・主夫", 12), ("公務員", 6),
    ("自営業", 6), ("会社役員", 2), ("医療・福祉", 6), ("教職員", 3), ("学生", 5),
    ("無職", 4), ("その他", 8),
)  # fmt: skip

# Reserved example domains (RFC 2606 and JPRS), so that no demo message can reach a real person.
EMAIL_DOMAINS = ("example.jp", "example.co.jp", "example.ne.jp", "example.com", "example.org")
ALT_EMAIL_DOMAIN = "example.net"
MOBILE_PREFIXES = ("090", "080", "070")

_PREF_CDF = np.cumsum(POPULATION) / sum(POPULATION)
_LOW = np.array([low for low, _ in POSTAL_PREFIX])
_HIGH = np.array([high for _, high in POSTAL_PREFIX])
_OCC_CDF = np.cumsum([w for _, w in OCCUPATIONS]) / sum(w for _, w in OCCUPATIONS)
OCCUPATION_NAMES = tuple(name for name, _ in OCCUPATIONS)


def draw_prefectures(rng: np.random.Generator, size: int) -> np.ndarray:
    """Prefecture indices into ``PREFECTURES``, weighted by population."""
    idx = np.searchsorted(_PREF_CDF, rng.random(size), side="right")
    return np.minimum(idx, len(PREFECTURES) - 1)


def draw_postal_codes(rng: np.random.Generator, prefectures: np.ndarray) -> list[str]:
    """A plausible ``"150-0001"`` postal code inside each prefecture's range."""
    low, high = _LOW[prefectures], _HIGH[prefectures]
    first = low + (rng.random(len(prefectures)) * (high - low + 1)).astype(np.int64)
    last = rng.integers(0, 9000, len(prefectures))
    return [f"{a:03d}-{b:04d}" for a, b in zip(first.tolist(), last.tolist(), strict=True)]


def draw_occupations(rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
    """Occupation indices (-1 = not given); the young are mostly students, the old retired."""
    size = len(ages)
    idx = np.minimum(np.searchsorted(_OCC_CDF, rng.random(size), side="right"), len(_OCC_CDF) - 1)
    u = rng.random(size)
    idx = np.where((ages < 23) & (u < 0.6), OCCUPATION_NAMES.index("学生"), idx)
    idx = np.where((ages >= 68) & (u < 0.5), OCCUPATION_NAMES.index("無職"), idx)
    return np.where(rng.random(size) < 0.12, -1, idx)
