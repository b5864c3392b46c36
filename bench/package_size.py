"""Package size: our ``serverless package`` artifact (one zip every function shares), zipped and unzipped,
its largest contributors, kinds of file and largest files, beside the plain bundle's recorded figures
(``bench/baseline.json``, see bench/plain.py).

``python -m bench.package_size --remeasure-baseline`` rebuilds the plain bundle (PyPI) and records it again."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from bench.artifact import KINDS, Artifact, Contributor, aws_sdk_present, read
from bench.common import ROOT, Goal, Section, sls_package, table
from bench.plain import REMEASURE, baseline, built_at, remeasure

GOAL_RATIO = 0.6
TOP_CONTRIBUTORS = 12
ARTIFACT = Path(".serverless") / "liverec.zip"


def mb(n: int | None) -> str:
    return "–" if n is None else f"{n / 1e6:.1f} MB"


def ratio(ours: int, plain: int | None) -> float | None:
    return ours / plain if plain else None


def size_goal(what: str, ours: int, plain: int | None) -> Goal:
    r = ratio(ours, plain)
    target = f"<= {GOAL_RATIO}x plain"
    if r is None:
        return Goal(f"package {what}", target, f"{mb(ours)} (no plain baseline recorded)", None)
    return Goal(f"package {what}", target, f"{mb(ours)} vs {mb(plain)} plain = {r:.2f}x", r <= GOAL_RATIO)


def aws_sdk_goal(artifact: Artifact) -> Goal:
    present = aws_sdk_present(artifact)
    measured = "present: " + ", ".join(present) if present else "absent"
    return Goal(
        "boto3/botocore absent", "no boto3, botocore, s3transfer in the artifact", measured, not present
    )


def build_ours(smoke: bool) -> str:
    """Build our artifact (a smoke run reuses an existing one); a note on what was measured."""
    path = ROOT / ARTIFACT
    if smoke and path.exists():
        return f"_Smoke: measured the existing `{ARTIFACT}` (built {built_at(path)}), not rebuilt._"
    seconds = sls_package(ROOT)
    zips = sorted(p.name for p in (ROOT / ".serverless").glob("*.zip"))
    if zips != [ARTIFACT.name]:
        raise RuntimeError(f"expected one shared artifact, {ARTIFACT}; serverless package wrote {zips}")
    return f"Built in {seconds:.0f} s."


def contributors_table(ours: Artifact, plain: Artifact | None, top: int = TOP_CONTRIBUTORS) -> str:
    """The ``top`` contributors by the larger of their two sizes, side by side, and the rest in one row."""
    sides = [a for a in (ours, plain) if a is not None]
    names = sorted({c.name for a in sides for c in a.contributors})
    names = sorted(names, key=lambda n: -max(a.contributor(n).unzipped for a in sides))[:top]

    def cells(artifact: Artifact | None, name: str | None) -> list[str]:
        if artifact is None:
            return ["–", "–", "–"]
        if name is None:  # everything else
            rest = [c for c in artifact.contributors if c.name not in names]
            c = Contributor(
                "rest", sum(r.files for r in rest), sum(r.unzipped for r in rest), sum(r.zipped for r in rest)
            )
        else:
            c = artifact.contributor(name)
        share = c.unzipped / artifact.unzipped if artifact.unzipped else 0.0
        return [f"{c.unzipped / 1e6:.1f}", f"{share:.0%}", f"{c.zipped / 1e6:.1f}"]

    rows = [[f"`{n}`", *cells(ours, n), *cells(plain, n)] for n in names]
    rows.append(["everything else", *cells(ours, None), *cells(plain, None)])
    sides_headers = [
        f"{side} {what}" for side in ("ours", "plain") for what in ("unzipped MB", "share", "zipped MB")
    ]
    return table(["contributor", *sides_headers], rows)


def kinds_table(ours: Artifact, plain: Artifact | None) -> str:
    def cells(artifact: Artifact | None, kind: str) -> list[str]:
        if artifact is None:
            return ["–", "–"]
        unzipped, zipped = artifact.kinds.get(kind, (0, 0))
        return [f"{unzipped / 1e6:.1f}", f"{zipped / 1e6:.1f}"]

    rows = [[k, *cells(ours, k), *cells(plain, k)] for k in KINDS]
    return table(["kind", "ours unzipped MB", "ours zipped MB", "plain unzipped MB", "plain zipped MB"], rows)


def files_table(artifact: Artifact) -> str:
    rows = [
        [f"`{e.name}`", f"{e.size / 1e6:.2f} MB", f"{e.compressed / 1e6:.2f} MB"] for e in artifact.top_files
    ]
    return table(["file", "unzipped", "zipped"], rows)


def method(note: str, record: dict[str, Any] | None) -> str:
    ours = (
        "**Method.** Ours: `npx serverless package` in the repo, as `make package` runs it (one artifact, "
        f"`{ARTIFACT}`, shared by every function), then the zip is read: zipped = the file's size, unzipped "
        "= the sum of its files' sizes. Contributors: files grouped by top-level package (`tencentcloud/` one "
        "level deeper; every `*.dist-info` folder together). MB = 10^6 bytes. " + note
    )
    if record is None:
        return ours + f"\n\n_No plain baseline recorded (`bench/baseline.json`): `{REMEASURE}` records one._"
    tools = ", ".join(f"{k} {v}" for k, v in record["tools"].items())
    plain = (
        f"**Plain** (recorded in `bench/baseline.json`, not rebuilt by `make bench`): measured "
        f"{record['measured']} at commit {record['commit']} ({tools}). {record['method']} Requirements: "
        + ", ".join(f"`{r}`" for r in record["requirements"])
        + "; resolved: "
        + ", ".join(f"`{v}`" for v in record["versions"])
        + f". Re-measure (needs PyPI): `{REMEASURE}`."
    )
    return ours + "\n\n" + plain


def run(smoke: bool) -> Section:
    started = time.perf_counter()
    note = build_ours(smoke)
    ours = read(ROOT / ARTIFACT)
    from devtools.check_package import problems

    checks, _ = problems(ROOT / ARTIFACT)
    recorded = baseline()
    plain, record = recorded if recorded else (None, None)
    goals = [
        size_goal("zipped", ours.zipped, plain.zipped if plain else None),
        size_goal("unzipped", ours.unzipped, plain.unzipped if plain else None),
        aws_sdk_goal(ours),
    ]
    sizes = [["ours", f"`{ARTIFACT}`", mb(ours.zipped), mb(ours.unzipped), ours.files]]
    if plain is not None and record is not None:
        sizes.append(
            ["plain", f"recorded {record['measured']}", mb(plain.zipped), mb(plain.unzipped), plain.files]
        )
    parts = [method(note, record), table(["", "artifact", "zipped", "unzipped", "files"], sizes)]
    if plain is not None:
        rz, ru = ratio(ours.zipped, plain.zipped), ratio(ours.unzipped, plain.unzipped)
        parts.append(
            f"Ratio ours/plain: **{rz:.2f}x zipped**, **{ru:.2f}x unzipped** (goal <= {GOAL_RATIO}x each)."
        )
    parts += [
        f"Largest contributors: the top {TOP_CONTRIBUTORS} by unzipped size on either side:",
        contributors_table(ours, plain),
        "By kind of file:",
        kinds_table(ours, plain),
        "Largest single files, ours:",
        files_table(ours),
    ]
    if plain is not None:
        parts += ["Largest single files, plain:", files_table(plain)]
    parts.append(f"Checks (`devtools.check_package`): `{ARTIFACT}: {'; '.join(checks) or 'ok'}`")
    data = {
        "smoke": smoke,
        "ours": ours.as_data(),
        "checks": checks,
        "plain_baseline": {k: v for k, v in record.items() if k != "artifact"} if record else None,
        "seconds": time.perf_counter() - started,
    }
    return Section("package", "Package size", "\n\n".join(parts), goals, data)


if __name__ == "__main__":
    if sys.argv[1:] != ["--remeasure-baseline"]:
        sys.exit(f"usage: {REMEASURE}   (the package benchmark itself: python -m bench.run --only package)")
    done = remeasure()
    print(
        f"bench/baseline.json: {done['artifact']['zipped']} bytes zipped, {done['artifact']['unzipped']} unzipped"
    )
