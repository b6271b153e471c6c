"""After the purchase: the steps that join the record to loyalty and recommendations, written
out explicitly (the record domains never call upward).

* survey answered → points for answering, once per response (``answer_survey``);
* review submitted → marked incentivised when a reward is offered; review approved → the
  reward, once (``submit_review``, ``moderate_review``);
* return received → the record ``Return``, the points reversed pro rata through the ledger,
  and the warranties of fully returned lines cancelled (``receive_return``);
* ticket flags a problem customer → the audited flag; the guards then drop their marketing
  (``flag_problem_from_ticket``);
* parcel status → the update, and a shipping notice with the tracking link when the status
  moved (``shipment_status``); tracking page → plus recommendations (``tracking_page_for``).

Each function changes state only through the domains' verbs and never commits: the request,
command or task that calls it does, so a failure leaves nothing half done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.feedback import reviews, surveys, tickets
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.loyalty.coupons import do_issue_coupons
from kizuna.loyalty.earn_rules import FixedBonus
from kizuna.loyalty.ledger.post import do_award, do_reverse_for_return
from kizuna.loyalty.ledger.reversal import ReversalResult
from kizuna.loyalty.models import CouponTemplate
from kizuna.loyalty.versions import active_programme
from kizuna.orders import delivery, return_requests, tracking, warranties
from kizuna.orders.aftersales_models import ReturnRequest, ReturnRequestLine, WarrantyEnrolment
from kizuna.orders.models import Order, OrderLine
from kizuna.recommend.queries import for_you, related_for
from kizuna.settings import get_settings

NOTICE_STATUSES = ("shipped", "out_for_delivery", "delivered", "failed")
REWARDS = ("points", "coupon", "none")


@dataclass(frozen=True, slots=True)
class SurveyOutcome:
    """The response and the points for it (``points`` 0 when the programme gives none)."""

    response: surveys.SubmitResult
    points: int = 0
    entry_id: int | None = None
    replayed: bool = False


def survey_reward_key(response: surveys.SubmitResult) -> str:
    """The ledger idempotency key of a response's reward: one per survey, customer, subject."""
    return f"survey:{response.survey_id}:{response.customer_id}:{response.subject}"


def answer_survey(
    session: Session,
    survey_code: str,
    customer_id: int,
    answers: Mapping[str, surveys.Answer],
    *,
    order_id: int | None = None,
    language: str = "ja",
    channel: str = "web",
    at: datetime | None = None,
) -> SurveyOutcome:
    """Store the answers and grant the programme's survey points, exactly once: a repeat
    submission finds the first response and the ledger replays the first grant."""
    response = surveys.do_submit_response(
        session,
        survey_code,
        customer_id,
        answers,
        order_id=order_id,
        language=language,
        channel=channel,
        at=at,
    )
    link = f"survey:{survey_code}:{response.subject}"
    entry = do_award(
        session, customer_id, "survey", key=survey_reward_key(response), link_ref=link, at=at
    )
    if entry is None:
        return SurveyOutcome(response)
    return SurveyOutcome(response, entry.points, entry.entry_id, entry.replayed)


def survey_invitation(survey_code: str, customer_id: int, order_id: int | None = None) -> str:
    """A signed token for the public survey form (who answers, and about which order)."""
    return _survey_signer().dumps([survey_code, customer_id, order_id])


def read_survey_invitation(token: str) -> tuple[str, int, int | None]:
    """``(survey_code, customer_id, order_id)`` of a survey token, or ``ValidationFailed``."""
    try:
        code, customer_id, order_id = _survey_signer().loads(token)
    except (BadSignature, ValueError, TypeError):
        raise ValidationFailed(
            "the survey link is invalid or was altered", field="token", code="bad_token"
        ) from None
    return str(code), int(customer_id), None if order_id is None else int(order_id)


def _survey_signer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt="kizuna.survey")


def review_incentive(session: Session, reward: str, at: datetime | None = None) -> str | None:
    """What a review written now is offered: ``points`` when ``reward`` is points and the
    programme gives review points, ``coupon`` for a coupon, else nothing."""
    if reward not in REWARDS:
        raise ValidationFailed(
            f"reward {reward!r} is not one of {', '.join(REWARDS)}", field="reward"
        )
    if reward == "coupon":
        return "coupon"
    if reward == "points":
        rules = active_programme(session, at).earn_rules
        if any(isinstance(r, FixedBonus) and r.event == "review" for r in rules):
            return "points"
    return None


def submit_review(
    session: Session,
    item: reviews.ReviewIn,
    *,
    reward: str = "points",
    require_purchase: bool = False,
    at: datetime | None = None,
) -> reviews.ReviewResult:
    """Store a review for moderation, recording whether a reward is offered for it (the
    disclosure shown with it depends on that, not on what is finally given)."""
    incentive = review_incentive(session, reward, at)
    return reviews.do_submit_review(
        session, replace(item, incentive=incentive), require_purchase=require_purchase, at=at
    )


@dataclass(frozen=True, slots=True)
class ModerationOutcome:
    """The decision, and the reward given with an approval (``entry:<id>`` or ``coupon:<code>``)."""

    review: reviews.ReviewResult
    reward_ref: str | None = None
    points: int = 0


