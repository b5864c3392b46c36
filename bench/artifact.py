"""What a Lambda zip holds: its size zipped and unzipped, its files grouped into contributors (top-level
packages), by kind, and its largest files. Used for our artifact in every run and for the plain bundle
when its baseline is re-measured (bench/plain.py); pure, apart from reading the zip."""

from __future__ import annotations

import zipfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TOP_FILES = 10
AWS_SDK_TOPS = ("boto3", "botocore", "s3transfer")
# Top-level directories several distributions share: grouped one level deeper, so tencentcloud-sdk-python's
# live models (tencentcloud/live) and its common client (tencentcloud/common) show apart.
SPLIT_TOPS = frozenset({"tencentcloud"})
METADATA = "*.dist-info"  # every distribution's metadata folder, counted as one contributor
KINDS = ("bytecode (.pyc)", "native (.so)", "Python source (.py)", "metadata (*.dist-info)", "other")


@dataclass(frozen=True)
class Entry:
    name: str
    size: int  # unzipped bytes
    compressed: int  # bytes of compressed data in the zip (headers excluded)


@dataclass(frozen=True)
class Contributor:
    name: str
    files: int
    unzipped: int
    zipped: int


@dataclass
class Artifact:
    zipped: int  # the .zip file's size
    unzipped: int  # the sum of its files' sizes
    files: int
    contributors: list[Contributor]  # largest (unzipped) first
    top_files: list[Entry]
    kinds: dict[str, tuple[int, int]]  # kind -> (unzipped, zipped), in KINDS order

    def contributor(self, name: str) -> Contributor:
        return next((c for c in self.contributors if c.name == name), Contributor(name, 0, 0, 0))

    def as_data(self) -> dict[str, Any]:
        data = asdict(self)
        data["kinds"] = {k: list(v) for k, v in self.kinds.items()}
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Artifact:
        """The inverse of ``as_data`` (a recorded baseline)."""
        return cls(
            zipped=data["zipped"],
            unzipped=data["unzipped"],
            files=data["files"],
            contributors=[Contributor(**c) for c in data["contributors"]],
            top_files=[Entry(**e) for e in data["top_files"]],
            kinds={k: (v[0], v[1]) for k, v in data["kinds"].items()},
        )


def _is_metadata(name: str) -> bool:
    return "/" in name and name.split("/", 1)[0].endswith((".dist-info", ".egg-info"))


def contributor_key(name: str) -> str:
    """The contributor a file belongs to: its top-level package directory (two levels for SPLIT_TOPS),
    METADATA for a distribution's metadata, the module for a top-level module file, else the file name."""
    parts = name.split("/")
    if _is_metadata(name):
        return METADATA
    if len(parts) == 1:
        return name.split(".", 1)[0] if name.endswith((".py", ".so", ".pyd")) else name
    if parts[0] in SPLIT_TOPS and len(parts) > 2 and parts[1] != "__pycache__":
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


def group(entries: Iterable[Entry]) -> list[Contributor]:
    """Entries grouped into contributors, largest (unzipped) first."""
    files: Counter[str] = Counter()
    unzipped: Counter[str] = Counter()
    zipped: Counter[str] = Counter()
    for e in entries:
        key = contributor_key(e.name)
        files[key] += 1
        unzipped[key] += e.size
        zipped[key] += e.compressed
    found = [Contributor(k, files[k], unzipped[k], zipped[k]) for k in files]
    return sorted(found, key=lambda c: (-c.unzipped, c.name))


def kind_of(name: str) -> str:
    if _is_metadata(name):
        return "metadata (*.dist-info)"
    if name.endswith((".pyc", ".pyo")):
        return "bytecode (.pyc)"
    if name.endswith((".so", ".pyd")) or ".so." in name.rsplit("/", 1)[-1]:
        return "native (.so)"
    if name.endswith((".py", ".pyi")):
        return "Python source (.py)"
    return "other"


def kinds(entries: Iterable[Entry]) -> dict[str, tuple[int, int]]:
    """Unzipped and zipped bytes per kind of file, in KINDS order."""
    unzipped: Counter[str] = Counter()
    zipped: Counter[str] = Counter()
    for e in entries:
        unzipped[kind_of(e.name)] += e.size
        zipped[kind_of(e.name)] += e.compressed
    return {k: (unzipped[k], zipped[k]) for k in KINDS}


def read(path: Path) -> Artifact:
    with zipfile.ZipFile(path) as z:
        entries = [Entry(i.filename, i.file_size, i.compress_size) for i in z.infolist() if not i.is_dir()]
    return Artifact(
        zipped=path.stat().st_size,
        unzipped=sum(e.size for e in entries),
        files=len(entries),
        contributors=group(entries),
        top_files=sorted(entries, key=lambda e: (-e.size, e.name))[:TOP_FILES],
        kinds=kinds(entries),
    )


def versions(path: Path) -> list[str]:
    """``name==version`` of the distributions whose metadata ships (a bundle built without ``slim``)."""
    with zipfile.ZipFile(path) as z:
        tops = {n.split("/", 1)[0] for n in z.namelist() if "/" in n}
    return sorted(
        "==".join(t.removesuffix(".dist-info").rsplit("-", 1)) for t in tops if t.endswith(".dist-info")
    )


def aws_sdk_present(artifact: Artifact) -> list[str]:
    return sorted(c.name for c in artifact.contributors if c.name in AWS_SDK_TOPS)
