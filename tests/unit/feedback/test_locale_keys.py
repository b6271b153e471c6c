"""The after-purchase pages' messages: ja and en carry the same keys, and every literal key the
public and dashboard templates use exists in both (templates/public/ included)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from kizuna.kit.i18n import catalog

SRC = Path(__file__).resolve().parents[3] / "src" / "kizuna"
TEMPLATES = SRC / "web" / "ui" / "templates"
MINE = [
    *sorted((TEMPLATES / "public").glob("*.html")),
    *(
        TEMPLATES / name
        for name in (
            "_feedback_tabs.html",
            "_timeline_feedback.html",
            "feedback.html",
            "reviews.html",
            "tickets.html",
            "ticket.html",
            "returns.html",
            "warranties.html",
        )
    ),
]


def test_both_languages_have_the_same_feedback_keys() -> None:
    files = [SRC / "kit" / "locales" / lang / "feedback.toml" for lang in ("ja", "en")]
    ja, en = (tomllib.loads(f.read_text(encoding="utf-8")) for f in files)
    assert set(ja) == set(en)
    assert all(v.strip() for v in (*ja.values(), *en.values()))


def test_every_key_in_the_feedback_templates_exists() -> None:
    used: set[str] = set()
    for template in MINE:
        text = template.read_text(encoding="utf-8")
        used |= set(re.findall(r'(?<![\w.])t\("([a-z0-9_.]*[a-z0-9_])"[,)]', text))
    assert used, "the templates use keys"
    for language in ("ja", "en"):
        assert sorted(k for k in used if k not in catalog(language)) == []
