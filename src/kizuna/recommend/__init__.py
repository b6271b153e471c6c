"""Personalisation: related products, "for you", cart alternatives, gift picks, content blocks.

``build_all`` (the nightly job) precomputes every list into the ``recommend_*`` tables; the
storefront reads them with one indexed lookup each (``related_for``, ``for_you``,
``alternatives_for``, ``gift_for``, ``content_block``). ``evaluate`` measures the methods
offline on the shop's own history. See docs/recommend.md.
"""

from kizuna.recommend.build import AudienceSource, BuildReport, build_all
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.content import (
    Audience,
    Block,
    ContentRule,
    SlotContent,
    Viewer,
    content_block,
    content_document,
    content_history,
    do_publish_content,
)
from kizuna.recommend.evaluate import EvaluationReport, evaluate
from kizuna.recommend.queries import Pick, alternatives_for, for_you, gift_for, related_for
from kizuna.recommend.store import forget_stock, latest_run

__all__ = [
    "Audience",
    "AudienceSource",
    "Block",
    "BuildReport",
    "ContentRule",
    "EvaluationReport",
    "Pick",
    "RecommendConfig",
    "SlotContent",
    "Viewer",
    "alternatives_for",
    "build_all",
    "content_block",
    "content_document",
    "content_history",
    "do_publish_content",
    "evaluate",
    "for_you",
    "forget_stock",
    "gift_for",
    "latest_run",
    "related_for",
]
