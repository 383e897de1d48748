"""Build checks (content and leaks) and the public teasers on the built access page."""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from members_support import TREE, write_tree
from mkdocs.exceptions import PluginError

from gate import checks, cli
from gate.accounts import newsletter_sections
from gate.content import decode, list_items, parse_page

ROOT = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("sop_hook_teasers", ROOT / "hooks" / "teasers.py")
assert _SPEC is not None and _SPEC.loader is not None
teasers = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(teasers)
RESTRICTED = ROOT / "restricted"
SECTIONS = newsletter_sections({})


def a_restricted_sentence() -> tuple[str, str]:
    """(source, a line of at least 10 words) from a real restricted page body."""
    catalogue = list_items(RESTRICTED, SECTIONS)
    for item in catalogue.pages():
        _meta, body = parse_page(decode((RESTRICTED / item.source).read_bytes(), item.source),
                                 item.source, SECTIONS)
        for line in body.splitlines():
            if len(re.findall(r"[A-Za-z]+", line)) >= 10 and not line.startswith(("|", "#")):
                return item.source, line.strip()
    raise AssertionError("no restricted page has a sentence of 10 words")


@pytest.fixture
def site_copy(site_dir, tmp_path) -> Path:
    """A copy of the built site (Material's assets left out: the check skips them)."""
    return Path(shutil.copytree(site_dir, tmp_path / "site",
                                ignore=shutil.ignore_patterns("assets")))


def test_the_built_site_has_no_restricted_text(site_dir):
    assert checks.leaks(site_dir, RESTRICTED, ROOT / "mkdocs.yml", SECTIONS) == []


def _plant_html(site: Path, sentence: str) -> None:
    page = site / "index.html"
    shouted = sentence.upper().replace(" ", "  <em>\n", 1).replace(" ", "&nbsp;", 1)
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</article>", f"<p>{shouted}</em></p></article>", 1), encoding="utf-8")


def _plant_search_index(site: Path, sentence: str) -> None:
    path = site / "search" / "search_index.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["docs"].append({"location": "x/", "title": "X", "text": f"<p>{sentence}</p>"})
    path.write_text(json.dumps(data), encoding="utf-8")


def _plant_sitemap(site: Path, sentence: str) -> None:
    path = site / "sitemap.xml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "</urlset>", f"<!-- {sentence} --></urlset>"), encoding="utf-8")


def _plant_404(site: Path, sentence: str) -> None:
    path = site / "404.html"
    path.write_text(path.read_text(encoding="utf-8") + sentence, encoding="utf-8")


def _plant_attribute(site: Path, sentence: str) -> None:
    page = site / "glossary" / "index.html"
    value = html.escape(sentence, quote=True)
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</head>", f'<meta name="description" content="{value}"></head>', 1), encoding="utf-8")


def _plant_new_page(site: Path, sentence: str) -> None:
    write_tree(site, {"deep/nested/page/index.html": f"<html><body>{sentence}</body></html>"})


@pytest.mark.parametrize(
    ("plant", "where"),
    [
        (_plant_html, "index.html"),
        (_plant_search_index, "search/search_index.json"),
        (_plant_sitemap, "sitemap.xml"),
        (_plant_404, "404.html"),
        (_plant_attribute, "glossary/index.html"),
        (_plant_new_page, "deep/nested/page/index.html"),
    ],
)
def test_leak_check_fails_on_a_planted_sentence(site_copy, plant, where):
    source, sentence = a_restricted_sentence()
    plant(site_copy, sentence)
    problems = checks.leaks(site_copy, RESTRICTED, ROOT / "mkdocs.yml", SECTIONS)
    assert len(problems) == 1
    assert problems[0].startswith(f"{source}: restricted text found in the public build ({where})")


def test_seven_words_or_a_teaser_are_not_leaks(site_copy):
    _source, sentence = a_restricted_sentence()
    seven = " ".join(re.findall(r"\w+", sentence)[:7])
    _plant_new_page(site_copy, seven)
    assert checks.leaks(site_copy, RESTRICTED, ROOT / "mkdocs.yml", SECTIONS) == []


