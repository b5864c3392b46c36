"""moto's DynamoDB server for the tests and the benchmarks: in a process of its own (the functions and the
server then use both cores), on 127.0.0.1 at a free port, stopped on exit; and the ledger table shaped as
serverless.yml declares it. Development only, never deployed."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.storage.dynamodb import DynamoDB, DynamoDBError

REGION = "ap-east-1"


def aws_env(url: str) -> dict[str, str]:
    """The environment that points the functions' AWS clients at ``url`` (moto accepts any key)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing-session-token",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_DYNAMODB": url,
        "AWS_ENDPOINT_URL": url,  # moto serves every service on one port (SSM, Secrets Manager)
    }


@contextmanager
def moto_server(timeout: float = 30.0) -> Iterator[str]:
    """Start moto's server (its application on a keep-alive HTTP/1.1 server: :mod:`devtools.kit.moto_host`)
    and yield its URL once it listens."""
    # -P: the script's directory stays off the path (its http.py would shadow the standard library's)
    server = subprocess.Popen(  # noqa: S603 - this interpreter and a script beside this module
        [sys.executable, "-P", str(Path(__file__).with_name("moto_host.py"))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield _listening_url(server, timeout)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _listening_url(server: subprocess.Popen[str], timeout: float) -> str:
    """The URL the server prints once it listens ("Running on http://127.0.0.1:PORT")."""
    assert server.stderr is not None  # noqa: S101 - set by Popen above
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        if not line and server.poll() is not None:
            break
        seen.append(line)
        found = re.search(r"Running on (http://127\.0\.0\.1:\d+)", line)
        if found:
            # keep draining its log so the server never blocks on a full pipe
            threading.Thread(target=server.stderr.read, daemon=True).start()
            return found.group(1)
    raise RuntimeError(f"moto's server did not start: {''.join(seen)[-2000:]}")


def ledger_table(url: str, name: str) -> DynamoDB:
    """A fresh, empty table as serverless.yml declares it (partition key ``id``, TTL on ``expiration``, the
    sparse indexes ``due-index``, ``stream-index``, ``program-index`` and ``file-index``); returns a client for
    it."""
    client = DynamoDB.from_env(aws_env(url))
    with contextlib.suppress(DynamoDBError):  # left by an interrupted run
        client.call("DeleteTable", TableName=name)
    client.call(
        "CreateTable",
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "queue", "AttributeType": "S"},
            {"AttributeName": "due", "AttributeType": "N"},
            {"AttributeName": "by_stream", "AttributeType": "S"},
            {"AttributeName": "start", "AttributeType": "N"},
            {"AttributeName": "catalog", "AttributeType": "S"},
            {"AttributeName": "program", "AttributeType": "S"},
            {"AttributeName": "files_of", "AttributeType": "S"},
            {"AttributeName": "file_at", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "due-index",
                "KeySchema": [
                    {"AttributeName": "queue", "KeyType": "HASH"},
                    {"AttributeName": "due", "KeyType": "RANGE"},
                ],
                "Projection": {
                    "ProjectionType": "INCLUDE",
                    "NonKeyAttributes": ["lease_until", "expiration"],
                },
            },
            {
                "IndexName": "stream-index",
                "KeySchema": [
                    {"AttributeName": "by_stream", "KeyType": "HASH"},
                    {"AttributeName": "start", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "program-index",
                "KeySchema": [
                    {"AttributeName": "catalog", "KeyType": "HASH"},
                    {"AttributeName": "program", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "file-index",
                "KeySchema": [
                    {"AttributeName": "files_of", "KeyType": "HASH"},
                    {"AttributeName": "file_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )
    client.call(
        "UpdateTimeToLive",
        TableName=name,
        TimeToLiveSpecification={"AttributeName": "expiration", "Enabled": True},
    )
    return client
