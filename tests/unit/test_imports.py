"""Import discipline: what each deployment loads. boto3 never; the SDK only for API 3.0; never its models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import json, sys
    from shared.config import Settings
    from shared.adapters import get_adapter
    get_adapter(Settings.from_env())
    heavy = ["boto3", "botocore", "tencentcloud", "tencentcloud.live.v20180801.models", "requests"]
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


@pytest.mark.parametrize("api", ["record-task", "live-record"])
def test_api3_uses_the_common_sdk_without_the_generated_models(api: str) -> None:
    mods = loaded(api)
    assert mods["tencentcloud"] and not mods["tencentcloud.live.v20180801.models"]
    assert not mods["boto3"] and not mods["botocore"]


@pytest.mark.parametrize("api", ["v2", "fcgi"])
def test_query_generations_load_no_sdk_at_all(api: str) -> None:
    mods = loaded(api)
    assert not any(mods.values()), mods
