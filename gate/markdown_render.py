"""Render restricted Markdown exactly like the public site, and render each file only once.

The Markdown extensions and their settings are read from ``mkdocs.yml`` (one source of truth):
a page behind the gate is written in the same dialect as ``docs/``. ``pymdownx.snippets``
paths are taken relative to the folder of ``mkdocs.yml``, as MkDocs does when it is run there.

:class:`RenderCache` keeps the rendered HTML of each file keyed by path, modification time and
size, so no page is rendered twice while it is unchanged (rendering costs about 5x serving a
cached string, see RECIPES.md).
"""

from __future__ import annotations

import html
import importlib
import os
import posixpath
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import markdown
import yaml
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from gate.content import FILES_DIR, PAGE_SUFFIX, page_key

if TYPE_CHECKING:  # only for type hints: Markdown builds the tree, nothing parses XML here
    from xml.etree.ElementTree import Element  # nosec B405

# Modules a ``!!python/name:`` tag in mkdocs.yml may point into (formatters, emoji indexes).
_ALLOWED_NAME_PREFIXES = ("pymdownx.", "material.", "markdown.", "pygments.")


class RenderError(RuntimeError):
    """A page or the Markdown configuration could not be rendered; the message says why."""


# --- mkdocs.yml ------------------------------------------------------------------------------


class _ConfigLoader(yaml.SafeLoader):
    """A safe YAML loader that tolerates MkDocs' tags (``!!python/name:``, ``!ENV``, ...)."""


def _python_name(loader: _ConfigLoader, suffix: str, node: yaml.Node) -> Any:
    module_name, _, attr = suffix.rpartition(".")
    if not suffix.startswith(_ALLOWED_NAME_PREFIXES) or not module_name:
        raise RenderError(f"mkdocs.yml: !!python/name:{suffix} is outside the allowed modules")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise RenderError(f"mkdocs.yml: cannot resolve !!python/name:{suffix} ({exc})") from None


def _env_tag(loader: _ConfigLoader, node: yaml.Node) -> Any:
    """``!ENV NAME`` or ``!ENV [NAME, OTHER, default]``: the first variable set, else default."""
    if isinstance(node, yaml.ScalarNode):
        names, default = [loader.construct_scalar(node)], None
    else:
        values = loader.construct_sequence(node)  # type: ignore[arg-type]
        names, default = values[:-1], values[-1] if values else None
        if len(values) == 1:
            names, default = values, None
    for name in names:
        if isinstance(name, str) and name in os.environ:
            return os.environ[name]
    return default


def _any_tag(loader: _ConfigLoader, suffix: str, node: yaml.Node) -> Any:
    """Any other tag (``!relative``, ...): keep the plain value."""
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_ConfigLoader.add_multi_constructor("tag:yaml.org,2002:python/name:", _python_name)
_ConfigLoader.add_constructor("!ENV", _env_tag)
_ConfigLoader.add_multi_constructor("!", _any_tag)


def load_mkdocs_config(path: Path) -> dict[str, Any]:
    """``mkdocs.yml`` as a mapping, read with a loader that tolerates MkDocs' YAML tags."""
    try:
        # _ConfigLoader is a SafeLoader that only adds MkDocs' tags.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ConfigLoader)  # nosec B506
    except OSError as exc:
        raise RenderError(f"{path}: cannot be read ({exc.strerror})") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RenderError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise RenderError(f"{path}: not a mapping")
    return data


@dataclass(frozen=True)
class MarkdownSettings:
    """Extension names and their configurations, ready for ``markdown.Markdown``."""

    extensions: tuple[str, ...]
    configs: Mapping[str, Mapping[str, Any]]


def markdown_settings(config: Mapping[str, Any], config_dir: Path) -> MarkdownSettings:
    """The ``markdown_extensions`` of a MkDocs config, snippet paths made absolute."""
    raw = config.get("markdown_extensions") or []
    if not isinstance(raw, list):
        raise RenderError("mkdocs.yml: markdown_extensions must be a list")
    names: list[str] = []
    configs: dict[str, dict[str, Any]] = {}
    for entry in raw:
        if isinstance(entry, str):
            name, options = entry, {}
        elif isinstance(entry, dict) and len(entry) == 1:
            name, options = next(iter(entry.items()))
            options = dict(options or {})
        else:
            raise RenderError(f"mkdocs.yml: unexpected markdown_extensions entry {entry!r}")
        if name == "pymdownx.snippets":
            options = _absolute_snippets(options, config_dir)
        names.append(name)
        configs[name] = options
    if "toc" not in configs:
        names.append("toc")
        configs["toc"] = {}
    return MarkdownSettings(tuple(names), configs)


