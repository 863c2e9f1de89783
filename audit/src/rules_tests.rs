//! Every check over hand-built inventories: PASS on a compliant account, FAIL on the one broken
//! property, UNKNOWN (never PASS) when the read failed or a field is missing.

use super::*;
use std::collections::{BTreeMap, BTreeSet};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/cmk";
const AWS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/awsmanaged";
const GR_ARN: &str = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr1";
const KB_ARN: &str = "arn:aws:bedrock:us-east-1:123456789012:knowledge-base/KB1";
const PROMPT_ARN: &str = "arn:aws:bedrock:us-east-1:123456789012:prompt/P1";

/// Rules whose data this tool does not read: UNKNOWN with that reason, never PASS.
const NOT_READ: &[&str] = &["BB-14", "BB-18", "BB-67", "BB-69"];

fn key(manager: &str) -> Read<Key> {
    Ok(Key {
        arn: if manager == "CUSTOMER" {
            KEY.into()
        } else {
            AWS_KEY.into()
        },
        manager: Some(manager.into()),
        state: Some("Enabled".into()),
        spec: Some("SYMMETRIC_DEFAULT".into()),
        multi_region: Some(false),
        rotation: Ok((manager == "CUSTOMER").then_some(true)),
    })
}

fn detail() -> GuardrailDetail {
    let filter = |k: &str, i: &str, o: &str| ContentFilter {
        kind: k.into(),
        input_strength: Some(i.into()),
        output_strength: Some(o.into()),
    };
    GuardrailDetail {
        status: Some("READY".into()),
        kms_key_arn: Some(KEY.into()),
        content_filters: Some(vec![
            filter("PROMPT_ATTACK", "HIGH", "NONE"),
            filter("HATE", "HIGH", "HIGH"),
            filter("INSULTS", "HIGH", "HIGH"),
            filter("SEXUAL", "HIGH", "HIGH"),
            filter("VIOLENCE", "MEDIUM", "HIGH"),
        ]),
        sensitive_info: Some(SensitiveInfo {
            entries: vec![SensitiveEntry {
                name: "EMAIL".into(),
                action: Some("ANONYMIZE".into()),
                output_action: Some("ANONYMIZE".into()),
                output_enabled: Some(true),
            }],
        }),
        grounding_filters: Some(vec![
            GroundingFilter {
                kind: "GROUNDING".into(),
                threshold: Some(0.75),
                action: Some("BLOCK".into()),
                enabled: Some(true),
            },
            GroundingFilter {
                kind: "RELEVANCE".into(),
                threshold: Some(0.5),
                action: Some("BLOCK".into()),
                enabled: Some(true),
            },
        ]),
        denied_topics: Some(1),
        word_filters: Some(1),
        content_tier: Some("STANDARD".into()),
        automated_reasoning: Some(1),
    }
}

fn agent(id: &str, role: &str) -> Agent {
    Agent {
        id: id.into(),
        name: format!("agent-{id}"),
        detail: Ok(AgentDetail {
            arn: format!("arn:aws:bedrock:us-east-1:123456789012:agent/{id}"),
            role_arn: Some(role.into()),
            customer_key_arn: Some(KEY.into()),
            guardrail: Some(("gr1".into(), Some("1".into()))),
            idle_session_ttl: Some(600),
        }),
        extras: AgentExtras {
            versions: Ok(vec![AgentVersion {
                version: "1".into(),
                guardrail: Some(("gr1".into(), Some("1".into()))),
                role_arn: Some(role.into()),
            }]),
            action_groups: Ok(vec![]),
        },
    }
}

/// The role an agent runs as: boundary, no inline policy, trust conditioned on the account.
fn agent_role_detail() -> RoleDetail {
    RoleDetail {
        trust: Ok(Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"bedrock.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#,
        ))),
        inline: Ok(vec![]),
        boundary: Some(Ok(Some("arn:aws:iam::123456789012:policy/Boundary".into()))),
    }
}

/// A bucket with every property BB-05..BB-12 ask for.
fn hardened_bucket(name: &str) -> Bucket {
    Bucket {
        name: name.into(),
        encryption: Ok(Some(("aws:kms".into(), Some(KEY.into())))),
        lifecycle_expires: Ok(true),
        access_log_target: Ok(Some("access-logs".into())),
        object_lock: Ok(true),
        versioning: Ok((Some("Enabled".into()), Some("Enabled".into()))),
        policy: Ok(Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
        ))),
        public_access_block: Ok(Some([true; 4])),
        ownership: Ok(Some("BucketOwnerEnforced".into())),
        policy_public: Ok(Some(false)),
    }
}

