"""The one base of the domain's refusals: a status, a code, a readable message, field errors.

Operations raise a ``DomainError`` (or a subclass named for its domain); the app's error
handlers and the API turn it into ``{"error": code, "message": ..., "fields": {...}}`` with
its status, the write views into a flashed message (``docflow.main.views.run_write``).
This module imports nothing of docflow, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """A refusal the user can act on; ``status`` is the HTTP status views and the API answer."""

    status: int = 422
    code: str = "invalid"

    def __init__(
        self,
        message: Any = "",
        *,
        status: int | None = None,
        code: str | None = None,
        fields: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.fields: dict[str, str] = {k: str(v) for k, v in (fields or {}).items()}

    def readable(self) -> str:
        """The message for a page: the message, else the field errors joined."""
        return self.message or "; ".join(self.fields.values())

    def payload(self) -> dict[str, Any]:
        """The JSON body of the refusal."""
        body: dict[str, Any] = {"error": self.code, "message": self.message or self.readable()}
        if self.fields:
            body["fields"] = self.fields
        return body
