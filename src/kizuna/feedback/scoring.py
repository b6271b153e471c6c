"""Scores of survey answers: who is satisfied, and the NPS / CSAT of a set of answers.

Pure functions over integers; reads and writes nothing.

* **NPS** (0–10): promoters answer 9–10, passives 7–8, detractors 0–6; NPS = % promoters − %
  detractors, from −100 to 100. Promoters count as *satisfied*, detractors as *dissatisfied*.
* **CSAT** and **rating** (1–5): 4–5 is satisfied, 3 neutral, 1–2 dissatisfied; CSAT = %
  satisfied of all answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Sentiment = Literal["satisfied", "neutral", "dissatisfied"]
SCORED = ("nps", "csat", "rating")
RANGES = {"nps": (0, 10), "csat": (1, 5), "rating": (1, 5)}


def sentiment(kind: str, score: int) -> Sentiment:
    """Whether ``score`` on a ``kind`` question is satisfied, neutral or dissatisfied."""
    if kind == "nps":
        return "satisfied" if score >= 9 else "neutral" if score >= 7 else "dissatisfied"
    return "satisfied" if score >= 4 else "neutral" if score == 3 else "dissatisfied"


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """What a set of scores says: counts by sentiment, the headline ``score`` (NPS or CSAT %),
    the mean, and how many gave each value."""

    kind: str
    answered: int
    satisfied: int
    neutral: int
    dissatisfied: int
    score: float | None
    average: float | None
    distribution: dict[int, int] = field(default_factory=dict)

    @property
    def satisfied_share(self) -> float | None:
        return _pct(self.satisfied, self.answered)

    @property
    def dissatisfied_share(self) -> float | None:
        return _pct(self.dissatisfied, self.answered)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "answered": self.answered,
            "satisfied": self.satisfied,
            "neutral": self.neutral,
            "dissatisfied": self.dissatisfied,
            "satisfied_share": self.satisfied_share,
            "dissatisfied_share": self.dissatisfied_share,
            "score": self.score,
            "average": self.average,
            "distribution": {str(k): v for k, v in sorted(self.distribution.items())},
        }


def summarise(kind: str, scores: Iterable[int]) -> ScoreSummary:
    """The summary of ``scores`` answered to a ``kind`` question (``nps``, ``csat``, ``rating``)."""
    values = list(scores)
    counts = Counter(sentiment(kind, s) for s in values)
    n = len(values)
    sat, neu, dis = counts["satisfied"], counts["neutral"], counts["dissatisfied"]
    if n == 0:
        headline = None
    elif kind == "nps":
        headline = round(100 * (sat - dis) / n, 1)
    else:
        headline = _pct(sat, n)
    low, high = RANGES[kind]
    spread = Counter(values)
    return ScoreSummary(
        kind=kind,
        answered=n,
        satisfied=sat,
        neutral=neu,
        dissatisfied=dis,
        score=headline,
        average=round(sum(values) / n, 2) if n else None,
        distribution={v: spread.get(v, 0) for v in range(low, high + 1)},
    )


def in_range(kind: str, score: int) -> bool:
    """Whether ``score`` is a valid answer to a ``kind`` question."""
    low, high = RANGES[kind]
    return low <= score <= high
