"""The content rules of the members build (hooks/members_catalogue.py): every broken item
fails the build with its file and the reason; a valid tree becomes the catalogue."""

from __future__ import annotations

import os
from pathlib import Path

import members_catalogue as catalogue
import pytest
from members_catalogue import ContentError, Source

ROOT = Path(__file__).resolve().parents[2]
MAP = ROOT / "gate" / "newsletter" / "newsletter_map.toml"
GOOD_PAGE = "---\ntitle: Guide\naccess: [clients]\nsummary: A guide.\n---\nBody.\n"
SIDECAR = "title: Form\naccess: [clients]\nsummary: A form.\n"


def page(access: str = "[clients]", extra: str = "") -> str:
    return f"---\ntitle: Page\naccess: {access}\n{extra}---\nBody.\n"


def read(root: Path) -> catalogue.Catalogue:
    sources = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        src = path.relative_to(root).as_posix()
        url = src
        if src.endswith(".md"):
            stem = src[:-3]
            url = "" if stem == "index" else (stem[:-5] if stem.endswith("/index") else stem + "/")
        sources.append(Source(src, url, src))
    return catalogue.read(root, sources, MAP)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.md": "Body without front matter.\n"}, "a.md: title is missing"),
        ({"a.md": "---\ntitle: A\n---\nBody.\n"}, "a.md: access must be a non-empty list"),
        ({"a.md": page("[]")}, "a.md: access must be a non-empty list"),
        ({"a.md": page("[everyone]")}, "a.md: unknown audience 'everyone'"),
        ({"a.md": page("[newsletter:cooking]")}, "unknown audience 'newsletter:cooking'"),
        ({"a.md": page("[client:Bad_Slug]")}, "unknown audience 'client:Bad_Slug'"),
        ({"a.md": page(extra="summary: [1, 2]\n")}, "a.md: summary must be text"),
        ({"a.md": page(extra="downloads: [forms/x.docx]\n")}, "'files/forms/x.docx' not found"),
        ({"files/x.docx": "PK"}, "files/x.docx: no sidecar files/x.docx.meta.yml"),
        ({"files/x.docx.meta.yml": SIDECAR}, "files/x.docx.meta.yml: sidecar without its file"),
        ({"files/x.docx": "PK", "files/x.docx.meta.yml": "title: [unclosed"},
         "files/x.docx.meta.yml: not valid YAML"),
        ({"files/x.docx": "PK", "files/x.docx.meta.yml": "title: X\naccess: [nobody]\n"},
         "unknown audience 'nobody'"),
        ({"image.png": "png"}, "image.png: only Markdown pages and files under files/"),
        ({"files/guide.md": GOOD_PAGE}, "files/guide.md: no sidecar"),
        ({"search/x.md": GOOD_PAGE}, "search/x.md: 'search' is a reserved name"),
        ({"team/index.md": page("[clients]"), "team/notes.md": page("[staff]")},
         "team/notes.md: staff may open this page but not its folder's index"),
        ({"a.md": page("[clients]", "downloads: [x.docx]\n"), "files/x.docx": "PK",
          "files/x.docx.meta.yml": "title: X\naccess: ['client:acme']\n"},
         "which only one client account may know of"),
    ],
)
def test_broken_items_fail_with_file_and_reason(tmp_path, files, message):
    with pytest.raises(ContentError, match=message.replace("[", r"\[").replace("(", r"\(")):
        read(write(tmp_path, files))


def test_invalid_utf8_is_named(tmp_path):
    (tmp_path / "a.md").write_bytes(b"---\ntitle: \xff\n---\n")
    with pytest.raises(ContentError, match=r"a.md: not valid UTF-8 \(byte 11\)"):
        read(tmp_path)


@pytest.mark.parametrize("kind", ["symlink", "hardlink"])
def test_links_are_refused(tmp_path, kind):
    outside = tmp_path / "outside.md"
    outside.write_text(GOOD_PAGE, encoding="utf-8")
    root = tmp_path / "restricted"
    root.mkdir()
    (os.symlink if kind == "symlink" else os.link)(outside, root / "a.md")
    with pytest.raises(ContentError, match="a.md: (symbolic|hard-linked)"):
        read(root)


def test_a_valid_tree_becomes_the_catalogue(tmp_path):
    found = read(write(tmp_path, {
        "index.md": page("[members]"),
        "guide.md": page("[clients]", "summary: How it works.\ndownloads: [x.docx]\n"),
        "files/x.docx": "PK", "files/x.docx.meta.yml": SIDECAR,
        "files/old.docx~": "backup",
    }))
    assert set(found.pages) == {"", "guide/"}
    assert found.pages["guide/"].downloads == ("files/x.docx",)
    assert found.files["files/x.docx"].title == "Form"
    assert found.dropped == {"files/x.docx.meta.yml", "files/old.docx~"}
    assert not found.pages["guide/"].private


def test_the_home_list_marks_every_entry(tmp_path):
    found = read(write(tmp_path, {
        "index.md": page("[members]"), "guide.md": page("[clients]"),
        "acme/notes.md": page("['client:acme']"),
    }))
    html = catalogue.index_html(found)
    assert '<!--sop:open c' in html and "client:acme" in html
    locked = html.split('id="more-with-access"', 1)[1]
    assert "Page" in locked and "acme" not in locked  # teasers: audience-wide items only
