"""Editable rule documents (rank policy, segment definitions): Pydantic models in and out of
JSON and TOML, with a version number. Who changed what and when is stored beside the document
(``analytics.models``), not inside it.

The standard library reads TOML but does not write it; ``dumps_toml`` writes the subset these
documents need (tables, arrays of tables, inline tables for nested conditions). ``None`` values
are left out (TOML has no null); the models' defaults bring them back on reading.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from kizuna.kit.errors import ValidationFailed


class Document(BaseModel):
    """Base of the analytics rule documents: strict fields, JSON/TOML in and out."""

    model_config = ConfigDict(extra="forbid")

    def to_json(self) -> str:
        """The document as indented JSON."""
        return self.model_dump_json(indent=2, exclude_none=True)

    def to_toml(self) -> str:
        """The document as TOML."""
        return dumps_toml(self.model_dump(mode="json", exclude_none=True))

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Parse and validate a JSON document (ValidationFailed names the field)."""
        return cls.from_data(json.loads(text))

    @classmethod
    def from_toml(cls, text: str) -> Self:
        """Parse and validate a TOML document (ValidationFailed names the field)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationFailed(f"not valid TOML: {exc}") from None
        return cls.from_data(data)

    @classmethod
    def from_data(cls, data: Any) -> Self:
        """Validate plain data, turning Pydantic's error into a ValidationFailed with the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValidationFailed(f"{where}: {first['msg']}", field=where or None) from None


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else json.dumps(name)


def _is_table(value: Any) -> bool:
    """A dict written as a ``[table]``; conditions (a ``kind`` or ``type`` key) stay inline."""
    return isinstance(value, dict) and "kind" not in value and "type" not in value


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_is_table(v) for v in value)


def dumps_toml(data: dict[str, Any], prefix: str = "") -> str:
    """``data`` as TOML: nested dicts become tables, lists of dicts arrays of tables."""
    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if value is None or value == {}:
            continue
        if _is_table(value) or _is_table_list(value):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_scalar(value)}")
    out = "\n".join(lines) + ("\n" if lines else "")
    for key, value in nested:
        name = f"{prefix}{_key(key)}"
        if isinstance(value, dict):
            out += f"\n[{name}]\n" + dumps_toml(value, name + ".")
        else:
            for item in value:
                out += f"\n[[{name}]]\n" + dumps_toml(item, name + ".")
    return out
