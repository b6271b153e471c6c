"""Product reviews: submit (rating 1–5 and text), moderate (approve, or reject with a reason),
show with the incentive disclosure, and count and average per product.

**Incentive disclosure.** Since 2023-10-01 Japan's Act against Unjustifiable Premiums and
Misleading Representations treats stealth marketing (ステルスマーケティング) as a misleading
representation: a review written for a reward the shop gave is the shop's own advertising and
must say so. A review records at submission whether a reward was offered for it
(``incentive``: ``points`` / ``coupon``); every view of it carries the disclosure text. The
reward never depends on the rating, and a low rating is not a reason to reject: the rejection
reasons are about content (spam, abuse, personal information, off topic).

Grants nothing itself: ``ingest.after_purchase`` gives the reward on approval and records it
here (``do_mark_rewarded``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.customers.service import get_customer
from kizuna.feedback.models import REVIEW_INCENTIVES, Review
from kizuna.kit.bulk import chunks
from kizuna.kit.clock import now
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.kit.i18n import translate
from kizuna.kit.locking import lock_key
from kizuna.orders.models import Order, OrderLine

REJECTION_REASONS = (
    "spam",
    "offensive",
    "personal_information",
    "off_topic",
    "not_a_review",
    "other",
)


@dataclass(frozen=True, slots=True)
class ReviewIn:
    """A review as the storefront sends it; ``incentive`` says a reward was offered for it."""

    sku: str
    customer_id: int
    rating: int
    body: str
    title: str | None = None
    language: str = "ja"
    incentive: str | None = None


@dataclass(frozen=True, slots=True)
class ReviewResult:
    """The stored review; ``created`` is False for a repeat of the same review, ``changed`` is
    False when a moderation decision was already the review's state."""

    review_id: int
    status: str
    created: bool = True
    changed: bool = True


def validate_review(item: ReviewIn) -> None:
    """ValidationFailed naming the first field that is wrong; nothing when all is well."""
    if isinstance(item.rating, bool) or not isinstance(item.rating, int):
        raise ValidationFailed(f"rating {item.rating!r} is not a whole number", field="rating")
    if not 1 <= item.rating <= 5:
        raise ValidationFailed(f"rating {item.rating} is out of range 1–5", field="rating")
    if not item.body.strip():
        raise ValidationFailed("the review text is empty", field="body")
    if len(item.body) > 4000:
        raise ValidationFailed("the review text has more than 4000 characters", field="body")
    if item.title is not None and len(item.title) > 200:
        raise ValidationFailed("the title has more than 200 characters", field="title")
    if item.incentive is not None and item.incentive not in REVIEW_INCENTIVES:
        raise ValidationFailed(
            f"incentive {item.incentive!r} is not one of {', '.join(REVIEW_INCENTIVES)}",
            field="incentive",
        )


def product_id(session: Session, sku: str) -> int:
    """The id of the product ``sku``, or NotFound."""
    found = session.scalar(select(Product.id).where(Product.sku == sku))
    if found is None:
        raise NotFound(f"there is no product {sku!r}", field="sku")
    return found


def purchase_of(session: Session, customer_id: int, sku: str) -> int | None:
    """The latest order (not cancelled) in which the customer bought ``sku``, if any."""
    return session.scalar(
        select(Order.id)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.customer_id == customer_id, OrderLine.sku == sku, Order.status != "cancelled")
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    )


def do_submit_review(
    session: Session, item: ReviewIn, *, require_purchase: bool = False, at: datetime | None = None
) -> ReviewResult:
    """Store a review for moderation (``pending``); one per customer and product. The same
    review sent again returns the first (``created=False``); a different one is a Conflict."""
    validate_review(item)
    pid = product_id(session, item.sku)
    get_customer(session, item.customer_id)
    lock_key(session, "review", str(pid), str(item.customer_id))
    earlier = session.scalar(
        select(Review).where(Review.product_id == pid, Review.customer_id == item.customer_id)
    )
    if earlier is not None:
        same = (earlier.rating, earlier.body, earlier.title) == (
            item.rating,
            item.body.strip(),
            item.title,
        )
        if not same:
            raise Conflict(f"customer #{item.customer_id} already reviewed {item.sku}", field="sku")
        return ReviewResult(earlier.id, earlier.status, created=False)
    bought = purchase_of(session, item.customer_id, item.sku)
    if require_purchase and bought is None:
        raise ValidationFailed(
            f"customer #{item.customer_id} has not bought {item.sku}", field="sku"
        )
    review = Review(
        product_id=pid,
        customer_id=item.customer_id,
        order_id=bought,
        rating=item.rating,
        title=item.title,
        body=item.body.strip(),
        language="en" if item.language == "en" else "ja",
        status="pending",
        incentive=item.incentive,
        submitted_at=at or now(),
    )
    session.add(review)
    session.flush()
    return ReviewResult(review.id, review.status)


def get_review(session: Session, review_id: int) -> Review:
    """The review, or NotFound."""
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound(f"there is no review #{review_id}", field="review_id")
    return review


