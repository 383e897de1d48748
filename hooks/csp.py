"""MkDocs hook: record the SHA-256 hash of every inline script in the built site.

The gate (and the nginx configuration) allow exactly these scripts in the
Content-Security-Policy instead of ``'unsafe-inline'``. The hashes land in
``<site_dir>/.csp.json``, a dot-file the gate and nginx never serve.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig

# An executable inline script: no src attribute, and no JSON or template type.
_SCRIPT = re.compile(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
_NOT_EXECUTED = re.compile(r"type=[\"']?application/(?:ld\+)?json", re.I)


def inline_script_hashes(html: str) -> set[str]:
    """CSP source expressions (``sha256-...``) for the executable inline scripts in ``html``."""
    hashes = set()
    for match in _SCRIPT.finditer(html):
        attrs = match.group("attrs")
        if "src=" in attrs.lower() or _NOT_EXECUTED.search(attrs):
            continue
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        hashes.add("sha256-" + base64.b64encode(digest).decode("ascii"))
    return hashes


def on_post_build(*, config: MkDocsConfig) -> None:
    """Scan the built HTML and write ``.csp.json``."""
    site = Path(config["site_dir"])
    hashes: set[str] = set()
    for page in site.rglob("*.html"):
        hashes |= inline_script_hashes(page.read_text(encoding="utf-8"))
    payload = {"script_hashes": sorted(hashes)}
    (site / ".csp.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
