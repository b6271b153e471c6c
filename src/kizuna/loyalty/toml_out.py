"""A small TOML writer for rule documents (the standard library reads TOML but cannot write it).

It covers what Pydantic's ``model_dump`` of a document produces: tables, arrays of tables,
strings, integers, Decimals/floats, booleans, dates and arrays of scalars. ``None`` values are
left out (TOML has no null). Round-trips are tested against ``tomllib``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def dumps_toml(data: dict[str, Any]) -> str:
    """``data`` as TOML text."""
    lines: list[str] = []
    _table(data, (), lines, header=None)
    return "\n".join(lines).strip() + "\n"


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters (which TOML forbids raw,
    DEL included) escaped; everything else, Japanese included, kept as is."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _key(name: str) -> str:
    return name if _BARE.match(name) else _string(name)


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(data: dict[str, Any], path: tuple[str, ...], lines: list[str], header: str | None):
    if header is not None:
        lines.extend(["", header])
    nested = []
    for name, value in data.items():
        if value is None:
            continue
        if (isinstance(value, dict) and not _inline_dict(value)) or _is_table_list(value):
            nested.append((name, value))
        else:
            lines.append(f"{_key(name)} = {_value(value)}")
    for name, value in nested:
        sub = (*path, _key(name))
        if isinstance(value, dict):
            _table(value, sub, lines, f"[{'.'.join(sub)}]")
        else:
            for item in value:
                _table(item, sub, lines, f"[[{'.'.join(sub)}]]")


def _inline_dict(value: dict[str, Any]) -> bool:
    """Only empty maps are written inline (``{}``); the rest become ``[sub.tables]``."""
    return not value


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