fn governance_tags() -> Read<Tags> {
    Ok(["Environment", "DataClassification", "OwnerTeam"]
        .into_iter()
        .map(|k| (k.to_owned(), "x".to_owned()))
        .collect())
}

fn ds_detail(bucket: &str) -> Read<DataSourceDetail> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    Ok(DataSourceDetail {
        status: Some("AVAILABLE".into()),
        deletion_policy: Some("RETAIN".into()),
        failure_reasons: vec![],
        bucket_arn: Some(format!("arn:aws:s3:::{bucket}")),
        ingestion_jobs: Ok(vec![("COMPLETE".into(), now - 60)]),
    })
}

fn doc(text: &str) -> PolicyDocument {
    PolicyDocument::parse(text).expect("test policy parses")
}

/// A compliant account: every rule passes.
fn good() -> Inventory {
    let mut inv = Inventory::empty(ACCOUNT, REGION);
    inv.logging = Ok(Some(LoggingConfig {
        log_group: Some("/aws/bedrock/x/invocations".into()),
        bucket: Some("logs".into()),
        text_data_delivery: Some(true),
        large_data_bucket: None,
    }));
    inv.log_groups.insert(
        "/aws/bedrock/x/invocations".into(),
        Ok(Some(LogGroup {
            name: "/aws/bedrock/x/invocations".into(),
            arn: None,
            kms_key_id: Some(KEY.into()),
            retention_days: Some(365),
        })),
    );
    inv.keys.insert(KEY.into(), key("CUSTOMER"));
    inv.guardrails = Ok(vec![Guardrail {
        id: "gr1".into(),
        arn: GR_ARN.into(),
        name: "x-guardrail".into(),
        tags: governance_tags(),
        latest_version: Ok(Some("1".into())),
        versions: vec![
            GuardrailVersion {
                version: "DRAFT".into(),
                detail: Ok(detail()),
            },
            GuardrailVersion {
                version: "1".into(),
                detail: Ok(detail()),
            },
        ],
    }]);
    inv.agents = Ok(vec![
        agent("A1", "arn:aws:iam::123456789012:role/a1"),
        agent("A2", "arn:aws:iam::123456789012:role/a2"),
    ]);
    inv.knowledge_bases = Ok(vec![KnowledgeBase {
        id: "KB1".into(),
        name: "kb".into(),
        data_sources: Ok(vec![DataSource {
            id: "DS1".into(),
            name: "docs".into(),
            kms_key_arn: Ok(Some(KEY.into())),
            detail: ds_detail("docs"),
        }]),
        detail: Ok(KbDetail {
            arn: KB_ARN.into(),
            status: Some("ACTIVE".into()),
            kind: Some("VECTOR".into()),
            storage: Some("S3_VECTORS".into()),
            credentials_secret: None,
            role_arn: Some("arn:aws:iam::123456789012:role/kb".into()),
        }),
    }]);
    inv.custom_models = Ok(vec![CustomModel {
        arn: "arn:aws:bedrock:us-east-1:123456789012:custom-model/m".into(),
        name: "m".into(),
        kms_key_arn: Ok(Some(KEY.into())),
    }]);
    inv.topics = Ok(vec![Topic {
        arn: "arn:aws:sns:us-east-1:123456789012:x-critical".into(),
        kms_key: Some(KEY.into()),
        policy: Ok(Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"aws:SourceAccount":"123456789012"}}}]}"#,
        ))),
    }]);
    inv.endpoints = Ok(vec![VpcEndpoint {
        id: "vpce-1".into(),
        service_name: "com.amazonaws.us-east-1.bedrock-runtime".into(),
        vpc_id: "vpc-1".into(),
        kind: "Interface".into(),
        state: "available".into(),
        subnet_ids: vec!["subnet-a".into(), "subnet-b".into()],
        tags: BTreeMap::new(),
        policy: Ok(Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/app"}}}]}"#,
        ))),
    }]);
    if let Ok(eps) = &mut inv.endpoints {
        let template = eps[0].clone();
        for (i, (service, kind)) in [
            ("bedrock", "Interface"),
            ("bedrock-agent", "Interface"),
            ("bedrock-agent-runtime", "Interface"),
            ("logs", "Interface"),
            ("s3", "Gateway"),
        ]
        .into_iter()
        .enumerate()
        {
            eps.push(VpcEndpoint {
                id: format!("vpce-{}", i + 2),
                service_name: format!("com.amazonaws.us-east-1.{service}"),
                kind: kind.into(),
                ..template.clone()
            });
        }
    }
    inv.more
        .buckets
        .insert("logs".into(), Ok(hardened_bucket("logs")));
    inv.more
        .buckets
        .insert("docs".into(), Ok(hardened_bucket("docs")));
    inv.more.alarms = Ok(vec![Alarm {
        name: "x-invocation-errors".into(),
        arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x-invocation-errors".into(),
        metrics: vec![("AWS/Bedrock".into(), "InvocationClientErrors".into())],
    }]);
    inv.more
        .listed_metrics
        .insert("AWS/Bedrock".into(), Ok(BTreeSet::default()));
    inv.more.event_rules = Ok(vec![EventRule {
        name: "x-guardrail-changes".into(),
        arn: "arn:aws:events:us-east-1:123456789012:rule/x-guardrail-changes".into(),
        state: "ENABLED".into(),
        pattern: Some(r#"{"source":["aws.bedrock"]}"#.into()),
    }]);
    inv.more.log_deliveries = Ok(LogDeliveries {
        sources: vec![("kb-logs".into(), vec![KB_ARN.into()])],
        deliveries: vec![(
            "kb-logs".into(),
            "arn:aws:logs:us-east-1:123456789012:delivery-destination:d".into(),
        )],
    });
    inv.more.enforced_guardrails = Ok(vec!["config-1".into()]);
    inv.more.tags.insert(KB_ARN.into(), governance_tags());
    inv.more.tags.insert(PROMPT_ARN.into(), governance_tags());
    inv.more.prompts = Ok(vec![Prompt {
        id: "P1".into(),
        arn: PROMPT_ARN.into(),
        name: "p".into(),
        key: Ok(Some(KEY.into())),
    }]);
    inv.more.flows = Ok(vec![Flow {
        id: "F1".into(),
        arn: "arn:aws:bedrock:us-east-1:123456789012:flow/F1".into(),
        name: "f".into(),
        detail: Ok(FlowDetail {
            key: Some(KEY.into()),
            description: Some("answers".into()),
            role_arn: None,
            status: Some("Prepared".into()),
            generating_nodes: vec![("ask".into(), true)],
            validation_errors: vec![],
        }),
    }]);
    for name in ["a1", "a2"] {
        inv.more
            .role_details
            .insert(name.into(), agent_role_detail());
    }
    inv.more
        .role_details
        .insert("app".into(), agent_role_detail());
    inv.more.api_keys.insert("dev".into(), Ok(vec![]));
    inv.more.key_policies.insert(
        KEY.into(),
        Ok(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}"#,
        )),
    );
    inv.more.subscriptions.insert(
        "arn:aws:sns:us-east-1:123456789012:x-critical".into(),
        Ok(vec![Subscription {
            arn: "arn:aws:sns:us-east-1:123456789012:x-critical:1".into(),
            protocol: "email".into(),
        }]),
    );
    inv.roles = Ok(vec![Role {
        name: "app".into(),
        arn: "arn:aws:iam::123456789012:role/app".into(),
        path: "/".into(),
        attached: Ok(vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()]),
    }]);
    if let Ok(roles) = &mut inv.roles {
        for name in ["a1", "a2"] {
            roles.push(Role {
                name: name.into(),
                arn: format!("arn:aws:iam::123456789012:role/{name}"),
                path: "/".into(),
                attached: Ok(vec![]),
            });
        }
    }
    inv.users = Ok(vec![User {
        name: "dev".into(),
        arn: "arn:aws:iam::123456789012:user/dev".into(),
        policies: Ok(vec![(
            "inline".into(),
            doc(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*"}]}"#,
            ),
        )]),
    }]);
    inv
}

