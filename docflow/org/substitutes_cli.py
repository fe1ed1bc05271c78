"""``flask --app docflow org …``: the organisation's commands; heads' substitutes by date.

    flask --app docflow org substitute HEAD SUBSTITUTE --from 2026-12-07 --to 2026-12-18
    flask --app docflow org substitute --list [--all] [--json]
    flask --app docflow org substitute --end ID

Usernames and ISO dates; the last day is included. A refused substitution (a backwards range,
the head as their own substitute, overlapping dates, an unknown user) prints why and exits 2.
"""

from __future__ import annotations

import datetime as dt
import json

import click
from flask.cli import AppGroup
from flask_babel import force_locale

from docflow.core import audit
from docflow.extensions import db

org_cli = AppGroup(
    "org", help="The organisation: what the profile says of it; heads' substitutes by date."
)


def _date(value: str | None, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise click.UsageError(f"{name}: give a date as YYYY-MM-DD, not {value!r}") from None


def _row(s) -> dict:
    return {
        "id": s.id,
        "head": s.head.username,
        "substitute": s.substitute.username,
        "subdivision": s.subdivision.code if s.subdivision else None,
        "from": s.date_from.isoformat(),
        "to": s.date_to.isoformat(),
        "last_day": s.last_day.isoformat(),
        "ended_on": s.ended_on.isoformat() if s.ended_on else None,
        "reason": s.reason,
    }


@org_cli.command("substitute")
@click.argument("head", required=False)
@click.argument("substitute", required=False)
@click.option("--from", "date_from", metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", metavar="DATE", help="Last day, included (YYYY-MM-DD).")
@click.option("--subdivision", metavar="CODE", help="Only this subdivision of the head's.")
@click.option("--reason", help="Why (leave, business trip…).")
@click.option("--list", "list_", is_flag=True, help="List current and future substitutions.")
@click.option("--all", "all_", is_flag=True, help="With --list: the past ones too.")
@click.option("--json", "as_json", is_flag=True, help="With --list: JSON lines.")
@click.option("--end", "end_id", type=int, metavar="ID", help="End substitution ID from today.")
def substitute_command(
    head: str | None,
    substitute: str | None,
    date_from: str | None,
    date_to: str | None,
    subdivision: str | None,
    reason: str | None,
    list_: bool,
    all_: bool,
    as_json: bool,
    end_id: int | None,
) -> None:
    """Record that SUBSTITUTE replaces HEAD (R-ANS-2) from --from to --to; or --list, --end."""
    from docflow.org import substitutes
    from docflow.org.models import subdivision_by_code, user_by_username

    if list_:
        rows = substitutes.substitutions(current_only=not all_)
        for s in rows:
            if as_json:
                click.echo(json.dumps(_row(s), ensure_ascii=False))
            else:
                where = s.subdivision.code if s.subdivision else "*"
                ended = f" (ended {s.ended_on.isoformat()})" if s.ended_on else ""
                click.echo(
                    f"{s.id:>4}  {s.head.username} -> {s.substitute.username}  {where}  "
                    f"{s.date_from.isoformat()}..{s.date_to.isoformat()}{ended}"
                )
        if not rows and not as_json:
            click.echo("no substitutions")
        db.session.rollback()
        return
    audit.set_actor(audit.Actor(None, "cli"))
    audit.set_request_id(audit.new_request_id())
    if end_id is not None:
        row = substitutes.substitution_by_id(end_id)
        if row is None:
            raise click.UsageError(f"no substitution {end_id}")
        _run(lambda: substitutes.end_substitution(row))
        click.echo(f"substitution {end_id} ended: last day {row.last_day.isoformat()}")
        return
    if not head or not substitute:
        raise click.UsageError("give HEAD and SUBSTITUTE (usernames), or --list")
    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    users = {}
    for name in (head, substitute):
        users[name] = user_by_username(name)
        if users[name] is None:
            raise click.UsageError(f"no user {name}")
    sub = None
    if subdivision:
        sub = subdivision_by_code(subdivision)
        if sub is None:
            raise click.UsageError(f"no subdivision {subdivision}")
    row = _run(
        lambda: substitutes.add_substitution(
            users[head], users[substitute], start, end, subdivision=sub, reason=reason
        )
    )
    click.echo(
        f"substitution {row.id}: {substitute} acts as head for {head} "
        f"from {start.isoformat()} to {end.isoformat()}"
    )


def _run(operation):
    from docflow.org.substitutes import SubstitutionError

    try:
        with force_locale("en"):  # the messages of the commands are English
            result = operation()
    except SubstitutionError as exc:
        db.session.rollback()
        raise click.UsageError(exc.message) from None
    db.session.commit()
    return result


@org_cli.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(as_json):
    """The organisation: code, names, BIN (the signers' certificates must carry it), subdivisions."""
    import json
    import sys

    from sqlalchemy import select

    from docflow.extensions import db
    from docflow.org.models import Organisation, Subdivision
    from docflow.outgoing.letter_signing import organisation_bin

    org = db.session.scalar(select(Organisation).limit(1))
    if org is None:
        raise click.ClickException("No organisation: load a profile first (flask profile load).")
    subs = db.session.scalars(select(Subdivision).order_by(Subdivision.code))
    data = {
        "code": org.code,
        "names": org.names,
        "bin": organisation_bin(),
        "subdivisions": [
            {"code": s.code, "kind": s.kind, "names": s.names, "active": s.active} for s in subs
        ],
    }
    if as_json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    click.echo(f"{data['code']}: {org.names.get('kk') or org.names.get('ru')}")
    click.echo(f"BIN: {data['bin'] or '—'}")
    for sub in data["subdivisions"]:
        click.echo(f"  {sub['code']:<12} {sub['kind']:<11} {sub['names'].get('ru', '')}")
