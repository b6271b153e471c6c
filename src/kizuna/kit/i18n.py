"""Japanese and English messages for the dashboard, the CLI and errors.

Catalogs are TOML files: ``kit/locales/<lang>.toml`` plus one file per domain in
``kit/locales/<lang>/*.toml`` (flat ``key = "text"`` with ``{name}`` placeholders). A missing
key falls back to English, then to the key itself, so a page never breaks.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGUAGES = ("ja", "en")
_LOCALES = Path(__file__).parent / "locales"


@lru_cache(maxsize=4)
def catalog(language: str) -> dict[str, str]:
    """All messages of ``language``."""
    paths = [_LOCALES / f"{language}.toml", *sorted((_LOCALES / language).glob("*.toml"))]
    messages: dict[str, str] = {}
    for path in paths:
        if path.exists():
            messages.update(tomllib.loads(path.read_text(encoding="utf-8")))
    return messages


def translate(key: str, language: str = "ja", **values: Any) -> str:
    """The message ``key`` in ``language`` with ``values`` filled in."""
    text = catalog(language).get(key) or catalog("en").get(key) or key
    return text.format(**values) if values else text
