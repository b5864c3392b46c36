"""The emulator answers each action only with codes Tencent documents for it, and its README says which.

``DOCUMENTED`` is each action's list of possible error codes as Tencent publishes it (the comment block
"可能返回的错误码" above each action in the Go SDK's ``live/v20180801/client.go``); ``TENCENT_COMMON`` is the
API 3.0 common error code table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.emulator import Emulator, EmulatorConfig, live_record, record_task
from devtools.emulator import api3 as api3_wire
from devtools.emulator.errors import ApiError
from devtools.emulator.params import STRING
from tests.unit.emulator.test_emulator import CREDS, T0, api3, api3_raw, code, v2
from tests.unit.emulator.test_emulator import record_task as record_task_params

SERVICE_STATE = {
    "InternalError",
    "InternalError.GetConfigError",
    "InternalError.NetworkError",
    "InvalidParameter",
    "ResourceNotFound.ForbidService",
    "ResourceNotFound.FreezeService",
    "ResourceNotFound.StopService",
    "ResourceNotFound.UserDisableService",
}
DOCUMENTED: dict[str, set[str]] = {
    "CreateRecordTask": SERVICE_STATE
    | {"LimitExceeded.MaximumRunningTask", "ResourceUnavailable.InvalidVodStatus", "UnsupportedOperation"},
    "StopRecordTask": SERVICE_STATE
    | {"InternalError.SystemError", "ResourceUnavailable.InvalidVodStatus", "UnsupportedOperation"},
    "DeleteRecordTask": SERVICE_STATE | {"ResourceUnavailable.InvalidVodStatus", "UnsupportedOperation"},
    "DescribeRecordTask": SERVICE_STATE | {"UnsupportedOperation"},
    "DescribeCallbackRecordsList": {"FailedOperation", "InvalidParameterValue", "MissingParameter"},
    # DescribeLiveStreamState's list in the Go SDK's client.go
    "DescribeLiveStreamState": SERVICE_STATE
    | {
        "FailedOperation",
        "FailedOperation.CallOtherSvrFailed",
        "InternalError.CallOtherSvrError",
        "InternalError.ConfigNotExist",
        "InternalError.GetBizidError",
        "InternalError.GetStreamInfoError",
        "InternalError.GetUpstreamInfoError",
        "InternalError.NotPermmitOperat",
        "InternalError.StreamStatusError",
        "InternalError.UpdateDataError",
        "InvalidParameterValue",
        "MissingParameter",
        "ResourceNotFound.UserNotExist",
    },
    "CreateLiveRecord": SERVICE_STATE
    | {
        "InvalidParameterValue",
        "LimitExceeded.MaximumRunningTask",
        "LimitExceeded.MaximumTask",
        "ResourceNotFound.ChannelNotExist",
        "ResourceUnavailable.InvalidVodStatus",
        "ResourceUnavailable.StreamNotExist",
    },
    "StopLiveRecord": SERVICE_STATE
    | {
        "InvalidParameterValue",
        "MissingParameter",
        "ResourceNotFound.ChannelNotExist",
        "ResourceNotFound.TaskId",
    },
    "DeleteLiveRecord": SERVICE_STATE
    | {
        "FailedOperation.AlterTaskState",
        "InvalidParameterValue",
        "MissingParameter",
        "ResourceNotFound.ChannelNotExist",
        "ResourceNotFound.TaskId",
    },
}
TENCENT_COMMON = {
    "ActionOffline",
    "AuthFailure.InvalidAuthorization",
    "AuthFailure.InvalidSecretId",
    "AuthFailure.MFAFailure",
    "AuthFailure.SecretIdNotFound",
    "AuthFailure.SignatureExpire",
    "AuthFailure.SignatureFailure",
    "AuthFailure.TokenFailure",
    "AuthFailure.UnauthorizedOperation",
    "DryRunOperation",
    "FailedOperation",
    "InternalError",
    "InvalidAction",
    "InvalidParameter",
    "InvalidParameterValue",
    "InvalidRequest",
    "IpInBlacklist",
    "IpNotInWhitelist",
    "LimitExceeded",
    "MissingParameter",
    "NoSuchProduct",
    "NoSuchVersion",
    "RequestLimitExceeded",
    "RequestSizeLimitExceeded",
    "ResourceInUse",
    "ResourceInsufficient",
    "ResourceNotFound",
    "ResourceUnavailable",
    "ResponseSizeLimitExceeded",
    "ServiceUnavailable",
    "UnauthorizedOperation",
    "UnknownParameter",
    "UnsupportedOperation",
    "UnsupportedProtocol",
    "UnsupportedRegion",
}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    e = Emulator(EmulatorConfig(credentials=CREDS))
    with e.running(host="127.0.0.1", port=0):
        e.clock.freeze(T0)
        yield e


README = Path(api3_wire.__file__).with_name("README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("action", sorted(api3_wire.ACTIONS))
def test_each_action_answers_only_codes_tencent_documents_for_it(action: str) -> None:
    answers = api3_wire.COMMON_CODES | api3_wire.CODES[action]
    assert answers <= DOCUMENTED[action] | TENCENT_COMMON, answers - DOCUMENTED[action] - TENCENT_COMMON
    # and the codes special to an action come from its own list, not merely the common one
    assert api3_wire.CODES[action] - {"UnsupportedRegion"} <= DOCUMENTED[action]


def test_the_readme_table_is_the_one_enforced() -> None:
    section = README[README.index("### API 3.0") : README.index("### v2")]
    common_line = next(line for line in section.splitlines() if line.startswith("Every API 3.0 action"))
    assert set(re.findall(r"`([A-Za-z.]+)`", common_line)) == api3_wire.COMMON_CODES
    rows = {
        match[1]: set(re.findall(r"`([A-Za-z.]+)`", match[2]))
        for match in re.finditer(r"^\| `(\w+)` \| ([^|]*) \|", section, re.M)
    }
    assert rows == {action: set(codes) for action, codes in api3_wire.CODES.items()}


def test_a_code_outside_the_table_is_an_emulator_error_not_an_answer(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def wrong(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
        raise ApiError("ResourceNotFound.TaskId", "StopRecordTask never answers this")

    monkeypatch.setitem(api3_wire.ACTIONS, "StopRecordTask", wrong)
    status, _, body = api3_raw(emu, "StopRecordTask", {"TaskId": "x"})
    assert status == 500 and "error" in body


# --- declared parameters ----------------------------------------------------------------------------------

DECLARED = record_task.PARAMS | live_record.PARAMS


@pytest.mark.parametrize("action", sorted(DECLARED))
def test_an_undeclared_name_is_unknown_parameter_before_anything_else(emu: Emulator, action: str) -> None:
    # no required parameter is sent either: the unknown name is reported first
    err = api3(emu, action, {"Bogus": 1})["Error"]
    assert err["Code"] == "UnknownParameter" and "Bogus" in err["Message"]
    # names are case-sensitive
    assert code(api3(emu, action, {name.lower(): "x" for name in DECLARED[action]})) == "UnknownParameter"
    assert emu.tasks() == []


@pytest.mark.parametrize(
    ("action", "name", "kind"),
    [
        (action, name, kind)
        for action, declared in sorted(DECLARED.items())
        for name, kind in declared.items()
    ],
)
def test_a_value_of_another_type_is_invalid_parameter(
    emu: Emulator, action: str, name: str, kind: str
) -> None:
    wrong: object = 7 if kind == STRING else "7"  # a JSON body: an Integer is a number, a String a string
    err = api3(emu, action, {name: wrong})["Error"]
    assert err["Code"] == "InvalidParameter" and name in err["Message"], err
    if kind != STRING:
        for bad in (True, 7.5, [7]):
            assert code(api3(emu, action, {name: bad})) == "InvalidParameter"
    assert emu.tasks() == []


def test_the_form_encoding_carries_integers_as_decimal_strings(emu: Emulator) -> None:
    params = record_task_params(EndTime=T0 + 600, StartTime=T0, TemplateId=0)
    assert "TaskId" in api3(emu, "CreateRecordTask", params, method="GET")
    for bad in ({"EndTime": "soon"}, {"StartTime": "-5"}, {"TemplateId": "1.5"}):
        err = api3(emu, "CreateRecordTask", params | bad, method="GET")["Error"]
        assert err["Code"] == "InvalidParameter" and next(iter(bad)) in err["Message"], bad
    assert code(api3(emu, "CreateRecordTask", params | {"Bogus": "1"}, method="GET")) == "UnknownParameter"
    assert len(emu.tasks()) == 1


def test_unknown_tasks_per_family(emu: Emulator) -> None:
    for action in ("StopRecordTask", "DeleteRecordTask"):
        assert code(api3(emu, action, {"TaskId": "never-issued"})) == "InvalidParameter"
    for action in ("StopLiveRecord", "DeleteLiveRecord"):
        assert code(api3(emu, action, {"StreamName": "s", "TaskId": 424242})) == "ResourceNotFound.TaskId"
    for action in ("StopRecord", "DeleteRecord"):
        assert v2(emu, {"Action": action, "channelId": "c", "taskId": "424242"})["code"] == 5000


def test_v2_replayed_nonce_and_stale_timestamp_are_4500(emu: Emulator) -> None:
    create = {"Action": "CreateRecord", "channelId": "c", "tapeType": "1"}
    assert v2(emu, create, nonce=31337)["code"] == 0
    assert v2(emu, create, nonce=31337)["code"] == 4500
    assert v2(emu, create, ts=int(emu.clock.now()) - 7201)["code"] == 4500
    assert v2(emu, create, ts=int(emu.clock.now()) + 7201)["code"] == 4500
    assert len(emu.tasks()) == 1
    assert all(json.dumps(r.response).count("4500") == 1 for r in emu.requests()[1:])
