"""The two secret stores a secret variable may refer to, on the AWS JSON-protocol client."""

from __future__ import annotations

from shared.support.aws import AwsJsonClient, Service


class Ssm(AwsJsonClient):
    service = Service(
        name="ssm",
        target_prefix="AmazonSSM.",
        content_type="application/x-amz-json-1.1",
        endpoint_var="AWS_ENDPOINT_URL_SSM",
        throttling=frozenset({"ThrottlingException"}),
    )


class SecretsManager(AwsJsonClient):
    service = Service(
        name="secretsmanager",
        target_prefix="secretsmanager.",
        content_type="application/x-amz-json-1.1",
        endpoint_var="AWS_ENDPOINT_URL_SECRETS_MANAGER",
        throttling=frozenset({"ThrottlingException"}),
    )
