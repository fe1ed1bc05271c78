"""``flask --app docflow routing …``: bootstrap routing suggestions from a past registry.

Files are JSON Lines. ``train`` takes ``{"text": …, "subdivision": CODE}`` per line (e.g. last
year's registry) and stores them as ``routing_example`` rows; ``suggest`` takes ``{"text": …}``
per line and prints ``{"suggestions": [CODE, …]}`` per line, best first — a quick way for an
administrator to check the suggestions before the controllers rely on them (R-ROUTE-1).
"""

from __future__ import annotations

import json
from typing import Any, TextIO

import click
from flask.cli import AppGroup

from docflow.core import audit
from docflow.extensions import db

routing_cli = AppGroup("routing", help="Routing suggestions (competence map and history).")


def _read_jsonl(stream: TextIO, fields: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; a bad line stops everything."""
    records = []
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"line {number}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise click.ClickException(f"line {number}: expected a JSON object")
        for name in fields:
            if name not in record:
                raise click.ClickException(f'line {number}: "{name}" is missing')
        records.append((number, record))
    return records


@routing_cli.command("train")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option("--replace", is_flag=True, help="Drop the examples imported before.")
def train_command(file: TextIO, replace: bool) -> None:
    """Import FILE's lines {"text": …, "subdivision": CODE} as examples; all or none."""
    from docflow.routing.suggest import ExampleError, add_examples

    audit.set_actor(audit.Actor(None, "cli"))
    records = _read_jsonl(file, ("text", "subdivision"))
    try:
        count = add_examples(
            [(r["text"], r["subdivision"]) for _, r in records], source="import", replace=replace
        )
    except ExampleError as exc:
        db.session.rollback()
        raise click.ClickException(f"line {records[exc.index][0]}: {exc.reason}") from None
    db.session.commit()
    click.echo(f"imported {count} example(s)")


@routing_cli.command("suggest")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def suggest_command(file: TextIO) -> None:
    """Print {"suggestions": [CODE, CODE, CODE]} for each line {"text": …} of FILE."""
    from docflow.routing.suggest import suggest_for_texts

    records = _read_jsonl(file, ("text",))
    for number, record in records:
        if not isinstance(record["text"], str):
            raise click.ClickException(f'line {number}: "text" must be a string')
    results = suggest_for_texts([r["text"] for _, r in records])
    db.session.rollback()  # read-only
    for suggestions in results:
        click.echo(json.dumps({"suggestions": [s.code for s in suggestions]}))


@routing_cli.command("remind")
@click.option("--date", "on", default=None, help="Run as of this date (YYYY-MM-DD); default today.")
def remind_command(on: str | None) -> None:
    """Daily: reminders before the due date, on the day, escalation when overdue; e-mail them."""
    import datetime as dt

    from docflow.core import audit
    from docflow.extensions import db
    from docflow.routing.reminders import run_reminders, send_emails, summary

    audit.set_actor(audit.Actor(None, "cli"))
    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD", param_hint="--date") from None
    created = run_reminders(day)
    from docflow.protocols.signup_rules import remind as remind_reference_notes

    created += remind_reference_notes(day)  # R-RECV-11: reference notes due or overdue
    db.session.commit()
    sent, failed = send_emails()
    db.session.commit()
    click.echo(f"reminders: {summary(created) or 'none'}; e-mails sent: {sent}, failed: {failed}")
