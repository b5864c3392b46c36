"""A browser's preflight allows what the routes serve, and nothing else: the methods the functions answer
OPTIONS with come from their own routes, and the HTTP API's CORS configuration (serverless.yml, through
devtools/serverless-http.js) from serverless.yml's routes. Neither is a list kept apart."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from devtools.gateway import ROOT, Route, Routes, handler_of, load_serverless
from devtools.kit import LambdaContext
from tests.functional.conftest import http_event

ROUTES = Routes.from_serverless().routes
SAMPLE = {"name": "evening-news", "task_id": "1000", "wait_id": "w1"}  # a value for each path variable
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD")


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)


def served(function: str, path: str) -> set[str]:
    """What serverless.yml routes to ``function`` on ``path`` made concrete: every route of the function
    whose path matches it (``/programs/forecast`` is ``GET /programs/forecast``'s, and ``{name}``'s too: a
    PUT or DELETE there reaches the function, which answers it)."""
    here = concrete(path)
    return {
        r.method
        for r in ROUTES
        if r.function == function and re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", r.path), here)
    }


def preflight(route: Route, method: str, lambda_context: LambdaContext) -> tuple[int, dict[str, str]]:
    event = http_event(
        "OPTIONS",
        concrete(route.path),
        token=None,
        content_type=None,
        headers={"Origin": "https://console.example.com", "Access-Control-Request-Method": method},
    )
    answer = handler_of(route)(event, lambda_context)
    return answer["statusCode"], {k.lower(): v for k, v in (answer.get("headers") or {}).items()}


def listed(headers: dict[str, str], name: str) -> set[str]:
    return {m.strip() for m in headers.get(name, "").split(",") if m.strip()}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.function}:{r.key}")
def test_each_routes_preflight_is_allowed_and_lists_exactly_its_paths_methods(
    route: Route, configure: Any, lambda_context: LambdaContext
) -> None:
    configure("record-task")
    status, headers = preflight(route, route.method, lambda_context)
    allowed = listed(headers, "access-control-allow-methods")
    assert status == 204, headers
    assert route.method in allowed and "OPTIONS" in allowed
    # exactly what the path serves: PUT where PUT /programs/{name} is, never a method no route has
    assert allowed == served(route.function, route.path) | {"OPTIONS"}
    assert listed(headers, "allow") == allowed
    assert "PATCH" not in allowed


def test_put_is_allowed_where_programs_are_stored(configure: Any, lambda_context: LambdaContext) -> None:
    configure("record-task")
    (route,) = [r for r in ROUTES if r.key == "PUT /programs/{name}"]
    _, headers = preflight(route, "PUT", lambda_context)
    assert listed(headers, "access-control-allow-methods") == {"DELETE", "GET", "OPTIONS", "PUT"}
    (create,) = [r for r in ROUTES if r.key == "POST /recordings/scheduled"]
    _, headers = preflight(create, "POST", lambda_context)
    assert listed(headers, "access-control-allow-methods") == {"OPTIONS", "POST"}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.function}:{r.key}")
def test_a_method_the_path_does_not_serve_is_405_listing_what_it_does(
    route: Route, configure: Any, lambda_context: LambdaContext
) -> None:
    configure("record-task")
    others = [m for m in METHODS if m not in served(route.function, route.path)]
    event = http_event(others[0], concrete(route.path), content_type=None)
    answer = handler_of(route)(event, lambda_context)
    allow = {m.strip() for m in answer["headers"]["Allow"].split(",")}
    assert (answer["statusCode"], allow) == (405, served(route.function, route.path) | {"OPTIONS"})


def node_cors(functions: dict[str, Any]) -> Any:
    """devtools/serverless-http.js's cors resolver as the framework calls it, CORS on, with ``functions``
    as serverless.yml's functions."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (make package installs the Serverless Framework with it)")
    script = (
        "const m = require(process.argv[1]); const functions = JSON.parse(process.argv[2]);"
        "const resolveVariable = async (v) => (v === 'param:corsOrigins' ? 'https://console.example.com' : null);"
        "const resolveConfigurationProperty = async (keys) => (keys.join('.') === 'functions' ? functions : null);"
        "m.cors({ resolveVariable, resolveConfigurationProperty }).then((r) => console.log(JSON.stringify(r)));"
    )
    out = subprocess.run(
        [
            node,
            "-e",
            script,
            str(ROOT / "devtools" / "serverless-http.js"),
            json.dumps(functions, default=str),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(out.stdout)


def test_the_http_apis_cors_allows_the_methods_serverless_yml_routes_and_no_other() -> None:
    functions = load_serverless()["functions"]
    allowed = node_cors(functions)["allowedMethods"]
    assert allowed == sorted({r.method for r in ROUTES} | {"OPTIONS"})
    assert "PUT" in allowed and "DELETE" in allowed and "PATCH" not in allowed


def test_a_new_routes_method_is_allowed_with_it() -> None:
    functions = load_serverless()["functions"]
    functions["tasks"]["events"].append({"httpApi": {"method": "patch", "path": "/recordings/{task_id}"}})
    functions["tasks"]["events"].append({"httpApi": "HEAD /recordings"})
    assert {"PATCH", "HEAD"} <= set(node_cors(functions)["allowedMethods"])
    functions["tasks"]["events"].append({"httpApi": "*"})
    assert node_cors(functions)["allowedMethods"] == ["*"]
