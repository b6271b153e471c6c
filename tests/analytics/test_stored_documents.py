"""Rank policy versions and saved segments in the record (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.ranks.policy import default_policy
from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.analytics.snapshots import (
    current_policy,
    do_publish_policy,
    do_save_segment,
    policy_history,
)
from kizuna.kit.db import session_scope


def test_publishing_a_policy_adds_a_version_with_its_author(
    sessions: sessionmaker[Session],
) -> None:
    with session_scope(sessions) as s:
        assert current_policy(s) == default_policy()
        first = do_publish_policy(s, default_policy(), author="marketer@example.jp")
        changed = first.model_copy(deep=True)
        changed.rules[6].services = "Free gift wrapping"
        second = do_publish_policy(s, changed, author="owner@example.jp", note="gift wrap")
    assert (first.version, second.version) == (1, 2)
    with session_scope(sessions) as s:
        assert current_policy(s).rule("loyal").services == "Free gift wrapping"
        history = policy_history(s)
    assert [(h["version"], h["author"], h["note"]) for h in history] == [
        (2, "owner@example.jp", "gift wrap"),
        (1, "marketer@example.jp", None),
    ]
    assert history[0]["created_at"].tzinfo is not None


def test_saving_a_segment_again_raises_its_version(sessions: sessionmaker[Session]) -> None:
    definition = SegmentDefinition.from_data(
        {"name": "Tea lovers", "where": {"type": "bought", "categories": ["tea"]}}
    )
    with session_scope(sessions) as s:
        do_save_segment(s, "Tea lovers", definition, author="a@example.jp")
        row = do_save_segment(s, "Tea lovers", definition, author="b@example.jp")
        assert (row.version, row.author) == (2, "b@example.jp")
        assert SegmentDefinition.from_data(row.definition) == definition
