"""``flask --app docflow inspection run --from DATE --to DATE [--as-of DATE] [--subdivision CODE]…
[--json]``: the automatic checks of inspection.md over native and imported cases."""

from __future__ import annotations

import datetime as dt
import json

import click
from flask.cli import AppGroup

from docflow.core.cli_types import DATE

inspection_cli = AppGroup("inspection", help="Office-work inspections (R-AUDIT-1).")


@inspection_cli.command("run")
@click.option("--from", "date_from", required=True, type=DATE, help="Registered on or after.")
@click.option("--to", "date_to", required=True, type=DATE, help="Registered on or before.")
@click.option("--as-of", "as_of", type=DATE, help="Judged on what happened by (default: --to).")
@click.option("--subdivision", "subdivisions", multiple=True, help="Subdivision code (repeatable).")
@click.option("--district", "districts", multiple=True, help="District code (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def inspection_run(
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date | None,
    subdivisions: tuple[str, ...],
    districts: tuple[str, ...],
    as_json: bool,
) -> None:
    """Run the automatic checks over the cases registered in the period (changes nothing)."""
    from docflow.inspection.checks import CHECKS, run_checks

    if date_to < date_from:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    run = run_checks(
        date_from=date_from,
        date_to=date_to,
        as_of=as_of,
        subdivisions=list(subdivisions) or None,
        districts=list(districts) or None,
    )
    if as_json:
        click.echo(json.dumps(run.to_json(), ensure_ascii=False, indent=1))
        return
    click.echo(
        f"period {date_from} – {date_to}, as of {run.as_of}: {run.checked} case(s) checked, "
        f"{len(run.findings)} finding(s)"
    )
    counts: dict[str, int] = {}
    for f in run.findings:
        counts[f.check] = counts.get(f.check, 0) + 1
    width = max(len(c) for c in CHECKS)
    click.echo(f"{'code'.ljust(width)}  {'found':>6}  {'not judged':>10}  rule")
    for code, spec in CHECKS.items():
        click.echo(
            f"{code.ljust(width)}  {counts.get(code, 0):>6}  {run.not_judged.get(code, 0):>10}  "
            f"{spec.rule}"
        )
    if run.findings:
        click.echo("")
        for f in run.findings:
            click.echo(f"{f.reg_number}  {f.check}  [{f.severity}]  {f.evidence}")
