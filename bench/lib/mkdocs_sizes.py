"""``mkdocs build`` timings: the real site, and generated sites of any number of pages.

A generated site inherits the real ``mkdocs.yml`` (``INHERIT``: same theme, features,
extensions, plugins and hooks) and replaces only ``docs_dir``, ``site_dir`` and ``nav``, so
the time per page measures the project's own settings (``navigation.prune`` above all). The
navigation is a tree, as a real large site's would be: groups of 10 sections of 10 pages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES_PER_SECTION = 10
SECTIONS_PER_GROUP = 10


@dataclass
class BuildTime:
    """One timed build."""

    pages: int
    seconds: float

    @property
    def per_page_ms(self) -> float:
        return 1000.0 * self.seconds / max(self.pages, 1)


def count_pages(site_dir: Path) -> int:
    """HTML pages in a built site (the 404 page excluded)."""
    return sum(1 for p in site_dir.rglob("*.html") if p.name != "404.html")


def time_build(config: Path, site_dir: Path) -> BuildTime:
    """Run ``mkdocs build --strict`` for ``config`` into ``site_dir`` and time it."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    argv = [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean", "-q",
            "-f", str(config), "-d", str(site_dir)]
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,  # noqa: S603
                            check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"mkdocs build of {config} failed:\n{result.stderr[-3000:]}")
    return BuildTime(count_pages(site_dir), seconds)


def page_text(number: int, following: int) -> str:
    """A page of about 2.5 KB in the site's dialect: headings, a table, a list, an admonition."""
    return f"""# Procedure {number:04d}

This generated procedure stands in for a real SOP page. It describes how a request is taken
in, checked, scheduled and closed, so that the page has the length and the structure of the
pages the team writes by hand, with a table, lists, an admonition and a code sample.

## When to use it

Use this procedure when a client asks for a change that touches billing, onboarding or the
task board. Read the whole page first; the steps build on each other.

| step | owner | time |
| --- | --- | --- |
| take the request in | account manager | same day |
| check the account type | billing | one business day |
| schedule the work | project lead | two business days |
| close and invoice | billing | at the next run |

## Steps

1. Record the request on the task board with the client's name and the date.
2. Check the client's account type and payment terms before promising a date.
3. Agree the schedule with the project lead and tell the client in writing.
4. When the work is signed off, move the card to the billing column.

!!! note "Before you close the card"
    Make sure the time entries are complete: the weekly run invoices what is recorded
    by Friday at 14:00, nothing later.

```text
request -> check -> schedule -> deliver -> sign-off -> invoice
```

- Related: [the next procedure](procedure-{following:04d}.md)
- Back to [the home page](../index.md)
"""


def generate_site(pages: int, folder: Path) -> Path:
    """Write a ``pages``-page site under ``folder``; return its ``mkdocs.yml``."""
    docs = folder / "docs"
    shutil.copytree(ROOT / "docs", docs, ignore=shutil.ignore_patterns("*.md"))
    for name in ("overrides", "hooks", "sources", "includes"):
        if (ROOT / name).exists():
            (folder / name).symlink_to(ROOT / name)
    section_dirs = []
    (docs / "index.md").write_text("# Generated site\n\nA benchmark site.\n", encoding="utf-8")
    for number in range(1, pages + 1):
        section = (number - 1) // PAGES_PER_SECTION + 1
        sub = docs / f"section-{section:03d}"
        sub.mkdir(exist_ok=True)
        if sub not in section_dirs:
            section_dirs.append(sub)
        # "next" links only within the section, so every link resolves
        first = (section - 1) * PAGES_PER_SECTION + 1
        last = min(section * PAGES_PER_SECTION, pages)
        text = page_text(number, number + 1 if number < last else first)
        (sub / f"procedure-{number:04d}.md").write_text(text, encoding="utf-8")
    nav_lines = ["nav:", "  - Home: index.md"]
    for index, sub in enumerate(section_dirs):
        if index % SECTIONS_PER_GROUP == 0:
            nav_lines.append(f"  - Group {index // SECTIONS_PER_GROUP + 1}:")
        nav_lines.append(f"      - {sub.name.replace('-', ' ').title()}:")
        for page in sorted(sub.glob("*.md")):
            nav_lines.append(f"          - {page.stem}: {sub.name}/{page.name}")
    config = folder / "mkdocs.yml"
    config.write_text(
        "\n".join([f"INHERIT: {ROOT / 'mkdocs.yml'}", f"docs_dir: {docs}",
                   f"site_dir: {folder / 'site'}", *nav_lines]) + "\n",
        encoding="utf-8",
    )
    return config


def time_generated(pages: int, work: Path) -> BuildTime:
    """Generate a ``pages``-page site under ``work`` and time its build."""
    folder = work / f"generated-{pages}"
    folder.mkdir()
    try:
        config = generate_site(pages, folder)
        return time_build(config, folder / "site")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(a) for a in sys.argv[1:] or ["200"]):
            t = time_generated(n, Path(tmp))
            print(f"{t.pages} pages: {t.seconds:.2f} s, {t.per_page_ms:.1f} ms per page")
