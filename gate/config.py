"""Configuration: every environment variable the gate reads, in one place.

Each setting has a safe default for the embedded mode (one machine, SQLite, outbox
folder instead of SMTP). Production mode refuses to start with the default secret key or
without a public base URL (see :func:`check_production`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from calculators.settings import DEFAULT_COUNTRY, DEFAULT_CURRENCY, DEFAULT_TZ
from gate.exceptions import GateError

DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"  # nosec B105 - refused in production
ENVIRONMENTS = ("development", "production")
MIN_KEY_LENGTH = 32
MIN_KEY_DISTINCT = 10
_LOCAL_NAMES = frozenset({"localhost", "ip6-localhost", "ip6-loopback", "localhost.localdomain"})


class ConfigError(GateError, RuntimeError):
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
        # the calculators' own defaults (calculators.settings), so the two never differ
        "BILLING_COUNTRY": DEFAULT_COUNTRY,
        "BILLING_TZ": DEFAULT_TZ,
        "BILLING_CURRENCY": DEFAULT_CURRENCY,
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
        # Retention of personal data in days (POPIA; gate.privacy, sop-portal prune).
        "RETENTION_SENT_MAIL_DAYS": 30,
        "RETENTION_FAILED_MAIL_DAYS": 90,
        "RETENTION_TOKEN_DAYS": 1,
        "RETENTION_SESSION_DAYS": 30,
        "RETENTION_ACCESS_REQUEST_DAYS": 180,
        "RETENTION_AUDIT_PERSONAL_DAYS": 365,
        # sign-in: rate limits (Flask-Limiter strings), where sign-in leads, password length
        "LOGIN_LIMIT_PER_IP": "20/minute",
        "LOGIN_FAILURES_PER_ACCOUNT": "5/15 minutes",
        "LINK_LIMIT_PER_IP": "10/hour",
        "LINK_LIMIT_PER_EMAIL": "3/15 minutes",
        "TOKEN_LIMIT_PER_IP": "30/minute",
        "LOGIN_DEFAULT_NEXT": "/members/",
        "PASSWORD_MAX_LENGTH": 1024,
        "PASSWORD_HASH_TIME_COST": 3,
        "PASSWORD_HASH_MEMORY_COST": 65536,
        "PASSWORD_HASH_PARALLELISM": 4,
        "REQUIRE_STAFF_2FA": None,  # None: required in production mode only
        # emailed links: seconds a token stays valid
        "TOKEN_MAX_AGE_INVITE": 72 * 3600,
        "TOKEN_MAX_AGE_RESET": 3600,
        "TOKEN_MAX_AGE_LINK": 600,
        # sessions
        "SESSION_IDLE_MINUTES": 60,
        "SESSION_ABSOLUTE_HOURS": 12,
        "REMEMBER_DAYS": 14,
        "SESSION_TOUCH_SECONDS": 60,
        # access requests and staff notices
        "ACCESS_REQUEST_LIMIT_PER_IP": "10/hour",
        "ACCESS_REQUEST_LIMIT_PER_EMAIL": "3/day",
        "STAFF_NOTIFY_EMAIL": "",
        # the FluentCRM webhook
        "FLUENTCRM_WEBHOOK_RATE_LIMIT": "600/minute",
        # mail
        "MAIL_FROM": "",
        "MAIL_DELIVERY": "worker",
        "MAIL_POLL_SECONDS": 1.0,
        "MAIL_MAX_ATTEMPTS": 6,
        "MAIL_RETRY_SECONDS": 60,
        "MAIL_QUEUE_MAX_AGE": 15 * 60,
        "SMTP_TIMEOUT": 10,
        # database
        "DATABASE_BUSY_TIMEOUT_MS": 5000,
        "DATABASE_RETRY_AFTER": 2,
        "SQLITE_MIN_FREE_MB": 64,  # free disk a production SQLite start needs beyond its WAL bound
        # rate-limit storage (Flask-Limiter's own settings)
        "RATELIMIT_KEY_PREFIX": "sop-portal",
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_TIMEOUT": 0.5,
    }


def derived_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults that follow other settings, applied once the test mapping is in.

    ``DATABASE_AUTO_UPGRADE`` follows ``TESTING``; ``RATELIMIT_STORAGE_OPTIONS`` gives a Redis
    limiter storage ``RATELIMIT_STORAGE_TIMEOUT`` as its socket timeouts.
    """
    found: dict[str, Any] = {"DATABASE_AUTO_UPGRADE": bool(config.get("TESTING"))}
    if str(config.get("RATELIMIT_STORAGE_URI", "")).startswith(("redis", "rediss")):
        timeout = float(config.get("RATELIMIT_STORAGE_TIMEOUT", 0.5))
        found["RATELIMIT_STORAGE_OPTIONS"] = {"socket_timeout": timeout,
                                              "socket_connect_timeout": timeout}
    return {name: value for name, value in found.items() if name not in config}


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
    "RATELIMIT_STORAGE_TIMEOUT": float,
    "MAIL_QUEUE_MAX_AGE": int,
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
    "STAFF_NOTIFY_EMAIL": str,
    "ACCESS_REQUEST_LIMIT_PER_IP": str,
    "ACCESS_REQUEST_LIMIT_PER_EMAIL": str,
    "MAIL_DELIVERY": str,
    "MAIL_MAX_ATTEMPTS": int,
    "MAIL_POLL_SECONDS": float,
    "TOKEN_MAX_AGE_INVITE": int,
    "TOKEN_MAX_AGE_RESET": int,
    "TOKEN_MAX_AGE_LINK": int,
    "REQUIRE_STAFF_2FA": _bool,
    "RETENTION_SENT_MAIL_DAYS": int,
    "RETENTION_FAILED_MAIL_DAYS": int,
    "RETENTION_TOKEN_DAYS": int,
    "RETENTION_SESSION_DAYS": int,
    "RETENTION_ACCESS_REQUEST_DAYS": int,
    "RETENTION_AUDIT_PERSONAL_DAYS": int,
    "SQLITE_MIN_FREE_MB": int,
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
    """True when the portal runs in production mode (exactly ``SOP_PORTAL_ENV=production``)."""
    env: object = config.get("SOP_PORTAL_ENV", "development")
    return env == "production"


