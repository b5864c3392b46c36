"""Import discipline: what each deployment loads. Never boto3, requests, or the Tencent SDK's client or
models: of the SDK, only its signing primitives (tencentcloud.common.sign). And the deployable code's
size: a module at most 350 lines, a function 60, a class 200."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import json, sys
    from shared.support.config import Settings
    from shared.tencent.adapter import get_adapter
    get_adapter(Settings.from_env())
    # powertools' Logger (the transport logs each call) imports the bare botocore package for its user-agent
    # hook when it is importable, as in every handler; botocore's client machinery must stay unloaded
    heavy = [
        "boto3",
        "botocore.session",
        "botocore.client",
        "requests",
        "tencentcloud.common.abstract_client",
        "tencentcloud.common.common_client",
        "tencentcloud.live",
    ]
    print(json.dumps({name: name in sys.modules for name in heavy}))
    """
)


def loaded(api: str) -> dict[str, bool]:
    env = {
        **os.environ,
        "LIVE_API": api,
        "TENCENTCLOUD_SECRET_ID": "AKIDprobe0000",
        "TENCENTCLOUD_SECRET_KEY": "k",
        "LIVE_FCGI_APPID": "1",
        "LIVE_FCGI_KEY": "k",
    }
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, env=env)
    result: dict[str, bool] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("api", ["record-task", "live-record", "v2", "fcgi"])
def test_no_generation_loads_the_sdk_client_requests_or_boto3(api: str) -> None:
    # API 3.0 is one TC3-signed POST on the stdlib transport, signed by the SDK's Sign: no client, no
    # requests, no generated models
    mods = loaded(api)
    assert not any(mods.values()), mods


HANDLER_PROBE = textwrap.dedent(
    """
    import json, sys
    import functions.scheduled.handler, functions.realtime.handler, functions.tasks.handler
    from shared.app import creator, lookup, stopper
    creator(); lookup(); stopper()
    names = ("boto3", "botocore.session", "botocore.client")
    print(json.dumps({name: name in sys.modules for name in names}))
    """
)


def test_handlers_without_an_idempotency_table_never_load_boto3() -> None:
    env = {
        **os.environ,
        "LIVE_API": "v2",
        "TENCENTCLOUD_SECRET_ID": "AKIDprobe0000",
        "TENCENTCLOUD_SECRET_KEY": "k",
        "LIVEREC_API_TOKENS": "probe-token-0123456789",
    }
    env.pop("LIVEREC_IDEMPOTENCY_TABLE", None)
    out = subprocess.run(
        [sys.executable, "-c", HANDLER_PROBE], capture_output=True, text=True, check=True, env=env
    )
    # powertools imports the bare botocore package for its user-agent hook when it is importable (it is
    # in the Lambda runtime); boto3 and botocore's client machinery must stay unloaded.
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"boto3": False, "botocore.session": False, "botocore.client": False}


TABLE_PROBE = textwrap.dedent(
    """
    import json, sys
    import functions.scheduled.handler, functions.realtime.handler, functions.tasks.handler
    import functions.webhooks.handler
    from shared.app import ledger, state
    from shared.storage.ledger_dynamodb import DynamoDBLedger
    from shared.storage.state_dynamodb import DynamoDBState
    assert isinstance(ledger(), DynamoDBLedger) and isinstance(state(), DynamoDBState)
    names = ("boto3", "botocore.session", "botocore.client")
    print(json.dumps({name: name in sys.modules for name in names}))
    """
)


def test_handlers_with_the_dynamodb_table_never_load_boto3_either() -> None:
    # the DynamoDB stores speak to the table through the standard-library client: boto3 is loaded on no path
    env = {
        **os.environ,
        "LIVE_API": "v2",
        "TENCENTCLOUD_SECRET_ID": "AKIDprobe0000",
        "TENCENTCLOUD_SECRET_KEY": "k",
        "LIVEREC_API_TOKENS": "probe-token-0123456789",
        "LIVEREC_IDEMPOTENCY_TABLE": "liverec-probe-idempotency",
        "AWS_ACCESS_KEY_ID": "AKIAPROBE0000000000",
        "AWS_SECRET_ACCESS_KEY": "probe-secret",
        "AWS_SESSION_TOKEN": "probe-token",
        "AWS_REGION": "ap-east-1",
    }
    out = subprocess.run(
        [sys.executable, "-c", TABLE_PROBE], capture_output=True, text=True, check=True, env=env
    )
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == {"boto3": False, "botocore.session": False, "botocore.client": False}


def test_no_deployable_module_is_over_350_lines() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    long = {
        str(path.relative_to(root)): n
        for top in ("shared", "functions")
        for path in (root / top).rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 350
    }
    assert long == {}, "split these modules by what they do"


FUNCTION_LINES, CLASS_LINES = 60, 200


def too_long(source: str) -> dict[str, int]:
    """The functions over FUNCTION_LINES and the classes over CLASS_LINES in ``source``, with their
    lines (from the first decorator), by name."""
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = (node.end_lineno or node.lineno) - first + 1
            bound = CLASS_LINES if isinstance(node, ast.ClassDef) else FUNCTION_LINES
            if lines > bound:
                found[node.name] = lines
    return found


def test_the_length_check_counts_a_definition_from_its_first_decorator_to_its_last_line() -> None:
    def body(n: int) -> str:
        return "".join(f"    x{i} = {i}\n" for i in range(n))

    assert too_long("def f():\n" + body(FUNCTION_LINES - 1)) == {}
    assert too_long("def f():\n" + body(FUNCTION_LINES)) == {"f": FUNCTION_LINES + 1}
    assert too_long("@cache\ndef f():\n" + body(FUNCTION_LINES - 1)) == {"f": FUNCTION_LINES + 1}
    assert too_long("class C:\n" + body(CLASS_LINES - 1)) == {}
    assert too_long("class C:\n" + body(CLASS_LINES)) == {"C": CLASS_LINES + 1}


def test_no_function_over_60_lines_and_no_class_over_200() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = {
        (str(path.relative_to(root)), name): lines
        for top in ("shared", "functions")
        for path in sorted((root / top).rglob("*.py"))
        for name, lines in too_long(path.read_text(encoding="utf-8")).items()
    }
    assert found == {}, "split them by what they do"
