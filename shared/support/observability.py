"""The one place the powertools Logger and Metrics are created (JSON logs, EMF metrics).

Log fields carry stream, task id, API and mode; never a secret (settings are logged only through
``Settings.describe()``).
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

SERVICE = "liverec"
# powertools' own variable (serverless.yml sets it per stage: Liverec-<stage>); read once, as powertools does
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "Liverec"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)


def count(name: str, **dimensions: str) -> None:
    """One EMF count. Dimensions vary per metric (mode, api, code), so each such count is its own blob.

    Honours ``POWERTOOLS_METRICS_DISABLED`` / ``POWERTOOLS_DEV`` as ``metrics`` does (powertools'
    ``single_metric`` prints regardless)."""
    if not dimensions:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
        return
    if is_metrics_disabled():
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=1, namespace=NAMESPACE) as metric:
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value)
