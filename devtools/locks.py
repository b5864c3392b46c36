"""The dependency locks (requirements/, written by `make lock`) read as data and held to pyproject.toml.

``pins`` parses uv's requirements output (continuation lines, ``--hash`` options, ``# via`` annotations);
``problems`` says how a lock disagrees with the ranges it was resolved from; ``target`` reads the Python
version and platform a lock was resolved for from its header. tests/unit/test_locks.py runs them on the
committed locks; a lock made by hand or left stale after editing pyproject.toml fails there.
"""

from __future__ import annotations

import re
import shlex
from typing import NamedTuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# uv's annotation for what pyproject.toml asks for itself (the rest are someone's dependencies)
TOP_LEVEL = "(pyproject.toml)"


class Pin(NamedTuple):
    name: str  # canonical (PEP 503)
    spec: str  # as written: "==1.2.3" for a pin
    marker: str  # "" when it applies everywhere
    hashes: int
    top_level: bool


def _entries(text: str) -> list[tuple[str, list[str]]]:
    """Each requirement line (continuations joined) with the annotation lines that follow it."""
    entries: list[tuple[str, list[str]]] = []
    for line in text.replace("\\\n", " ").splitlines():
        stripped = line.strip()
        if not stripped or line.startswith("#"):
            continue  # blank, or the header
        if stripped.startswith("#"):
            if entries:
                entries[-1][1].append(stripped)
            continue
        entries.append((stripped, []))
    return entries


def pins(text: str) -> list[Pin]:
    found = []
    for line, notes in _entries(text):
        if line.startswith("-"):
            continue  # an option line (--index-url, ...): nothing to pin
        requirement, *hashes = line.split(" --hash=")
        req = Requirement(requirement.strip())
        found.append(
            Pin(
                name=canonicalize_name(req.name),
                spec=str(req.specifier),
                marker=str(req.marker or ""),
                hashes=len(hashes),
                top_level=any(TOP_LEVEL in note for note in notes),
            )
        )
    return found


def _pinned_version(pin: Pin) -> Version | None:
    match = re.fullmatch(r"==([^,*]+)", pin.spec)
    if match is None:
        return None
    try:
        return Version(match.group(1))
    except InvalidVersion:
        return None


def problems(text: str, declared: list[str], *, hashed: bool) -> list[str]:
    """How the lock ``text`` disagrees with the ``declared`` requirements (pyproject.toml's), if at all."""
    try:
        locked = pins(text)
    except InvalidRequirement as exc:
        return [f"unreadable line: {exc}"]
    found: list[str] = []
    wanted = {canonicalize_name(Requirement(d).name): Requirement(d) for d in declared}
    for pin in locked:
        if _pinned_version(pin) is None:
            found.append(f"{pin.name}{pin.spec} is not pinned to one version")
        if hashed and pin.hashes == 0:
            found.append(f"{pin.name} has no hash")
        if pin.top_level and pin.name not in wanted:
            found.append(f"{pin.name} is at the lock's top level but not in pyproject.toml")
    for name, req in wanted.items():
        mine = [pin for pin in locked if pin.name == name]
        if not any(pin.top_level for pin in mine):
            found.append(f"{req} (pyproject.toml) is not at the lock's top level")
        for pin in mine:
            version = _pinned_version(pin)
            if version is not None and not req.specifier.contains(version, prereleases=True):
                found.append(f"{name}{pin.spec} does not satisfy pyproject.toml's {req}")
    return found


def target(text: str) -> dict[str, str]:
    """The options the lock's header records (uv's command line): --python-version, --python-platform, ..."""
    for line in text.splitlines():
        words = shlex.split(line.lstrip("# "))
        if words[:3] == ["uv", "pip", "compile"]:
            return {
                word: value
                for word, value in zip(words, [*words[1:], ""], strict=True)
                if word.startswith("--") and not value.startswith("-")
            }
    return {}
