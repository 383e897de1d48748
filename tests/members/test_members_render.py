"""gate.markdown_render: the extensions of mkdocs.yml, link rewriting, the render cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gate.markdown_render import (
    RenderCache,
    Rendered,
    Renderer,
    RenderError,
    load_mkdocs_config,
    markdown_settings,
    member_url_for,
)

ROOT = Path(__file__).resolve().parents[2]


def test_extensions_come_from_mkdocs_yml():
    config = load_mkdocs_config(ROOT / "mkdocs.yml")
    settings = markdown_settings(config, ROOT)
    declared = []
    for entry in config["markdown_extensions"]:
        declared.append(entry if isinstance(entry, str) else next(iter(entry)))
    assert list(settings.extensions[: len(declared)]) == declared
    snippets = settings.configs.get("pymdownx.snippets")
    if snippets is not None:
        assert all(Path(p).is_absolute() for p in snippets["base_path"])


def test_tolerant_loader_reads_mkdocs_tags(tmp_path, monkeypatch):
    monkeypatch.setenv("SOP_TEST_FLAG", "from-env")
    path = tmp_path / "mkdocs.yml"
    path.write_text(
        "site_name: !ENV [SOP_TEST_MISSING, SOP_TEST_FLAG, fallback]\n"
        "other: !ENV [SOP_TEST_MISSING, fallback]\n"
        "rel: !relative $config_dir\n"
        "markdown_extensions:\n"
        "  - pymdownx.superfences:\n"
        "      custom_fences:\n"
        "        - name: math\n"
        "          class: math\n"
        "          format: !!python/name:pymdownx.superfences.fence_code_format\n"
        "  - pymdownx.snippets:\n"
        "      base_path: includes\n",
        encoding="utf-8",
    )
    config = load_mkdocs_config(path)
    assert config["site_name"] == "from-env"
    assert config["other"] == "fallback"
    fence = config["markdown_extensions"][0]["pymdownx.superfences"]["custom_fences"][0]
    assert callable(fence["format"])
    settings = markdown_settings(config, tmp_path)
    assert settings.configs["pymdownx.snippets"]["base_path"] == [str(tmp_path / "includes")]
    html = Renderer(path).render("```math\nx\n```\n").html
    assert 'class="math"' in html


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a: !!python/name:os.system\n", "outside the allowed modules"),
        ("a: !!python/name:pymdownx.nope.thing\n", "cannot resolve"),
        ("a: [unclosed\n", "not valid YAML"),
        ("- a list\n", "not a mapping"),
    ],
)
def test_bad_mkdocs_configs_are_refused(tmp_path, text, reason):
    path = tmp_path / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RenderError, match=reason):
        load_mkdocs_config(path)


@pytest.mark.parametrize(
    ("source", "href", "expected"),
    [
        ("clients/index.md", "fluent-boards.md", "/members/clients/fluent-boards"),
        ("clients/index.md", "fluent-boards.md#raise", "/members/clients/fluent-boards#raise"),
        ("clients/a.md", "../newsletter/payments/index.md", "/members/newsletter/payments/"),
        ("clients/a.md", "../files/forms/a b.docx", "/members/files/forms/a%20b.docx"),
        ("a.md", "files/x.pdf", "/members/files/x.pdf"),
        ("a.md", "/calculators/", None),
        ("a.md", "https://example.com/x.md", None),
        ("a.md", "#section", None),
        ("a.md", "../../etc/passwd.md", None),
        ("a.md", "image.png", None),
    ],
)
def test_links_between_restricted_items(source, href, expected):
    assert member_url_for(source, href) == expected


def test_render_uses_site_dialect_and_rewrites_links():
    out = Renderer(ROOT / "mkdocs.yml").render(
        "# Title\n\n!!! note\n    Admonition.\n\n## Part\n\nSee [b](b.md).\n", "clients/a.md"
    )
    assert '<div class="admonition note">' in out.html
    assert 'href="/members/clients/b"' in out.html
    assert [h.name for h in out.toc] == ["Title", "Part"]
    assert out.text.startswith("Title Note Admonition.")


def test_broken_markdown_config_surfaces_as_render_error(tmp_path):
    path = tmp_path / "mkdocs.yml"
    path.write_text("markdown_extensions:\n  - no_such_extension_xyz\n", encoding="utf-8")
    with pytest.raises(RenderError, match="cannot be rendered"):
        Renderer(path).render("text")


def test_cache_renders_once_until_the_file_changes(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("one", encoding="utf-8")
    calls = []

    def render(path):
        calls.append(path)
        return Rendered(html=path.read_text())

    cache = RenderCache()
    assert cache.get(page, render).html == "one"
    assert cache.get(page, render).html == "one"
    assert len(calls) == 1
    page.write_text("two", encoding="utf-8")
    os.utime(page, ns=(10**18, 10**18))
    assert cache.get(page, render).html == "two"
    assert len(calls) == 2
