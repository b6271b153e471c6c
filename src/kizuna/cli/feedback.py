"""Commands for what happens after the purchase: surveys (create, list, report, invitation
links), reviews (the moderation queue, approve, reject), tickets (list, show), returns and
warranties reports, and tracking links. Exit codes: 0 ok, 2 bad input."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from kizuna.cli.common import JsonFlag, app, emit, fail, open_sessions
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError, NotFound, UnusableInput
from kizuna.settings import get_settings

surveys_app = typer.Typer(help="Surveys: NPS, CSAT and free questions.", no_args_is_help=True)
reviews_app = typer.Typer(help="Product reviews and their moderation.", no_args_is_help=True)
tickets_app = typer.Typer(help="Support tickets.", no_args_is_help=True)
returns_app = typer.Typer(help="Return requests and return rates.", no_args_is_help=True)
warranties_app = typer.Typer(help="Extended warranties.", no_args_is_help=True)
tracking_app = typer.Typer(help="Order tracking links.", no_args_is_help=True)
for group, name in (
    (surveys_app, "surveys"),
    (reviews_app, "reviews"),
    (tickets_app, "tickets"),
    (returns_app, "returns"),
    (warranties_app, "warranties"),
    (tracking_app, "tracking"),
):
    app.add_typer(group, name=name)

Lang = Annotated[str, typer.Option("--lang", help="ja or en")]
ACTOR = "cli"


def _run(as_json: bool, work: Any) -> Any:
    """``work(session)`` in one committed unit of work; a KizunaError exits 2 with its message."""
    try:
        with session_scope(open_sessions()) as session:
            return work(session)
    except KizunaError as error:
        fail(error, as_json)


def _customer_id(session: Any, external_id: str) -> int:
    from kizuna.customers.queries import find_by_external_id

    customer = find_by_external_id(session, external_id)
    if customer is None:
        raise NotFound(f"no customer with id {external_id!r}", field="customer")
    return customer.id


def _order_id(session: Any, number: str) -> int:
    from sqlalchemy import select

    from kizuna.orders.models import Order

    found = session.scalar(select(Order.id).where(Order.order_number == number))
    if found is None:
        raise NotFound(f"there is no order {number!r}", field="order_number")
    return int(found)


# ---- surveys -----------------------------------------------------------------------------


def _survey_document(path: Path) -> Any:
    from kizuna.feedback.surveys import QuestionIn, SurveyIn

    try:
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        questions = tuple(
            QuestionIn(
                code=q["code"],
                kind=q["kind"],
                text_ja=q["text_ja"],
                text_en=q["text_en"],
                required=q.get("required", True),
                choices=tuple(tuple(c) for c in q.get("choices", ())),
            )
            for q in doc.get("questions", [])
        )
        return SurveyIn(
            code=doc["code"],
            kind=doc["kind"],
            title_ja=doc["title_ja"],
            title_en=doc["title_en"],
            questions=questions,
            status=doc.get("status", "active"),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnusableInput(f"{path}: not a survey document ({exc})", field="file") from None


@surveys_app.command("create")
def surveys_create(
    file: Annotated[Path, typer.Argument(help="TOML or JSON: code, kind, titles, questions")],
    as_json: JsonFlag = False,
) -> None:
    """Create a survey from a document (questions nps, csat, rating, text, choice)."""
    from kizuna.feedback.surveys import do_create_survey

    def work(session: Any) -> dict:
        survey = do_create_survey(session, _survey_document(file), actor=ACTOR)
        return {"code": survey.code, "kind": survey.kind, "status": survey.status}

    data = _run(as_json, work)
    emit(data, as_json, f"survey {data['code']} ({data['kind']}) created, {data['status']}")


@surveys_app.command("list")
def surveys_list(lang: Lang = "ja", as_json: JsonFlag = False) -> None:
    """Every survey with its status and number of responses."""
    from kizuna.feedback.survey_reports import survey_list

    rows = _run(as_json, lambda s: survey_list(s, lang))
    text = "\n".join(
        f"{r['code']:<24} {r['kind']:<6} {r['status']:<7} {r['responses']:>7,}  {r['title']}"
        for r in rows
    )
    emit({"surveys": rows}, as_json, text or "no surveys")


@surveys_app.command("report")
def surveys_report(
    code: Annotated[str, typer.Argument(help="The survey's code")],
    lang: Lang = "ja",
    as_json: JsonFlag = False,
) -> None:
    """NPS / CSAT and satisfied vs dissatisfied per question; NPS by month."""
    from kizuna.feedback import survey_reports

    zone = get_settings().shop_timezone

    def work(session: Any) -> dict:
        report = survey_reports.question_report(session, code, language=lang)
        return report | {
            "nps_trend": survey_reports.score_trend(session, "nps", code, zone=zone),
            "csat_trend": survey_reports.score_trend(session, "csat", code, zone=zone),
        }

    data = _run(as_json, work)
    lines = [f"{data['survey']} ({data['kind']}): {data['responses']:,} responses"]
    for q in data["questions"]:
        s = q.get("summary")
        if s:
            score = "—" if s["score"] is None else f"{s['score']:+.1f}"
            lines.append(
                f"  {q['code']:<16} {q['kind']:<6} score {score:>7}  satisfied {s['satisfied']:,}"
                f"  neutral {s['neutral']:,}  dissatisfied {s['dissatisfied']:,}"
                f"  (n={s['answered']:,})"
            )
        else:
            lines.append(f"  {q['code']:<16} {q['kind']:<6} answered {q['answered']:,}")
    for m in data["nps_trend"]:
        lines.append(f"  NPS {m['month']}: {m['score']:+.1f} (n={m['answered']:,})")
    emit(data, as_json, "\n".join(lines))


@surveys_app.command("link")
def surveys_link(
    code: Annotated[str, typer.Argument(help="The survey's code")],
    customer: Annotated[str, typer.Option(help="The shop's customer id")],
    order: Annotated[str | None, typer.Option(help="The order number asked about")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The signed link to the public survey form for one customer (and order)."""
    from kizuna.feedback.surveys import get_survey
    from kizuna.ingest.after_purchase import survey_invitation

    def work(session: Any) -> dict:
        get_survey(session, code)
        order_id = _order_id(session, order) if order else None
        token = survey_invitation(code, _customer_id(session, customer), order_id)
        return {"token": token, "path": f"/s/{token}"}

    data = _run(as_json, work)
    emit(data, as_json, data["path"])


