"""The calculators as the gate uses them: settings from the app's configuration, JSON text.

The engine's :func:`calculators.settings.load_settings` reads the settings files; this module
feeds it the gate's configuration (the same defaults and environment parser as
:func:`gate.create_app`), turns a settings problem into a :class:`ConfigError`, and keeps the
settings built at start-up in ``app.extensions``. It imports neither Flask nor the database.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from calculators.errors import SettingsError
from calculators.settings import (
    CalculatorSettings,
    account_types_path,
    load_settings,
    read_account_types,
)
from gate.config import ConfigError, defaults, from_environ

EXTENSION = "sop_calculators"
"""Where :func:`gate.api.routes.init_app` keeps the settings in ``app.extensions``."""


def settings_from_config(config: Mapping[str, Any], *, calendar: bool = True
                         ) -> CalculatorSettings:
    """Build and check the settings; an unusable setting raises ConfigError naming it.

    ``calendar=False`` leaves the holiday calendar to be built (and its country checked) on
    first use, for a command that may need none.
    """
    try:
        return load_settings(config, calendar=calendar)
    except SettingsError as exc:
        raise ConfigError(f"{exc.field}: {exc.message}") from None


def settings_from_environ(environ: Mapping[str, str] | None = None, *, calendar: bool = True
                          ) -> CalculatorSettings:
    """The settings the gate would use, read from the environment without creating the app:
    the same defaults, environment parser and checks as :func:`gate.create_app`."""
    config = defaults("instance")
    config.update(from_environ(os.environ if environ is None else environ))
    return settings_from_config(config, calendar=calendar)


def account_type_names(config: Mapping[str, Any]) -> frozenset[str]:
    """The client account types ``ACCOUNT_TYPES_FILE`` names, read by the calculators' one reader
    of that file (so a type staff can choose is always one the calculators know)."""
    try:
        path = account_types_path(str(config.get("ACCOUNT_TYPES_FILE") or ""))
        return frozenset(read_account_types(path))
    except SettingsError as exc:
        raise ConfigError(f"{exc.field}: {exc.message}") from None


def calculator_settings(app: Any) -> CalculatorSettings:
    """The settings built for ``app`` at start-up."""
    settings: CalculatorSettings = app.extensions[EXTENSION]
    return settings


def api_json(body: Mapping[str, Any]) -> str:
    """The API's JSON text for ``body`` (compact, keys sorted, ASCII, final newline)."""
    return json.dumps(body, ensure_ascii=True, sort_keys=True, separators=(",", ":")) + "\n"
