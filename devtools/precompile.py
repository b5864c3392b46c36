"""Precompile what a cold start imports into the artifact: hash-checked bytecode for the runtime's Python.

``python3.13 -m devtools.precompile .serverless/liverec.zip`` (run by ``devtools/serverless-precompile.js``
after every ``serverless package``/``deploy``).

Lambda's /var/task is read-only: Python cannot cache bytecode there, so a cold start compiles every module
it imports from source. The artifact ships none: the requirements plugin's ``slim`` strips pip's ``.pyc``,
which would not help anyway (they are checked against source mtimes, and serverless zips every file with
one fixed mtime). Measured from the unzipped artifact, the ``realtime`` handler imports in ~660 ms from
source and ~200 ms from bytecode (bench/RESULTS.md, "as deployed").

What is compiled: every module of ours (``functions/``, ``shared/``) and every module the samples import
when served from the unzipped artifact (:func:`devtools.check_package.serve_samples`), about 200 of the
500 shipped; one imported only on a rarer path compiles on first use, as before. PEP 552 hash-checked
bytecode is valid whatever the files' mtimes, and a source edited in place is noticed. Sources stay, so
tracebacks show their lines. Standard library only; needs the runtime's Python version.
"""

from __future__ import annotations

import importlib.util
import os
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

from devtools import runtime
from devtools.check_package import (
    RUNTIME_TAG,
    describe_failure,
    host_architecture,
    native_code,
    serve_samples,
)

RUNTIME = runtime.VERSION  # provider.runtime in serverless.yml


def modules_to_compile(code: Path) -> set[Path]:
    """Ours, and what serving the samples from ``code`` imports; raises when a sample cannot be served."""
    wanted = {p for top in ("functions", "shared") for p in (code / top).rglob("*.py")}
    for result in serve_samples(code):
        if "error" in result or result["status"] != result["expected"]:
            raise RuntimeError(f"a sample cannot be served from the artifact: {describe_failure(result)}")
        wanted |= {Path(f) for f in result["files"] if f.endswith(".py")}
    return wanted


def every_module(code: Path) -> set[Path]:
    """Every module in the artifact: what is compiled when its samples cannot be served on this machine."""
    return set(code.rglob("*.py"))


def foreign_native_code(artifact: Path) -> list[str]:
    """The platforms of the artifact's native code this machine cannot load (an arm64 zip here on x86_64):
    then its samples cannot be served here to learn what a cold start imports."""
    host = host_architecture()
    return sorted(
        where
        for where in native_code(artifact)
        if where.startswith(("linux-", "macos", "windows")) and where != f"linux-{host}"
    )


def precompile(artifact: Path) -> tuple[int, int]:
    """Add ``__pycache__/*.<runtime tag>.pyc`` for the modules to compile; (modules, bytes added)."""
    if sys.version_info[:2] != RUNTIME:
        raise RuntimeError(
            f"bytecode is version-specific: run this with python{RUNTIME[0]}.{RUNTIME[1]} (the Lambda runtime), "
            f"not {sys.version.split()[0]}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "task"
        with zipfile.ZipFile(artifact) as z:
            infos = z.infolist()
            z.extractall(code)
        foreign = foreign_native_code(artifact)
        if foreign:
            # Bytecode depends on the Python version only, so it is right for any CPU; what a cold start
            # imports is not known without serving the samples, so everything is compiled.
            sys.stdout.write(
                f"precompile: the artifact's native code is for {', '.join(foreign)}, which this machine "
                "cannot run: its samples are not served here, and every module is compiled\n"
            )
        compiled: dict[str, bytes] = {}
        for source in sorted(every_module(code) if foreign else modules_to_compile(code)):
            relative = source.relative_to(code).as_posix()
            target = Path(importlib.util.cache_from_source(str(source)))
            py_compile.compile(
                str(source),
                cfile=str(target),
                dfile=relative,
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
            )
            compiled[target.relative_to(code).as_posix()] = target.read_bytes()
        if any(
            f".{RUNTIME_TAG}." not in name for name in compiled
        ):  # cache_from_source uses this Python's tag
            raise RuntimeError(f"bytecode was not tagged {RUNTIME_TAG}")
        stamp = infos[0].date_time if infos else (1980, 1, 1, 0, 0, 0)
        rewritten = artifact.with_suffix(".precompiled.zip")
        with (
            zipfile.ZipFile(artifact) as src,
            zipfile.ZipFile(rewritten, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
        ):
            for info in infos:
                if info.filename not in compiled:  # a second run replaces its own earlier bytecode
                    out.writestr(info, src.read(info.filename))
            for name, data in sorted(compiled.items()):
                entry = zipfile.ZipInfo(name, date_time=stamp)
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                out.writestr(entry, data)
        os.replace(rewritten, artifact)
    return len(compiled), sum(len(d) for d in compiled.values())


def main(argv: list[str]) -> int:
    artifact = Path(argv[0] if argv else ".serverless/liverec.zip")
    try:
        count, added = precompile(artifact)
    except (RuntimeError, OSError, py_compile.PyCompileError) as exc:
        sys.stderr.write(f"precompile: {exc}\n")
        return 1
    sys.stdout.write(
        f"precompile: {count} modules as hash-checked bytecode, +{added / 1e6:.1f} MB unzipped\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
