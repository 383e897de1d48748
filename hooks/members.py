"""MkDocs hook of the members site (``mkdocs.members.yml``): content rules and the catalogue.

The members site is ``restricted/`` built with the public site's theme, extensions and hooks.
This hook adds what only the members site needs:

- ``on_files``: reads every page's front matter and every download's sidecar
  (``files/<name>.meta.yml``) and refuses the build, naming the file, when an item has a
  missing, empty or unknown ``access``, no title, a ``downloads`` entry that does not exist,
  a download without a sidecar (or a sidecar without its download), a symlink or hard link, or
  a reserved name. Sidecars and editor backups are never copied into the site.
- ``on_nav``: the public sections first (as links to ``/``, ``/sops/...``), then the members
  area with its home page, a "More with access" entry and "Sign out".
- ``on_page_markdown``: a "Downloads" block on pages with ``downloads``, and the members
  home's ``[[members-index]]`` list; both mark each entry for the gate (see
  :mod:`nav_marks`).
- ``on_post_page`` / ``on_post_template``: marks navigation entries and footer links that name
  member pages.
- ``on_post_build``: writes ``.catalogue.json``, all the gate reads about content.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import members_catalogue as catalogue_rules
import nav_marks
from members_catalogue import Catalogue, Source
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils.yaml import yaml_load

INDEX_MARKER = "[[members-index]]"

_state: dict[str, Any] = {}


def _catalogue() -> Catalogue:
    found = _state.get("catalogue")
    if not isinstance(found, Catalogue):
        raise PluginError("members: the catalogue was not read (on_files did not run)")
    return found


def on_config(config: MkDocsConfig, **_: Any) -> MkDocsConfig:
    """Members pages live under ``/members/`` of the public address."""
    base = (config.site_url or "http://127.0.0.1:8000/").rstrip("/") + "/"
    config.site_url = urljoin(base, "members/")
    _state.clear()
    return config


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Read and check every item; keep sidecars and backups out of the site."""
    root = Path(config.docs_dir).resolve()
    map_file = Path(os.environ.get("NEWSLETTER_MAP_FILE") or _default_map(config))
    try:
        found = catalogue_rules.read(root, _own_files(files, root), map_file)
    except catalogue_rules.ContentError as exc:
        raise PluginError(f"members: {exc}") from exc
    for file in list(files):
        if file.src_uri in found.dropped:
            files.remove(file)
    _state["catalogue"] = found
    return files


def _own_files(files: Files, root: Path) -> list[Source]:
    """The files that come from the restricted folder (not the theme's)."""
    return [
        Source(file.src_uri, "" if file.url == "./" else file.url, file.dest_uri)
        for file in files
        if file.abs_src_path and Path(file.abs_src_path).parent.resolve().is_relative_to(root)
    ]


def _default_map(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).parent / "gate" / "newsletter" / "newsletter_map.toml"


def on_nav(nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
    """Public sections as links, then the members area (home first) as one section."""
    members = Section("Members area", list(nav.items))
    members.children.append(Link("More with access", f"./#{nav_marks.MORE_FRAGMENT}"))
    members.children.append(Link("Sign out", "/auth/logout"))
    for child in members.children:
        child.parent = members
    nav.items = [*_public_links(config), members]
    return nav


def _public_links(config: MkDocsConfig) -> list[Any]:
    """The public site's navigation (``extra.public_config``) as links to its pages."""
    name = config.extra.get("public_config", "mkdocs.yml")
    path = Path(config.config_file_path).parent / name
    with path.open(encoding="utf-8") as handle:
        public = yaml_load(handle)
    return [item for entry in public.get("nav", []) for item in _to_links(entry)]


def _to_links(entry: Any) -> list[Any]:
    if not isinstance(entry, dict):
        return []
    links: list[Any] = []
    for title, value in entry.items():
        if isinstance(value, list):
            section = Section(title, [i for child in value for i in _to_links(child)])
            for child in section.children:
                child.parent = section
            links.append(section)
        elif isinstance(value, str) and value.endswith(".md"):
            links.append(Link(title, _public_url(value)))
    return links


def _public_url(source: str) -> str:
    stem = source[: -len(".md")]
    if stem == "index" or stem.endswith("/index"):
        stem = stem[: -len("index")]
    return "/" + (stem.rstrip("/") + "/" if stem else "")


def on_page_markdown(markdown: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Add the downloads block; expand the members home's list."""
    found = _catalogue()
    item = found.pages.get(page.url)
    if item is None:
        raise PluginError(f"members: {page.file.src_uri} is not in the catalogue")
    if INDEX_MARKER in markdown:
        index = catalogue_rules.index_html(found, _root(config))
        markdown = markdown.replace(INDEX_MARKER, "\n" + index + "\n")
    if item.downloads:
        markdown += "\n\n" + catalogue_rules.downloads_html(found, item, _root(config)) + "\n"
    return markdown


def on_post_page(output: str, *, page: Page, config: MkDocsConfig) -> str:
    """Mark the parts of the page that name other member pages."""
    return _mark(output, _root(config) + page.url, config)


def on_post_template(output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
    """The members 404 page has the navigation too."""
    if not template_name.endswith(".html"):
        return output_content
    return _mark(output_content, _root(config) + template_name, config)


def _root(config: MkDocsConfig) -> str:
    return urlsplit(config.site_url or "/members/").path


def _mark(text: str, page_url: str, config: MkDocsConfig) -> str:
    found = _catalogue()

    def access_of(key: str) -> tuple[str, ...] | None:
        item = found.pages.get(key) or found.files.get(key)
        return item.access if item is not None else None

    return nav_marks.mark(text, page_url, _root(config), access_of)


def on_post_build(*, config: MkDocsConfig) -> None:
    """Write ``.catalogue.json`` beside the built pages."""
    site = Path(config.site_dir)
    payload = catalogue_rules.to_json(_catalogue(), site, _root(config))
    (site / catalogue_rules.CATALOGUE_FILE).write_text(
        json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )

