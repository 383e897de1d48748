"""Shared data and helpers of the members tests (imported by name: unique module name)."""

from __future__ import annotations

from pathlib import Path

SECRET = "OUTSIDE-SECRET-0xC0FFEE"
"""Bytes that live outside every restricted folder; no response may ever contain them."""

TREE: dict[str, str | bytes] = {
    "guide.md": (
        "---\ntitle: Client guide\naccess: [clients]\nsummary: How clients work with us.\n"
        "downloads: [forms/form.docx]\n---\n# Client guide\n\n"
        "Purple elephants negotiate quarterly invoices beside the quiet harbour lighthouse.\n"
    ),
    "team/index.md": (
        "---\ntitle: Team handbook\naccess: [clients]\nsummary: Start here.\n---\n"
        "# Team handbook\n\nSee the [guide](../guide.md) and the\n"
        "[form](../files/forms/form.docx).\n"
    ),
    "payments/tips.md": (
        "---\ntitle: Payment tips\naccess: [\"newsletter:payments\"]\nsummary: Tips.\n---\n"
        "Gateways settle card payouts after three banking days in most regions.\n"
    ),
    "acme/notes.md": (
        "---\ntitle: Acme notes\naccess: [\"client:acme\"]\nsummary: Acme only.\n---\n"
        "Acme's renewal falls on the first of March every year.\n"
    ),
    "staff-only.md": (
        "---\ntitle: Staff runbook\naccess: [staff]\nsummary: Internal.\n---\nInternal steps.\n"
    ),
    "files/forms/form.docx": b"PK\x03\x04 form bytes " + b"x" * 200,
    "files/forms/form.docx.meta.yml": "title: Setup form\naccess: [clients]\nsummary: Fill in.\n",
    "files/payments/sheet.csv": "gateway,fee\nA,1%\n",
    "files/payments/sheet.csv.meta.yml": "title: Fee sheet\naccess: [\"newsletter:payments\"]\n",
}


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


PERSONAS = {
    "anonymous": None,
    "client": {"role": "client", "account": "Test Client"},
    "acme": {"role": "client", "account": "Acme"},
    "payments": {"role": "subscriber", "audiences": ["newsletter:payments"]},
    "store-setup": {"role": "subscriber", "audiences": ["newsletter:store-setup"]},
    "staff": {"role": "staff"},
}


def audit_events(app, action: str) -> list:
    """The audit events recorded with ``action``."""
    from gate import audit
    from gate.db import get_session

    with app.app_context():
        return [e for e in audit.events(get_session()) if e.action == action]


def hostile_tree(tree: Path) -> Path:
    """Add to ``tree`` everything that must never be served; returns ``tree``.

    Expects ``outside-secret.txt`` next to ``tree`` (outside it).
    """
    outside = tree.parent / "outside-secret.txt"
    write_tree(tree, {
        "files/.hidden.txt": SECRET,
        "files/.hidden.txt.meta.yml": "access: [clients]\n",
        ".secret.md": "---\ntitle: S\naccess: [clients]\n---\n" + SECRET,
        "files/forms/form.docx~": SECRET,
        "files/forms/form.docx.bak": SECRET,
        "files/forms/.form.docx.swp": SECRET,
        "guide.md~": SECRET,
        "files/forms/con.docx": SECRET,
        "files/forms/con.docx.meta.yml": "access: [clients]\n",
        "files/CON": SECRET,
        "files/CON.meta.yml": "access: [clients]\n",
    })
    (tree / "files" / "link-out.txt").symlink_to(outside)
    (tree / "files" / "link-out.txt.meta.yml").write_text("access: [clients]\n")
    (tree / "files" / "dirlink").symlink_to(tree.parent, target_is_directory=True)
    return tree
