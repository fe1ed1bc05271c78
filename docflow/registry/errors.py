"""The registry's input error (the field-by-field refusal of a registration or a link)."""

from __future__ import annotations

from typing import Any


class RegistrationError(ValueError):
    """Input that cannot be registered as given; ``errors`` maps field → readable message."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = {k: str(v) for k, v in errors.items()}
