"""Tencent's callbacks against a hostile sender (issue #26, points 2 and 3): the URLs a record file carries
are checked before anything is kept or forwarded, a callback's t is accepted for minutes (Tencent's own
validity), an exact replay of a handled callback is acknowledged without effect, and a captured t/sign
cannot carry a changed body for the same event."""

from __future__ import annotations

import ipaddress
import json
import string
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devtools.emulator import Emulator
from devtools.kit import Subscriber
from shared import app
from shared.support.config import Settings
from shared.support.errors import ConfigError
from shared.support.urls import url_problem
from tests.functional.conftest import TABLE
from tests.functional.test_webhooks import (
    CALLBACK_KEY,
    FORWARD_SECRET,
    RULES,
    begin,
    callback,
    drain,
    live_tasks,
    record_file,
    record_status,
    signed,
)


@pytest.fixture(params=["memory", "dynamodb"])
def hardened(
    request: pytest.FixtureRequest, configure: Callable[..., None], subscriber: Subscriber
) -> Callable[..., None]:
    """The webhooks function with a callback key, the rules and a subscriber, on the in-process store or on
    DynamoDB (moto); call it again with more settings."""
    table = {}
    if request.param == "dynamodb":
        request.getfixturevalue("dynamodb")
        table = {"LIVEREC_IDEMPOTENCY_TABLE": TABLE}

    def apply(**extra: str) -> None:
        configure(
            LIVE_CALLBACK_KEY=CALLBACK_KEY,
            LIVEREC_CALLBACK_RULES=json.dumps(RULES),
            LIVEREC_WEBHOOK_URLS=subscriber.url,
            LIVEREC_WEBHOOK_SECRET=FORWARD_SECRET,
            **table,
            **extra,
        )

    apply()
    return apply


def started_task(emulator: Emulator) -> str:
    """A recording a stream-begin made (so a record file for it is kept in the ledger): its task id."""
    assert callback(signed(begin("match-1", sequence="start"), t=int(time.time()) + 599)) == (
        200,
        {"code": 0},
    )
    (task,) = live_tasks(emulator)
    return str(task.task_id)


def kept_files(task_id: str) -> list[str]:
    """The URLs of the files kept for the task, sorted (files of one window are in no arrival order)."""
    ledger, now = app.ledger(), time.time()
    entry = ledger.by_task("record-task", task_id, now)
    assert entry is not None
    return sorted(f.url for f in ledger.files(entry, now).files)


# --- point 2: the URLs a callback carries ------------------------------------------------------------------

UNSAFE = {
    "javascript": "javascript:alert(document.cookie)",
    "file": "file:///etc/passwd",
    "metadata-ip": "http://169.254.169.254/latest/meta-data/",
    "data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "newline": "http://1234.vod2.myqcloud.com/f.mp4\r\nX-Injected: 1",
    "control": "http://1234.vod2.myqcloud.com/f\x00.mp4",
    "tab": "http://1234.vod2.myqcloud.com/\tf.mp4",
    "inner-space": "http://1234.vod2.myqcloud.com/f 1.mp4",
    "localhost": "http://localhost/f.mp4",
    "localhost-dot": "http://localhost./f.mp4",
    "loopback": "http://127.0.0.1/f.mp4",
    "short-ip": "http://127.1/f.mp4",
    "decimal-ip": "http://2852039166/latest/meta-data/",
    "hex-ip": "http://0xa9.0xfe.0xa9.0xfe/",
    "ipv6": "http://[::1]/f.mp4",
    "ipv6-mapped": "http://[::ffff:169.254.169.254]/",
    "private-ip": "https://10.0.0.8/f.mp4",
    "single-label": "http://metadata/computeMetadata/v1/",
    "internal": "http://metadata.google.internal/",
    "local": "http://nas.local/f.mp4",
    "userinfo": "http://user:secret@1234.vod2.myqcloud.com/f.mp4",
    "userinfo-trick": "http://1234.vod2.myqcloud.com@evil.com/f.mp4",
    "backslash": "http://evil.com\\@1234.vod2.myqcloud.com/",
    "port": "http://1234.vod2.myqcloud.com:22/f.mp4",
    "ftp": "ftp://1234.vod2.myqcloud.com/f.mp4",
    "no-host": "http:///f.mp4",
    "relative": "/etc/passwd",
    "non-ascii": "http://1234.vod2.myqcloud.com/ü.mp4",
    "idn-lookalike": "http://myqcloud.cоm/f.mp4",
    "too-long": "http://1234.vod2.myqcloud.com/" + "a" * 2048,
    "not-a-string": 12345,
    "object": {"href": "http://1234.vod2.myqcloud.com/f.mp4"},
}