def _absolute_snippets(options: dict[str, Any], config_dir: Path) -> dict[str, Any]:
    base = options.get("base_path", ["."])
    bases = [base] if isinstance(base, str) else list(base)
    options["base_path"] = [str((config_dir / b).resolve()) for b in bases]
    return options


# --- links -----------------------------------------------------------------------------------


def member_url_for(source: str, href: str) -> str | None:
    """The gate URL for a relative link written in restricted page ``source``, else None.

    ``fluent-boards.md#x`` from ``clients/index.md`` becomes ``/members/clients/fluent-boards#x``;
    ``../files/forms/a.docx`` becomes ``/members/files/forms/a.docx``. Absolute, external and
    fragment-only links are left alone (None).
    """
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(parts.path)))
    if target.startswith(("../", "/")) or target in {".", ".."}:
        return None
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    if target.startswith(FILES_DIR + "/"):
        return "/members/" + quote(target, safe="/") + fragment
    if target.endswith(PAGE_SUFFIX):
        return "/members/" + quote(page_key(target), safe="/") + fragment
    return None


class _LinkRewriter(Treeprocessor):
    def __init__(self, md: markdown.Markdown, source: str) -> None:
        super().__init__(md)
        self.source = source

    def run(self, root: Element) -> None:  # noqa: F821 - TYPE_CHECKING import
        for element in root.iter("a"):
            href = element.get("href")
            if href:
                rewritten = member_url_for(self.source, href)
                if rewritten is not None:
                    element.set("href", rewritten)


class MemberLinks(Extension):
    """Rewrite relative links between restricted pages and files to their gate URLs."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Markdown's API
        """Register the link rewriter after inline processing."""
        md.treeprocessors.register(_LinkRewriter(md, self.source), "sop_member_links", 1)


# --- rendering -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """One entry of a page's table of contents."""

    level: int
    id: str
    name: str


@dataclass(frozen=True)
class Rendered:
    """A rendered page: its HTML, its headings and its plain text (for search)."""

    html: str
    toc: tuple[Heading, ...] = ()
    text: str = ""


_TAG = re.compile(r"<[^>]*>")
_HEADERLINK = re.compile(r'<a class="headerlink"[^>]*>.*?</a>', re.S)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)


def html_to_text(fragment: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    fragment = _HEADERLINK.sub("", fragment)
    fragment = _SCRIPT_OR_STYLE.sub(" ", fragment)
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def _flatten_toc(tokens: list[dict[str, Any]]) -> list[Heading]:
    found: list[Heading] = []
    for token in tokens:
        name = html.unescape(_TAG.sub("", str(token.get("name", ""))))
        found.append(Heading(int(token.get("level", 2)), str(token.get("id", "")), name))
        found.extend(_flatten_toc(token.get("children", [])))
    return found


class Renderer:
    """Markdown to HTML with the extensions of ``mkdocs.yml`` (re-read when it changes)."""

    def __init__(self, mkdocs_config: Path) -> None:
        self.mkdocs_config = mkdocs_config
        self._settings: MarkdownSettings | None = None
        self._stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def settings(self) -> MarkdownSettings:
        """The current Markdown settings, reloaded when ``mkdocs.yml`` changes."""
        try:
            st = self.mkdocs_config.stat()
        except OSError as exc:
            raise RenderError(f"{self.mkdocs_config}: cannot be read ({exc.strerror})") from None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._settings is None or self._stamp != stamp:
                config = load_mkdocs_config(self.mkdocs_config)
                self._settings = markdown_settings(config, self.mkdocs_config.parent)
                self._stamp = stamp
            return self._settings

    def render(self, body: str, source: str = "") -> Rendered:
        """Render a page body written at ``source`` (its path under ``restricted/``)."""
        settings = self.settings()
        try:
            md = markdown.Markdown(
                extensions=[*settings.extensions, MemberLinks(source)],
                extension_configs={k: dict(v) for k, v in settings.configs.items()},
                output_format="html",
            )
            output = md.convert(body)
        except Exception as exc:  # noqa: BLE001 - any extension error is a content problem
            raise RenderError(f"{source or 'page'}: cannot be rendered ({exc})") from None
        toc = tuple(_flatten_toc(getattr(md, "toc_tokens", [])))
        return Rendered(html=output, toc=toc, text=html_to_text(output))


@dataclass
class RenderCache:
    """Rendered pages by path, valid while the file's modification time and size match."""

    entries: dict[str, tuple[tuple[int, int], Rendered]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, path: Path, render: Callable[[Path], Rendered]) -> Rendered:
        """The cached rendering of ``path``, rendering it (once) when new or changed."""
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        key = str(path)
        with self.lock:
            hit = self.entries.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        rendered = render(path)
        with self.lock:
            self.entries[key] = (stamp, rendered)
        return rendered
