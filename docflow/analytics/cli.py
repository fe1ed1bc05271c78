"""``flask analytics summary|refresh|report``."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

# the report's names without loading Pillow and the PDF stack at every `flask` start
from docflow.analytics.report_texts import FORMATS as REPORT_FORMATS
from docflow.analytics.report_texts import KINDS as REPORT_KINDS
from docflow.analytics.report_texts import LANGUAGES as REPORT_LANGUAGES
from docflow.core.cli_types import DATE

analytics_cli = AppGroup("analytics", help="Analytics of appeals: figures, problems, reports.")


@analytics_cli.command("summary")
@click.option("--from", "date_from", required=True, type=DATE, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", required=True, type=DATE, help="Last day (YYYY-MM-DD).")
@click.option("--subdivision", "subdivisions", multiple=True)
@click.option("--district", "districts", multiple=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def summary_command(date_from, date_to, subdivisions, districts, as_json):
    """The period's figures and emerging problems (native and imported cases alike)."""
    from docflow.analytics.summary import summary

    if date_to < date_from:
        raise click.BadParameter("--to is before --from")
    data = summary(date_from, date_to, subdivisions=list(subdivisions), districts=list(districts))
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    click.echo(f"total: {data['total']}")
    for name in ("by_kind", "by_subdivision", "by_district", "by_channel", "rating_mean"):
        click.echo(f"{name}:")
        for key, value in data[name].items():
            click.echo(f"  {key or '—'}: {value}")
    click.echo("problems:")
    for p in data["problems"]:
        click.echo(
            f"  {p['district']} · {p['topic']} · {p['count']} ({p['from']} – {p['to']}), "
            f"significance {p['significance']}: {', '.join(p['reg_numbers'])}"
        )


@analytics_cli.command("refresh")
@click.option(
    "--all", "everything", is_flag=True, help="Recompute every case, not just changed ones."
)
def refresh_command(everything):
    """Bring the analytics facts up to date (changed cases, or --all)."""
    from docflow.analytics import facts

    count = facts.rebuild() if everything else facts.drain()
    click.echo(f"{count} cases refreshed")


@analytics_cli.command("report")
@click.argument("kind", type=click.Choice(REPORT_KINDS))
@click.option("--from", "date_from", required=True, type=DATE)
@click.option("--to", "date_to", required=True, type=DATE)
@click.option("--lang", type=click.Choice(REPORT_LANGUAGES), default="kk", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(REPORT_FORMATS), default="docx", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), required=True)
def report_command(kind, date_from, date_to, lang, fmt, output):
    """Write one periodic report (DOCX or PDF, Kazakh or Russian)."""
    from docflow.analytics import facts, reports

    if date_to < date_from:
        raise click.BadParameter("--to is before --from")
    facts.drain()
    with open(output, "wb") as out:
        out.write(reports.render(kind, date_from, date_to, lang, fmt))
    click.echo(output)


@analytics_cli.command("scheduled")
@click.option("--today", type=DATE, default=None, help="Run as of this day (default: today).")
@click.option(
    "--out",
    "folder",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder of the reports (default: the instance folder's reports/).",
)
def scheduled_command(today, folder):
    """Make the scheduled reports whose period has ended (run daily)."""
    from pathlib import Path

    from flask import current_app

    from docflow.analytics import facts, schedule
    from docflow.core.calendar import get_calendar

    facts.drain()
    today = today or get_calendar().local_now().date()
    target = Path(folder) if folder else Path(current_app.instance_path) / "reports"
    for path in schedule.run(today, target):
        click.echo(path)


@analytics_cli.command("warm")
@click.option("--today", type=DATE, default=None, help="Run as of this day (default: today).")
def warm_command(today):
    """Compute the dashboard's emerging-problems scans now (cron, without Celery beat)."""
    from docflow.analytics import facts, problem_store
    from docflow.core.calendar import get_calendar

    facts.drain()
    today = today or get_calendar().local_now().date()
    click.echo(f"{problem_store.warm(today)} periods scanned")
