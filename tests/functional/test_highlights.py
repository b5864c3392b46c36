"""Highlights and their stream, through the real handlers against the emulator: refused (409 StreamNotLive)
where the generation can tell the stream is not live, recorded where it is or where the generation cannot
tell; with ``wait``, armed (202) and started, once, by the stream's begin callback within its window."""

from __future__ import annotations

import hashlib
import io
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from devtools import liverec_cli
from devtools.emulator import Emulator
from devtools.kit import LambdaContext, parse
from functions.realtime import handler as realtime
from functions.tasks import handler as tasks
from functions.webhooks import handler as webhooks
from shared.app import use_clock
from tests.functional.conftest import TABLE, TOKEN, http_event, local_gateway

DOMAIN, APP = "5000.live.push.com", "live"
CALLBACK_KEY = "test-callback-key"
CAN_TELL = ["record-task", "live-record"]
CANNOT_TELL = ["v2", "fcgi"]
ALL = CAN_TELL + CANNOT_TELL
Configure = Callable[..., None]
_DELIVERY = itertools.count()


def setup(configure: Configure, api: str, **extra: str) -> None:
    """The generation, with the live check at its default (refuse) and Tencent's callbacks verified."""
    configure(api, LIVEREC_LIVE_CHECK="", LIVE_CALLBACK_KEY=CALLBACK_KEY, **extra)


def post(ctx: LambdaContext, body: dict[str, Any], key: str | None = None) -> tuple[int, Any, dict[str, str]]:
    headers = {"Idempotency-Key": key} if key else None
    answer = realtime.lambda_handler(http_event("POST", "/recordings/realtime", body, headers=headers), ctx)
    status, data = parse(answer)
    return status, data, answer.get("headers") or {}


def show(ctx: LambdaContext, wait_id: str) -> tuple[int, Any]:
    return parse(realtime.lambda_handler(http_event("GET", f"/recordings/realtime/{wait_id}"), ctx))


def callback(ctx: LambdaContext, fields: dict[str, Any]) -> tuple[int, Any]:
    """Tencent's callback (the emulator's fields for a push), signed with the callback key; each delivery
    with its own ``t``, as Tencent's redeliveries are."""
    t = int(time.time()) + 600 - next(_DELIVERY) % 300
    body = fields | {"t": t, "sign": hashlib.md5(f"{CALLBACK_KEY}{t}".encode()).hexdigest()}
    return parse(webhooks.lambda_handler(http_event("POST", "/callbacks/tencent", body, token=None), ctx))


def creates(emu: Emulator) -> list[Any]:
    return [r for r in emu.requests() if r.action in ("CreateRecordTask", "CreateLiveRecord", "CreateRecord")]


def tasks_of(emu: Emulator, stream: str) -> list[Any]:
    return [t for t in emu.tasks() if t.stream == stream]


@pytest.mark.parametrize("api", CAN_TELL)
@pytest.mark.parametrize("state", ["inactive", "forbid"])
def test_a_stream_that_is_not_live_is_refused_and_nothing_is_created(
    api: str, state: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, api)
    if state == "forbid":  # banned while pushed: still not live
        fresh_emulator.callbacks.push_begin(DOMAIN, APP, "s")
        fresh_emulator.callbacks.forbid(DOMAIN, APP, "s")
    status, data, _ = post(lambda_context, {"stream": "s", "duration": 60})
    assert status == 409, data
    assert data["error"]["code"] == "StreamNotLive" and data["error"]["field"] == "stream"
    assert creates(fresh_emulator) == [] and fresh_emulator.tasks() == []
    (asked,) = [r for r in fresh_emulator.requests() if r.action == "DescribeLiveStreamState"]
    assert asked.params == {"AppName": APP, "DomainName": DOMAIN, "StreamName": "s"}
    assert asked.response["Response"]["StreamState"] == state


@pytest.mark.parametrize("api", CAN_TELL)
def test_a_live_stream_is_recorded(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, api)
    fresh_emulator.callbacks.push_begin(DOMAIN, APP, "s")
    status, data, _ = post(lambda_context, {"stream": "s", "duration": 60})
    assert status == 201, data
    assert not any("live" in w for w in data["warnings"]), data
    assert len(tasks_of(fresh_emulator, "s")) == 1


@pytest.mark.parametrize("api", CANNOT_TELL)
def test_where_the_generation_cannot_tell_the_highlight_is_created_without_asking(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, api)
    status, data, _ = post(lambda_context, {"stream": "s", "duration": 60})
    assert status == 201, data
    assert len(tasks_of(fresh_emulator, "s")) == 1
    assert not [r for r in fresh_emulator.requests() if r.action == "DescribeLiveStreamState"]


def test_a_failed_state_look_up_does_not_block_the_create(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, "record-task")
    fresh_emulator.faults.http_error(status=502, count=1, action="DescribeLiveStreamState")
    status, data, _ = post(lambda_context, {"stream": "s", "duration": 60})
    assert status == 201, data
    assert any("whether the stream is live is unknown" in w for w in data["warnings"]), data
    assert len(tasks_of(fresh_emulator, "s")) == 1


