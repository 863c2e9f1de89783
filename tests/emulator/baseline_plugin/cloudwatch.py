"""CloudWatch operations moto 5.2.5 lacks.

Added as methods of ``moto.cloudwatch.responses.CloudWatchResponse`` so they work
for every wire protocol moto parses (awsQuery ``Action=`` forms and AWS JSON 1.0);
the smithy-rpc-v2-cbor protocol that the Rust SDK uses is translated to
AWS JSON 1.0 in front of moto by ``baseline_plugin.cbor``.

* PutCompositeAlarm (stored as a moto ``Alarm`` with ``rule`` set, so moto's own
  DeleteAlarms / tagging / SetAlarmState work on it)
* DeleteAlarms refusing more than one composite alarm in a call ("this total can include
  no more than one composite alarm", DeleteAlarms, CloudWatch API Reference; the page does
  not name the error, so it is a ValidationError here); moto deleted any number
* DescribeAlarms honouring ``AlarmTypes`` (AWS returns only metric alarms
  when it is omitted; moto returned both kinds)
* DescribeAlarmsForMetric matching the metric as AWS does (namespace, name, the exact
  dimension set, and Statistic / ExtendedStatistic / Period when given); moto matched
  namespace and name only, so an alarm on the wrong dimension set was still "found"
* PutAnomalyDetector / DescribeAnomalyDetectors / DeleteAnomalyDetector
  (legacy Namespace/MetricName/Dimensions/Stat and SingleMetricAnomalyDetector
  forms, plus MetricMathAnomalyDetector)
"""
from __future__ import annotations

import copy
import json
import uuid
from typing import Any

from moto.cloudwatch.exceptions import ResourceNotFoundException, ValidationError
from moto.cloudwatch.models import CloudWatchBackend
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

from .validation import format_problems, validate_request


class InvalidParameterValueException(ServiceException):
    code = "InvalidParameterValueException"


class MissingRequiredParameterException(ServiceException):
    code = "MissingRequiredParameterException"


