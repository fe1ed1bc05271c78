"""``flask --app docflow letters verify FILE.pdf [--json]``: is a signed letter valid, years later?

The same checks as at signing (:func:`docflow.signing.verify_pdf`) against the office's trusted
roots (``flask pki trust``), with revocation, TSA and NCANode as configured
(:mod:`docflow.outgoing.signing_config`): intact or modified after signing, and for every
signature the signer (name, IIN, BIN), the time, the certificate's issuer, whether it carries a
timestamp and embedded validation data, and why it fails. When the file is a letter signed here
(its SHA-256 is on record) the signer's IIN on record must match and the recorded signing time
stands in for a missing timestamp.

Exit status: 0 valid, 1 not valid, 2 unreadable input (not a PDF, or no signature in it).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from docflow.extensions import db

letters_cli = AppGroup("letters", help="Outgoing letters: verify a signed PDF.")

EXIT_VALID, EXIT_NOT_VALID, EXIT_UNREADABLE = 0, 1, 2
# the document itself cannot be judged: nothing signed to verify
UNREADABLE = frozenset({"malformed", "no_signature"})


def _letter_on_record(sha256: str):
    from docflow.outgoing.letter_models import Letter

    return db.session.scalar(select(Letter).where(Letter.signed_sha256 == sha256).limit(1))


def _signer(sig, validation_data: bool) -> dict[str, Any]:
    info = sig.signer
    time = sig.timestamp or sig.claimed_time
    return {
        "field": sig.field_name,
        "valid": sig.valid,
        "intact": sig.intact,
        "covers_document": sig.covers_document,
        "trusted": sig.trusted,
        "name": info.name if info else None,
        "iin": info.iin if info else None,
        "bin": info.bin if info else None,
        "organisation": info.organisation if info else None,
        "issuer": info.issuer if info else None,
        "serial": info.serial if info else None,
        "gost": info.is_gost if info else None,
        "time": time.isoformat() if time else None,
        "time_source": "timestamp" if sig.timestamp else "claimed",
        "timestamp": sig.timestamp is not None,
        "timestamp_time": sig.timestamp.isoformat() if sig.timestamp else None,
        "validation_data_embedded": validation_data,
        "level": sig.level,
        "revocation": sig.revocation,
        "verified_by": sig.verified_by,
        "failures": [f.to_dict() for f in sig.failures],
    }


def verify_report(
    pdf: bytes, *, expected_iin: str | None = None, expected_bin: str | None = None
) -> dict[str, Any]:
    """Everything ``letters verify`` says about ``pdf``, as JSON-ready data (messages rendered
    in the current locale). ``status`` is ``valid`` | ``not_valid`` | ``unreadable``."""
    from docflow.outgoing import signing_config
    from docflow.outgoing.letter_signing import signer_iin, trusted_roots
    from docflow.signing import verify_pdf

    sha256 = hashlib.sha256(pdf).hexdigest()
    letter = _letter_on_record(sha256)
    at = None
    if letter is not None:
        at = letter.signed_at
        if expected_iin is None and letter.signed_by is not None:
            expected_iin = signer_iin(letter.signed_by)
    result = verify_pdf(
        pdf,
        signing_config.trust(trusted_roots()),
        expected_iin=expected_iin,
        expected_bin=expected_bin,
        at=at,
        ncanode_url=signing_config.ncanode_url(),
    )
    status = "valid" if result.valid else "not_valid"
    if {f.code for f in result.failures} & UNREADABLE:
        status = "unreadable"
    return {
        "status": status,
        "valid": result.valid,
        "intact": result.intact,
        "modified": bool(result.signatures) and not result.intact,
        "sha256": sha256,
        "codes": result.codes,
        "failures": [f.to_dict() for f in result.failures],
        "revocation_checked": result.revocation_checked,
        "validation_data_embedded": result.validation_data,
        "notes": [str(n) for n in result.notes],
        "letter": None
        if letter is None
        else {
            "id": letter.public_id,
            "reg_number": letter.reg_number,
            "registered_on": letter.registered_on.isoformat() if letter.registered_on else None,
            "signed_by": letter.signed_by.username if letter.signed_by else None,
            "signed_at": letter.signed_at.isoformat() if letter.signed_at else None,
        },
        "signers": [_signer(s, result.validation_data) for s in result.signatures],
    }


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _echo_text(path: str, report: dict[str, Any]) -> None:
    if report["status"] == "unreadable":
        click.echo(f"{path}: UNREADABLE", err=True)
        for f in report["failures"]:
            click.echo(f"  {f['code']}: {f['message']}", err=True)
        return
    verdict = "VALID" if report["valid"] else "NOT VALID"
    state = "intact since signing" if report["intact"] else "MODIFIED after signing"
    click.echo(f"{path}: {verdict} — {state}")
    letter = report["letter"]
    if letter:
        click.echo(f"  outgoing letter {letter['reg_number']} of {letter['registered_on']}")
    for n, s in enumerate(report["signers"], 1):
        who = ", ".join(
            bit
            for bit in (
                s["name"] or "?",
                f"IIN {s['iin']}" if s["iin"] else None,
                f"BIN {s['bin']}" if s["bin"] else None,
            )
            if bit
        )
        click.echo(f"  signature {n} ({s['field']}): {'valid' if s['valid'] else 'NOT VALID'}")
        click.echo(f"    signer: {who}")
        click.echo(f"    time: {s['time'] or '?'} ({s['time_source']})")
        click.echo(f"    certificate issuer: {s['issuer']}")
        click.echo(
            f"    timestamp: {_yes(s['timestamp'])}; "
            f"validation data embedded: {_yes(s['validation_data_embedded'])}; "
            f"level: {s['level'] or '-'}; revocation: {s['revocation']}"
        )
        for f in s["failures"]:
            click.echo(f"    ✗ {f['code']}: {f['message']}")
    for f in report["failures"]:
        click.echo(f"  ✗ {f['code']}: {f['message']}")
    for note in report["notes"]:
        click.echo(f"  note: {note}")


@letters_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--iin", default=None, help="Every signer must have this IIN.")
@click.option("--bin", "bin_", default=None, help="Every signer must have this BIN.")
@click.option(
    "--lang",
    type=click.Choice(["kk", "ru", "en"]),
    default=None,
    help="Language of the messages (default: the office's).",
)
def verify(path: str, as_json: bool, iin: str | None, bin_: str | None, lang: str | None) -> None:
    """Verify the signatures of a signed letter's PDF: exit 0 valid, 1 not valid, 2 unreadable."""
    data = Path(path).read_bytes()
    with force_locale(lang or current_app.config.get("BABEL_DEFAULT_LOCALE", "kk")):
        report = verify_report(data, expected_iin=iin, expected_bin=bin_)
        if as_json:
            click.echo(json.dumps({"file": path, **report}, ensure_ascii=False, indent=2))
        else:
            _echo_text(path, report)
    code = {"valid": EXIT_VALID, "not_valid": EXIT_NOT_VALID}.get(report["status"], EXIT_UNREADABLE)
    sys.exit(code)
