"""Public after-purchase pages reached from messages, without a login: the survey form
(``/s/{token}``), the review form (``/r/{token}``), the order tracking page (``/t/{token}``) and
the return request form (``/return/{token}``). Survey, review and return links are signed; the
tracking token is 256 random bits. A bad or altered link gets the same "link not valid" page.

``?lang=en`` (or ``ja``) picks the language and remembers it; pages are built for phones.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response

from kizuna.feedback.reviews import ReviewIn, disclosure
from kizuna.ingest import feedback_links
from kizuna.ingest.after_purchase import (
    answer_survey,
    review_incentive,
    submit_review,
    tracking_page_for,
)
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.kit.i18n import LANGUAGES
from kizuna.orders.return_requests import ReturnLineIn, ReturnRequestIn, do_request_return
from kizuna.web.deps import SessionDep, WriteSessionDep
from kizuna.web.ui.render import language_of, render_html

router = APIRouter(include_in_schema=False)

# where a customer follows a parcel on the carrier's own site ({n}: the tracking number)
CARRIER_LINKS = {
    "yamato": "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={n}",
    "ヤマト運輸": "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={n}",
    "sagawa": "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={n}",
    "佐川急便": "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={n}",
    "japanpost": "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={n}",
    "日本郵便": "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={n}",
}


def carrier_url(carrier: str, tracking_number: str) -> str | None:
    """The carrier's own tracking page for the parcel, when the carrier is known."""
    template = CARRIER_LINKS.get(carrier.strip().lower()) or CARRIER_LINKS.get(carrier.strip())
    return template.format(n=tracking_number) if template else None


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form as plain strings (read before the synchronous handler runs)."""
    return {k: str(v) for k, v in (await request.form()).items()}


FormFields = Annotated[dict[str, str], Depends(form_fields)]


def _language(request: Request, lang: str | None) -> str:
    if lang in LANGUAGES:
        request.session["lang"] = lang
    return language_of(request)


def _page(request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
    return render_html(request, template, {"public": True, **data}, status=status)


def _bad_link(request: Request, error: KizunaError) -> Response:
    return _page(request, "public/invalid.html", {"error": error}, status=error.http_status)


# ---- survey ------------------------------------------------------------------------------


@router.get("/s/{token}")
def survey(request: Request, token: str, session: SessionDep, lang: str | None = None) -> Response:
    """The survey form in the customer's language (or a note that it was answered)."""
    language = _language(request, lang)
    try:
        data = feedback_links.survey_page(session, token, language)
    except KizunaError as error:
        return _bad_link(request, error)
    return _page(request, "public/survey.html", data | {"values": {}, "error": None})


@router.post("/s/{token}")
def answer(request: Request, token: str, session: WriteSessionDep, form: FormFields) -> Response:
    """Store the answers once and thank the customer with the points granted."""
    language = language_of(request)
    try:
        data = feedback_links.survey_page(session, token, language)
    except KizunaError as error:
        return _bad_link(request, error)
    answers = {k.removeprefix("answers."): v for k, v in form.items() if k.startswith("answers.")}
    code = data["survey"]["code"]
    try:
        outcome = answer_survey(
            session,
            code,
            data["customer_id"],
            answers,
            order_id=data["order_id"],
            language=language,
            channel="web",
        )
    except KizunaError as error:
        page = data | {"values": answers, "error": error}
        return _page(request, "public/survey.html", page, status=error.http_status)
    first = outcome.response.created
    return _page(
        request,
        "public/thanks.html",
        {
            "kind": "survey",
            "points": outcome.points if first else 0,
            "repeat": not first,
            "title": data["survey"]["title"],
        },
    )


# ---- reviews -----------------------------------------------------------------------------


def _review_page(session: SessionDep, token: str, language: str) -> dict[str, Any]:
    data = feedback_links.review_form(session, token)
    incentive = review_incentive(session, "points")
    return data | {"incentive": incentive, "disclosure": disclosure(incentive, language)}


@router.get("/r/{token}")
def review_form(
    request: Request, token: str, session: SessionDep, lang: str | None = None
) -> Response:
    """One review form per product of the order, with the incentive disclosure."""
    language = _language(request, lang)
    try:
        data = _review_page(session, token, language)
    except KizunaError as error:
        return _bad_link(request, error)
    return _page(request, "public/review.html", data | {"values": {}, "error": None})


