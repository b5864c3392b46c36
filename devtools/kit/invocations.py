"""Events of the other kinds a Lambda function can be invoked with, shaped as AWS sends them (the fields
and nesting of the sample events in aws-powertools/powertools-lambda-python ``tests/events``:
``apiGatewayProxyEvent``, ``albEvent``, ``vpcLatticeEvent``, ``vpcLatticeV2Event``, ``lambdaFunctionUrlEvent``,
``eventBridgeEvent``), so the functions' recognition of what invoked them is tested on each."""

from __future__ import annotations

import json
from typing import Any

from devtools.kit.http import http_event


def _json(body: Any) -> str | None:
    return None if body is None else json.dumps(body)


def function_url_event(
    method: str, path: str, body: Any = None, *, token: str | None = None
) -> dict[str, Any]:
    """A Lambda function URL request: payload format 2.0, as HTTP API's, from a lambda-url host."""
    event = http_event(method, path, body, token=token)
    host = "abcdefghij.lambda-url.ap-southeast-1.on.aws"
    event["headers"]["host"] = host
    event["requestContext"] |= {"accountId": "anonymous", "apiId": "abcdefghij", "domainName": host}
    event.pop("pathParameters", None)  # a function URL has no routes
    return event


def rest_event(method: str, path: str, body: Any = None, *, token: str | None = None) -> dict[str, Any]:
    """An API Gateway REST API request (payload format 1.0)."""
    headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
    return {
        "version": "1.0",
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "1234567890",
            "httpMethod": method,
            "path": f"/prod{path}",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "resourcePath": path,
            "stage": "prod",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": _json(body),
        "isBase64Encoded": False,
    }


def alb_event(method: str, path: str, body: Any = None, *, token: str | None = None) -> dict[str, Any]:
    """An Application Load Balancer request to a Lambda target group."""
    arn = "arn:aws:elasticloadbalancing:ap-southeast-1:123456789012:targetgroup/liverec/49e9d65c45c6791a"
    return {
        "requestContext": {"elb": {"targetGroupArn": arn}},
        "httpMethod": method,
        "path": path,
        "queryStringParameters": {},
        "headers": {"content-type": "application/json"}
        | ({"authorization": f"Bearer {token}"} if token else {}),
        "body": _json(body) or "",
        "isBase64Encoded": False,
    }


def lattice_event(method: str, path: str, body: Any = None, *, version: int = 2) -> dict[str, Any]:
    """A VPC Lattice request, in its payload format 1.0 (snake_case, no request context) or 2.0."""
    headers = {"content-type": "application/json", "host": "svc-0a40.vpc-lattice-svcs.ap-southeast-1.on.aws"}
    if version == 1:
        return {
            "raw_path": path,
            "method": method,
            "headers": headers,
            "query_string_parameters": {},
            "body": _json(body) or "",
            "is_base64_encoded": False,
        }
    return {
        "version": "2.0",
        "path": path,
        "method": method,
        "headers": headers,
        "queryStringParameters": {},
        "body": _json(body) or "",
        "isBase64Encoded": False,
        "requestContext": {
            "serviceNetworkArn": "arn:aws:vpc-lattice:ap-southeast-1:123456789012:servicenetwork/sn-0bf3",
            "serviceArn": "arn:aws:vpc-lattice:ap-southeast-1:123456789012:service/svc-0a40",
            "targetGroupArn": "arn:aws:vpc-lattice:ap-southeast-1:123456789012:targetgroup/tg-6d0e",
            "identity": {"type": "AWS_IAM"},
            "region": "ap-southeast-1",
            "timeEpoch": "1696331543569073",
        },
    }


def eventbridge_event(
    source: str = "aws.events", detail_type: str = "Scheduled Event", detail: Any = None
) -> dict[str, Any]:
    """An EventBridge event; by default a scheduled rule's tick."""
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-11-23T00:00:00Z",
        "region": "ap-southeast-1",
        "resources": ["arn:aws:events:ap-southeast-1:123456789012:rule/liverec-tick"],
        "detail": {} if detail is None else detail,
    }
