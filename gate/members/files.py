"""How a restricted download is described to the browser: its type and its file name."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from urllib.parse import quote

_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".pdf": "application/pdf",
    ".csv": "text/csv; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".zip": "application/zip",
}


def content_type(name: str) -> str:
    """The media type of a download by its extension (octet-stream when unknown)."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _TYPES:
        return _TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=True)
    return guessed or "application/octet-stream"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the RFC 5987 UTF-8 name (RFC 6266).

    Control characters, quotes, backslashes, ``;`` and ``%`` never reach the fallback; the
    ``filename*`` form percent-encodes everything but RFC 5987 ``attr-char``.
    """
    name = "".join(ch for ch in filename if ch.isprintable()) or "download"
    fallback = "".join(
        ch if (ch.isascii() and (ch.isalnum() or ch in " ._-()[]+,")) else "_" for ch in name
    ).strip() or "download"
    encoded = quote(name.encode("utf-8"), safe="!#$&+-.^_`|~")
    return f'attachment; filename="{fallback}"; filename*=UTF-8\'\'{encoded}'
