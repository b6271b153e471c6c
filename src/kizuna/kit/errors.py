"""The exception tree. Every error says what is wrong and where (field, CSV row).

KizunaError                      base; code, message, field, row, http_status
├── ValidationFailed (422)       input does not satisfy the rules
├── NotFound (404)               the thing named does not exist
├── Conflict (409)               the change contradicts what is stored (e.g. idempotency key reused)
├── Unauthorized (401)           no or unknown credentials
├── Forbidden (403)              credentials lack the scope or role
└── UnusableInput (400)          a whole input cannot be read (encoding, columns, truncation)
"""

from __future__ import annotations

from typing import Any


class KizunaError(Exception):
    """Base error: a stable ``code``, a human ``message`` and where it happened."""

    http_status = 400
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        row: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row
        if code:
            self.code = code

    def to_dict(self) -> dict[str, Any]:
        """JSON form used by the API and the CLI's ``--json``."""
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.row is not None:
            out["row"] = self.row
        return out


class ValidationFailed(KizunaError):
    http_status = 422
    code = "validation_failed"


class NotFound(KizunaError):
    http_status = 404
    code = "not_found"


class Conflict(KizunaError):
    http_status = 409
    code = "conflict"


class Unauthorized(KizunaError):
    http_status = 401
    code = "unauthorized"


class Forbidden(KizunaError):
    http_status = 403
    code = "forbidden"


class UnusableInput(KizunaError):
    http_status = 400
    code = "unusable_input"
