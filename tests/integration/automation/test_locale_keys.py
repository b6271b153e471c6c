"""The automation pages' messages: ja and en carry the same keys, every literal key the
templates use exists in both, and so does every key built from a domain value (channels,
statuses, verdicts, suppression reasons)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from kizuna.automation.campaigns.builder import CHANNELS, TEMPLATES
from kizuna.automation.journeys.models import CAMPAIGN_STATUSES
from kizuna.channels.models import STATUSES
from kizuna.channels.suppression import REASONS
from kizuna.kit.i18n import catalog

SRC = Path(__file__).resolve().parents[3] / "src" / "kizuna"
PAGES = SRC / "web" / "ui" / "templates"
MINE = ["journeys.html", "journey.html", "campaigns.html", "campaign.html", "suppressions.html",
        "_uplift.html", "_timeline_message.html"]  # fmt: skip
VERDICTS = ("uplift", "harm", "no_significant_difference", "sample_too_small")
BUILT = (
    [f"automation.verdict.{v}" for v in VERDICTS]
    + [f"message.status.{s}" for s in STATUSES]
    + [f"campaigns.channel.{c}" for c in CHANNELS]
    + [f"campaigns.template.{t}" for t in TEMPLATES]
    + [f"campaigns.status.{s}" for s in CAMPAIGN_STATUSES]
    + [f"suppressions.reason.{r}" for r in REASONS]
    + [f"suppressions.done.{d}" for d in ("added", "exists", "lifted")]
    + [f"suppressions.action.{a}" for a in ("suppress", "unsuppress")]
    + ["journeys.arm.treatment", "journeys.arm.holdout", "kind.message", "kind.suppression"]
)


def test_both_languages_have_the_same_keys() -> None:
    files = [SRC / "kit" / "locales" / lang / "automation.toml" for lang in ("ja", "en")]
    ja, en = (tomllib.loads(f.read_text(encoding="utf-8")) for f in files)
    assert set(ja) == set(en)
    assert all(v.strip() for v in (*ja.values(), *en.values()))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_key_used_exists(language: str) -> None:
    used: set[str] = set(BUILT)
    for name in MINE:
        text = (PAGES / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"(?<![\w.])t\([\"']([a-z0-9_.]*[a-z0-9_])[\"'][,)]", text))
    assert len(used) > 100
    assert sorted(k for k in used if k not in catalog(language)) == []