def test_leak_check_needs_a_built_site(tmp_path):
    problems = checks.leaks(tmp_path, RESTRICTED, None, SECTIONS)
    assert problems and "not built" in problems[0]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"x.md": "---\ntitle: X\n---\nbody\n"}, "x.md: access is missing or empty"),
        ({"x.md": "---\ntitle: X\naccess: []\n---\n"}, "x.md: access is missing or empty"),
        ({"x.md": "---\ntitle: X\naccess: [public]\n---\n"}, "x.md: unknown access 'public'"),
        ({"x.md": "---\ntitle: X\naccess: [\"newsletter:sports\"]\n---\n"},
         "x.md: unknown newsletter section"),
        ({"x.md": "---\ntitle: [X\naccess: [clients]\n---\n"}, "x.md: broken front matter"),
        ({"x.md": b"---\ntitle: X\naccess: [clients]\n---\n\xc3\x28"}, "x.md: not valid UTF-8"),
        ({"files/a.pdf": "x"}, "files/a.pdf: no sidecar"),
        ({"files/a.pdf": "x", "files/a.pdf.meta.yml": "title: A\n"}, "files/a.pdf: access is"),
    ],
)
def test_content_check_reports_broken_items(app, tmp_path, files, expected):
    root = write_tree(tmp_path / "r", {**TREE, **files})
    app.config["RESTRICTED_DIR"] = str(root)
    problems = checks.content_check(app)
    assert len(problems) == 1
    assert problems[0].startswith(f"{root}/{expected}")


def test_content_check_passes_on_the_real_content(app):
    assert checks.content_check(app) == []


def test_build_command_runs_the_checks(app, runner, site_copy, monkeypatch):
    assert checks.content_check in cli.build_checks and checks.leak_check in cli.build_checks
    monkeypatch.setattr(cli.subprocess, "run",
                        lambda *a, **k: subprocess.CompletedProcess(a, 0))
    app.config["SITE_DIR"] = str(site_copy)
    first = runner.invoke(cli.build_command, [])
    assert first.exit_code == 0, first.output
    _source, sentence = a_restricted_sentence()
    _plant_404(site_copy, sentence)
    result = runner.invoke(cli.build_command, [])
    assert result.exit_code == 1
    assert "check failed:" in result.output and "404.html" in result.output


# --- teasers -------------------------------------------------------------------------------


def test_teasers_on_the_built_access_page(site_dir):
    page = (site_dir / "access" / "index.html").read_text(encoding="utf-8")
    assert "[[teasers]]" not in page
    text = html.unescape(page)
    catalogue = list_items(RESTRICTED, SECTIONS)
    for item in catalogue.items.values():
        assert f'href="{item.url}"' in page
        assert item.meta.title in text
        if item.meta.summary:
            assert item.meta.summary in text
    assert "Online Sales FAQ subscribers (Payments section)" in page
    assert "registered clients" in page


def test_teasers_never_carry_bodies(site_dir):
    page = (site_dir / "access" / "index.html").read_text(encoding="utf-8")
    _source, sentence = a_restricted_sentence()
    words = re.findall(r"\w+", sentence.casefold())
    text = " ".join(checks.words(page))
    assert " ".join(words[:8]) not in text


def test_teaser_html_escapes_front_matter(tmp_path):
    root = write_tree(tmp_path / "r", {
        "x.md": "---\ntitle: \"<script>alert(1)</script>\"\naccess: [clients]\n"
                "summary: \"a & b <i>\"\n---\nSecret body words here.\n",
    })
    html = teasers.teasers_html(root, SECTIONS)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "a &amp; b &lt;i&gt;" in html
    assert "Secret body" not in html


def test_teasers_for_an_empty_folder(tmp_path):
    (tmp_path / "r").mkdir()
    assert "no restricted items" in teasers.teasers_html(tmp_path / "r", SECTIONS)


def test_teasers_refuse_broken_content(tmp_path):
    root = write_tree(tmp_path / "r", {"x.md": "---\ntitle: X\naccess: [nobody]\n---\n"})
    with pytest.raises(PluginError, match="x.md: unknown access"):
        teasers.teasers_html(root, SECTIONS)


class _Page:
    class file:  # noqa: N801 - mimics mkdocs' page.file
        src_path = "access.md"


@pytest.mark.parametrize(
    "marker",
    ["[[teasers all]]", "[[ teasers]]", "[[teasers ]]", "[[teasers\tclients]]"],
)
def test_malformed_teaser_markers_fail_the_build(marker):
    config = {"config_file_path": str(ROOT / "mkdocs.yml")}
    with pytest.raises(PluginError, match="malformed marker"):
        teasers.on_page_markdown(f"# A\n\n{marker}\n", page=_Page, config=config, files=None)


def test_pages_without_the_marker_are_untouched():
    config = {"config_file_path": str(ROOT / "mkdocs.yml")}
    text = "# Title\n\n[[calc prorate monthly_fee=1 go_live=2026-01-01 show=credit]]\n"
    assert teasers.on_page_markdown(text, page=_Page, config=config, files=None) == text
