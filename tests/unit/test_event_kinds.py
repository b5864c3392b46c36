"""What invoked a function is recognised explicitly, on events shaped as AWS sends them (the kit's
builders follow powertools' sample events), and anything else is one of the refused kinds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devtools.events import load_event
from devtools.kit import http_event
from devtools.kit.invocations import (
    alb_event,
    eventbridge_event,
    function_url_event,
    lattice_event,
    rest_event,
)
from shared.edge.events import HTTP_LOOKING, EventKind, kind_of, refuse


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (http_event("POST", "/recordings/realtime", {"stream": "s"}), EventKind.HTTP),
        (function_url_event("GET", "/recordings"), EventKind.HTTP),
        (load_event("tasks_list"), EventKind.HTTP),
        (eventbridge_event(), EventKind.SCHEDULED),
        (load_event("rollout_timer_bare"), EventKind.SCHEDULED),
        (load_event("webhooks_timer_outbox"), EventKind.SCHEDULED),
        (load_event("rollout_timer_programs"), EventKind.SCHEDULE_INPUT),
        (rest_event("GET", "/recordings"), EventKind.REST),
        (alb_event("GET", "/recordings"), EventKind.ALB),
        (lattice_event("GET", "/recordings", version=1), EventKind.VPC_LATTICE),
        (lattice_event("GET", "/recordings"), EventKind.VPC_LATTICE),
        (http_event("GET", "/recordings") | {"requestContext": None}, EventKind.MALFORMED_HTTP),
        (http_event("GET", "/recordings") | {"version": "1.5"}, EventKind.MALFORMED_HTTP),
        (http_event("GET", "/recordings") | {"headers": ["x"]}, EventKind.MALFORMED_HTTP),
        (http_event("GET", "/recordings") | {"body": 12}, EventKind.MALFORMED_HTTP),
        (eventbridge_event("aws.ec2", "EC2 Instance State-change Notification"), EventKind.UNKNOWN),
        (eventbridge_event("custom.app"), EventKind.UNKNOWN),  # a "Scheduled Event" from another source
        ({"programs": [], "extra": 1}, EventKind.UNKNOWN),
        ({"outbox": "redrive"}, EventKind.OUTBOX_REDRIVE),
        ({"outbox": "redrive", "extra": 1}, EventKind.UNKNOWN),
        ({"outbox": "drain"}, EventKind.OUTBOX_DRAIN),
        (load_event("webhooks_outbox_drain"), EventKind.OUTBOX_DRAIN),
        ({"outbox": "drain", "payload_id": "tencent-100-" + "0a" * 16}, EventKind.OUTBOX_DRAIN),
        ({"outbox": "drain", "payload_id": "a" * 128}, EventKind.OUTBOX_DRAIN),
        ({"outbox": "drain", "payload_id": "a" * 129}, EventKind.UNKNOWN),
        ({"outbox": "drain", "payload_id": ""}, EventKind.UNKNOWN),
        ({"outbox": "drain", "payload_id": "id\n"}, EventKind.UNKNOWN),
        ({"outbox": "drain", "payload_id": "../x y"}, EventKind.UNKNOWN),
        ({"outbox": "drain", "payload_id": 5}, EventKind.UNKNOWN),
        ({"outbox": "drain", "payload_id": None}, EventKind.UNKNOWN),
        ({"outbox": "drain", "payload_id": ["a"]}, EventKind.UNKNOWN),
        ({"outbox": "drain", "extra": 1}, EventKind.UNKNOWN),
        ({"outbox": "drain", "payload_id": "a", "extra": 1}, EventKind.UNKNOWN),
        ({"outbox": "Drain"}, EventKind.UNKNOWN),
        ({"outbox": ["drain"]}, EventKind.UNKNOWN),
        ({"payload_id": "a"}, EventKind.UNKNOWN),
        ({}, EventKind.UNKNOWN),
        ([], EventKind.UNKNOWN),
        (None, EventKind.UNKNOWN),
        ("tick", EventKind.UNKNOWN),
        ({"Records": [{"eventSource": "aws:sqs"}]}, EventKind.UNKNOWN),
    ],
)
def test_each_kind_is_recognised(event: Any, kind: EventKind) -> None:
    assert kind_of(event) is kind


@given(
    event=st.recursive(
        st.none() | st.text() | st.integers(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_anything_is_some_kind(event: Any) -> None:
    assert isinstance(kind_of(event), EventKind)


def test_a_refusal_is_a_400_for_http_looking_events_and_an_error_object_otherwise() -> None:
    for kind in EventKind:
        answer = refuse(
            {"headers": {"authorization": "Bearer secret-token"}}, kind, "rollout", {EventKind.SCHEDULED}
        )
        if kind in HTTP_LOOKING:
            assert answer["statusCode"] == 400 and "UnsupportedEvent" in answer["body"]
        else:
            assert answer == {"error": answer["error"]} and answer["error"]["code"] == "UnsupportedEvent"
        assert "secret-token" not in str(answer)