def _plain(value: Any) -> Any:
    """moto's parsers return XFormedDict/list-like objects; make them plain."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _params(resp: CloudWatchResponse) -> dict:
    return _plain(dict(resp.params or {}))


def _check(resp: CloudWatchResponse, operation: str) -> dict:
    params = _params(resp)
    problems = validate_request("cloudwatch", operation, params)
    if problems:
        raise ValidationError(format_problems(problems))
    return params


# ---------------------------------------------------------------- composite alarms

def put_composite_alarm(self: CloudWatchResponse) -> ActionResult:
    p = _check(self, "PutCompositeAlarm")
    backend: CloudWatchBackend = self.cloudwatch_backend
    alarm = backend.put_metric_alarm(
        name=p["AlarmName"],
        namespace=None,  # type: ignore[arg-type]
        metric_name=None,  # type: ignore[arg-type]
        comparison_operator=None,  # type: ignore[arg-type]
        evaluation_periods=None,  # type: ignore[arg-type]
        period=None,  # type: ignore[arg-type]
        threshold=None,  # type: ignore[arg-type]
        statistic=None,  # type: ignore[arg-type]
        description=p.get("AlarmDescription"),  # type: ignore[arg-type]
        dimensions=[],
        alarm_actions=p.get("AlarmActions") or [],
        ok_actions=p.get("OKActions") or [],
        insufficient_data_actions=p.get("InsufficientDataActions") or [],
        actions_enabled=p.get("ActionsEnabled", True) if p.get("ActionsEnabled") is not None else True,
        rule=p["AlarmRule"],
        tags=p.get("Tags") or [],
    )
    alarm.actions_suppressor = p.get("ActionsSuppressor")
    alarm.actions_suppressor_wait_period = p.get("ActionsSuppressorWaitPeriod")
    alarm.actions_suppressor_extension_period = p.get("ActionsSuppressorExtensionPeriod")
    alarm.action_configuration = p.get("ActionConfiguration")
    alarm.state_value = "INSUFFICIENT_DATA"
    alarm.state_transitioned_timestamp = utcnow()
    return EmptyResult()


_original_describe_alarms = CloudWatchResponse.describe_alarms


def describe_alarms(self: CloudWatchResponse) -> ActionResult:
    types = self._get_param("AlarmTypes") or ["MetricAlarm"]
    result = _original_describe_alarms(self)
    data = dict(result.result)  # type: ignore[arg-type]
    if "MetricAlarm" not in types:
        data["MetricAlarms"] = []
    if "CompositeAlarm" not in types:
        data["CompositeAlarms"] = []
    return ActionResult(data)


_original_delete_alarms = CloudWatchResponse.delete_alarms


def delete_alarms(self: CloudWatchResponse) -> ActionResult:
    names = self._get_param("AlarmNames", [])
    alarms = self.cloudwatch_backend.alarms
    composites = [n for n in names if n in alarms and getattr(alarms[n], "rule", None)]
    if len(composites) > 1:
        raise ValidationError(
            "DeleteAlarms can include no more than one composite alarm; got "
            + ", ".join(composites))
    return _original_delete_alarms(self)


# ---------------------------------------------------------------- alarms for a metric

def describe_alarms_for_metric(self: CloudWatchResponse) -> ActionResult:
    # AWS API reference, DescribeAlarmsForMetric: "If the metric has any associated dimensions,
    # you must specify them in order for the call to succeed" - an alarm is the metric's only
    # when namespace, name and the whole dimension set agree.
    p = _check(self, "DescribeAlarmsForMetric")
    want = {(d["Name"], d["Value"]) for d in (p.get("Dimensions") or [])}
    found = []
    for alarm in self.cloudwatch_backend.describe_alarms():
        if getattr(alarm, "rule", None):
            continue  # composite alarms watch no metric
        if alarm.namespace != p["Namespace"] or alarm.metric_name != p["MetricName"]:
            continue
        have = {(d.name, d.value) for d in (alarm.dimensions or [])}
        if have != want:
            continue
        if p.get("Statistic") and alarm.statistic != p["Statistic"]:
            continue
        if p.get("ExtendedStatistic") and alarm.extended_statistic != p["ExtendedStatistic"]:
            continue
        if p.get("Period") and int(alarm.period or 0) != int(p["Period"]):
            continue
        found.append(alarm)
    return ActionResult({"MetricAlarms": found})


# ---------------------------------------------------------------- anomaly detectors

def _dims(dims: Any) -> list[dict[str, str]]:
    return sorted(
        ({"Name": d.get("Name"), "Value": d.get("Value")} for d in (dims or [])),
        key=lambda d: (d["Name"] or "", d["Value"] or ""),
    )


def _normalise(p: dict, account_id: str, require: bool = True) -> tuple[str, dict]:
    """Return (key, detector) for either request form."""
    single = p.get("SingleMetricAnomalyDetector")
    math = p.get("MetricMathAnomalyDetector")
    legacy = any(p.get(k) is not None for k in ("Namespace", "MetricName", "Stat", "Dimensions"))
    if sum(bool(x) for x in (single, math, legacy)) > 1:
        from moto.cloudwatch.exceptions import InvalidParameterCombination
        raise InvalidParameterCombination(
            "The parameters SingleMetricAnomalyDetector, MetricMathAnomalyDetector and the "
            "legacy Namespace/MetricName/Dimensions/Stat parameters are mutually exclusive."
        )
    if math:
        queries = math.get("MetricDataQueries") or []
        key = "math:" + json.dumps(queries, sort_keys=True, default=str)
        return key, {"MetricMathAnomalyDetector": {"MetricDataQueries": queries}}
    src = single if single else p
    missing = [k for k in ("Namespace", "MetricName", "Stat") if not src.get(k)]
    if missing and require:
        raise MissingRequiredParameterException(
            f"The parameter(s) {', '.join(missing)} must be specified."
        )
    smd = {
        "AccountId": (single or {}).get("AccountId") or account_id,
        "Namespace": src.get("Namespace"),
        "MetricName": src.get("MetricName"),
        "Dimensions": _dims(src.get("Dimensions")),
        "Stat": src.get("Stat"),
    }
    key = "single:" + json.dumps(
        [smd["Namespace"], smd["MetricName"], smd["Dimensions"], smd["Stat"]], sort_keys=True
    )
    detector = {
        "Namespace": smd["Namespace"],
        "MetricName": smd["MetricName"],
        "Dimensions": smd["Dimensions"],
        "Stat": smd["Stat"],
        "SingleMetricAnomalyDetector": smd,
    }
    return key, detector


def _store(backend: CloudWatchBackend) -> dict[str, dict]:
    if not hasattr(backend, "baseline_anomaly_detectors"):
        backend.baseline_anomaly_detectors = {}
    return backend.baseline_anomaly_detectors


def put_anomaly_detector(self: CloudWatchResponse) -> ActionResult:
    p = _check(self, "PutAnomalyDetector")
    backend = self.cloudwatch_backend
    key, detector = _normalise(p, self.current_account)
    store = _store(backend)
    existing = store.get(key)
    detector["AnomalyDetectorId"] = (existing or {}).get("AnomalyDetectorId") or str(uuid.uuid4())
    detector["Configuration"] = p.get("Configuration") or {"ExcludedTimeRanges": []}
    detector["Configuration"].setdefault("ExcludedTimeRanges", [])
    if p.get("MetricCharacteristics") is not None:
        detector["MetricCharacteristics"] = p["MetricCharacteristics"]
    detector["StateValue"] = "PENDING_TRAINING"
    store[key] = detector
    return EmptyResult()


def describe_anomaly_detectors(self: CloudWatchResponse) -> ActionResult:
    p = _check(self, "DescribeAnomalyDetectors")
    items = list(_store(self.cloudwatch_backend).values())
    types = p.get("AnomalyDetectorTypes")
    if types:
        items = [
            d for d in items
            if ("SINGLE_METRIC" in types and "SingleMetricAnomalyDetector" in d)
            or ("METRIC_MATH" in types and "MetricMathAnomalyDetector" in d)
        ]
    if p.get("AnomalyDetectorIds"):
        items = [d for d in items if d.get("AnomalyDetectorId") in p["AnomalyDetectorIds"]]
    if p.get("Namespace"):
        items = [d for d in items if d.get("Namespace") == p["Namespace"]]
    if p.get("MetricName"):
        items = [d for d in items if d.get("MetricName") == p["MetricName"]]
    if p.get("Dimensions"):
        want = _dims(p["Dimensions"])
        items = [d for d in items if all(x in d.get("Dimensions", []) for x in want)]
    start = int(p["NextToken"]) if str(p.get("NextToken") or "").isdigit() else 0
    size = p.get("MaxResults") or 100
    page = items[start:start + size]
    result: dict[str, Any] = {"AnomalyDetectors": copy.deepcopy(page)}
    if start + size < len(items):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def delete_anomaly_detector(self: CloudWatchResponse) -> ActionResult:
    p = _check(self, "DeleteAnomalyDetector")
    store = _store(self.cloudwatch_backend)
    if p.get("AnomalyDetectorId"):
        key = next((k for k, d in store.items() if d.get("AnomalyDetectorId") == p["AnomalyDetectorId"]), None)
    else:
        key, _ = _normalise(p, self.current_account)
    if key is None or key not in store:
        raise ResourceNotFoundException("Anomaly detector not found")
    del store[key]
    return EmptyResult()


def install() -> None:
    for fn in (put_composite_alarm, delete_alarms, describe_alarms, describe_alarms_for_metric,
               put_anomaly_detector,
               describe_anomaly_detectors, delete_anomaly_detector):
        setattr(CloudWatchResponse, fn.__name__, fn)
