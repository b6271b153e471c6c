"""Demo people: members (registered) and guest-only shoppers, drawn as arrays for one block.

Every identity is derived from the person's global index, so emails, phones and member numbers
are unique across the whole shop without any bookkeeping; a member's guest checkouts may reuse
their email (unified on import) or use a second address (kept apart until someone merges them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from kizuna.customers.schemas import CustomerIn
from kizuna.demo.calendar import Calendar
from kizuna.demo.names import ERAS, family_names, given_names
from kizuna.demo.places import (
    ALT_EMAIL_DOMAIN,
    EMAIL_DOMAINS,
    MOBILE_PREFIXES,
    OCCUPATION_NAMES,
    draw_occupations,
    draw_postal_codes,
    draw_prefectures,
)  # fmt: skip
from kizuna.demo.products import category_shares
from kizuna.kit.jp import PREFECTURES

MEMBER_SHARE = 0.75
GENDERS = ("female", "male", "other", "unknown")
REG_CHANNELS = ("online", "app", "store", "phone")
_GENDER_CDF = np.cumsum([0.62, 0.34, 0.01, 0.03])
_REG_CDF = np.cumsum([0.55, 0.25, 0.15, 0.05])
_SOURCES = ("instagram", "search", "friend", "magazine", "store", "line", "ads")
_FAMILY = family_names()
_GIVEN = tuple(given_names(g, e) for g in ("female", "male") for e in ERAS)


@dataclass
class People:
    """One block of people as arrays (index ``i`` is the same person in every field)."""

    index: np.ndarray
    member: np.ndarray
    gender: np.ndarray
    age: np.ndarray
    registered: np.ndarray
    channel: np.ndarray
    has_phone: np.ndarray
    has_email: np.ndarray
    affinity: np.ndarray
    family: list[str]
    given: list[str]
    family_kana: list[str]
    given_kana: list[str]
    email: list[str]
    alt_email: list[str]
    phone: list[str]
    ids: list[str]

    def __len__(self) -> int:
        return len(self.index)

    def external_id(self, i: int) -> str:
        """The member's customer id (``C0000001`` for person 0)."""
        return self.ids[i]


def draw_people(rng: np.random.Generator, cal: Calendar, first_index: int, size: int) -> People:
    """``size`` people numbered from ``first_index``: names, registration, channel, tastes."""
    index = np.arange(first_index, first_index + size)
    gender = _pick(_GENDER_CDF, rng.random(size))
    age = np.clip(rng.normal(44, 13, size), 18, 85).astype(np.int64)
    family = _FAMILY.draw(rng.random(size)).tolist()
    tables, given = _given(rng, gender, cal.today.year - age)
    fam_r = [_FAMILY.romaji[f] for f in family]
    giv_r = [t.romaji[g] for t, g in zip(tables, given, strict=True)]
    reg_days = cal.day_at(rng.random(size) * cal.growth_mass[-1], cal.growth_mass)
    shares = category_shares()
    return People(
        index=index, member=rng.random(size) < MEMBER_SHARE, gender=gender, age=age,
        registered=cal.clock(rng, reg_days), channel=_pick(_REG_CDF, rng.random(size)),
        has_phone=rng.random(size) < 0.7, has_email=rng.random(size) < 0.97,
        affinity=np.cumsum(rng.dirichlet(shares * 2.0, size) * 0.7 + shares * 0.3, axis=1),
        family=[_FAMILY.kanji[f] for f in family], family_kana=[_FAMILY.kana[f] for f in family],
        given=[t.kanji[g] for t, g in zip(tables, given, strict=True)],
        given_kana=[t.kana[g] for t, g in zip(tables, given, strict=True)],
        email=_emails(rng, index, fam_r, giv_r), phone=_phones(index),
        ids=[f"C{n:07d}" for n in (index + 1).tolist()],
        alt_email=[f"{g}.{f}.{n + 1}@{ALT_EMAIL_DOMAIN}"
                   for g, f, n in zip(giv_r, fam_r, index.tolist(), strict=True)],
    )  # fmt: skip


