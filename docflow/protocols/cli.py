"""``flask --app docflow protocols …``: reception minutes from the command line.

``parse FILE.docx`` reads hand-typed minutes with the same parser as the upload page and prints
``{"number", "date", "assignments": [{"item", "applicant", "iin"|"bin", "executors", "due",
"text"}], "no_assignment"}`` (R-PROT-3); ``--preview`` prints the richer structure the page
shows (what was matched, how sure, problems). Problems go to stderr as ``warning: …`` lines; a
refused file is one ``error: …`` line on stderr and exit status 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

protocols_cli = AppGroup("protocols", help="Reception minutes and protocol assignments.")


@protocols_cli.command("parse")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--preview", is_flag=True, help="Print the full preview, not just assignments.")
def parse_command(file: Path, preview: bool) -> None:
    """Print the protocol assignments of the minutes in FILE (a DOCX) as JSON."""
    from docflow.core.calendar import get_calendar
    from docflow.protocols.minutes import MinutesError, Resolver, parse_minutes

    try:
        if not file.is_file():
            raise MinutesError("corrupt", f"{file}: no such file.")
        parsed = parse_minutes(file, Resolver.from_db(), get_calendar())
    except MinutesError as exc:
        click.echo(f"error: {exc.message}", err=True)
        raise SystemExit(1) from None
    payload = parsed.preview() if preview else parsed.to_json()
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    for item, problem in parsed.problems:
        click.echo(f"warning: item {item}: {problem.message}", err=True)
