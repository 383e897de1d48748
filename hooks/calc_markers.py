"""MkDocs hook: expand the calculator markers in docs/ through the calculators engine.

Markers (DESIGN.md and the team contract list them):

- ``[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit]]`` (optional
  ``method=thirty``): one figure, inline;
- ``[[calc proration-examples]]``, ``[[calc proration-table monthly_fee=2000 month=2026-01]]``,
  ``[[calc due-date-examples]]``, ``[[calc account-types]]``,
  ``[[calc fee-change old_fee=2000 new_fee=3000 change_date=2026-03-15]]`` (optional
  ``method=thirty``; ``new_fee=0`` is a cancellation),
  ``[[calc instalments terms="50% net 0; 50% net 30" amount=5000 invoice_date=2026-03-02]]``:
  tables, on a line of their own (a value with spaces is written in double quotes);
- ``[[widget proration]]``, ``[[widget due-date]]``, ``[[widget fee-change]]``: the
  interactive forms (served by ``docs/javascripts/calculators.js``), on a line of their own
  at the start of the line.

No figure is typed into docs/: every number comes from the engine at build time, with the
same settings as the gate (``BILLING_*``, ``ACCOUNT_TYPES_FILE`` and ``CLOSURES_FILE`` from the
environment). The syntax is :mod:`calc_syntax`, the tables :mod:`calc_tables`, the widgets
:mod:`calc_widgets` (templates under ``overrides/``). This hook imports the calculators and
never the gate: building the site does not load Flask.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from calc_syntax import Expansion, Marker, MarkerError, replace_markers
from calc_tables import CALCS
from calc_widgets import WIDGETS, render_widget
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from calculators.errors import CalculatorError, SettingsError
from calculators.settings import CalculatorSettings, load_settings

__all__ = ["MarkerError", "PluginError", "SettingsError", "build_settings", "expand_markers",
           "on_config", "on_page_markdown", "render_marker"]

_settings: CalculatorSettings | None = None


def build_settings(environ: Mapping[str, str] | None = None) -> CalculatorSettings:
    """The calculator settings the gate would use, from the environment."""
    return load_settings(os.environ if environ is None else environ)


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Build the calculator settings once per build; a bad setting fails the build."""
    global _settings
    try:
        _settings = build_settings()
    except SettingsError as exc:
        raise PluginError(f"calculators: {exc.field}: {exc.message}") from None
    return config


def _current_settings() -> CalculatorSettings:
    global _settings
    if _settings is None:
        _settings = build_settings()
    return _settings


def render_marker(marker: Marker, settings: CalculatorSettings, counter: list[int]) -> Expansion:
    """What a marker expands to; MarkerError when it cannot. ``counter`` numbers the widgets
    of one page."""
    if marker.kind == "widget":
        if marker.name not in WIDGETS:
            raise MarkerError(f"unknown widget {marker.name!r} (expected "
                              f"{', '.join(WIDGETS)})")
        if marker.options:
            raise MarkerError("widgets take no options")
        if not marker.alone or marker.indent:
            raise MarkerError("a widget must stand alone on a line, at its start")
        counter[0] += 1
        return Expansion(render_widget(marker.name, f"sop-calc-{counter[0]}", settings), True)
    entry = CALCS.get(marker.name)
    if entry is None:
        raise MarkerError(f"unknown calculator {marker.name!r} (expected {', '.join(CALCS)})")
    renderer, block = entry
    if block and not marker.alone:
        raise MarkerError("this table must stand alone on its line")
    try:
        return Expansion(renderer(marker, settings), block)
    except CalculatorError as exc:
        raise MarkerError(f"{exc.field}: {exc.message}") from None


def expand_markers(markdown: str, settings: CalculatorSettings) -> str:
    """Expand every calculator and widget marker outside code; MarkerError names the first
    bad one with its line number."""
    counter = [0]
    return replace_markers(markdown, lambda marker: render_marker(marker, settings, counter))


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Expand the markers of one page; an unknown or malformed marker fails the build."""
    if "[[" not in markdown:
        return markdown
    try:
        return expand_markers(markdown, _current_settings())
    except MarkerError as exc:
        raise PluginError(f"{page.file.src_uri}: {exc}") from None
