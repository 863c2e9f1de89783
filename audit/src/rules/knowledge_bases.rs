//! Knowledge bases and data sources (BB-17, BB-41..47), scope W.

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-41",
        title: "Knowledge-base data source is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &[
            "prowler:bedrock_knowledge_base_encrypted_with_cmk",
            "aiml-assessment:BR-09",
            "aiml-assessment:BR-20",
            "sra:bedrock_org/bedrock-knowledge-base-encryption",
        ],
        frameworks: ENCRYPTION,
        remediation:
            "bedrock-agent:UpdateDataSource with serverSideEncryptionConfiguration.kmsKeyArn of a \
            customer-managed key.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-kb.html",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateDataSource.html",
        ],
        check: check_data_source_cmk,
    },
    Rule {
        id: "BB-17",
        title: "Knowledge base delivers its application logs",
        severity: Severity::Medium,
        scope: Scope::Workload,
        sources: &["sra:bedrock_org/bedrock-knowledge-base-logging"],
        frameworks: LOGGING,
        remediation: "logs:PutDeliverySource (logType APPLICATION_LOGS, the KB ARN), \
            PutDeliveryDestination and CreateDelivery.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-bases-logging.html"],
        check: check_kb_logging,
    },
    Rule {
        id: "BB-42",
        title: "Knowledge-base vector store is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &[
            "sra:bedrock_org/bedrock-knowledge-base-opensearch-encryption",
            "config-conformance-pack:opensearch-serverless-customer-kms",
        ],
        frameworks: ENCRYPTION,
        remediation:
            "Create the collection with an encryption policy naming a customer-managed key \
            (aoss:CreateSecurityPolicy type encryption, AWSOwnedKey false).",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-kb.html"],
        check: check_vector_store_cmk,
    },
    Rule {
        id: "BB-43",
        title: "Knowledge-base vector-store credentials live in a CMK-encrypted secret",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &[
            "sra:bedrock_org/bedrock-knowledge-base-vector-store-secret",
            "config:SECRETSMANAGER_USING_CMK",
        ],
        frameworks: ENCRYPTION,
        remediation:
            "Store the vector store's credentials in Secrets Manager with a customer-managed \
            KmsKeyId and set credentialsSecretArn.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-kb.html",
            "https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html",
        ],
        check: check_vector_store_secret,
    },
    Rule {
        id: "BB-44",
        title: "Managed knowledge base is encrypted with a customer-managed KMS key",
        severity: Severity::High,
        scope: Scope::Workload,
        sources: &["aiml-assessment:BR-20"],
        frameworks: ENCRYPTION,
        remediation:
            "Recreate the managed knowledge base with serverSideEncryptionConfiguration.kmsKeyArn.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-kb.html",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateKnowledgeBase.html",
        ],
        check: check_managed_kb,
    },
    Rule {
        id: "BB-45",
        title: "Knowledge-base S3 source bucket is hardened",
        severity: Severity::Medium,
        scope: Scope::Workload,
        sources: &["sra:bedrock_org/bedrock-knowledge-base-s3-bucket"],
        frameworks: ENCRYPTION,
        remediation:
            "On the source bucket: default encryption, a lifecycle expiration, server access \
            logging, Object Lock and versioning (s3:PutBucket*).",
        docs: &["https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html"],
        check: check_kb_buckets,
    },
    Rule {
        id: "BB-46",
        title: "Data source deletion policy is RETAIN",
        severity: Severity::Low,
        scope: Scope::Workload,
        sources: &["config-conformance-pack:aiml-bedrock-datasource-retain-policy"],
        frameworks: &[SOC2_CC6_1, HIPAA_INTEGRITY],
        remediation: "bedrock-agent:UpdateDataSource with dataDeletionPolicy RETAIN.",
        docs: &["https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_CreateDataSource.html"],
        check: check_retain,
    },
    Rule {
        id: "BB-47",
        title: "Data source is healthy and was ingested in the last 7 days",
        severity: Severity::Low,
        scope: Scope::Workload,
        sources: &[
            "config-conformance-pack:aiml-bedrock-datasource-status",
            "config-conformance-pack:aiml-bedrock-datasource-no-failures",
            "config-conformance-pack:aiml-bedrock-kb-status",
            "prowler:bedrock_knowledge_base_ingestion_recently_completed",
        ],
        frameworks: HARDENING,
        remediation: "Fix failureReasons and run bedrock-agent:StartIngestionJob.",
        docs: &[
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_GetDataSource.html",
            "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ListIngestionJobs.html",
        ],
        check: check_ds_health,
    },
];