fn statuses(id: &str, inv: &Inventory) -> Vec<Status> {
    rule(id)
        .expect("rule exists")
        .evaluate(inv)
        .into_iter()
        .map(|f| f.status)
        .collect()
}

#[track_caller]
fn check(id: &str, inv: &Inventory, expected: Status) {
    let findings = rule(id).expect("rule exists").evaluate(inv);
    assert!(!findings.is_empty(), "{id}: no finding");
    assert!(
        findings.iter().any(|f| f.status == expected),
        "{id}: expected a {expected} finding, got {findings:#?}"
    );
}

#[test]
fn a_compliant_account_passes_every_rule() {
    let inv = good();
    for r in catalog() {
        let findings = r.evaluate(&inv);
        assert!(!findings.is_empty(), "{}: no finding", r.id);
        for f in findings {
            if NOT_READ.contains(&r.id) {
                assert_eq!(f.status, Status::Unknown, "{}: {f:?}", r.id);
                assert!(f.reason.starts_with("not read by this tool"), "{f:?}");
            } else {
                assert!(
                    matches!(f.status, Status::Pass | Status::NotApplicable),
                    "{}: {f:?}",
                    r.id
                );
            }
            assert_eq!(f.rule, r.id);
        }
    }
}

#[test]
fn every_failed_read_is_unknown_never_pass() {
    let inv = Inventory::failed(ACCOUNT, REGION, "AccessDenied");
    for r in catalog() {
        for f in r.evaluate(&inv) {
            assert_ne!(f.status, Status::Pass, "{}: {f:?}", r.id);
            assert_ne!(f.status, Status::Fail, "{}: {f:?}", r.id);
        }
    }
}

