"""The public surface of ``kizuna.recommend`` (what the API, CLI and jobs use)."""

from __future__ import annotations

import inspect

import kizuna.recommend as recommend


def test_exported_names_exist_and_are_documented() -> None:
    for name in recommend.__all__:
        member = getattr(recommend, name)
        assert inspect.getdoc(member), name


def test_read_functions_take_the_session_first() -> None:
    for name in ("related_for", "for_you", "alternatives_for", "gift_for", "content_block"):
        assert next(iter(inspect.signature(getattr(recommend, name)).parameters)) == "session"
