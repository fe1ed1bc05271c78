"""``flask --app docflow pki …`` (heads' keystores, trusted roots, a demo PKI) and
``flask --app docflow users set USER --iin IIN`` (the IIN a signature must carry)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from docflow.cli import _as_cli_actor, _user, users_cli
from docflow.extensions import db

pki_cli = AppGroup("pki", help="Digital signatures: heads' key files and trusted roots.")
DEMO_PASSPHRASE = "docflow-demo"  # noqa: S105 — the demo logins' password, printed


@pki_cli.command("import-key")
@click.argument("username")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--passphrase",
    prompt="Key file passphrase (checked, never stored)",
    hide_input=True,
    help="Only checks that the file opens; asked again at every signing.",
)
def import_key(username: str, path: str, passphrase: str) -> None:
    """Store USERNAME's PKCS#12 key file as given (encrypted by its own passphrase)."""
    from docflow.outgoing.letter_signing import import_keystore
    from docflow.signing import SigningError

    _as_cli_actor()
    user = _user(username)
    try:
        row = import_keystore(user, Path(path).read_bytes(), passphrase)
    except SigningError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc.message)) from None
    db.session.commit()
    click.echo(f"key file of {username} stored: {row.subject}")


@pki_cli.command("trust")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def trust(path: str) -> None:
    """Trust the CA certificates in a PEM (or DER) file, e.g. NCA RK's roots."""
    from docflow.core.errors import DomainError
    from docflow.outgoing.letter_signing import add_trusted

    _as_cli_actor()
    try:
        rows = add_trusted(Path(path).read_bytes())
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    db.session.commit()
    for row in rows:
        click.echo(f"trusted: {row.subject}")


def demo_iin(n: int) -> str:
    """A valid-looking IIN (birth date 1980-01-01 + n days, check digit right) for demo heads."""
    import datetime as dt

    from docflow.core.identifiers import is_valid_iin

    born = dt.date(1980, 1, 1) + dt.timedelta(days=n)
    serial = 1000 + n * 10
    while True:
        base = born.strftime("%y%m%d") + "3" + f"{serial % 10000:04d}"
        for check in range(10):
            if is_valid_iin(base + str(check)):
                return base + str(check)
        serial += 1


@pki_cli.command("demo")
def demo() -> None:
    """A demo CA (trusted) and a key file for each head (passphrase docflow-demo); sets the
    heads' IINs when missing."""
    from docflow.org.models import Employee, RoleGrant, User
    from docflow.outgoing.letter_signing import add_trusted, import_keystore
    from docflow.signing.pki import CertificateAuthority

    _as_cli_actor()
    root = CertificateAuthority.create("Docflow Demo Root CA (RSA)", organisation="Docflow demo")
    ca = root.intermediate("Docflow Demo NCA (RSA)")
    add_trusted(root.cert_pem)
    heads = db.session.scalars(
        select(User)
        .join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == "head", User.active.is_(True))
        .order_by(User.username)
    ).unique()
    for n, user in enumerate(heads):
        employee = user.employee
        if employee is None:
            grant = next(g for g in user.grants if g.role == "head")
            employee = Employee(
                subdivision_id=grant.subdivision_id, full_name=user.full_name, is_head=True
            )
            employee.user = user
            db.session.add(employee)
        if not employee.iin:
            employee.iin = demo_iin(n)
        issued = ca.issue(user.full_name.upper(), iin=employee.iin, days=730)
        import_keystore(user, issued.pkcs12(DEMO_PASSPHRASE), DEMO_PASSPHRASE)
        click.echo(f"  {user.username:<14} IIN set, key file passphrase {DEMO_PASSPHRASE}")
    db.session.commit()
    click.echo("demo CA trusted; heads sign on the server with their key file")


@users_cli.command("set")
@click.argument("username")
@click.option("--iin", required=True, help="The IIN in the user's signing certificate.")
def users_set(username: str, iin: str) -> None:
    """Set a user's IIN on record (a letter's signature must carry it)."""
    from docflow.core.identifiers import InvalidIdentifier, validate_iin
    from docflow.org.models import Employee

    _as_cli_actor()
    user = _user(username)
    try:
        iin = validate_iin(iin)
    except InvalidIdentifier as exc:
        raise click.ClickException(str(exc)) from None
    other = db.session.scalar(select(Employee).where(Employee.iin == iin))
    if other is not None and other.user_id != user.id:
        raise click.ClickException("this IIN is already another employee's")
    employee = user.employee
    if employee is None:
        grant = next((g for g in user.grants if g.subdivision_id), None)
        if grant is None:
            raise click.ClickException(f"{username} is no employee of a subdivision")
        employee = Employee(subdivision_id=grant.subdivision_id, full_name=user.full_name)
        employee.user = user
        db.session.add(employee)
    employee.iin = iin
    db.session.commit()
    click.echo(f"IIN of {username} set")
