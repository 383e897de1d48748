"""gate/config.py: every setting the gate reads has its default and its parser there."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from flask import Flask

from gate import config as portal_config

GATE = Path(__file__).resolve().parent.parent / "gate"
NOT_SETTINGS = {"INSTANCE_PATH"}  # an option of create_app(test_config), not a setting


def _config_name(node: ast.expr) -> bool:
    """True for ``config``, ``app.config``, ``current_app.config``, ``test_config``..."""
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return name.endswith("config")


def _key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isupper():
        return node.value
    return None


def settings_read_in_gate() -> dict[str, str]:
    """Setting name -> one file reading it: ``config["X"]``, ``config.get("X")``,
    ``config.setdefault("X", ...)`` and ``config_limit("X")`` anywhere under gate/."""
    found: dict[str, str] = {}
    for path in sorted(GATE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = None
            if isinstance(node, ast.Subscript) and _config_name(node.value):
                key = _key(node.slice)
            elif isinstance(node, ast.Call) and node.args:
                func = node.func
                if (isinstance(func, ast.Attribute) and func.attr in {"get", "setdefault"}
                        and _config_name(func.value)) or getattr(func, "id", "") == "config_limit":
                    key = _key(node.args[0])
            if key and key not in NOT_SETTINGS:
                found.setdefault(key, str(path.relative_to(GATE.parent)))
    return found


def test_the_walk_finds_settings_read_each_way():
    found = settings_read_in_gate()
    for name in ("SECRET_KEY", "LOGIN_LIMIT_PER_IP", "FLUENTCRM_WEBHOOK_RATE_LIMIT",
                 "SESSION_IDLE_MINUTES", "STAFF_NOTIFY_EMAIL", "MAIL_DELIVERY"):
        assert name in found


def test_every_setting_read_in_gate_has_a_default_in_config(app):
    embedded = portal_config.defaults(app.instance_path)
    derived = portal_config.derived_defaults({"RATELIMIT_STORAGE_URI": "redis://x"})
    missing = {name: where for name, where in settings_read_in_gate().items()
               if name not in embedded and name not in derived
               and name not in Flask.default_config}
    assert missing == {}, "read in gate/ without a default in gate/config.py"
    absent = {name for name in settings_read_in_gate() if name not in app.config}
    assert absent <= {"RATELIMIT_STORAGE_OPTIONS"}  # only set for a Redis limiter storage


def test_every_environment_variable_has_a_default():
    embedded = portal_config.defaults("/instance")
    assert sorted(set(portal_config._ENV_PARSERS) - set(embedded)) == []


@pytest.mark.parametrize(
    ("name", "value"),
    (
        ("LOGIN_LIMIT_PER_IP", "20/minute"),
        ("LOGIN_FAILURES_PER_ACCOUNT", "5/15 minutes"),
        ("LINK_LIMIT_PER_IP", "10/hour"),
        ("LINK_LIMIT_PER_EMAIL", "3/15 minutes"),
        ("TOKEN_LIMIT_PER_IP", "30/minute"),
        ("LOGIN_DEFAULT_NEXT", "/members/"),
        ("PASSWORD_MAX_LENGTH", 1024),
        ("SESSION_IDLE_MINUTES", 60),
        ("SESSION_ABSOLUTE_HOURS", 12),
        ("REMEMBER_DAYS", 14),
        ("SESSION_TOUCH_SECONDS", 60),
        ("ACCESS_REQUEST_LIMIT_PER_IP", "10/hour"),
        ("ACCESS_REQUEST_LIMIT_PER_EMAIL", "3/day"),
        ("STAFF_NOTIFY_EMAIL", ""),
        ("FLUENTCRM_WEBHOOK_RATE_LIMIT", "600/minute"),
        ("REQUIRE_STAFF_2FA", None),
    ),
)
def test_defaults_moved_into_config_keep_their_values(app_config, name, value):
    from gate import create_app

    app_config.pop(name, None)
    assert create_app(app_config).config[name] == value


@pytest.mark.parametrize(
    ("environ", "expected"),
    (
        ({"SESSION_IDLE_MINUTES": "30"}, {"SESSION_IDLE_MINUTES": 30}),
        ({"REMEMBER_DAYS": "7", "LOGIN_LIMIT_PER_IP": "5/minute"},
         {"REMEMBER_DAYS": 7, "LOGIN_LIMIT_PER_IP": "5/minute"}),
        ({"SESSION_IDLE_MINUTES": ""}, {}),
        ({"SESSION_IDLE_MINUTES": "sixty"}, "SESSION_IDLE_MINUTES='sixty' is not valid"),
    ),
)
def test_from_environ(environ, expected):
    if isinstance(expected, str):
        with pytest.raises(portal_config.ConfigError, match=expected):
            portal_config.from_environ(environ)
    else:
        assert portal_config.from_environ(environ) == expected


@pytest.mark.parametrize(
    ("config", "expected"),
    (
        ({"TESTING": True}, {"DATABASE_AUTO_UPGRADE": True}),
        ({}, {"DATABASE_AUTO_UPGRADE": False}),
        ({"TESTING": True, "DATABASE_AUTO_UPGRADE": False}, {}),
        ({"RATELIMIT_STORAGE_URI": "redis://h", "RATELIMIT_STORAGE_TIMEOUT": 2.0},
         {"DATABASE_AUTO_UPGRADE": False,
          "RATELIMIT_STORAGE_OPTIONS": {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}}),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, {"DATABASE_AUTO_UPGRADE": False}),
    ),
)
def test_derived_defaults(config, expected):
    assert portal_config.derived_defaults(config) == expected
