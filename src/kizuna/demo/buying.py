"""When demo people buy: a buy-till-you-die process, plus subscription (定期) deliveries.

Each buyer makes a first purchase, then repeat purchases as a Poisson process whose rate ``λ`` is
drawn from a gamma (heterogeneity), thinned by the shop calendar (seasons, weekdays); after every
purchase they drop out for good with probability ``p`` drawn from a beta (BG/NBD, Fader, Hardie &
Lee 2005). Dropout is what makes customers churn; without it BTYD fits diverge. Given ``n``
purchases in an interval, their (intensity-scaled) times are uniform order statistics, which is
how the repeats are drawn without a per-customer loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kizuna.demo.calendar import DAY, Calendar
from kizuna.demo.people import People

# BG/NBD parameters: members buy often and stay; guest-only shoppers rarely come back.
MEMBER_RATE = (0.8, 0.07)  # gamma shape and mean purchases per (average) day
MEMBER_DROPOUT = (0.5, 2.0)  # beta a, b
GUEST_RATE = (0.6, 0.01)
GUEST_DROPOUT = (1.5, 1.5)
LEAD_SHARE = 0.12
SUBSCRIBER_SHARE = 0.065
INTERVALS = (30, 45, 60, 90)
_INTERVAL_CDF = np.cumsum([0.5, 0.15, 0.25, 0.1])
# Order channel (online, app, store, phone) by registration channel.
_CHANNEL_CDF = np.cumsum(
    [[0.82, 0.12, 0.04, 0.02], [0.2, 0.75, 0.05, 0.0], [0.3, 0.1, 0.6, 0.0], [0.2, 0.0, 0.1, 0.7]],
    axis=1,
)
# How an order was placed: logged in, or a guest checkout with which contact details.
MEMBER, GUEST_SAME_EMAIL, GUEST_ALT_AND_PHONE, GUEST_ALT_EMAIL, GUEST_ONLY = range(5)


@dataclass
class Purchases:
    """Orders of one block, sorted by person then time. ``plan`` is -1 or a subscription row."""

    person: np.ndarray
    at: np.ndarray
    channel: np.ndarray
    checkout: np.ndarray
    plan: np.ndarray

    def __len__(self) -> int:
        return len(self.person)


@dataclass
class Plans:
    """Subscriptions of one block; times in window seconds, ``next_day`` -1 when none."""

    person: np.ndarray
    interval: np.ndarray
    start: np.ndarray
    status: np.ndarray
    cancelled: np.ndarray
    next_day: np.ndarray
    deliveries: np.ndarray


def first_purchases(rng: np.random.Generator, cal: Calendar, people: People) -> np.ndarray:
    """Window seconds of each person's first purchase; -1 for leads and those not buying yet."""
    size = len(people)
    delayed = rng.random(size) < 0.3
    delay_days = np.ceil(rng.exponential(25, size)).astype(np.int64)
    member_first = np.where(
        delayed,
        cal.clock(rng, people.registered // DAY + delay_days),
        people.registered + rng.integers(120, 1800, size),
    )
    guest_days = cal.day_at(rng.random(size) * cal.growth_mass[-1], cal.growth_mass)
    first = np.where(people.member, member_first, cal.clock(rng, guest_days))
    lead = people.member & (rng.random(size) < LEAD_SHARE)
    return np.where(lead | (first >= cal.end), -1, first)


def repeat_purchases(
    rng: np.random.Generator, cal: Calendar, people: People, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(person, seconds)`` of repeat purchases under BG/NBD with seasonal intensity."""
    size = len(people)
    member = people.member
    shape = np.where(member, MEMBER_RATE[0], GUEST_RATE[0])
    rate = rng.gamma(shape, np.where(member, MEMBER_RATE[1], GUEST_RATE[1]) / shape)
    dropout = rng.beta(np.where(member, MEMBER_DROPOUT[0], GUEST_DROPOUT[0]),
                       np.where(member, MEMBER_DROPOUT[1], GUEST_DROPOUT[1]))  # fmt: skip
    buyer = first >= 0
    start_day = np.minimum(np.where(buyer, first // DAY + 1, cal.days), cal.days)
    low = cal.mass[start_day]
    available = np.where(buyer, cal.mass[-1] - low, 0.0)
    count = rng.poisson(rate * available)
    alive_for = rng.geometric(np.clip(dropout, 1e-3, 1.0)) - 1
    person = np.repeat(np.arange(size), count)
    mass = low[person] + rng.random(len(person)) * available[person]
    order = np.lexsort((mass, person))
    person, mass = person[order], mass[order]
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    rank = np.arange(len(person)) - starts[person]
    keep = rank < alive_for[person]
    person, days = person[keep], cal.day_at(mass[keep])
    return person, cal.clock(rng, days)


def subscription_plans(
    rng: np.random.Generator, cal: Calendar, people: People, first: np.ndarray
) -> Plans:
    """Subscriptions for about 5% of members, with their deliveries, pauses and cancellations."""
    eligible = people.member & (first >= 0) & (first < cal.end - 45 * DAY)
    person = np.flatnonzero(eligible & (rng.random(len(people)) < SUBSCRIBER_SHARE / 0.88))
    size = len(person)
    interval = np.array(INTERVALS)[np.searchsorted(_INTERVAL_CDF, rng.random(size), side="right")]
    start = first[person] + (rng.random(size) * 60 * DAY).astype(np.int64)
    start = np.where(start >= cal.end - DAY, first[person], start)
    possible = (cal.end - 1 - start) // (interval * DAY) + 1
    u = rng.random(size)
    stops = rng.geometric(np.where(u < 0.3, 0.25, 0.2))
    status = np.where((u < 0.4) & (stops < possible), np.where(u < 0.3, 2, 1), 0)
    deliveries = np.where(status == 0, possible, stops)
    last = start + (deliveries - 1) * interval * DAY
    cancelled = last + ((0.1 + 0.8 * rng.random(size)) * interval * DAY).astype(np.int64)
    clash = (status == 2) & (cancelled >= cal.end)
    status = np.where(clash, 1, status)
    next_day = np.where(status == 0, (start + deliveries * interval * DAY) // DAY, -1)
    return Plans(person, interval, start, status, np.where(status == 2, cancelled, -1),
                 next_day, deliveries)  # fmt: skip


def plan_orders(plans: Plans) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(person, seconds, plan row)`` of every subscription delivery."""
    plan = np.repeat(np.arange(len(plans.person)), plans.deliveries)
    starts = np.concatenate([[0], np.cumsum(plans.deliveries)[:-1]]).astype(np.int64)
    k = np.arange(len(plan)) - starts[plan]
    return plans.person[plan], plans.start[plan] + k * plans.interval[plan] * DAY, plan


def purchases(
    rng: np.random.Generator, cal: Calendar, people: People, first: np.ndarray, plans: Plans
) -> Purchases:
    """All orders of a block (first, repeat and subscription purchases), channel and checkout."""
    buyers = np.flatnonzero(first >= 0)
    rep_person, rep_at = repeat_purchases(rng, cal, people, first)
    sub_person, sub_at, sub_plan = plan_orders(plans)
    person = np.concatenate([buyers, rep_person, sub_person])
    at = np.concatenate([first[buyers], rep_at, sub_at])
    plan = np.concatenate([np.full(len(buyers) + len(rep_person), -1), sub_plan])
    is_first = np.concatenate([np.ones(len(buyers), bool), np.zeros(len(at) - len(buyers), bool)])
    order = np.lexsort((at, person))
    person, at, plan, is_first = person[order], at[order], plan[order], is_first[order]
    channel = _channels(rng, people, person, plan)
    at = np.where(channel == 2, _store_hours(rng, cal, at), at)
    order = np.lexsort((at, person))  # store purchases moved within their day: sort again
    person, at, plan, is_first, channel = (a[order] for a in (person, at, plan, is_first, channel))
    checkout = _checkouts(rng, people, person, channel, plan, is_first)
    return Purchases(person, at, channel, checkout, plan)


def _channels(
    rng: np.random.Generator, people: People, person: np.ndarray, plan: np.ndarray
) -> np.ndarray:
    cdf = _CHANNEL_CDF[people.channel[person]]
    channel = np.minimum((rng.random(len(person))[:, None] > cdf).sum(axis=1), 3)
    guest_only = ~people.member[person]
    channel = np.where(guest_only, np.where(rng.random(len(person)) < 0.88, 0, 3), channel)
    return np.where(plan >= 0, np.where(channel == 1, 1, 0), channel)


def _checkouts(
    rng: np.random.Generator,
    people: People,
    person: np.ndarray,
    channel: np.ndarray,
    plan: np.ndarray,
    is_first: np.ndarray,
) -> np.ndarray:
    """Whether each order was a guest checkout, and with which email/phone."""
    size = len(person)
    u, v = rng.random(size), rng.random(size)
    as_guest = (channel == 0) & (plan < 0) & (u < np.where(is_first, 0.3, 0.15))
    how = np.where(
        v < 0.7, GUEST_SAME_EMAIL, np.where(v < 0.85, GUEST_ALT_AND_PHONE, GUEST_ALT_EMAIL)
    )
    how = np.where((how == GUEST_SAME_EMAIL) & ~people.has_email[person], GUEST_ALT_EMAIL, how)
    how = np.where((how == GUEST_ALT_AND_PHONE) & ~people.has_phone[person], GUEST_ALT_EMAIL, how)
    checkout = np.where(as_guest, how, MEMBER)
    return np.where(people.member[person], checkout, GUEST_ONLY)


def _store_hours(rng: np.random.Generator, cal: Calendar, at: np.ndarray) -> np.ndarray:
    """Store purchases happen during opening hours on the same day."""
    store = np.ones(len(at), dtype=bool)
    return np.minimum(cal.clock(rng, at // DAY, store), cal.end - 1)
