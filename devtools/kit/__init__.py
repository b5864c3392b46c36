"""The kit the tests, ``make run``, the package check and the benchmarks share to stand in for AWS and for
callers: a Lambda context, API Gateway HTTP API events, a webhook subscriber, moto's DynamoDB server
(``devtools.kit.moto``) and a fake Tencent adapter (``devtools.kit.tencent``). Development only, never
deployed. The modules imported here use the standard library alone.
"""

from devtools.kit.context import LambdaContext
from devtools.kit.http import event_from_request, http_event, parse
from devtools.kit.polling import poll_until
from devtools.kit.subscriber import Subscriber

__all__ = ["LambdaContext", "Subscriber", "event_from_request", "http_event", "parse", "poll_until"]
