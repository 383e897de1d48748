"""Uploads waiting between their preview and their apply (gate/admin/imports.py)."""

from __future__ import annotations

import os
import time

import pytest

from gate.admin import imports
from gate.newsletter import csv_import


def test_store_load_discard(tmp_path):
    upload = imports.store(str(tmp_path), b"Email\na@example.com\n")
    assert imports.load(str(tmp_path), upload) == b"Email\na@example.com\n"
    imports.discard(str(tmp_path), upload)
    with pytest.raises(imports.UploadError, match="no longer here"):
        imports.load(str(tmp_path), upload)


@pytest.mark.parametrize("upload", ["", "short", "../../../etc/passwd", "a/b" * 10, "x" * 65])
def test_bad_ids_are_refused(tmp_path, upload):
    with pytest.raises(imports.UploadError, match="unknown"):
        imports.load(str(tmp_path), upload)


def test_too_large_is_refused(tmp_path):
    with pytest.raises(imports.UploadError, match="the limit is"):
        imports.store(str(tmp_path), b"x" * (csv_import.MAX_BYTES + 1))


def test_old_uploads_are_removed(tmp_path):
    old = imports.store(str(tmp_path), b"old")
    path = imports.folder(str(tmp_path)) / f"{old}.csv"
    then = time.time() - imports.MAX_AGE_SECONDS - 10
    os.utime(path, (then, then))
    imports.store(str(tmp_path), b"new")
    assert not path.exists()