def test_the_check_can_be_turned_off(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    configure("record-task", LIVEREC_LIVE_CHECK="off")
    status, data, _ = post(lambda_context, {"stream": "s", "duration": 60})
    assert status == 201, data
    assert not [r for r in fresh_emulator.requests() if r.action == "DescribeLiveStreamState"]


def arm_and_begin(emu: Emulator, ctx: LambdaContext, stream: str) -> tuple[dict[str, Any], dict[str, Any]]:
    status, armed, headers = post(ctx, {"stream": stream, "duration": 120, "wait": 600})
    assert status == 202, armed
    assert armed["state"] == "armed" and armed["task_id"] is None and armed["stream"] == stream
    assert headers["Location"] == f"/recordings/realtime/{armed['wait_id']}"
    assert show(ctx, armed["wait_id"]) == (200, armed)
    assert tasks_of(emu, stream) == []  # nothing before the stream begins
    fields = emu.callbacks.push_begin(DOMAIN, APP, stream)
    return armed, fields


@pytest.mark.parametrize("api", ALL)
def test_an_armed_highlight_starts_once_when_its_stream_begins(
    api: str, configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, api)
    armed, fields = arm_and_begin(fresh_emulator, lambda_context, "match-1")
    assert callback(lambda_context, fields) == (200, {"code": 0})
    status, shown = show(lambda_context, armed["wait_id"])
    (task,) = tasks_of(fresh_emulator, "match-1")
    assert status == 200 and shown["state"] == "started" and shown["task_id"] == task.task_id, shown
    assert task.end - task.start == pytest.approx(120, abs=2)
    # the recording itself, as the ledger knows it: started by the armed request
    status, recording = parse(
        tasks.lambda_handler(http_event("GET", f"/recordings/{task.task_id}"), lambda_context)
    )
    assert status == 200 and recording["origin"] == {"kind": "callback", "name": "wait"}, recording
    # Tencent's redelivery, and a later push of the same stream: nothing more
    assert callback(lambda_context, fields) == (200, {"code": 0})
    fresh_emulator.callbacks.push_end(DOMAIN, APP, "match-1")
    assert callback(lambda_context, fresh_emulator.callbacks.push_begin(DOMAIN, APP, "match-1"))[0] == 200
    assert len(tasks_of(fresh_emulator, "match-1")) == 1
    assert show(lambda_context, armed["wait_id"])[1]["task_id"] == task.task_id


def test_two_stream_begins_at_once_make_one_task(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, "record-task")
    armed, fields = arm_and_begin(fresh_emulator, lambda_context, "match-2")
    other = fields | {
        "sequence": str(int(fields["sequence"]) + 1),
        "event_time": int(fields["event_time"]) + 1,
    }
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda f=f: answers.append(callback(lambda_context, f)[0]))
        for f in (fields, other)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert answers == [200, 200]
    assert len(tasks_of(fresh_emulator, "match-2")) == 1
    assert show(lambda_context, armed["wait_id"])[1]["state"] == "started"


def test_another_streams_begin_or_another_domain_starts_nothing(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, "record-task")
    status, armed, _ = post(lambda_context, {"stream": "match-3", "duration": 60, "wait": 600})
    assert status == 202, armed
    callback(lambda_context, fresh_emulator.callbacks.push_begin(DOMAIN, APP, "match-4"))
    callback(lambda_context, fresh_emulator.callbacks.push_begin("other.push.com", APP, "match-3"))
    assert fresh_emulator.tasks() == [] and show(lambda_context, armed["wait_id"])[1]["state"] == "armed"


def test_a_stream_live_when_asked_is_recorded_at_once_even_with_wait(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, "live-record")
    fresh_emulator.callbacks.push_begin(DOMAIN, APP, "s")
    status, data, _ = post(lambda_context, {"stream": "s", "duration": 60, "wait": 600})
    assert status == 201 and data["mode"] == "realtime", data
    assert len(tasks_of(fresh_emulator, "s")) == 1


