"""A content build while nginx runs: new content and a valid policy, no new nginx file.

nginx serves the site through the ``site`` link the build moves, member pages carry the
policy the gate sends with them, and the public pages' policy comes from the include the
build rewrites, which a reload picks up (``sop-portal-nginx-reload.path`` in production).
"""

from __future__ import annotations

import base64
import hashlib
import signal
import time

import pytest

from gate.ops.nginx import CSP_INCLUDE_NAME
from tests import servers

pytestmark = [pytest.mark.system, pytest.mark.slow]

SCRIPT = 'document.documentElement.dataset.rebuilt = "yes";'
NEW_PAGE = "/members/clients/rebuilt-page/"


def _hash(body: str) -> str:
    digest = hashlib.sha256(body.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def test_a_rebuild_is_served_at_once_without_a_new_nginx_configuration(production):
    browser, _ = production.invite("rebuild@acme.example", "client", "--account", "Acme Stores")
    assert browser.get(NEW_PAGE).status == 404
    conf_before = production.nginx_conf.read_bytes()
    include = production.site_dir.parent / CSP_INCLUDE_NAME
    include_before = include.read_text(encoding="utf-8")
    public_csp_before = production.client().get("/").header("Content-Security-Policy")
    assert _hash(SCRIPT) not in public_csp_before

    restricted = servers.ROOT / "restricted"  # the stack builds from its own copy
    copy = production.site_dir.parent / "restricted"
    assert copy.is_dir() and copy != restricted
    (copy / "clients" / "rebuilt-page.md").write_text(
        "---\ntitle: Rebuilt page\naccess: [clients]\n---\n# Rebuilt page\n\n"
        f"Added by a content build.\n\n<script>{SCRIPT}</script>\n", encoding="utf-8")
    servers.run_cli(production.env, "build")

    # The member page: served at once, its policy (from the gate) allows the new script.
    page = browser.get(NEW_PAGE)
    assert page.status == 200 and "Added by a content build." in page.text
    assert _hash(SCRIPT) in page.header("Content-Security-Policy")
    # The build rewrote the small include; the site file is byte for byte what it was.
    assert production.nginx_conf.read_bytes() == conf_before
    assert include.read_text(encoding="utf-8") != include_before
    assert _hash(SCRIPT).strip("'") in include.read_text(encoding="utf-8")

    # The public pages take the new policy on a reload (what the path unit does).
    production.web.process.send(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        policy = production.client().get("/").header("Content-Security-Policy")
        if _hash(SCRIPT) in policy:
            break
        time.sleep(0.1)
    assert _hash(SCRIPT) in policy, production.web.error_log()
    assert production.nginx_conf.read_bytes() == conf_before
