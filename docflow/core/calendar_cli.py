"""``flask calendar ...``: check the working calendar and store decree days (R-DEADLINE-3)."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import AppGroup

from docflow.core.calendar import WorkingCalendar, add_day_overrides, get_calendar
from docflow.core.cli_types import DATE, DATETIME

calendar_cli = AppGroup(
    "calendar",
    help="Kazakhstan working calendar: terms, registration dates, holidays and decree days.",
)


def _calendar() -> WorkingCalendar:
    try:
        return get_calendar()
    except ValueError as exc:  # broken profile data: one clear line, no traceback
        raise click.ClickException(f"invalid calendar settings: {exc}") from exc


# ignore_unknown_options: "-1" reaches N and gets the range error instead of "no such option".
@calendar_cli.command("add-working-days", context_settings={"ignore_unknown_options": True})
@click.argument("start", type=DATE)
@click.argument("n", type=click.IntRange(min=1))
def add_working_days_cmd(start: date, n: int) -> None:
    """Print the due date of an N-working-day term starting on START (R-DEADLINE-1)."""
    click.echo(_calendar().add_working_days(start, n).isoformat())


@calendar_cli.command("is-working-day")
@click.argument("day", type=DATE)
def is_working_day_cmd(day: date) -> None:
    """Print yes or no."""
    click.echo("yes" if _calendar().is_working_day(day) else "no")


@calendar_cli.command("registration-date")
@click.argument("arrival", type=DATETIME)
def registration_date_cmd(arrival: datetime) -> None:
    """Print the registration date of an item arriving at ARRIVAL (R-REG-3; naive = local)."""
    click.echo(_calendar().registration_date(arrival).isoformat())


@calendar_cli.command("holidays")
@click.argument("year", type=click.IntRange(1991, 2200))
def holidays_cmd(year: int) -> None:
    """List the holidays, decree transfers and profile overrides of YEAR (DATE, kind, name)."""
    for day in _calendar().special_days(year):
        click.echo(f"{day.day.isoformat()}\t{day.kind}\t{day.name}")


def _store(days_off: list[date], working_days: list[date], note: str | None) -> None:
    from docflow.extensions import db

    try:
        add_day_overrides(days_off=days_off, working_days=working_days, note=note)
    except ValueError as exc:  # the stored profile data is broken: say so, do not trace
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()


@calendar_cli.command("add-day-off")
@click.argument("day", type=DATE)
@click.option("--note", default=None, help="Why, e.g. the decree number.")
def add_day_off_cmd(day: date, note: str | None) -> None:
    """Make DAY a non-working day (a Government decree transfer) in the office profile."""
    _store([day], [], note)
    click.echo(f"{day.isoformat()}: day off")


@calendar_cli.command("add-working-day")
@click.argument("day", type=DATE)
@click.option("--note", default=None, help="Why, e.g. the decree number.")
def add_working_day_cmd(day: date, note: str | None) -> None:
    """Make DAY (e.g. a Saturday moved by decree) a working day in the office profile."""
    _store([], [day], note)
    click.echo(f"{day.isoformat()}: working day")
