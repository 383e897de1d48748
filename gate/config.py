"""Configuration: every environment variable the gate reads, in one place.

Each setting has a safe default for the embedded mode (one machine, SQLite, outbox
folder instead of SMTP). Production mode refuses to start with the default secret key or
without a public base URL (see :func:`check_production`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"  # nosec B105 - refused in production


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and why."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def defaults(instance_path: str) -> dict[str, Any]:
    """The embedded defaults, before the environment and the test mapping are applied."""
    instance = Path(instance_path)
    return {
        "SOP_PORTAL_ENV": "development",
        "SECRET_KEY": DEFAULT_SECRET_KEY,
        "SECRET_KEY_FALLBACKS": [],
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000",
        "DATABASE_URL": f"sqlite:///{instance / 'sop-portal.sqlite3'}",
        "SMTP_URL": "",
        "OUTBOX_DIR": str(instance / "outbox"),
        "SITE_DIR": "site",
        "RESTRICTED_DIR": "restricted",
        "MKDOCS_CONFIG": "mkdocs.yml",
        "MEMBERS_SITE_DIR": "members-site",
        "MEMBERS_MKDOCS_CONFIG": "mkdocs.members.yml",
        "BILLING_COUNTRY": "ZA",
        "BILLING_TZ": "Africa/Johannesburg",
        "BILLING_CURRENCY": "USD",
        "ACCOUNT_TYPES_FILE": "",
        "CLOSURES_FILE": "",
        "NEWSLETTER_MAP_FILE": "",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": True,
        "FLUENTCRM_WEBHOOK_SECRET": "",  # nosec B105 - empty: webhook off
        "FLUENTCRM_API_URL": "",  # empty: no REST sync
        "FLUENTCRM_API_USER": "",
        "FLUENTCRM_API_PASSWORD": "",
        "FLUENTCRM_API_TIMEOUT": 20.0,
        "TRUSTED_PROXIES": 0,
        "TRUSTED_HOSTS": [],
        "USE_X_ACCEL_REDIRECT": False,
        "HOST": "127.0.0.1",
        "PORT": 8000,
        "WEB_CONCURRENCY": 2,
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "MAX_QUERY_STRING": 2048,
    }


# name -> parser for the value found in the environment
_ENV_PARSERS: dict[str, Any] = {
    "SOP_PORTAL_ENV": str,
    "SECRET_KEY": str,
    "SECRET_KEY_FALLBACKS": _csv,
    "PUBLIC_BASE_URL": lambda v: v.rstrip("/"),
    "DATABASE_URL": str,
    "SMTP_URL": str,
    "OUTBOX_DIR": str,
    "SITE_DIR": str,
    "RESTRICTED_DIR": str,
    "MKDOCS_CONFIG": str,
    "MEMBERS_SITE_DIR": str,
    "MEMBERS_MKDOCS_CONFIG": str,
    "BILLING_COUNTRY": lambda v: v.upper(),
    "BILLING_TZ": str,
    "BILLING_CURRENCY": lambda v: v.upper(),
    "ACCOUNT_TYPES_FILE": str,
    "CLOSURES_FILE": str,
    "NEWSLETTER_MAP_FILE": str,
    "RATELIMIT_STORAGE_URI": str,
    "RATELIMIT_ENABLED": _bool,
    "FLUENTCRM_WEBHOOK_SECRET": str,
    "FLUENTCRM_API_URL": str,
    "FLUENTCRM_API_USER": str,
    "FLUENTCRM_API_PASSWORD": str,
    "FLUENTCRM_API_TIMEOUT": float,
    "TRUSTED_PROXIES": int,
    "TRUSTED_HOSTS": _csv,
    "USE_X_ACCEL_REDIRECT": _bool,
    "HOST": str,
    "PORT": int,
    "WEB_CONCURRENCY": int,
    "LOGIN_LIMIT_PER_IP": str,
    "LOGIN_FAILURES_PER_ACCOUNT": str,
    "LINK_LIMIT_PER_IP": str,
    "LINK_LIMIT_PER_EMAIL": str,
    "TOKEN_LIMIT_PER_IP": str,
    "FLUENTCRM_WEBHOOK_RATE_LIMIT": str,
    "SESSION_IDLE_MINUTES": int,
    "SESSION_ABSOLUTE_HOURS": int,
    "REMEMBER_DAYS": int,
    "PASSWORD_HASH_TIME_COST": int,
    "PASSWORD_HASH_MEMORY_COST": int,
    "PASSWORD_HASH_PARALLELISM": int,
    "MAIL_FROM": str,
    "MAIL_DELIVERY": str,
    "MAIL_MAX_ATTEMPTS": int,
    "TOKEN_MAX_AGE_INVITE": int,
    "TOKEN_MAX_AGE_RESET": int,
    "TOKEN_MAX_AGE_LINK": int,
    "REQUIRE_STAFF_2FA": _bool,
}


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Read the settings that are present in ``environ``; raise ConfigError on a bad value."""
    found: dict[str, Any] = {}
    for name, parse in _ENV_PARSERS.items():
        raw = environ.get(name)
        if raw is None or raw == "":
            continue
        try:
            found[name] = parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from None
    return found


def is_production(config: Mapping[str, Any]) -> bool:
    """True when the portal runs in production mode."""
    return str(config.get("SOP_PORTAL_ENV", "development")).lower() == "production"


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse settings that are unsafe in production mode."""
    if not is_production(config):
        return
    secret = str(config.get("SECRET_KEY") or "")
    if secret == DEFAULT_SECRET_KEY or len(secret) < 32:
        raise ConfigError(
            "SOP_PORTAL_ENV=production needs SECRET_KEY set to a random value of at least "
            "32 characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    base = str(config.get("PUBLIC_BASE_URL") or "")
    if not base or "127.0.0.1" in base or "localhost" in base:
        raise ConfigError(
            "SOP_PORTAL_ENV=production needs PUBLIC_BASE_URL set to the site's public address"
        )


PATH_SETTINGS = ("SITE_DIR", "MEMBERS_SITE_DIR", "RESTRICTED_DIR", "MKDOCS_CONFIG",
                 "MEMBERS_MKDOCS_CONFIG")
"""Settings naming files or folders: ``create_app`` makes them absolute (from the working
folder) once, so a request never resolves a path again."""


def resolve_path(value: str, root: str | os.PathLike[str] | None = None) -> Path:
    """A configured path, relative ones taken from ``root`` (default: the working folder)."""
    path = Path(value)
    if not path.is_absolute():
        path = Path(root or os.getcwd()) / path
    return path
