"""Every channel setting is documented in docs/messaging.md with its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.channels.config import ChannelSettings

DOC = Path(__file__).resolve().parents[3] / "docs" / "messaging.md"


@pytest.mark.parametrize("name", sorted(ChannelSettings.model_fields))
def test_channel_setting_is_documented(name: str) -> None:
    page = DOC.read_text(encoding="utf-8")
    rows = (line for line in page.splitlines() if line.startswith(f"| `KIZUNA_{name.upper()}` |"))
    row = next(rows, None)
    assert row is not None, f"KIZUNA_{name.upper()} is missing from docs/messaging.md"
    assert f"`{ChannelSettings.model_fields[name].default}`" in row
