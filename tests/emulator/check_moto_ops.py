#!/usr/bin/env python3
"""Smoke-check the AWS operations the bedrock-baseline Rust modules use.

    python check_moto_ops.py --endpoint-url http://127.0.0.1:PORT

Runs each operation once with boto3 against a running emulator and prints one
line per check: ``OK``/``FAIL`` plus the error.  Exit status 1 if any failed.
(CloudWatch calls are made with each wire protocol: query, json and the
smithy-rpc-v2-cbor one the Rust SDK uses.)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
import uuid

import boto3
import botocore.model
from botocore.exceptions import ClientError

RESULTS: list[tuple[str, bool, str]] = []


def check(name):
    def deco(fn):
        try:
            fn()
            RESULTS.append((name, True, ""))
        except Exception as exc:  # noqa: BLE001
            msg = str(exc).splitlines()[0] if str(exc) else repr(exc)
            if os.environ.get("CHECK_DEBUG"):
                traceback.print_exc()
            RESULTS.append((name, False, f"{type(exc).__name__}: {msg}"))
        return fn
    return deco


def expect_error(fn, code):
    try:
        fn()
    except ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}"
        return
    raise AssertionError(f"expected {code}, call succeeded")


def client_with_protocol(service, protocol, url, region):
    orig = botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
    botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = (protocol,)
    try:
        return boto3.session.Session().client(service, endpoint_url=url, region_name=region)
    finally:
        botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = orig


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint-url", required=True)
    ap.add_argument("--region", default="us-east-1")
    a = ap.parse_args()
    for k, v in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                 ("AWS_SESSION_TOKEN", "testing")):
        os.environ.setdefault(k, v)
    url, region = a.endpoint_url, a.region
    c = lambda s: boto3.client(s, endpoint_url=url, region_name=region)  # noqa: E731
    sfx = uuid.uuid4().hex[:8]
    st: dict = {}

    # ---------------------------------------------------------------- STS
    sts = c("sts")
    check("sts GetCallerIdentity")(lambda: sts.get_caller_identity()["Account"])

    # ---------------------------------------------------------------- KMS
    kms = c("kms")

    @check("kms CreateKey")
    def _():
        st["key"] = kms.create_key(Description="bb", Tags=[{"TagKey": "p", "TagValue": "bb"}])["KeyMetadata"]

    kid = lambda: st["key"]["KeyId"]  # noqa: E731
    check("kms TagResource")(lambda: kms.tag_resource(KeyId=kid(), Tags=[{"TagKey": "a", "TagValue": "b"}]))
    check("kms ListResourceTags")(lambda: [t["TagKey"] for t in kms.list_resource_tags(KeyId=kid())["Tags"]].index("a"))
    check("kms EnableKeyRotation")(lambda: kms.enable_key_rotation(KeyId=kid()))

    @check("kms GetKeyRotationStatus")
    def _():
        assert kms.get_key_rotation_status(KeyId=kid())["KeyRotationEnabled"] is True

    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "root", "Effect": "Allow",
                         "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*", "Resource": "*"}]})
    check("kms PutKeyPolicy")(lambda: kms.put_key_policy(KeyId=kid(), PolicyName="default", Policy=policy))

    @check("kms GetKeyPolicy")
    def _():
        assert json.loads(kms.get_key_policy(KeyId=kid(), PolicyName="default")["Policy"]) == json.loads(policy)

    check("kms CreateAlias")(lambda: kms.create_alias(AliasName=f"alias/bb-{sfx}", TargetKeyId=kid()))

    @check("kms ListAliases")
    def _():
        assert any(x["AliasName"] == f"alias/bb-{sfx}" for x in kms.list_aliases(KeyId=kid())["Aliases"])

    check("kms DescribeKey")(lambda: kms.describe_key(KeyId=f"alias/bb-{sfx}"))

    @check("kms ScheduleKeyDeletion")
    def _():
        k2 = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.schedule_key_deletion(KeyId=k2, PendingWindowInDays=7)
        assert kms.describe_key(KeyId=k2)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    # ---------------------------------------------------------------- S3
    s3 = c("s3")
    bucket = f"bb-logs-{sfx}"
    check("s3 CreateBucket")(lambda: s3.create_bucket(Bucket=bucket))
    enc = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
           "KMSMasterKeyID": "arn:aws:kms:us-east-1:123456789012:key/x"}, "BucketKeyEnabled": True}]}
    check("s3 PutBucketEncryption")(lambda: s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=enc))
    check("s3 GetBucketEncryption")(lambda: s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"])
    check("s3 PutBucketVersioning")(lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}))

    @check("s3 GetBucketVersioning")
    def _():
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    pab = {k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}
    check("s3 PutPublicAccessBlock")(lambda: s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab))

    @check("s3 GetPublicAccessBlock")
    def _():
        assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == pab

    @check("s3 DeletePublicAccessBlock")
    def _():
        s3.delete_public_access_block(Bucket=bucket)
        expect_error(lambda: s3.get_public_access_block(Bucket=bucket), "NoSuchPublicAccessBlockConfiguration")
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=pab)

    check("s3 PutBucketOwnershipControls")(lambda: s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}))

    @check("s3 GetBucketOwnershipControls")
    def _():
        assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerEnforced"

    lc = {"Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365},
                     "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                     "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]}
    check("s3 PutBucketLifecycleConfiguration")(lambda: s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration=lc))
    check("s3 GetBucketLifecycleConfiguration")(lambda: s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["Expiration"]["Days"])
    bp = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*",
                     "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
    check("s3 PutBucketPolicy")(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=bp))

    @check("s3 GetBucketPolicy")
    def _():
        assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == json.loads(bp)

    check("s3 PutBucketTagging")(lambda: s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "p", "Value": "bb"}]}))
    check("s3 GetBucketTagging")(lambda: s3.get_bucket_tagging(Bucket=bucket)["TagSet"][0]["Key"])

    @check("s3 PutObject If-None-Match: * (create only)")
    def _():
        st["etag"] = s3.put_object(Bucket=bucket, Key="state.json", Body=b"{}", IfNoneMatch="*")["ETag"]
        expect_error(lambda: s3.put_object(Bucket=bucket, Key="state.json", Body=b"{}", IfNoneMatch="*"), "PreconditionFailed")

    @check("s3 PutObject If-Match (compare and swap)")
    def _():
        s3.put_object(Bucket=bucket, Key="state.json", Body=b'{"a":1}', IfMatch=st["etag"])
        expect_error(lambda: s3.put_object(Bucket=bucket, Key="state.json", Body=b"{}", IfMatch=st["etag"]), "PreconditionFailed")

    # ---------------------------------------------------------------- Logs
    logs = c("logs")
    lg = f"/aws/bedrock/bb-{sfx}"
    check("logs CreateLogGroup kmsKeyId")(lambda: logs.create_log_group(logGroupName=lg, kmsKeyId=st["key"]["Arn"], tags={"p": "bb"}))
    check("logs PutRetentionPolicy")(lambda: logs.put_retention_policy(logGroupName=lg, retentionInDays=365))

    @check("logs DescribeLogGroups")
    def _():
        g = logs.describe_log_groups(logGroupNamePrefix=lg)["logGroups"][0]
        assert g["retentionInDays"] == 365 and g.get("kmsKeyId") == st["key"]["Arn"], g

    lg_arn = lambda: f"arn:aws:logs:{region}:123456789012:log-group:{lg}"  # noqa: E731
    check("logs TagResource")(lambda: logs.tag_resource(resourceArn=lg_arn(), tags={"a": "b"}))

    @check("logs ListTagsForResource")
    def _():
        assert logs.list_tags_for_resource(resourceArn=lg_arn())["tags"].get("a") == "b"

    # ---------------------------------------------------------------- IAM
    iam = c("iam")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    pol = lambda a: json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": a, "Resource": "*"}]})  # noqa: E731

    @check("iam CreatePolicy")
    def _():
        st["pol"] = iam.create_policy(PolicyName=f"bb-boundary-{sfx}", PolicyDocument=pol("logs:*"))["Policy"]["Arn"]

    check("iam CreateRole PermissionsBoundary")(lambda: iam.create_role(RoleName=f"bb-role-{sfx}", AssumeRolePolicyDocument=trust,
                                                                      PermissionsBoundary=st["pol"], Tags=[{"Key": "p", "Value": "bb"}]))

    @check("iam GetRole (boundary)")
    def _():
        r = iam.get_role(RoleName=f"bb-role-{sfx}")["Role"]
        assert r["PermissionsBoundary"]["PermissionsBoundaryArn"] == st["pol"], r

    check("iam PutRolePolicy")(lambda: iam.put_role_policy(RoleName=f"bb-role-{sfx}", PolicyName="inline", PolicyDocument=pol("s3:PutObject")))
    check("iam GetRolePolicy")(lambda: iam.get_role_policy(RoleName=f"bb-role-{sfx}", PolicyName="inline")["PolicyDocument"])
    check("iam CreatePolicyVersion")(lambda: iam.create_policy_version(PolicyArn=st["pol"], PolicyDocument=pol("logs:PutLogEvents"), SetAsDefault=True))

    @check("iam ListPolicyVersions")
    def _():
        assert len(iam.list_policy_versions(PolicyArn=st["pol"])["Versions"]) == 2

    check("iam DeletePolicyVersion")(lambda: iam.delete_policy_version(PolicyArn=st["pol"], VersionId="v1"))

    # ---------------------------------------------------------------- Bedrock logging
    br = c("bedrock")
    lcfg = {"cloudWatchConfig": {"logGroupName": lg, "roleArn": f"arn:aws:iam::123456789012:role/bb-role-{sfx}"},
            "s3Config": {"bucketName": bucket, "keyPrefix": "invocations"},
            "textDataDeliveryEnabled": True, "imageDataDeliveryEnabled": False, "embeddingDataDeliveryEnabled": False}
    check("bedrock PutModelInvocationLoggingConfiguration")(lambda: br.put_model_invocation_logging_configuration(loggingConfig=lcfg))

    @check("bedrock GetModelInvocationLoggingConfiguration")
    def _():
        assert br.get_model_invocation_logging_configuration()["loggingConfig"]["s3Config"]["bucketName"] == bucket

    @check("bedrock DeleteModelInvocationLoggingConfiguration")
    def _():
        br.delete_model_invocation_logging_configuration()
        assert not br.get_model_invocation_logging_configuration().get("loggingConfig")

    # ---------------------------------------------------------------- EC2
    ec2 = c("ec2")

    @check("ec2 CreateVpc")
    def _():
        st["vpc"] = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]

    check("ec2 ModifyVpcAttribute")(lambda: ec2.modify_vpc_attribute(VpcId=st["vpc"], EnableDnsHostnames={"Value": True}))

    @check("ec2 DescribeVpcAttribute")
    def _():
        assert ec2.describe_vpc_attribute(VpcId=st["vpc"], Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True

    @check("ec2 CreateSubnet in two AZs")
    def _():
        azs = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
        st["subnets"] = [ec2.create_subnet(VpcId=st["vpc"], CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]
                         for i, az in enumerate(azs, start=1)]

    @check("ec2 CreateSecurityGroup")
    def _():
        st["sg"] = ec2.create_security_group(GroupName=f"bb-{sfx}", Description="bb endpoints", VpcId=st["vpc"])["GroupId"]

    @check("ec2 AuthorizeSecurityGroupIngress (description)")
    def _():
        r = ec2.authorize_security_group_ingress(GroupId=st["sg"], IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                                 "IpRanges": [{"CidrIp": "10.42.0.0/16", "Description": "https from vpc"}]}])
        st["rule"] = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]

    check("ec2 AuthorizeSecurityGroupEgress (description)")(lambda: ec2.authorize_security_group_egress(
        GroupId=st["sg"], IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                                          "IpRanges": [{"CidrIp": "10.42.0.0/16", "Description": "https to vpc"}]}]))

    @check("ec2 DescribeSecurityGroupRules")
    def _():
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [st["sg"]]}])["SecurityGroupRules"]
        assert any(r.get("Description") == "https from vpc" for r in rules), rules

    @check("ec2 RevokeSecurityGroupIngress by rule id")
    def _():
        ec2.revoke_security_group_ingress(GroupId=st["sg"], SecurityGroupRuleIds=[st["rule"]])
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [st["sg"]]}])["SecurityGroupRules"]
        assert not any(r["SecurityGroupRuleId"] == st["rule"] for r in rules)

    @check("ec2 CreateVpcEndpoint Interface")
    def _():
        r = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=st["vpc"], ServiceName=f"com.amazonaws.{region}.bedrock-runtime",
                                    SubnetIds=st["subnets"], SecurityGroupIds=[st["sg"]], PrivateDnsEnabled=True,
                                    ClientToken=f"tok-{sfx}", PolicyDocument=pol("bedrock:InvokeModel"),
                                    TagSpecifications=[{"ResourceType": "vpc-endpoint", "Tags": [{"Key": "bedrock-baseline", "Value": "true"}]}])
        st["vpce"] = r["VpcEndpoint"]["VpcEndpointId"]
        assert r["VpcEndpoint"]["PrivateDnsEnabled"] is True

    @check("ec2 CreateVpcEndpoint ClientToken idempotent")
    def _():
        r = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=st["vpc"], ServiceName=f"com.amazonaws.{region}.bedrock-runtime",
                                    SubnetIds=st["subnets"], SecurityGroupIds=[st["sg"]], PrivateDnsEnabled=True,
                                    ClientToken=f"tok-{sfx}", PolicyDocument=pol("bedrock:InvokeModel"))
        assert r["VpcEndpoint"]["VpcEndpointId"] == st["vpce"], (r["VpcEndpoint"]["VpcEndpointId"], st["vpce"])

    @check("ec2 DescribeVpcEndpoints tag filter")
    def _():
        eps = ec2.describe_vpc_endpoints(Filters=[{"Name": "tag:bedrock-baseline", "Values": ["true"]}, {"Name": "vpc-id", "Values": [st["vpc"]]}])["VpcEndpoints"]
        assert [e["VpcEndpointId"] for e in eps] == [st["vpce"]], eps

    @check("ec2 ModifyVpcEndpoint")
    def _():
        ec2.modify_vpc_endpoint(VpcEndpointId=st["vpce"], PolicyDocument=pol("bedrock:*"), RemoveSubnetIds=[st["subnets"][1]])
        e = ec2.describe_vpc_endpoints(VpcEndpointIds=[st["vpce"]])["VpcEndpoints"][0]
        assert json.loads(e["PolicyDocument"])["Statement"][0]["Action"] == "bedrock:*", e["PolicyDocument"]
        assert e["SubnetIds"] == [st["subnets"][0]], e["SubnetIds"]

    @check("ec2 DeleteVpcEndpoints")
    def _():
        r = ec2.delete_vpc_endpoints(VpcEndpointIds=[st["vpce"]])
        assert not r.get("Unsuccessful"), r
        left = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [st["vpc"]]}])["VpcEndpoints"]
        assert all(e["State"].lower() == "deleted" for e in left), left

    # ---------------------------------------------------------------- SNS
    sns = c("sns")

    @check("sns CreateTopic KmsMasterKeyId + tags")
    def _():
        st["topic"] = sns.create_topic(Name=f"bb-alarms-{sfx}", Attributes={"KmsMasterKeyId": "alias/aws/sns"},
                                       Tags=[{"Key": "p", "Value": "bb"}])["TopicArn"]
        assert sns.get_topic_attributes(TopicArn=st["topic"])["Attributes"]["KmsMasterKeyId"] == "alias/aws/sns"
        assert sns.list_tags_for_resource(ResourceArn=st["topic"])["Tags"] == [{"Key": "p", "Value": "bb"}]

    @check("sns SetTopicAttributes Policy")
    def _():
        p = json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "cw", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish", "Resource": st["topic"]}]})
        sns.set_topic_attributes(TopicArn=st["topic"], AttributeName="Policy", AttributeValue=p)
        assert json.loads(sns.get_topic_attributes(TopicArn=st["topic"])["Attributes"]["Policy"]) == json.loads(p)

    @check("sns Subscribe")
    def _():
        st["sub"] = sns.subscribe(TopicArn=st["topic"], Protocol="email", Endpoint="ops@example.com", ReturnSubscriptionArn=True)["SubscriptionArn"]

    check("sns ListSubscriptionsByTopic")(lambda: sns.list_subscriptions_by_topic(TopicArn=st["topic"])["Subscriptions"][0]["Endpoint"])
    check("sns Unsubscribe")(lambda: sns.unsubscribe(SubscriptionArn=st["sub"]))

    # ---------------------------------------------------------------- CloudWatch (each protocol)
    for proto in ("query", "json", "smithy-rpc-v2-cbor"):
        cw = client_with_protocol("cloudwatch", proto, url, region)
        n = f"bb-{proto}-{sfx}"

        @check(f"cloudwatch[{proto}] PutMetricAlarm ExtendedStatistic")
        def _():
            cw.put_metric_alarm(AlarmName=f"{n}-p99", Namespace="AWS/Bedrock", MetricName="InvocationLatency",
                                Dimensions=[{"Name": "ModelId", "Value": "m"}], ExtendedStatistic="p99", Period=300,
                                EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=5000.0, ComparisonOperator="GreaterThanThreshold",
                                TreatMissingData="notBreaching", AlarmActions=["arn:aws:sns:us-east-1:123456789012:t"])
            a = cw.describe_alarms(AlarmNames=[f"{n}-p99"])["MetricAlarms"][0]
            assert a["ExtendedStatistic"] == "p99" and a["Threshold"] == 5000.0, a

        @check(f"cloudwatch[{proto}] PutMetricAlarm Metrics anomaly band + ThresholdMetricId")
        def _():
            cw.put_metric_alarm(AlarmName=f"{n}-band", EvaluationPeriods=2, ComparisonOperator="GreaterThanUpperThreshold",
                                ThresholdMetricId="ad1", Metrics=[
                                    {"Id": "m1", "ReturnData": True, "MetricStat": {"Metric": {"Namespace": "AWS/Bedrock", "MetricName": "Invocations"},
                                                                                     "Period": 300, "Stat": "Sum"}},
                                    {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)", "Label": "band", "ReturnData": True}])
            a = cw.describe_alarms(AlarmNames=[f"{n}-band"])["MetricAlarms"][0]
            assert a["ThresholdMetricId"] == "ad1" and len(a["Metrics"]) == 2, a

        check(f"cloudwatch[{proto}] DescribeAlarms")(lambda: cw.describe_alarms(AlarmNamePrefix=n)["MetricAlarms"][1])

        @check(f"cloudwatch[{proto}] DeleteAlarms")
        def _():
            cw.delete_alarms(AlarmNames=[f"{n}-p99", f"{n}-band"])
            assert cw.describe_alarms(AlarmNamePrefix=n)["MetricAlarms"] == []

        @check(f"cloudwatch[{proto}] PutDashboard/GetDashboard")
        def _():
            body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "hi"}}]})
            cw.put_dashboard(DashboardName=n, DashboardBody=body)
            assert json.loads(cw.get_dashboard(DashboardName=n)["DashboardBody"]) == json.loads(body)

    # ---------------------------------------------------------------- EventBridge
    ev = c("events")
    rule = f"bb-guardrail-changes-{sfx}"
    check("events PutRule")(lambda: ev.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.bedrock"]}), State="ENABLED"))
    check("events PutTargets")(lambda: ev.put_targets(Rule=rule, Targets=[{"Id": "sns", "Arn": "arn:aws:sns:us-east-1:123456789012:t"}]))
    check("events ListTargetsByRule")(lambda: ev.list_targets_by_rule(Rule=rule)["Targets"][0]["Arn"])

    @check("events DeleteRule")
    def _():
        ev.remove_targets(Rule=rule, Ids=["sns"])
        ev.delete_rule(Name=rule)

    width = max(len(n) for n, _, _ in RESULTS)
    for name, ok, err in RESULTS:
        print(f"{'OK  ' if ok else 'FAIL'} {name.ljust(width)} {err}")
    failed = sum(1 for _, ok, _ in RESULTS if not ok)
    print(f"{len(RESULTS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
