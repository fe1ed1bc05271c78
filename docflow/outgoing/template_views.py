"""The letter templates page (administrators): each kind and language with the template in use —
the shipped default or the office's own — to download, replace by an upload, or reset.

An upload is checked before anything is kept (:func:`docflow.outgoing.docx_templates.validate_template`):
a refusal shows the page again with 422 and the reason; the earlier template stays.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, flash, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from docflow.core.errors import DomainError
from docflow.core.security import Permission
from docflow.core.views import require, run_write
from docflow.outgoing import docx_templates as templates

bp = Blueprint("letter_templates", __name__, url_prefix="/admin/letter-templates")
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _kind_and_language(kind: str, language: str) -> None:
    if kind not in templates.template_kinds() or language not in templates.LANGUAGES:
        abort(404)


def _rows() -> list[dict]:
    rows = []
    for kind, title in templates.template_kinds().items():
        for language in templates.LANGUAGES:
            own = templates.office_template(kind, language)
            rows.append(
                {
                    "kind": kind,
                    "title": title,
                    "language": language,
                    "own": own,
                    "falls_back": own is None and kind not in templates.TEMPLATE_KINDS,
                    "required": templates.required_for(
                        kind if kind in templates.REQUIRED else "notice"
                    ),
                }
            )
    return rows


def _page(status: int = 200, failed: tuple[str, str] | None = None):
    return render_template(
        "outgoing/letter_templates.html",
        rows=_rows(),
        placeholders=templates.PLACEHOLDERS,
        failed=failed,
    ), status


@bp.route("/")
@login_required
def index():
    require(Permission.MANAGE_ORG)
    return _page()


@bp.route("/<kind>/<language>.docx")
@login_required
def download(kind: str, language: str):
    require(Permission.MANAGE_ORG)
    _kind_and_language(kind, language)
    data = templates.current_template(kind, language)
    return send_file(
        io.BytesIO(data),
        mimetype=DOCX_MIME,
        as_attachment=True,
        download_name=f"letter-{kind}-{language}.docx",
    )


@bp.route("/<kind>/<language>", methods=["POST"])
@login_required
def upload(kind: str, language: str):
    require(Permission.MANAGE_ORG)
    _kind_and_language(kind, language)
    f = request.files.get("file")
    if f is None or not f.filename:
        flash(_("Choose the DOCX file of the template."), "error")
        return _page(422, (kind, language))
    data = f.read()

    def refused(_exc: DomainError):
        return _page(422, (kind, language))

    return run_write(
        lambda: templates.store_template(kind, language, data, f.filename, current_user),
        success=_("The template is saved: new letters use it."),
        back=url_for("letter_templates.index"),
        failure=refused,
    )


@bp.route("/<kind>/<language>/reset", methods=["POST"])
@login_required
def reset(kind: str, language: str):
    require(Permission.MANAGE_ORG)
    _kind_and_language(kind, language)
    return run_write(
        lambda: templates.reset_template(kind, language, current_user),
        success=_("The default template is used again."),
        back=url_for("letter_templates.index"),
    )