#[test]
fn not_offered_region_is_not_applicable() {
    let mut inv = good();
    inv.agents = Err(Missing::NotOffered("ValidationException".into()));
    inv.guardrails = Err(Missing::NotOffered("ValidationException".into()));
    assert_eq!(statuses("BB-34", &inv), vec![Status::NotApplicable]);
    assert_eq!(statuses("BB-20", &inv), vec![Status::NotApplicable]);
}

#[test]
fn catalog_ids_are_unique_and_complete() {
    let mut ids: Vec<_> = catalog().iter().map(|r| r.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), catalog().len());
    for r in catalog() {
        assert!(r.id.starts_with("BB-"));
        // The tool's own rules (the stack's access paths, `access.rs`) have no scanner source.
        let own_rule = access::RULES.iter().any(|own| own.id == r.id);
        assert!(own_rule || !r.sources.is_empty(), "{}", r.id);
        assert!(!r.frameworks.is_empty(), "{}", r.id);
        assert!(!r.remediation.is_empty(), "{}", r.id);
        // Every requirement names the AWS page that states it.
        assert!(!r.docs.is_empty(), "{}", r.id);
        for d in r.docs {
            assert!(
                d.starts_with("https://docs.aws.amazon.com/"),
                "{}: {d}",
                r.id
            );
            assert!(!d.contains(' '), "{}: {d}", r.id);
        }
    }
}

#[test]
fn logging_rules() {
    let mut inv = good();
    inv.logging = Ok(None);
    check("BB-01", &inv, Status::Fail);
    check("BB-02", &inv, Status::NotApplicable);
    check("BB-03", &inv, Status::NotApplicable);
    inv.logging = Err(Missing::Failed("AccessDenied".into()));
    check("BB-01", &inv, Status::Unknown);

    let mut inv = good();
    if let Ok(Some(c)) = &mut inv.logging {
        c.text_data_delivery = None;
    }
    check("BB-02", &inv, Status::Unknown);
    if let Ok(Some(c)) = &mut inv.logging {
        c.text_data_delivery = Some(false);
    }
    check("BB-02", &inv, Status::Fail);

    let mut inv = good();
    inv.log_groups.insert(
        "/aws/bedrock/x/invocations".into(),
        Ok(Some(LogGroup {
            name: "/aws/bedrock/x/invocations".into(),
            arn: None,
            kms_key_id: None,
            retention_days: None,
        })),
    );
    check("BB-03", &inv, Status::Fail);
    let mut inv = good();
    inv.keys.insert(KEY.into(), key("AWS"));
    check("BB-03", &inv, Status::Fail);
    inv.keys
        .insert(KEY.into(), Err(Missing::Failed("AccessDenied".into())));
    check("BB-03", &inv, Status::Unknown);
}