@pytest.mark.parametrize("url", UNSAFE.values(), ids=UNSAFE.keys())
def test_an_unsafe_file_url_is_refused_naming_the_field_and_never_kept_or_forwarded(
    hardened: Any,
    fresh_emulator: Emulator,
    subscriber: Subscriber,
    caplog: pytest.LogCaptureFixture,
    url: Any,
) -> None:
    task_id = started_task(fresh_emulator)
    status, body = callback(signed(record_file(task_id=task_id, video_url=url)))
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "InvalidUrl", "video_url")
    assert isinstance(url, str) is False or url not in body["error"]["message"]  # the URL is not echoed
    drain()  # what the callback's kick would run: nothing was queued
    assert kept_files(task_id) == [] and subscriber.received == []
    assert any(r.levelname == "WARNING" and "InvalidUrl" in str(r.__dict__) for r in caplog.records)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        (record_file(pic_url="javascript:alert(1)"), "pic_url"),
        (record_file(extra={"cover_URL": "file:///etc/shadow"}), "extra.cover_URL"),
        (record_file(items=[{"url": "http://10.1.2.3/"}]), "items.0.url"),
        (record_status(media_url="http://169.254.169.254/"), "media_url"),
    ],
    ids=["another-url-field", "nested-any-case", "in-a-list", "record-status"],
)
def test_every_url_field_of_a_kept_or_forwarded_event_is_checked(
    hardened: Any, subscriber: Subscriber, fields: dict[str, Any], field: str
) -> None:
    status, body = callback(signed(fields))
    assert (status, body["error"]["code"], body["error"]["field"]) == (422, "InvalidUrl", field)
    drain()
    assert subscriber.received == []


def test_tencent_urls_are_kept_and_forwarded_with_surrounding_spaces_trimmed(
    hardened: Any, fresh_emulator: Emulator, subscriber: Subscriber
) -> None:
    task_id = started_task(fresh_emulator)
    urls = [
        "http://1251457656.vod2.myqcloud.com/9425a3e9vod/6367ba4590318682/playlist.m3u8 ",  # as Tencent wrote one
        "https://1500000000.vod-qcloud.com/a/b/f0.mp4?t=65f&sign=abc&us=x~y",
        "HTTPS://Bucket-1250000000.cos.ap-guangzhou.myqcloud.com:443/live/f.flv#t=1",
    ]
    for n, url in enumerate(urls):
        fields = record_file(task_id=task_id, file_id=f"f{n}", video_url=url, pic_url="", cover_url=None)
        assert callback(signed(fields)) == (200, {"code": 0})
    assert kept_files(task_id) == sorted(u.strip() for u in urls)
    drain()  # the drain sends on several threads: in any order
    forwarded = sorted(json.loads(b)["data"]["video_url"] for _, b in subscriber.received)
    assert forwarded == sorted(u.strip() for u in urls)


