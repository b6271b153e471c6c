"""Reading a source file as rows: gzip or plain, UTF-8 / UTF-8-BOM / CP932 (and UTF-16 with a
BOM) detected, CSV or whitespace-separated, with the file row number of each row and the bytes
read so far."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kizuna.kit.errors import UnusableInput

MAX_FIELD_BYTES = 1_000_000
_CSV_REASONS = {
    "unexpected end of data": "a quoted value is still open at the end of the file (truncated?)",
}
SNIFF_BYTES = 1 << 20


@dataclass
class SourceFile:
    """An opened source: its encoding and a byte counter for the progress bar."""

    path: Path
    encoding: str = "utf-8"
    size: int = 0
    raw: gzip.GzipFile | io.BufferedReader = field(init=False, repr=False)

    def position(self) -> int:
        """Bytes of the file consumed so far (compressed bytes for .gz)."""
        return self._disk.tell() if not self._disk.closed else self.size

    def open(self) -> SourceFile:
        self.size = self.path.stat().st_size
        self._disk = open(self.path, "rb")  # noqa: SIM115 - closed in close()
        self.raw = gzip.open(self._disk) if self.path.suffix == ".gz" else self._disk  # noqa: SIM115
        self.encoding = _detect_encoding(self.raw.peek(SNIFF_BYTES)[:SNIFF_BYTES])
        return self

    def close(self) -> None:
        self.raw.close()
        self._disk.close()


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    # Excel's "Unicode text" is UTF-16 with a BOM; read as CP932 it would be silent garbage.
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("cp932")().decode(head, final=False)
        return "cp932"
    except UnicodeDecodeError:
        raise UnusableInput("the file is neither UTF-8 nor Shift_JIS (CP932) text") from None


def open_source(path: str | Path) -> SourceFile:
    """Open ``path`` for reading rows; UnusableInput if it is missing or not text."""
    file = Path(path)
    if not file.is_file():
        raise UnusableInput(f"{file} does not exist or is not a file")
    try:
        return SourceFile(file).open()
    except (OSError, EOFError) as exc:
        raise UnusableInput(f"{file} cannot be read: {exc}") from None


def iter_rows(source: SourceFile, delimiter: str) -> Iterator[tuple[int, list[str] | str]]:
    """``(row_number, fields)`` per row; ``fields`` is a str (the problem) for an unreadable row."""
    text = io.TextIOWrapper(source.raw, encoding=source.encoding, newline="")
    try:
        if delimiter == "whitespace":
            for number, line in enumerate(text, start=1):
                if line.strip():
                    yield number, line.split()
            return
        csv.field_size_limit(MAX_FIELD_BYTES)
        # strict: a quoted value left open at the end of the file (a file cut mid-row) is an
        # error rather than a silently shortened value
        reader = csv.reader(text, delimiter=delimiter, strict=True)
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                reason = _CSV_REASONS.get(str(exc), str(exc))
                yield reader.line_num, f"unreadable CSV row: {reason}"
                continue
            if fields:
                yield reader.line_num, fields
    except UnicodeDecodeError as exc:
        if exc.end >= len(exc.object):
            raise UnusableInput(
                f"the file ends in the middle of a {source.encoding} character: it is truncated"
            ) from None
        raise UnusableInput(
            f"the text is not valid {source.encoding} after byte {exc.start} of a block: "
            "the file mixes encodings; save it as UTF-8 or Shift_JIS throughout"
        ) from None
    except (EOFError, gzip.BadGzipFile, OSError) as exc:
        raise UnusableInput(f"the file is truncated or corrupt: {exc}") from None
