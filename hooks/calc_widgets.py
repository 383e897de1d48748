"""The ``[[widget ...]]`` markers: the interactive calculator forms.

The HTML lives in Jinja templates under ``overrides/partials/calculators/`` (one per widget,
sharing a frame and the form macros); this module picks the template and gives it what
depends on the deployment: the currency, the account types and the years the business
calendar covers. ``docs/javascripts/calculators.js`` drives the forms in the browser.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from calculators.billing import TERMS_MARGIN_YEARS
from calculators.settings import CalculatorSettings

TEMPLATES = Path(__file__).resolve().parent.parent / "overrides"
WIDGETS = ("proration", "due-date", "fee-change")
SEED_FEE = "2000"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _context(name: str, settings: CalculatorSettings) -> dict[str, object]:
    context: dict[str, object] = {"code": settings.currency.code, "seed_fee": SEED_FEE}
    if name == "due-date":
        calendar = settings.calendar
        context["types"] = [(key, kind.label) for key, kind in settings.account_types().items()]
        context["first"] = calendar.first_year + 1
        context["last"] = calendar.last_year - TERMS_MARGIN_YEARS
    return context


def render_widget(name: str, ident: str, settings: CalculatorSettings) -> str:
    """The HTML of widget ``name`` (one of :data:`WIDGETS`) with the element id ``ident``."""
    template = _environment.get_template(f"partials/calculators/{name}.html")
    return template.render(ident=ident, **_context(name, settings)).rstrip("\n")