def test_the_allow_list_keeps_urls_to_the_hosts_it_names(
    hardened: Callable[..., None], fresh_emulator: Emulator, subscriber: Subscriber
) -> None:
    hardened(LIVEREC_CALLBACK_URL_HOSTS="vod2.myqcloud.com, *.vod-qcloud.com")
    task_id = started_task(fresh_emulator)
    refused = [
        "https://files.example.com/f.mp4",
        "http://evilvod2.myqcloud.com/f.mp4",
        "http://myqcloud.com/f",
    ]
    for n, url in enumerate(refused):
        status, body = callback(signed(record_file(task_id=task_id, file_id=f"r{n}", video_url=url)))
        assert (status, body["error"]["code"], body["error"]["field"]) == (422, "InvalidUrl", "video_url")
        assert "LIVEREC_CALLBACK_URL_HOSTS" in body["error"]["message"] or n == 0
    accepted = [
        "http://1234.vod2.myqcloud.com/f.mp4",
        "https://1500.vod-qcloud.com/f.mp4",
        "http://vod2.myqcloud.com/f",
    ]
    for n, url in enumerate(accepted):
        assert callback(signed(record_file(task_id=task_id, file_id=f"a{n}", video_url=url))) == (
            200,
            {"code": 0},
        )
    drain()
    assert kept_files(task_id) == sorted(accepted) and len(subscriber.received) == len(accepted)


@pytest.mark.parametrize(
    "value", ["localhost", "10.0.0.1", "com", "bad_host.com", "https://myqcloud.com", "a..b.com"]
)
def test_an_allow_list_entry_that_is_no_public_host_name_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"LIVEREC_CALLBACK_URL_HOSTS": f"myqcloud.com,{value}"})
    assert info.value.field == "LIVEREC_CALLBACK_URL_HOSTS" and "entry 2" in info.value.message
    ok = Settings.from_env({"LIVEREC_CALLBACK_URL_HOSTS": " *.Vod2.MyQcloud.com , .vod-qcloud.com,"})
    assert ok.callback_url_hosts == ("vod2.myqcloud.com", "vod-qcloud.com")


# --- point 3: t/sign replays ---------------------------------------------------------------------------


def test_t_is_accepted_for_minutes_as_tencent_signs_it_not_for_a_day(
    hardened: Any, fresh_emulator: Emulator
) -> None:
    now = int(time.time())
    status, body = callback(signed(begin("match-1"), t=now + 3600))  # an hour ahead: never Tencent's
    assert (status, body["error"]["code"], body["error"]["field"]) == (401, "SignatureTooFarAhead", "t")
    assert live_tasks(fresh_emulator) == []
    assert callback(signed(begin("match-2"), t=now + 630)) == (200, {"code": 0})  # Tencent's + clock skew
    assert len(live_tasks(fresh_emulator)) == 1
    assert Settings.from_env({}).callback_max_validity == 660
    with pytest.raises(ConfigError):
        Settings.from_env({"LIVE_CALLBACK_MAX_VALIDITY": "86400"})


def test_a_changed_body_under_a_captured_t_and_sign_records_nothing(
    hardened: Any, fresh_emulator: Emulator, subscriber: Subscriber
) -> None:
    t = int(time.time()) + 600
    captured = signed(begin("match-1", sequence="1"), t=t)
    assert callback(captured) == (200, {"code": 0})
    for change in ({"sequence": "2"}, {"event_time": int(time.time()) - 30}, {"node": "10.0.0.1"}):
        status, body = callback(captured | change)
        assert (status, body["error"]["code"], body["error"]["field"]) == (401, "SignatureReused", "sign")
    assert len(live_tasks(fresh_emulator)) == 1
    # the same for a file: a changed URL under the t/sign a genuine file came with is refused
    assert callback(signed(record_file(), t=t)) == (200, {"code": 0})
    status, body = callback(signed(record_file(video_url="https://evil.example.net/f.mp4"), t=t))
    assert (status, body["error"]["code"]) == (401, "SignatureReused")
    drain()
    assert len(subscriber.received) == 1


def test_concurrent_changed_bodies_under_one_t_and_sign_make_one_task(
    hardened: Any, fresh_emulator: Emulator
) -> None:
    t = int(time.time()) + 600
    barrier = threading.Barrier(8)
    answers: list[int] = []

    def deliver(n: int) -> None:
        barrier.wait()
        answers.append(callback(signed(begin("match-race", sequence=str(n)), t=t))[0])

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200] + [401] * 7
    assert len(live_tasks(fresh_emulator)) == 1


