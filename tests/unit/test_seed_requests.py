"""Each seed's example request, reproduced by the adapter of its generation from the example's inputs.

The seeds are Tencent's documents in ../shared/seeds/; the expected strings below are copied from their
example URLs (only our signature values differ, because the seeds' keys are unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qsl

import pytest

from shared.recordings.models import RealtimeRecordingInput, ScheduledRecordingInput, parse_input
from shared.recordings.rules import plan_recording
from shared.support.config import LiveApi, Settings
from shared.support.timeutil import CST, parse_cst
from shared.tencent.adapter import WireRequest, get_adapter
from shared.tencent.fcgi import FcgiAdapter
from shared.tencent.signing import hmac_signature, hmac_string_to_sign, md5_sign
from shared.tencent.transport import encode_query
from shared.tencent.types import Mode
from shared.tencent.v2 import V2Adapter
from tests.conftest import FCGI_KEY, SECRET_KEY


def cst(text: str) -> datetime:
    return parse_cst(text)


def test_seed_001_fcgi_live_tape_start_real_time(make_settings: Callable[..., Settings]) -> None:
    # Given seed 001's inputs: channel 8888_test123, real-time, end 10:30 CST, called at 10:00:00 CST
    settings = make_settings(LiveApi.FCGI)
    adapter = get_adapter(settings)
    assert isinstance(adapter, FcgiAdapter)
    now = cst("2017-05-20 10:00:00")
    req = (
        parse_input(RealtimeRecordingInput, {"stream": "8888_test123", "end": "2017-05-20T10:30:00+08:00"}),
        Mode.REALTIME,
    )
    plan = plan_recording(req[0].request(req[1]), LiveApi.FCGI, now)
    # When the adapter signs it with the seed's t
    query = encode_query(adapter.signed_pairs(adapter.build_create(plan), t=1471850187))
    # Then the query is the seed's, byte for byte, but for the sign (md5 of OUR key + t)
    expected = (
        "appid=1234&interface=Live_Tape_Start"
        "&Param.s.channel_id=8888_test123"
        "&Param.s.start_time=2017-05-20+10%3a00%3a00"
        "&Param.s.end_time=2017-05-20+10%3a30%3a00"
        "&Param.n.task_sub_type=1"
        f"&t=1471850187&sign={md5_sign(FCGI_KEY, 1471850187)}"
    )
    assert query == expected


def test_seed_000_fcgi_live_tape_start_scheduled(make_settings: Callable[..., Settings]) -> None:
    # Given seed 000's scheduled window 10:00-10:30 CST (its customer id is spelled cmd; we send appid)
    adapter = get_adapter(make_settings(LiveApi.FCGI))
    assert isinstance(adapter, FcgiAdapter)
    req = (
        parse_input(
            ScheduledRecordingInput,
            {
                "stream": "8888_test123",
                "start": "2017-05-20T10:00:00+08:00",
                "end": "2017-05-20T10:30:00+08:00",
            },
        ),
        Mode.SCHEDULED,
    )
    plan = plan_recording(req[0].request(req[1]), LiveApi.FCGI, cst("2017-05-20 09:00:00"))
    query = encode_query(adapter.signed_pairs(adapter.build_create(plan), t=1471850187))
    seed = (
        "cmd=1234&interface=Live_Tape_Start"
        "&Param.s.channel_id=8888_test123"
        "&Param.s.start_time=2017-05-20+10%3a00%3a00"
        "&Param.s.end_time=2017-05-20+10%3a30%3a00"
        "&t=1471850187&sign=b17971b51ba0fe5916ddcd96692e9fb3"
    )
    ours = dict(parse_qsl(query))
    theirs = dict(parse_qsl(seed))
    theirs["appid"] = theirs.pop("cmd")
    theirs["sign"] = md5_sign(FCGI_KEY, 1471850187)
    assert ours == theirs
    # and the encoded times are spelled exactly as the seed spells them
    assert "Param.s.start_time=2017-05-20+10%3a00%3a00&Param.s.end_time=2017-05-20+10%3a30%3a00" in query


def test_seed_002_create_live_record(make_settings: Callable[..., Settings]) -> None:
    # Given seed 002's example inputs
    adapter = get_adapter(make_settings(LiveApi.LIVE_RECORD))
    body = {
        "stream": "livetest",
        "app": "live",
        "domain": "5000.live.push.com",
        "start": "2018-09-11T12:04:01+08:00",
        "end": "2018-09-11T12:08:01+08:00",
        "record_type": "video",
        "format": "flv",
    }
    req = (parse_input(ScheduledRecordingInput, body), Mode.SCHEDULED)
    plan = plan_recording(req[0].request(req[1]), LiveApi.LIVE_RECORD, cst("2018-09-11 12:00:00"))
    wire = adapter.build_create(plan)
    # Then the parameters, URL-encoded in order, are the seed's query after Action=
    seed = (
        "AppName=live&DomainName=5000.live.push.com&StreamName=livetest"
        "&StartTime=2018-09-11+12%3a04%3a01&EndTime=2018-09-11+12%3a08%3a01"
        "&RecordType=video&FileFormat=flv&Highlight=0&MixStream=0"
    )
    assert wire.action == "CreateLiveRecord"
    assert encode_query([(k, str(v)) for k, v in wire.params.items()]) == seed
    # and the JSON body carries integers as integers (Highlight, MixStream are Integer in the seed)
    assert wire.params["Highlight"] == 0 and wire.params["MixStream"] == 0


def test_seed_002_highlight_mode_and_stream_param(make_settings: Callable[..., Settings]) -> None:
    adapter = get_adapter(make_settings(LiveApi.LIVE_RECORD))
    req = (
        parse_input(
            RealtimeRecordingInput,
            {"stream": "livetest", "duration": 120, "record_interval": 3600, "storage_time": 2592000},
        ),
        Mode.REALTIME,
    )
    now = cst("2018-09-11 12:00:00")
    wire = adapter.build_create(plan_recording(req[0].request(req[1]), LiveApi.LIVE_RECORD, now))
    assert wire.params["Highlight"] == 1
    assert "StartTime" not in wire.params  # ignored by Tencent in highlight mode, so not sent
    assert wire.params["EndTime"] == "2018-09-11 12:02:00"
    # seed 002's own example value for StreamParam
    assert wire.params["StreamParam"] == "record_interval=3600&storage_time=2592000"


def test_seed_003_v2_create_record(make_settings: Callable[..., Settings]) -> None:
    # Given seed 003's example: channelId=123, tapeType=1, endTime=2016-01-21 12:00:00
    settings = make_settings(LiveApi.V2)
    adapter = get_adapter(settings)
    assert isinstance(adapter, V2Adapter)
    req = (
        parse_input(RealtimeRecordingInput, {"stream": "123", "end": "2016-01-21T12:00:00+08:00"}),
        Mode.REALTIME,
    )
    plan = plan_recording(req[0].request(req[1]), LiveApi.V2, cst("2016-01-21 11:45:00"))
    wire = adapter.build_create(plan)
    assert wire.action == "CreateRecord"
    assert wire.params == {"channelId": "123", "endTime": "2016-01-21 12:00:00", "tapeType": 1}
    # When signed, the query carries the common parameters and a signature the SDK's rule reproduces
    pairs = dict(adapter.signed_pairs(wire, timestamp=1453348800, nonce=42))
    assert pairs["Action"] == "CreateRecord" and pairs["SignatureMethod"] == "HmacSHA256"
    assert pairs["Timestamp"] == "1453348800" and pairs["Nonce"] == "42"
    unsigned = {k: v for k, v in pairs.items() if k != "Signature"}
    to_sign = hmac_string_to_sign("GET", "live.api.qcloud.com", "/v2/index.php", unsigned)
    assert pairs["Signature"] == hmac_signature(SECRET_KEY, to_sign, "HmacSHA256")
    # and the CST time is encoded the way the seeds spell it
    query = encode_query(list(pairs.items()))
    assert "endTime=2016-01-21+12%3a00%3a00" in query


@pytest.mark.parametrize(
    ("live_region", "sent"),
    [("ap-guangzhou", "gz"), ("ap-hongkong", "hk"), ("na-ashburn", "use"), ("ap-nanjing", "ap-nanjing")],
)
def test_v2_sends_region_in_its_short_form(
    make_settings: Callable[..., Settings], live_region: str, sent: str
) -> None:
    # v2's documents name regions gz, sh, bj, ...; a region with no short name goes as is
    adapter = get_adapter(make_settings(LiveApi.V2, LIVE_REGION=live_region))
    assert isinstance(adapter, V2Adapter)
    wire = WireRequest("StopRecord", {"channelId": "c", "taskId": 1})
    assert dict(adapter.signed_pairs(wire, timestamp=1453348800, nonce=42))["Region"] == sent


def test_seed_004_create_record_task(make_settings: Callable[..., Settings]) -> None:
    # Given seed 004's example inputs (UNIX seconds, TemplateId 0)
    adapter = get_adapter(make_settings(LiveApi.RECORD_TASK))
    body = {
        "stream": "livetest",
        "app": "live",
        "domain": "5000.live.push.com",
        "start": 1589889600,
        "end": 1589904000,
        "template_id": 0,
    }
    req = (parse_input(ScheduledRecordingInput, body), Mode.SCHEDULED)
    plan = plan_recording(
        req[0].request(req[1]), LiveApi.RECORD_TASK, datetime.fromtimestamp(1589880000, tz=CST)
    )
    wire = adapter.build_create(plan)
    assert wire.action == "CreateRecordTask"
    assert wire.params == {
        "StreamName": "livetest",
        "DomainName": "5000.live.push.com",
        "AppName": "live",
        "StartTime": 1589889600,
        "EndTime": 1589904000,
        "TemplateId": 0,
    }
    assert all(isinstance(wire.params[k], int) for k in ("StartTime", "EndTime", "TemplateId"))


def test_record_task_real_time_omits_start_time(make_settings: Callable[..., Settings]) -> None:
    adapter = get_adapter(make_settings(LiveApi.RECORD_TASK))
    req = (parse_input(RealtimeRecordingInput, {"stream": "livetest"}), Mode.REALTIME)
    now = datetime.fromtimestamp(1589880000, tz=CST)
    wire = adapter.build_create(
        plan_recording(req[0].request(req[1]), LiveApi.RECORD_TASK, now, default_domain="d", default_app="a")
    )
    assert "StartTime" not in wire.params and wire.params["EndTime"] == 1589880000 + 300
