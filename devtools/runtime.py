"""The Lambda runtime the functions run on, read from serverless.yml's ``provider.runtime``: the one place it
is stated. What depends on it follows it from here: the bytecode devtools.precompile writes and
devtools.check_package accepts, the native code's CPython tag, the plain bundle bench/plain.py builds, the
interpreter the Makefile packages with (``python -m devtools.runtime``), and the runtime lock (its
``LOCK_PYTHON``, held equal by tests/unit/test_locks.py)."""

from __future__ import annotations

import re
from pathlib import Path

SERVERLESS_YML = Path(__file__).resolve().parents[1] / "serverless.yml"


def _declared(text: str) -> tuple[int, int]:
    found = re.search(r"^  runtime: python(\d+)\.(\d+)\s*$", text, flags=re.MULTILINE)
    if found is None:
        raise RuntimeError(f"{SERVERLESS_YML} states no provider.runtime pythonX.Y")
    return int(found[1]), int(found[2])


VERSION = _declared(SERVERLESS_YML.read_text(encoding="utf-8"))
DOTTED = f"{VERSION[0]}.{VERSION[1]}"  # 3.13
NAME = f"python{DOTTED}"  # Lambda's name: python3.13
TAG = f"cpython-{VERSION[0]}{VERSION[1]}"  # bytecode and extension modules: cpython-313

if __name__ == "__main__":
    import sys

    sys.stdout.write(DOTTED + "\n")
