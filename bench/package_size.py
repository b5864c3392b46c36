"""Package size: the ``serverless package`` artifact, zipped and unzipped, per function, with its largest
contributors, side by side with the plain ``serverless-python-requirements`` bundle of the same four runtime
packages (plugin defaults, no trimming), built in the same run in a temporary project.

``python -m bench.package_size [--smoke]``; ``--smoke`` skips the plain build and reuses an existing
``.serverless`` artifact when there is one (building it otherwise)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import ROOT, Goal, Section, machine, table

GOAL_RATIO = 0.6
TOP_CONTRIBUTORS = 12
TOP_FILES = 10
# What the issue calls the naive bundle: these four, with the repo's version ranges (the fallback ranges
# are used only if the repo's requirements.txt no longer lists one of them).
PLAIN_PACKAGES: dict[str, str] = {
    "tencentcloud-sdk-python-common": ">=3.1,<4",
    "tencentcloud-sdk-python-live": ">=3.1,<4",
    "pydantic": ">=2.7,<3",
    "aws-lambda-powertools": ">=3,<4",
}
AWS_SDK_TOPS = ("boto3", "botocore", "s3transfer")
# Top-level directories that several distributions share (namespace-style): grouped one level deeper, so
# tencentcloud-sdk-python-live's models (tencentcloud/live) and -common (tencentcloud/common) show apart.
SPLIT_TOPS = frozenset({"tencentcloud"})
MODULE_SUFFIXES = (".py", ".so", ".pyd")
# The plain build's requirements cache: outside the repo and outside the temp project, so a second run
# needs no network (the plugin's static cache), and separate from the plugin's default cache, whose entries
# are keyed by requirements.txt alone: a slimmed entry of the repo's build could otherwise be reused here.
PLAIN_CACHE = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "liverec-bench" / "plain-sls-py"
)
SLS_ENV = {"SLS_TELEMETRY_DISABLED": "1", "SLS_NOTIFICATIONS_MODE": "off"}
# the plain bundle, kept after a full run: the cold-start benchmark runs the naive stack from it "as deployed"
PLAIN_ARTIFACT = PLAIN_CACHE.parent / "liverec-plain.zip"


# --- what an artifact holds -----------------------------------------------------------------------------


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
    path: Path
    zipped: int  # the .zip file's size
    unzipped: int  # sum of its files' sizes
    files: int
    contributors: list[Contributor]
    top_files: list[Entry]
    kinds: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (unzipped, zipped)
    problems: list[str] = field(default_factory=list)

    def share(self, contributor: Contributor) -> float:
        return contributor.unzipped / self.unzipped if self.unzipped else 0.0

    def contributor(self, name: str) -> Contributor | None:
        return next((c for c in self.contributors if c.name == name), None)

    def as_data(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "zipped_bytes": self.zipped,
            "unzipped_bytes": self.unzipped,
            "files": self.files,
            "contributors": [
                {"name": c.name, "files": c.files, "unzipped_bytes": c.unzipped, "zipped_bytes": c.zipped}
                for c in self.contributors
            ],
            "top_files": [
                {"name": e.name, "unzipped_bytes": e.size, "zipped_bytes": e.compressed}
                for e in self.top_files
            ],
            "kinds": {k: {"unzipped_bytes": u, "zipped_bytes": z} for k, (u, z) in self.kinds.items()},
            "problems": list(self.problems),
        }


def _dist_info_dir(name: str) -> str | None:
    top = name.split("/", 1)[0]
    return top if top.endswith((".dist-info", ".egg-info")) and "/" in name else None


def contributor_key(name: str) -> str:
    """The group a file belongs to, before dist-info folding: its top-level package directory (two levels
    for SPLIT_TOPS), or the module name for a top-level module file, or the file name itself."""
    parts = name.split("/")
    if len(parts) == 1:
        return name.split(".", 1)[0] if name.endswith(MODULE_SUFFIXES) else name
    if parts[0] in SPLIT_TOPS and len(parts) > 2:
        return f"{parts[0]}/{parts[1]}"
    return parts[0]


def _dist_name(dist_info: str) -> str:
    stem = dist_info.rsplit(".", 1)[0]  # name-version
    return stem.split("-", 1)[0]


def dist_info_owner(dist_info: str, metadata: Mapping[str, str], known: Iterable[str]) -> str:
    """The contributor a ``*.dist-info`` folder folds into: the group most of its RECORD's files belong to,
    else its top_level.txt, else its normalized distribution name, else itself."""
    record = metadata.get(f"{dist_info}/RECORD", "")
    votes: Counter[str] = Counter()
    for line in record.splitlines():
        path = line.split(",", 1)[0].strip()
        if not path or path.startswith(("..", "/")) or _dist_info_dir(path):
            continue
        votes[contributor_key(path)] += 1
    if votes:
        return votes.most_common(1)[0][0]
    known_set = set(known)
    for top in metadata.get(f"{dist_info}/top_level.txt", "").split():
        if top in known_set:
            return top
    guess = _dist_name(dist_info).lower().replace("-", "_").replace(".", "_")
    return guess if guess in known_set else dist_info


def group(entries: Sequence[Entry], metadata: Mapping[str, str]) -> list[Contributor]:
    """Entries grouped into contributors, largest (unzipped) first; ``metadata`` holds the text of the
    dist-info RECORD / top_level.txt files, by name."""
    keys = {e.name: contributor_key(e.name) for e in entries}
    known = {k for n, k in keys.items() if not _dist_info_dir(n)}
    owners: dict[str, str] = {}
    for e in entries:
        dist_info = _dist_info_dir(e.name)
        if dist_info is not None:
            if dist_info not in owners:
                owners[dist_info] = dist_info_owner(dist_info, metadata, known)
            keys[e.name] = owners[dist_info]
    files: Counter[str] = Counter()
    unzipped: Counter[str] = Counter()
    zipped: Counter[str] = Counter()
    for e in entries:
        key = keys[e.name]
        files[key] += 1
        unzipped[key] += e.size
        zipped[key] += e.compressed
    found = [Contributor(k, files[k], unzipped[k], zipped[k]) for k in files]
    return sorted(found, key=lambda c: (-c.unzipped, c.name))


KINDS = ("bytecode (.pyc)", "native (.so)", "Python source (.py)", "metadata (*.dist-info)", "other")


def kind_of(name: str) -> str:
    if _dist_info_dir(name):
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


def read_entries(path: Path) -> tuple[list[Entry], dict[str, str]]:
    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        metadata = {
            i.filename: z.read(i).decode("utf-8", "replace")
            for i in infos
            if _dist_info_dir(i.filename) and i.filename.endswith(("/RECORD", "/top_level.txt"))
        }
    return [Entry(i.filename, i.file_size, i.compress_size) for i in infos], metadata


def measure(path: Path, handlers: Sequence[str] = ()) -> Artifact:
    """Sizes, contributors, largest files and the packaging checks of one artifact. ``handlers``: the
    handler files this artifact must hold (its functions'); devtools.check_package's list of all four
    applies only to a shared artifact, so 'missing' reports for other functions' handlers are dropped."""
    from devtools.check_package import problems

    entries, metadata = read_entries(path)
    found, _ = problems(path)
    if handlers:
        names = {e.name for e in entries}
        found = [p for p in found if not p.startswith("handler missing:")]
        found += [f"handler missing: {h}" for h in handlers if h not in names]
    contributors = group(entries, metadata)
    flagged = " ".join(found)
    found += [
        f"must not ship: {c.name} ({c.files} files)"
        for c in contributors
        if c.name in AWS_SDK_TOPS and f"must not ship: {c.name}/" not in flagged
    ]
    return Artifact(
        path=path,
        zipped=path.stat().st_size,
        unzipped=sum(e.size for e in entries),
        files=len(entries),
        contributors=contributors,
        top_files=sorted(entries, key=lambda e: (-e.size, e.name))[:TOP_FILES],
        kinds=kinds(entries),
        problems=found,
    )


# --- which artifact each function deploys ----------------------------------------------------------------


def _load_yaml(text: str) -> Any:
    import yaml  # type: ignore[import-untyped,unused-ignore]

    class Loader(yaml.SafeLoader):  # type: ignore[misc,name-defined,unused-ignore]
        """SafeLoader that reads CloudFormation short forms (!GetAtt, !Ref, ...) as plain values."""

    def _any_tag(loader: Any, _suffix: str, node: Any) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node)

    Loader.add_multi_constructor("!", _any_tag)
    return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True)
