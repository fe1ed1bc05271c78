"""The registry's input error (the field-by-field refusal of a registration or a link)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from docflow.core.errors import DomainError


class RegistrationError(DomainError, ValueError):
    """Input that cannot be registered as given; ``errors`` maps field → readable message."""

    status = 422
    code = "invalid"

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("; ".join(str(v) for v in errors.values()), fields=errors)
        self.args = ("; ".join(f"{k}: {v}" for k, v in errors.items()),)

    @property
    def errors(self) -> dict[str, str]:
        return self.fields

    def payload(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": str(_l("The data is not valid.")),
            "fields": self.fields,
        }


class FileNotStored(RegistrationError):
    """A file refused for want of storage space (507): the registration it came with is kept."""

    status = 507
    code = "storage_full"

    def payload(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "fields": self.fields}
