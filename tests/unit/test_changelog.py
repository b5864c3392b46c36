"""CHANGELOG.md keeps the Keep a Changelog layout, and names the release pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
RELEASE = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})$")


def releases(text: str) -> list[tuple[str, list[str]]]:
    """Each ``## `` heading with the ``### `` headings under it, in order; anything else outside an entry's
    list is refused by the callers' assertions."""
    found: list[tuple[str, list[str]]] = []
    for line in text.splitlines():
        if line.startswith("## "):
            found.append((line, []))
        elif line.startswith("### "):
            assert found, f"{line!r} before any release"
            found[-1][1].append(line[4:])
        elif re.match(r"#{1,6} ", line) and line != "# Changelog":
            raise AssertionError(f"a heading Keep a Changelog has no place for: {line!r}")
    return found


def test_the_changelog_has_keep_a_changelogs_layout() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert text.startswith("# Changelog\n")
    found = releases(text)
    assert found[0][0] == "## [Unreleased]"
    versions = []
    for heading, kinds in found[1:]:
        match = RELEASE.match(heading)
        assert match, f"a release heading is '## [x.y.z] - YYYY-MM-DD', not {heading!r}"
        date.fromisoformat(match["date"])
        versions.append(tuple(int(part) for part in match["version"].split(".")))
        assert set(kinds) <= set(KINDS), kinds
    assert versions == sorted(versions, reverse=True), "newest release first"
    for heading, kinds in found:
        assert len(kinds) == len(set(kinds)), f"{heading}: a kind of change listed twice"
        assert set(kinds) <= set(KINDS), f"{heading}: {kinds}"


def test_the_changelog_names_the_declared_release() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, flags=re.MULTILINE)


def test_the_layout_check_refuses_what_keep_a_changelog_does_not_allow() -> None:
    good = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- x\n\n## [0.1.0] - 2026-12-07\n"
    assert [heading for heading, _ in releases(good)] == ["## [Unreleased]", "## [0.1.0] - 2026-12-07"]
    for bad in ("## [Unreleased]\n#### Notes\n", "### Added\n## [Unreleased]\n"):
        try:
            releases(bad)
        except AssertionError:
            continue
        raise AssertionError(f"accepted: {bad!r}")
