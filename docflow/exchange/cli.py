"""``flask --app docflow cases import FILE.jsonl [--source NAME] [--replace]`` and
``cases export [--from DATE] [--to DATE] > FILE.jsonl`` (case-exchange.md)."""

from __future__ import annotations

import datetime as dt
import os
import sys

import click
from flask.cli import AppGroup

from docflow.core.cli_types import DATE
from docflow.extensions import db

cases_cli = AppGroup("cases", help="Whole cases in and out (JSON Lines, e-Otinish's shape).")


@cases_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--source", default=None, help="Where the cases come from (default: file name).")
@click.option("--replace", is_flag=True, help="Replace cases imported before with newer records.")
@click.option(
    "--background", is_flag=True, help="Store the file and import it as a task (on a worker)."
)
def cases_import(path: str, source: str | None, replace: bool, background: bool) -> None:
    """Import cases: all or nothing; the first bad line is named with its field and reason."""
    from docflow.cli import _as_cli_actor
    from docflow.exchange.importer import ImportFailed, import_cases

    _as_cli_actor()
    source = source or os.path.splitext(os.path.basename(path))[0]
    if background:  # the file goes to the shared storage, the import to the task queue
        from docflow.core import tasks
        from docflow.core.storage import get_storage

        with open(path, "rb") as raw:
            key = get_storage().save(raw).key
        run = tasks.run_or_enqueue("exchange.import_cases", key, source, replace)
        if run.state == "failed":
            raise click.ClickException(f"{run.error}; nothing was imported")
        click.echo(f"task run {run.key}: {run.state}")
        return
    size = os.path.getsize(path)
    with (
        open(path, encoding="utf-8") as lines,
        click.progressbar(length=size, label="importing", file=sys.stderr) as bar,
    ):
        try:
            report = import_cases(lines, source, replace=replace, progress=bar.update)
        except ImportFailed as exc:
            db.session.rollback()
            raise click.ClickException(f"{exc.message}; nothing was imported") from None
    db.session.commit()
    rate = (report.created + report.replaced + report.unchanged) / max(report.seconds, 1e-6)
    click.echo(
        f"imported {report.created}, replaced {report.replaced}, unchanged {report.unchanged} "
        f"case(s) from {source} in {report.seconds:.1f} s ({rate:.0f} cases/s)"
    )
    if report.unresolved:
        click.echo(
            f"{len(report.unresolved)} reference(s) to cases not in docflow kept in the records "
            f"only: {', '.join(sorted(set(report.unresolved))[:10])}",
            err=True,
        )


@cases_cli.command("export")
@click.option("--from", "date_from", type=DATE, help="Registered on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DATE, help="Registered on or before (YYYY-MM-DD).")
def cases_export(date_from: dt.date | None, date_to: dt.date | None) -> None:
    """Write native and imported cases as JSON Lines to standard output."""
    from docflow.cli import _as_cli_actor
    from docflow.core import audit
    from docflow.exchange.exporter import export_cases

    _as_cli_actor()
    count = 0
    for line in export_cases(date_from, date_to):
        click.echo(line)
        count += 1
    audit.record(
        "cases_export",
        summary={
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
            "cases": count,
        },
    )
    db.session.commit()
