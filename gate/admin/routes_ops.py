"""Staff pages for the audit trail, the mail queue and FluentCRM uploads (thin views)."""

from __future__ import annotations

from flask import Response, abort, current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError

from gate import audit, mail
from gate.admin import imports, queries
from gate.admin.blueprint import actor, bp, page
from gate.admin.forms import ApplyImportForm, AuditFilterForm, ButtonForm, ImportForm, options
from gate.db import get_session
from gate.models import MailMessage, utcnow
from gate.newsletter import csv_import
from gate.newsletter.plan import ExportError

MAIL_STATES = ("", "queued", "sent", "failed")
UPLOAD_LIMIT = csv_import.MAX_BYTES + 64 * 1024
"""Request size allowed for an upload: the CLI's file limit plus the form around it."""


@bp.get("/audit")
def audit_trail() -> ResponseReturnValue:
    """The audit trail by user, action and dates; ``format=csv|json`` exports the filter."""
    db = get_session()
    form = AuditFilterForm(request.args)
    form.action.choices = options([("", "Any action"),
                                  *((a, a) for a in queries.audit_actions(db))])
    if not form.validate():
        return page("admin/audit.html", 400, form=form, result=None, args={})
    filters = queries.AuditFilter(user=form.user.data or "", action=form.action.data or "",
                                  since=form.since.data, until=form.until.data)
    fmt = request.args.get("format", "")
    if fmt in {"csv", "json"}:
        rows = list(db.scalars(filters.query()))
        rows.reverse()  # exports run oldest first, as `sop-portal audit`
        audit.record("audit.export", user=None, email=actor().email, target=fmt,
                     detail=f"{len(rows)} events; " + request.query_string.decode("latin-1"))
        stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
        body = audit.to_csv(rows) if fmt == "csv" else audit.to_json(rows)
        response = Response(body, mimetype="text/csv" if fmt == "csv" else "application/json")
        response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{fmt}"'
        return response
    if fmt:
        abort(400, description="The export format must be csv or json.")
    number = request.args.get("page", "1")
    result = queries.paginate(db, filters.query(), int(number) if number.isdigit() and
                              len(number) < 7 else 1)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return page("admin/audit.html", form=form, result=result, args=args)


@bp.get("/mail")
def mail_queue() -> ResponseReturnValue:
    """The mail queue: sent, waiting and failed messages with their last error."""
    status = request.args.get("status", "")
    if status not in MAIL_STATES:
        abort(400, description="The status must be queued, sent or failed.")
    number = request.args.get("page", "1")
    result = queries.mail_queue(get_session(), status,
                                int(number) if number.isdigit() and len(number) < 7 else 1)
    return page("admin/mail.html", result=result, shown=status, button=ButtonForm(),
                args={"status": status} if status else {})


@bp.post("/mail/retry")
def mail_retry() -> ResponseReturnValue:
    """Retry every waiting and failed message now."""
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form has expired. Reload the page and try again.")
    db = get_session()
    count = mail.retry_now(db)
    audit.record("mail.retry", email=actor().email, target="all", detail=f"{count} message(s)")
    mail.dispatch()
    return redirect(url_for("admin.mail_queue", done="retried"), 303)


@bp.post("/mail/<int:message_id>/retry")
def mail_retry_one(message_id: int) -> ResponseReturnValue:
    """Retry one waiting or failed message now."""
    if not ButtonForm().validate_on_submit():
        abort(400, description="The form has expired. Reload the page and try again.")
    db = get_session()
    message = db.get(MailMessage, message_id)
    if message is None:
        abort(404, description="There is no message with this number.")
    if message.status == "sent":
        abort(409, description="This message was sent already.")
    message.status, message.next_attempt_at = "queued", utcnow()
    audit.record("mail.retry", email=actor().email, target=f"mail {message_id}")
    mail.dispatch()
    return redirect(url_for("admin.mail_queue", done="retried"), 303)


@bp.route("/import", methods=["GET", "POST"])
def import_upload() -> ResponseReturnValue:
    """Upload a FluentCRM contacts export: every row is checked and the changes shown;
    nothing changes until "Apply"."""
    request.max_content_length = UPLOAD_LIMIT
    form = ImportForm()
    if request.method != "POST":
        return page("admin/import.html", form=form)
    upload = form.file.data if form.validate_on_submit() else None
    if upload is None:  # FileRequired: a valid form carries the file
        return page("admin/import.html", 400, form=form)
    data = upload.read(UPLOAD_LIMIT)
    name = (upload.filename or "upload.csv")[:100]
    try:
        summary = imports.run(get_session(), data, name=name, prune=bool(form.prune.data),
                              dry_run=True, actor_email=actor().email)
        upload_id = imports.store(current_app.instance_path, data)
    except (ExportError, imports.UploadError) as exc:
        problems = list(getattr(exc, "problems", ()))
        form.file.errors = [*form.file.errors, f"{getattr(exc, 'message', exc)}; nothing "
                            "was changed"]
        return page("admin/import.html", 400, form=form, problems=problems)
    apply = ApplyImportForm(data={"upload": upload_id, "prune": "1" if form.prune.data else ""})
    return page("admin/import.html", form=form, summary=summary, apply=apply, name=name,
                prune=bool(form.prune.data))


@bp.post("/import/apply")
def import_apply() -> ResponseReturnValue:
    """Apply a previewed upload, all or nothing."""
    form = ApplyImportForm()
    if not form.validate_on_submit():
        abort(400, description="This upload is unknown: upload the file again.")
    instance = current_app.instance_path
    upload_id, prune = form.upload.data or "", form.prune.data == "1"
    try:
        data = imports.load(instance, upload_id)
        summary = imports.run(get_session(), data, name="upload", prune=prune, dry_run=False,
                              actor_email=actor().email)
    except imports.UploadError as exc:
        return page("admin/import.html", 400, form=ImportForm(), failure=str(exc))
    except ExportError as exc:
        return page("admin/import.html", 400, form=ImportForm(),
                    failure=f"{exc.message}; nothing was changed",
                    problems=list(exc.problems))
    except IntegrityError:
        return page("admin/import.html", 409, form=ImportForm(),
                    failure="another change to the same users happened at the same time; "
                    "nothing was changed: apply again")
    imports.discard(instance, upload_id)
    return page("admin/import.html", form=ImportForm(), summary=summary, applied=True,
                prune=prune)
