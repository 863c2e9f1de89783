"""Seeds the emulator with the non-compliant account of issue #12's acceptance list.

Usage: seed_audit.py ENDPOINT_URL  -> prints one JSON object naming every seeded resource.

Non-compliant on purpose: an agent without a guardrail, an agent without a CMK, a knowledge-base
data source without a CMK, a custom model without a CMK, a role with AmazonBedrockFullAccess,
invocation logging off, an unencrypted topic, a Bedrock endpoint whose policy allows
`Principal: *`, an IAM user with `bedrock:*`. Everything else the audit reads is made compliant
(a CMK with rotation; a fully configured, tagged, CMK-encrypted, published and account-enforced
guardrail; bounded agent roles; a hardened, ingested, RETAIN data source with delivered logs; an
alarm and an EventBridge rule on Bedrock; every endpoint across two subnets; a CMK prompt), so the
FAILs are those nine plus the few properties the emulator cannot hold (listed in the test).
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
    s3, logs, cw, events = c("s3"), c("logs"), c("cloudwatch"), c("events")
    tags = {"Environment": "test", "DataClassification": "internal", "OwnerTeam": "platform"}

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
        topicPolicyConfig={"topicsConfig": [
            {"name": "investing", "definition": "Investment advice", "type": "DENY"}]},
        wordPolicyConfig={"managedWordListsConfig": [{"type": "PROFANITY"}]},
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )
    gid = guardrail["guardrailId"]
    version = br.create_guardrail_version(guardrailIdentifier=gid)["version"]
    br.put_enforced_guardrail_configuration(
        guardrailInferenceConfig={"guardrailIdentifier": gid, "guardrailVersion": version})

    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "bedrock.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]})
    boundary = iam.create_policy(PolicyName="seed-boundary", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "bedrock:Get*", "Resource": "*"}]}))["Policy"]["Arn"]
    roles = {n: iam.create_role(RoleName=n, AssumeRolePolicyDocument=trust,
                                PermissionsBoundary=boundary)["Role"]["Arn"]
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
        tags=tags,
    )["knowledgeBase"]
    kb_arn, kb = kb["knowledgeBaseArn"], kb["knowledgeBaseId"]
    # The source bucket, hardened as SRA asks: encryption, lifecycle, access logs, Object Lock,
    # versioning.
    s3.create_bucket(Bucket="seed-access-logs")
    s3.put_bucket_policy(Bucket="seed-access-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": "arn:aws:s3:::seed-access-logs/*", "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}]}))
    s3.create_bucket(Bucket="seed-docs", ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket="seed-docs", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket="seed-docs", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]})
    s3.put_bucket_lifecycle_configuration(Bucket="seed-docs", LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365}}]})
    s3.put_bucket_logging(Bucket="seed-docs", BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": "seed-access-logs", "TargetPrefix": "docs/"}})
    ds = ba.create_data_source(knowledgeBaseId=kb, name="seed-docs", dataDeletionPolicy="RETAIN",
                               dataSourceConfiguration={"type": "S3", "s3Configuration": {
                                   "bucketArn": "arn:aws:s3:::seed-docs"}})["dataSource"]["dataSourceId"]
    ba.start_ingestion_job(knowledgeBaseId=kb, dataSourceId=ds)
    logs.put_delivery_source(name="seed-kb-logs", resourceArn=kb_arn, logType="APPLICATION_LOGS")
    logs.create_log_group(logGroupName="/seed/kb")
    dest = logs.put_delivery_destination(name="seed-kb-dest", deliveryDestinationConfiguration={
        "destinationResourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/seed/kb"})
    logs.create_delivery(deliverySourceName="seed-kb-logs",
                         deliveryDestinationArn=dest["deliveryDestination"]["arn"])

    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    job_subnets = [n["SubnetId"] for n in ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [default_vpc]}])["Subnets"]][:2]
    job_group = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [default_vpc]}, {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"][0]["GroupId"]
    br.create_model_customization_job(
        jobName="seed-job", customModelName="seed-model", roleArn=roles["seed-agent-a"],
        baseModelIdentifier="amazon.titan-text-express-v1", trainingDataConfig={"s3Uri": "s3://seed/train.jsonl"},
        outputDataConfig={"s3Uri": "s3://seed/out/"}, hyperParameters={"epochCount": "1"},
        vpcConfig={"subnetIds": job_subnets, "securityGroupIds": [job_group]})
    model = next(m["modelArn"] for m in br.list_custom_models()["modelSummaries"] if m["modelName"] == "seed-model")

    topic = sns.create_topic(Name="seed-alarms")["TopicArn"]
    cw.put_metric_alarm(AlarmName="seed-invocation-errors", Namespace="AWS/Bedrock",
                        MetricName="InvocationClientErrors", Statistic="Sum", Period=300,
                        EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")
    events.put_rule(Name="seed-bedrock-changes", EventPattern=json.dumps({
        "source": ["aws.bedrock"], "detail-type": ["AWS API Call via CloudTrail"]}))
    ba.create_prompt(name="seed-prompt", customerEncryptionKeyArn=key, tags=tags)

    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = [n["SubnetId"] for n in ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]][:2]
    account_only = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}}}]})
    for service in ("bedrock", "bedrock-agent", "bedrock-agent-runtime", "logs"):
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.{service}",
                                VpcEndpointType="Interface", SubnetIds=subnets, PolicyDocument=account_only)
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway")
    endpoint_id = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.bedrock-runtime", VpcEndpointType="Interface",
        SubnetIds=subnets,
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
