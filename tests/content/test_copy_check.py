"""The copy check: no run of 8 words of a source document on any page (issue 17).

``hooks/sources.py`` runs the check in every build, against the copies of the five source
documents in ``sources/seeds/``. These tests cover its pieces table by table, show that a real
build fails when a page (public or restricted) copies a source, and check the repository's own
pages directly, so a failure names the file and the passage even without a build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site.hooks_support import load_hook

ROOT = Path(__file__).resolve().parents[2]


hook = load_hook("sources")
CATALOGUE = hook.load_catalogue(ROOT / "sources")
INDEX = hook.seed_index(CATALOGUE)


@pytest.mark.parametrize(
    ("text", "copied"),
    [
        # Eight words of seed 000 in a row: copied.
        ("Invoices are finalised and sent for work completed up to the end of business",
         ['"and sent for work completed up to the end of business" (billing-sop)']),
        # Seven words are allowed.
        ("We close at the end of business on the 19th.", []),
        # Overlapping runs are reported once, as one passage.
        ("Once a client contract is signed, assign a project manager to lead the project.",
         ['"once a client contract is signed assign a project manager to lead the project"'
          " (agency-sops)"]),
        # Case, punctuation and line breaks do not hide a copy.
        ("RESPOND to client\ninquiries, within 24 hours! Conduct regular client meetings",
         ['"respond to client inquiries within 24 hours conduct regular client meetings"'
          " (agency-sops)"]),
        # Stage names are allowed: a run never crosses one.
        ("Inbox, Investigate, Plan & Spec, In Progress, Test & Signoff, Billed, Future Requests",
         []),
        ("Tasks move through the stages: Inbox, Investigate, Plan & Spec, In Progress", []),
        # Our own words.
        ("Billing is done on Friday afternoons, and what happens next depends on the account.",
         []),
        ("", []),
    ],
)
def test_copied_passages(text: str, copied: list[str]) -> None:
    assert hook.copied_passages(text, INDEX) == copied


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a Test & Signoff b", [["a"], ["b"]]),
        ("In Progress", [[], []]),
        ("in progress", [["in", "progress"]]),
        ("It's $2,000.", [["it", "s", "2", "000"]]),
    ],
)
def test_segments(text: str, segments: list[list[str]]) -> None:
    assert hook.segments(text) == segments


@pytest.mark.parametrize(
    ("markdown", "kept", "dropped"),
    [
        ("---\ntitle: T1\nsummary: S1\naccess: [clients]\n---\n# Body\n", ["T1", "S1", "Body"],
         ["access", "clients"]),
        ("See [the page](../very/long/path/to/a/page.md) now.", ["the page", "now"],
         ["very", "long"]),
        ('<div class="grid cards">text</div>', ["text"], ["grid", "cards"]),
        ("Test &amp; Signoff", ["Test & Signoff"], ["amp"]),
    ],
)
def test_markdown_text(markdown: str, kept: list[str], dropped: list[str]) -> None:
    text = hook.markdown_text(markdown)
    assert all(word in text for word in kept)
    assert not any(word in hook.segments(text)[0] for word in dropped)


def test_html_text_leaves_scripts_out() -> None:
    assert hook.html_text("<p>seen</p><script>hidden()</script>").split() == ["seen"]


def test_catalogue_problems_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(hook.PluginError, match="cannot read"):
        hook.load_catalogue(tmp_path)
    (tmp_path / "catalogue.yml").write_text("doc:\n  file: seeds/x.txt\n  title: X\n"
                                            "  sections: [A]\n")
    with pytest.raises(hook.PluginError, match="doc: cannot read"):
        hook.load_catalogue(tmp_path)
    (tmp_path / "catalogue.yml").write_text("doc: [not, a, mapping]\n")
    with pytest.raises(hook.PluginError, match="needs file, title and sections"):
        hook.load_catalogue(tmp_path)


PAGES = sorted([*(ROOT / "docs").rglob("*.md"), *(ROOT / "restricted").rglob("*.md")])


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_no_page_copies_a_source(page: Path) -> None:
    text = hook.markdown_text(page.read_text(encoding="utf-8"))
    assert hook.copied_passages(text, INDEX) == []


def _project(tmp_path: Path, public: str, restricted: str) -> Path:
    """A small MkDocs project with the real sources folder and the sources hook."""
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(
        "---\nsources:\n  agency-sops: [Billing]\n---\n# Home\n\n" + public + "\n")
    (tmp_path / "restricted" / "clients").mkdir(parents=True)
    (tmp_path / "restricted" / "clients" / "page.md").write_text(
        "---\ntitle: T\naccess: [clients]\nsummary: S\n---\n# Page\n\n" + restricted + "\n")
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: Test\nhooks:\n  - {ROOT / 'hooks' / 'sources.py'}\n")
    return tmp_path


def _build(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.pop("RESTRICTED_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(project / "out")],
        cwd=project, env=env, capture_output=True, text=True, check=False, timeout=120,
    )


@pytest.mark.parametrize(
    ("public", "restricted", "reported"),
    [
        ("Our own words about invoices.", "Our own words for clients.", None),
        ("We address any billing questions or disputes promptly and professionally.", "Fine.",
         'docs/index.md: "address any billing questions or disputes promptly and '
         'professionally" (agency-sops)'),
        ("Fine.", "Review all deliverables for accuracy and completeness before sending.",
         'restricted/clients/page.md: "review all deliverables for accuracy and completeness '
         'before sending" (agency-sops)'),
    ],
)
def test_a_copied_passage_fails_a_real_build(tmp_path: Path, public: str, restricted: str,
                                             reported: str | None) -> None:
    result = _build(_project(tmp_path, public, restricted))
    if reported is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "copy check" in result.stderr and reported in result.stderr, result.stderr


def test_an_unknown_source_fails_a_real_build(tmp_path: Path) -> None:
    project = _project(tmp_path, "Fine.", "Fine.")
    page = project / "docs" / "index.md"
    page.write_text(page.read_text().replace("agency-sops: [Billing]", "agency-sops: [Payroll]"))
    result = _build(project)
    assert result.returncode != 0
    assert "index.md: sources: agency-sops: unknown section 'Payroll'" in result.stderr
