"""The cold path stays within its budget (tests/cold_budget.toml): per function, what a cold invocation loads
beyond the framework floor, what it must never load, how many of liverec's own modules, and its CPU time as a
ratio to the floor's, measured in fresh processes beside the floor's in one run (bench/cold_path.py, which
`python -m bench.cold_path` prints). The ratio is a best of several rounds, and a ratio over the budget is
measured again for more rounds before it fails: noise only ever adds time, growth does not go away."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from bench.cold_path import FUNCTIONS, ColdPaths, cold_paths, shared_count

ROOT = Path(__file__).resolve().parents[2]
BUDGET = ROOT / "tests" / "cold_budget.toml"
ROUNDS = 5  # alternated rounds of the floor and the five functions (about 10 s on this machine, idle)
MORE = 6  # rounds added, once, when a ratio is over its budget


def budget() -> dict[str, Any]:
    with BUDGET.open("rb") as f:
        return tomllib.load(f)


def under(name: str, prefixes: list[str]) -> bool:
    """``name`` is one of ``prefixes`` or inside one (``shared`` covers ``shared.app``)."""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def allowed(name: str, function: str, entries: list[str]) -> bool:
    """Beyond the floor, a function may load its own handler, what its budget allows, and the packages
    above an allowed module (importing ``tencentcloud.common`` imports ``tencentcloud``)."""
    own = ["functions", f"functions.{function}"]
    return name in own or under(name, [*entries, own[1]]) or any(e.startswith(name + ".") for e in entries)


def violations(
    function: str, loaded: frozenset[str], floor: frozenset[str], limits: dict[str, Any]
) -> list[str]:
    """What ``function``'s cold invocation (``loaded``) breaks of its budget, given what the floor loads."""
    mine = limits["functions"][function]
    forbidden = [*limits["all"]["forbidden"], *mine.get("forbidden", [])]
    banned = sorted(n for n in loaded if under(n, forbidden))
    found = [
        f"{function} loads {n}, forbidden" + (" (the floor loads it too)" if n in floor else "")
        for n in banned
    ]
    beyond = loaded - floor - set(banned)
    for name in sorted(n for n in beyond if not allowed(n, function, mine["allowed"])):
        found.append(f"{function} loads {name}, beyond the floor and not allowed")
    if (count := shared_count(loaded)) > mine["max_shared"]:
        found.append(f"{function} loads {count} shared.* modules, over its {mine['max_shared']}")
    return found


LIMITS = {
    "all": {"forbidden": ["boto3", "http.client"]},
    "functions": {"realtime": {"allowed": ["shared", "tencentcloud.common"], "max_shared": 3}},
}
FLOOR = frozenset({"pydantic", "http", "json"})


def test_the_budget_states_each_function_and_nothing_else() -> None:
    limits = budget()
    on_disk = {p.parent.name for p in (ROOT / "functions").glob("*/handler.py")}
    assert set(limits["functions"]) == on_disk == set(FUNCTIONS)
    for function, mine in limits["functions"].items():
        assert {"allowed", "max_shared", "max_ratio"} <= set(mine), function
        assert 0 < mine["max_ratio"] < 3 and 0 < mine["max_shared"] < 200, function


def test_what_the_floor_loads_is_not_counted_but_a_new_package_is() -> None:
    loaded = FLOOR | {"functions", "functions.realtime", "functions.realtime.handler", "shared", "shared.app"}
    loaded |= {"tencentcloud", "tencentcloud.common", "tencentcloud.common.sign"}
    assert violations("realtime", loaded, FLOOR, LIMITS) == []
    grown = loaded | {"sqlite3", "functions.webhooks", "functions.webhooks.handler", "tencentcloud.live"}
    assert violations("realtime", grown, FLOOR, LIMITS) == [
        "realtime loads functions.webhooks, beyond the floor and not allowed",
        "realtime loads functions.webhooks.handler, beyond the floor and not allowed",
        "realtime loads sqlite3, beyond the floor and not allowed",
        "realtime loads tencentcloud.live, beyond the floor and not allowed",
    ]


def test_a_forbidden_module_fails_even_under_an_allowed_package_or_in_the_floor() -> None:
    limits = LIMITS | {
        "functions": {"realtime": LIMITS["functions"]["realtime"] | {"forbidden": ["shared.x"]}}
    }
    loaded = FLOOR | {"shared", "shared.x", "shared.x.y", "http.client", "boto3"}
    assert violations("realtime", loaded, FLOOR | {"http.client"}, limits) == [
        "realtime loads boto3, forbidden",
        "realtime loads http.client, forbidden (the floor loads it too)",
        "realtime loads shared.x, forbidden",
        "realtime loads shared.x.y, forbidden",
    ]


def test_shared_modules_are_counted_not_named() -> None:
    renamed = FLOOR | {"shared", "shared.recordings", "shared.recordings.whatever"}
    assert violations("realtime", renamed, FLOOR, LIMITS) == []
    more = renamed | {"shared.recordings.more"}
    assert violations("realtime", more, FLOOR, LIMITS) == ["realtime loads 4 shared.* modules, over its 3"]


def over(paths: ColdPaths, limits: dict[str, Any]) -> dict[str, float]:
    return {f: r for f in FUNCTIONS if (r := paths.ratio(f)) > limits["functions"][f]["max_ratio"]}


def shown(found: list[str], most: int = 12) -> str:
    """The violations for a reader: each function's first ``most``, and how many more."""
    lines: list[str] = []
    for function in FUNCTIONS:
        own = [v for v in found if v.startswith(function + " ") or v.startswith(function + ":")]
        lines += own[:most] + ([f"... and {len(own) - most} more of {function}'s"] if len(own) > most else [])
    return "\n".join(lines)


def test_each_cold_path_is_within_its_budget() -> None:
    limits = budget()
    with cold_paths() as paths:
        paths.measure(ROUNDS)
        if over(paths, limits):  # more rounds before a verdict: each best only comes down to its cost
            paths.measure(MORE)
    floor = paths.floor.modules
    found = [
        f"{f}: its cold invocation's CPU time is {ratio:.3f}x the floor's ({paths.scenarios[f].best:.1f} vs "
        f"{paths.floor.best:.1f} ms, best of {paths.rounds} rounds), over its {limits['functions'][f]['max_ratio']}x"
        for f, ratio in over(paths, limits).items()
    ]
    found += [v for f in FUNCTIONS for v in violations(f, paths.scenarios[f].modules, floor, limits)]
    assert not found, (
        "the cold path grew (tests/cold_budget.toml; `python -m bench.cold_path` prints the figures):\n"
        + shown(found)
    )
