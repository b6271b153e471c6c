"""Import presets: how a source file's columns map to kizuna's fields, kept as TOML data.

A preset file lives in ``ingest/mappings/<name>.toml`` (generic kizuna formats are
``kizuna-<kind>.toml``). ``columns`` maps a kizuna field to a source column name, or to a 1-based
position when the file has no header.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from kizuna.kit.errors import UnusableInput

MAPPINGS = Path(__file__).parent / "mappings"
Kind = Literal["customers", "products", "orders", "events"]


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Kind
    description: str = ""
    delimiter: str = ","
    header: bool = True
    currency: str = "JPY"
    timezone: str = "Asia/Tokyo"
    return_prefix: str | None = None
    numeric_customer_ids: bool = False
    order_number_prefix: str = ""
    default_sku: str | None = None
    columns: dict[str, str]


def load_preset(kind: str, name: str | None) -> Preset:
    """The preset ``name`` for ``kind`` (default: the generic one); UnusableInput if unknown."""
    file = MAPPINGS / (f"kizuna-{kind}.toml" if name in (None, "kizuna") else f"{name}.toml")
    if not file.exists():
        raise UnusableInput(f"unknown preset {name!r}; available: {', '.join(preset_names())}")
    preset = Preset.model_validate(tomllib.loads(file.read_text(encoding="utf-8")))
    if preset.kind != kind:
        raise UnusableInput(f"preset {name!r} imports {preset.kind}, not {kind}")
    return preset


def preset_names() -> list[str]:
    """Names of the presets shipped with kizuna."""
    return sorted({p.stem.removeprefix("kizuna-") if p.stem.startswith("kizuna-") else p.stem
                   for p in MAPPINGS.glob("*.toml")} - {"customers", "products", "orders", "events"}
                  | {"kizuna"})  # fmt: skip