@router.post("/r/{token}")
def review(request: Request, token: str, session: WriteSessionDep, form: FormFields) -> Response:
    """Store the review for moderation (the reward comes with the approval)."""
    language = language_of(request)
    try:
        data = _review_page(session, token, language)
    except KizunaError as error:
        return _bad_link(request, error)
    try:
        sku = form.get("sku", "")
        if sku not in {item["sku"] for item in data["items"]}:
            raise ValidationFailed(f"{sku!r} is not in this order", field="sku")
        rating = form.get("rating", "").strip()
        if not rating.isdigit():
            raise ValidationFailed("choose a rating from 1 to 5 stars", field="rating")
        item = ReviewIn(
            sku=sku,
            customer_id=data["customer_id"],
            rating=int(rating),
            body=form.get("body", ""),
            title=form.get("title", "").strip() or None,
            language=language,
        )
        submit_review(session, item, reward="points")
    except KizunaError as error:
        page = data | {"values": form, "error": error}
        return _page(request, "public/review.html", page, status=error.http_status)
    return _page(
        request,
        "public/thanks.html",
        {"kind": "review", "incentive": data["incentive"], "back": f"/r/{token}"},
    )


# ---- tracking ----------------------------------------------------------------------------


def _tracking(session: Any, token: str, language: str, count_view: bool) -> dict[str, Any]:
    data = tracking_page_for(session, token, language=language, count_view=count_view)
    for parcel in data["shipments"]:
        parcel["carrier_url"] = carrier_url(parcel["carrier"], parcel["tracking_number"])
    return data


@router.get("/t/{token}.json")
def tracking_json(token: str, session: SessionDep, lang: str = "ja") -> Response:
    """The tracking page's data (for the shop's app); does not count as a view."""
    data = _tracking(session, token, "en" if lang == "en" else "ja", count_view=False)
    return JSONResponse(jsonable_encoder(data))


@router.get("/t/{token}")
def tracking(
    request: Request, token: str, session: WriteSessionDep, lang: str | None = None
) -> Response:
    """Where the parcel is: status steps, carrier events and link, ETA, items, suggestions."""
    language = _language(request, lang)
    try:
        data = _tracking(session, token, language, count_view=True)
    except KizunaError as error:
        return _bad_link(request, error)
    return _page(request, "public/tracking.html", {"tracking": data, "token": token})


# ---- returns -----------------------------------------------------------------------------


def _return_lines(form: dict[str, str]) -> tuple[ReturnLineIn, ...]:
    lines = []
    for key, value in sorted(form.items()):
        if not key.startswith("qty.") or not value.strip() or value.strip() == "0":
            continue
        if not value.strip().isdigit():
            raise ValidationFailed(f"{value!r} is not a quantity", field=key)
        lines.append(ReturnLineIn(int(key.removeprefix("qty.")), int(value)))
    return tuple(lines)


@router.get("/return/{token}")
def return_form(
    request: Request, token: str, session: SessionDep, lang: str | None = None
) -> Response:
    """The order's lines with quantities, a reason and how the goods go back."""
    _language(request, lang)
    try:
        data = feedback_links.return_form(session, token)
    except KizunaError as error:
        return _bad_link(request, error)
    return _page(request, "public/return.html", data | {"values": {}, "error": None})


@router.post("/return/{token}")
def request_return(
    request: Request, token: str, session: WriteSessionDep, form: FormFields
) -> Response:
    """Record the return request and show its number and refund."""
    try:
        data = feedback_links.return_form(session, token)
    except KizunaError as error:
        return _bad_link(request, error)
    try:
        pickup = form.get("pickup_on", "").strip()
        try:
            pickup_on = date.fromisoformat(pickup) if pickup else None
        except ValueError:
            raise ValidationFailed(f"{pickup!r} is not a date", field="pickup_on") from None
        item = ReturnRequestIn(
            order_number=data["order_number"],
            lines=_return_lines(form),
            reason=form.get("reason", ""),
            channel=form.get("channel", ""),
            note=form.get("note", "").strip() or None,
            pickup_on=pickup_on,
        )
        made = do_request_return(session, item)
    except KizunaError as error:
        page = data | {"values": form, "error": error}
        return _page(request, "public/return.html", page, status=error.http_status)
    return _page(
        request,
        "public/thanks.html",
        {"kind": "return", "number": made.number, "refund": made.refund_amount},
    )
