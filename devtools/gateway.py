"""The HTTP API's routes as serverless.yml declares them, for the local gateway and the tests.

API Gateway's HTTP API matches a request to a route by method and path; what matches no route (an unknown
path, or a known path with another method) never reaches a function: the gateway itself answers
``404 {"message":"Not Found"}``. A matched request reaches the route's function with ``routeKey`` set to
the route (``"POST /recordings/{task_id}/stop"``) and ``pathParameters`` holding the path's variables.
:class:`Routes` does the same from serverless.yml, so ``make run`` answers as the deployed API does and a
route added to serverless.yml is served locally without another list to keep.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parent.parent
NOT_FOUND: dict[str, Any] = {
    "statusCode": 404,
    "headers": {"Content-Type": "application/json"},
    "body": '{"message":"Not Found"}',
}


def load_serverless(path: Path | None = None) -> dict[str, Any]:
    """serverless.yml as data (CloudFormation's short tags, e.g. ``!GetAtt``, read as plain values;
    ``${...}`` variables left as text)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        return loader.construct_mapping(node)  # type: ignore[arg-type]

    Loader.add_multi_constructor("!", tagged)
    text = (path or ROOT / "serverless.yml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    return data


@dataclass(frozen=True)
class Route:
    method: str  # upper case, or "ANY"
    path: str  # as declared: /recordings/{task_id}/stop, /files/{proxy+}
    function: str  # the serverless.yml function name
    handler: str  # functions/tasks/handler.lambda_handler

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    def match(self, method: str, path: str) -> dict[str, str] | None:
        """The path's variables when this route takes the request, else None."""
        if self.method not in ("ANY", method.upper()):
            return None
        found = _pattern(self.path).fullmatch(path)
        if found is None:
            return None
        return {name.rstrip("+"): unquote(value) for name, value in found.groupdict().items()}


def _pattern(template: str) -> re.Pattern[str]:
    parts = []
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            group = re.sub(r"\W", "_", name.rstrip("+"))
            parts.append(f"(?P<{group}>.+)" if name.endswith("+") else f"(?P<{group}>[^/]+)")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def _specificity(route: Route) -> tuple[int, int, int]:
    # API Gateway prefers the route with the most literal segments, then path variables over greedy ones,
    # then a method over ANY
    segments = route.path.strip("/").split("/")
    literal = sum(1 for s in segments if not s.startswith("{"))
    greedy = sum(1 for s in segments if s.endswith("+}"))
    return (-literal, greedy, route.method == "ANY")


class Routes:
    """Every ``httpApi`` event of every function in serverless.yml."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted(routes, key=_specificity)

    @classmethod
    def from_serverless(cls, doc: dict[str, Any] | None = None) -> Routes:
        doc = doc if doc is not None else load_serverless()
        found: list[Route] = []
        for name, function in (doc.get("functions") or {}).items():
            for event in function.get("events") or []:
                spec = event.get("httpApi") if isinstance(event, dict) else None
                if spec is None:
                    continue
                if isinstance(spec, str):  # the short form: "GET /recordings" or "*"
                    method, _, path = spec.partition(" ") if spec != "*" else ("ANY", "", "/{proxy+}")
                else:
                    method, path = str(spec.get("method", "ANY")), str(spec["path"])
                method = "ANY" if method == "*" else method.upper()
                found.append(Route(method, path, name, function["handler"]))
        return cls(found)

    def find(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            params = route.match(method, path)
            if params is not None:
                return route, params
        return None

    def dispatch(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """What the HTTP API answers to ``event`` (payload 2.0, routeKey ``$default`` as the kit builds it):
        the matched function's answer with the route's key and path parameters set, or the gateway's 404."""
        method = event["requestContext"]["http"]["method"]
        found = self.find(method, event["rawPath"])
        if found is None:
            return dict(NOT_FOUND)
        route, params = found
        event = event | {"routeKey": route.key, "pathParameters": params or None}
        event["requestContext"] = event["requestContext"] | {"routeKey": route.key}
        result: dict[str, Any] = handler_of(route)(event, context)
        return result


def handler_of(route: Route) -> Any:
    module, _, attribute = route.handler.rpartition(".")
    return getattr(importlib.import_module(module.replace("/", ".")), attribute)