def _pick(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def _given(rng: np.random.Generator, gender: np.ndarray, birth_year: np.ndarray) -> tuple:
    """The name table (by sex and generation) and the given-name index of each person."""
    era = np.where(birth_year < 1970, 0, np.where(birth_year < 1995, 1, 2))
    coin = (rng.random(len(gender)) < 0.5).astype(np.int64)
    key = np.where(gender == 0, 0, np.where(gender == 1, 1, coin)) * len(ERAS) + era
    u, index = rng.random(len(gender)), np.zeros(len(gender), dtype=np.int64)
    for k, table in enumerate(_GIVEN):
        chosen = key == k
        index[chosen] = table.draw(u[chosen])
    return [_GIVEN[k] for k in key.tolist()], index.tolist()


def _emails(
    rng: np.random.Generator, index: np.ndarray, fam: list[str], giv: list[str]
) -> list[str]:
    style = rng.integers(0, 4, len(index)).tolist()
    domain = rng.integers(0, len(EMAIL_DOMAINS), len(index)).tolist()
    out = []
    for n, f, g, s, d in zip((index + 1).tolist(), fam, giv, style, domain, strict=True):
        local = (f"{g}.{f}{n}", f"{f}.{g}{n}", f"{g}_{f}{n}", f"{g}{n}")[s]
        out.append(f"{local}@{EMAIL_DOMAINS[d]}")
    return out


def _phones(index: np.ndarray) -> list[str]:
    # 7919 is coprime with 10, so the eight-digit tails are distinct for the first 10**8 people.
    tails = ((index * 7919 + 12_345_678) % 100_000_000).tolist()
    return [f"{MOBILE_PREFIXES[i % 3]}{t:08d}" for i, t in zip(index.tolist(), tails, strict=True)]


def customer_records(
    rng: np.random.Generator, people: People, cal: Calendar, rows: np.ndarray, registered_at: list
) -> list[CustomerIn]:
    """CustomerIn for the member rows ``rows`` (registration times given, aware UTC)."""
    size = len(rows)
    pref = draw_prefectures(rng, size)
    postal = draw_postal_codes(rng, pref)
    occupation = draw_occupations(rng, people.age[rows]).tolist()
    birth_shift = rng.integers(0, 365, size).tolist()
    no_birth = (rng.random(size) < 0.08).tolist()
    extras = rng.random((size, 8))
    line_ids = rng.integers(0, 2**63, (size, 2)).tolist()
    source = rng.integers(0, len(_SOURCES), size).tolist()
    out = []
    for k, i in enumerate(rows.tolist()):
        age = int(people.age[i])
        birth = None if no_birth[k] else _birth(cal.today, age, birth_shift[k])
        identities, consents, status = _contact(people, i, extras[k], line_ids[k])
        out.append(CustomerIn(
            external_id=people.external_id(i), is_member=True, family_name=people.family[i],
            given_name=people.given[i], family_kana=people.family_kana[i],
            given_kana=people.given_kana[i], birth_date=birth,
            gender=GENDERS[people.gender[i]], prefecture=PREFECTURES[pref[k]],
            postal_code=postal[k], country="JP",
            occupation=None if occupation[k] < 0 else OCCUPATION_NAMES[occupation[k]],
            registered_at=registered_at[k], registration_channel=REG_CHANNELS[people.channel[i]],
            marketing_status=status, attributes={"source": _SOURCES[source[k]]},
            identities=identities, consents=consents,
        ))  # fmt: skip
    return out


def _birth(today: date, age: int, shift: int) -> date:
    return today - timedelta(days=int(age * 365.25) + shift)


def _contact(people: People, i: int, u: np.ndarray, line: list[int]) -> tuple:
    """Identities, consents and marketing status of member ``i`` from eight uniform draws."""
    channel = REG_CHANNELS[people.channel[i]]
    ids: list[tuple[str, str]] = [("member_number", f"KZ{people.index[i] + 1:08d}")]
    if people.has_email[i]:
        ids.append(("email", people.email[i]))
    if people.has_phone[i]:
        ids.append(("phone", people.phone[i]))
    has_line, has_app = u[1] < 0.35, channel == "app" or u[2] < 0.15
    if has_line:
        ids.append(("line_user_id", f"U{line[0]:016x}{line[1]:016x}"))
    if has_app:
        ids.append(("app_id", f"app-{line[1]:016x}"))
    if channel == "store":
        ids.append(("store_card", f"{2_000_000_000_000 + int(people.index[i])}"))
    status = "subscribed" if u[3] < 0.6 else "unsubscribed" if u[3] < 0.7 else "never_asked"
    consents: list[tuple[str, bool]] = []
    if status != "never_asked" and people.has_email[i]:
        consents.append(("email", status == "subscribed"))
    if has_line:
        consents.append(("line", bool(u[4] < 0.8)))
    if has_app:
        consents.append(("push", bool(u[5] < 0.7)))
    if people.has_phone[i] and u[6] < 0.3:
        consents.append(("sms", bool(u[6] < 0.15)))
    if u[7] < 0.4:
        consents.append(("postal", bool(u[7] < 0.25)))
    return tuple(ids), tuple(consents), status
