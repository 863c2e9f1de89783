"""Seeds the emulator with a large Bedrock workload for `cargo xtask bench` (issue #12 item 6).

Usage: seed_bench.py ENDPOINT_URL [N]  -> N agents and N knowledge bases (one S3 data source
each; default 200), then prints {"agents": N, "knowledge_bases": N, "data_sources": N}.
"""
from __future__ import annotations

import json
import sys

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"


def main(endpoint: str, n: int) -> None:
    s = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    iam, ba = s.client("iam", endpoint_url=endpoint), s.client("bedrock-agent", endpoint_url=endpoint)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})
    role = iam.create_role(RoleName="bench-agent", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    for i in range(n):
        ba.create_agent(agentName=f"bench-agent-{i:03}", agentResourceRoleArn=role, idleSessionTTLInSeconds=600)
        kb = ba.create_knowledge_base(
            name=f"bench-kb-{i:03}", roleArn=role,
            knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
                "embeddingModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"}},
            storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
                "collectionArn": f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/bench", "vectorIndexName": "i",
                "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}},
        )["knowledgeBase"]["knowledgeBaseId"]
        ba.create_data_source(knowledgeBaseId=kb, name=f"bench-docs-{i:03}", dataSourceConfiguration={
            "type": "S3", "s3Configuration": {"bucketArn": f"arn:aws:s3:::bench-docs-{i:03}"}})
    print(json.dumps({"agents": n, "knowledge_bases": n, "data_sources": n}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200)
