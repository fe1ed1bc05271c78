"""Records-office pages for an item's files and for batch scans (on the registry blueprint)."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from docflow.core import access_log
from docflow.core.security import Permission
from docflow.core.storage import get_storage
from docflow.core.views import require, run_write
from docflow.extensions import db
from docflow.registry import jobs, operations
from docflow.registry.blueprint import _item_or_404, bp
from docflow.registry.forms import LinkForm, UploadForm
from docflow.registry.models import Attachment, IncomingItem, item_by_number
from docflow.registry.operations import RegistrationError


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
            }
            for a in item.attachments
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
    replaces = None
    if request.form.get("replaces"):
        replaces = _attachment_or_404(item, request.form["replaces"])
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
                    replaces=replaces,
                )
        except RegistrationError as exc:
            # A refused file (empty, too large) does not cost the other files of the upload.
            message = "; ".join(exc.errors.values())
            name = operations._safe_filename(f.filename)
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


@bp.route("/<public_id>/files/<attachment_id>")
@login_required
def download(public_id: str, attachment_id: str):
    item = _item_or_404(public_id)
    att = _attachment_or_404(item, attachment_id)
    access_log.record("download", att, item=item)
    inline = request.args.get("inline") == "1" and att.content_type in (
        "application/pdf",
        "image/png",
        "image/jpeg",
    )
    return send_file(
        get_storage().open(att.storage_key),
        mimetype=att.content_type or "application/octet-stream",
        as_attachment=not inline,
        download_name=att.filename,
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
