"""Seeds the emulator with the non-compliant account of issue #12's acceptance list.

Usage: seed_audit.py ENDPOINT_URL  -> prints one JSON object naming every seeded resource.

Non-compliant on purpose: an agent without a guardrail, an agent without a CMK, a knowledge-base
data source without a CMK, a custom model without a CMK, a role with AmazonBedrockFullAccess,
invocation logging off, an unencrypted topic, a Bedrock endpoint whose policy allows
`Principal: *`, an IAM user with `bedrock:*`. Everything else is compliant (a CMK with rotation,
a fully configured, CMK-encrypted, published guardrail), so those nine are the only FAILs.
"""
from __future__ import annotations

import json
import sys

import boto3

REGION = "us-east-1"
ACCOUNT = "123456789012"


def main(endpoint: str) -> None:
    s = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    c = lambda name: s.client(name, endpoint_url=endpoint)  # noqa: E731
    kms, br, ba, iam, sns, ec2 = c("kms"), c("bedrock"), c("bedrock-agent"), c("iam"), c("sns"), c("ec2")

    key = kms.create_key(Description="audit seed CMK")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)

    strong = {"inputStrength": "HIGH", "outputStrength": "HIGH"}
    guardrail = br.create_guardrail(
        name="seed-guardrail", blockedInputMessaging="no", blockedOutputsMessaging="no", kmsKeyId=key,
        contentPolicyConfig={"filtersConfig": [
            {"type": t, **strong} for t in ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT")
        ] + [{"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}]},
        sensitiveInformationPolicyConfig={"piiEntitiesConfig": [{"type": "EMAIL", "action": "ANONYMIZE"}]},
        contextualGroundingPolicyConfig={"filtersConfig": [
            {"type": "GROUNDING", "threshold": 0.7}, {"type": "RELEVANCE", "threshold": 0.7}]},
    )
    gid = guardrail["guardrailId"]
    version = br.create_guardrail_version(guardrailIdentifier=gid)["version"]

    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})
    roles = {n: iam.create_role(RoleName=n, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
             for n in ("seed-agent-a", "seed-agent-b", "seed-full-access")}
    iam.attach_role_policy(RoleName="seed-full-access", PolicyArn="arn:aws:iam::aws:policy/AmazonBedrockFullAccess")

    no_guardrail = ba.create_agent(agentName="seed-no-guardrail", agentResourceRoleArn=roles["seed-agent-a"],
                                   customerEncryptionKeyArn=key, idleSessionTTLInSeconds=600)["agent"]
    no_cmk = ba.create_agent(agentName="seed-no-cmk", agentResourceRoleArn=roles["seed-agent-b"],
                             idleSessionTTLInSeconds=600,
                             guardrailConfiguration={"guardrailIdentifier": gid, "guardrailVersion": version})["agent"]

    kb = ba.create_knowledge_base(
        name="seed-kb", roleArn=roles["seed-agent-a"],
        knowledgeBaseConfiguration={"type": "VECTOR", "vectorKnowledgeBaseConfiguration": {
            "embeddingModelArn": f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"}},
        storageConfiguration={"type": "OPENSEARCH_SERVERLESS", "opensearchServerlessConfiguration": {
            "collectionArn": f"arn:aws:aoss:{REGION}:{ACCOUNT}:collection/seed", "vectorIndexName": "i",
            "fieldMapping": {"vectorField": "v", "textField": "t", "metadataField": "m"}}},
    )["knowledgeBase"]["knowledgeBaseId"]
    ds = ba.create_data_source(knowledgeBaseId=kb, name="seed-docs", dataSourceConfiguration={
        "type": "S3", "s3Configuration": {"bucketArn": "arn:aws:s3:::seed-docs"}})["dataSource"]["dataSourceId"]

    br.create_model_customization_job(
        jobName="seed-job", customModelName="seed-model", roleArn=roles["seed-agent-a"],
        baseModelIdentifier="amazon.titan-text-express-v1", trainingDataConfig={"s3Uri": "s3://seed/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://seed/out/"}, hyperParameters={"epochCount": "1"})
    model = next(m["modelArn"] for m in br.list_custom_models()["modelSummaries"] if m["modelName"] == "seed-model")

    topic = sns.create_topic(Name="seed-alarms")["TopicArn"]

    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.bedrock-runtime", VpcEndpointType="Interface",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "bedrock:InvokeModel", "Resource": "*"}]}),
    )["VpcEndpoint"]["VpcEndpointId"]

    user = iam.create_user(UserName="seed-dev")["User"]["Arn"]
    iam.put_user_policy(UserName="seed-dev", PolicyName="bedrock-all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}]}))

    print(json.dumps({
        "key": key, "guardrail_id": gid, "guardrail_arn": guardrail["guardrailArn"], "guardrail_version": version,
        "agent_no_guardrail": no_guardrail["agentArn"], "agent_no_cmk": no_cmk["agentArn"],
        "knowledge_base": kb, "data_source": ds, "custom_model": model, "role_full_access": roles["seed-full-access"],
        "topic": topic, "endpoint": endpoint_id, "user": user,
    }))


if __name__ == "__main__":
    main(sys.argv[1])
