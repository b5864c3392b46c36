"""How to declare value types (issue #27): what defining a class, and building its instances, costs as a
record (``shared/support/records.py``), a ``typing.NamedTuple``, a frozen slotted dataclass, a frozen
dataclass, and a plain class with ``__slots__``, each measured in fresh processes, interleaved, side by side
in one run. A cold start defines every class on its path once, so the definition is what it pays.

    python -m bench.value_types               # 21 processes per kind, prints the table
    python -m bench.value_types --runs 5
    python -m bench.value_types --write       # and writes its section into bench/RESULTS.md (+ results.json)

Each process imports the kind's facility first (untimed: a cold start has ``typing``, ``dataclasses`` and
``inspect`` loaded by pydantic and powertools before any module of ours, which the table's note checks),
compiles its module text (untimed: the artifact ships bytecode), then runs it: it defines ``CLASSES``
distinct classes of the representative shape (six annotated fields, four with defaults, one method, as
``shared.tencent.types.TaskInfo``); then it builds ``INSTANCES`` instances of one of them by keyword, as
the code does. The kinds rotate from run to run so none always goes first. Also counted: the value classes
each handler's import defines (records, dataclasses, named tuples in ``shared``/``functions``), so the
per-class figure can be read as a per-cold-start one."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import warnings
from typing import Any

from bench.common import ROOT, Goal, Section, machine, median, table, write_section

CLASSES = 20
INSTANCES = 2000
FIELDS = (
    ("task_id", "str", None),
    ("stream", "str | None", None),
    ("domain", "str | None", "None"),
    ("app", "str | None", "None"),
    ("start", "int | None", "None"),
    ("status", "str | None", "None"),
)
METHOD = "    def key(self) -> str:\n        return f'{self.stream}:{self.task_id}'\n"


def _annotated() -> str:
    return "".join(f"    {n}: {t}" + (f" = {d}" if d else "") + "\n" for n, t, d in FIELDS)


def _slots_class() -> str:
    params = ", ".join(f"{n}: {t}" + (f" = {d}" if d else "") for n, t, d in FIELDS)
    names = ", ".join(repr(n) for n, _, _ in FIELDS)
    body = "".join(f"        self.{n} = {n}\n" for n, _, _ in FIELDS)
    return f"    __slots__ = ({names})\n\n    def __init__(self, *, {params}) -> None:\n{body}"


# kind -> (its facility's import, the decorator line or "", the base class or "", the class body)
KINDS: dict[str, tuple[str, str, str, str]] = {
    "Record": (
        "from shared.support.records import Record",
        "",
        "(Record)",
        "    __slots__ = ()\n" + _annotated(),
    ),
    "NamedTuple": ("from typing import NamedTuple", "", "(NamedTuple)", _annotated()),
    "dataclass(frozen, slots)": (
        "from dataclasses import dataclass",
        "@dataclass(frozen=True, slots=True)\n",
        "",
        _annotated(),
    ),
    "dataclass(frozen)": ("from dataclasses import dataclass", "@dataclass(frozen=True)\n", "", _annotated()),
    "__slots__ class": ("", "", "", _slots_class()),
}


def module_text(kind: str) -> str:
    """The module a process runs for ``kind``: CLASSES distinct classes C0, C1, ..."""
    _, decorator, base, body = KINDS[kind]
    return "\n".join(f"{decorator}class C{i}{base}:\n{body}\n{METHOD}" for i in range(CLASSES))


CHILD = """import json, sys, time
{facility}
source = sys.stdin.read()
code = compile(source, "values", "exec")
namespace = dict(globals(), __name__="values")
t0 = time.perf_counter()
exec(code, namespace)
t1 = time.perf_counter()
C = namespace["C0"]
t2 = time.perf_counter()
for i in range({instances}):
    C(task_id="t", stream="s", domain="d", status="on")
