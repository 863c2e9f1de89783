//! `check-access`: reads the deployed stack's policies back from the account (key policy,
//! bucket policy, topic policies, endpoint policies, the logging role's trust and inline
//! policy, the model-access policy, the application role's policies and boundary) and
//! evaluates every access path of [`baseline_core::access::PATHS`] over them with the
//! policy evaluator. IAM's own `SimulatePrincipalPolicy` is not called: it cannot evaluate
//! key, bucket, topic or endpoint policies together with identity policies, and the emulator
//! does not implement it.

use anyhow::Context;
use baseline_core::access::{check, Identity, PathResult, StackPolicies};
use baseline_core::policy::PolicyDocument;
use baseline_core::{AwsContext, Config};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where the evaluation came from, for the report.
pub const EVALUATOR: &str = "bedrock-baseline policy evaluator (baseline_core::policy::eval)";

fn parse(text: &str, what: &str) -> anyhow::Result<PolicyDocument> {
    PolicyDocument::parse(text).with_context(|| format!("{what} is not a policy document"))
}

fn out_str<'a>(outputs: &'a BTreeMap<String, Value>, module: &str, field: &str) -> Option<&'a str> {
    outputs.get(module)?.get(field)?.as_str()
}

async fn managed_policy(iam: &aws_sdk_iam::Client, arn: &str) -> anyhow::Result<PolicyDocument> {
    let policy = iam.get_policy().policy_arn(arn).send().await?;
    let version = policy
        .policy()
        .and_then(|p| p.default_version_id())
        .with_context(|| format!("{arn} has no default version"))?;
    let doc = iam
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await?;
    parse(
        doc.policy_version()
            .and_then(|v| v.document())
            .unwrap_or_default(),
        arn,
    )
}

/// The key of a boundary policy's document: `boundary` for the configured one.
fn boundary_key(arn: &str, boundaries: &mut BTreeMap<String, String>, config: &Config) -> String {
    let key = if config.permissions_boundary_arn.as_deref() == Some(arn) {
        "boundary".to_owned()
    } else {
        format!("boundary:{arn}")
    };
    boundaries.insert(key.clone(), arn.to_owned());
    key
}

/// Reads one of the stack's service roles (trust policy, the inline policy `logging` every
/// one of them has, boundary) into `<id>:trust`, `<id>:logging` and the identity `<id>`.
async fn read_role(
    iam: &aws_sdk_iam::Client,
    name: &str,
    id: &str,
    p: &mut StackPolicies,
    boundaries: &mut BTreeMap<String, String>,
    config: &Config,
) -> anyhow::Result<()> {
    let role = iam.get_role().role_name(name).send().await?;
    let role = role.role().context("GetRole returned no role")?;
    p.documents.insert(
        format!("{id}:trust"),
        parse(
            role.assume_role_policy_document().unwrap_or_default(),
            &format!("the trust policy of {name}"),
        )?,
    );
    let inline = iam
        .get_role_policy()
        .role_name(name)
        .policy_name("logging")
        .send()
        .await?;
    p.documents.insert(
        format!("{id}:logging"),
        parse(inline.policy_document(), &format!("the policy of {name}"))?,
    );
    let boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(|arn| boundary_key(arn, boundaries, config));
    p.identities.insert(
        id.to_owned(),
        Identity {
            policies: vec![format!("{id}:logging")],
            boundary,
        },
    );
    Ok(())
}

