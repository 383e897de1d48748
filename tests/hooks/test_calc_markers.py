"""The MkDocs hook: markers become figures, tables and widgets; bad markers fail the build."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_hook():
    spec = importlib.util.spec_from_file_location("calculators_hook_under_test",
                                                  ROOT / "hooks" / "calc_markers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as MkDocs does: dataclasses look their module up
    spec.loader.exec_module(module)
    return module


hook = _load_hook()


@pytest.fixture(scope="module")
def settings():
    return hook.build_settings({})


def expand(text, settings):
    return hook.expand_markers(textwrap.dedent(text), settings)


@pytest.mark.parametrize(
    ("marker", "figure"),
    [
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit]]", "$387.10"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-22 show=credit]]", "$1,354.84"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-15 show=credit]]", "$903.23"),
        ("[[calc prorate monthly_fee=2,000.00 go_live=2026-01-07 show=first_invoice_total]]",
         "$1,612.90"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=first_invoice_date]]",
         "February 1, 2026"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=first_full_month]]",
         "March 2026"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-01 show=first_full_month]]",
         "February 2026"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=days_before_go_live]]", "6"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-02-07 show=days_in_month]]", "28"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit method=thirty]]",
         "$400.00"),
        ("[[calc  prorate  monthly_fee=1999.95 go_live=2027-02-15 show=credit ]]", "$999.98"),
    ],
)
def test_inline_figures(settings, marker, figure):
    assert expand(f"Credit: {marker}.", settings) == f"Credit: {figure}."


def test_inline_explanation(settings):
    text = expand("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=explanation]]",
                  settings)
    assert text.startswith("Going live on January 7, 2026 leaves 6 of January's 31 days")


def test_figures_inside_a_table_row(settings):
    row = ("| 2 | [[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit]] | "
           "[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=first_full_month]] |")
    assert expand(row, settings) == "| 2 | $387.10 | March 2026 |"


def test_proration_examples(settings):
    text = expand("[[calc proration-examples]]", settings)
    assert "| 1 | January 15, 2026 | 14 of 31 | $903.23 | February 1, 2026 | $1,096.77 | " \
           "March 2026 |" in text
    assert "| 2 | January 7, 2026 | 6 of 31 | $387.10 |" in text
    assert "| 3 | January 22, 2026 | 21 of 31 | $1,354.84 |" in text
    assert "rounded illustration" in text


def test_proration_table(settings):
    text = expand("[[calc proration-table monthly_fee=2000 month=2028-02]]", settings)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "2028" in line]
    assert rows[0] == "| February 1, 2028 | 0 | $0.00 | $2,000.00 | $0.00 | $2,000.00 |"
    assert rows[-1].startswith("| February 29, 2028 | 28 | $1,931.03 |")
    assert len(rows) == 9  # 1, 2, 7, 10, 15, 20, 22, 28, 29


def test_due_date_examples(settings):
    text = expand("[[calc due-date-examples]]", settings)
    assert "| EFT | Wed, Apr 1, 2026, 10:00 | Thu, Apr 2, 2026, 14:00 | Thu, Apr 2, 2026 | " \
           "net 14 | Thu, Apr 16, 2026 | run moved from Fri, Apr 3, 2026 (Good Friday) |" in text
    assert "due date rolled from Fri, Jan 1, 2027 (New Year's Day)" in text
    assert text.count("| Debit order |") == 3


def test_account_types_table(settings):
    text = expand("[[calc account-types]]", settings)
    assert "| Debit order | debit_order | monthly close on day 19 at 17:00, whatever the " \
           "weekday | day 1 month +1 roll following: on day 1 of the next month, moved to the " \
           "next business day when it is not one |" in text


def test_widgets(settings):
    text = expand("Intro.\n[[widget proration]]\n\n[[widget due-date]]\n", settings)
    assert 'data-sop-calc="proration" id="sop-calc-1"' in text
    assert 'data-sop-calc="due-date" id="sop-calc-2"' in text
    assert '<label for="sop-calc-1-fee">Monthly fee (USD)</label>' in text
    assert '<option value="debit_order">Debit order</option>' in text
    assert "<script" not in text  # the CSP allows only the site's own script files
    assert "Intro.\n\n<div" in text  # a blank line before the HTML block
    blocks = re.findall(r'<div class="sop-calc".*?\n</div>', text, flags=re.S)
    assert len(blocks) == 2
    for block in blocks:
        assert "\n\n" not in block  # a blank line would end the raw HTML block


def test_fee_change_examples(settings):
    upgrade = expand("[[calc fee-change old_fee=2000 new_fee=3000 change_date=2026-03-15]]",
                     settings)
    assert "| Credit for the unused old fee | $1,096.77 |" in upgrade
    assert "| Charge at the new fee | $1,645.16 |" in upgrade
    assert "| Net: to charge | $548.39 |" in upgrade
    assert "| First month in full at the new fee | April 2026 |" in upgrade
    cancel = expand("[[calc fee-change old_fee=2000 new_fee=0 change_date=2026-03-15]]",
                    settings)
    assert "| Monthly fee | $2,000.00 until March 15, 2026, then cancelled |" in cancel
    assert "| Net: credit note | $1,096.77 |" in cancel
    assert "First month in full" not in cancel
    assert "*Cancelling on March 15, 2026" in cancel


def test_instalment_examples(settings):
    text = expand('[[calc instalments terms="50% net 0; 50% net 30" amount=5000 '
                  "invoice_date=2026-03-02]]", settings)
    assert "| 1 | 50% | $2,500.00 | Mon, Mar 2, 2026 |" in text
    assert "| 2 | 50% | $2,500.00 | Wed, Apr 1, 2026 |" in text
    assert "is due in 2 instalments" in text


def test_fee_change_widget(settings):
    text = expand("[[widget fee-change]]", settings)
    assert 'data-sop-calc="fee-change"' in text
    assert '<label for="sop-calc-1-old-fee">Current monthly fee (USD)</label>' in text
    assert '<label for="sop-calc-1-new-fee">New monthly fee (USD)</label>' in text
    assert "Enter 0 when the client cancels the service." in text
    assert "<script" not in text and "style=" not in text


def test_tables_keep_the_indentation_of_their_marker(settings):
    text = expand("!!! note\n    Before.\n    [[calc account-types]]\n", settings)
    lines = [line for line in text.splitlines() if line.strip()]
    assert all(line.startswith("    ") for line in lines[1:])


def test_code_is_left_alone(settings):
    text = """\
    Use `[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit]]` in a page.

    ```markdown
    [[calc nonsense]]
    [[widget proration]]
    ```

        ~~~
        [[widget nope]]
        ~~~
    """
    assert expand(text, settings) == textwrap.dedent(text)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[[calc nonsense]]", "[[calc nonsense]]: unknown calculator 'nonsense'"),
        ("[[calc]]", "[[calc]]: calc marker without a name"),
        ("[[widget calendar]]", "[[widget calendar]]: unknown widget 'calendar'"),
        ("[[widget proration size=big]]", "widgets take no options"),
        ("Try [[widget proration]] here", "a widget must stand alone on a line, at its start"),
        ("    [[widget proration]]", "a widget must stand alone on a line, at its start"),
        ("See [[calc account-types]].", "this table must stand alone on its line"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07]]", "missing option show=..."),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=total]]",
         "show='total' is not one of credit, first_invoice_total"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit colour=red]]",
         "unknown option 'colour'"),
        ("[[calc prorate monthly_fee=2000 monthly_fee=3 go_live=2026-01-07 show=credit]]",
         "option 'monthly_fee' given twice"),
        ("[[calc prorate monthly_fee go_live=2026-01-07 show=credit]]",
         "expected key=value, not 'monthly_fee'"),
        ("[[calc prorate monthly_fee=NaN go_live=2026-01-07 show=credit]]",
         "monthly_fee: monthly_fee must be an amount"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-02-30 show=credit]]",
         "go_live: go_live is not a real calendar date: 2026-02-30"),
        ("[[calc proration-table monthly_fee=2000 month=January]]",
         "month: month must be a month like 2026-01"),
        ("[[calc proration-examples extra=1]]", "unknown option 'extra'"),
        ("[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit",
         "malformed marker"),
        ("[[ widget proration ]", "malformed marker"),
        ('[[calc instalments terms="50% net 0; 40% net 30" amount=5000 '
         "invoice_date=2026-03-02]]", "terms: the instalment percentages add up to 90, not 100"),
        ("[[calc fee-change old_fee=2000 new_fee=-1 change_date=2026-03-15]]",
         "new_fee: new_fee must not be negative"),
        ("[[calc fee-change old_fee=2000 new_fee=0]]", "missing option change_date=..."),
        ('[[calc instalments terms="50% net 0 amount=5000 invoice_date=2026-03-02]]',
         "expected key=value, not"),
    ],
)
def test_bad_markers_fail_with_the_line_and_the_marker(settings, line, message):
    with pytest.raises(hook.MarkerError) as caught:
        expand(f"# Title\n\n{line}\n", settings)
    assert str(caught.value).startswith("line 3: ")
    assert message in str(caught.value)


def test_the_page_is_named(settings):
    page = SimpleNamespace(file=SimpleNamespace(src_uri="sops/example.md"))
    with pytest.raises(hook.PluginError) as caught:
        hook.on_page_markdown("[[calc nope]]", page=page, config={}, files=None)
    assert str(caught.value) == ("sops/example.md: line 1: [[calc nope]]: unknown calculator "
                                 "'nope' (expected prorate, proration-examples, "
                                 "proration-table, due-date-examples, account-types, fee-change, "
                                 "instalments)")


def test_other_hooks_markers_are_not_ours(settings):
    assert expand("[[teasers]]", settings) == "[[teasers]]"


def test_settings_come_from_the_environment():
    zar = hook.build_settings({"BILLING_CURRENCY": "ZAR"})
    assert hook.expand_markers(
        "[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit]]", zar) == "R387.10"
    with pytest.raises(hook.SettingsError):
        hook.build_settings({"BILLING_CURRENCY": "XYZ"})


def test_a_bad_marker_fails_a_real_build(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n\n[[calc prorate monthly_fee=2000 "
                                   "go_live=2026-01-07 show=credit]]\n")
    (docs / "broken.md").write_text("# Broken\n\n[[widget abacus]]\n")
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: Test\nhooks:\n  - {ROOT / 'hooks' / 'calc_markers.py'}\n")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "out")],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode != 0
    assert "broken.md: line 3: [[widget abacus]]: unknown widget 'abacus'" in result.stderr


def _article(site_dir: Path, page: str) -> str:
    html = (site_dir / page).read_text(encoding="utf-8")
    return html[html.index("<article"):html.index("</article>")]


def test_the_built_site_shows_engine_figures_and_widgets(site_dir):
    onboarding = _article(site_dir, "sops/onboarding/index.html")
    for figure in ("$387.10", "$1,354.84", "$903.23", "$1,612.90"):
        assert figure in onboarding
    assert 'data-sop-calc="proration"' in onboarding
    assert "$2,500.00" in onboarding  # the 50/50 deposit on $5,000
    billing = _article(site_dir, "sops/billing/index.html")
    assert 'data-sop-calc="due-date"' in billing and 'data-sop-calc="fee-change"' in billing
    assert "Good Friday" in billing
    assert "$548.39" in billing and "a credit note of $1,096.77" in billing
    calculators = (site_dir / "calculators" / "index.html").read_text(encoding="utf-8")
    assert 'data-sop-calc="proration"' in calculators and 'data-sop-calc="due-date"' in calculators
    assert 'data-sop-calc="fee-change"' in calculators
    assert re.search(r'<script src="[./]*javascripts/calculators\.js"', calculators)
    assert "stylesheets/calculators.css" in calculators
    for page in site_dir.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "[[calc" not in text and "[[widget" not in text, page


def test_widget_html_lives_in_templates_under_overrides():
    folder = ROOT / "overrides" / "partials" / "calculators"
    for name in ("widget", "fields", "proration", "due-date", "fee-change"):
        assert (folder / f"{name}.html").is_file()
    for module in ("calc_markers", "calc_syntax", "calc_tables", "calc_widgets"):
        source = (ROOT / "hooks" / f"{module}.py").read_text(encoding="utf-8")
        assert "<div" not in source and "<input" not in source, module


def test_widget_templates_escape_the_account_type_labels(tmp_path):
    path = tmp_path / "types.toml"
    path.write_text('[a_b]\nlabel = "Cash & <card>"\ninvoicing = "weekly"\nweekday = "monday"\n'
                    'time = "09:00"\nroll = "following"\nterms = "net 7"\n')
    settings = hook.build_settings({"ACCOUNT_TYPES_FILE": str(path)})
    text = expand("[[widget due-date]]", settings)
    assert '<option value="a_b">Cash &amp; &lt;card&gt;</option>' in text
