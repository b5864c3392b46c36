"""One resolver serving requests on several threads at once (the local gateway, and tests that stand in for
several containers with threads): each request sees its own event, context and route to the end.

powertools keeps a request's event and route on the resolver (the class, even) and clears them when a
request ends: two threads through one resolver read each other's event, and one's end wiped the other's
route (a KeyError '_route' answered 500). Both cases are forced here with events, not left to timing."""

from __future__ import annotations

import json
import threading
from typing import Any

from aws_lambda_powertools.event_handler import Response

from devtools.kit.http import http_event
from shared.edge.resolver import make_app


def _resolver() -> tuple[Any, threading.Event, threading.Event]:
    app = make_app(bearer=False)
    inside, release = threading.Event(), threading.Event()

    @app.get("/slow/<name>")  # type: ignore[misc]
    def slow(name: str) -> Response[str]:
        inside.set()
        assert release.wait(10)
        seen = {"name": name, "path": app.current_event.path, "route": app.context.get("_path")}
        return Response(200, "application/json", json.dumps(seen))

    @app.get("/fast")  # type: ignore[misc]
    def fast() -> Response[str]:
        return Response(200, "application/json", json.dumps({"path": app.current_event.path}))

    return app, inside, release


def test_a_request_ending_on_another_thread_leaves_this_ones_event_and_route() -> None:
    # Given a request held inside its route on one thread
    app, inside, release = _resolver()
    answers: dict[str, Any] = {}

    def slow() -> None:
        answers["slow"] = app.resolve(http_event("GET", "/slow/first"), None)

    thread = threading.Thread(target=slow)
    thread.start()
    assert inside.wait(10)
    # When another request comes and ends meanwhile
    fast = app.resolve(http_event("GET", "/fast"), None)
    release.set()
    thread.join(10)
    # Then each answered 200 with what it was asked, the held one with its own event and route
    assert (fast["statusCode"], json.loads(fast["body"])) == (200, {"path": "/fast"})
    assert answers["slow"]["statusCode"] == 200, answers["slow"]["body"]
    assert json.loads(answers["slow"]["body"]) == {
        "name": "first",
        "path": "/slow/first",
        "route": "/slow/first",
    }


def test_a_thread_that_never_resolved_sees_no_request() -> None:
    app, _, _ = _resolver()
    app.resolve(http_event("GET", "/fast"), None)
    seen: dict[str, Any] = {}

    def look() -> None:
        seen["context"] = dict(app.context)

    thread = threading.Thread(target=look)
    thread.start()
    thread.join(10)
    assert seen == {"context": {}} and app.context == {}
