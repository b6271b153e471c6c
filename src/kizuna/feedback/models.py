"""Feedback record tables: surveys and their answers, product reviews, support tickets.

Surveys are documents of ordered questions (text in ja and en); a response is one customer's
answers to one survey about one subject (an order, or nothing), unique per (survey, customer,
subject), so a form submitted twice stores one response. Reviews are one per customer and
product; ``incentive`` records that the reviewer was offered a reward for writing it, which the
storefront must disclose (景品表示法 stealth-marketing notice, in force since 2023-10-01).
Tickets keep inquiries and complaints with an append-only trail of notes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

SURVEY_KINDS = ("nps", "csat", "custom")
SURVEY_STATUSES = ("draft", "active", "closed")
QUESTION_KINDS = ("nps", "csat", "rating", "text", "choice")
REVIEW_STATUSES = ("pending", "approved", "rejected")
REVIEW_INCENTIVES = ("points", "coupon")
TICKET_CHANNELS = ("chat", "phone", "email", "social", "form", "store")
TICKET_KINDS = ("inquiry", "complaint", "request")
TICKET_STATUSES = ("open", "pending", "resolved", "closed")
TICKET_PRIORITIES = ("low", "normal", "high", "urgent")


class Survey(Base):
    """A questionnaire (NPS, CSAT or custom) with a title in Japanese and English."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    title_ja: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(8), default="active")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SurveyQuestion(Base):
    """One question: ``nps`` (0–10), ``csat`` (1–5), ``rating`` (1–5), ``text`` or ``choice``
    (``choices``: ``[{"value", "ja", "en"}]``)."""

    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    text_ja: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    choices: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonDoc)

    __table_args__ = (UniqueConstraint("survey_id", "code"),)


class SurveyResponse(Base):
    """One customer's answers to one survey about one ``subject`` (``order:<id>`` or ``-``)."""

    __tablename__ = "survey_responses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    subject: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2), default="ja")
    channel: Mapped[str] = mapped_column(String(16), default="web")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        UniqueConstraint("survey_id", "customer_id", "subject"),
        Index("ix_survey_responses_survey_submitted", "survey_id", "submitted_at"),
    )


class SurveyAnswer(Base):
    """The answer to one question: a ``score``, a free ``text`` or a ``choice`` value."""

    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), index=True)
    score: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    choice: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("response_id", "question_id"),)


class Review(Base):
    """A product review (rating 1–5 and text), moderated before it is shown.

    ``order_id`` is the order in which the reviewer bought the product (a verified purchase);
    ``incentive`` (``points`` / ``coupon``) says a reward was offered for writing it, so the
    review is shown with a disclosure; ``reward_ref`` names what was given once approved.
    """

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="ja")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    incentive: Mapped[str | None] = mapped_column(String(8))
    reward_ref: Mapped[str | None] = mapped_column(String(64))
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(String(32))
    rejection_note: Mapped[str | None] = mapped_column(Text)
    moderated_by: Mapped[str | None] = mapped_column(String(120))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        UniqueConstraint("product_id", "customer_id"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_reviews_product_status", "product_id", "status"),
        Index("ix_reviews_status_submitted", "status", "submitted_at"),
    )


class Ticket(Base):
    """An inquiry, complaint or request that reached the support desk on some channel."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="open")
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    assignee: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str] = mapped_column(String(120))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    __table_args__ = (
        Index("ix_tickets_status_opened", "status", "opened_at"),
        Index("ix_tickets_category_opened", "category", "opened_at"),
    )


class TicketNote(Base):
    """Append-only trail of a ticket: notes and messages, status and assignee changes, and
    problem-customer flags set from it (``kind``)."""

    __tablename__ = "ticket_notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(120))
    body: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