class FunctionArtifact:
    function: str
    handler_file: str  # e.g. functions/tasks/handler.py
    artifact: Path  # relative to the service directory


def function_artifacts(serverless_yml: str) -> list[FunctionArtifact]:
    """Each function with the artifact ``serverless package`` writes for it: ``.serverless/<service>.zip``
    shared by all, or ``.serverless/<function>.zip`` with ``package.individually`` (service- or
    function-level), or the function's own ``package.artifact``."""
    doc = _load_yaml(serverless_yml) or {}
    service = doc.get("service")
    service_name = str(service.get("name") if isinstance(service, dict) else service)
    package = doc.get("package") or {}
    individually = bool(package.get("individually", False))
    shared_artifact = package.get("artifact")
    found = []
    for name, raw in (doc.get("functions") or {}).items():
        spec = raw or {}
        if spec.get("image"):
            continue  # container images are not zip artifacts
        own = spec.get("package") or {}
        if own.get("artifact"):
            artifact = Path(own["artifact"])
        elif individually or own.get("individually"):
            artifact = Path(".serverless") / f"{name}.zip"
        elif shared_artifact:
            artifact = Path(shared_artifact)
        else:
            artifact = Path(".serverless") / f"{service_name}.zip"
        handler = str(spec.get("handler", ""))
        handler_file = handler.rsplit(".", 1)[0] + ".py" if handler else ""
        found.append(FunctionArtifact(str(name), handler_file, artifact))
    return found


