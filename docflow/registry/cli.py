"""``flask --app docflow registry …``: extraction on the command line, the worker, daily jobs."""

from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup

from docflow.core import audit
from docflow.extensions import db

registry_cli = AppGroup("registry", help="Incoming documents.")


@registry_cli.command("extract")
@click.argument("path", type=click.Path(dir_okay=False))
def extract_command(path: str) -> None:
    """Print the text of FILE (pages separated by form feeds), with the app's limits."""
    from docflow.registry.extraction import extract_cli_text

    code, output = extract_cli_text(path)
    if code == 0:
        click.echo(output, nl=not output.endswith("\n"))
    else:
        click.echo(output, err=True)
    sys.exit(code)


@registry_cli.command("worker")
@click.option("--once", is_flag=True, help="Process what is pending, then stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
def worker_command(once: bool, interval: float) -> None:
    """Extract text from pending attachments (for EXTRACTION_MODE=off deployments)."""
    from docflow.registry.jobs import process_pending, requeue_stale

    requeue_stale()
    while True:
        done = process_pending()
        if done:
            click.echo(f"extracted {done} file(s)")
        if once:
            return
        time.sleep(interval)


@registry_cli.command("return-overdue")
def return_overdue_command() -> None:
    """Return appeals whose correction term has passed (R-REG-5); run daily."""
    from docflow.registry.operations import return_overdue

    audit.set_actor(audit.Actor(None, "cli"))
    items = return_overdue(None)
    db.session.commit()
    click.echo(f"returned {len(items)} item(s)")


@registry_cli.command("watch")
@click.argument("folder", type=click.Path(file_okay=False, exists=True))
@click.option("--user", "username", required=True, help="The clerk the scans are registered as.")
@click.option("--once", is_flag=True, help="One pass, then stop.")
@click.option("--interval", default=5.0, show_default=True)
def watch_command(folder: str, username: str, once: bool, interval: float) -> None:
    """Take multi-page scans dropped into FOLDER and split them at registration labels."""
    from pathlib import Path

    from docflow.org.models import user_by_username
    from docflow.registry.jobs import process_pending
    from docflow.registry.scanning import watch_folder

    user = user_by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    audit.set_actor(audit.Actor(user.id, user.display_name))
    while True:
        taken = watch_folder(Path(folder), user)
        if taken:
            click.echo(f"took {len(taken)} scan(s): {', '.join(taken)}")
            process_pending()
        if once:
            return
        time.sleep(interval)
