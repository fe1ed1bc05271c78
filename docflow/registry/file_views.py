"""Records-office pages for an item's files and for batch scans (on the registry blueprint)."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from docflow.app_setup import SECURITY_HEADERS
from docflow.core import access_log
from docflow.core.security import Permission, has_permission
from docflow.core.storage import get_storage
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.registry import applicant_versions, file_versions, jobs, operations
from docflow.registry.blueprint import _item_or_404, bp
from docflow.registry.forms import LinkForm, UploadForm
from docflow.registry.models import Applicant, Attachment, IncomingItem, item_by_number
from docflow.registry.operations import RegistrationError

# What the browser shows itself (the inline viewer): PDF in a frame, images as <img>.
VIEWABLE = {"application/pdf": "pdf", "image/png": "image", "image/jpeg": "image"}
# A file shown inline may be framed by our own viewer page only (the rest of the app: never).
INLINE_CSP = SECURITY_HEADERS["Content-Security-Policy"].replace(
    "frame-ancestors 'none'", "frame-ancestors 'self'"
)
VIEWER_CSP = SECURITY_HEADERS["Content-Security-Policy"] + "; frame-src 'self'"


class ReplaceFileForm(FlaskForm):
    file = FileField(_l("New version of the file"), validators=[DataRequired()])
    reason = StringField(
        _l("Reason"), validators=[DataRequired(), Length(max=file_versions.REASON_MAX)]
    )


class RemoveFileForm(FlaskForm):
    reason = StringField(
        _l("Reason"), validators=[DataRequired(), Length(max=file_versions.REASON_MAX)]
    )


class ApplicantCorrectionForm(FlaskForm):
    full_name = StringField(_l("Full name"), validators=[Optional(), Length(max=300)])
    iin = StringField(_l("IIN"), validators=[Optional(), Length(max=20)])
    organisation_name = StringField(_l("Organisation"), validators=[Optional(), Length(max=300)])
    bin = StringField(_l("BIN"), validators=[Optional(), Length(max=20)])
    address = StringField(_l("Postal address"), validators=[Optional(), Length(max=500)])
    reason = StringField(
        _l("Reason"), validators=[DataRequired(), Length(max=file_versions.REASON_MAX)]
    )


def fields_of(applicant: Applicant) -> tuple[str, ...]:
    """The details of this applicant that are corrected (an organisation: name, BIN, address)."""
    if applicant.type == "legal":
        return ("organisation_name", "bin", "address")
    return ("full_name", "iin", "address")


@bp.context_processor
def _file_helpers() -> dict:
    def files_may_change(item: IncomingItem) -> bool:
        return item.state in file_versions.FILES_OPEN_STATES and has_permission(
            current_user, Permission.MODIFY, item
        )

    return {
        "file_histories": file_versions.file_histories,
        "may_see_file_history": lambda item: file_versions.may_see_history(current_user, item),
        "files_may_change": files_may_change,
        "file_locked_sources": file_versions.LOCKED_SOURCES,
        "viewable": VIEWABLE,
        "applicant_versions": applicant_versions.versions_of,
        "applicant_fields": fields_of,
        "replace_form": ReplaceFileForm,
        "remove_form": RemoveFileForm,
    }


@bp.errorhandler(413)
def _too_large(_exc):
    # 413 as the HTTP contract says, with the limit and a way back to the item.
    limit_mb = (current_app.config.get("MAX_CONTENT_LENGTH") or 0) / (1024 * 1024)
    public_id = (request.view_args or {}).get("public_id")
    back = (
        url_for("registry.item", public_id=public_id) if public_id else url_for("registry.journal")
    )
    message = _(
        "The upload is too large: at most %(mb).1f MB at once. Nothing was stored.", mb=limit_mb
    )
    return render_template("errors/error.html", status=413, message=message, back_url=back), 413


@bp.route("/<public_id>/files.json")
@login_required
def files_status(public_id: str):
    item = _item_or_404(public_id)
    return jsonify(
        files=[
            {
                "id": a.public_id,
                "status": a.extraction_status,
                "error": a.extraction_error,
                "pages": a.page_count,
                "preview_waiting": a.preview_waiting,
            }
            for a in item.current_attachments
        ]
    )


@bp.route("/<public_id>/files", methods=["POST"])
@login_required
def upload(public_id: str):
    item = _item_or_404(public_id)
    require(Permission.MODIFY, item)
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Choose at least one file."), "error")
        return redirect(url_for("registry.item", public_id=public_id)), 303
    if request.form.get("replaces"):
        # a new version of one file: the same operation as the replace form, with its reason
        old = _attachment_or_404(item, request.form["replaces"])
        f = form.files.data[0]
        return run_write(
            lambda: file_versions.replace_file(
                item,
                old,
                f.filename,
                f.stream,
                current_user,
                reason=request.form.get("reason", ""),
                content_type=f.mimetype,
            ),
            success=_replaced_message,
            back=_back_to_files(item),
        )
    stored = 0
    for f in form.files.data:
        if not f or not f.filename:
            continue
        try:
            with db.session.begin_nested():
                operations.attach(
                    item,
                    f.filename,
                    f.stream,
                    current_user,
                    content_type=f.mimetype,
                )
        except RegistrationError as exc:
            # A refused file (empty, too large) does not cost the other files of the upload.
            message = "; ".join(exc.errors.values())
            name = operations.safe_filename(f.filename)
            flash(message if name in message else f"{name}: {message}", "error")
            continue
        stored += 1
    db.session.commit()
    if stored:
        jobs.schedule()
        flash(
            _("%(n)d file(s) attached. Text extraction runs in the background.", n=stored), "info"
        )
    return redirect(url_for("registry.item", public_id=public_id)), 303


def _attachment_or_404(item: IncomingItem, attachment_id: str) -> Attachment:
    att = db.session.scalar(
        select(Attachment).where(
            Attachment.public_id == attachment_id, Attachment.item_id == item.id
        )
    )
    if att is None:
        abort(404)
    return att


def _visible_attachment_or_404(item: IncomingItem, attachment_id: str) -> Attachment:
    """A current file, or an earlier or removed version for those who see the history."""
    att = _attachment_or_404(item, attachment_id)
    if not file_versions.is_current(item, att) and not file_versions.may_see_history(
        current_user, item
    ):
        abort(404)
    return att


def _back_to_files(item: IncomingItem) -> str:
    return url_for("registry.item", public_id=item.public_id) + "#files"


def _replaced_message(new: Attachment) -> str:
    jobs.schedule()  # the new version's text is extracted in the background
    return _(
        "“%(name)s” is the file's new version; the old one is kept in its history.",
        name=new.filename,
    )


@bp.route("/<public_id>/files/<attachment_id>")
@login_required
def download(public_id: str, attachment_id: str):
    item = _item_or_404(public_id)
    att = _visible_attachment_or_404(item, attachment_id)
    access_log.record("download", att, item=item)
    inline = request.args.get("inline") == "1" and att.content_type in VIEWABLE
    response = send_file(
        get_storage().open(att.storage_key),
        mimetype=att.content_type or "application/octet-stream",
        as_attachment=not inline,
        download_name=att.filename,
    )
    if inline:  # framed by the viewer page (same origin only)
        response.headers["Content-Security-Policy"] = INLINE_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.route("/<public_id>/files/<attachment_id>/view")
@login_required
def view_file(public_id: str, attachment_id: str):
    """The inline viewer: a PDF in a frame, an image as an image; other files are downloaded."""
    item = _item_or_404(public_id)
    att = _visible_attachment_or_404(item, attachment_id)
    kind = VIEWABLE.get(att.content_type or "")
    if kind is None:
        return redirect(
            url_for("registry.download", public_id=public_id, attachment_id=att.public_id)
        )
    response = make_response(
        render_template(
            "registry/_files_viewer.html",
            item=item,
            att=att,
            kind=kind,
            current=file_versions.is_current(item, att),
        )
    )
    response.headers["Content-Security-Policy"] = VIEWER_CSP
    return response


@bp.route("/<public_id>/files/<attachment_id>/replace", methods=["POST"])
@login_required
def replace_file(public_id: str, attachment_id: str):
    item = _item_or_404(public_id)
    old = _attachment_or_404(item, attachment_id)
    require(Permission.MODIFY, item)  # the office only: check before the form
    form = ReplaceFileForm()
    if not form.validate_on_submit():
        flash(_("Choose the new file and say why it replaces the old one."), "error")
        return redirect(_back_to_files(item)), 303
    f = form.file.data
    return run_write(
        lambda: file_versions.replace_file(
            item,
            old,
            f.filename,
            f.stream,
            current_user,
            reason=form.reason.data,
            content_type=f.mimetype,
        ),
        success=_replaced_message,
        back=_back_to_files(item),
    )


@bp.route("/<public_id>/files/<attachment_id>/remove", methods=["POST"])
@login_required
def remove_file(public_id: str, attachment_id: str):
    item = _item_or_404(public_id)
    att = _attachment_or_404(item, attachment_id)
    require(Permission.MODIFY, item)  # the office only: check before the form
    form = RemoveFileForm()
    if not form.validate_on_submit():
        flash(_("Say why the file is removed."), "error")
        return redirect(_back_to_files(item)), 303
    return run_write(
        lambda: file_versions.remove_file(item, att, current_user, reason=form.reason.data),
        success=_(
            "“%(name)s” is removed from the item's files; it is kept in the history.",
            name=att.filename,
        ),
        back=_back_to_files(item),
    )


@bp.route("/<public_id>/applicants/<int:number>/correct", methods=["POST"])
@login_required
def correct_applicant(public_id: str, number: int):
    """A new version of the applicant's details (number: 1 for the first applicant)."""
    item = _item_or_404(public_id)
    if not 1 <= number <= len(item.applicants):
        abort(404)
    applicant = item.applicants[number - 1]
    require(Permission.MODIFY, item)  # the office only: check before the form
    form = ApplicantCorrectionForm()
    back = url_for("registry.item", public_id=item.public_id) + f"#applicant-{number}"
    if not form.validate_on_submit():
        flash(_("Say why the applicant's details are corrected."), "error")
        return redirect(back), 303
    details = {name: form[name].data for name in fields_of(applicant)}
    return run_write(
        lambda: applicant_versions.correct_applicant(
            item, applicant, current_user, reason=form.reason.data, **details
        ),
        success=_("The applicant's details are corrected; the earlier version is kept."),
        back=back,
    )


