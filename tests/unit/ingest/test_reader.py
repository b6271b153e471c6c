"""Reading source files: encodings detected, gzip, row numbers, unreadable rows and files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from kizuna.ingest.reader import iter_rows, open_source
from kizuna.kit.errors import UnusableInput

TEXT = "customer_id,family_name\nC1,山田\nC2,佐藤\n"


def _rows(path: Path, delimiter: str = ",") -> tuple[str, list]:
    source = open_source(path)
    try:
        return source.encoding, list(iter_rows(source, delimiter))
    finally:
        source.close()


class TestEncodings:
    @pytest.mark.parametrize(
        ("encoding", "detected"),
        [
            pytest.param("utf-8", "utf-8", id="utf8"),
            pytest.param("utf-8-sig", "utf-8-sig", id="utf8_bom"),
            pytest.param("cp932", "cp932", id="cp932"),
            pytest.param("shift_jis", "cp932", id="shift_jis_read_as_cp932"),
            pytest.param("utf-16", "utf-16", id="utf16_with_bom"),
        ],
    )
    def test_detected_and_decoded(self, tmp_path: Path, encoding: str, detected: str) -> None:
        # given the same text saved in several encodings
        path = tmp_path / "customers.csv"
        path.write_bytes(TEXT.encode(encoding))
        # when read
        found, rows = _rows(path)
        # then the encoding is named and the Japanese text comes back intact
        assert found == detected
        assert rows == [
            (1, ["customer_id", "family_name"]),
            (2, ["C1", "山田"]),
            (3, ["C2", "佐藤"]),
        ]

    def test_cp932_only_characters_are_read(self, tmp_path: Path) -> None:
        # given CP932 extensions that plain Shift_JIS lacks (NEC special and IBM extended kanji)
        path = tmp_path / "customers.csv"
        path.write_bytes("customer_id,family_name\nC1,髙橋①\n".encode("cp932"))
        assert _rows(path)[1][1] == (2, ["C1", "髙橋①"])

    def test_neither_utf8_nor_cp932_is_unusable(self, tmp_path: Path) -> None:
        path = tmp_path / "customers.csv"
        path.write_bytes(b"customer_id\n\x81\x7f\n")  # a CP932 lead byte, invalid trail byte
        with pytest.raises(UnusableInput, match=r"neither UTF-8 nor Shift_JIS \(CP932\)"):
            open_source(path)


class TestGzip:
    def test_gzip_is_read_transparently(self, tmp_path: Path) -> None:
        path = tmp_path / "customers.csv.gz"
        path.write_bytes(gzip.compress(TEXT.encode("cp932")))
        encoding, rows = _rows(path)
        assert encoding == "cp932"
        assert rows[-1] == (3, ["C2", "佐藤"])

    def test_truncated_gzip_is_unusable(self, tmp_path: Path) -> None:
        # given a gzip file cut short (e.g. an interrupted download)
        body = "".join(f"C{i},山田\n" for i in range(20_000))
        whole = gzip.compress(("customer_id,family_name\n" + body).encode())
        path = tmp_path / "customers.csv.gz"
        path.write_bytes(whole[: len(whole) // 2])
        # when read to the end, then it is refused as a whole
        with pytest.raises(UnusableInput, match="truncated or corrupt"):
            _rows(path)


class TestRows:
    def test_row_numbers_are_file_lines_and_blank_lines_skipped(self, tmp_path: Path) -> None:
        path = tmp_path / "f.csv"
        path.write_text('a,b\n1,2\n\n3,"x\ny"\n4,5\n', encoding="utf-8")
        rows = _rows(path)[1]
        # a quoted value spanning two lines is one row, numbered by the line it ends on
        assert rows == [(1, ["a", "b"]), (2, ["1", "2"]), (5, ["3", "x\ny"]), (6, ["4", "5"])]

    def test_oversized_field_is_an_unreadable_row_and_reading_goes_on(self, tmp_path: Path) -> None:
        path = tmp_path / "f.csv"
        path.write_text("a,b\n1," + "x" * 2_000_000 + "\n3,4\n", encoding="utf-8")
        rows = _rows(path)[1]
        assert rows[1] == (2, "unreadable CSV row: field larger than field limit (1000000)")
        assert rows[2] == (3, ["3", "4"])

    def test_whitespace_delimited(self, tmp_path: Path) -> None:
        path = tmp_path / "cdnow.txt"
        path.write_text("00001 19970101 1 11.77\n\n00002  19970112   2 20.00\n", encoding="utf-8")
        assert _rows(path, "whitespace")[1] == [
            (1, ["00001", "19970101", "1", "11.77"]),
            (3, ["00002", "19970112", "2", "20.00"]),
        ]


class TestOpenSource:
    def test_missing_file_is_unusable(self, tmp_path: Path) -> None:
        with pytest.raises(UnusableInput, match="does not exist or is not a file"):
            open_source(tmp_path / "nope.csv")

    def test_directory_is_unusable(self, tmp_path: Path) -> None:
        with pytest.raises(UnusableInput, match="does not exist or is not a file"):
            open_source(tmp_path)
