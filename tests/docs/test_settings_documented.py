"""Every setting is documented in docs/settings.md with its default; the README's commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kizuna.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented_with_its_default(name: str) -> None:
    page = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    row = next((line for line in page.splitlines() if f"`KIZUNA_{name.upper()}`" in line), None)
    assert row is not None, f"KIZUNA_{name.upper()} is missing from docs/settings.md"
    assert f"`{Settings.model_fields[name].default}`" in row


def test_production_refuses_the_development_secret() -> None:
    with pytest.raises(ValueError, match="KIZUNA_SECRET_KEY"):
        Settings(environment="production")


def test_readme_quick_start_has_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(make \w+)\n```", readme)
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "scripts/demo.sh" in makefile and "scripts/test.sh" in makefile
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
