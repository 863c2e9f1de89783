"""Tests of the emulator plugin, with boto3 against a real server process.

Run:  target/emulator-venv/bin/python -m pytest tests/emulator -q
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import boto3
import botocore.model
import cbor2
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
ACCOUNT = "123456789012"
os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                  AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION=REGION)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def endpoint():
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "server.py"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    line = proc.stdout.readline()
    deadline = time.time() + 60
    while "emulator listening on" not in line and time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {line}{proc.stdout.read()}")
        line = proc.stdout.readline()
    assert line.strip() == f"emulator listening on http://127.0.0.1:{port}"
    url = f"http://127.0.0.1:{port}"
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    yield url
    proc.send_signal(signal.SIGTERM)
    try:
        rc = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == 0, f"server did not stop cleanly on SIGTERM (rc={rc})"


def client(endpoint, service, **kw):
    return boto3.session.Session().client(service, endpoint_url=endpoint, region_name=REGION, **kw)


def cw_client(endpoint, protocol, **kw):
    """A CloudWatch client forced onto one wire protocol (query, json, smithy-rpc-v2-cbor)."""
    orig = botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
    botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (protocol,)
    try:
        c = client(endpoint, "cloudwatch", **kw)
    finally:
        botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = orig
    assert c.meta.service_model.resolved_protocol == protocol
    return c


PROTOCOLS = ["query", "json", "smithy-rpc-v2-cbor"]


def uid() -> str:
    return uuid.uuid4().hex[:8]


# ------------------------------------------------------------------ EventBridge

def test_test_event_pattern_matches_cloudtrail_events(endpoint):
    ev = client(endpoint, "events")
    pattern = json.dumps({
        "source": ["aws.s3"], "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["s3.amazonaws.com"], "eventName": ["PutBucketPolicy"],
                   "requestParameters": {"bucketName": ["logs-a"]}},
    })

    def event(bucket: str) -> str:
        return json.dumps({
            "id": "1", "account": ACCOUNT, "region": REGION, "time": "2026-01-01T00:00:00Z",
            "source": "aws.s3", "detail-type": "AWS API Call via CloudTrail", "resources": [],
            "detail": {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy",
                       "requestParameters": {"bucketName": bucket, "policy": {}}},
        })

    assert ev.test_event_pattern(EventPattern=pattern, Event=event("logs-a"))["Result"] is True
    assert ev.test_event_pattern(EventPattern=pattern, Event=event("other"))["Result"] is False
    with pytest.raises(ClientError) as err:
        ev.test_event_pattern(EventPattern=json.dumps({"source": "aws.s3"}), Event=event("logs-a"))
    assert err.value.response["Error"]["Code"] == "InvalidEventPatternException"


# ------------------------------------------------------------------ CloudWatch

@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_composite_alarm_create_describe_delete(endpoint, protocol):
    cw = cw_client(endpoint, protocol)
    n = uid()
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alarms"
    for child in ("errors", "latency"):
        cw.put_metric_alarm(AlarmName=f"{n}-{child}", Namespace="AWS/Bedrock", MetricName="InvocationClientErrors",
                            Statistic="Sum", Period=300, EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanOrEqualToThreshold")
    rule = f'ALARM("{n}-errors") OR ALARM("{n}-latency")'
    cw.put_composite_alarm(
        AlarmName=f"{n}-composite", AlarmRule=rule, AlarmDescription="any bedrock alarm",
        AlarmActions=[topic], OKActions=[topic], ActionsSuppressor=f"{n}-errors",
        ActionsSuppressorWaitPeriod=120, ActionsSuppressorExtensionPeriod=180,
        Tags=[{"Key": "project", "Value": "bedrock-baseline"}],
    )
    out = cw.describe_alarms(AlarmNames=[f"{n}-composite"], AlarmTypes=["CompositeAlarm"])
    assert out["MetricAlarms"] == []
    [alarm] = out["CompositeAlarms"]
    assert alarm["AlarmName"] == f"{n}-composite"
    assert alarm["AlarmRule"] == rule
    assert alarm["AlarmActions"] == [topic] and alarm["OKActions"] == [topic]
    assert alarm["ActionsSuppressor"] == f"{n}-errors"
    assert alarm["ActionsSuppressorWaitPeriod"] == 120
    assert alarm["ActionsSuppressorExtensionPeriod"] == 180
    assert alarm["AlarmArn"] == f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{n}-composite"
    tags = cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]
    assert tags == [{"Key": "project", "Value": "bedrock-baseline"}]

    # AlarmTypes omitted: metric alarms only (as AWS does)
    default = cw.describe_alarms(AlarmNamePrefix=n)
    assert default["CompositeAlarms"] == []
    assert sorted(a["AlarmName"] for a in default["MetricAlarms"]) == [f"{n}-errors", f"{n}-latency"]
    both = cw.describe_alarms(AlarmNamePrefix=n, AlarmTypes=["CompositeAlarm", "MetricAlarm"])
    assert len(both["CompositeAlarms"]) == 1 and len(both["MetricAlarms"]) == 2

    # "no more than one composite alarm" per DeleteAlarms (CloudWatch API Reference)
    cw.put_composite_alarm(AlarmName=f"{n}-composite-2", AlarmRule=rule)
    with pytest.raises(ClientError) as err:
        cw.delete_alarms(AlarmNames=[f"{n}-composite", f"{n}-composite-2"])
    assert "no more than one composite alarm" in err.value.response["Error"]["Message"]
    assert len(cw.describe_alarms(AlarmNamePrefix=n, AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]) == 2
    cw.delete_alarms(AlarmNames=[f"{n}-composite-2"])

    cw.delete_alarms(AlarmNames=[f"{n}-composite", f"{n}-errors", f"{n}-latency"])
    gone = cw.describe_alarms(AlarmNamePrefix=n, AlarmTypes=["CompositeAlarm", "MetricAlarm"])
    assert gone["CompositeAlarms"] == [] and gone["MetricAlarms"] == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_describe_alarms_for_metric_matches_the_exact_dimension_set(endpoint, protocol):
    cw = cw_client(endpoint, protocol)
    n = uid()
    ns = "AWS/Bedrock/Guardrails"
    arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{n}"
    two = [{"Name": "GuardrailArn", "Value": arn}, {"Name": "GuardrailVersion", "Value": "1"}]
    three = two + [{"Name": "GuardrailContentSource", "Value": "Input"}]
    for name, dims in ((f"{n}-two", two), (f"{n}-three", three)):
        cw.put_metric_alarm(AlarmName=name, Namespace=ns, MetricName="InvocationsIntervened",
                            Dimensions=dims, Statistic="Sum", Period=300, EvaluationPeriods=1,
                            Threshold=1.0, ComparisonOperator="GreaterThanThreshold")
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "InvocationsIntervened", "Dimensions": two, "Value": 1.0, "Unit": "Count"}])
    found = cw.describe_alarms_for_metric(Namespace=ns, MetricName="InvocationsIntervened",
                                          Dimensions=list(reversed(two)))["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == [f"{n}-two"]
    assert cw.describe_alarms_for_metric(Namespace=ns, MetricName="InvocationsIntervened",
                                         Dimensions=two, Statistic="Average")["MetricAlarms"] == []
    assert cw.describe_alarms_for_metric(Namespace=ns, MetricName="InvocationsIntervened",
                                         Dimensions=two, Period=60)["MetricAlarms"] == []
    with_stat = cw.describe_alarms_for_metric(Namespace=ns, MetricName="InvocationsIntervened",
                                              Dimensions=two, Statistic="Sum", Period=300)
    assert [a["AlarmName"] for a in with_stat["MetricAlarms"]] == [f"{n}-two"]
    assert cw.describe_alarms_for_metric(Namespace=ns, MetricName="InvocationsIntervened",
                                         Dimensions=two[:1])["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=[f"{n}-two", f"{n}-three"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_anomaly_detector_put_describe_delete(endpoint, protocol):
    cw = cw_client(endpoint, protocol)
    ns = f"Test/{uid()}"
    dims = [{"Name": "ModelId", "Value": "anthropic.claude"}]
    # legacy form
    cw.put_anomaly_detector(Namespace=ns, MetricName="Invocations", Dimensions=dims, Stat="Sum")
    # SingleMetricAnomalyDetector form, with configuration
    cw.put_anomaly_detector(
        SingleMetricAnomalyDetector={"Namespace": ns, "MetricName": "InvocationLatency", "Stat": "Average",
                                     "Dimensions": dims},
        Configuration={"MetricTimezone": "UTC"},
    )
    # putting the same detector again updates it rather than duplicating
    cw.put_anomaly_detector(Namespace=ns, MetricName="Invocations", Dimensions=dims, Stat="Sum")

    found = cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"]
    assert len(found) == 2
    by_metric = {d["SingleMetricAnomalyDetector"]["MetricName"]: d for d in found}
    inv = by_metric["Invocations"]["SingleMetricAnomalyDetector"]
    assert inv["Namespace"] == ns and inv["Stat"] == "Sum" and inv["Dimensions"] == dims
    assert by_metric["InvocationLatency"]["Configuration"]["MetricTimezone"] == "UTC"
    assert cw.describe_anomaly_detectors(Namespace=ns, MetricName="InvocationLatency")["AnomalyDetectors"][0][
        "SingleMetricAnomalyDetector"]["Stat"] == "Average"
    assert cw.describe_anomaly_detectors(Namespace=ns, AnomalyDetectorTypes=["METRIC_MATH"])["AnomalyDetectors"] == []

    # delete each through the other form
    cw.delete_anomaly_detector(
        SingleMetricAnomalyDetector={"Namespace": ns, "MetricName": "Invocations", "Stat": "Sum", "Dimensions": dims})
    cw.delete_anomaly_detector(Namespace=ns, MetricName="InvocationLatency", Stat="Average", Dimensions=dims)
    assert cw.describe_anomaly_detectors(Namespace=ns)["AnomalyDetectors"] == []
    with pytest.raises(ClientError) as err:
        cw.delete_anomaly_detector(Namespace=ns, MetricName="Invocations", Stat="Sum", Dimensions=dims)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_cloudwatch_server_side_validation(endpoint, protocol):
    cw = cw_client(endpoint, protocol, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as err:
        cw.put_composite_alarm(AlarmName="x" * 300, AlarmRule="TRUE", ActionsSuppressorWaitPeriod=5)
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "AlarmName" in err.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as err:
        cw.put_anomaly_detector(Namespace="N", MetricName="M", Stat="Sum", Dimensions=[{"Name": "only-name"}])
    assert err.value.response["Error"]["Code"] == "ValidationError"


def test_raw_rpc_v2_cbor_request_like_rust_sdk(endpoint):
    """Exactly what aws-sdk-cloudwatch 1.140 puts on the wire (no botocore involved)."""
    n = uid()
    body = cbor2.dumps({"AlarmName": n, "Namespace": "AWS/Bedrock", "MetricName": "Invocations",
                        "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1, "Threshold": 10.0,
                        "ComparisonOperator": "GreaterThanThreshold"})

    def call(op, payload):
        req = urllib.request.Request(
            f"{endpoint}/service/GraniteServiceVersion20100801/operation/{op}", data=payload, method="POST",
            headers={"Content-Type": "application/cbor", "Accept": "application/cbor",
                     "smithy-protocol": "rpc-v2-cbor", "x-amzn-query-mode": "true",
                     "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/monitoring/aws4_request, "
                                      "SignedHeaders=host, Signature=00"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    status, headers, raw = call("PutMetricAlarm", body)
    assert status == 200 and headers["smithy-protocol"] == "rpc-v2-cbor"
    status, headers, raw = call("DescribeAlarms", cbor2.dumps({"AlarmNames": [n]}))
    assert status == 200 and headers["Content-Type"] == "application/cbor"
    out = cbor2.loads(raw)
    alarm = out["MetricAlarms"][0]
    assert alarm["AlarmName"] == n and isinstance(alarm["Threshold"], float)
    assert alarm["Period"] == 60
    # timestamps are CBOR tag 1 (decoded by cbor2 as datetime)
    assert alarm["StateUpdatedTimestamp"].year >= 2024
    status, headers, raw = call("PutCompositeAlarm", cbor2.dumps({"AlarmName": "", "AlarmRule": "TRUE"}))
    assert status == 400
    assert headers["x-amzn-query-error"] == "ValidationError;Sender"
    err = cbor2.loads(raw)
    # awsQueryCompatible: JSON/CBOR error type ValidationException, query code in the header
    assert err["__type"].split("#")[-1] == "ValidationException" and err["message"]


# ------------------------------------------------------------------ Bedrock guardrails

def guardrail_request(name: str, **over):
    req = dict(
        name=name,
        description="bedrock-baseline guardrail",
        blockedInputMessaging="Sorry, this input is not allowed.",
        blockedOutputsMessaging="Sorry, this response was blocked.",
        contentPolicyConfig={"filtersConfig": [
            {"type": t, "inputStrength": "HIGH", "outputStrength": "HIGH"}
            for t in ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")
        ] + [{"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}]},
        sensitiveInformationPolicyConfig={
            "piiEntitiesConfig": [{"type": "EMAIL", "action": "ANONYMIZE"},
                                  {"type": "AWS_SECRET_KEY", "action": "BLOCK"}],
            "regexesConfig": [{"name": "account-id", "pattern": "\\b\\d{12}\\b", "action": "ANONYMIZE"}],
        },
        topicPolicyConfig={"topicsConfig": [{"name": "Investment advice", "definition": "Advice on investments.",
                                             "examples": ["Which stock should I buy?"], "type": "DENY"}]},
        wordPolicyConfig={"wordsConfig": [{"text": "internal-codename"}],
                          "managedWordListsConfig": [{"type": "PROFANITY"}]},
        contextualGroundingPolicyConfig={"filtersConfig": [{"type": "GROUNDING", "threshold": 0.7},
                                                           {"type": "RELEVANCE", "threshold": 0.5}]},
        kmsKeyId=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555",
        tags=[{"key": "project", "value": "bedrock-baseline"}],
    )
    req.update(over)
    return req


def test_guardrail_lifecycle(endpoint):
    br = client(endpoint, "bedrock")
    name = f"gr-{uid()}"
    token = uuid.uuid4().hex
    created = br.create_guardrail(**guardrail_request(name), clientRequestToken=token)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    gid, arn = created["guardrailId"], created["guardrailArn"]
    assert created["version"] == "DRAFT"
    assert arn == f"arn:aws:bedrock:{REGION}:{ACCOUNT}:guardrail/{gid}"
    # idempotent retry with the same token
    again = br.create_guardrail(**guardrail_request(name), clientRequestToken=token)
    assert again["guardrailId"] == gid
    # a different token with the same name conflicts
    with pytest.raises(br.exceptions.ConflictException):
        br.create_guardrail(**guardrail_request(name))

    g = br.get_guardrail(guardrailIdentifier=gid)
    assert g["guardrailId"] == gid and g["guardrailArn"] == arn and g["name"] == name
    assert g["version"] == "DRAFT" and g["status"] == "READY"
    assert g["createdAt"] and g["updatedAt"]
    assert g["blockedInputMessaging"] == "Sorry, this input is not allowed."
    assert g["blockedOutputsMessaging"] == "Sorry, this response was blocked."
    assert g["kmsKeyArn"].endswith(":key/11111111-2222-3333-4444-555555555555")
    filters = {f["type"]: f for f in g["contentPolicy"]["filters"]}
    assert set(filters) == {"SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"}
    assert filters["PROMPT_ATTACK"]["inputStrength"] == "HIGH"
    assert filters["PROMPT_ATTACK"]["outputStrength"] == "NONE"
    assert filters["HATE"]["outputStrength"] == "HIGH"
    pii = {p["type"]: p["action"] for p in g["sensitiveInformationPolicy"]["piiEntities"]}
    assert pii == {"EMAIL": "ANONYMIZE", "AWS_SECRET_KEY": "BLOCK"}
    assert g["sensitiveInformationPolicy"]["regexes"][0]["pattern"] == "\\b\\d{12}\\b"
    assert g["topicPolicy"]["topics"][0]["name"] == "Investment advice"
    assert g["topicPolicy"]["topics"][0]["type"] == "DENY"
    assert g["wordPolicy"]["words"] == [{"text": "internal-codename", "inputAction": "BLOCK", "outputAction": "BLOCK",
                                         "inputEnabled": True, "outputEnabled": True}]
    assert g["wordPolicy"]["managedWordLists"][0]["type"] == "PROFANITY"
    grounding = {f["type"]: f["threshold"] for f in g["contextualGroundingPolicy"]["filters"]}
    assert grounding == {"GROUNDING": 0.7, "RELEVANCE": 0.5}
    # by ARN too
    assert br.get_guardrail(guardrailIdentifier=arn)["guardrailId"] == gid

    # tags
    assert br.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "project", "value": "bedrock-baseline"}]
    br.tag_resource(resourceARN=arn, tags=[{"key": "owner", "value": "platform"}])
    br.untag_resource(resourceARN=arn, tagKeys=["project"])
    assert br.list_tags_for_resource(resourceARN=arn)["tags"] == [{"key": "owner", "value": "platform"}]

    # publish version 1 (idempotent on clientRequestToken)
    v1 = br.create_guardrail_version(guardrailIdentifier=gid, description="first", clientRequestToken="v1tok")
    assert v1["version"] == "1" and v1["guardrailId"] == gid
    assert br.create_guardrail_version(guardrailIdentifier=gid, clientRequestToken="v1tok")["version"] == "1"

    # update the draft; version 1 keeps the snapshot
    upd = guardrail_request(name, blockedInputMessaging="Changed.")
    upd.pop("tags")
    updated = br.update_guardrail(guardrailIdentifier=gid, **upd)
    assert updated["version"] == "DRAFT" and updated["guardrailArn"] == arn
    assert br.get_guardrail(guardrailIdentifier=gid)["blockedInputMessaging"] == "Changed."
    snap = br.get_guardrail(guardrailIdentifier=gid, guardrailVersion="1")
    assert snap["version"] == "1" and snap["blockedInputMessaging"] == "Sorry, this input is not allowed."
    assert snap["description"] == "first"
    v2 = br.create_guardrail_version(guardrailIdentifier=arn)
    assert v2["version"] == "2"
    assert br.get_guardrail(guardrailIdentifier=gid, guardrailVersion="2")["blockedInputMessaging"] == "Changed."

    # list
    listed = [x for x in br.list_guardrails()["guardrails"] if x["id"] == gid]
    assert len(listed) == 1 and listed[0]["version"] == "DRAFT" and listed[0]["arn"] == arn
    versions = [x["version"] for x in br.list_guardrails(guardrailIdentifier=gid)["guardrails"]]
    assert versions == ["DRAFT", "1", "2"]

    # delete one version, then the whole guardrail
    br.delete_guardrail(guardrailIdentifier=gid, guardrailVersion="1")
    with pytest.raises(br.exceptions.ResourceNotFoundException):
        br.get_guardrail(guardrailIdentifier=gid, guardrailVersion="1")
    br.delete_guardrail(guardrailIdentifier=gid)
    with pytest.raises(br.exceptions.ResourceNotFoundException):
        br.get_guardrail(guardrailIdentifier=gid)
    assert all(x["id"] != gid for x in br.list_guardrails()["guardrails"])
    with pytest.raises(br.exceptions.ResourceNotFoundException):
        br.list_tags_for_resource(resourceARN=arn)


def _raw_bedrock_error(br, call):
    with pytest.raises(br.exceptions.ValidationException) as err:
        call()
    resp = err.value.response
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "ValidationException"
    return resp["Error"]["Message"]


def _one_filter_refused(endpoint, kind: str) -> str:
    """The message of the ValidationException for a guardrail whose one content filter is
    `kind`, HIGH both ways."""
    br = client(endpoint, "bedrock", config=Config(parameter_validation=False))
    req = guardrail_request(f"gr-{uid()}")
    req["contentPolicyConfig"] = {"filtersConfig": [
        {"type": kind, "inputStrength": "HIGH", "outputStrength": "HIGH"}]}
    return _raw_bedrock_error(br, lambda: br.create_guardrail(**req))


def test_guardrail_validation_prompt_attack_output_strength(endpoint):
    msg = _one_filter_refused(endpoint, "PROMPT_ATTACK")
    assert "PROMPT_ATTACK" in msg and "outputStrength" in msg


def test_guardrail_validation_unknown_filter_type(endpoint):
    msg = _one_filter_refused(endpoint, "SPAM")
    assert "'SPAM'" in msg and "enum value set" in msg
    assert "contentPolicyConfig.filtersConfig.1.member.type" in msg


def test_guardrail_validation_other_rules(endpoint):
    br = client(endpoint, "bedrock", config=Config(parameter_validation=False))
    dup = guardrail_request(f"gr-{uid()}")
    dup["contentPolicyConfig"] = {"filtersConfig": [
        {"type": "HATE", "inputStrength": "HIGH", "outputStrength": "HIGH"},
        {"type": "HATE", "inputStrength": "LOW", "outputStrength": "LOW"}]}
    assert "Duplicate" in _raw_bedrock_error(br, lambda: br.create_guardrail(**dup))
    missing = guardrail_request(f"gr-{uid()}")
    del missing["blockedOutputsMessaging"]
    assert "blockedOutputsMessaging" in _raw_bedrock_error(br, lambda: br.create_guardrail(**missing))
    badname = guardrail_request("has spaces!")
    assert "pattern" in _raw_bedrock_error(br, lambda: br.create_guardrail(**badname))
    toolong = guardrail_request(f"gr-{uid()}", blockedInputMessaging="x" * 501)
    assert "less than or equal to 500" in _raw_bedrock_error(br, lambda: br.create_guardrail(**toolong))
    nested = guardrail_request(f"gr-{uid()}")
    nested["sensitiveInformationPolicyConfig"]["piiEntitiesConfig"][0]["action"] = "SHRED"
    assert "piiEntitiesConfig.1.member.action" in _raw_bedrock_error(br, lambda: br.create_guardrail(**nested))


def test_validator_is_generic():
    sys.path.insert(0, HERE)
    from baseline_plugin.validation import operation_model, validate

    shape = operation_model("cloudwatch", "PutMetricAlarm").input_shape
    ok = {"AlarmName": "a", "EvaluationPeriods": 1, "ComparisonOperator": "GreaterThanThreshold"}
    assert validate(shape, ok) == []
    bad = dict(ok, EvaluationPeriods=0, ComparisonOperator="Bigger",
               Metrics=[{"Id": "m1", "MetricStat": {"Metric": {"MetricName": "M"}, "Period": 60}}])
    problems = validate(shape, bad)
    text = "\n".join(problems)
    assert "EvaluationPeriods" in text and "Bigger" in text
    assert "Metrics.1.member.MetricStat.Stat" in text  # nested required member


# ------------------------------------------------------------------ moto fixes

def test_vpc_endpoint_client_token_idempotent(endpoint):
    ec2 = client(endpoint, "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
    args = dict(VpcEndpointType="Interface", VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.bedrock-runtime",
                SubnetIds=[sub], PrivateDnsEnabled=True, ClientToken=f"tok-{uid()}")
    first = ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"]
    assert ec2.create_vpc_endpoint(**args)["VpcEndpoint"]["VpcEndpointId"] == first


def test_bedrock_mantle_is_offered_unless_the_region_withholds_it(endpoint):
    region = "eu-west-3"  # a region no other test uses: withholding is per region
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region)
    name = f"com.amazonaws.{region}.bedrock-mantle"
    by_filter = dict(Filters=[{"Name": "service-name", "Values": [name]}])
    assert ec2.describe_vpc_endpoint_services(**by_filter)["ServiceNames"] == [name]
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    args = dict(VpcEndpointType="Interface", VpcId=vpc, ServiceName=name, SubnetIds=[sub])
    first = ec2.create_vpc_endpoint(**args)["VpcEndpoint"]
    assert first["ServiceName"] == name

    def admin(method, body=None):
        req = urllib.request.Request(f"{endpoint}/_baseline/endpoint-services/{region}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req) as r:
            return json.load(r)

    assert admin("PUT", {"withheld": ["bedrock-mantle"]}) == {"withheld": ["bedrock-mantle"]}
    try:
        assert ec2.describe_vpc_endpoint_services(**by_filter)["ServiceNames"] == []
        listed = ec2.describe_vpc_endpoint_services()["ServiceNames"]
        assert name not in listed and f"com.amazonaws.{region}.bedrock-runtime" in listed
        with pytest.raises(ClientError) as e:
            ec2.describe_vpc_endpoint_services(ServiceNames=[name])
        assert e.value.response["Error"]["Code"] == "InvalidServiceName"
        with pytest.raises(ClientError) as e:
            ec2.create_vpc_endpoint(**args)
        assert e.value.response["Error"]["Code"] == "InvalidServiceName"
        # other regions are untouched
        other = client(endpoint, "ec2")
        assert other.describe_vpc_endpoint_services(
            Filters=[{"Name": "service-name", "Values": [f"com.amazonaws.{REGION}.bedrock-mantle"]}]
        )["ServiceNames"] == [f"com.amazonaws.{REGION}.bedrock-mantle"]
    finally:
        assert admin("DELETE") == {"withheld": []}
    assert ec2.describe_vpc_endpoint_services(**by_filter)["ServiceNames"] == [name]


def test_s3_secure_transport_deny_does_not_block_objects(endpoint):
    s3 = client(endpoint, "s3")
    bucket = f"bb-{uid()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    etag = s3.put_object(Bucket=bucket, Key="state.json", Body=b"{}", IfNoneMatch="*")["ETag"]
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=bucket, Key="state.json", Body=b"{}", IfNoneMatch="*")
    assert err.value.response["Error"]["Code"] == "PreconditionFailed"
    s3.put_object(Bucket=bucket, Key="state.json", Body=b'{"v":2}', IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="state.json")["Body"].read() == b'{"v":2}'
    # unconditional deny statements are still enforced
    with pytest.raises(ClientError):
        s3.delete_object(Bucket=bucket, Key="state.json")


def test_s3_bucket_logging_to_a_bucket_with_a_tls_only_policy(endpoint):
    s3 = client(endpoint, "s3")
    source, target = f"bb-src-{uid()}", f"bb-dst-{uid()}"
    s3.create_bucket(Bucket=source, ObjectLockEnabledForBucket=True)
    s3.create_bucket(Bucket=target)
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{target}", f"arn:aws:s3:::{target}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "AllowS3ServerAccessLogs", "Effect": "Allow",
         "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{target}/{source}/*",
         "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"},
                       "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"}}}]}))
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": f"{source}/"}})
    got = s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]
    assert got == {"TargetBucket": target, "TargetPrefix": f"{source}/"}
    # Without the logging grant it is still refused, as AWS does.
    other = f"bb-src2-{uid()}"
    s3.create_bucket(Bucket=other)
    with pytest.raises(ClientError) as err:
        s3.put_bucket_logging(Bucket=other, BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": f"{other}/"}})
    assert err.value.response["Error"]["Code"] == "InvalidTargetBucketForLogging"


def test_make_stand_in_vpc_is_idempotent(endpoint):
    cmd = [sys.executable, os.path.join(HERE, "make_stand_in_vpc.py"), "--endpoint-url", endpoint, "--region", REGION]
    first = json.loads(subprocess.check_output(cmd, text=True))
    second = json.loads(subprocess.check_output(cmd, text=True))
    assert first == second
    assert first["vpc_cidr"] == "10.0.0.0/16" and len(first["subnet_ids"]) == 2 and first["route_table_ids"]
    ec2 = client(endpoint, "ec2")
    subnets = ec2.describe_subnets(SubnetIds=first["subnet_ids"])["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == ["10.0.1.0/24", "10.0.2.0/24"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    for attr, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=first["vpc_id"], Attribute=attr)[key]["Value"] is True
    # The replication destination: another region, versioned, Object Lock.
    assert first["replica_kms_key_arn"].startswith("arn:aws:kms:us-west-2:")
    bucket = first["replica_bucket_arn"].removeprefix("arn:aws:s3:::")
    s3 = client(endpoint, "s3")
    assert s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "us-west-2"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


# ------------------------------------------------------------------ call log

def test_call_log(endpoint):
    def calls():
        with urllib.request.urlopen(f"{endpoint}/_baseline/calls") as r:
            return json.load(r)["calls"]

    req = urllib.request.Request(f"{endpoint}/_baseline/calls", method="DELETE")
    urllib.request.urlopen(req).read()
    assert calls() == []
    before = time.time()
    client(endpoint, "sts").get_caller_identity()
    cw_client(endpoint, "smithy-rpc-v2-cbor").describe_alarms()
    cw_client(endpoint, "query").list_dashboards()
    client(endpoint, "bedrock").list_guardrails()
    client(endpoint, "s3").list_buckets()
    client(endpoint, "logs").describe_log_groups()
    # bedrock-agent signs as "bedrock": its REST reads are named too (the bench counts writes by name)
    client(endpoint, "bedrock-agent").list_agents()
    log = calls()
    got = [(c["service"], c["operation"]) for c in log]
    assert got == [("sts", "GetCallerIdentity"), ("cloudwatch", "DescribeAlarms"), ("cloudwatch", "ListDashboards"),
                   ("bedrock", "ListGuardrails"), ("s3", "ListBuckets"), ("logs", "DescribeLogGroups"),
                   ("bedrock", "ListAgents")]
    for c in log:
        assert before <= c["start"] <= c["end"] <= time.time()
        assert c["status"] == 200
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/_baseline/calls", method="DELETE")).read()
    assert calls() == []


def test_logs_associate_and_disassociate_kms_key(endpoint):
    logs = client(endpoint, "logs")
    name = f"/aws/bedrock/t-{uid()}/invocations"
    key = f"arn:aws:kms:{REGION}:123456789012:key/11111111-2222-3333-4444-555555555555"
    other = key.replace("1111", "9999")
    logs.create_log_group(logGroupName=name, kmsKeyId=key)
    logs.associate_kms_key(logGroupName=name, kmsKeyId=other)
    group = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert group["kmsKeyId"] == other
    logs.disassociate_kms_key(logGroupName=name)
    group = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]
    assert "kmsKeyId" not in group
    with pytest.raises(ClientError) as err:
        logs.associate_kms_key(logGroupName=name + "-missing", kmsKeyId=key)
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


# ------------------------------------------------------------------ faults

def _fault_admin(endpoint, key: str):
    """Calls the faults admin API for access key `key`: `admin(method, body=None)`."""
    def admin(method, body=None):
        req = urllib.request.Request(f"{endpoint}/_baseline/faults/{key}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        with urllib.request.urlopen(req) as r:
            return json.load(r)
    return admin


def test_faults_delay_then_hang_until_released(endpoint):
    admin = _fault_admin(endpoint, "AKIDFAULT1")

    admin("PUT", {"delay_ms": 100, "hang_after": 1})
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="AKIDFAULT1",
                       aws_secret_access_key="x", config=botocore.config.Config(retries={"max_attempts": 1}))
    t = time.time()
    sts.get_caller_identity()
    assert time.time() - t >= 0.1
    # the second call hangs until the fault is released, then fails
    import threading
    errors = []
    th = threading.Thread(target=lambda: errors.append(_call_fails(sts)))
    th.start()
    deadline = time.time() + 10
    while not admin("GET")["tripped"] and time.time() < deadline:
        time.sleep(0.05)
    assert admin("GET") == {"count": 2, "tripped": True, "lost": []}
    assert th.is_alive()
    admin("DELETE")
    th.join(10)
    assert errors == [True]
    # other access keys were never affected
    client(endpoint, "sts").get_caller_identity()


def test_faults_lose_answer_once_per_write_operation(endpoint):
    admin = _fault_admin(endpoint, "AKIDLOSE1")

    admin("PUT", {"lose_answer": True})
    ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="AKIDLOSE1",
                       aws_secret_access_key="x", config=botocore.config.Config(retries={"total_max_attempts": 1}))
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]  # reads never lose their answer
    name = f"lose-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as err:
        ec2.create_security_group(GroupName=name, Description="d", VpcId=vpc)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503, err.value.response
    # the write happened: its retry meets the first attempt's effect
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    assert len(groups["SecurityGroups"]) == 1
    with pytest.raises(ClientError) as err:
        ec2.create_security_group(GroupName=name, Description="d", VpcId=vpc)
    assert err.value.response["Error"]["Code"] == "InvalidGroup.Duplicate"
    assert admin("GET")["lost"] == ["CreateSecurityGroup"]
    admin("DELETE")


def _call_fails(sts) -> bool:
    try:
        sts.get_caller_identity()
        return False
    except Exception:
        return True


def test_s3_notification_configuration_returns_eventbridge(endpoint):
    s3 = client(endpoint, "s3")
    bucket = f"bb-{uid()}"
    s3.create_bucket(Bucket=bucket)
    raw = urllib.request.urlopen(f"{endpoint}/{bucket}?notification").read().decode()
    assert "<NotificationConfiguration" in raw and "EventBridge" not in raw, raw
    s3.put_bucket_notification_configuration(Bucket=bucket,
                                             NotificationConfiguration={"EventBridgeConfiguration": {}})
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=bucket)
    raw = urllib.request.urlopen(f"{endpoint}/{bucket}?notification").read().decode()
    assert "<NotificationConfiguration" in raw and "<EventBridgeConfiguration" in raw, raw


def test_s3_replication_reads_back_as_put(endpoint):
    s3 = client(endpoint, "s3")
    bucket = f"bb-{uid()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    rule = {"ID": "r1", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            "Destination": {"Bucket": "arn:aws:s3:::dest",
                            "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:us-west-2:123456789012:key/k"}}}
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration={
        "Role": "arn:aws:iam::123456789012:role/r", "Rules": [rule]})
    got = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"][0]
    assert got["SourceSelectionCriteria"] == rule["SourceSelectionCriteria"]
    assert got["Destination"]["EncryptionConfiguration"] == rule["Destination"]["EncryptionConfiguration"]
    assert got["Filter"] == {"Prefix": ""} and got["Priority"] == 1
    s3.delete_bucket_replication(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_replication(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "ReplicationConfigurationNotFoundError"


def test_s3_get_bucket_versioning_root_element_is_versioning_configuration(endpoint):
    # The Rust SDK rejects any other root element; boto3 does not care.
    s3 = client(endpoint, "s3")
    bucket = f"bb-{uid()}"
    s3.create_bucket(Bucket=bucket)
    raw = urllib.request.urlopen(f"{endpoint}/{bucket}?versioning").read()
    assert b"<VersioningConfiguration" in raw and b"GetBucketVersioningResponse" not in raw
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    raw = urllib.request.urlopen(f"{endpoint}/{bucket}?versioning").read()
    assert b"<VersioningConfiguration" in raw and b"<Status>Enabled</Status>" in raw
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"


# ----- cost: Budgets updates and subscribers, Cost Explorer anomaly monitors/subscriptions -----

def _budget(name):
    return {"BudgetName": name, "BudgetType": "COST", "TimeUnit": "MONTHLY",
            "BudgetLimit": {"Amount": "1000", "Unit": "USD"},
            "CostFilters": {"Service": ["Amazon Bedrock"]}}


def _notification(kind, threshold):
    return {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN",
            "Threshold": threshold, "ThresholdType": "PERCENTAGE"}


def test_budget_update_notification_and_subscribers(endpoint):
    b = client(endpoint, "budgets")
    name = f"t-{uid()}-bedrock-monthly-cost"
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:t-cost"
    b.create_budget(AccountId=ACCOUNT, Budget=_budget(name), NotificationsWithSubscribers=[
        {"Notification": _notification("ACTUAL", 50), "Subscribers": [
            {"SubscriptionType": "SNS", "Address": topic}]},
        {"Notification": _notification("FORECASTED", 100), "Subscribers": [
            {"SubscriptionType": "EMAIL", "Address": "finops@example.com"}]},
    ], ResourceTags=[{"Key": "baseline:stack", "Value": "t"}])

    new = dict(_budget(name), BudgetLimit={"Amount": "2000", "Unit": "USD"},
               AutoAdjustData={"AutoAdjustType": "HISTORICAL",
                               "HistoricalOptions": {"BudgetAdjustmentPeriod": 6}})
    b.update_budget(AccountId=ACCOUNT, NewBudget=new)
    got = b.describe_budget(AccountId=ACCOUNT, BudgetName=name)["Budget"]
    assert got["BudgetLimit"]["Amount"] == "2000"
    assert got["AutoAdjustData"]["HistoricalOptions"]["BudgetAdjustmentPeriod"] == 6

    b.update_notification(AccountId=ACCOUNT, BudgetName=name,
                          OldNotification=_notification("ACTUAL", 50),
                          NewNotification=_notification("ACTUAL", 60))
    ns = b.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=name)["Notifications"]
    assert sorted(n["Threshold"] for n in ns) == [60, 100]
    subs = b.describe_subscribers_for_notification(
        AccountId=ACCOUNT, BudgetName=name, Notification=_notification("ACTUAL", 60))["Subscribers"]
    assert subs == [{"SubscriptionType": "SNS", "Address": topic}]

    mail = {"SubscriptionType": "EMAIL", "Address": "ops@example.com"}
    b.create_subscriber(AccountId=ACCOUNT, BudgetName=name,
                        Notification=_notification("ACTUAL", 60), Subscriber=mail)
    with pytest.raises(ClientError) as e:
        b.create_subscriber(AccountId=ACCOUNT, BudgetName=name,
                            Notification=_notification("ACTUAL", 60), Subscriber=mail)
    assert e.value.response["Error"]["Code"] == "DuplicateRecordException"
    b.delete_subscriber(AccountId=ACCOUNT, BudgetName=name,
                        Notification=_notification("ACTUAL", 60),
                        Subscriber={"SubscriptionType": "SNS", "Address": topic})
    subs = b.describe_subscribers_for_notification(
        AccountId=ACCOUNT, BudgetName=name, Notification=_notification("ACTUAL", 60))["Subscribers"]
    assert subs == [mail]

    with pytest.raises(ClientError) as e:
        b.update_notification(AccountId=ACCOUNT, BudgetName=name,
                              OldNotification=_notification("ACTUAL", 99),
                              NewNotification=_notification("ACTUAL", 70))
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    b.delete_notification(AccountId=ACCOUNT, BudgetName=name, Notification=_notification("ACTUAL", 60))
    ns = b.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=name)["Notifications"]
    assert [n["NotificationType"] for n in ns] == ["FORECASTED"]
    b.delete_budget(AccountId=ACCOUNT, BudgetName=name)
    # A budget that is gone has no notifications to list: NotFound, not a server error.
    with pytest.raises(ClientError) as e:
        b.describe_notifications_for_budget(AccountId=ACCOUNT, BudgetName=name)
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_budget_requests_are_validated_against_the_model(endpoint):
    b = client(endpoint, "budgets", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        b.create_budget(AccountId=ACCOUNT, Budget=dict(_budget(f"t-{uid()}"), TimeUnit="HOURLY"))
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "TimeUnit" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        b.update_notification(AccountId=ACCOUNT, BudgetName="x",
                              OldNotification=_notification("ACTUAL", 50),
                              NewNotification=_notification("SOMETIMES", 60))
    assert e.value.response["Error"]["Code"] == "ValidationException"


def test_anomaly_monitor_and_subscription_lifecycle(endpoint):
    ce = client(endpoint, "ce")
    name = f"t-{uid()}-bedrock-cost-anomalies"
    arn = ce.create_anomaly_monitor(
        AnomalyMonitor={"MonitorName": name, "MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE"},
        ResourceTags=[{"Key": "baseline:stack", "Value": "t"}])["MonitorArn"]
    assert arn.startswith(f"arn:aws:ce::{ACCOUNT}:anomalymonitor/")
    monitors = ce.get_anomaly_monitors()["AnomalyMonitors"]
    assert [m["MonitorDimension"] for m in monitors if m["MonitorName"] == name] == ["SERVICE"]
    assert ce.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [
        {"Key": "baseline:stack", "Value": "t"}]

    threshold = {"Dimensions": {"Key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE", "Values": ["100"],
                                "MatchOptions": ["GREATER_THAN_OR_EQUAL"]}}
    sub = ce.create_anomaly_subscription(AnomalySubscription={
        "SubscriptionName": name, "MonitorArnList": [arn], "Frequency": "DAILY",
        "Subscribers": [{"Type": "EMAIL", "Address": "finops@example.com"}],
        "ThresholdExpression": threshold})["SubscriptionArn"]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:t-cost"
    ce.update_anomaly_subscription(SubscriptionArn=sub, Frequency="IMMEDIATE",
                                   Subscribers=[{"Type": "SNS", "Address": topic}])
    got = [s for s in ce.get_anomaly_subscriptions()["AnomalySubscriptions"] if s["SubscriptionArn"] == sub]
    assert got[0]["Frequency"] == "IMMEDIATE"
    assert got[0]["Subscribers"] == [{"Type": "SNS", "Address": topic}]
    assert got[0]["ThresholdExpression"] == threshold

    ce.delete_anomaly_subscription(SubscriptionArn=sub)
    ce.delete_anomaly_monitor(MonitorArn=arn)
    assert all(m["MonitorArn"] != arn for m in ce.get_anomaly_monitors()["AnomalyMonitors"])
    with pytest.raises(ClientError) as e:
        ce.delete_anomaly_monitor(MonitorArn=arn)
    assert e.value.response["Error"]["Code"] == "UnknownMonitorException"


def test_anomaly_subscription_rules(endpoint):
    ce = client(endpoint, "ce")
    arn = ce.create_anomaly_monitor(AnomalyMonitor={
        "MonitorName": f"t-{uid()}", "MonitorType": "DIMENSIONAL", "MonitorDimension": "SERVICE"})["MonitorArn"]
    base = {"SubscriptionName": f"t-{uid()}", "MonitorArnList": [arn], "Frequency": "IMMEDIATE",
            "Subscribers": [{"Type": "EMAIL", "Address": "finops@example.com"}]}
    # IMMEDIATE goes to SNS only; DAILY/WEEKLY to e-mail only.
    with pytest.raises(ClientError) as e:
        ce.create_anomaly_subscription(AnomalySubscription=base)
    assert "SNS subscribers only" in e.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as e:
        ce.create_anomaly_subscription(AnomalySubscription=dict(
            base, Frequency="WEEKLY", MonitorArnList=[arn + "x"]))
    assert e.value.response["Error"]["Code"] == "UnknownMonitorException"
    with pytest.raises(ClientError) as e:
        ce.create_anomaly_monitor(AnomalyMonitor={"MonitorName": "m", "MonitorType": "DIMENSIONAL"})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    raw = client(endpoint, "ce", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        raw.create_anomaly_subscription(AnomalySubscription=dict(base, Frequency="MONTHLY"))
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "Frequency" in e.value.response["Error"]["Message"]
    ce.delete_anomaly_monitor(MonitorArn=arn)
# --- bedrock-agent: data sources, agent guardrails; bedrock: custom-model keys ---------------------

def _kb(endpoint) -> str:
    ba = client(endpoint, "bedrock-agent")
    return ba.create_knowledge_base(
        name=f"kb-{uid()}", roleArn=f"arn:aws:iam::{ACCOUNT}:role/kb",
        knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
            "embeddingModelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-text-v2:0"}},
        storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
            "collectionArn": f"arn:aws:aoss:us-east-1:{ACCOUNT}:collection/abc", "vectorIndexName": "i",
            "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}},
    )["knowledgeBase"]["knowledgeBaseId"]


def test_data_source_create_get_list_delete(endpoint):
    ba = client(endpoint, "bedrock-agent")
    kb = _kb(endpoint)
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    s3 = {"type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::docs"}}
    with_key = ba.create_data_source(knowledgeBaseId=kb, name="with-key", dataSourceConfiguration=s3,
                                     serverSideEncryptionConfiguration={"kmsKeyArn": key})["dataSource"]
    without = ba.create_data_source(knowledgeBaseId=kb, name="without-key", dataSourceConfiguration=s3)["dataSource"]
    assert with_key["status"] == "AVAILABLE" and len(with_key["dataSourceId"]) == 10
    got = ba.get_data_source(knowledgeBaseId=kb, dataSourceId=with_key["dataSourceId"])["dataSource"]
    assert got["serverSideEncryptionConfiguration"] == {"kmsKeyArn": key}
    got = ba.get_data_source(knowledgeBaseId=kb, dataSourceId=without["dataSourceId"])["dataSource"]
    assert "serverSideEncryptionConfiguration" not in got
    names = {d["name"] for d in ba.list_data_sources(knowledgeBaseId=kb)["dataSourceSummaries"]}
    assert names == {"with-key", "without-key"}
    page = ba.list_data_sources(knowledgeBaseId=kb, maxResults=1)
    assert len(page["dataSourceSummaries"]) == 1 and page["nextToken"]
    with pytest.raises(ClientError) as err:
        ba.create_data_source(knowledgeBaseId=kb, name="with-key", dataSourceConfiguration=s3)
    assert err.value.response["Error"]["Code"] == "ConflictException"
    assert ba.delete_data_source(knowledgeBaseId=kb, dataSourceId=without["dataSourceId"])["status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        ba.get_data_source(knowledgeBaseId=kb, dataSourceId=without["dataSourceId"])
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        ba.list_data_sources(knowledgeBaseId="NOSUCHKB00")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_data_source_request_validated_against_botocore_model(endpoint):
    ba = client(endpoint, "bedrock-agent", config=Config(parameter_validation=False))
    kb = _kb(endpoint)
    with pytest.raises(ClientError) as err:
        ba.create_data_source(knowledgeBaseId=kb, name="bad name!",
                              dataSourceConfiguration={"type": "NOT_A_TYPE"})
    assert err.value.response["Error"]["Code"] == "ValidationException"
    msg = err.value.response["Error"]["Message"]
    assert "name" in msg and "NOT_A_TYPE" in msg


def test_agent_keeps_guardrail_configuration(endpoint):
    ba = client(endpoint, "bedrock-agent")
    role = f"arn:aws:iam::{ACCOUNT}:role/AmazonBedrockExecutionRoleForAgents_x"
    guarded = ba.create_agent(agentName=f"a{uid()}", agentResourceRoleArn=role,
                              guardrailConfiguration={"guardrailIdentifier": "abcdef123456",
                                                      "guardrailVersion": "1"})["agent"]
    plain = ba.create_agent(agentName=f"b{uid()}", agentResourceRoleArn=role)["agent"]
    got = ba.get_agent(agentId=guarded["agentId"])["agent"]
    assert got["guardrailConfiguration"] == {"guardrailIdentifier": "abcdef123456", "guardrailVersion": "1"}
    assert "guardrailConfiguration" not in ba.get_agent(agentId=plain["agentId"])["agent"]
    summaries = {a["agentId"]: a for a in ba.list_agents()["agentSummaries"]}
    assert summaries[guarded["agentId"]]["guardrailConfiguration"]["guardrailVersion"] == "1"


def test_custom_model_kms_key_only_when_given(endpoint):
    br = client(endpoint, "bedrock")
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    common = dict(roleArn=f"arn:aws:iam::{ACCOUNT}:role/custom", baseModelIdentifier="amazon.titan-text-express-v1",
                  trainingDataConfig={"s3Uri": "s3://train/data.jsonl"}, outputDataConfig={"s3Uri": "s3://out/"},
                  hyperParameters={"epochCount": "1"})
    n1, n2 = f"m1-{uid()}", f"m2-{uid()}"
    br.create_model_customization_job(jobName=f"j1-{uid()}", customModelName=n1, customModelKmsKeyId=key, **common)
    br.create_model_customization_job(jobName=f"j2-{uid()}", customModelName=n2, **common)
    arns = {m["modelName"]: m["modelArn"] for m in br.list_custom_models()["modelSummaries"]}
    assert br.get_custom_model(modelIdentifier=arns[n1])["modelKmsKeyArn"] == key
    assert "modelKmsKeyArn" not in br.get_custom_model(modelIdentifier=arns[n2])
    assert "modelKmsKeyArn" not in br.get_custom_model(modelIdentifier=n2)


def test_audit_reads_kms_multi_region_and_bedrock_managed_policies(endpoint):
    kms, iam = client(endpoint, "kms"), client(endpoint, "iam")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["MultiRegion"] is False
    policy = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonBedrockFullAccess")["Policy"]
    doc = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
    assert any("bedrock:*" in json.dumps(s) for s in doc["PolicyVersion"]["Document"]["Statement"])


def test_bedrock_agent_timestamps_are_iso8601_on_the_wire(endpoint):
    # the Rust SDK rejects moto's epoch floats: the model says timestampFormat iso8601
    ba = client(endpoint, "bedrock-agent")
    agent = ba.create_agent(agentName=f"t{uid()}", agentResourceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/r")["agent"]
    captured = {}
    ba.meta.events.register("after-call.bedrock-agent.GetAgent",
                            lambda http_response, **_: captured.update(body=http_response.content))
    ba.get_agent(agentId=agent["agentId"])
    raw = json.loads(captured["body"])["agent"]
    assert isinstance(raw["createdAt"], str) and "T" in raw["createdAt"]
# ------------------------------------------------------------------ inference profiles

def test_inference_profiles_get_and_list(endpoint):
    sys.path.insert(0, HERE)
    from baseline_plugin.validation import operation_model, validate

    br = client(endpoint, "bedrock")
    pid = "us.amazon.nova-lite-v1:0"
    arn = f"arn:aws:bedrock:{REGION}:{ACCOUNT}:inference-profile/{pid}"
    by_id = br.get_inference_profile(inferenceProfileIdentifier=pid)
    by_arn = br.get_inference_profile(inferenceProfileIdentifier=arn)
    for p in (by_id, by_arn):
        assert p["inferenceProfileArn"] == arn and p["type"] == "SYSTEM_DEFINED"
        assert [m["modelArn"] for m in p["models"]] == [
            f"arn:aws:bedrock:{r}::foundation-model/amazon.nova-lite-v1:0"
            for r in ("us-east-1", "us-east-2", "us-west-2")
        ]
    # the response has the shape of botocore's model
    shape = operation_model("bedrock", "GetInferenceProfile").output_shape
    body = {k: v for k, v in by_id.items() if k != "ResponseMetadata"}
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in body.items()}
    assert validate(shape, body) == []
    listed = br.list_inference_profiles()["inferenceProfileSummaries"]
    assert arn in [p["inferenceProfileArn"] for p in listed]
    with pytest.raises(br.exceptions.ResourceNotFoundException):
        br.get_inference_profile(inferenceProfileIdentifier="us.no.such-model-v1:0")


# ------------------------------------------------------------------ CloudWatch Logs saved queries

def test_query_definitions_put_describe_update_delete(endpoint):
    logs = client(endpoint, "logs")
    prefix = f"qd-{uid()}"
    qid = logs.put_query_definition(
        name=f"{prefix}/by-model", queryString="stats count(*) by modelId",
        logGroupNames=["/aws/bedrock/x/invocations"])["queryDefinitionId"]
    logs.put_query_definition(name=f"other-{uid()}/q", queryString="fields @timestamp")
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix)["queryDefinitions"]
    assert [(q["queryDefinitionId"], q["name"], q["logGroupNames"]) for q in found] == [
        (qid, f"{prefix}/by-model", ["/aws/bedrock/x/invocations"])]
    same = logs.put_query_definition(queryDefinitionId=qid, name=f"{prefix}/by-model",
                                      queryString="stats count(*) by identity.arn")
    assert same["queryDefinitionId"] == qid
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=prefix)["queryDefinitions"]
    assert found[0]["queryString"] == "stats count(*) by identity.arn"
    assert found[0].get("logGroupNames", []) == []
    assert logs.delete_query_definition(queryDefinitionId=qid)["success"] is True
    assert logs.describe_query_definitions(queryDefinitionNamePrefix=prefix)["queryDefinitions"] == []
    with pytest.raises(ClientError) as e:
        logs.delete_query_definition(queryDefinitionId=qid)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        logs.put_query_definition(queryDefinitionId=str(uuid.uuid4()), name="x", queryString="y")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_query_definitions_are_validated_against_the_model(endpoint):
    logs = client(endpoint, "logs")
    # botocore validates client-side; send a raw request with a name over the model's max.
    raw = client(endpoint, "logs", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        raw.put_query_definition(name="n" * 300, queryString="fields @timestamp")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "name" in e.value.response["Error"]["Message"]
    assert logs.describe_query_definitions(maxResults=1)["queryDefinitions"] is not None


# ------------------------------------------------------------------ S3 request metrics

def test_bucket_metrics_configuration_put_get_delete(endpoint):
    s3 = client(endpoint, "s3")
    bucket = f"metrics-{uid()}"
    s3.create_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.get_bucket_metrics_configuration(Bucket=bucket, Id="whole")
    assert e.value.response["Error"]["Code"] == "NoSuchConfiguration"
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="whole",
                                        MetricsConfiguration={"Id": "whole"})
    got = s3.get_bucket_metrics_configuration(Bucket=bucket, Id="whole")["MetricsConfiguration"]
    assert got == {"Id": "whole"}
    s3.put_bucket_metrics_configuration(
        Bucket=bucket, Id="logs", MetricsConfiguration={"Id": "logs", "Filter": {"Prefix": "a/"}})
    got = s3.get_bucket_metrics_configuration(Bucket=bucket, Id="logs")["MetricsConfiguration"]
    assert got == {"Id": "logs", "Filter": {"Prefix": "a/"}}
    s3.delete_bucket_metrics_configuration(Bucket=bucket, Id="whole")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket_metrics_configuration(Bucket=bucket, Id="whole")
    assert e.value.response["Error"]["Code"] == "NoSuchConfiguration"
    # the other S3 bucket calls still reach moto
    assert s3.get_bucket_location(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_bucket_metrics_configuration_is_validated(endpoint):
    s3 = client(endpoint, "s3")
    bucket = f"metrics-{uid()}"
    s3.create_bucket(Bucket=bucket)
    for bad in ["has space", "x" * 65]:
        with pytest.raises(ClientError) as e:
            s3.put_bucket_metrics_configuration(Bucket=bucket, Id=bad,
                                                MetricsConfiguration={"Id": bad})
        assert e.value.response["Error"]["Code"] == "InvalidArgument", bad
    with pytest.raises(ClientError) as e:
        s3.put_bucket_metrics_configuration(Bucket=bucket, Id="a", MetricsConfiguration={"Id": "b"})
    assert e.value.response["Error"]["Code"] == "InvalidArgument"
    with pytest.raises(ClientError) as e:
        s3.get_bucket_metrics_configuration(Bucket=f"missing-{uid()}", Id="a")
    assert e.value.response["Error"]["Code"] == "NoSuchBucket"


def test_audit_reads_prompts_flows_ingestion_and_lists(endpoint):
    ba, br, iam = client(endpoint, "bedrock-agent"), client(endpoint, "bedrock"), client(endpoint, "iam")
    key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    prompt = ba.create_prompt(name="p1", customerEncryptionKeyArn=key, tags={"OwnerTeam": "x"})
    assert ba.get_prompt(promptIdentifier=prompt["id"])["customerEncryptionKeyArn"] == key
    assert prompt["id"] in {p["id"] for p in ba.list_prompts()["promptSummaries"]}
    assert ba.list_tags_for_resource(resourceArn=prompt["arn"])["tags"] == {"OwnerTeam": "x"}
    flow = ba.create_flow(name="f1", executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/flow", description="d")
    assert ba.get_flow(flowIdentifier=flow["id"])["description"] == "d"
    assert flow["id"] in {f["id"] for f in ba.list_flows()["flowSummaries"]}
    with pytest.raises(ClientError) as err:
        ba.get_flow(flowIdentifier="ABCDEFGHIJ")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # botocore-model validation: a name over the pattern is rejected
    with pytest.raises(ClientError) as err:
        ba.create_prompt(name="bad name!")
    assert err.value.response["Error"]["Code"] == "ValidationException"

    kb = _kb(endpoint)
    ds = ba.create_data_source(knowledgeBaseId=kb, name="docs", dataSourceConfiguration={
        "type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::docs"}})["dataSource"]["dataSourceId"]
    assert ba.list_ingestion_jobs(knowledgeBaseId=kb, dataSourceId=ds)["ingestionJobSummaries"] == []
    ba.start_ingestion_job(knowledgeBaseId=kb, dataSourceId=ds)
    jobs = ba.list_ingestion_jobs(knowledgeBaseId=kb, dataSourceId=ds)["ingestionJobSummaries"]
    assert [j["status"] for j in jobs] == ["COMPLETE"]

    assert br.list_imported_models()["modelSummaries"] == []
    assert br.list_model_invocation_jobs()["invocationJobSummaries"] == []
    assert br.list_evaluation_jobs()["jobSummaries"] == []
    br.put_enforced_guardrail_configuration(
        guardrailInferenceConfig={"guardrailIdentifier": "abcdefghijkl", "guardrailVersion": "1"})
    assert len(br.list_enforced_guardrails_configuration()["guardrailsConfig"]) == 1

    iam.create_user(UserName="keyless")
    assert iam.list_service_specific_credentials(
        UserName="keyless", ServiceName="bedrock.amazonaws.com")["ServiceSpecificCredentials"] == []
