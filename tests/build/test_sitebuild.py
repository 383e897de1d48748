"""``sop-portal build`` (gate/sitebuild.py): strict, checked, atomic; a failed build changes
nothing that is served; a new build reaches readers without a restart."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from gate import sitebuild
from tests.conftest import ROOT, build_targets

CALC_PAGE = """---
title: Your first invoice
access: [clients]
summary: The go-live credit on an example.
---

A $2,000 service that goes live on 7 January is credited
[[calc prorate monthly_fee=2000 go_live=2026-01-07 show=credit]] on its first invoice.
"""
PROJECT_PARTS = ("mkdocs.yml", "mkdocs.members.yml", "docs", "restricted", "hooks", "overrides",
                 "sources", "includes", "gate/newsletter/newsletter_map.toml")


def copy_project(target: Path) -> Path:
    """The parts of the project a build reads, copied under ``target``."""
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)
    return target


def targets_in(project: Path) -> sitebuild.Targets:
    targets = build_targets(project / "out", project / "restricted")
    return sitebuild.Targets(project / "mkdocs.yml", project / "mkdocs.members.yml",
                             targets.restricted_dir, targets.site_dir, targets.members_dir)


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (links followed) and the SHA-256 of its bytes."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file()
    }


@pytest.fixture(scope="module")
def golden(tmp_path_factory) -> Path:
    """A copy of the project, with a calculator marker on a restricted page, built once."""
    project = copy_project(tmp_path_factory.mktemp("golden"))
    (project / "restricted" / "clients" / "first-invoice.md").write_text(CALC_PAGE, "utf-8")
    sitebuild.build_sites(targets_in(project))
    return project


@pytest.fixture
def project(golden, tmp_path) -> Path:
    """A fresh copy of the built golden project (its builds and links included)."""
    return Path(shutil.copytree(golden, tmp_path / "project", symlinks=True))


def test_targets_are_links_to_the_new_builds(project):
    targets = targets_in(project)
    for target in (targets.site_dir, targets.members_dir):
        assert target.is_symlink()
        assert (target / "index.html").is_file()
    assert (targets.members_dir / ".catalogue.json").is_file()


def test_a_calculator_marker_on_a_restricted_page_gives_the_engines_figure(project):
    page = (targets_in(project).members_dir / "clients" / "first-invoice" / "index.html")
    text = page.read_text(encoding="utf-8")
    assert "387.10" in text
    assert "[[calc" not in text


def _break_marker(project: Path) -> None:
    page = project / "restricted" / "clients" / "first-invoice.md"
    page.write_text(CALC_PAGE.replace("show=credit", "show=nothing"), encoding="utf-8")


def _plant_leak(project: Path) -> None:
    body = (project / "restricted" / "clients" / "fluent-boards.md").read_text("utf-8")
    sentence = next(line for line in body.split("\n\n")[2:] if len(line.split()) > 12)
    with (project / "docs" / "index.md").open("a", encoding="utf-8") as page:
        page.write("\n\n" + sentence + "\n")


def _broken_link(project: Path) -> None:
    with (project / "docs" / "glossary.md").open("a", encoding="utf-8") as page:
        page.write("\n\nSee [the missing page](no-such-page.md).\n")


def _broken_front_matter(project: Path) -> None:
    (project / "restricted" / "clients" / "new.md").write_text(
        "---\ntitle: New\naccess: [everyone]\n---\nBody\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_break_marker, "first-invoice.md"),
        (_plant_leak, "leak check failed"),
        (_broken_link, "no-such-page.md"),
        (_broken_front_matter, "clients/new.md: unknown audience 'everyone'"),
    ],
    ids=["bad-marker", "planted-leak", "broken-link", "unknown-audience"],
)
def test_a_failed_build_leaves_what_is_served_unchanged(project, damage, reason, caplog):
    targets = targets_in(project)
    before = [fingerprint(targets.site_dir), fingerprint(targets.members_dir)]
    links = [t.resolve() for t in (targets.site_dir, targets.members_dir)]
    damage(project)
    with pytest.raises(sitebuild.BuildError) as failure:
        sitebuild.build_sites(targets)
    assert reason in str(failure.value) + caplog.text
    assert [t.resolve() for t in (targets.site_dir, targets.members_dir)] == links
    assert [fingerprint(targets.site_dir), fingerprint(targets.members_dir)] == before
    builds = project / "out" / sitebuild.BUILDS_DIR
    assert len(list(builds.iterdir())) == 2  # the failed build's folders are gone


def test_publish_keeps_the_previous_build_and_removes_older(tmp_path):
    target = tmp_path / "site"
    target.mkdir()
    (target / "index.html").write_text("first, a plain folder", encoding="utf-8")
    contents = []
    for number in range(4):
        staged = sitebuild.staging_dir(target)
        (staged / "index.html").write_text(f"build {number}", encoding="utf-8")
        sitebuild.publish(staged, target)
        contents.append((target / "index.html").read_text(encoding="utf-8"))
    assert contents == ["build 0", "build 1", "build 2", "build 3"]
    assert len(list((tmp_path / sitebuild.BUILDS_DIR).iterdir())) == sitebuild.KEEP_BUILDS


def test_the_build_command_fails_with_the_reason(project, tmp_path):
    from gate import create_app
    from gate.cli import main
    from tests.members.conftest import members_config

    _broken_front_matter(project)
    targets = targets_in(project)
    config = members_config(tmp_path, targets, MKDOCS_CONFIG=str(targets.public_config),
                            MEMBERS_MKDOCS_CONFIG=str(targets.members_config))
    result = create_app(config).test_cli_runner().invoke(main, ["build"])
    assert result.exit_code == 1
    assert "unknown audience 'everyone'" in result.output
    assert "left as they were" in result.output


def test_a_new_build_reaches_readers_without_a_restart(project, tmp_path):
    from gate import create_app
    from tests.members.conftest import Members, members_config

    targets = targets_in(project)
    members = Members(create_app(members_config(tmp_path, targets)))
    client = members.client("client")
    assert b"387.10" in client.get("/members/clients/first-invoice/").data
    page = project / "restricted" / "clients" / "first-invoice.md"
    page.write_text(CALC_PAGE.replace("2026-01-07", "2026-01-22"), encoding="utf-8")
    sitebuild.build_sites(targets)
    assert b"1,354.84" in client.get("/members/clients/first-invoice/").data