fn with_detail(f: impl Fn(&mut GuardrailDetail)) -> Inventory {
    let mut inv = good();
    if let Ok(gs) = &mut inv.guardrails {
        // only the published version is broken: rules must read it, not only the DRAFT
        if let Ok(d) = &mut gs[0].versions[1].detail {
            f(d);
        }
    }
    inv
}

#[test]
fn guardrail_rules_judge_the_version_in_use() {
    check(
        "BB-20",
        &with_detail(|d| {
            d.content_filters.as_mut().unwrap()[0].input_strength = Some("MEDIUM".into())
        }),
        Status::Fail,
    );
    check(
        "BB-20",
        &with_detail(|d| d.content_filters.as_mut().unwrap()[0].input_strength = None),
        Status::Unknown,
    );
    check(
        "BB-21",
        &with_detail(|d| d.sensitive_info = None),
        Status::Fail,
    );
    check(
        "BB-22",
        &with_detail(|d| {
            d.sensitive_info.as_mut().unwrap().entries[0].output_action = Some("NONE".into())
        }),
        Status::Fail,
    );
    check(
        "BB-22",
        &with_detail(|d| {
            d.sensitive_info.as_mut().unwrap().entries[0].output_enabled = Some(false)
        }),
        Status::Fail,
    );
    check(
        "BB-22",
        &with_detail(|d| {
            let e = &mut d.sensitive_info.as_mut().unwrap().entries[0];
            e.output_action = None;
            e.action = None;
        }),
        Status::Unknown,
    );
    check(
        "BB-23",
        &with_detail(|d| d.grounding_filters = None),
        Status::Fail,
    );
    check(
        "BB-23",
        &with_detail(|d| d.grounding_filters.as_mut().unwrap()[1].action = Some("NONE".into())),
        Status::Fail,
    );
    check(
        "BB-23",
        &with_detail(|d| d.grounding_filters.as_mut().unwrap()[0].threshold = Some(0.0)),
        Status::Fail,
    );
    check(
        "BB-23",
        &with_detail(|d| d.grounding_filters.as_mut().unwrap()[0].enabled = None),
        Status::Unknown,
    );
    check(
        "BB-24",
        &with_detail(|d| {
            d.content_filters.as_mut().unwrap()[1].output_strength = Some("NONE".into())
        }),
        Status::Fail,
    );
    check(
        "BB-24",
        &with_detail(|d| {
            d.content_filters
                .as_mut()
                .unwrap()
                .retain(|f| f.kind != "INSULTS")
        }),
        Status::Fail,
    );
    check(
        "BB-27",
        &with_detail(|d| d.kms_key_arn = None),
        Status::Fail,
    );
    check(
        "BB-27",
        &with_detail(|d| {
            d.kms_key_arn = Some("arn:aws:kms:us-east-1:123456789012:key/unread".into())
        }),
        Status::Unknown,
    );
    let mut inv = good();
    inv.keys.insert(KEY.into(), key("AWS"));
    check("BB-27", &inv, Status::Fail);
}

#[test]
fn guardrail_presence_and_versions() {
    let mut inv = good();
    inv.guardrails = Ok(vec![]);
    check("BB-19", &inv, Status::Fail);
    check("BB-20", &inv, Status::NotApplicable);
    let mut inv = good();
    if let Ok(gs) = &mut inv.guardrails {
        gs[0].latest_version = Ok(None);
    }
    check("BB-29", &inv, Status::Fail);
    if let Ok(gs) = &mut inv.guardrails {
        gs[0].latest_version = Err(Missing::Failed("Throttling".into()));
    }
    check("BB-29", &inv, Status::Unknown);
}

fn stack_scope(guardrail: Option<&str>, topics: &[&str]) -> StackScope {
    StackScope {
        stack: "x".into(),
        guardrail_name: guardrail.map(str::to_owned),
        key_alias: "alias/x-bedrock".into(),
        topic_names: topics.iter().map(|s| s.to_string()).collect(),
        model_access_policy: None,
        log_bucket: Some("logs".into()),
        log_group: Some("/aws/bedrock/x/invocations".into()),
        vpc_id: Some("vpc-1".into()),
        tag_keys: vec!["baseline:stack".into()],
    }
}

