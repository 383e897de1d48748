"""FluentCRM contacts uploads from the staff pages, checked then applied as the CLI does.

``sop-portal subscribers import`` reads files, builds a plan with
:func:`gate.newsletter.plan.build_plan` and applies it with
:func:`gate.newsletter.services.run_import`; an upload takes the same path. The uploaded
bytes wait in the instance folder (``<instance>/uploads/<random>.csv``) between the dry run
and the apply, so what is applied is exactly what was previewed; the file is removed once
applied, and uploads older than a day are removed on the next upload.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from sqlalchemy.orm import Session

from gate.exceptions import GateError
from gate.newsletter import csv_import
from gate.newsletter.plan import build_plan
from gate.newsletter.sections import current_map
from gate.newsletter.services import Summary, run_import

UPLOAD_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_AGE_SECONDS = 86_400


class UploadError(GateError, ValueError):
    """An upload that cannot be used; the message says why (one line for a person)."""


def folder(instance_path: str) -> Path:
    """Where uploads wait between their preview and their apply."""
    return Path(instance_path) / "uploads"


def _path(instance_path: str, upload_id: str) -> Path:
    if not UPLOAD_ID.match(upload_id or ""):
        raise UploadError("this upload is unknown: upload the file again")
    return folder(instance_path) / f"{upload_id}.csv"


def store(instance_path: str, data: bytes) -> str:
    """Keep ``data`` for a later apply; returns its id. Refuses a file over the CLI's limit."""
    if len(data) > csv_import.MAX_BYTES:
        raise UploadError(f"the file is {len(data):,} bytes; the limit is {csv_import.MAX_BYTES:,} "
                          "bytes (export it in slices and import each)")
    where = folder(instance_path)
    where.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - MAX_AGE_SECONDS
    for old in where.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    upload_id = secrets.token_urlsafe(24)
    (where / f"{upload_id}.csv").write_bytes(data)
    return upload_id


def load(instance_path: str, upload_id: str) -> bytes:
    """The bytes of a stored upload, or UploadError."""
    try:
        return _path(instance_path, upload_id).read_bytes()
    except OSError as exc:
        raise UploadError("this upload is no longer here (applied already, or older than a "
                          "day): upload the file again") from exc


def discard(instance_path: str, upload_id: str) -> None:
    """Remove a stored upload."""
    _path(instance_path, upload_id).unlink(missing_ok=True)


def run(db: Session, data: bytes, *, name: str, prune: bool, dry_run: bool,
        actor_email: str) -> Summary:
    """Check every row and apply them all in one transaction (or roll back for a dry run).

    Raises :class:`gate.newsletter.plan.ExportError` listing every bad row: then nothing changes.
    """
    entries = csv_import.export_contacts(csv_import.decode_export(data))
    plan = build_plan(current_map(), entries, noun="row")
    return run_import(db, plan, prune=prune, dry_run=dry_run,
                      source=f"fluentcrm upload {name} by {actor_email}")