def test_an_exact_replay_is_acknowledged_without_effect(
    configure: Callable[..., None], fresh_emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    # a rule refused for good: each handling logs "fix the rule" at ERROR (an alarm); a replay must not
    configure(
        LIVE_CALLBACK_KEY=CALLBACK_KEY,
        LIVEREC_CALLBACK_RULES=json.dumps([{"name": "too-long", "stream": "*", "duration": 2 * 86400}]),
    )
    body = signed(begin("any"))
    raw = json.dumps(body)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=1)  # the same body, spelled otherwise
    for text in (raw, raw, reordered, raw):
        assert callback(raw=text) == (200, {"code": 0})
    assert caplog.text.count("fix the rule") == 1
    assert caplog.text.count("acknowledged without effect") == 3
    assert live_tasks(fresh_emulator) == []


def test_tencents_own_events_sharing_one_t_and_sign_are_all_handled(
    hardened: Any, fresh_emulator: Emulator, subscriber: Subscriber
) -> None:
    # Tencent signs t = the second it sends + 10 minutes: what it sends in one second shares t and sign
    t = int(time.time()) + 600
    now = int(time.time())
    sent = [
        begin("match-1", event_time=now - 1),
        begin("match-2", event_time=now - 1),  # another stream, the same second
        record_status(stream_id="match-1", record_event="record_ended"),
        record_file(stream_id="match-1"),
        record_file(stream_id="match-1", file_id="5285890800000000002", file_format="hls"),
        begin("match-1", event_type=0, event_time=now),
    ]
    for fields in sent:
        assert callback(signed(fields, t=t)) == (200, {"code": 0}), fields
    tasks = {task.stream: task for task in live_tasks(fresh_emulator)}
    assert sorted(tasks) == ["match-1", "match-2"]
    assert not tasks["match-1"].running and tasks["match-2"].running  # the end stopped match-1's
    drain()
    assert len(subscriber.received) == 3


def test_a_body_whose_handling_failed_is_handled_when_redelivered_exactly(
    hardened: Any, fresh_emulator: Emulator
) -> None:
    body = signed(begin("match-flaky"))
    fresh_emulator.faults.drop_before_store(count=1, action="CreateRecordTask")
    status, _ = callback(body)
    assert status >= 500 and live_tasks(fresh_emulator) == []
    assert callback(body) == (200, {"code": 0})  # the same t, sign and body: not a replay of a handled one
    assert len(live_tasks(fresh_emulator)) == 1


# --- the URL check itself ------------------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(
    url=st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda scheme, host, rest: f"{scheme}://{host}{rest}",
            st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
            st.text(alphabet=string.printable + "ü[]@:%", max_size=30),
            st.text(alphabet=string.printable, max_size=20),
        ),
    )
)
def test_whatever_the_check_accepts_is_http_on_a_public_name(url: str) -> None:
    if url_problem(url) is not None:
        return
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https") and parts.port in (None, 80, 443)
    assert parts.hostname and "." in parts.hostname and not parts.username
    assert all(0x20 < ord(c) < 0x7F and c not in '\\"<>^`{|} ' for c in url)
    with pytest.raises(ValueError):
        ipaddress.ip_address(parts.hostname)


@given(address=st.ip_addresses())
def test_an_ip_address_is_refused_in_every_notation(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    if address.version == 6:
        forms = [f"[{address}]", f"[{address.exploded}]"]
    else:
        n = int(address)
        octets = str(address).split(".")
        forms = [
            str(address),
            str(n),
            hex(n),
            ".".join(hex(int(o)) for o in octets),
            ".".join(f"0{int(o):o}" for o in octets),
        ]
    for form in forms:
        assert url_problem(f"http://{form}/f.mp4") is not None, form