def moderate_review(
    session: Session,
    review_id: int,
    *,
    approve: bool,
    actor: str,
    reason: str | None = None,
    note: str | None = None,
    coupon_template: str | None = None,
    at: datetime | None = None,
) -> ModerationOutcome:
    """Approve (and reward an incentivised review, once) or reject with a reason."""
    result = reviews.do_moderate_review(
        session, review_id, approve=approve, actor=actor, reason=reason, note=note, at=at
    )
    review = reviews.get_review(session, review_id)
    if not approve or review.incentive is None or review.reward_ref is not None:
        return ModerationOutcome(result, review.reward_ref)
    points, ref = 0, None
    if review.incentive == "points":
        entry = do_award(
            session,
            review.customer_id,
            "review",
            key=f"review:{review.id}:reward",
            link_ref=f"review:{review.id}",
            at=at,
        )
        if entry is not None:
            points, ref = entry.points, f"entry:{entry.entry_id}"
    else:
        ref = _review_coupon(session, review.customer_id, coupon_template)
    if ref is not None:
        reviews.do_mark_rewarded(session, review.id, ref, at)
    return ModerationOutcome(result, ref, points)


def _review_coupon(session: Session, customer_id: int, template_code: str | None) -> str:
    template = session.scalar(select(CouponTemplate).where(CouponTemplate.code == template_code))
    if template is None:
        raise NotFound(f"there is no coupon template {template_code!r}", field="coupon_template")
    (code,) = do_issue_coupons(session, template.id, customer_ids=[customer_id])
    return f"coupon:{code}"


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    """The received request, what the ledger did, and the warranties ended."""

    request_id: int
    return_id: int | None
    reversal: ReversalResult | None
    cancelled_warranties: list[int] = field(default_factory=list)


def receive_return(
    session: Session, request_id: int, *, actor: str, at: datetime | None = None
) -> ReturnOutcome:
    """Goods back: record the return, reverse the order's points pro rata (once), and cancel the
    warranties on lines now fully returned (or whose warranty line came back)."""
    request = return_requests.do_receive_return(session, request_id, actor=actor, at=at)
    reversal = None
    if request.return_id is not None:
        reversal = do_reverse_for_return(session, request.return_id, at=at, actor=actor)
    returned = dict(
        session.execute(
            select(ReturnRequestLine.line_no, func.sum(ReturnRequestLine.quantity))
            .join(ReturnRequest, ReturnRequest.id == ReturnRequestLine.request_id)
            .where(
                ReturnRequest.order_id == request.order_id,
                ReturnRequest.status.in_(("received", "refunded")),
            )
            .group_by(ReturnRequestLine.line_no)
        ).all()
    )
    ordered = dict(
        session.execute(
            select(OrderLine.line_no, OrderLine.quantity).where(
                OrderLine.order_id == request.order_id
            )
        ).all()
    )
    gone = {n for n, q in returned.items() if q >= ordered.get(n, 0)}
    cancelled = []
    for row in session.scalars(
        select(WarrantyEnrolment).where(
            WarrantyEnrolment.order_id == request.order_id, WarrantyEnrolment.status == "active"
        )
    ):
        if row.line_no in gone or row.warranty_line_no in gone:
            warranties.do_cancel_enrolment(session, row.id, at=at)
            cancelled.append(row.id)
    return ReturnOutcome(request.id, request.return_id, reversal, cancelled)


def flag_problem_from_ticket(
    session: Session, ticket_id: int, *, reason: str | None, actor: str, flagged: bool = True
) -> int:
    """Flag (or clear) the ticket's customer as a problem customer; their id. From the next
    submission on, ``automation.guards`` drops their marketing (``problem_customer``)."""
    return tickets.do_flag_customer(
        session, ticket_id, reason=reason, actor=actor, flagged=flagged
    ).id


def shipment_status(
    session: Session, body: delivery.ShipmentStatusBody | dict, *, source: str = "carrier"
) -> dict:
    """Record a parcel's status; when it moved to shipped, out for delivery, delivered or a
    failed attempt, also return the shipping notice to send (with the tracking token)."""
    update = delivery.do_update_shipment_status(session, body, source=source)
    out: dict = {
        "shipment_id": update.shipment_id,
        "order_number": update.order_number,
        "before": update.before,
        "status": update.status,
        "changed": update.changed,
        "estimated_on": update.estimated_on,
        "notice": None,
    }
    if update.changed and update.status in NOTICE_STATUSES:
        order = session.get_one(Order, update.order_id)
        out["notice"] = {
            "kind": f"shipping.{update.status}",
            "order_id": order.id,
            "customer_id": order.customer_id,
            "tracking_token": tracking.tracking_token(session, order.id),
        }
    return out


def tracking_page_for(
    session: Session, token: str, *, language: str = "ja", n: int = 4, count_view: bool = True
) -> dict:
    """The public tracking page with up to ``n`` recommendations (for the customer, else
    bought together with the first item), never an item of the order itself."""
    order = tracking.order_for_token(session, token)
    page = tracking.tracking_page(session, token, language=language, count_view=count_view)
    skus = [item["sku"] for item in page["items"]]
    if order.customer_id is not None:
        picks = for_you(session, order.customer_id, n + len(skus))
    else:
        picks = related_for(session, skus[0], n + len(skus)) if skus else []
    chosen = [p for p in picks if p.sku not in skus][:n]
    wanted = select(Product.sku, Product.name).where(Product.sku.in_([p.sku for p in chosen]))
    names: dict[str, str] = {sku: name for sku, name in session.execute(wanted)} if chosen else {}
    page["recommendations"] = [
        {"sku": p.sku, "name": names.get(p.sku) or p.sku, "reason": p.reason} for p in chosen
    ]
    return page
