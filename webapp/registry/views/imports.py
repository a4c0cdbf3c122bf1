"""Registry import: upload a file, preview what it would change, then write it all at once."""

from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from sync import blobs
from sync.blobs import BlobStore
from webapp.access import roles
from webapp.extensions import db
from webapp.models import Estate, utcnow
from webapp.registry import exporter, importer
from webapp.registry.display import EDITORS
from webapp.registry.forms import ImportCommitForm, ImportUploadForm
from webapp.registry.views import bp
from webapp.scoping import get_scoped


def _estate(estate_id: int) -> Estate:
    return get_scoped(Estate, estate_id)


# Import --------------------------------------------------------------------------------------

IMPORT_SESSION_KEY = "registry_imports"
STAGED = "registry-imports"
IMPORT_KINDS = {"units": "unit", "signs": "sign", "keys": "key"}
# Kinds another area imports through these screens, by the same rules (the renovation permits),
# registered at app start: what checks and writes their file (``plan_file``, ``apply``, as
# webapp.registry.importer has them), and the endpoint of their list.
IMPORTERS: dict = {}
LISTS: dict[str, str] = {}


def register_import(kind: str, module, list_endpoint: str) -> None:
    """Let these screens import ``kind`` (its columns in import_file.COLUMNS) with ``module``."""
    IMPORT_KINDS[kind] = kind.removesuffix("s")
    IMPORTERS[kind] = module
    LISTS[kind] = list_endpoint


def _staged_key(token: str, day: str) -> str:
    """Where a previewed file waits for its commit: the blob store, so the commit may land on
    any instance (a folder of one machine's would not be there)."""
    return f"{STAGED}/{day}/{token}.upload"


def _sweep(store: BlobStore, now: datetime) -> None:
    """Previews nobody committed are dropped after a day or two (their day's folder)."""
    oldest = f"{now - timedelta(days=1):%Y%m%d}"
    for day in {key.split("/")[1] for key in store.iter_keys(STAGED)}:
        if day < oldest:
            store.delete_prefix(f"{STAGED}/{day}")


def _import_kind(kind: str) -> str:
    if kind not in IMPORT_KINDS:
        abort(404)
    return kind


def _import_page(estate: Estate, kind: str, status: int = 200, **context):
    return (
        render_template(
            "registry/import.html",
            estate=estate,
            kind=kind,
            columns=importer.COLUMNS[kind],
            tab="import",
            max_mb=importer.MAX_BYTES >> 20,
            max_rows=importer.MAX_ROWS,
            **context,
        ),
        status,
    )


@bp.get("/estates/<int:estate_id>/import/<kind>")
@roles(*EDITORS, scope={"estate_id": "estate", "kind": "plain"})
def import_form(estate_id: int, kind: str):
    """Show the upload form of one kind of import, with its template and rules."""
    estate = _estate(estate_id)
    return _import_page(estate, _import_kind(kind))


@bp.post("/estates/<int:estate_id>/import/<kind>")
@roles(*EDITORS, scope={"estate_id": "estate", "kind": "plain"})
def import_preview(estate_id: int, kind: str):
    """Check an uploaded file and preview it; nothing is written yet."""
    estate = _estate(estate_id)
    kind = _import_kind(kind)
    upload = ImportUploadForm().file.data
    if upload is None or not upload.filename:
        return _import_page(estate, kind, 422, problem=_("Choose a file to upload."))
    data = upload.stream.read(importer.MAX_BYTES + 1)
    filename = Path(upload.filename).name[:200]
    try:
        plan = IMPORTERS.get(kind, importer).plan_file(db.session, estate, kind, filename, data)
    except importer.ImportRejected as exc:
        return _import_page(estate, kind, 422, problem=str(exc.message), filename=filename)
    token = None
    if plan.ok and (plan.count("new") or plan.count("update")):
        store = blobs.from_config(current_app.config)
        now = utcnow()
        today = f"{now:%Y%m%d}"
        _sweep(store, now)
        token = secrets.token_hex(16)
        store.put(_staged_key(token, today), data)
        pending = session.get(IMPORT_SESSION_KEY, {})
        pending = dict(list(pending.items())[-4:])
        pending[token] = {"estate_id": estate.id, "kind": kind, "filename": filename, "day": today}
        session[IMPORT_SESSION_KEY] = pending
    status = 200 if plan.ok else 422
    return _import_page(estate, kind, status, plan=plan, filename=filename, token=token)


@bp.post("/estates/<int:estate_id>/import/<kind>/commit")
@roles(*EDITORS, scope={"estate_id": "estate", "kind": "plain"})
def import_commit(estate_id: int, kind: str):
    """Write a previewed file: checked again, then all of it in one transaction."""
    estate = _estate(estate_id)
    kind = _import_kind(kind)
    token = ImportCommitForm().token.data or ""
    pending = session.get(IMPORT_SESSION_KEY, {})
    entry = pending.get(token)
    store = blobs.from_config(current_app.config)
    key = None
    if entry is not None and token.isalnum() and str(entry.get("day", "")).isdigit():
        key = _staged_key(token, entry["day"])
    data = store.get(key) if key and entry["estate_id"] == estate.id else None
    if data is None or entry["kind"] != kind:
        flash(_("That preview has expired. Please upload the file again."), "error")
        return redirect(url_for("registry.import_form", estate_id=estate.id, kind=kind), code=303)
    filename = entry["filename"]
    try:
        plan = IMPORTERS.get(kind, importer).plan_file(db.session, estate, kind, filename, data)
    except importer.ImportRejected as exc:
        return _import_page(estate, kind, 422, problem=str(exc.message), filename=filename)
    if not plan.ok:
        return _import_page(estate, kind, 422, plan=plan, filename=filename)
    try:
        counts = IMPORTERS.get(kind, importer).apply(
            db.session, estate, plan, current_user, filename
        )
        db.session.commit()
    except sa.exc.IntegrityError:
        # Someone added the same items between this check and the write: nothing was written.
        db.session.rollback()
        message = _("The registry changed while importing; nothing was written. Check again.")
        return _import_page(estate, kind, 409, problem=message, filename=filename)
    except Exception:
        db.session.rollback()
        raise
    store.delete(key)
    pending.pop(token, None)
    session[IMPORT_SESSION_KEY] = pending
    flash(
        _(
            "Imported %(file)s: %(created)d added, %(updated)d updated, %(unchanged)d unchanged.",
            file=filename,
            **{k: counts[k] for k in ("created", "updated", "unchanged")},
        ),
        "success",
    )
    target = LISTS.get(kind, f"registry.{kind}")
    return redirect(url_for(target, estate_id=estate.id), code=303)


@bp.get("/estates/<int:estate_id>/import/<kind>/template.<fmt>")
@roles(*EDITORS, scope={"estate_id": "estate", "kind": "plain", "fmt": "plain"})
def import_template(estate_id: int, kind: str, fmt: str):
    """Download an empty import template with the zh-Hant headers."""
    _estate(estate_id)
    kind = _import_kind(kind)
    if fmt not in ("csv", "xlsx"):
        abort(404)
    if fmt == "csv":
        data, mime = exporter.template_csv(kind), exporter.CSV_MIME
    else:
        data, mime = exporter.template_xlsx(kind), exporter.XLSX_MIME
    name = f"匯入範本-{exporter.SHEET_TITLES[kind]}.{fmt}"
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True, download_name=name)
