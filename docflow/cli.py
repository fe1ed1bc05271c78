"""``flask --app docflow …`` commands for administrators."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from docflow.core import audit
from docflow.extensions import db

CLI_ACTOR = audit.Actor(None, "cli")


def _as_cli_actor() -> None:
    audit.set_actor(CLI_ACTOR)
    audit.set_request_id(audit.new_request_id())


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create or upgrade the database to the latest schema (idempotent)."""
    from flask_migrate import upgrade

    upgrade()
    click.echo(f"database ready: {db.engine.url.render_as_string(hide_password=True)}")


@click.command("demo")
@click.option("--quiet", is_flag=True, help="Do not print the logins.")
@with_appcontext
def demo_command(quiet: bool) -> None:
    """Load the demo profile (Almaty city akimat and a user per role); idempotent."""
    from docflow.org.profile import DEMO_PROFILE, read_profile

    report = _load(read_profile(DEMO_PROFILE))
    if not quiet:
        click.echo("Demo logins (username / password, roles):")
        for user in report.users:
            click.echo(
                f"  {user['username']:<14} {user['password']:<14} {', '.join(user['roles'])}"
            )


profile_cli = AppGroup("profile", help="Office profiles (organisation, users, terms, calendar).")


@profile_cli.command("load")
@click.argument("path", type=click.Path(dir_okay=False))
def profile_load(path: str) -> None:
    """Load (or re-load) a profile JSON file."""
    from docflow.org.profile import ProfileError, read_profile

    try:
        data = read_profile(path)
    except ProfileError as exc:
        raise click.ClickException(str(exc)) from None
    report = _load(data)
    click.echo(f"created: {report.created or '-'}; updated: {report.updated or '-'}")


def _load(data):
    from docflow.org.profile import ProfileError, load_profile

    _as_cli_actor()
    try:
        report = load_profile(data)
    except ProfileError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    return report


users_cli = AppGroup("users", help="User accounts.")


@users_cli.command("create")
@click.argument("username")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="ROLE or ROLE@SUBDIVISION (head and executor need a subdivision); repeatable.",
)
@click.password_option(prompt="Password", confirmation_prompt=True)
def users_create(
    username: str, full_name: str, email: str | None, roles: tuple[str, ...], password: str
) -> None:
    """Create a user."""
    from docflow.org.operations import AccountError, create_user

    _as_cli_actor()
    grants = [(r.split("@", 1)[0], r.split("@", 1)[1] if "@" in r else None) for r in roles]
    try:
        create_user(username, full_name, password, grants, email)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"user {username} created")


@users_cli.command("token")
@click.argument("username")
def users_token(username: str) -> None:
    """Issue a new API token for USERNAME (the old one stops working); printed once."""
    from docflow.api import issue_token

    _as_cli_actor()
    user = _user(username)
    if not user.active:
        raise click.ClickException(f"user {username} is deactivated: reactivate it first")
    token = issue_token(user)
    db.session.commit()
    click.echo(token)


@users_cli.command("deactivate")
@click.argument("username")
def users_deactivate(username: str) -> None:
    """Lock USERNAME out at once: web sessions end and the API token is revoked.

    The next request with an old cookie goes to the login page, with the token it gets 401.
    The last active administrator cannot be deactivated. Audited.
    """
    from docflow.org.operations import AccountError, deactivate_user

    _as_cli_actor()
    user = _user(username)
    try:
        changed = deactivate_user(user)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"user {username} deactivated" if changed else f"user {username} already inactive")


@users_cli.command("reactivate")
@click.argument("username")
def users_reactivate(username: str) -> None:
    """Let USERNAME log in again with the password. Audited.

    The API token revoked at deactivation stays revoked (it may have leaked meanwhile):
    issue a new one with `flask users token USERNAME` if the account needs the API.
    """
    from docflow.org.operations import reactivate_user

    _as_cli_actor()
    user = _user(username)
    changed = reactivate_user(user)
    db.session.commit()
    click.echo(f"user {username} reactivated" if changed else f"user {username} already active")


def _user(username: str):
    from docflow.org.models import user_by_username

    user = user_by_username(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    return user


audit_cli = AppGroup("audit", help="The audit trail.")


@audit_cli.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit status 1 and the first broken link on tampering."""
    result = audit.verify()
    db.session.rollback()
    if result.ok:
        click.echo(f"audit trail intact: {result.checked} entries")
        return
    click.echo(
        f"audit trail BROKEN at entry {result.broken_seq}: {result.reason} "
        f"({result.checked} entries before it verified)",
        err=True,
    )
    sys.exit(1)


def register_cli(app: Flask) -> None:
    from docflow.analytics.cli import analytics_cli
    from docflow.core.access_log import access_log_command
    from docflow.core.backup_cli import backup_cli
    from docflow.core.calendar_cli import calendar_cli
    from docflow.core.storage_sweep import storage_cli
    from docflow.exchange.cli import cases_cli
    from docflow.inspection.cli import inspection_cli
    from docflow.org.substitutes_cli import org_cli
    from docflow.outgoing.letters_cli import letters_cli
    from docflow.outgoing.pki_cli import pki_cli  # also adds ``users set``
    from docflow.protocols.cli import protocols_cli
    from docflow.registry.cli import registry_cli
    from docflow.routing.cli import routing_cli

    commands = (
        init_command,
        demo_command,
        profile_cli,
        users_cli,
        audit_cli,
        access_log_command,
        backup_cli,
        storage_cli,
        calendar_cli,
        registry_cli,
        routing_cli,
        protocols_cli,
        cases_cli,
        inspection_cli,
        pki_cli,
        letters_cli,
        org_cli,
        analytics_cli,
    )
    for command in commands:
        app.cli.add_command(command)
