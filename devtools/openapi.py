"""``make openapi``: the OpenAPI 3 document of every HTTP route, generated from the functions' resolvers.

The routes are serverless.yml's (``devtools.gateway.Routes``: what the HTTP API serves); each one is taken
from its function's resolver, where it declares its answers (``shared.edge.contract``). What the edge adds to
every route is added here from one table (:data:`EDGE`), from the route's own facts: a bearer resolver, a
body read, a parameter validated, a path variable. powertools' own validation error shape is replaced by
ours; examples come from the ``events/`` samples (rendered at a fixed time and signed with the local keys,
so the document is stable).

    python -m devtools.openapi            # writes openapi.json at the repo root
    python -m devtools.openapi --check    # exits 1 when openapi.json differs from what the code generates
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

from devtools.events import EVENTS, LOCAL_CALLBACK_KEY, LOCAL_HOOK_SECRET, load_event
from devtools.gateway import ROOT, Routes

OUT = ROOT / "openapi.json"
SCHEMAS = "#/components/schemas/"
EXAMPLES_AT = 1_798_761_600  # 2027-01-01T00:00:00Z: the samples' {{now+N}}, rendered the same every time
# the modules whose models the declarations name
MODEL_MODULES = (
    "shared.edge.responses",
    "shared.edge.program_responses",
    "shared.recordings.models",
    "shared.webhooks.tencent_events",
)
# samples that show a refusal, not what to send
REFUSALS = ("bad", "unauthorized", "wrong", "expired", "missing", "not_json", "unknown")

SECURITY = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "one of LIVEREC_API_TOKENS (or, deployed with jwtIssuer, a JWT checked by API Gateway)",
    },
    "hookSignature": {
        "type": "apiKey",
        "in": "header",
        "name": "Liverec-Signature",
        "description": "t=<UNIX seconds>,v1=<hex HMAC-SHA256 of '<t>.<raw body>' with one of "
        "LIVEREC_HOOK_SECRETS>; t within 300 s of now",
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": SCHEMAS + "ErrorBody"}}},
    }


# What the edge answers on any route, by the route's facts: (applies?, status, answer). A route's own
# declaration of a status is kept; these add to it.
Facts = dict[str, bool]
EDGE: list[tuple[Callable[[Facts], bool], int, dict[str, Any]]] = [
    (
        lambda f: f["bearer"],
        401,
        _error(
            "Unauthorized: no authorizer verdict and no valid bearer token (checked before anything else)"
        ),
    ),
    (
        lambda f: f["body"],
        400,
        _error(
            "InvalidJson, InvalidBody: the body is not JSON (or not valid base64 or UTF-8), or not an object "
            "(no body, null, an array, a string, a number)"
        ),
    ),
    (lambda f: f["body"], 413, _error("PayloadTooLarge: the body is over the route's limit")),
    (
        lambda f: f["body"],
        415,
        _error("UnsupportedMediaType: a Content-Type other than JSON (a JSON body may be sent without one)"),
    ),
    (
        lambda f: f["params"] or f["body"],
        422,
        _error("InvalidRequest, MissingField, UnknownField: an input breaks a rule (field names it)"),
    ),
    (lambda f: f["path_params"], 404, _error("the resource the path names is not known")),
]


def resolvers(routes: Routes) -> list[tuple[str, Any]]:
    """Each HTTP function's module and resolver, in serverless.yml's order."""
    seen: dict[str, Any] = {}
    for route in routes.routes:
        module = route.handler.rpartition(".")[0].replace("/", ".")
        if module not in seen:
            seen[module] = importlib.import_module(module).app
    return sorted(seen.items())


def _is_bearer(app: Any) -> bool:
    return bool(getattr(app, "bearer", False))


def generate() -> dict[str, Any]:
    routes = Routes.from_serverless()
    declared = {(r.method, r.path) for r in routes.routes}
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for _module, app in resolvers(routes):
        doc = json.loads(app.get_openapi_json_schema(title="liverec", version="0", security_schemes=SECURITY))
        schemas.update((doc.get("components") or {}).get("schemas") or {})
        bearer = _is_bearer(app)
        funcs = {(r.method, r.openapi_path): r.func for r in app._static_routes + app._dynamic_routes}
        for path, operations in doc["paths"].items():
            for method, operation in operations.items():
                if (method.upper(), path) not in declared:
                    continue  # a route the function has and serverless.yml does not route: never reached
                func = funcs.get((method.upper(), path))
                paths.setdefault(path, {})[method] = _operation(operation, path, method, bearer, func)
                _other_bodies(operation, path, method, getattr(app, "others", ()))
    missing = {(m, p) for m, p in declared if p not in paths or m.lower() not in paths[p]}
    if missing:
        raise SystemExit(f"serverless.yml routes that no resolver declares: {sorted(missing)}")
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "liverec",
            "version": _version(),
            "description": "Create, track and stop Tencent Cloud Live recording tasks. Every error answers "
            '{"error": {"code", "message", "field"}}; Tencent\'s own code is passed through in code. '
            "Generated from the functions' resolvers by `make openapi`; do not edit.",
        },
        "paths": dict(sorted(paths.items())),
    }
    document["components"] = {"schemas": _schemas(document, schemas), "securitySchemes": SECURITY}
    return document


def _operation(operation: dict[str, Any], path: str, method: str, bearer: bool, func: Any) -> dict[str, Any]:
    parameters = operation.get("parameters") or []
    facts: Facts = {
        "bearer": bearer,
        "body": "requestBody" in operation,
        "params": bool(parameters),
        "path_params": any(p.get("in") == "path" for p in parameters),
    }
    responses: dict[str, Any] = {}
    for status, answer in operation["responses"].items():
        if _refs(answer) & {"HTTPValidationError", "ResponseValidationError"}:
            continue  # powertools' shapes: ours replaces them below
        if not answer.get("content"):
            answer.pop("content", None)  # no body (204)
        responses[str(status)] = answer
    for applies, status, answer in EDGE:
        if applies(facts) and str(status) not in responses:
            responses[str(status)] = json.loads(json.dumps(answer))
    operation["responses"] = dict(sorted(responses.items()))
    if bearer:
        operation["security"] = [{"bearerAuth": []}]
    operation.setdefault("tags", [path.strip("/").split("/")[0]])
    if func is not None and func.__doc__ and "description" not in operation:
        operation["description"] = " ".join(func.__doc__.split())
    examples = _examples(method, path)
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if examples and content is not None:
        content["examples"] = examples
    return operation


def _other_bodies(operation: dict[str, Any], path: str, method: str, others: Any) -> None:
    """The media types a route takes besides JSON (shared.edge.body.OtherBody), beside its JSON body."""
    content = (operation.get("requestBody") or {}).get("content")
    for other in others:
        if content is not None and (other.method.lower(), other.path) == (method, path):
            content[other.media_type] = {
                "schema": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": other.limit,
                    "description": other.description,
                }
            }


def _examples(method: str, path: str) -> dict[str, Any]:
    """The request bodies of the events/ samples of this route (not those showing a refusal)."""
    found: dict[str, Any] = {}
    for sample in sorted(EVENTS.glob("*.json")):
        if any(word in sample.stem for word in REFUSALS):
            continue
        event = load_event(
            sample.stem, now=EXAMPLES_AT, callback_key=LOCAL_CALLBACK_KEY, hook_secret=LOCAL_HOOK_SECRET
        )
        if event.get("routeKey") != f"{method.upper()} {path}" or not isinstance(event.get("body"), str):
            continue
        try:
            body = json.loads(event["body"])
        except ValueError:
            continue
        found[sample.stem] = {"summary": f"events/{sample.name}", "value": body}
    return found


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].removeprefix(SCHEMAS)} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _refs(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node)) if node else set()
    return set()


def _schemas(document: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """Every schema the document refers to (and only those): powertools' where it built them, else the
    named model's, from the modules the declarations name."""
    from pydantic import BaseModel
    from pydantic.json_schema import models_json_schema

    out: dict[str, Any] = {}
    pending = _refs(document["paths"])
    while pending:
        name = min(pending)  # in name order, so the document is the same on every run
        pending.discard(name)
        if name in out:
            continue
        if name not in known:
            model = _model(name)
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                raise SystemExit(f"no model {name} in {MODEL_MODULES}")
            _, defs = models_json_schema([(model, "serialization")], ref_template=SCHEMAS + "{model}")
            for key, schema in defs.get("$defs", {}).items():
                known.setdefault(key, schema)  # powertools' schema of a model, where it built one, stays
        out[name] = known[name]
        pending |= _refs(known[name]) - set(out)
    return dict(sorted(out.items()))


