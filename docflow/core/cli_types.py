"""Click parameter types the commands share: a date (YYYY-MM-DD) and a date and time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date (expected YYYY-MM-DD)", param, ctx)


class DateTimeType(click.ParamType):
    name = "DATETIME"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(
                f"{value!r} is not a date and time (expected e.g. 2026-11-20T19:05)", param, ctx
            )


DATE = DateType()
DATETIME = DateTimeType()
