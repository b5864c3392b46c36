"""Where an AWS client's credentials, region and endpoint come from: the environment only
(:func:`environment`; the variables are listed in :mod:`shared.support.aws`'s documentation), and the
origin a client connects to and signs (:class:`Endpoint`). Used by the JSON-protocol client
(:mod:`shared.support.aws`) and Lambda's Invoke (:mod:`shared.support.lambda_invoke`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from shared.support.errors import ConfigError
from shared.support.sigv4 import Credentials

if TYPE_CHECKING:  # loaded only where the environment names a container credentials endpoint
    from shared.support.container_credentials import ContainerCredentials

REGION = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class Endpoint:
    """An http(s) origin as a client connects to it and signs its ``Host``; a ConfigError names ``field``."""

    __slots__ = ("host", "https", "port", "signed_host", "url")

    def __init__(self, url: str, field: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ConfigError(f"{field} is not a valid URL (check its port)", field=field) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"{field} must be an http(s) URL with a host", field=field)
        if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
            raise ConfigError(f"{field} must be a bare origin (no path, query or user)", field=field)
        self.url = f"{parts.scheme}://{parts.netloc}"
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = port
        # the Host header as botocore signs it: lowercase, IPv6 in brackets, the port only when not default
        signed = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        if port is not None and port != (443 if self.https else 80):
            signed = f"{signed}:{port}"
        self.signed_host = signed


def default_endpoint(service: str, region: str) -> str:
    return f"https://{service}.{region}.amazonaws.com{'.cn' if region.startswith('cn-') else ''}"


def current(credentials: Credentials | ContainerCredentials, until: float | None = None) -> Credentials:
    """The credentials to sign with now: ``credentials``, or what its endpoint serves (read by ``until``,
    an instant of ``time.monotonic``, when due); ``AwsError`` CredentialsUnavailable when it cannot."""
    return credentials if isinstance(credentials, Credentials) else credentials.get(until)


def environment(
    service: str, endpoint_var: str, environ: Mapping[str, str] | None = None
) -> tuple[Credentials | ContainerCredentials, str, str | None]:
    """A client's credentials, region and endpoint (``None``: AWS's) from the environment (``os.environ`` by
    default): ``endpoint_var`` (botocore's variable for the service), else ``AWS_ENDPOINT_URL``. A
    ConfigError names what is missing or malformed."""
    env = os.environ if environ is None else environ
    container = not env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")

    def required(var: str) -> str:
        value = env.get(var, "")
        if not value:
            raise ConfigError(
                f"{var} is not set: {service} needs AWS credentials in the environment", field=var
            )
        return value

    if container:
        from shared.support import container_credentials

        credentials: Credentials | ContainerCredentials = container_credentials.source(env)
    else:
        access_key_id, secret = required("AWS_ACCESS_KEY_ID"), required("AWS_SECRET_ACCESS_KEY")
        credentials = Credentials(access_key_id, secret, env.get("AWS_SESSION_TOKEN") or None)
    region_var = "AWS_REGION" if env.get("AWS_REGION") else "AWS_DEFAULT_REGION"
    region = env.get(region_var, "")
    if not region:
        raise ConfigError(
            f"AWS_REGION (or AWS_DEFAULT_REGION) is not set: the {service} client needs a region",
            field="AWS_REGION",
        )
    if not REGION.fullmatch(region):
        raise ConfigError(f"{region_var} is not a valid AWS region", field=region_var)
    endpoint = None
    for var in (endpoint_var, "AWS_ENDPOINT_URL"):
        if env.get(var):
            endpoint = Endpoint(env[var], var).url
            break
    return credentials, region, endpoint
