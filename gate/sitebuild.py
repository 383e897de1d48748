"""``sop-portal build``: both sites built by MkDocs, checked, then put in place atomically.

1. The members site (``mkdocs.members.yml``: ``RESTRICTED_DIR`` with the public theme,
   extensions and hooks) is built into a new folder beside ``MEMBERS_SITE_DIR``; its hook
   refuses broken content and writes the catalogue.
2. The public site is built into a new folder beside ``SITE_DIR``; its teaser list reads the
   new catalogue.
3. The leak check (:mod:`gate.leaks`) compares the two.
4. Only then each target is switched to its new folder: the target is a symbolic link, replaced
   in one ``rename``, so a reader sees the old build or the new one, never a mix and never
   nothing. The previous build is kept (requests in flight finish on it); older ones go.

Both MkDocs builds run in this process with ``strict`` on and MkDocs' logger at WARNING, so a
single warning (a broken link, say) fails the build, whatever the log level elsewhere. They run
in the folder of their configuration file, as ``mkdocs build`` does from the project (the
snippets' ``base_path`` is relative to it). Any failure raises :class:`BuildError` and leaves
both targets exactly as they were.

MkDocs is imported inside :func:`run_mkdocs` only: the gate itself never loads it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gate import leaks
from gate.exceptions import GateError

BUILDS_DIR = ".sop-builds"
KEEP_BUILDS = 2


class BuildError(GateError):
    """The build or one of its checks failed; the message says why."""


@dataclass(frozen=True)
class Targets:
    """What to build from and where it goes (absolute paths)."""

    public_config: Path
    members_config: Path
    restricted_dir: Path
    site_dir: Path
    members_dir: Path


def run_mkdocs(config_file: Path, site_dir: Path, *, docs_dir: Path | None = None,
               extra: dict[str, str] | None = None) -> None:
    """Build one MkDocs site into ``site_dir`` in strict mode; BuildError on any problem."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    logger = logging.getLogger("mkdocs")
    logger.setLevel(logging.WARNING)
    problems = _Problems()
    logger.addHandler(problems)
    logger.propagate = False  # the reasons are in the BuildError, said once
    try:
        with contextlib.chdir(config_file.parent):
            config = load_config(str(config_file), site_dir=str(site_dir), strict=True,
                                 docs_dir=str(docs_dir) if docs_dir is not None else None)
            config.extra.update(extra or {})
            config.plugins.on_startup(command="build", dirty=False)
            try:
                build(config)
            finally:
                config.plugins.on_shutdown()
    except (MkDocsException, SystemExit) as exc:
        raise BuildError(problems.explain(config_file, str(exc))) from exc
    except Exception as exc:  # noqa: BLE001 - a Markdown extension's own error, say
        raise BuildError(problems.explain(config_file, f"{type(exc).__name__}: {exc}")) from exc
    finally:
        logger.removeHandler(problems)
        logger.propagate = True


class _Problems(logging.Handler):
    """The warnings and errors MkDocs logged during one build (the reasons it failed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname.lower()}: {record.getMessage()}")

    def explain(self, config_file: Path, outcome: str) -> str:
        """What went wrong, the logged reasons first."""
        return "\n".join([f"{config_file.name}: {outcome or 'the build failed'}", *self.lines])


def staging_dir(target: Path) -> Path:
    """A new, empty folder for the next build of ``target`` (beside it, same file system)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = target.parent / BUILDS_DIR / f"{target.name}-{stamp}-{secrets.token_hex(4)}"
    folder.mkdir(parents=True)
    return folder


def publish(staged: Path, target: Path) -> None:
    """Point ``target`` at ``staged`` in one rename; keep the previous build, drop older."""
    link = target.parent / f".{target.name}.next-{secrets.token_hex(4)}"
    os.symlink(os.path.relpath(staged, target.parent), link)
    if target.is_dir() and not target.is_symlink():  # a folder from before atomic builds
        target.rename(staged.parent / f"{target.name}-previous-{secrets.token_hex(4)}")
    os.replace(link, target)
    _prune(staged.parent, target.name, keep={staged})


def _prune(builds: Path, name: str, keep: set[Path]) -> None:
    """Remove all but the newest :data:`KEEP_BUILDS` builds of ``name``."""
    mine = sorted(
        (p for p in builds.iterdir() if p.name.startswith(name + "-") and p.is_dir()),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    for old in mine[KEEP_BUILDS:]:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)


def build_sites(targets: Targets) -> None:
    """Build, check and publish both sites (see the module docstring)."""
    members = staging_dir(targets.members_dir)
    public = staging_dir(targets.site_dir)
    try:
        run_mkdocs(targets.members_config, members, docs_dir=targets.restricted_dir)
        catalogue = str(members / ".catalogue.json")
        run_mkdocs(targets.public_config, public, extra={"members_catalogue": catalogue})
        problems = leaks.find(public, members)
        if problems:
            raise BuildError("leak check failed:\n" + "\n".join(problems))
    except BaseException:
        shutil.rmtree(members, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)
        raise
    publish(members, targets.members_dir)
    publish(public, targets.site_dir)