def test_an_armed_highlight_expires_and_then_starts_nothing(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, "record-task")
    now = float(int(time.time()))
    fresh_emulator.clock.freeze(now)
    use_clock(fresh_emulator.clock.now, fresh_emulator.clock.advance, fresh_emulator.clock.now)
    status, armed, _ = post(lambda_context, {"stream": "late", "duration": 60, "wait": 60})
    assert status == 202 and armed["expires_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60))
    fresh_emulator.clock.advance(61)
    assert show(lambda_context, armed["wait_id"])[1]["state"] == "expired"
    fields = fresh_emulator.callbacks.push_begin(DOMAIN, APP, "late")
    assert callback(lambda_context, fields)[0] == 200  # acknowledged: nothing starts
    assert fresh_emulator.tasks() == []
    # the stream can be armed again, and this one starts
    fresh_emulator.callbacks.push_end(DOMAIN, APP, "late")
    status, again, _ = post(lambda_context, {"stream": "late", "duration": 60, "wait": 60})
    assert status == 202 and again["wait_id"] != armed["wait_id"], again


def test_one_armed_highlight_a_stream_and_idempotent_retries(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, "record-task")
    body = {"stream": "s", "duration": 60, "wait": 600}
    status, first, _ = post(lambda_context, body, key="k-1")
    assert status == 202, first
    status, again, headers = post(lambda_context, body, key="k-1")
    assert (status, again["wait_id"], headers.get("Idempotent-Replayed")) == (202, first["wait_id"], "true")
    fresh_emulator.callbacks.push_begin(DOMAIN, APP, "s")  # live now: the retry still answers the armed one
    assert post(lambda_context, body, key="k-1")[1]["wait_id"] == first["wait_id"]
    assert (
        post(lambda_context, body | {"duration": 61}, key="k-1")[1]["error"]["code"] == "IdempotencyConflict"
    )
    fresh_emulator.callbacks.push_end(DOMAIN, APP, "s")
    status, other, _ = post(lambda_context, body, key="k-2")
    assert status == 409 and other["error"]["code"] == "AlreadyWaiting", other
    assert fresh_emulator.tasks() == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"wait": 0}, "wait"),
        ({"wait": 86401}, "wait"),
        ({"wait": "60"}, "wait"),
        ({"wait": 1.5}, "wait"),
        ({"wait": True}, "wait"),
        ({"wait": 60, "end": int(time.time()) + 600, "duration": None}, "wait"),
    ],
)
def test_a_bad_wait_is_422_naming_it(
    extra: dict[str, Any],
    field: str,
    configure: Configure,
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
) -> None:
    setup(configure, "record-task")
    body = {k: v for k, v in ({"stream": "s", "duration": 60} | extra).items() if v is not None}
    status, data, _ = post(lambda_context, body)
    assert status == 422 and data["error"]["field"] == field, data
    assert fresh_emulator.requests() == []


def test_an_unknown_wait_id_is_404(configure: Configure, lambda_context: LambdaContext) -> None:
    setup(configure, "record-task")
    status, data = show(lambda_context, "0" * 32)
    assert status == 404 and data["error"]["code"] == "WaitNotFound", data
    status, data = show(lambda_context, "not-an-id")
    assert status == 422 and data["error"]["field"] == "wait_id", data


@pytest.mark.usefixtures("dynamodb")
def test_armed_and_started_on_the_dynamodb_store(
    configure: Configure, fresh_emulator: Emulator, lambda_context: LambdaContext
) -> None:
    setup(configure, "record-task", LIVEREC_IDEMPOTENCY_TABLE=TABLE)
    armed, fields = arm_and_begin(fresh_emulator, lambda_context, "match-5")
    assert callback(lambda_context, fields)[0] == 200
    assert callback(lambda_context, fields)[0] == 200  # redelivered
    (task,) = tasks_of(fresh_emulator, "match-5")
    assert show(lambda_context, armed["wait_id"])[1]["task_id"] == task.task_id


@pytest.fixture
def gateway(configure: Configure, fresh_emulator: Emulator) -> Iterator[str]:
    """The local gateway (make run's) on a free port, in front of the functions."""
    setup(configure, "live-record")
    with local_gateway() as url:
        yield url


def test_the_cli_records_refuses_arms_and_follows(
    gateway: str,
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("LIVEREC_TOKEN", TOKEN)

    def cli(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        return liverec_cli.main(["--url", gateway, *args], out), out.getvalue()

    assert cli("highlight", "s", "--duration", "60")[0] == 2
    assert "StreamNotLive" in capsys.readouterr().err
    fresh_emulator.callbacks.push_begin(DOMAIN, APP, "s")
    status, out = cli("highlight", "s", "--duration", "60")
    (task,) = tasks_of(fresh_emulator, "s")
    assert status == 0 and out.startswith(f"recording {task.task_id} s "), out
    status, out = cli("highlight", "match-9", "--duration", "60", "--wait", "600")
    wait_id = out.split()[0]
    assert status == 0 and " match-9 armed until " in out, out
    assert callback(lambda_context, fresh_emulator.callbacks.push_begin(DOMAIN, APP, "match-9"))[0] == 200
    (task,) = tasks_of(fresh_emulator, "match-9")
    status, out = cli("waiting", wait_id)
    assert status == 0 and f"{wait_id} match-9 started task {task.task_id} at " in out, out
    assert cli("highlight", "s", "--wait", "0")[0] == 2
    assert "wait" in capsys.readouterr().err


def test_on_lambda_wait_refuses_the_in_process_store(
    configure: Configure,
    fresh_emulator: Emulator,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "liverec-prod-realtime")
    setup(configure, "v2")
    status, data, _ = post(lambda_context, {"stream": "s", "duration": 60, "wait": 600})
    # an armed highlight kept in one container's memory would be lost: the deployment is to blame
    assert status == 500 and data["error"]["field"] == "LIVEREC_IDEMPOTENCY_TABLE", data
    assert post(lambda_context, {"stream": "s", "duration": 60})[0] == 201  # without wait: as before