t3 = time.perf_counter()
built = C(task_id="t", stream="s")
assert built.key() == "s:t" and built.domain is None, built
print(json.dumps({{"define_ms": (t1 - t0) * 1000 / {classes}, "build_us": (t3 - t2) * 1e6 / {instances}}}))
"""

# what a cold start has loaded before any module of ours: the framework floor's imports
FLOOR = """import sys
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
import pydantic
print(",".join(m for m in ("typing", "dataclasses", "inspect", "collections") if m in sys.modules))
"""

# the value classes each handler's import defines, by kind
CENSUS = """import dataclasses, importlib, json, pkgutil, sys
if sys.argv[1] == "shared":
    import shared
    for info in pkgutil.walk_packages(shared.__path__, "shared."):
        importlib.import_module(info.name)
else:
    importlib.import_module(sys.argv[1])
from shared.support.records import Record
found = {"Record": 0, "dataclass": 0, "NamedTuple": 0}
for name, module in list(sys.modules.items()):
    if not name.startswith(("shared.", "functions.")):
        continue
    for obj in list(vars(module).values()):
        if not isinstance(obj, type) or obj.__module__ != name or obj is Record:
            continue
        if issubclass(obj, Record):
            found["Record"] += 1
        elif dataclasses.is_dataclass(obj):
            found["dataclass"] += 1
        elif issubclass(obj, tuple) and hasattr(obj, "_fields"):
            found["NamedTuple"] += 1
