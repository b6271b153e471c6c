"""The usage example in docs/clv.md runs and prints the CDNOW figures the page states."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import shared_file

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.shared_data
def test_docs_example_runs(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    shared_file("cdnow", "CDNOW_sample.txt.gz")
    text = (ROOT / "docs" / "clv.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {}
    exec(compile(code, "docs/clv.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "-9582.4" in out
    assert "1882.0 1653 -12.1 %" in out
    assert len(namespace["top"]) == 10  # type: ignore[arg-type]