/// Reads the stack's policies and the facts the paths are written in. Read calls only.
pub async fn read_back(
    ctx: &AwsContext,
    config: &Config,
    outputs: &BTreeMap<String, Value>,
) -> anyhow::Result<StackPolicies> {
    let sdk = ctx.sdk();
    let iam = aws_sdk_iam::Client::new(sdk);
    let mut p = StackPolicies::default();
    let facts = &mut p.facts;
    let partition = ctx.partition().to_owned();
    let region = ctx.region().to_owned();
    facts.insert("partition".into(), partition.clone());
    facts.insert("account".into(), ctx.account_id().to_owned());
    facts.insert("region".into(), region.clone());
    facts.insert("prefix".into(), config.prefix());
    facts.insert("s3_log_prefix".into(), config.s3_log_prefix.clone());
    if let Some(admin) = config.admin_principal_arns.first() {
        facts.insert("admin_arn".into(), admin.clone());
    }

    // Encryption.
    if let Some(key) = out_str(outputs, "encryption", "kms_key_arn") {
        facts.insert("key_arn".into(), key.to_owned());
        let kms = aws_sdk_kms::Client::new(sdk);
        let policy = kms
            .get_key_policy()
            .key_id(key)
            .policy_name("default")
            .send()
            .await
            .context("GetKeyPolicy")?;
        p.documents.insert(
            "key".into(),
            parse(policy.policy().unwrap_or_default(), "the key policy")?,
        );
    }

    // Logging: bucket policy, log group, logging role.
    if let Some(bucket) = out_str(outputs, "logging", "bucket_name") {
        facts.insert("bucket".into(), bucket.to_owned());
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(ctx.endpoint_overridden())
                .build(),
        );
        let policy = s3.get_bucket_policy().bucket(bucket).send().await?;
        p.documents.insert(
            "bucket".into(),
            parse(policy.policy().unwrap_or_default(), "the bucket policy")?,
        );
        // The access-log bucket (s3_access_logging): S3's log delivery writes through its policy.
        if let Some(target) = out_str(outputs, "logging", "access_log_bucket_name") {
            facts.insert("access_log_bucket".into(), target.to_owned());
            let policy = s3.get_bucket_policy().bucket(target).send().await?;
            p.documents.insert(
                "access-log-bucket".into(),
                parse(
                    policy.policy().unwrap_or_default(),
                    "the access-log bucket policy",
                )?,
            );
        }
    }
    if let Some(group) = out_str(outputs, "logging", "log_group_arn") {
        facts.insert(
            "log_group_arn".into(),
            group.trim_end_matches(":*").to_owned(),
        );
    }
    let mut boundaries: BTreeMap<String, String> = BTreeMap::new();
    if let (Some(name), Some(arn)) = (
        out_str(outputs, "logging", "role_name"),
        out_str(outputs, "logging", "role_arn"),
    ) {
        p.facts.insert("logging_role_arn".into(), arn.to_owned());
        read_role(&iam, name, "logging-role", &mut p, &mut boundaries, config).await?;
    }

    // VPC flow logs: the delivery role (its inline policy is named `logging` too).
    if let (Some(arn), Some(group)) = (
        out_str(outputs, "logging", "flow_logs_role_arn"),
        out_str(outputs, "logging", "flow_log_group_name"),
    ) {
        let name = arn.rsplit('/').next().unwrap_or_default().to_owned();
        p.facts.insert("flow_logs_role_arn".into(), arn.to_owned());
        p.facts.insert(
            "flow_log_group_arn".into(),
            format!(
                "arn:{partition}:logs:{region}:{}:log-group:{group}",
                ctx.account_id()
            ),
        );
        read_role(
            &iam,
            &name,
            "flow-logs-role",
            &mut p,
            &mut boundaries,
            config,
        )
        .await?;
    }

    // Cross-region replication: the role S3 assumes, and where it replicates to.
    if let Some(arn) = out_str(outputs, "logging", "replication_role_arn") {
        let name = arn.rsplit('/').next().unwrap_or_default().to_owned();
        p.facts
            .insert("replication_role_arn".into(), arn.to_owned());
        let r = &config.s3_replication;
        if let Some(dest) = &r.destination_bucket_arn {
            p.facts.insert("replica_bucket_arn".into(), dest.clone());
        }
        if let Some(key) = &r.destination_kms_key_arn {
            p.facts.insert("replica_key_arn".into(), key.clone());
            p.facts.insert(
                "replica_region".into(),
                key.split(':').nth(3).unwrap_or_default().to_owned(),
            );
        }
        read_role(
            &iam,
            &name,
            "replication-role",
            &mut p,
            &mut boundaries,
            config,
        )
        .await?;
    }
    let facts = &mut p.facts;

    // Alerting.
    if let Some(topics) = outputs
        .get("alerting")
        .and_then(|a| a.get("topic_arns"))
        .and_then(Value::as_object)
    {
        let sns = aws_sdk_sns::Client::new(sdk);
        for (kind, arn) in topics {
            let Some(arn) = arn.as_str() else { continue };
            facts.insert(format!("topic_{kind}"), arn.to_owned());
            let attrs = sns.get_topic_attributes().topic_arn(arn).send().await?;
            if let Some(policy) = attrs.attributes().and_then(|a| a.get("Policy")) {
                p.documents
                    .insert(format!("topic:{kind}"), parse(policy, arn)?);
            }
        }
    }
    if let Some(alarm) = outputs
        .get("monitoring")
        .and_then(|m| m.get("alarm_names"))
        .and_then(Value::as_object)
        .and_then(|m| {
            m.values()
                .flat_map(|v| v.as_array().into_iter().flatten())
                .next()
        })
        .and_then(Value::as_str)
    {
        facts.insert("alarm_name".into(), alarm.to_owned());
    }
    if let Some(rule) = out_str(outputs, "monitoring", "training_rule_name") {
        facts.insert("training_rule_name".into(), rule.to_owned());
    }
    // `rule:<key>`: each EventBridge rule the stack created (names are `<prefix>-<key>`).
    let rule_prefix = format!("{}-", config.prefix());
    for name in outputs
        .get("monitoring")
        .and_then(|m| m.get("event_rule_names"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if let Some(key) = name.strip_prefix(&rule_prefix) {
            facts.insert(format!("rule:{key}"), name.to_owned());
        }
    }

    // Network: endpoint policies.
    if let Some(ids) = outputs
        .get("network")
        .and_then(|n| n.get("endpoint_ids"))
        .and_then(Value::as_object)
    {
        let ec2 = aws_sdk_ec2::Client::new(sdk);
        for (service, id) in ids {
            let Some(id) = id.as_str() else { continue };
            facts.insert(format!("vpce:{service}"), id.to_owned());
            let found = ec2
                .describe_vpc_endpoints()
                .vpc_endpoint_ids(id)
                .send()
                .await?;
            if let Some(doc) = found
                .vpc_endpoints()
                .first()
                .and_then(|e| e.policy_document())
            {
                p.documents.insert(
                    format!("endpoint:{service}"),
                    parse(doc, &format!("the policy of endpoint {id}"))?,
                );
            }
        }
    }

    // Guardrails: the guardrail and the model-access policy.
    if let Some(arn) = out_str(outputs, "guardrails", "guardrail_arn") {
        facts.insert("guardrail_arn".into(), arn.to_owned());
    }
    if let Some(v) = out_str(outputs, "guardrails", "guardrail_version") {
        facts.insert("guardrail_version".into(), v.to_owned());
    }
    let model_access = out_str(outputs, "guardrails", "model_access_policy_arn");
    if let Some(arn) = model_access {
        p.documents
            .insert("model-access".into(), managed_policy(&iam, arn).await?);
    }
    model_facts(config, &partition, &region, facts);
    if let Some(profile) = config
        .foundation_models
        .iter()
        .find(|m| m.contains(":inference-profile/"))
    {
        let bedrock = aws_sdk_bedrock::Client::new(sdk);
        let found = bedrock
            .get_inference_profile()
            .inference_profile_identifier(profile)
            .send()
            .await?;
        facts.insert("profile_arn".into(), profile.clone());
        let destinations: Vec<String> = found
            .models()
            .iter()
            .filter_map(|m| m.model_arn().map(str::to_owned))
            .collect();
        if let Some(dest) = destinations
            .iter()
            .find(|m| m.split(':').nth(3) != Some(region.as_str()))
            .or(destinations.first())
        {
            facts.insert("profile_destination_model_arn".into(), dest.clone());
            facts.insert(
                "profile_destination_region".into(),
                dest.split(':').nth(3).unwrap_or_default().to_owned(),
            );
        }
    }

    // The application role: as deployed by the user, with whatever they attached.
    let role = iam
        .get_role()
        .role_name(&config.bedrock_role_name)
        .send()
        .await
        .with_context(|| format!("reading the application role {}", config.bedrock_role_name))?;
    let role = role.role().context("GetRole returned no role")?;
    facts.insert("app_role_arn".into(), role.arn().to_owned());
    let mut identity = Identity::default();
    let attached = iam
        .list_attached_role_policies()
        .role_name(&config.bedrock_role_name)
        .send()
        .await?;
    for policy in attached.attached_policies() {
        let Some(arn) = policy.policy_arn() else {
            continue;
        };
        if Some(arn) == model_access {
            identity.policies.push("model-access".into());
        } else {
            let key = format!("app-role:{}", policy.policy_name().unwrap_or(arn));
            p.documents
                .insert(key.clone(), managed_policy(&iam, arn).await?);
            identity.policies.push(key);
        }
    }
    let inline = iam
        .list_role_policies()
        .role_name(&config.bedrock_role_name)
        .send()
        .await?;
    for name in inline.policy_names() {
        let doc = iam
            .get_role_policy()
            .role_name(&config.bedrock_role_name)
            .policy_name(name)
            .send()
            .await?;
        let key = format!("app-role:inline:{name}");
        p.documents
            .insert(key.clone(), parse(doc.policy_document(), name)?);
        identity.policies.push(key);
    }
    if let Some(arn) =
        model_access.filter(|_| !identity.policies.iter().any(|p| p == "model-access"))
    {
        // The stack makes the policy but does not own the application role, so it never attaches
        // it; without it every invoke path of the role is (rightly) decided as denied.
        eprintln!(
            "note: the model-access policy {arn} is not attached to the application role {}: \
             the invoke paths will be denied until it is (`aws iam attach-role-policy --role-name {} --policy-arn {arn}`)",
            config.bedrock_role_name, config.bedrock_role_name
        );
    }
    identity.boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(|arn| boundary_key(arn, &mut boundaries, config));
    p.identities.insert("app-role".into(), identity);
    for (key, arn) in boundaries {
        p.documents.insert(key, managed_policy(&iam, &arn).await?);
    }
    Ok(p)
}