print(json.dumps(found))
"""
HANDLERS = ("realtime", "scheduled", "tasks", "rollout", "webhooks")  # and "shared": every module of it


def _python(code: str, *args: str, stdin: str = "") -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")} | {"PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-c", code, *args]
    out = subprocess.run(argv, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"a value-types process failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
    return out.stdout.strip().splitlines()[-1]


def measure(runs: int) -> dict[str, dict[str, list[float]]]:
    """Per kind: each run's definition time per class (ms) and build time per instance (us); the kinds
    rotated run by run, each run a fresh process."""
    names = list(KINDS)
    found: dict[str, dict[str, list[float]]] = {n: {"define_ms": [], "build_us": []} for n in names}
    texts = {name: module_text(name) for name in names}
    for run in range(runs):
        for name in names[run % len(names) :] + names[: run % len(names)]:
            code = CHILD.format(facility=KINDS[name][0], classes=CLASSES, instances=INSTANCES)
            result = json.loads(_python(code, stdin=texts[name]))
            found[name]["define_ms"].append(result["define_ms"])
            found[name]["build_us"].append(result["build_us"])
    return found


def built_per_create() -> dict[str, int]:
    """The records one warm create builds (``POST /recordings/realtime`` through the realtime handler,
    against the emulator in its own process), by class: ``Record.__new__`` counted around the fourth."""
    from bench.common import FakeContext, environment, function_env
    from devtools.emulator import emulator_process
    from devtools.events import load_event
    from shared.support.records import Record

    built: dict[str, int] = {}
    saved = Record.__dict__["__new__"]  # the staticmethod itself, put back as it was
    plain = Record.__new__

    def counted(cls: type[Record], *args: Any, **kwargs: Any) -> Record:
        built[cls.__name__] = built.get(cls.__name__, 0) + 1
        return plain(cls, *args, **kwargs)

    template = json.dumps(load_event("realtime_create"))
    with emulator_process("--no-limits") as url, environment(function_env(url)):
        from functions.realtime import handler

        for i in range(4):
            event = json.loads(template)
            event["headers"]["idempotency-key"] = f"values-{i}"
            if i == 3:
                Record.__new__ = staticmethod(counted)  # type: ignore[assignment,method-assign]
            try:
                answer = handler.lambda_handler(event, FakeContext())
            finally:
                Record.__new__ = saved  # type: ignore[method-assign]
            if answer["statusCode"] != 201:
                raise RuntimeError(f"create {i} answered {answer['statusCode']}: {answer.get('body')}")
    return built


def census() -> dict[str, dict[str, int]]:
    """Per handler: the records, dataclasses and named tuples its import defines; "shared": every module."""
    found = {h: json.loads(_python(CENSUS, f"functions.{h}.handler")) for h in HANDLERS}
    return found | {"shared": json.loads(_python(CENSUS, "shared"))}


def render(data: dict[str, Any]) -> str:
    found, counts, per_create = data["found"], data["census"], data["per_create"]
    define = {name: median(d["define_ms"]) for name, d in found.items()}
    build = {name: median(d["build_us"]) for name, d in found.items()}
    most = max(sum(c.values()) for h, c in counts.items() if h != "shared")
    rows = [
        [
            name,
            f"{define[name]:.3f}",
            f"{define[name] / define['Record']:.1f}x",
            f"{define[name] * most:.1f}",
            f"{build[name]:.2f}",
        ]
        for name in found
    ]
    per_handler = "; ".join(
        f"{'every module of shared/' if h == 'shared' else h} {sum(c.values())} ("
        + ", ".join(f"{n} {kind}" for kind, n in c.items() if n)
        + ")"
        for h, c in counts.items()
    )
    built = sum(per_create.values())
    saved_ms = (define["NamedTuple"] - define["Record"]) * most
    dearer_us = (build["Record"] - build["NamedTuple"]) * built
    return "\n".join(
        [
            f"Fresh processes, {data['runs']} per kind, the kinds rotated run by run "
            f"(`python -m bench.value_types`); medians. Each process defines {CLASSES} distinct classes of one "
            f"shape (six annotated fields, four with defaults, one method) and builds {INSTANCES} instances of "
            "one by keyword. *define*: per class, the module's bytecode already compiled; *x Record*: against "
            f"a record; *cold start*: the define time of the {most} value classes the largest handler import "
            "defines; *build*: per instance. A `__slots__` class has no equality, hash, repr or read-only "
            "fields: it is the price of a plain class, not of a value type.",
            "",
            table(["kind", "define ms", "x Record", f"cold start ms ({most} classes)", "build us"], rows),
            "",
            f"Value classes a handler's import defines (the webhooks' callback modules load on first use): "
            f"{per_handler}. Loaded by the framework floor before any module of ours: {data['floor']} (so no "
            "kind's facility adds an import to a cold start).",
            "",
            f"A warm create (`POST /recordings/realtime`, the realtime handler) builds {built} records "
            f"({', '.join(f'{n} {c}' for c, n in per_create.items())}). Against named tuples, records save "
            f"{saved_ms:.1f} ms a cold start ({most} classes) and cost {dearer_us:.0f} us a warm create.",
        ]
    )


def collect(runs: int) -> dict[str, Any]:
    return {
        "runs": runs,
        "classes": CLASSES,
        "instances": INSTANCES,
        "found": measure(runs),
        "census": census(),
        "floor": _python(FLOOR),
        "per_create": built_per_create(),
    }


TITLE = "Value types (Record, NamedTuple, dataclass, __slots__)"


def run(smoke: bool) -> Section:
    data = collect(3 if smoke else 21)
    record, frozen = (median(data["found"][k]["define_ms"]) for k in ("Record", "dataclass(frozen, slots)"))
    goal = Goal(
        "defining a value class: Record against a frozen slotted dataclass",
        "measured",
        f"{record:.3f} ms vs {frozen:.3f} ms a class ({frozen / record:.0f}x)",
        None,
    )
    return Section("values", TITLE, render(data), [goal], data)


def write(section: Section, info: dict[str, Any]) -> None:
    write_section(section, info, "python -m bench.value_types --write", root=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.value_types", description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--write", action="store_true", help="write the section into bench/RESULTS.md")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    data = collect(args.runs)
    markdown = render(data)
    print(markdown)
    if args.write:
        write(Section("values", TITLE, markdown, [], data), machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
