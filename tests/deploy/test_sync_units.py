"""deploy/sop-portal-sync.{service,timer}: valid units whose command really syncs from FluentCRM."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import require_system
from tests.newsletter import shapes

DEPLOY = servers.ROOT / "deploy"
INSTALL = "/srv/sop-portal"
ENV_FILE = "/etc/sop-portal.env"


def _local_units(
    folder: Path, env_file: Path, timer_edit: tuple[str, str] = ("", "")
) -> list[Path]:
    """The shipped units with the install path, settings file and user of this machine."""
    service = (DEPLOY / "sop-portal-sync.service").read_text(encoding="utf-8")
    service = service.replace(INSTALL, str(servers.ROOT)).replace(ENV_FILE, str(env_file))
    service = service.replace("User=sop-portal", "User=root").replace("Group=sop-portal",
                                                                      "Group=root")
    timer = (DEPLOY / "sop-portal-sync.timer").read_text(encoding="utf-8")
    timer = timer.replace(*timer_edit) if timer_edit[0] else timer
    paths = [folder / "sop-portal-sync.service", folder / "sop-portal-sync.timer"]
    paths[0].write_text(service, encoding="utf-8")
    paths[1].write_text(timer, encoding="utf-8")
    return paths


def _setting(unit: str, key: str) -> str:
    """The value of ``key=`` in a unit file's text."""
    return next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(f"{key}="))


@pytest.mark.parametrize(
    ("timer_edit", "valid"),
    (
        (("", ""), True),
        (("OnCalendar=*:0/15", "OnCalendar=every quarter hour"), False),
    ),
)
def test_systemd_accepts_the_units(tmp_path, timer_edit, valid):
    analyze = shutil.which("systemd-analyze")
    require_system(analyze is not None, "systemd-analyze")
    env_file = tmp_path / "sop-portal.env"
    env_file.write_text("SOP_PORTAL_ENV=development\n", encoding="utf-8")
    units = _local_units(tmp_path, env_file, timer_edit)
    result = subprocess.run(  # noqa: S603 - fixed tool, files this test wrote
        [str(analyze), "verify", *map(str, units)], capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert (result.returncode == 0) is valid, result.stderr


def test_the_timer_runs_every_quarter_hour():
    timer = (DEPLOY / "sop-portal-sync.timer").read_text(encoding="utf-8")
    assert _setting(timer, "OnCalendar") == "*:0/15"
    assert _setting(timer, "Unit") == "sop-portal-sync.service"


@pytest.mark.parametrize(
    ("password", "exit_code", "words"),
    (
        (None, 0, "added 4, updated 0, granted 5"),  # the default map has no VIP section
        ("wrong", 2, "refused the credentials"),
    ),
)
def test_the_service_command_syncs_with_the_settings_file(tmp_path, password, exit_code, words):
    service = (DEPLOY / "sop-portal-sync.service").read_text(encoding="utf-8")
    argv = shlex.split(_setting(service, "ExecStart").replace(INSTALL, str(servers.ROOT)))
    assert argv[1:] == ["subscribers", "sync", "--prune"]
    with shapes.serve(shapes.FakeFluentCrm(shapes.DEMO + shapes.EDGE)) as fake:
        settings = {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
            "SOP_PORTAL_INSTANCE": str(tmp_path / "instance"),
            "FLUENTCRM_API_URL": fake.url, "FLUENTCRM_API_USER": fake.user,
            "FLUENTCRM_API_PASSWORD": password or fake.password,
        }
        env = servers.sop_env(settings)
        servers.run_cli(env, "db", "upgrade")
        result = subprocess.run(  # noqa: S603 - the unit's own command line
            argv, env=env, cwd=servers.ROOT, capture_output=True, text=True, timeout=120,
            check=False,
        )
    assert result.returncode == exit_code, result.stderr
    assert words in (result.stdout if exit_code == 0 else result.stderr)
    if exit_code:
        assert len(result.stderr.splitlines()) == 1  # one line in the journal