@bp.route("/<public_id>/files/<attachment_id>/preview.png")
@login_required
def preview(public_id: str, attachment_id: str):
    item = _item_or_404(public_id)
    att = _attachment_or_404(item, attachment_id)
    if not att.preview_key:
        abort(404)
    access_log.record("preview", att, item=item)
    return send_file(get_storage().open(att.preview_key), mimetype="image/png", max_age=3600)


@bp.route("/scans", methods=["GET", "POST"])
@login_required
def scans():
    """Batch scans: upload a multi-page scan; resolve pages without a known label."""
    from docflow.registry.models import ScanBatch
    from docflow.registry.scanning import unmatched_queue, upload_batch

    require(Permission.REGISTER)
    form = UploadForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Choose at least one file."), "error")
            return redirect(url_for("registry.scans")), 303
        for f in form.files.data:
            if f and f.filename:
                upload_batch(f.filename, f.stream, current_user)
        db.session.commit()
        jobs.schedule()
        flash(_("The scan is being split at the registration labels."), "info")
        return redirect(url_for("registry.scans")), 303
    batches = db.session.scalars(select(ScanBatch).order_by(ScanBatch.id.desc()).limit(20)).all()
    return render_template(
        "registry/scans.html",
        form=form,
        batches=batches,
        queue=unmatched_queue(),
        resolve_form=LinkForm(),
    )


@bp.route("/scans/unmatched/<int:scan_id>", methods=["POST"])
@login_required
def resolve_scan(scan_id: int):
    from docflow.registry.models import UnmatchedScan
    from docflow.registry.scanning import resolve

    require(Permission.REGISTER)
    unmatched = db.session.get(UnmatchedScan, scan_id)
    if unmatched is None:
        abort(404)
    form = LinkForm()
    item = item_by_number((form.reg_number.data or "").strip()) if form.reg_number.data else None
    if item is None:
        flash(_("No registered item with that number."), "error")
        return redirect(url_for("registry.scans")), 303
    return run_write(
        lambda: resolve(unmatched, item, current_user),
        success=_("The pages are attached to %(number)s.", number=item.reg_number),
        back=url_for("registry.scans"),
    )


@bp.route("/scans/unmatched/<int:scan_id>/file")
@login_required
def unmatched_file(scan_id: int):
    from docflow.registry.models import UnmatchedScan

    require(Permission.REGISTER)
    unmatched = db.session.get(UnmatchedScan, scan_id)
    if unmatched is None:
        abort(404)
    att = unmatched.attachment
    access_log.record("download", att)
    return send_file(
        get_storage().open(att.storage_key), mimetype="application/pdf", download_name=att.filename
    )