/// Runs `each` over every knowledge base with its ARN, collecting findings; `none`
/// (NOT_APPLICABLE) when no knowledge base gave one.
fn each_kb(
    rule: &Rule,
    inv: &Inventory,
    none: &str,
    mut each: impl FnMut(&KnowledgeBase, String, &mut Vec<Finding>),
) -> Vec<Finding> {
    let region = inv.bedrock_arn("knowledge-base/*");
    let kbs = match listed(
        rule,
        &inv.knowledge_bases,
        &region,
        "bedrock-agent:ListKnowledgeBases",
    ) {
        Ok(k) => k,
        Err(f) => return f,
    };
    let mut out = Vec::new();
    for kb in kbs {
        each(
            kb,
            inv.bedrock_arn(&format!("knowledge-base/{}", kb.id)),
            &mut out,
        );
    }
    rule.or_else(out, region, Status::NotApplicable, none)
}

// serverSideEncryptionConfiguration.kmsKeyArn on the data source
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_DataSource.html).
fn check_data_source_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    each_data_source(
        rule,
        inv,
        |ds| &ds.kms_key_arn,
        |key| match key {
            None => Some((Status::Fail, "no kmsKeyArn".into())),
            Some(k) => Some(cmk(inv, k)),
        },
        "no knowledge-base data source in the region",
    )
}

fn per_kb(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&KnowledgeBase, &KbDetail) -> Option<(Status, String)>,
) -> Vec<Finding> {
    each_kb(
        rule,
        inv,
        "no knowledge base this rule applies to",
        |kb, arn, out| match &kb.detail {
            Err(m) => out.push(rule.missing(arn, "bedrock-agent:GetKnowledgeBase", m)),
            Ok(d) => {
                if let Some((status, reason)) = judge(kb, d) {
                    out.push(rule.finding(
                        arn,
                        status,
                        format!("knowledge base {}: {reason}", kb.name),
                    ));
                }
            }
        },
    )
}

fn per_data_source(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&DataSourceDetail) -> Option<(Status, String)>,
) -> Vec<Finding> {
    each_data_source(
        rule,
        inv,
        |ds| &ds.detail,
        judge,
        "no data source this rule applies to",
    )
}

/// One finding per data source of every knowledge base whose `read` (a `GetDataSource` value)
/// `judge` has a verdict on; `none` (NOT_APPLICABLE) when no data source gave one.
fn each_data_source<T>(
    rule: &Rule,
    inv: &Inventory,
    read: impl Fn(&DataSource) -> &Read<T>,
    judge: impl Fn(&T) -> Option<(Status, String)>,
    none: &str,
) -> Vec<Finding> {
    each_kb(rule, inv, none, |kb, kb_arn, out| match &kb.data_sources {
        Err(m) => out.push(rule.missing(&kb_arn, "bedrock-agent:ListDataSources", m)),
        Ok(sources) => {
            for ds in sources {
                // Data sources have no ARN of their own; KB ARN + id names them uniquely.
                let res = format!("{kb_arn}/data-source/{}", ds.id);
                match read(ds) {
                    Err(m) => out.push(rule.missing(res, "bedrock-agent:GetDataSource", m)),
                    Ok(v) => {
                        if let Some((status, reason)) = judge(v) {
                            out.push(rule.finding(
                                res,
                                status,
                                format!("data source {}: {reason}", ds.name),
                            ));
                        }
                    }
                }
            }
        }
    })
}