/// `model_arn` / `model_region`: the first allowed foundation model (an example model of the
/// first allowed region when every model of the allowed regions is admitted).
fn model_facts(
    config: &Config,
    partition: &str,
    region: &str,
    facts: &mut BTreeMap<String, String>,
) {
    let listed = config
        .foundation_models
        .iter()
        .find(|m| m.contains(":foundation-model/"));
    let (arn, model_region) = match listed {
        Some(arn) => (
            arn.clone(),
            arn.split(':').nth(3).unwrap_or(region).to_owned(),
        ),
        None if config.foundation_models.is_empty() => {
            let r = config
                .allowed_model_regions
                .first()
                .cloned()
                .unwrap_or_else(|| region.to_owned());
            (
                format!(
                    "arn:{partition}:bedrock:{r}::foundation-model/amazon.titan-text-express-v1"
                ),
                r,
            )
        }
        None => return,
    };
    facts.insert("model_arn".into(), arn);
    facts.insert("model_region".into(), model_region);
}

/// The matrix as text.
pub fn render_text(results: &[PathResult]) -> String {
    let mut out = format!("Access paths (decided by the {EVALUATOR}):\n");
    let width = results.iter().map(|r| r.name.len()).max().unwrap_or(0);
    for r in results {
        let decided = format!("{:?}", r.decision.outcome);
        let by = r.decision.decided_by();
        out.push_str(&format!(
            "{} {:width$}  expected {:5}  decided {:12}  {}\n",
            if r.ok { "ok  " } else { "FAIL" },
            r.name,
            format!("{:?}", r.expected),
            decided,
            by,
        ));
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    out.push_str(&format!(
        "{} paths, {} as expected, {failed} differ.\n",
        results.len(),
        results.len() - failed
    ));
    out
}

/// Evaluates and returns (results, policies).
pub async fn check_access(
    ctx: &AwsContext,
    config: &Config,
    outputs: &BTreeMap<String, Value>,
) -> anyhow::Result<(Vec<PathResult>, StackPolicies)> {
    let policies = read_back(ctx, config, outputs).await?;
    Ok((check(&policies), policies))
}
