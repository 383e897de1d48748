"""Optional drivers: PostgreSQL and Redis come with extras; a missing one is named in one line."""

from __future__ import annotations

import builtins
import importlib.util
import sys

import pytest

from gate import create_app
from gate.config import ConfigError


@pytest.fixture
def without(monkeypatch):
    """``without(name)``: importing the module ``name`` (and its submodules) fails."""
    real_import = builtins.__import__

    def hide(name: str) -> None:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.delitem(sys.modules, loaded)

        def refusing(module, *args, **kwargs):
            if module == name or module.startswith(name + "."):
                raise ModuleNotFoundError(f"No module named {module!r}", name=module)
            return real_import(module, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", refusing)
        real_find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec", lambda module, *args: (
            None if module == name else real_find_spec(module, *args)))

    return hide


@pytest.mark.parametrize(
    ("module", "settings", "extra"),
    [
        ("psycopg", {"DATABASE_URL": "postgresql+psycopg://u@127.0.0.1:1/x"}, "postgres"),
        ("redis", {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1"}, "redis"),
    ],
)
def test_a_missing_driver_names_its_extra(app_config, without, module, settings, extra):
    without(module)
    with pytest.raises(ConfigError, match=rf"sop-portal\[{extra}\]") as raised:
        create_app({**app_config, **settings, "DATABASE_AUTO_UPGRADE": False})
    assert "\n" not in str(raised.value)


def test_the_console_script_reads_an_env_file(tmp_path):
    """``sop-portal -e FILE`` loads the file (python-dotenv is a runtime dependency)."""
    from tests import servers

    env_file = tmp_path / "portal.env"
    env_file.write_text(f"SOP_PORTAL_INSTANCE={tmp_path / 'from-file'}\n")
    env = servers.sop_env({})
    servers.run_cli(env, "-e", str(env_file), "db", "upgrade")
    assert (tmp_path / "from-file" / "sop-portal.sqlite3").exists()
