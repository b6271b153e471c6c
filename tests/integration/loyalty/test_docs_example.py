"""The example in docs/loyalty.md runs as written."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from .factories import T0, days, member

DOC = Path(__file__).resolve().parents[3] / "docs" / "loyalty.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_the_ledger_example(session: Session, capsys) -> None:
    example = next(b for b in blocks() if "do_hold" in b)
    exec(example, {"session": session, "customer_id": member(session), "at": T0 + days(1)})
    assert capsys.readouterr().out == "¥50,000 more to Gold by 2027-03-31\n"


def test_the_programme_example(session: Session) -> None:
    example = next(b for b in blocks() if "do_publish_programme" in b)
    exec(example, {"session": session, "date": date, "at": T0})
