"""Printed DM: Japanese postal order in the CSV, A4 label sheets in HTML and PDF."""

from __future__ import annotations

import csv
import io

import pytest

from kizuna.channels.print_dm import PostalAddress, labels_html, labels_pdf, to_csv

A = PostalAddress(1, "1000001", "東京都", "千代田区", "千代田1-1", "皇居ビル2F", "山田", "花子")
B = PostalAddress(2, "5300001", "大阪府", "大阪市北区", "梅田1-1", "", "佐藤", "太郎")


def test_csv_is_in_postal_order_with_honorific() -> None:
    rows = list(csv.reader(io.StringIO(to_csv([A, B]).decode("utf-8-sig"))))
    assert rows[0] == ["郵便番号", "都道府県", "市区町村", "番地", "建物名", "氏名", "顧客ID"]
    assert rows[1] == [
        "〒100-0001",
        "東京都",
        "千代田区",
        "千代田1-1",
        "皇居ビル2F",
        "山田 花子 様",
        "1",
    ]
    assert to_csv([A], encoding="cp932").decode("cp932").splitlines()[1].startswith("〒100-0001")


def test_html_labels_twelve_per_a4_sheet() -> None:
    page = labels_html([A, B] * 7)
    assert page.count('class="sheet"') == 2 and page.count('class="label"') == 14
    assert "@page { size: A4" in page and "山田 花子 様" in page


def test_pdf_labels() -> None:
    pytest.importorskip("reportlab", reason="PDF labels need the optional reportlab package")
    pdf = labels_pdf([A, B] * 7)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1
