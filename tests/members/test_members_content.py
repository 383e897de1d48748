"""gate.content: front matter, access validation, the catalogue of a folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from members_support import SECRET, TREE, write_tree

from gate.content import (
    ContentError,
    decode,
    is_ignored_name,
    is_safe_relative,
    list_items,
    page_key,
    parse_page,
    parse_sidecar,
    validate_access,
)

SECTIONS = frozenset({"store-setup", "payments"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["clients"], ("clients",)),
        ("clients", ("clients",)),
        (["staff", "clients", "staff"], ("staff", "clients")),
        (["client:demo-client"], ("client:demo-client",)),
        (["newsletter:payments", "newsletter:store-setup"],
         ("newsletter:payments", "newsletter:store-setup")),
    ],
)
def test_valid_access(value, expected):
    assert validate_access(value, "x.md", SECTIONS) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing or empty"),
        ("", "missing or empty"),
        ([], "missing or empty"),
        (["everyone"], "unknown access"),
        (["Clients"], "unknown access"),
        (["client:"], "unknown access"),
        (["client:Demo Client"], "unknown access"),
        (["newsletter:marketing"], "unknown newsletter section"),
        ([3], "unknown access"),
        ({"clients": True}, "must be a list"),
        (["clients", None], "unknown access"),
    ],
)
def test_bad_access_is_refused_with_the_reason(value, reason):
    with pytest.raises(ContentError) as info:
        validate_access(value, "pages/x.md", SECTIONS)
    assert info.value.file == "pages/x.md"
    assert reason in info.value.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("# no front matter\n", "no front matter"),
        ("---\ntitle: X\naccess: [clients]\n", "not closed"),
        ("---\ntitle: [unclosed\naccess: [clients]\n---\nbody", "broken front matter"),
        ("---\n- a list\n---\nbody", "must be a mapping"),
        ("---\ntitle: X\n---\nbody", "access is missing"),
        ("---\naccess: [clients]\n---\nbody", "title is missing"),
        ("---\ntitle: 3\naccess: [clients]\n---\nbody", "title must be text"),
        ("---\ntitle: X\naccess: [clients]\ndownloads: ../secret\n---\n", "not a plain path"),
        ("---\ntitle: X\naccess: [clients]\ndownloads: [/etc/passwd]\n---\n", "not a plain path"),
        ("---\ntitle: X\naccess: [clients]\ndownloads: {a: 1}\n---\n", "must be a list"),
        ("---\ntitle: X\naccess: [clients]\nsummary: " + "y" * 500 + "\n---\n", "longer than"),
    ],
)
def test_broken_pages_are_refused(text, reason):
    with pytest.raises(ContentError) as info:
        parse_page(text, "p.md", SECTIONS)
    assert reason in info.value.reason


def test_page_front_matter_and_body():
    text = (
        "\ufeff---\ntitle:  Plugin   setup\naccess: [clients]\nsummary: What we need.\n"
        "downloads: [forms/a.docx]\napproved_by: Ops\n---\n# Body\n"
    )
    meta, body = parse_page(decode(text.encode("utf-8"), "p.md"), "p.md", SECTIONS)
    assert meta.title == "Plugin setup"
    assert meta.access == ("clients",)
    assert meta.summary == "What we need."
    assert meta.downloads == ("forms/a.docx",)
    assert body == "# Body\n"


def test_invalid_utf8_names_the_byte():
    with pytest.raises(ContentError, match="not valid UTF-8 \\(byte 3\\)"):
        decode(b"abc\xff", "p.md")


def test_sidecar_defaults_its_title_to_the_file_name():
    meta = parse_sidecar("access: [clients]\n", "f.docx.meta.yml", SECTIONS, "f.docx")
    assert meta.title == "f.docx"
    with pytest.raises(ContentError, match="not in a sidecar"):
        parse_sidecar("access: [clients]\ndownloads: [x]\n", "f.meta.yml", SECTIONS, "f")


@pytest.mark.parametrize(
    ("source", "key"),
    [("a.md", "a"), ("a/b.md", "a/b"), ("a/index.md", "a/"), ("index.md", ""),
     ("a/reindex.md", "a/reindex")],
)
def test_page_keys(source, key):
    assert page_key(source) == key


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        ("form.docx", False), ("guide.md", False), (".hidden.md", True), ("guide.md~", True),
        ("guide.md.bak", True), (".guide.md.swp", True), ("guide.swp", True), ("#guide.md#", True),
        ("form.docx.meta.yml", True), ("CON", True), ("con.docx", True), ("Lpt1.txt", True),
        ("console.md", False), ("", True),
    ],
)
def test_ignored_names(name, ignored):
    assert is_ignored_name(name) is ignored


@given(st.text(max_size=40))
def test_safe_relative_paths_never_climb(path):
    if is_safe_relative(path):
        parts = path.split("/")
        assert ".." not in parts and not path.startswith("/") and "\\" not in path


@given(st.text(max_size=300))
def test_parsing_any_text_gives_a_result_or_a_content_error(text):
    try:
        parse_page(text, "p.md", SECTIONS)
    except ContentError:
        pass


@given(st.binary(max_size=200))
def test_decoding_any_bytes_gives_text_or_a_content_error(raw):
    try:
        assert isinstance(decode(raw, "p.md"), str)
    except ContentError:
        pass


def test_listing_the_tree(tree):
    catalogue = list_items(tree, SECTIONS)
    assert catalogue.all_problems() == []
    assert sorted(catalogue.items) == [
        "acme/notes", "files/forms/form.docx", "files/payments/sheet.csv", "guide",
        "payments/tips", "staff-only", "team/",
    ]
    assert catalogue.items["team/"].url == "/members/team/"
    assert catalogue.items["files/forms/form.docx"].meta.title == "Setup form"


def test_listing_skips_and_reports_what_must_never_be_served(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text(SECRET)
    root = write_tree(tmp_path / "r", {
        **TREE,
        ".hidden.md": "---\ntitle: H\naccess: [clients]\n---\n",
        "guide.md~": "backup",
        "files/forms/form.docx.bak": "backup",
        "files/nosidecar.pdf": "x",
        "files/orphan.pdf.meta.yml": "access: [clients]\n",
        "files/bad.csv": "a",
        "files/bad.csv.meta.yml": "title: Bad\naccess: [everyone]\n",
        "search.md": "---\ntitle: S\naccess: [clients]\n---\n",
        "index.md": "---\ntitle: I\naccess: [clients]\n---\n",
        "broken.md": b"---\ntitle: B\naccess: [clients]\n---\n\xff\xfe",
    })
    (root / "files" / "link.txt").symlink_to(outside)
    (root / "files" / "link.txt.meta.yml").write_text("access: [clients]\n")
    (root / "files" / "dirlink").symlink_to(tmp_path, target_is_directory=True)
    catalogue = list_items(root, SECTIONS)
    problems = "\n".join(str(p) for p in catalogue.all_problems())
    assert "files/link.txt: symlink points outside" in problems
    assert "files/dirlink: symlinked folders are not followed" in problems
    assert "files/orphan.pdf.meta.yml: sidecar without its file" in problems
    assert "files/nosidecar.pdf: no sidecar nosidecar.pdf.meta.yml" in problems
    assert "files/bad.csv: unknown access 'everyone'" in problems
    assert "search.md: 'search' is reserved" in problems
    assert "index.md: 'index' is reserved" in problems
    assert "broken.md: not valid UTF-8" in problems
    assert "files/link.txt" not in catalogue.items
    assert not any(key.startswith(".") or key.endswith(("~", ".bak")) for key in catalogue.items)
    assert catalogue.items["files/bad.csv"].meta is None
    assert catalogue.items["broken"].meta is None


def test_missing_download_is_a_problem(tmp_path):
    root = write_tree(tmp_path / "r", {
        "p.md": "---\ntitle: P\naccess: [clients]\ndownloads: [forms/missing.docx]\n---\n",
    })
    problems = [str(p) for p in list_items(root, SECTIONS).all_problems()]
    assert problems == ["p.md: downloads entry 'forms/missing.docx' not found in files/"]


def test_missing_folder_is_a_problem(tmp_path):
    catalogue = list_items(tmp_path / "nope", SECTIONS)
    assert catalogue.items == {}
    assert "restricted folder not found" in str(catalogue.problems[0])


def test_cache_reuses_unchanged_items_and_rereads_changed_ones(tree):
    cache: dict = {}
    first = list_items(tree, SECTIONS, cache)
    again = list_items(tree, SECTIONS, cache)
    assert again.items["guide"] is first.items["guide"]
    page = tree / "guide.md"
    page.write_text(page.read_text().replace("Client guide", "Client guide v2", 1))
    os.utime(page, ns=(1, 1))
    changed = list_items(tree, SECTIONS, cache)
    assert changed.items["guide"].meta.title == "Client guide v2"
    assert changed.items["team/"] is first.items["team/"]


def test_real_content_is_valid():
    root = Path(__file__).resolve().parents[2] / "restricted"
    catalogue = list_items(root, SECTIONS)
    assert catalogue.all_problems() == []
    assert catalogue.pages() and catalogue.files()