def _model(name: str) -> Any:
    for module in MODEL_MODULES:
        found = getattr(importlib.import_module(module), name, None)
        if found is not None:
            return found
    return None


def _version() -> str:
    import tomllib

    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["version"])


_NAMED = ("properties", "$defs", "patternProperties")  # name -> schema: the names keep their order
_ONE = ("items", "additionalProperties", "not", "contains")
_MANY = ("anyOf", "allOf", "oneOf", "prefixItems")


def _schema(node: Any) -> Any:
    """A JSON schema with its keywords in sorted order: pydantic writes an enum's keywords in an order that
    depends on what was built before it in the process, and the document must not."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key in sorted(node):
        value = node[key]
        if key in _NAMED and isinstance(value, dict):
            value = {name: _schema(sub) for name, sub in value.items()}
        elif key in _ONE:
            value = _schema(value)
        elif key in _MANY and isinstance(value, list):
            value = [_schema(sub) for sub in value]
        out[key] = value
    return out


def _canonical(node: Any, parent: str | None = None) -> Any:
    if isinstance(node, dict):
        if parent == "schema":
            return _schema(node)
        if parent == "schemas":
            return {name: _schema(sub) for name, sub in node.items()}
        return {key: _canonical(value, key) for key, value in node.items()}
    if isinstance(node, list):
        return [_canonical(value) for value in node]
    return node


def text() -> str:
    return json.dumps(_canonical(generate()), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make openapi", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when openapi.json is not up to date")
    args = parser.parse_args(argv)
    generated = text()
    if args.check:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != generated:
            sys.stderr.write("openapi.json differs from what the code generates: run make openapi\n")
            return 1
        return 0
    OUT.write_text(generated, encoding="utf-8")
    print(f"wrote {OUT.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
