"""The members area at scale, for ``bench/gate_vs_nginx.py --scale``: a restricted folder of
1,000 generated pages across 100 client accounts (plus the real content), 10,000 users, and
the resident memory of the gate's workers."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import harness
import mkdocs_sizes

from gate import sitebuild


def generate_restricted(folder: Path, accounts: int, pages_per_account: int) -> Path:
    """The real restricted folder plus ``accounts`` client accounts of generated pages."""
    shutil.copytree(harness.ROOT / "restricted", folder)
    for account in range(1, accounts + 1):
        slug = f"account-{account:03d}"
        target = folder / "accounts" / slug
        target.mkdir(parents=True)
        for number in range(1, pages_per_account + 1):
            body = mkdocs_sizes.page_text(number, number).split("- Related:", 1)[0]
            (target / f"note-{number:02d}.md").write_text(
                f"---\ntitle: Account {account:03d} note {number:02d}\n"
                f"access: [\"client:{slug}\"]\nsummary: Generated note {number}.\n---\n\n"
                + body, encoding="utf-8")
    return folder


def build(work: Path, restricted: Path, site_url: str) -> tuple[sitebuild.Targets, float]:
    """Both sites built from ``restricted`` under ``work``; the seconds it took."""
    targets = sitebuild.Targets(
        public_config=harness.ROOT / "mkdocs.yml",
        members_config=harness.ROOT / "mkdocs.members.yml",
        restricted_dir=restricted, site_dir=work / "site", members_dir=work / "members-site",
    )
    os.environ["PUBLIC_BASE_URL"] = site_url
    start = time.perf_counter()
    sitebuild.build_sites(targets)
    return targets, time.perf_counter() - start


def add_users(gate: harness.Gate, count: int, accounts: int) -> None:
    """``count`` client users spread over the generated accounts, straight into the database."""
    from sqlalchemy import insert

    from gate import create_app
    from gate.db import get_session
    from gate.models import ClientAccount, Grant, User

    env = gate.env
    app = create_app({"INSTANCE_PATH": env["SOP_PORTAL_INSTANCE"],
                      **{k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "SITE_DIR",
                                             "MEMBERS_SITE_DIR", "OUTBOX_DIR")}})
    with app.app_context():
        db = get_session()
        ids = []
        for account in range(1, accounts + 1):
            row = ClientAccount(name=f"Account {account:03d}", slug=f"account-{account:03d}")
            db.add(row)
            db.flush()
            ids.append(row.id)
        users = [{"email": f"user{n:05d}@scale.example", "name": "", "role": "client",
                  "account_id": ids[n % accounts]} for n in range(count)]
        db.execute(insert(User), users)
        created = db.query(User.id, User.account_id).filter(User.email.like("%@scale.example"))
        slugs = {row_id: f"account-{i + 1:03d}" for i, row_id in enumerate(ids)}
        grants = []
        for user_id, account_id in created:
            grants += [{"user_id": user_id, "audience": "clients"},
                       {"user_id": user_id, "audience": f"client:{slugs[account_id]}"}]
        db.execute(insert(Grant), grants)
        db.commit()


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory (MB) of each child of ``master_pid`` (gunicorn's workers)."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)