# ---- reviews -----------------------------------------------------------------------------


@reviews_app.command("pending")
def reviews_pending(
    limit: Annotated[int, typer.Option(help="At most this many")] = 50,
    lang: Lang = "ja",
    as_json: JsonFlag = False,
) -> None:
    """Reviews waiting for moderation, oldest first."""
    from kizuna.feedback.reviews import moderation_queue

    rows = _run(as_json, lambda s: moderation_queue(s, limit=limit, language=lang))
    text = "\n".join(
        f"#{r['id']:<6} {r['sku']:<16} {'★' * r['rating']:<5} customer #{r['customer_id']}"
        f"{'  【PR】' if r['incentivised'] else ''}  {r['body'][:60]}"
        for r in rows
    )
    emit({"reviews": rows}, as_json, text or "no review is waiting")


@reviews_app.command("approve")
def reviews_approve(
    review_id: Annotated[int, typer.Argument()],
    coupon_template: Annotated[str | None, typer.Option(help="For a coupon reward")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Publish a review; an incentivised one gets its reward once."""
    from kizuna.ingest.after_purchase import moderate_review

    def work(session: Any) -> dict:
        out = moderate_review(
            session, review_id, approve=True, actor=ACTOR, coupon_template=coupon_template
        )
        return {"review_id": review_id, "status": out.review.status, "reward": out.reward_ref,
                "points": out.points}  # fmt: skip

    data = _run(as_json, work)
    emit(data, as_json, f"review #{review_id} approved; reward {data['reward'] or 'none'}")


@reviews_app.command("reject")
def reviews_reject(
    review_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option(help="spam, offensive, personal_information, …")],
    note: Annotated[str | None, typer.Option()] = None,
    as_json: JsonFlag = False,
) -> None:
    """Reject a review with a content reason."""
    from kizuna.ingest.after_purchase import moderate_review

    def work(session: Any) -> dict:
        out = moderate_review(
            session, review_id, approve=False, actor=ACTOR, reason=reason, note=note
        )
        return {"review_id": review_id, "status": out.review.status}

    data = _run(as_json, work)
    emit(data, as_json, f"review #{review_id} {data['status']}")


# ---- tickets -----------------------------------------------------------------------------


@tickets_app.command("list")
def tickets_list(
    status: Annotated[str | None, typer.Option(help="open, pending, resolved, closed")] = None,
    category: Annotated[str | None, typer.Option()] = None,
    limit: Annotated[int, typer.Option()] = 50,
    as_json: JsonFlag = False,
) -> None:
    """Tickets, most recently changed first."""
    from kizuna.feedback.ticket_reports import list_tickets

    data = _run(as_json, lambda s: list_tickets(s, status=status, category=category, limit=limit))
    lines = [f"{data['total']:,} tickets"] + [
        f"#{t['id']:<6} {t['number']:<16} {t['status']:<8} {t['category']:<12} "
        f"{t['assignee'] or '-':<20} {t['subject'][:50]}"
        for t in data["tickets"]
    ]
    emit(data, as_json, "\n".join(lines))


@tickets_app.command("show")
def tickets_show(ticket_id: Annotated[int, typer.Argument()], as_json: JsonFlag = False) -> None:
    """One ticket with its whole history."""
    from kizuna.feedback.ticket_reports import ticket_detail

    data = _run(as_json, lambda s: ticket_detail(s, ticket_id))
    lines = [f"{data['number']} [{data['status']}] {data['subject']}"] + [
        f"  {n['at']:%Y-%m-%d %H:%M} {n['kind']:<12} {n['author']}: {n['body'] or n['detail']}"
        for n in data["notes"]
    ]
    emit(data, as_json, "\n".join(lines))


@tickets_app.command("categories")
def tickets_categories(as_json: JsonFlag = False) -> None:
    """Tickets per month and category (what to improve)."""
    from kizuna.feedback.ticket_reports import category_trend

    zone = get_settings().shop_timezone
    data = _run(as_json, lambda s: category_trend(s, zone=zone))
    lines = [f"{'category':<14}" + "".join(f"{m:>9}" for m in data["months"])] + [
        f"{c:<14}" + "".join(f"{n:>9,}" for n in counts) for c, counts in data["categories"].items()
    ]
    emit(data, as_json, "\n".join(lines))


# ---- returns, warranties, tracking -------------------------------------------------------


@returns_app.command("report")
def returns_report(as_json: JsonFlag = False) -> None:
    """Requests by reason, channel and status; the products returned most."""
    from kizuna.orders.return_reports import request_summary, return_rates_by_product

    def work(session: Any) -> dict:
        return request_summary(session) | {"by_product": return_rates_by_product(session, limit=10)}

    data = _run(as_json, work)
    lines = [f"{data['requests']:,} requests, refunded {data['refunded_value']:,}"]
    lines += [f"  {k:<18} {v:>7,}" for k, v in data["by_reason"].items()]
    lines += [
        f"  {p['sku']:<18} sold {p['sold']:>7,} returned {p['returned']:>6,} rate "
        + ("—" if p["rate"] is None else f"{p['rate']:.1%}")
        for p in data["by_product"]
    ]
    emit(data, as_json, "\n".join(lines))


@warranties_app.command("report")
def warranties_report(
    days: Annotated[int, typer.Option(help="Covers ending within this many days")] = 30,
    as_json: JsonFlag = False,
) -> None:
    """Warranty revenue against claims by plan, and covers ending soon."""
    from kizuna.orders.warranty_reports import expiring, warranty_revenue

    zone = get_settings().shop_timezone

    def work(session: Any) -> dict:
        return warranty_revenue(session, zone=zone) | {
            "expiring": expiring(session, within_days=days)
        }

    data = _run(as_json, work)
    total = data["total"]
    lines = [
        f"{total['sold']:,} sold, revenue {total['revenue']:,}, {total['claims']:,} claims "
        f"costing {total['claim_cost']:,}; {len(data['expiring']):,} covers end within {days} days"
    ] + [
        f"  {p['plan']:<16} sold {p['sold']:>6,} revenue {p['revenue']:>10,}" for p in data["plans"]
    ]
    emit(data, as_json, "\n".join(lines))


@tracking_app.command("link")
def tracking_link(
    order_number: Annotated[str, typer.Argument()], as_json: JsonFlag = False
) -> None:
    """The order's public tracking link (created on first use)."""
    from kizuna.orders.tracking import tracking_token

    def work(session: Any) -> dict:
        token = tracking_token(session, _order_id(session, order_number))
        return {"order_number": order_number, "token": token, "path": f"/t/{token}"}

    data = _run(as_json, work)
    emit(data, as_json, data["path"])