# --- ratios and goals --------------------------------------------------------------------------------------


def mb(n: int | None) -> str:
    return "–" if n is None else f"{n / 1e6:.1f} MB"


def ratio(ours: int | None, plain: int | None) -> float | None:
    return ours / plain if ours is not None and plain else None


def size_goal(what: str, ours: int | None, plain: int | None, limit: float = GOAL_RATIO) -> Goal:
    r = ratio(ours, plain)
    if r is None or ours is None or plain is None:
        measured = f"{mb(ours)} (plain not measured in this run)"
        return Goal(f"package {what}", f"<= {limit}x plain", measured, None)
    measured = f"{mb(ours)} vs {mb(plain)} plain = {r:.2f}x"
    return Goal(f"package {what}", f"<= {limit}x plain", measured, ours <= limit * plain)


def aws_sdk_goal(artifacts: Sequence[Artifact]) -> Goal:
    present = sorted({c.name for a in artifacts for c in a.contributors if c.name in AWS_SDK_TOPS})
    measured = "absent" if not present else "present: " + ", ".join(present)
    return Goal(
        "boto3/botocore absent", "no boto3, botocore, s3transfer in the artifact", measured, not present
    )


# --- building ----------------------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    env = dict(os.environ, **SLS_ENV)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


def sls_package(cwd: Path) -> float:
    """``npx serverless package`` in ``cwd``; the seconds it took (informational)."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["npx", "serverless", "package"],  # noqa: S607 - npx from PATH, as the Makefile runs it
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise RuntimeError(f"`npx serverless package` failed in {cwd} (exit {proc.returncode}):\n{tail}")
    return time.perf_counter() - start


def _requirement_name(line: str) -> str:
    return re.split(r"[<>=!~;\[\s]", line.strip(), maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


def plain_requirements(requirements_txt: str) -> list[str]:
    """The four packages with the repo's version ranges (PLAIN_PACKAGES' where the repo dropped one)."""
    lines = {
        _requirement_name(line): line.strip()
        for line in requirements_txt.splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-"))
    }
    return [lines.get(name, f"{name}{spec}") for name, spec in PLAIN_PACKAGES.items()]


def plain_serverless_yml(repo_yml: str, cache: Path) -> str:
    """A minimal Serverless v3 project: the repo's functions (handlers only: events change nothing in the
    artifact), its runtime and architecture, the plugin with its defaults; only the requirements cache
    location is set (see PLAIN_CACHE), and node_modules (a symlink to the repo's) is kept out."""
    doc = _load_yaml(repo_yml) or {}
    provider = doc.get("provider") or {}
    functions = "".join(
        f"  {name}:\n    handler: {(spec or {}).get('handler')}\n"
        for name, spec in (doc.get("functions") or {}).items()
        if not (spec or {}).get("image")
    )
    return (
        "service: liverec-plain\n"
        'frameworkVersion: "3"\n'
        "plugins:\n  - serverless-python-requirements\n"
        "custom:\n  pythonRequirements:\n"
        f"    cacheLocation: {cache}\n"
        "provider:\n  name: aws\n"
        f"  runtime: {provider.get('runtime', 'python3.11')}\n"
        f"  architecture: {provider.get('architecture', 'x86_64')}\n"
        "  region: ap-east-1\n"
        "package:\n  excludeDevDependencies: false\n  patterns:\n    - '!node_modules/**'\n"
        f"functions:\n{functions}"
    )


def build_plain(workdir: Path, cache: Path = PLAIN_CACHE) -> tuple[Path, float, list[str]]:
    """The plain bundle, built in ``workdir`` (the caller removes it): its zip, the seconds the build took,
    and the requirements it was built from."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for code in ("functions", "shared"):
        shutil.copytree(ROOT / code, workdir / code, ignore=ignore)
    reqs = plain_requirements((ROOT / "requirements.txt").read_text())
    (workdir / "requirements.txt").write_text("\n".join(reqs) + "\n")
    (workdir / "serverless.yml").write_text(
        plain_serverless_yml((ROOT / "serverless.yml").read_text(), cache)
    )
    (workdir / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    cache.mkdir(parents=True, exist_ok=True)
    seconds = sls_package(workdir)
    return workdir / ".serverless" / "liverec-plain.zip", seconds, reqs


# --- the section -------------------------------------------------------------------------------------------


def _versions(artifact: Artifact) -> list[str]:
    """name==version of the distributions whose dist-info ships (the plain bundle keeps them; slim drops)."""
    with zipfile.ZipFile(artifact.path) as z:
        tops = {n.split("/", 1)[0] for n in z.namelist() if "/" in n}
    return sorted(
        "==".join(t.removesuffix(".dist-info").rsplit("-", 1)) for t in tops if t.endswith(".dist-info")
    )


def contributors_table(ours: Artifact, plain: Artifact | None, top: int = TOP_CONTRIBUTORS) -> str:
    """The ``top`` contributors by the larger of their two sizes, side by side, and the rest in one row."""
    sides = [a for a in (ours, plain) if a is not None]

    def size(name: str) -> int:
        return max((a.contributor(name) or Contributor(name, 0, 0, 0)).unzipped for a in sides)

    names = sorted({c.name for a in sides for c in a.contributors}, key=lambda n: (-size(n), n))[:top]

    def cells(artifact: Artifact | None, name: str | None) -> list[str]:
        if artifact is None:
            return ["–", "–", "–"]
        if name is None:  # the rest
            rest = [c for c in artifact.contributors if c.name not in names]
            c = Contributor(
                "rest", sum(r.files for r in rest), sum(r.unzipped for r in rest), sum(r.zipped for r in rest)
            )
        else:
            c = artifact.contributor(name) or Contributor(name, 0, 0, 0)
        return [f"{c.unzipped / 1e6:.1f}", f"{artifact.share(c):.0%}", f"{c.zipped / 1e6:.1f}"]

    rows = [[f"`{n}`", *cells(ours, n), *cells(plain, n)] for n in names]
    rows.append(["everything else", *cells(ours, None), *cells(plain, None)])
    headers = [
        "contributor",
        "ours unzipped MB",
        "ours share",
        "ours zipped MB",
        "plain unzipped MB",
        "plain share",
        "plain zipped MB",
    ]
    return table(headers, rows)


def kinds_table(ours: Artifact, plain: Artifact | None) -> str:
    def cells(artifact: Artifact | None, kind: str) -> list[str]:
        if artifact is None:
            return ["–", "–"]
        unzipped, zipped = artifact.kinds.get(kind, (0, 0))
        return [f"{unzipped / 1e6:.1f}", f"{zipped / 1e6:.1f}"]

    rows = [[k, *cells(ours, k), *cells(plain, k)] for k in KINDS]
    return table(["kind", "ours unzipped MB", "ours zipped MB", "plain unzipped MB", "plain zipped MB"], rows)


def files_table(artifact: Artifact) -> str:
    return table(
        ["file", "unzipped", "zipped"],
        [
            [f"`{e.name}`", f"{e.size / 1e6:.2f} MB", f"{e.compressed / 1e6:.2f} MB"]
            for e in artifact.top_files
        ],
    )


def run(smoke: bool) -> Section:
    started = time.perf_counter()
    yml = (ROOT / "serverless.yml").read_text()
    functions = function_artifacts(yml)
    paths = sorted({f.artifact for f in functions})
    build_seconds: float | None = None
    reused = smoke and all((ROOT / p).exists() for p in paths)
    if not reused:
        build_seconds = sls_package(ROOT)
    missing = [str(p) for p in paths if not (ROOT / p).exists()]
    if missing:
        have = sorted(p.name for p in (ROOT / ".serverless").glob("*.zip"))
        raise RuntimeError(f"serverless package wrote no {missing} (found {have})")
    shared = len(paths) == 1 and len(functions) > 1
    ours: dict[Path, Artifact] = {}
    for p in paths:
        handlers = () if shared else tuple(f.handler_file for f in functions if f.artifact == p)
        ours[p] = measure(ROOT / p, handlers)
    largest = max(ours.values(), key=lambda a: (a.unzipped, a.zipped))
    worst_zipped = max(a.zipped for a in ours.values())
    worst_unzipped = max(a.unzipped for a in ours.values())

    plain: Artifact | None = None
    plain_reqs: list[str] = plain_requirements((ROOT / "requirements.txt").read_text())
    plain_seconds: float | None = None
    plain_error: str | None = None
    plain_versions: list[str] = []
    if not smoke:
        with tempfile.TemporaryDirectory(prefix="liverec-plain-") as tmp:
            try:
                zip_path, plain_seconds, plain_reqs = build_plain(Path(tmp))
                shutil.copyfile(zip_path, PLAIN_ARTIFACT)
                plain = measure(zip_path)
                plain_versions = _versions(plain)
                plain.path = Path("<tmp>/.serverless") / zip_path.name  # the temp dir is gone after this
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                plain_error = str(exc)

    goals = [
        size_goal("zipped", worst_zipped, plain.zipped if plain else None),
        size_goal("unzipped", worst_unzipped, plain.unzipped if plain else None),
        aws_sdk_goal(list(ours.values())),
    ]

    # markdown
    mode = (
        "one artifact shared by all functions"
        if shared
        else "`package.individually`: one artifact per function"
    )
    method = (
        "**Method.** Ours: `PATH=.venv/bin:$PATH SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off "
        f"npx serverless package` in the repo (what `make package` runs; {mode}), then the artifact is read: "
        "zipped = the .zip file's size, unzipped = the sum of its files' sizes. "
        "Plain: in a temporary directory, a minimal Serverless v3 project with the same four functions' "
        "handlers, a copy of `functions/` and `shared/`, `plugins: [serverless-python-requirements]` with the "
        "plugin's defaults (no `slim`, no `noDeploy`, no patterns but `!node_modules/**`; only `cacheLocation` "
        f"is set, to `{PLAIN_CACHE}`, so the second run is offline and never reuses the repo's slimmed cache) "
        f"and requirements `{', '.join(plain_reqs)}`; same command, same run. "
        "Contributors: files grouped by top-level package (`tencentcloud/` one level deeper, `*.dist-info` "
        "folded into the package its RECORD lists). MB = 10^6 bytes. "
        "Reproduce: `.venv/bin/python -m bench.package_size` (`--smoke`: ours only, reusing an existing artifact)."
    )
    parts = [method]
    if reused:
        built = max((ROOT / p).stat().st_mtime for p in paths)
        when = datetime.fromtimestamp(built, UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"_Smoke: measured the existing `.serverless` artifact (built {when}), not rebuilt._")
    if smoke:
        parts.append("_Smoke: plain bundle not built; ratios not computed._")
    if plain_error:
        parts.append(f"_Plain build failed, ratios not computed:_\n\n```\n{plain_error}\n```")

    rows = []
    for f in functions:
        a = ours[f.artifact]
        rows.append(
            [
                f.function,
                f"`{f.artifact}`",
                mb(a.zipped),
                mb(a.unzipped),
                a.files,
                mb(plain.zipped if plain else None),
                mb(plain.unzipped if plain else None),
                plain.files if plain else "–",
            ]
        )
    parts.append(
        table(
            [
                "function",
                "artifact",
                "ours zipped",
                "ours unzipped",
                "ours files",
                "plain zipped",
                "plain unzipped",
                "plain files",
            ],
            rows,
        )
    )
    rz, ru = (
        ratio(worst_zipped, plain.zipped if plain else None),
        ratio(worst_unzipped, plain.unzipped if plain else None),
    )
    if rz is not None and ru is not None:
        parts.append(
            f"Ratio ours/plain: **{rz:.2f}x zipped**, **{ru:.2f}x unzipped** (goal <= {GOAL_RATIO}x each"
            + ("" if shared or len(ours) == 1 else "; ours = the largest per-function artifact")
            + ")."
        )
    live_ours, live_plain = (
        largest.contributor("tencentcloud/live"),
        plain.contributor("tencentcloud/live") if plain else None,
    )
    if live_ours or live_plain:
        parts.append(
            "`tencentcloud-sdk-python-live` (`tencentcloud/live`): "
            f"{mb(live_ours.unzipped) + ' unzipped' if live_ours else 'absent'} in ours, "
            f"{mb(live_plain.unzipped) + ' unzipped' if live_plain else 'absent'} in plain."
        )
    label = "" if shared or len(ours) == 1 else f" (`{largest.path.relative_to(ROOT)}`, the largest)"
    parts.append(f"Largest contributors{label}: the top {TOP_CONTRIBUTORS} by unzipped size on either side:")
    parts.append(contributors_table(largest, plain))
    parts.append(f"By kind of file{label}:")
    parts.append(kinds_table(largest, plain))
    parts.append(f"Largest single files, ours{label}:")
    parts.append(files_table(largest))
    if plain is not None:
        parts.append("Largest single files, plain:")
        parts.append(files_table(plain))
        if plain_versions:
            parts.append("Plain bundle resolved: " + ", ".join(f"`{v}`" for v in plain_versions) + ".")
    checks = [f"{p}: " + ("; ".join(a.problems) or "ok") for p, a in ours.items()]
    parts.append(
        "Checks (`devtools.check_package` plus boto3/botocore/s3transfer): "
        + " ".join(f"`{c}`" for c in checks)
    )

    data: dict[str, Any] = {
        "machine": machine(),
        "smoke": smoke,
        "shared_artifact": shared,
        "functions": {
            f.function: {"artifact": str(f.artifact), "handler": f.handler_file} for f in functions
        },
        "ours": {str(p): a.as_data() for p, a in ours.items()},
        "ours_reused_existing": reused,
        "ours_build_seconds": build_seconds,
        "plain": plain.as_data() if plain else None,
        "plain_requirements": plain_reqs,
        "plain_versions": plain_versions,
        "plain_build_seconds": plain_seconds,
        "plain_error": plain_error,
        "plain_cache": str(PLAIN_CACHE),
        "ratio_zipped": rz,
        "ratio_unzipped": ru,
        "seconds": time.perf_counter() - started,
    }
    return Section(
        key="package",
        title="Package size",
        markdown="\n\n".join(parts),
        goals=goals,
        data=data,
    )


if __name__ == "__main__":
    section = run(smoke="--smoke" in sys.argv)
    print(section.markdown)
    for goal in section.goals:
        print(goal)