def check_environment(config: Mapping[str, Any]) -> None:
    """Refuse any ``SOP_PORTAL_ENV`` but ``development`` and ``production`` (fail closed)."""
    value = config.get("SOP_PORTAL_ENV", "development")
    if value not in ENVIRONMENTS:
        raise ConfigError(
            f"SOP_PORTAL_ENV={value!r} is not valid: use 'development' or 'production'"
        )


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot sign anything in production, or None when it can."""
    if key == DEFAULT_SECRET_KEY:
        return "is the public default key"
    if len(key) < MIN_KEY_LENGTH:
        return f"is shorter than {MIN_KEY_LENGTH} characters"
    if len(set(key)) < MIN_KEY_DISTINCT:
        return f"has fewer than {MIN_KEY_DISTINCT} distinct characters"
    return None


def is_local_host(host: str) -> bool:
    """True for a loopback or unspecified host in any spelling (``[::1]``, ``127.1``, ``0``...)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if not name or name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        try:  # the shorthand forms a resolver accepts: 127.1, 0x7f.1, 2130706433, 0
            address = ipaddress.ip_address(socket.inet_aton(name))
        except OSError:
            return False
    mapped = getattr(address, "ipv4_mapped", None)
    if mapped is not None:
        address = mapped
    return address.is_loopback or address.is_unspecified


def public_base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the public address in production, or None when it can."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # a bad port raises
    except ValueError as exc:
        return f"is not a URL ({exc})"
    if parts.scheme != "https":
        return "must start with https://"
    if not host:
        return "names no host"
    if is_local_host(host):
        return f"names a loopback or unspecified host ({host})"
    return None


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse a bad ``SOP_PORTAL_ENV``, and settings that are unsafe in production mode."""
    check_environment(config)
    if not is_production(config):
        return
    problem = key_problem(str(config.get("SECRET_KEY") or ""))
    if problem:
        raise ConfigError(
            f"SOP_PORTAL_ENV=production needs SECRET_KEY set to a random value of at least "
            f"{MIN_KEY_LENGTH} characters; this one {problem} (for example: "
            "python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if DEFAULT_SECRET_KEY in (config.get("SECRET_KEY_FALLBACKS") or []):
        raise ConfigError("SOP_PORTAL_ENV=production refuses the public default key in "
                          "SECRET_KEY_FALLBACKS: remove it")
    problem = public_base_url_problem(str(config.get("PUBLIC_BASE_URL") or ""))
    if problem:
        raise ConfigError(
            "SOP_PORTAL_ENV=production needs PUBLIC_BASE_URL set to the site's public "
            f"https:// address; {str(config.get('PUBLIC_BASE_URL') or '')!r} {problem}"
        )


def production_trusted_hosts(config: Mapping[str, Any]) -> list[str] | None:
    """The hosts a production gate answers: ``TRUSTED_HOSTS``, else PUBLIC_BASE_URL's host.

    None in development mode (any Host is answered there).
    """
    configured = [str(h) for h in (config.get("TRUSTED_HOSTS") or []) if h]
    if configured:
        return configured
    if not is_production(config):
        return None
    host = urlsplit(str(config.get("PUBLIC_BASE_URL") or "")).hostname
    return [host] if host else None


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
