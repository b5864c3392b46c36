"""serverless.yml as a deployment: least privilege per function, no secret value anywhere, the failure
paths, alarms and API settings the template must carry. Read as data, no serverless run (``make
check-template`` packages it with every secret exported and greps the result; ``make lint-template`` runs
cfn-lint with the Serverless rules on it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.unit.test_packaging import serverless_yml

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (
    "TENCENTCLOUD_SECRET_KEY",
    "LIVE_FCGI_KEY",
    "LIVE_CALLBACK_KEY",
    "LIVEREC_API_TOKENS",
    "LIVEREC_HOOK_SECRETS",
    "LIVEREC_WEBHOOK_SECRET",
)
HTTP_FUNCTIONS = ("scheduled", "realtime", "tasks")


def environment(doc: dict[str, Any], function: str) -> dict[str, Any]:
    """A function's environment as Lambda gets it: the provider's, then its own."""
    return doc["provider"]["environment"] | (doc["functions"][function].get("environment") or {})


def role_statements(doc: dict[str, Any], function: str) -> list[dict[str, Any]]:
    role = doc["functions"][function].get("role")
    if role is None:
        return list(doc["provider"]["iam"]["role"]["statements"])
    policies = doc["resources"]["Resources"][role]["Properties"]["Policies"]
    return [st for policy in policies for st in policy["PolicyDocument"]["Statement"]]


def actions(statements: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for st in statements:
        found |= {st["Action"]} if isinstance(st["Action"], str) else set(st["Action"])
    return found


def test_no_secret_is_read_from_the_deployers_environment_under_its_own_name() -> None:
    text = (ROOT / "serverless.yml").read_text()
    for name in SECRETS:
        assert not re.search(rf"\$\{{env:{name}\s*[,}}]", text), name


def test_each_secret_variable_is_a_reference_param_and_only_where_it_is_used() -> None:
    doc = serverless_yml()
    where = {name: {f for f in doc["functions"] if name in environment(doc, f)} for name in SECRETS}
    everyone = set(doc["functions"])
    assert where["TENCENTCLOUD_SECRET_KEY"] == where["LIVE_FCGI_KEY"] == everyone
    assert where["LIVEREC_API_TOKENS"] == set(HTTP_FUNCTIONS)
    for name in ("LIVE_CALLBACK_KEY", "LIVEREC_HOOK_SECRETS", "LIVEREC_WEBHOOK_SECRET"):
        assert where[name] == {"webhooks"}, name
    for function in doc["functions"]:
        for name in SECRETS:
            value = environment(doc, function).get(name)
            assert value is None or re.fullmatch(r"\$\{param:[A-Za-z]+Ref\}", value), (function, name, value)


def test_scan_only_where_the_outbox_runs_and_every_function_reads_the_ledger() -> None:
    doc = serverless_yml()
    assert doc["functions"]["webhooks"]["role"] == "WebhooksRole"
    assert doc["functions"]["rollout"]["role"] == "RolloutRole"
    items = {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
    }
    for function in doc["functions"]:
        granted = actions(role_statements(doc, function))
        assert items <= granted, function
        assert "dynamodb:Scan" not in granted, function  # nothing reads the whole table
        # Query, on the indexes each function reads only: the webhooks outbox and the programs due
        # (due-index), a stream's bookings (stream-index), a page of programs (program-index), a page of a
        # recording's files (file-index)
        queried = {
            str(resource).rsplit("/index/", 1)[-1]
            for st in role_statements(doc, function)
            if "dynamodb:Query" in actions([st])
            for resource in st["Resource"]
        }
        expected = {
            "webhooks": {"due-index"},
            "rollout": {"due-index", "stream-index"},
        }.get(function, {"stream-index", "program-index", "file-index"})
        assert queried == expected, (function, queried)
        assert {"ssm:GetParameter", "secretsmanager:GetSecretValue", "kms:Decrypt"} <= granted, function
        assert not any("*" in a for a in granted), function
    for function in ("rollout", "webhooks"):  # own roles: what the framework adds to its own role, by hand
        granted = actions(role_statements(doc, function))
        assert {"xray:PutTraceSegments", "logs:PutLogEvents"} <= granted, function


def test_only_the_webhooks_function_invokes_a_function_and_only_itself() -> None:
    doc = serverless_yml()
    for function in doc["functions"]:
        invoking = [st for st in role_statements(doc, function) if "lambda:InvokeFunction" in actions([st])]
        if function != "webhooks":
            assert invoking == [], function
            continue
        # a callback's kick: an asynchronous invocation of the function itself (shared/webhooks/kick.py)
        (statement,) = invoking
        assert actions([statement]) == {"lambda:InvokeFunction"} and statement["Effect"] == "Allow"
        # itself by name, and (SnapStart) the published version it runs as: name:<version>
        itself = (
            "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
            "${self:service}-${sls:stage}-webhooks"
        )
        assert statement["Resource"] == [itself, f"{itself}:*"]
    assert not any(a.startswith("lambda:") for a in actions(doc["provider"]["iam"]["role"]["statements"]))


def test_secret_grants_are_this_stages_prefixes_and_decrypt_only_through_them() -> None:
    statements = serverless_yml()["provider"]["iam"]["role"]["statements"]
    by_action = {a: st for st in statements for a in actions([st])}
    assert by_action["ssm:GetParameter"]["Resource"][0].endswith(":parameter/liverec/${sls:stage}/*")
    assert by_action["secretsmanager:GetSecretValue"]["Resource"][0].endswith(
        ":secret:liverec/${sls:stage}/*"
    )
    via = by_action["kms:Decrypt"]["Condition"]["StringEquals"]["kms:ViaService"]
    assert sorted(v.split(".")[0] for v in via) == ["secretsmanager", "ssm"]


def test_every_timer_has_a_dead_letter_queue_and_bounded_async_retries() -> None:
    doc = serverless_yml()
    timers = {name: f for name, f in doc["functions"].items() if any("eventBridge" in e for e in f["events"])}
    assert set(timers) == {"rollout", "webhooks"}
    for name, function in doc["functions"].items():
        assert not any("schedule" in e for e in function["events"]), f"{name}: a schedule event has no DLQ"
    for name, function in timers.items():
        for event in (e["eventBridge"] for e in function["events"] if "eventBridge" in e):
            assert event["deadLetterQueueArn"] == "TimerDeadLetterQueue.Arn", name
            assert event["retryPolicy"]["maximumEventAge"] <= 1800, name
        assert function["maximumRetryAttempts"] <= 1 and function["maximumEventAge"] <= 1800, name
        assert function["destinations"]["onFailure"] == {"type": "sqs", "arn": "TimerFailureQueue.Arn"}, name
    resources = doc["resources"]["Resources"]
    policy = resources["TimerDeadLetterQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]
    assert policy["Principal"] == {"Service": "events.amazonaws.com"} and "ArnLike" in policy["Condition"]


def _resolve(export: str, params: dict[str, str]) -> Any:
    """Call one of devtools/serverless-http.js's resolvers as the framework does, with these params."""
    import json
    import shutil
    import subprocess

    import pytest

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (make package installs the Serverless Framework with it)")
    script = (
        "const m = require(process.argv[1]); const params = JSON.parse(process.argv[2]);"
        "const config = JSON.parse(process.argv[4]);"
        "const resolveVariable = async (v) => params[v.replace(/^param:/, '')] ?? null;"
        "const resolveConfigurationProperty = async (keys) => keys.reduce((o, k) => (o == null ? o : o[k]), config);"
        "m[process.argv[3]]({ resolveVariable, resolveConfigurationProperty }).then("
        "(r) => console.log(JSON.stringify(r)), (e) => { console.log(JSON.stringify({ error: e.message })); });"
    )
    config = json.dumps({"functions": serverless_yml()["functions"]}, default=str)
    out = subprocess.run(
        [
            node,
            "-e",
            script,
            str(ROOT / "devtools" / "serverless-http.js"),
            json.dumps(params),
            export,
            config,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return json.loads(out.stdout)


def test_the_jwt_authorizer_exists_and_guards_the_recordings_routes_only_with_an_issuer() -> None:
    doc = serverless_yml()
    resolver = "${file(./devtools/serverless-http.js):routeAuthorizer}"
    assert doc["provider"]["httpApi"]["authorizers"] == "${file(./devtools/serverless-http.js):authorizers}"
    for name, function in doc["functions"].items():
        for event in (e["httpApi"] for e in function["events"] if "httpApi" in e):
            assert event.get("authorizer") == (None if name == "webhooks" else resolver), (name, event)
    unset = {"jwtIssuer": "", "jwtAudience": "liverec"}
    assert _resolve("authorizers", unset) == {} and _resolve("routeAuthorizer", unset) == ""
    issuer = unset | {"jwtIssuer": "https://auth.example.com/", "jwtAudience": "liverec, console"}
    jwt = _resolve("authorizers", issuer)["jwt"]
    assert jwt["issuerUrl"] == "https://auth.example.com/" and jwt["audience"] == ["liverec", "console"]
    assert _resolve("routeAuthorizer", issuer) == "jwt"
    assert "https://" in _resolve("authorizers", issuer | {"jwtIssuer": "http://x"})["error"]


def test_cors_is_off_unless_origins_are_listed_and_every_route_is_throttled_and_logged() -> None:
    assert _resolve("cors", {"corsOrigins": ""}) is False
    cors = _resolve("cors", {"corsOrigins": "https://a.example.com, https://b.example.com"})
    assert cors["allowedOrigins"] == ["https://a.example.com", "https://b.example.com"]
    assert "Idempotency-Key" in cors["allowedHeaders"]
    assert "PUT" in cors["allowedMethods"]  # the routes' methods (tests/functional/test_cors.py)
    doc = serverless_yml()
    settings = doc["resources"]["extensions"]["HttpApiStage"]["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] == "${param:throttleRateLimit}"
    assert settings["ThrottlingBurstLimit"] == "${param:throttleBurstLimit}"
    for stage in ("default", "prod"):
        limits = doc["params"]["default"] | doc["params"][stage]
        assert 0 < limits["throttleRateLimit"] <= limits["throttleBurstLimit"], stage
    import json

    log = json.loads(doc["provider"]["logs"]["httpApi"]["format"])
    assert {"requestId", "routeKey", "status", "integrationError", "authorizerError"} <= set(log)


def emitted_dimensions(metric: str) -> set[frozenset[str]]:
    """The dimension sets the code emits ``metric`` with: each ``count("Metric", key=...)`` call in the
    deployed code, plus the service dimension powertools adds (``count`` with no keys: service alone)."""
    found: set[frozenset[str]] = set()
    for source in [*(ROOT / "shared").rglob("*.py"), *(ROOT / "functions").rglob("*.py")]:
        for call in re.finditer(rf'count\(\s*"{metric}"((?:\s*,\s*\w+=[^,)]+)*)\s*\)', source.read_text()):
            found.add(frozenset({*re.findall(r"(\w+)=", call.group(1)), "service"}))
    return found


def test_the_metrics_nobody_was_paged_for_are_alarmed_on_the_dimensions_they_carry() -> None:
    resources = serverless_yml()["resources"]["Resources"]
    alarmed = {
        "RolloutFailed": "RolloutFailedAlarm",
        "RolloutUnresolved": "RolloutUnresolvedAlarm",
        "CoverageShort": "CoverageShortAlarm",
        "WebhooksDeadLettered": "WebhooksDeadLetteredAlarm",
    }
    for metric, alarm in alarmed.items():
        (dimensions,) = emitted_dimensions(metric)  # one call site shape per metric
        query = resources[alarm]["Properties"]["Metrics"][0]["Expression"]
        schema = re.search(r'FROM SCHEMA\("\$\{self:custom.metricsNamespace\}", ([\w, ]+)\)', query)
        assert schema and set(schema.group(1).split(", ")) == dimensions, (metric, query)
        assert f"SUM({metric})" in query and "WHERE service = 'liverec'" in query
    for alarm in ("Http5xxAlarm", "FunctionErrorsAlarm", "FunctionThrottlesAlarm", "TimerQueuesAlarm"):
        assert resources[alarm]["Type"] == "AWS::CloudWatch::Alarm"
    functions = set(serverless_yml()["functions"])
    for alarm in ("FunctionErrorsAlarm", "FunctionThrottlesAlarm"):
        ids = {m["Id"] for m in resources[alarm]["Properties"]["Metrics"] if "MetricStat" in m}
        assert ids == functions, alarm  # every function, none forgotten
    for name, resource in resources.items():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            assert (
                props["AlarmActions"]
                == props["OKActions"]
                == resources["RolloutFailedAlarm"]["Properties"]["AlarmActions"]
            ), name
            assert props["TreatMissingData"] == "notBreaching", name
    # the topic only when asked for; alarms either way
    assert (
        resources["AlarmTopic"]["Condition"]
        == resources["AlarmEmailSubscription"]["Condition"]
        == "CreateAlarmTopic"
    )
    assert "Condition" not in resources["RolloutFailedAlarm"]


def test_the_table_is_kept_and_recoverable_and_the_dashboard_shows_every_alarm() -> None:
    doc = serverless_yml()
    table = doc["resources"]["Resources"]["IdempotencyTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    body = doc["resources"]["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    alarms = [n for n, r in doc["resources"]["Resources"].items() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert all(f"${{{name}.Arn}}" in body for name in alarms)
    import json

    json.loads(re.sub(r"\$\{[^}]+\}", "x", body))  # valid JSON once Fn::Sub has filled it in
    extensions = doc["resources"]["extensions"]
    for function in doc["functions"]:
        group = extensions[f"{function.capitalize()}LogGroup"]
        assert group["DeletionPolicy"] == group["UpdateReplacePolicy"] == "Delete", function


def test_the_template_check_finds_a_secret_value_and_a_non_reference() -> None:
    from devtools.check_template import canaries, leaks, reference_problems

    values = canaries()
    assert set(values) == set(SECRETS) and all(len(v) >= 16 for v in values.values())
    key = values["LIVE_CALLBACK_KEY"]
    found = leaks(values, {"template": f'{{"LIVE_CALLBACK_KEY": "{key}"}}'.encode(), "zip:x.py": b"ok"})
    assert found == ["LIVE_CALLBACK_KEY's value is in template"]
    function = {"Type": "AWS::Lambda::Function", "Properties": {"Environment": {"Variables": {}}}}
    variables = function["Properties"]["Environment"]["Variables"]
    variables |= {
        "TENCENTCLOUD_SECRET_KEY": "ssm:/liverec/prod/tencent-secret-key",
        "LIVEREC_WEBHOOK_SECRET": "secretsmanager:liverec/prod/webhook-secret",
        "LIVE_FCGI_KEY": "",
    }
    assert reference_problems({"Resources": {"F": function}}) == []
    for wrong in ("plain-secret-value-0123", "ssm:/liverec/dev/tencent-secret-key", "ssm:/other/prod/x"):
        variables["LIVE_CALLBACK_KEY"] = wrong
        assert reference_problems({"Resources": {"F": function}}) == [
            "F LIVE_CALLBACK_KEY is not a reference to /liverec/prod/ (ssm: or secretsmanager:)"
        ]


def test_snapstart_is_one_param_off_by_default_and_on_every_function_with_it() -> None:
    doc = serverless_yml()
    assert doc["params"]["default"]["snapStart"] == "${env:LIVEREC_SNAPSTART, 'false'}"
    assert not any("snapStart" in params for stage, params in doc["params"].items() if stage != "default")
    for name, function in doc["functions"].items():
        assert function["snapStart"] == "${strToBool(${param:snapStart})}", name
    # the timers' asynchronous settings name the function as their EventBridge permissions do, with SnapStart
    # and without (the Serverless rule ES1007 compares them literally)
    targets = doc["custom"]["asyncTarget"]
    extensions = doc["resources"]["extensions"]
    for name in ("rollout", "webhooks"):
        arn = f"{name.capitalize()}LambdaFunction.Arn"
        assert targets["false"][name] == arn
        assert targets["true"][name] == [":", [arn, "snapstart"]]
        assert extensions[f"{name.capitalize()}LambdaEvConf"]["Properties"]["FunctionName"] == (
            f"${{self:custom.asyncTarget.${{strToBool(${{param:snapStart}})}}.{name}}}"
        )


def _snapstart_template(integration_uri: Any) -> dict[str, Any]:
    alias = {"Fn::Join": [":", [{"Fn::GetAtt": ["FLambdaFunction", "Arn"]}, "snapstart"]]}
    return {
        "Resources": {
            "FLambdaFunction": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"SnapStart": {"ApplyOn": "PublishedVersions"}},
            },
            "FSnapStartLambdaAlias": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "FLambdaFunction"},
                    "FunctionVersion": {"Fn::GetAtt": ["FLambdaVersionX", "Version"]},
                    "Name": "snapstart",
                },
            },
            "I": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {"IntegrationUri": integration_uri},
            },
            "P": {"Type": "AWS::Lambda::Permission", "Properties": {"FunctionName": alias}},
            "R": {"Type": "AWS::Events::Rule", "Properties": {"Targets": [{"Arn": alias, "Id": "t"}]}},
            "E": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {"Qualifier": "snapstart"}},
        }
    }


def test_the_template_check_finds_an_invoker_of_latest_and_a_function_without_snapstart() -> None:
    from devtools.check_template import PARAMS, snapstart_problems

    assert "snapStart=true" in PARAMS  # make check-template packages with SnapStart on
    alias = {"Fn::Join": [":", [{"Fn::GetAtt": ["FLambdaFunction", "Arn"]}, "snapstart"]]}
    assert snapstart_problems(_snapstart_template(alias)) == []
    latest = _snapstart_template({"Fn::GetAtt": ["FLambdaFunction", "Arn"]})
    assert snapstart_problems(latest) == ["I IntegrationUri does not name a function's alias snapstart"]
    resources = _snapstart_template(alias)["Resources"]
    del resources["FLambdaFunction"]["Properties"]["SnapStart"]
    resources["FSnapStartLambdaAlias"]["Properties"]["Name"] = "live"
    resources["E"]["Properties"]["Qualifier"] = "$LATEST"
    assert snapstart_problems({"Resources": resources}) == [
        "FLambdaFunction has no SnapStart ApplyOn PublishedVersions",
        "FLambdaFunction has no alias snapstart on a published version",
        "E (asynchronous settings) is not on the alias snapstart",
    ]
