"""The local gateway routes as the HTTP API does, from serverless.yml's httpApi events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools import gateway
from devtools.gateway import NOT_FOUND, Route, Routes
from devtools.kit import LambdaContext, http_event
from tests.unit.test_packaging import serverless_yml

EVENTS = Path(__file__).resolve().parents[2] / "events"


def declared() -> set[tuple[str, str, str]]:
    out = set()
    for name, function in serverless_yml()["functions"].items():
        for event in function.get("events") or []:
            if "httpApi" in event:
                out.add((event["httpApi"]["method"].upper(), event["httpApi"]["path"], name))
    return out


def test_every_declared_route_is_served_and_nothing_else() -> None:
    routes = Routes.from_serverless()
    assert {(r.method, r.path, r.function) for r in routes.routes} == declared()
    assert len(declared()) >= 7  # the recordings routes and the two webhooks routes


@pytest.mark.parametrize(
    ("method", "path", "key", "function", "params"),
    [
        ("POST", "/recordings/scheduled", "POST /recordings/scheduled", "scheduled", {}),
        ("POST", "/recordings/realtime", "POST /recordings/realtime", "realtime", {}),
        ("GET", "/recordings", "GET /recordings", "tasks", {}),
        (
            "POST",
            "/recordings/a%2Fb-1/stop",
            "POST /recordings/{task_id}/stop",
            "tasks",
            {"task_id": "a/b-1"},
        ),
        ("DELETE", "/recordings/t-9", "DELETE /recordings/{task_id}", "tasks", {"task_id": "t-9"}),
        ("GET", "/recordings/t-9", "GET /recordings/{task_id}", "tasks", {"task_id": "t-9"}),
        # a literal route's path with another method is a path variable's, as API Gateway matches it
        ("GET", "/recordings/scheduled", "GET /recordings/{task_id}", "tasks", {"task_id": "scheduled"}),
        ("post", "/callbacks/tencent", "POST /callbacks/tencent", "webhooks", {}),
        ("POST", "/hooks/highlight", "POST /hooks/highlight", "webhooks", {}),
    ],
)
def test_requests_reach_the_declared_function(
    method: str, path: str, key: str, function: str, params: dict[str, str]
) -> None:
    found = Routes.from_serverless().find(method.upper(), path)
    assert found is not None
    route, got = found
    assert (route.key, route.function, got) == (key, function, params)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/nope"),
        ("PATCH", "/recordings/scheduled"),  # a known path, another method
        ("PUT", "/recordings/realtime"),
        ("GET", "/recordings/t-1/stop"),
        ("POST", "/recordings/t-1"),
        ("DELETE", "/recordings/"),  # an empty path variable matches nothing
        ("POST", "/recordings/a/b/stop"),  # a variable is one segment
        ("GET", "/callbacks/tencent"),
        ("OPTIONS", "/recordings"),  # no CORS configured locally: no preflight route either
    ],
)
def test_what_matches_no_route_is_the_gateways_404(method: str, path: str) -> None:
    answer = Routes.from_serverless().dispatch(http_event(method, path), LambdaContext())
    assert answer == NOT_FOUND
    assert (answer["statusCode"], json.loads(answer["body"])) == (404, {"message": "Not Found"})


def test_a_matched_request_carries_the_route_key_and_path_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.append(event)
        return {"statusCode": 204}

    monkeypatch.setattr(gateway, "handler_of", lambda route: handler)
    routes = Routes([Route("POST", "/things/{thing_id}/go", "things", "unused")])
    assert routes.dispatch(http_event("POST", "/things/x1/go"), LambdaContext()) == {"statusCode": 204}
    (event,) = seen
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /things/{thing_id}/go"
    assert event["pathParameters"] == {"thing_id": "x1"}


def test_the_most_specific_route_wins() -> None:
    routes = Routes(
        [
            Route("ANY", "/{proxy+}", "catchall", "h"),
            Route("GET", "/a/{id}", "var", "h"),
            Route("GET", "/a/b", "literal", "h"),
        ]
    )
    assert [routes.find("GET", p)[0].function for p in ("/a/b", "/a/c", "/z/y")] == [  # type: ignore[index]
        "literal",
        "var",
        "catchall",
    ]


def test_every_http_sample_is_on_its_functions_route() -> None:
    """events/<function>_<case>.json: the route serverless.yml gives its method and path is the function the
    name says, and the sample carries that route's key and path parameters as the HTTP API sends them."""
    routes = Routes.from_serverless()
    checked = 0
    for path in sorted(EVENTS.glob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        if "rawPath" not in event:
            continue
        found = routes.find(event["requestContext"]["http"]["method"], event["rawPath"])
        assert found is not None, path.name
        route, params = found
        assert path.stem.startswith(f"{route.function}_"), path.name
        assert event["routeKey"] == event["requestContext"]["routeKey"] == route.key, path.name
        assert (event.get("pathParameters") or {}) == params, path.name
        checked += 1
    assert checked >= 15


def test_the_readme_shows_the_gateways_own_404() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Who answers") :]
    (row,) = [line for line in section.splitlines() if line.startswith("| 404")]
    assert f"`{NOT_FOUND['body']}`" in row and "local gateway" in row
