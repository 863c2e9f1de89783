#!/usr/bin/env python3
"""Create (or reuse) the stand-in VPC the bedrock-baseline network module deploys into,
the permissions boundary policy the examples name, and the application roles they name.

    python make_stand_in_vpc.py --endpoint-url http://127.0.0.1:PORT --region us-east-1

VPC 10.0.0.0/16 with DNS support and DNS hostnames enabled, subnets 10.0.1.0/24
and 10.0.2.0/24 in two different availability zones, everything tagged
Name=bedrock-baseline-stand-in.  Idempotent: a VPC carrying that tag is reused
(and its missing pieces added).  Also a replica bucket and key in another region
(us-west-2: versioned, Object Lock) that ``cargo xtask deploy --local`` replicates the audit
buckets to (``s3_replication``), as a user would have made them.  Prints one JSON object:
{"vpc_id", "vpc_cidr", "subnet_ids", "route_table_ids", "replica_bucket_arn",
"replica_kms_key_arn"}.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import boto3

NAME = "bedrock-baseline-stand-in"
VPC_CIDR = "10.0.0.0/16"
SUBNET_CIDRS = ["10.0.1.0/24", "10.0.2.0/24"]
TAGS = [{"Key": "Name", "Value": NAME}]
# (name, path) of the application roles: basic.toml's, advanced.toml's, and one with a path.
APP_ROLES = [("JQ-12345678-Bedrock", "/"), ("BedrockApplication", "/"),
             ("BedrockPathApplication", "/service-role/")]


REPLICA_REGION = "us-west-2"
REPLICA_ALIAS = "alias/bedrock-baseline-stand-in-replica"


def replica_destination(endpoint_url: str, account: str) -> tuple[str, str]:
    """The cross-region replication destination: bucket name and key ARN (idempotent)."""
    s3 = boto3.client("s3", endpoint_url=endpoint_url, region_name=REPLICA_REGION)
    name = f"{NAME}-replica-{account}-{REPLICA_REGION}"
    try:
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True,
                         CreateBucketConfiguration={"LocationConstraint": REPLICA_REGION})
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    kms = boto3.client("kms", endpoint_url=endpoint_url, region_name=REPLICA_REGION)
    aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == REPLICA_ALIAS]
    if aliases:
        key_id = aliases[0]["TargetKeyId"]
    else:
        key_id = kms.create_key(Description="bedrock-baseline stand-in replica key")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=REPLICA_ALIAS, TargetKeyId=key_id)
    return name, kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--endpoint-url", required=True)
    ap.add_argument("--region", default="us-east-1")
    args = ap.parse_args(argv)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    ec2 = boto3.client("ec2", endpoint_url=args.endpoint_url, region_name=args.region)

    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [NAME]}])["Vpcs"]
    if vpcs:
        vpc = sorted(vpcs, key=lambda v: v["VpcId"])[0]
    else:
        vpc = ec2.create_vpc(
            CidrBlock=VPC_CIDR, TagSpecifications=[{"ResourceType": "vpc", "Tags": TAGS}]
        )["Vpc"]
    vpc_id = vpc["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})

    existing = {
        s["CidrBlock"]: s
        for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    }
    zones = [
        z["ZoneName"]
        for z in ec2.describe_availability_zones(
            Filters=[{"Name": "state", "Values": ["available"]}]
        )["AvailabilityZones"]
        if z.get("ZoneType", "availability-zone") == "availability-zone"
    ]
    if len(zones) < 2:
        print(f"region {args.region} has fewer than two availability zones", file=sys.stderr)
        return 1
    used_zones = {s["AvailabilityZone"] for c, s in existing.items() if c in SUBNET_CIDRS}
    free_zones = [z for z in zones if z not in used_zones]
    subnet_ids = []
    for cidr in SUBNET_CIDRS:
        subnet = existing.get(cidr)
        if subnet is None:
            zone = free_zones.pop(0)
            subnet = ec2.create_subnet(
                VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone,
                TagSpecifications=[{"ResourceType": "subnet", "Tags": TAGS}],
            )["Subnet"]
        subnet_ids.append(subnet["SubnetId"])

    route_tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    route_table_ids = sorted(rt["RouteTableId"] for rt in route_tables)

    # The examples name a permissions boundary; the stand-in account has it, as a real one would.
    iam = boto3.client("iam", endpoint_url=args.endpoint_url, region_name=args.region)
    try:
        iam.create_policy(
            PolicyName="DeveloperBoundary",
            PolicyDocument=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Sid": "BedrockAndLogs", "Effect": "Allow",
                               "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream",
                                          "bedrock:ApplyGuardrail", "logs:CreateLogStream",
                                          "logs:PutLogEvents", "s3:PutObject", "kms:Decrypt",
                                          "kms:GenerateDataKey"],
                               "Resource": "*"},
                              # What the stack's S3 replication role does (s3_replication): a
                              # boundary without it lets the role exist but not replicate, which
                              # check-access reports.
                              {"Sid": "S3Replication", "Effect": "Allow",
                               "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket",
                                          "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                          "s3:GetObjectVersionTagging", "s3:GetObjectRetention",
                                          "s3:GetObjectLegalHold", "s3:ReplicateObject",
                                          "s3:ReplicateDelete", "s3:ReplicateTags", "kms:Encrypt"],
                               "Resource": "*"}],
            }),
        )
    except iam.exceptions.EntityAlreadyExistsException:
        pass

    # The application roles the examples and tests name in bedrock_role_name (one with a
    # path): the network module reads their ARN with GetRole and refuses to deploy without it.
    trust = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                       "Action": "sts:AssumeRole"}],
    })
    boundary_arn = f"arn:aws:iam::{boto3.client('sts', endpoint_url=args.endpoint_url, region_name=args.region).get_caller_identity()['Account']}:policy/DeveloperBoundary"
    for name, path in APP_ROLES:
        try:
            iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=trust,
                            PermissionsBoundary=boundary_arn)
        except iam.exceptions.EntityAlreadyExistsException:
            pass

    replica_bucket, replica_key = replica_destination(args.endpoint_url, boundary_arn.split(":")[4])

    print(json.dumps({
        "vpc_id": vpc_id,
        "vpc_cidr": vpc["CidrBlock"],
        "subnet_ids": subnet_ids,
        "route_table_ids": route_table_ids,
        "replica_bucket_arn": f"arn:aws:s3:::{replica_bucket}",
        "replica_kms_key_arn": replica_key,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
