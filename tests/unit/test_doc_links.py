"""The files the documentation and serverless.yml point a reader to exist, and so do the sections: a
pointer to a missing DEPLOYING.md stood at the top of serverless.yml until #28."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "DEPLOYING.md", "CHANGELOG.md", "ARCHITECTURE.md", "SECURITY.md")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)  # not code comments
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def broken_links(doc: Path) -> list[str]:
    """The relative links of ``doc`` whose file, or whose section in that file, does not exist."""
    broken = []
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        file, _, anchor = target.partition("#")
        path = (doc.parent / file) if file else doc
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    return broken


@pytest.mark.parametrize("name", DOCS)
def test_every_relative_link_of_the_docs_leads_somewhere(name: str) -> None:
    assert broken_links(ROOT / name) == []


def test_every_file_serverless_yml_names_exists() -> None:
    text = (ROOT / "serverless.yml").read_text(encoding="utf-8")
    named = set(re.findall(r"(?<![\w/.-])([\w/-]+\.md)\b", text))
    named |= {path.removeprefix("./") for path in re.findall(r"\./[\w/.-]+\.\w+", text)}
    assert "DEPLOYING.md" in named and "devtools/serverless-precompile.js" in named
    assert sorted(path for path in named if not (ROOT / path).exists()) == []


def test_a_missing_file_or_section_is_found(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    (tmp_path / "there.md").write_text("# There\n\n## A section (v3)\n", encoding="utf-8")
    doc.write_text(
        "[a](there.md) [b](there.md#a-section-v3) [c](gone.md) [d](there.md#nowhere) [e](https://x.example/y)",
        encoding="utf-8",
    )
    assert broken_links(doc) == ["gone.md", "there.md#nowhere"]