def do_moderate_review(
    session: Session,
    review_id: int,
    *,
    approve: bool,
    actor: str,
    reason: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> ReviewResult:
    """Approve a review, or reject it with a reason from ``REJECTION_REASONS``; deciding what
    the review already is changes nothing (``changed=False``)."""
    if not approve and reason not in REJECTION_REASONS:
        raise ValidationFailed(
            f"a rejection needs a reason: one of {', '.join(REJECTION_REASONS)}", field="reason"
        )
    if not actor.strip():
        raise ValidationFailed("say who moderated the review", field="actor")
    session.flush()  # the re-read below must not drop this session's own pending changes
    lock_key(session, "review", str(review_id))
    review = get_review(session, review_id)
    session.refresh(review)  # another moderator may have decided while we waited for the lock
    target = "approved" if approve else "rejected"
    if review.status == target:
        return ReviewResult(review.id, review.status, created=False, changed=False)
    review.status = target
    review.rejection_reason = None if approve else reason
    review.rejection_note = None if approve else note
    review.moderated_by, review.moderated_at = actor, at or now()
    session.flush()
    return ReviewResult(review.id, review.status, created=False)


def do_mark_rewarded(
    session: Session, review_id: int, ref: str, at: datetime | None = None
) -> None:
    """Record what was given for the review (a ledger entry or a coupon code)."""
    review = get_review(session, review_id)
    review.reward_ref, review.rewarded_at = ref[:64], at or now()
    session.flush()


def disclosure(incentive: str | None, language: str = "ja") -> str | None:
    """The text that must accompany an incentivised review, or None."""
    if incentive is None:
        return None
    reward = translate(f"review.incentive.{incentive}", language)
    return translate("review.disclosure", language, reward=reward)


def review_view(review: Review, sku: str, language: str = "ja") -> dict:
    """A review as the storefront and the dashboard show it, disclosure included."""
    return {
        "id": review.id,
        "sku": sku,
        "customer_id": review.customer_id,
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "language": review.language,
        "status": review.status,
        "verified_purchase": review.order_id is not None,
        "incentivised": review.incentive is not None,
        "incentive": review.incentive,
        "disclosure": disclosure(review.incentive, language),
        "rewarded": review.reward_ref is not None,
        "submitted_at": review.submitted_at,
        "rejection_reason": review.rejection_reason,
    }


def product_ratings(session: Session, skus: Sequence[str]) -> dict[str, dict]:
    """``{sku: {"count", "average", "distribution"}}`` over approved reviews (every SKU asked
    for is present; no reviews gives count 0 and average None)."""
    spread: dict[str, dict[str, int]] = {sku: {str(r): 0 for r in range(1, 6)} for sku in skus}
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for part in chunks(sorted(set(skus)), 5000):
        rows = session.execute(
            select(Product.sku, Review.rating, func.count())
            .select_from(Review)
            .join(Product, Product.id == Review.product_id)
            .where(Product.sku.in_(part), Review.status == "approved")
            .group_by(Product.sku, Review.rating)
        )
        for sku, rating, count in rows:
            spread[sku][str(rating)] = int(count)
            totals[sku][0] += int(count)
            totals[sku][1] += int(count) * rating
    return {
        sku: {
            "count": totals[sku][0],
            "average": round(totals[sku][1] / totals[sku][0], 2) if totals[sku][0] else None,
            "distribution": spread[sku],
        }
        for sku in skus
    }


def product_reviews(
    session: Session, sku: str, *, language: str = "ja", limit: int = 20, offset: int = 0
) -> dict:
    """A product's approved reviews, newest first, with its count, average and distribution."""
    pid = product_id(session, sku)
    reviews = session.scalars(
        select(Review)
        .where(Review.product_id == pid, Review.status == "approved")
        .order_by(Review.submitted_at.desc(), Review.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return {
        "sku": sku,
        **product_ratings(session, [sku])[sku],
        "reviews": [review_view(r, sku, language) for r in reviews],
    }


def moderation_queue(session: Session, *, limit: int = 50, language: str = "ja") -> list[dict]:
    """Reviews waiting for a decision, oldest first, with the product's name."""
    rows = session.execute(
        select(Review, Product.sku, Product.name)
        .join(Product, Product.id == Review.product_id)
        .where(Review.status == "pending")
        .order_by(Review.submitted_at, Review.id)
        .limit(limit)
    )
    return [review_view(r, sku, language) | {"product_name": name} for r, sku, name in rows]


def customer_reviews(session: Session, customer_id: int, language: str = "ja") -> list[dict]:
    """One customer's reviews in any state, newest first (for the timeline)."""
    rows = session.execute(
        select(Review, Product.sku)
        .join(Product, Product.id == Review.product_id)
        .where(Review.customer_id == customer_id)
        .order_by(Review.submitted_at.desc(), Review.id.desc())
    )
    return [review_view(r, sku, language) for r, sku in rows]


def status_counts(session: Session) -> dict[str, int]:
    """How many reviews are pending, approved and rejected."""
    rows = session.execute(select(Review.status, func.count()).group_by(Review.status))
    return {status: int(n) for status, n in rows}