#[test]
fn with_a_stack_rules_look_at_its_resources_and_name_the_config_key() {
    let mut inv = good();
    inv.stack = Some(stack_scope(Some("x-guardrail"), &["x-critical"]));
    inv.keys.insert("alias/x-bedrock".into(), key("CUSTOMER"));
    for id in [
        "BB-19", "BB-20", "BB-27", "BB-70", "BB-72", "BB-73", "BB-74",
    ] {
        check(id, &inv, Status::Pass);
    }
    // no stack tag on the endpoint: none of the stack's
    check("BB-61", &inv, Status::NotApplicable);

    inv.stack = Some(stack_scope(None, &[]));
    let f = rule("BB-20").unwrap().evaluate(&inv);
    assert_eq!(f[0].status, Status::Fail);
    assert!(f[0].reason.contains("enable_guardrails"), "{f:?}");
    assert!(rule("BB-20")
        .unwrap()
        .remediation
        .contains("content_filters.prompt_attack"));
    let f = rule("BB-73").unwrap().evaluate(&inv);
    assert_eq!(f[0].status, Status::Fail);
    assert!(f[0].reason.contains("enable_alerting"), "{f:?}");

    inv.stack = Some(stack_scope(
        Some("other-name"),
        &["x-critical", "x-missing"],
    ));
    check("BB-19", &inv, Status::Fail);
    check("BB-73", &inv, Status::Fail);
}

#[test]
fn agent_rules() {
    let mut inv = good();
    if let Ok(agents) = &mut inv.agents {
        if let Ok(d) = &mut agents[0].detail {
            d.guardrail = None;
            d.customer_key_arn = None;
            d.idle_session_ttl = Some(7200);
        }
    }
    assert_eq!(statuses("BB-34", &inv), vec![Status::Fail, Status::Pass]);
    assert_eq!(statuses("BB-35", &inv), vec![Status::Fail, Status::Pass]);
    assert_eq!(statuses("BB-39", &inv), vec![Status::Fail, Status::Pass]);

    let mut inv = good();
    inv.keys.insert(KEY.into(), key("AWS"));
    // a key ARN is set, but DescribeKey says AWS manages it: not a CMK
    assert_eq!(statuses("BB-35", &inv), vec![Status::Fail, Status::Fail]);

    let mut inv = good();
    if let Ok(agents) = &mut inv.agents {
        agents[1] = agent("A2", "arn:aws:iam::123456789012:role/a1");
    }
    assert_eq!(statuses("BB-37", &inv), vec![Status::Fail, Status::Fail]);
    let mut inv = good();
    if let Ok(agents) = &mut inv.agents {
        agents[1].detail = Err(Missing::Failed("AccessDenied".into()));
        if let Ok(d) = &mut agents[0].detail {
            d.idle_session_ttl = None;
        }
    }
    assert_eq!(
        statuses("BB-37", &inv),
        vec![Status::Unknown, Status::Unknown]
    );
    assert_eq!(
        statuses("BB-39", &inv),
        vec![Status::Unknown, Status::Unknown]
    );
    inv.agents = Ok(vec![]);
    assert_eq!(statuses("BB-34", &inv), vec![Status::NotApplicable]);
}

#[test]
fn knowledge_base_and_model_rules() {
    let mut inv = good();
    if let Ok(kbs) = &mut inv.knowledge_bases {
        kbs[0].data_sources = Ok(vec![
            DataSource {
                id: "DS1".into(),
                name: "a".into(),
                kms_key_arn: Ok(None),
                detail: ds_detail("docs"),
            },
            DataSource {
                id: "DS2".into(),
                name: "b".into(),
                kms_key_arn: Err(Missing::Failed("x".into())),
                detail: Err(Missing::Failed("x".into())),
            },
        ]);
    }
    assert_eq!(statuses("BB-41", &inv), vec![Status::Fail, Status::Unknown]);
    let f = rule("BB-41").unwrap().evaluate(&inv);
    assert!(
        f[0].resource
            .ends_with("knowledge-base/KB1/data-source/DS1"),
        "{f:?}"
    );
    inv.knowledge_bases = Ok(vec![]);
    assert_eq!(statuses("BB-41", &inv), vec![Status::NotApplicable]);

    let mut inv = good();
    if let Ok(models) = &mut inv.custom_models {
        models[0].kms_key_arn = Ok(None);
    }
    assert_eq!(statuses("BB-48", &inv), vec![Status::Fail]);
    if let Ok(models) = &mut inv.custom_models {
        models[0].kms_key_arn = Err(Missing::Failed("x".into()));
    }
    assert_eq!(statuses("BB-48", &inv), vec![Status::Unknown]);
}

