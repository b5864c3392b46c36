"""The AWS clients under SnapStart: Lambda sets no AWS_ACCESS_KEY_ID there, only a container credentials
endpoint (``shared.support.container_credentials``). The clients sign with what it serves, read it once and
again before it expires, and refuse to send a token anywhere but a local endpoint or over https."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from shared.support import container_credentials
from shared.support.aws import AwsError
from shared.support.aws_env import current, environment
from shared.support.container_credentials import REFRESH, ContainerCredentials
from shared.support.errors import ConfigError
from shared.support.secret_stores import Ssm
from shared.support.sigv4 import Credentials

EXPIRES = 1_900_000_000.0  # 2030-03-17T17:46:40Z
ANSWER = {
    "AccessKeyId": "ASIACONTAINER000001",
    "SecretAccessKey": "container-secret-key-0001",
    "Token": "container-session-token-0001",
    "Expiration": "2030-03-17T17:46:40Z",
}


class Server:
    """One loopback HTTP server: answers every request with ``status`` and ``body``, and records each
    request's path and headers."""

    def __init__(self, body: Any, status: int = 200) -> None:
        self.body, self.status = body, status
        self.requests: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                data = outer.body if isinstance(outer.body, bytes) else json.dumps(outer.body).encode()
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer  # the names http.server calls

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def serve() -> Iterator[Any]:
    made: list[Server] = []

    def make(body: Any, status: int = 200) -> Server:
        made.append(Server(body, status))
        return made[-1]

    yield make
    for server in made:
        server.stop()
    container_credentials._sources.clear()


def snapstart_env(endpoint: Server, service: Server | None = None, **more: str) -> dict[str, str]:
    """Lambda's environment under SnapStart: no access key variables, a credentials endpoint and its token."""
    env = {
        "AWS_REGION": "ap-southeast-1",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{endpoint.url}/2021-04-23/credentials?id=x",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": "container-authorization-token",
    }
    if service is not None:
        env["AWS_ENDPOINT_URL"] = service.url
    return env | more


def test_without_access_keys_a_client_signs_with_what_the_endpoint_serves(serve: Any) -> None:
    endpoint, ssm = serve(ANSWER), serve({"Parameter": {"Value": "v"}})
    client = Ssm.from_env(snapstart_env(endpoint, ssm))
    for _ in range(3):
        assert client.call("GetParameter", Name="/liverec/prod/x") == {"Parameter": {"Value": "v"}}
    # the endpoint was asked once, at its path and query, with the authorization token
    ((path, asked),) = endpoint.requests
    assert path == "/2021-04-23/credentials?id=x"
    assert asked["authorization"] == "container-authorization-token"
    # each call was signed with its key and sent its session token
    assert len(ssm.requests) == 3
    for _, headers in ssm.requests:
        assert headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=ASIACONTAINER000001/")
        assert headers["x-amz-security-token"] == ANSWER["Token"]


def test_access_keys_in_the_environment_win_and_nothing_is_asked(serve: Any) -> None:
    endpoint = serve(ANSWER)
    env = snapstart_env(endpoint) | {"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s"}
    credentials, _, _ = environment("ssm", "AWS_ENDPOINT_URL_SSM", env)
    assert isinstance(credentials, Credentials) and credentials.access_key_id == "AKIDENV"
    assert endpoint.requests == []


def test_the_credentials_are_read_again_before_they_expire_and_after_forget(serve: Any) -> None:
    endpoint = serve(ANSWER)
    now = [EXPIRES - REFRESH - 60.0]
    source = ContainerCredentials(f"{endpoint.url}/creds", lambda: "t", clock=lambda: now[0])
    assert source.known() is None
    assert current(source).access_key_id == ANSWER["AccessKeyId"] and len(endpoint.requests) == 1
    current(source)
    assert len(endpoint.requests) == 1  # held
    now[0] += 60.0  # REFRESH seconds before the expiration: read again
    current(source)
    assert len(endpoint.requests) == 2
    source.forget()
    assert source.known() is None
    current(source)
    assert len(endpoint.requests) == 3


def test_the_token_is_read_from_its_file_when_the_variable_is_unset(serve: Any, tmp_path: Path) -> None:
    endpoint = serve(ANSWER)
    token_file = tmp_path / "token"
    token_file.write_text("token-from-file\n")
    env = snapstart_env(endpoint, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(token_file))
    del env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    credentials, _, _ = environment("ssm", "AWS_ENDPOINT_URL_SSM", env)
    current(credentials)
    assert endpoint.requests[0][1]["authorization"] == "token-from-file"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (403, {"message": "denied"}),
        (200, b"not json"),
        (200, {k: v for k, v in ANSWER.items() if k != "Token"}),
        (200, ANSWER | {"Expiration": "soon"}),
        (200, ANSWER | {"AccessKeyId": 5}),
    ],
)
def test_an_endpoint_that_serves_no_credentials_fails_the_call_and_nothing_is_sent(
    serve: Any, status: int, body: Any
) -> None:
    endpoint, ssm = serve(body, status), serve({})
    client = Ssm.from_env(snapstart_env(endpoint, ssm))
    with pytest.raises(AwsError) as failed:
        client.call("GetParameter", Name="/x")
    assert failed.value.code == "CredentialsUnavailable" and failed.value.retryable
    assert ssm.requests == []  # nothing left without credentials
    assert len(endpoint.requests) == 3  # retried as a request that never left is
    assert "container-authorization-token" not in str(failed.value)


@pytest.mark.parametrize(
    "uri",
    [
        "http://169.254.169.254/latest/meta-data",  # EC2's metadata service, not a credentials endpoint
        "http://credentials.example.com/creds",  # a token in the clear over the network
        "ftp://127.0.0.1/creds",
        "http://127.0.0.1:99999/creds",
    ],
)
def test_a_token_is_sent_only_to_a_local_endpoint_or_over_https(uri: str) -> None:
    env = {"AWS_REGION": "ap-southeast-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI": uri}
    with pytest.raises(ConfigError) as failed:
        environment("ssm", "AWS_ENDPOINT_URL_SSM", env)
    assert failed.value.field == "AWS_CONTAINER_CREDENTIALS_FULL_URI"
    for allowed in (
        "http://127.0.0.1:9001/c",
        "http://[::1]/c",
        "http://169.254.170.2/v2",
        "https://x.example/c",
    ):
        ContainerCredentials(allowed, lambda: None)


def test_a_missing_token_file_fails_the_read_not_the_configuration(serve: Any, tmp_path: Path) -> None:
    endpoint = serve(ANSWER)
    env = snapstart_env(endpoint, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=str(tmp_path / "none"))
    del env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
    credentials, _, _ = environment("ssm", "AWS_ENDPOINT_URL_SSM", env)
    with pytest.raises(AwsError) as failed:
        current(credentials)
    assert failed.value.code == "CredentialsUnavailable" and endpoint.requests == []
