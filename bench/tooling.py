"""The deployment tooling, compared (issue #28): the Serverless Framework v3 that liverec was on, osls 3.x as
its drop-in, and osls 4.x; each with serverless-python-requirements and the serverless-offline line that
declares it as its peer. Per candidate, in a copy of this commit (``git archive``): ``npm install`` (its
time, the packages and the size of node_modules, whether the AWS SDK for JavaScript v2 is in the tree), then
``npx serverless package`` as ``make package`` runs it, once to warm the plugin's cache, then ``--rounds``
times with the candidates alternated. Needs the npm registry (the only benchmark that does).

    python -m bench.tooling [--rounds 2]      # prints the markdown table DEPLOYING.md quotes
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import export_tree, machine, median, sls_package, table

SPR = "6.1.2"
CANDIDATES = {
    # name: (the package installed as `serverless`, serverless-offline, frameworkVersion)
    "serverless 3.40.0": ("3.40.0", "13.9.0", "3"),
    "osls 3.77.1": ("npm:osls@3.77.1", "13.9.0", "3"),
    "osls 4.3.1": ("npm:osls@4.3.1", "14.8.5", "4"),
}


def tool(name: str) -> str:
    """The full path of a command (npm, du), as the other benchmarks run them."""
    return shutil.which(name) or name


def prepare(into: Path, framework: str, offline: str, version: str) -> dict[str, object]:
    """This commit's tree at ``into`` with the candidate's pins; its npm install measured."""
    export_tree(into)
    (into / "package-lock.json").unlink()
    dev = {"serverless": framework, "serverless-offline": offline, "serverless-python-requirements": SPR}
    (into / "package.json").write_text(json.dumps({"name": "probe", "private": True, "devDependencies": dev}))
    yml = into / "serverless.yml"
    text = yml.read_text()
    yml.write_text(re.sub(r'frameworkVersion: "\d"', f'frameworkVersion: "{version}"', text, count=1))
    start = time.perf_counter()
    npm = [tool("npm"), "install", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run(npm, cwd=into, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    listing = [tool("npm"), "ls", "--all", "--parseable"]  # exits 1 on a peer it thinks unmet: still lists
    listed = subprocess.run(listing, cwd=into, capture_output=True, text=True, check=False)
    du = subprocess.run(
        [tool("du"), "-sm", "node_modules"], cwd=into, capture_output=True, text=True, check=True
    )
    return {
        "install_s": round(seconds, 1),
        "packages": len(set(listed.stdout.split())) - 1,
        "node_modules_mb": int(du.stdout.split()[0]),
        "aws_sdk_v2": (into / "node_modules" / "aws-sdk").is_dir(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="liverec-tooling-") as tmp:
        dirs, facts = {}, {}
        for name, (framework, offline, version) in CANDIDATES.items():
            dirs[name] = Path(tmp) / name.replace(" ", "-")
            dirs[name].mkdir()
            facts[name] = prepare(dirs[name], framework, offline, version)
            sls_package(dirs[name])  # warms the requirements plugin's cache for this tree
        times: dict[str, list[float]] = {name: [] for name in CANDIDATES}
        for round_ in range(args.rounds):
            order = list(CANDIDATES) if round_ % 2 == 0 else list(reversed(CANDIDATES))
            for name in order:
                times[name].append(sls_package(dirs[name]))
        shutil.rmtree(tmp, ignore_errors=True)
    rows = [
        [
            name,
            CANDIDATES[name][1],
            facts[name]["install_s"],
            facts[name]["packages"],
            facts[name]["node_modules_mb"],
            "yes" if facts[name]["aws_sdk_v2"] else "no",
            f"{median(times[name]):.1f}",
        ]
        for name in CANDIDATES
    ]
    head = ["as `serverless`", "serverless-offline", "npm install s", "packages", "node_modules MB"]
    print(table([*head, "AWS SDK v2", "package s (median)"], rows))
    m = machine()
    print(
        f"\n{m['date']}, commit {m['commit']}, {m['cpu']} ({m['cores']} cores), {m['os']}, {args.rounds} rounds"
    )


if __name__ == "__main__":
    main()