#[test]
fn policy_rules() {
    let mut inv = good();
    if let Ok(eps) = &mut inv.endpoints {
        eps[0].policy = Ok(Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#,
        )));
    }
    check("BB-61", &inv, Status::Fail);
    if let Ok(eps) = &mut inv.endpoints {
        eps[0].policy = Ok(None);
    }
    check("BB-61", &inv, Status::Fail);
    if let Ok(eps) = &mut inv.endpoints {
        eps[0].policy = Err("bad json".into());
    }
    check("BB-61", &inv, Status::Unknown);

    let mut inv = good();
    if let Ok(roles) = &mut inv.roles {
        roles[0].attached = Ok(vec![iam::BEDROCK_FULL_ACCESS.into()]);
        roles.push(Role {
            name: "AWSServiceRoleForX".into(),
            arn: "arn:aws:iam::123456789012:role/aws-service-role/x".into(),
            path: "/aws-service-role/x/".into(),
            attached: Ok(vec![iam::BEDROCK_FULL_ACCESS.into()]),
        });
    }
    // service-linked roles are not judged
    let f = rule("BB-63").unwrap().evaluate(&inv);
    assert_eq!(f.iter().filter(|f| f.status == Status::Fail).count(), 1);
    assert!(f.iter().all(|f| !f.resource.contains("aws-service-role")));

    let mut inv = good();
    if let Ok(users) = &mut inv.users {
        users[0].policies = Ok(vec![(
            "p".into(),
            doc(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","bedrock:*"],"Resource":"*"}]}"#,
            ),
        )]);
    }
    check("BB-64", &inv, Status::Fail);
    if let Ok(users) = &mut inv.users {
        users[0].policies = Ok(vec![(
            "p".into(),
            doc(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"bedrock:*","Resource":"*"}]}"#,
            ),
        )]);
    }
    check("BB-64", &inv, Status::Pass);
    if let Ok(users) = &mut inv.users {
        users[0].policies = Err(Missing::Failed("AccessDenied".into()));
    }
    check("BB-64", &inv, Status::Unknown);
}

#[test]
fn key_and_topic_rules() {
    let mut inv = good();
    inv.keys.insert(
        KEY.into(),
        Ok(Key {
            rotation: Ok(Some(false)),
            ..key("CUSTOMER").unwrap()
        }),
    );
    check("BB-70", &inv, Status::Fail);
    inv.keys.insert(
        KEY.into(),
        Ok(Key {
            rotation: Err(Missing::Failed("x".into())),
            ..key("CUSTOMER").unwrap()
        }),
    );
    check("BB-70", &inv, Status::Unknown);
    inv.keys.insert(
        KEY.into(),
        Ok(Key {
            state: Some("PendingDeletion".into()),
            ..key("CUSTOMER").unwrap()
        }),
    );
    check("BB-72", &inv, Status::Fail);
    inv.keys.insert(
        KEY.into(),
        Ok(Key {
            multi_region: Some(true),
            ..key("CUSTOMER").unwrap()
        }),
    );
    check("BB-72", &inv, Status::Fail);
    inv.keys.insert(
        KEY.into(),
        Ok(Key {
            multi_region: None,
            ..key("CUSTOMER").unwrap()
        }),
    );
    check("BB-72", &inv, Status::Unknown);

    let mut inv = good();
    if let Ok(topics) = &mut inv.topics {
        topics[0].kms_key = None;
        topics[0].policy = Ok(Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sns:Publish","Resource":"*"}]}"#,
        )));
    }
    check("BB-73", &inv, Status::Fail);
    check("BB-74", &inv, Status::Fail);
    if let Ok(topics) = &mut inv.topics {
        // SNS's default policy: any AWS principal, restricted by AWS:SourceOwner
        topics[0].policy = Ok(Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"SNS:Publish","Resource":"*","Condition":{"StringEquals":{"AWS:SourceOwner":"123456789012"}}}]}"#,
        )));
    }
    check("BB-74", &inv, Status::Pass);
    if let Ok(topics) = &mut inv.topics {
        topics[0].policy = Err(Missing::Failed("x".into()));
    }
    check("BB-74", &inv, Status::Unknown);
}
