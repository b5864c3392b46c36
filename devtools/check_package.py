"""Check the ``serverless package`` artifact: what must ship does, what must not doesn't.

``python -m devtools.check_package [.serverless/liverec.zip]`` exits non-zero with the reasons.
"""

from __future__ import annotations

import sys
import zipfile
from collections import Counter
from pathlib import Path

HANDLERS = (
    "functions/scheduled/handler.py",
    "functions/realtime/handler.py",
    "functions/tasks/handler.py",
    "functions/webhooks/handler.py",
)
FORBIDDEN_TOPS = ("tests", "devtools", "node_modules", "events", "bench", "boto3", "botocore", "s3transfer")


def problems(artifact: Path) -> tuple[list[str], dict[str, float]]:
    with zipfile.ZipFile(artifact) as z:
        infos = z.infolist()
    names = {i.filename for i in infos}
    found: list[str] = [f"handler missing: {h}" for h in HANDLERS if h not in names]
    tops = Counter(i.filename.split("/", 1)[0] for i in infos)
    found += [
        f"must not ship: {top}/ ({n} files)"
        for top, n in tops.items()
        if top in FORBIDDEN_TOPS or top.startswith(("boto3-", "botocore-"))
    ]
    found += [f"must not ship: {n}" for n in names if n.endswith(".pyc") and "/__pycache__/" in n][:5]
    sizes = {"zipped_mb": artifact.stat().st_size / 1e6, "unzipped_mb": sum(i.file_size for i in infos) / 1e6}
    return found, sizes


def main(argv: list[str]) -> int:
    artifact = Path(argv[0] if argv else ".serverless/liverec.zip")
    if not artifact.exists():
        sys.stderr.write(f"no artifact at {artifact}: run `npx serverless package` first\n")
        return 2
    found, sizes = problems(artifact)
    sys.stdout.write(
        f"{artifact}: {sizes['zipped_mb']:.1f} MB zipped, {sizes['unzipped_mb']:.1f} MB unzipped\n"
    )
    for line in found:
        sys.stdout.write(f"  FAIL {line}\n")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
