"""The value-type rule (ARCHITECTURE.md, "Value types"), as the deployable code (shared/, functions/) follows
it: an immutable value is a record (``shared.support.records.Record``); pydantic models only at the edges,
where data is read from outside or answered; no dataclasses, no named tuples. ``SecretStr`` is pydantic's
type for a secret, not a model: it may be held anywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Where pydantic models are declared or validated: what is read from outside (request bodies and query,
# stored and configured programs, Tencent's callbacks, the callback rules) and what the routes answer.
EDGES = {
    "shared/edge/responses.py",  # the routes' answers
    "shared/edge/program_responses.py",  # the /programs routes' answers
    "shared/recordings/models.py",  # request bodies and query
    "shared/recordings/programs.py",  # programs: PUT /programs bodies, LIVEREC_PROGRAMS
    "shared/recordings/catalog.py",  # stored programs' JSON, read back
    "shared/webhooks/tencent_events.py",  # Tencent's callback bodies
    "shared/webhooks/streams.py",  # LIVEREC_CALLBACK_RULES
}


def other_value_types(source: str) -> list[str]:
    """What in ``source`` declares a value type another way than a record: dataclasses, named tuples,
    attrs."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in ("dataclasses", "attr", "attrs")]
        elif isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            if top in ("dataclasses", "attr", "attrs"):
                found.append(node.module)
            found += [
                f"{node.module}.{a.name}"
                for a in node.names
                if (top in ("typing", "typing_extensions") and a.name == "NamedTuple")
                or (top == "collections" and a.name == "namedtuple")
            ]
        elif isinstance(node, ast.Attribute) and node.attr in ("NamedTuple", "namedtuple"):
            found.append(ast.unparse(node))
    return found


def pydantic_models(source: str) -> list[str]:
    """What ``source`` imports of pydantic other than ``SecretStr``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] == "pydantic"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pydantic":
            found += [f"{node.module}.{a.name}" for a in node.names if a.name != "SecretStr"]
    return found


def deployable() -> dict[str, str]:
    return {
        str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
        for top in ("shared", "functions")
        for path in sorted((ROOT / top).rglob("*.py"))
    }


@pytest.mark.parametrize(
    "source",
    [
        "from dataclasses import dataclass",
        "import dataclasses",
        "from dataclasses import field, fields",
        "from typing import Any, NamedTuple",
        "import typing\nclass P(typing.NamedTuple):\n    x: int",
        "from collections import namedtuple",
        "import collections\nP = collections.namedtuple('P', 'x')",
        "import attrs",
    ],
)
def test_each_other_way_of_declaring_a_value_type_is_seen(source: str) -> None:
    assert other_value_types(source)


def test_a_record_and_a_slotted_class_are_not_other_ways() -> None:
    source = (
        "from typing import Any, dataclass_transform\nfrom shared.support.records import Record\n"
        "class P(Record):\n    __slots__ = ()\n    x: int\n"
        "class Work:\n    __slots__ = ('n',)\n    def __init__(self) -> None:\n        self.n = 0\n"
    )
    assert other_value_types(source) == []


def test_no_deployable_module_declares_a_value_type_but_as_a_record() -> None:
    found = {name: seen for name, text in deployable().items() if (seen := other_value_types(text))}
    assert found == {}, "declare them as records"


@pytest.mark.parametrize(
    ("source", "models"),
    [
        ("from pydantic import SecretStr", []),
        ("from pydantic import BaseModel, SecretStr", ["pydantic.BaseModel"]),
        ("import pydantic", ["pydantic"]),
        ("from pydantic.fields import Field", ["pydantic.fields.Field"]),
    ],
)
def test_what_of_pydantic_a_module_imports_is_seen(source: str, models: list[str]) -> None:
    assert pydantic_models(source) == models


def test_pydantic_models_only_at_the_edges() -> None:
    found = {name: seen for name, text in deployable().items() if (seen := pydantic_models(text))}
    assert {n: s for n, s in found.items() if n not in EDGES} == {}, (
        "inside, values are records; a model belongs to an edge module (add it to EDGES only if it reads "
        "from outside or answers a route)"
    )
    assert set(EDGES) <= set(found), "an edge module no longer uses pydantic: take it off EDGES"