// SRA's KB logging rule: the KB ARN is a delivery source's resource with a delivery.
fn check_kb_logging(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let deliveries = &inv.more.log_deliveries;
    per_kb(rule, inv, |_, d| {
        Some(match deliveries {
            Err(m) => (Status::Unknown, format!("log deliveries: {}", m.reason())),
            Ok(l) => {
                let sources: Vec<&String> = l
                    .sources
                    .iter()
                    .filter(|(_, arns)| arns.contains(&d.arn))
                    .map(|(n, _)| n)
                    .collect();
                if sources.is_empty() {
                    (
                        Status::Fail,
                        "no delivery source for its application logs".into(),
                    )
                } else if l.deliveries.iter().any(|(s, _)| sources.contains(&s)) {
                    (Status::Pass, "application logs are delivered".into())
                } else {
                    (
                        Status::Fail,
                        "a delivery source exists but nothing is delivered".into(),
                    )
                }
            }
        })
    })
}

fn check_vector_store_cmk(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_kb(rule, inv, |_, d| match d.storage.as_deref() {
        Some("OPENSEARCH_SERVERLESS") => Some((
            Status::Unknown,
            "not read by this tool (needs aoss:BatchGetCollection, aoss:GetSecurityPolicy)".into(),
        )),
        Some("OPENSEARCH_MANAGED_CLUSTER") => Some((
            Status::Unknown,
            "not read by this tool (needs es:DescribeDomain)".into(),
        )),
        _ => None,
    })
}

fn check_vector_store_secret(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_kb(rule, inv, |_, d| {
        match d.storage.as_deref() {
        Some("PINECONE" | "MONGO_DB_ATLAS" | "REDIS_ENTERPRISE_CLOUD" | "RDS") => Some(match &d.credentials_secret {
            None => (Status::Fail, "no credentialsSecretArn".into()),
            Some(s) => (
                Status::Unknown,
                format!("secret {s}: its key is not read by this tool (needs secretsmanager:DescribeSecret)"),
            ),
        }),
        _ => None,
    }
    })
}

// Managed knowledge bases (type MANAGED): the assessment's BR-20; custom vector stores are N/A.
fn check_managed_kb(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_kb(rule, inv, |_, d| {
        match d.kind.as_deref() {
        Some("MANAGED") => Some((
            Status::Unknown,
            "the managed store's key is not read by this tool (needs managedKnowledgeBaseConfiguration)".into(),
        )),
        _ => None,
    }
    })
}

fn check_kb_buckets(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_data_source(rule, inv, |d| {
        let arn = d.bucket_arn.as_ref()?;
        let name = arn.rsplit(':').next().unwrap_or(arn);
        Some(match inv.more.buckets.get(name) {
            None => (Status::Unknown, format!("bucket {name} was not read")),
            Some(Err(m)) => (Status::Unknown, m.reason().to_owned()),
            Some(Ok(b)) => {
                let (s, r) = super::s3::data_bucket(inv, b);
                (s, format!("bucket {name}: {r}"))
            }
        })
    })
}

fn check_retain(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_data_source(rule, inv, |d| {
        Some(match d.deletion_policy.as_deref() {
            Some("RETAIN") => (Status::Pass, "dataDeletionPolicy RETAIN".into()),
            Some(p) => (Status::Fail, format!("dataDeletionPolicy {p}")),
            None => (Status::Unknown, "dataDeletionPolicy not reported".into()),
        })
    })
}

/// Seven days, Prowler's ingestion-freshness window.
const INGESTION_WINDOW_SECS: i64 = 7 * 24 * 3600;

fn check_ds_health(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    per_data_source(rule, inv, |d| {
        let mut problems = Vec::new();
        match d.status.as_deref() {
            Some("AVAILABLE") => {}
            Some(s) => problems.push(format!("status {s}")),
            None => return Some((Status::Unknown, "status not reported".into())),
        }
        if !d.failure_reasons.is_empty() {
            problems.push(format!("failureReasons: {}", d.failure_reasons.join("; ")));
        }
        match &d.ingestion_jobs {
            Err(m) => return Some((Status::Unknown, format!("ingestion jobs: {}", m.reason()))),
            Ok(jobs) => {
                if !jobs
                    .iter()
                    .any(|(s, t)| s == "COMPLETE" && now - t <= INGESTION_WINDOW_SECS)
                {
                    problems.push("no COMPLETE ingestion job in 7 days".into());
                }
            }
        }
        Some(if problems.is_empty() {
            (
                Status::Pass,
                "AVAILABLE, no failures, ingested within 7 days".into(),
            )
        } else {
            (Status::Fail, problems.join(", "))
        })
    })
}
