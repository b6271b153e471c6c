"""Printed direct mail: an address list in Japanese postal order (CSV) and printable labels.

"Sending" a postal message adds it to the print list: ``print_list`` reads the postal messages
of a journey or campaign back as addresses, ``to_csv`` writes them for a print shop (UTF-8 with
BOM or cp932, 〒 first, then 都道府県, 市区町村, 番地, 建物, 氏名 様), ``labels_html`` makes an A4
sheet of 12 labels per page with a print stylesheet, and ``labels_pdf`` the same as a PDF when
``reportlab`` is installed (its built-in Japanese CID font needs no font file).

The record has prefecture and postal code but no street lines yet: they are read from the
customer's ``attributes`` (``city``, ``address1``, ``address2``).
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.channels.base import Envelope, Rendered, Renderer, SendResult, register
from kizuna.channels.config import ChannelSettings
from kizuna.channels.models import OutboxMessage
from kizuna.customers.models import Customer

CSV_HEADER = ("郵便番号", "都道府県", "市区町村", "番地", "建物名", "氏名", "顧客ID")
LABELS_PER_PAGE = 12


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """One addressee in Japanese order."""

    customer_id: int
    postal_code: str
    prefecture: str
    city: str
    line1: str
    line2: str
    family_name: str
    given_name: str

    @property
    def postal_mark(self) -> str:
        """``〒123-4567``."""
        digits = "".join(ch for ch in self.postal_code if ch.isdigit())
        return f"〒{digits[:3]}-{digits[3:]}" if len(digits) == 7 else f"〒{self.postal_code}"

    @property
    def addressee(self) -> str:
        """``山田 花子 様``."""
        name = " ".join(part for part in (self.family_name, self.given_name) if part)
        return f"{name} 様"


def address_of(customer: Customer) -> PostalAddress | None:
    """The customer's postal address, or None when postal code or prefecture is missing."""
    attrs = customer.attributes or {}
    if not customer.postal_code or not customer.prefecture:
        return None
    return PostalAddress(
        customer.id,
        customer.postal_code,
        customer.prefecture,
        str(attrs.get("city", "")),
        str(attrs.get("address1", "")),
        str(attrs.get("address2", "")),
        customer.family_name or "",
        customer.given_name or "",
    )


@register("postal")
class PrintDmChannel:
    """Adds the message to the print list; the address is a ``PostalAddress`` as JSON."""

    name: ClassVar[str] = "postal"
    resend_unknown: ClassVar[bool] = True

    def __init__(self, settings: ChannelSettings) -> None:
        self.settings = settings

    def render(self, envelope: Envelope, renderer: Renderer) -> Rendered:
        """The address and the short text (printed on the card by the print shop)."""
        return Rendered(envelope, json.loads(envelope.address), renderer.parts(envelope)["short"])

    def send(self, rendered: Rendered, at_point_of_no_return: Callable[[], None]) -> SendResult:
        """Nothing leaves the building: the message is on the print list once marked sent."""
        at_point_of_no_return()
        return SendResult(True, provider_id="print-list")

    def close(self) -> None:
        """Nothing to close."""


def print_list(session: Session, source_type: str, source_key: str) -> list[PostalAddress]:
    """The addresses of the sent postal messages of a journey or campaign, by postal code."""
    customers = session.scalars(
        select(Customer)
        .join(OutboxMessage, OutboxMessage.customer_id == Customer.id)
        .where(
            OutboxMessage.channel == "postal",
            OutboxMessage.status == "sent",
            OutboxMessage.source_type == source_type,
            OutboxMessage.source_key == source_key,
        )
    )
    found = [a for a in map(address_of, customers) if a is not None]
    return sorted(found, key=lambda a: (a.postal_code, a.customer_id))


def to_csv(addresses: Iterable[PostalAddress], encoding: str = "utf-8-sig") -> bytes:
    """The address list as CSV bytes (``utf-8-sig`` opens in Excel; ``cp932`` for older tools)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for a in addresses:
        writer.writerow(
            (a.postal_mark, a.prefecture, a.city, a.line1, a.line2, a.addressee, a.customer_id)
        )
    return out.getvalue().encode(encoding, errors="replace")


_LABEL_CSS = """
@page { size: A4; margin: 10mm 8mm; }
body { margin: 0; font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", sans-serif; }
.sheet { display: grid; grid-template-columns: repeat(2, 1fr); grid-auto-rows: 45.7mm;
         gap: 0 4mm; page-break-after: always; }
.label { padding: 5mm 6mm; overflow: hidden; font-size: 10pt; line-height: 1.4; }
.postal { font-size: 11pt; letter-spacing: .05em; }
.name { font-size: 14pt; margin-top: 2mm; }
"""


def labels_html(addresses: Sequence[PostalAddress], title: str = "宛名ラベル") -> str:
    """A printable HTML document of A4 sheets, 2 × 6 labels each (print from the browser)."""
    pages = []
    for start in range(0, len(addresses), LABELS_PER_PAGE):
        cells = "".join(_label_cell(a) for a in addresses[start : start + LABELS_PER_PAGE])
        pages.append(f'<section class="sheet">{cells}</section>')
    return (
        '<!doctype html><html lang="ja"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_LABEL_CSS}</style></head>"
        f"<body>{''.join(pages)}</body></html>"
    )


def _label_cell(a: PostalAddress) -> str:
    lines = [a.prefecture + a.city, a.line1, a.line2]
    body = "<br>".join(html.escape(line) for line in lines if line)
    return (
        f'<div class="label"><div class="postal">{html.escape(a.postal_mark)}</div>'
        f'<div>{body}</div><div class="name">{html.escape(a.addressee)}</div></div>'
    )


def labels_pdf(addresses: Sequence[PostalAddress]) -> bytes:
    """The labels as a PDF (A4, 2 × 6); needs ``reportlab`` (ImportError otherwise)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("宛名ラベル")
    width, height = A4
    cell_w, cell_h = (width - 16 * mm) / 2, 45.7 * mm
    for index, a in enumerate(addresses):
        slot = index % LABELS_PER_PAGE
        if index and slot == 0:
            pdf.showPage()
        x = 8 * mm + (slot % 2) * cell_w + 6 * mm
        y = height - 10 * mm - (slot // 2) * cell_h - 9 * mm
        _draw_label(pdf, a, x, y, mm)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _draw_label(pdf: Any, a: PostalAddress, x: float, y: float, mm: float) -> None:
    pdf.setFont("HeiseiKakuGo-W5", 11)
    pdf.drawString(x, y, a.postal_mark)
    pdf.setFont("HeiseiKakuGo-W5", 10)
    lines = [line for line in (a.prefecture + a.city, a.line1, a.line2) if line]
    for offset, line in enumerate(lines, start=1):
        pdf.drawString(x, y - offset * 5 * mm, line)
    pdf.setFont("HeiseiKakuGo-W5", 14)
    pdf.drawString(x, y - (len(lines) + 1) * 5 * mm - 3 * mm, a.addressee)


def address_json(address: PostalAddress) -> str:
    """The address as the outbox stores it."""
    return json.dumps(asdict(address), ensure_ascii=False)
