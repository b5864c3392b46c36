"""SECURITY.md's round-three table names the test behind each case: every test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Hostile networks and hostile input, round three"


def named_tests() -> list[tuple[str, str]]:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert SECTION in text
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", section)


def test_every_row_names_a_test() -> None:
    rows = named_tests()
    body = (ROOT / "SECURITY.md").read_text(encoding="utf-8").split(SECTION, 1)[1]
    table = [line for line in body.splitlines() if line.startswith("| ") and not line.startswith("| tried")]
    assert table and all("`tests/" in line for line in table), "a row without its test"
    assert len(rows) >= len(table)


def test_every_test_named_exists() -> None:
    missing = [
        f"{path}::{name}"
        for path, name in named_tests()
        if not (ROOT / path).is_file()
        or not re.search(rf"^(async )?def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert missing == []
