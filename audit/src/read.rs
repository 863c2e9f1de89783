//! The read layer: gathers each service's data once, concurrently, with one bound on the calls in
//! flight, into an [`Inventory`]. Read calls only. Every call that fails becomes a [`Missing`] in
//! the inventory (the rules then say UNKNOWN or NOT_APPLICABLE), never an early return: one denied
//! call must not hide the rest of the audit.

use crate::inventory::*;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use baseline_core::aws::{classify, ServiceErrorKind};
use baseline_core::policy::PolicyDocument;
use baseline_core::AwsContext;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tokio::sync::Semaphore;

mod iam;
mod monitoring;
mod s3;
mod workload;

/// Default bound on concurrent read calls.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Progress of the read phase, for the CLI's live display.
pub trait ReadProgress: Send + Sync {
    /// One service's reads are done (`what` e.g. "bedrock-agent agents: 3").
    fn read(&self, what: &str);
}

impl<F: Fn(&str) + Send + Sync> ReadProgress for F {
    fn read(&self, what: &str) {
        self(what)
    }
}

/// Reads the inventory of the context's account and region.
pub struct Reader {
    bedrock: aws_sdk_bedrock::Client,
    agent: aws_sdk_bedrockagent::Client,
    iam: aws_sdk_iam::Client,
    kms: aws_sdk_kms::Client,
    sns: aws_sdk_sns::Client,
    ec2: aws_sdk_ec2::Client,
    logs: aws_sdk_cloudwatchlogs::Client,
    s3: aws_sdk_s3::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    events: aws_sdk_eventbridge::Client,
    limit: Arc<Semaphore>,
    account_id: String,
    region: String,
    partition: String,
}

fn describe<E, R>(op: &str, err: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match (err.code(), err.message()) {
        (Some(code), Some(msg)) => format!("{op}: {code}: {msg}"),
        (Some(code), None) => format!("{op}: {code}"),
        _ => format!("{op}: {}", DisplayErrorContext(err)),
    }
}

/// A failed list call: `ValidationException` is how Bedrock answers in a region where the
/// feature is not offered (the convention Prowler adopted after prowler#5674; AWS documents no
/// dedicated error code for it), anything else is a failure.
fn list_missing<E, R>(op: &str, err: SdkError<E, R>) -> Missing
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = describe(op, &err);
    match classify(&err) {
        ServiceErrorKind::Validation => {
            Missing::NotOffered(format!("not offered in this region ({text})"))
        }
        _ => Missing::Failed(text),
    }
}

fn failed<E, R>(op: &str, err: SdkError<E, R>) -> Missing
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    Missing::Failed(describe(op, &err))
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

impl Reader {
    /// Clients from the context's `SdkConfig`, calls recorded in its call log.
    pub fn new(ctx: &AwsContext, concurrency: usize) -> Self {
        Self {
            bedrock: baseline_core::recorded_client!(ctx, aws_sdk_bedrock),
            agent: baseline_core::recorded_client!(ctx, aws_sdk_bedrockagent),
            iam: baseline_core::recorded_client!(ctx, aws_sdk_iam),
            kms: baseline_core::recorded_client!(ctx, aws_sdk_kms),
            sns: baseline_core::recorded_client!(ctx, aws_sdk_sns),
            ec2: baseline_core::recorded_client!(ctx, aws_sdk_ec2),
            logs: baseline_core::recorded_client!(ctx, aws_sdk_cloudwatchlogs),
            // Path-style URLs when an endpoint is overridden (the emulator has no per-bucket DNS).
            s3: aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(ctx.sdk())
                    .interceptor(ctx.call_recorder())
                    .force_path_style(ctx.endpoint_overridden())
                    .build(),
            ),
            cloudwatch: baseline_core::recorded_client!(ctx, aws_sdk_cloudwatch),
            events: baseline_core::recorded_client!(ctx, aws_sdk_eventbridge),
            limit: Arc::new(Semaphore::new(concurrency.max(1))),
            account_id: ctx.account_id().to_owned(),
            region: ctx.region().to_owned(),
            partition: ctx.partition().to_owned(),
        }
    }

    async fn permit(&self) -> tokio::sync::SemaphorePermit<'_> {
        self.limit.acquire().await.expect("semaphore never closed")
    }

    /// Reads everything the rules need. `stack` scopes the stack rules (see [`StackScope`]).
    pub async fn read(&self, stack: Option<StackScope>, progress: &dyn ReadProgress) -> Inventory {
        // Phase 1: the lists and per-resource details that depend on nothing else.
        let (
            logging,
            guardrails,
            agents,
            knowledge_bases,
            custom_models,
            topics,
            endpoints,
            roles,
            users,
            alarms,
            metric_filters,
            event_rules,
            log_deliveries,
            log_resource_policies,
            enforced_guardrails,
            local_policies,
            prompts,
            flows,
            imported_models,
            customization_jobs,
            invocation_jobs,
            evaluation_jobs,
        ) = tokio::join!(
            reported(progress, "bedrock invocation logging", self.logging()),
            reported(progress, "bedrock guardrails", self.guardrail_list()),
            reported(progress, "bedrock-agent agents", self.agents()),
            reported(
                progress,
                "bedrock-agent knowledge bases",
                self.knowledge_bases()
            ),
            reported(progress, "bedrock custom models", self.custom_models()),
            reported(progress, "sns topics", self.topics()),
            reported(progress, "ec2 vpc endpoints", self.endpoints()),
            reported(progress, "iam roles", self.roles()),
            reported(progress, "iam users", self.users()),
            reported(progress, "cloudwatch alarms", self.alarms()),
            reported(progress, "logs metric filters", self.metric_filters()),
            reported(progress, "events rules", self.event_rules()),
            reported(progress, "logs deliveries", self.log_deliveries()),
            reported(
                progress,
                "logs resource policies",
                self.log_resource_policies()
            ),
            reported(
                progress,
                "bedrock enforced guardrails",
                self.enforced_guardrails()
            ),
            reported(progress, "iam customer policies", self.local_policies()),
            reported(progress, "bedrock-agent prompts", self.prompts()),
            reported(progress, "bedrock-agent flows", self.flows()),
            reported(progress, "bedrock imported models", self.imported_models()),
            reported(
                progress,
                "bedrock customization jobs",
                self.customization_jobs()
            ),
            reported(progress, "bedrock invocation jobs", self.invocation_jobs()),
            reported(progress, "bedrock evaluation jobs", self.evaluation_jobs()),
        );
        let (roles, role_details) = match roles {
            Ok(pairs) => {
                let (roles, details): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
                (Ok(roles), details.into_iter().collect::<BTreeMap<_, _>>())
            }
            Err(m) => (Err(m), BTreeMap::new()),
        };
        let mut role_details = role_details;

        // Phase 2: guardrail versions in use, keys referenced, the invocation log group.
        let mut used_versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        if let Ok(agents) = &agents {
            for a in agents {
                let draft = a.detail.as_ref().ok().and_then(|d| d.guardrail.clone());
                let routed = a
                    .extras
                    .versions
                    .iter()
                    .flatten()
                    .map(|v| v.guardrail.clone());
                for (id, v) in std::iter::once(draft).chain(routed).flatten() {
                    if let Some(v) = v {
                        let id = id.rsplit('/').next().unwrap_or(&id).to_owned();
                        used_versions.entry(id).or_default().insert(v);
                    }
                }
            }
        }
        // The version the stack's model-access policy makes applications use: read it too, so a
        // fix made only to the DRAFT does not hide a weak published version.
        if let Some(name) = stack.as_ref().and_then(|s| s.model_access_policy.as_ref()) {
            let arn = format!(
                "arn:{}:iam::{}:policy/{name}",
                self.partition, self.account_id
            );
            let policy = self.managed_policy(&arn).await;
            if let Err(m) = &policy {
                tracing::warn!(policy = %arn, reason = m.reason(), "model-access policy not read: only DRAFT and agents' guardrail versions are judged");
            }
            if let Ok(doc) = policy {
                for pin in doc
                    .statement
                    .iter()
                    .filter_map(|s| {
                        s.condition_values("StringEquals", "bedrock:GuardrailIdentifier")
                    })
                    .flat_map(|v| v.0.iter())
                {
                    // `<guardrail arn>:<version>`; the guardrail id is the last path segment.
                    if let Some((gr, version)) = pin.rsplit_once(':') {
                        if let Some(id) = gr.rsplit('/').next() {
                            used_versions
                                .entry(id.to_owned())
                                .or_default()
                                .insert(version.to_owned());
                        }
                    }
                }
            }
        }
        let guardrails = match guardrails {
            Ok(list) => Ok(join_all(list.into_iter().map(|(id, arn, name)| {
                let versions: BTreeSet<String> =
                    used_versions.get(&id).cloned().unwrap_or_default();
                self.guardrail(id, arn, name, versions)
            }))
            .await),
            Err(m) => Err(m),
        };
        progress.read("bedrock guardrail versions");

        let log_group_name = logging
            .as_ref()
            .ok()
            .and_then(|l| l.as_ref())
            .and_then(|l| l.log_group.clone());
        let log_groups = match &log_group_name {
            Some(name) => BTreeMap::from([(name.clone(), self.log_group(name).await)]),
            None => BTreeMap::new(),
        };

        let mut key_refs: BTreeSet<String> = BTreeSet::new();
        if let Some(s) = &stack {
            key_refs.insert(s.key_alias.clone());
        }
        if let Ok(gs) = &guardrails {
            for g in gs {
                for v in &g.versions {
                    if let Ok(GuardrailDetail {
                        kms_key_arn: Some(k),
                        ..
                    }) = &v.detail
                    {
                        key_refs.insert(k.clone());
                    }
                }
            }
        }
        if let Ok(agents) = &agents {
            for a in agents {
                if let Ok(AgentDetail {
                    customer_key_arn: Some(k),
                    ..
                }) = &a.detail
                {
                    key_refs.insert(k.clone());
                }
            }
        }
        if let Ok(kbs) = &knowledge_bases {
            for kb in kbs {
                for ds in kb.data_sources.iter().flatten() {
                    if let Ok(Some(k)) = &ds.kms_key_arn {
                        key_refs.insert(k.clone());
                    }
                }
            }
        }
        if let Ok(models) = &custom_models {
            for m in models {
                if let Ok(Some(k)) = &m.kms_key_arn {
                    key_refs.insert(k.clone());
                }
            }
        }
        for g in log_groups.values() {
            if let Ok(Some(LogGroup {
                kms_key_id: Some(k),
                ..
            })) = g
            {
                key_refs.insert(k.clone());
            }
        }
        let more_reads = self
            .more_reads(
                stack.as_ref(),
                &logging,
                &agents,
                &knowledge_bases,
                &users,
                &topics,
                &alarms,
                &prompts,
                &evaluation_jobs,
            )
            .await;
        let MoreReads {
            buckets,
            listed_metrics,
            api_keys,
            boundaries,
            subscriptions,
            tags,
        } = more_reads;
        for (role, boundary) in boundaries {
            if let Some(d) = role_details.get_mut(&role) {
                d.boundary = Some(boundary);
            }
        }
        progress.read("s3 buckets, metrics, api keys, subscriptions");
        for b in buckets.values().flatten() {
            if let Ok(Some((algo, Some(k)))) = &b.encryption {
                if algo == "aws:kms" || algo == "aws:kms:dsse" {
                    key_refs.insert(k.clone());
                }
            }
        }
        for p in prompts.iter().flatten() {
            if let Ok(Some(k)) = &p.key {
                key_refs.insert(k.clone());
            }
        }
        for f in flows.iter().flatten() {
            if let Ok(FlowDetail { key: Some(k), .. }) = &f.detail {
                key_refs.insert(k.clone());
            }
        }
        for m in imported_models.iter().flatten() {
            if let Ok(Some(k)) = &m.key {
                key_refs.insert(k.clone());
            }
        }
        for j in invocation_jobs.iter().flatten() {
            if let Ok(Some(k)) = &j.output_key {
                key_refs.insert(k.clone());
            }
        }
        let keys: BTreeMap<String, Read<Key>> =
            join_all(key_refs.into_iter().map(|k| async move {
                let v = self.key(&k).await;
                (k, v)
            }))
            .await
            .into_iter()
            .collect();
        // Key policies of the keys the key rules judge (the stack's, else every customer key),
        // read by key ARN: GetKeyPolicy takes no alias
        // (https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html).
        let policy_refs: Vec<(String, String)> = keys
            .iter()
            .filter(|(r, _)| match &stack {
                Some(s) => **r == s.key_alias,
                None => true,
            })
            .filter_map(|(r, k)| match k {
                Ok(k) if k.manager.as_deref() == Some("CUSTOMER") => {
                    Some((r.clone(), k.arn.clone()))
                }
                _ => None,
            })
            .collect();
        let key_policies: BTreeMap<String, Read<PolicyDocument>> =
            join_all(policy_refs.into_iter().map(|(r, arn)| async move {
                let v = self.key_policy(&arn).await;
                (r, v)
            }))
            .await
            .into_iter()
            .collect();
        progress.read("kms keys");

        Inventory {
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            partition: self.partition.clone(),
            stack,
            logging,
            guardrails,
            agents,
            knowledge_bases,
            custom_models,
            keys,
            log_groups,
            topics,
            endpoints,
            roles,
            users,
            more: More {
                buckets,
                alarms,
                listed_metrics,
                metric_filters,
                event_rules,
                log_deliveries,
                log_resource_policies,
                enforced_guardrails,
                role_details,
                local_policies,
                api_keys,
                prompts,
                flows,
                imported_models,
                customization_jobs,
                invocation_jobs,
                evaluation_jobs,
                key_policies,
                subscriptions,
                tags,
                access_paths: None,
            },
        }
    }

    // -- bedrock -------------------------------------------------------------------------------

    async fn logging(&self) -> Read<Option<LoggingConfig>> {
        let _p = self.permit().await;
        let out = self
            .bedrock
            .get_model_invocation_logging_configuration()
            .send()
            .await
            .map_err(|e| list_missing("bedrock:GetModelInvocationLoggingConfiguration", e))?;
        let config = out.logging_config().map(|c| LoggingConfig {
            log_group: c
                .cloud_watch_config()
                .and_then(|w| non_empty(w.log_group_name())),
            bucket: c.s3_config().and_then(|s| non_empty(s.bucket_name())),
            text_data_delivery: c.text_data_delivery_enabled(),
            large_data_bucket: c
                .cloud_watch_config()
                .and_then(|w| w.large_data_delivery_s3_config())
                .and_then(|s| non_empty(s.bucket_name())),
        });
        // A configuration with no destination delivers nothing: logging is off (Prowler's
        // reading too: "FAIL if loggingConfig empty").
        Ok(config.filter(|c| c.log_group.is_some() || c.bucket.is_some()))
    }

    async fn guardrail_list(&self) -> Read<Vec<(String, String, String)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.bedrock
                    .list_guardrails()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("bedrock:ListGuardrails", e))?
            };
            for g in page.guardrails() {
                out.push((g.id().to_owned(), g.arn().to_owned(), g.name().to_owned()));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn guardrail(
        &self,
        id: String,
        arn: String,
        name: String,
        mut versions: BTreeSet<String>,
    ) -> Guardrail {
        versions.insert("DRAFT".into());
        let tags = async {
            let _p = self.permit().await;
            self.bedrock
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map(|o| {
                    o.tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned()))
                        .collect()
                })
                .map_err(|e| failed("bedrock:ListTagsForResource", e))
        };
        let latest = async {
            let mut latest: Option<u64> = None;
            let mut token: Option<String> = None;
            loop {
                let page = {
                    let _p = self.permit().await;
                    self.bedrock
                        .list_guardrails()
                        .guardrail_identifier(&id)
                        .set_next_token(token.clone())
                        .send()
                        .await
                        .map_err(|e| failed("bedrock:ListGuardrails(guardrailIdentifier)", e))?
                };
                for g in page.guardrails() {
                    if let Ok(n) = g.version().parse::<u64>() {
                        latest = latest.max(Some(n));
                    }
                }
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                    _ => break,
                }
            }
            Ok(latest.map(|n| n.to_string()))
        };
        let details = join_all(versions.into_iter().map(|v| {
            let id = id.clone();
            async move {
                let _p = self.permit().await;
                let mut req = self.bedrock.get_guardrail().guardrail_identifier(&id);
                if v != "DRAFT" {
                    req = req.guardrail_version(&v);
                }
                let detail = req
                    .send()
                    .await
                    .map_err(|e| failed("bedrock:GetGuardrail", e))
                    .map(|g| GuardrailDetail {
                        status: Some(g.status().as_str().to_owned()),
                        kms_key_arn: g.kms_key_arn().map(str::to_owned),
                        content_filters: g.content_policy().map(|c| {
                            c.filters()
                                .iter()
                                .map(|f| ContentFilter {
                                    kind: f.r#type().as_str().to_owned(),
                                    input_strength: non_empty(f.input_strength().as_str()),
                                    output_strength: non_empty(f.output_strength().as_str()),
                                })
                                .collect()
                        }),
                        sensitive_info: g.sensitive_information_policy().map(|s| SensitiveInfo {
                            entries: s
                                .pii_entities()
                                .iter()
                                .map(|p| SensitiveEntry {
                                    name: p.r#type().as_str().to_owned(),
                                    action: non_empty(p.action().as_str()),
                                    output_action: p.output_action().map(|a| a.as_str().to_owned()),
                                    output_enabled: p.output_enabled(),
                                })
                                .chain(s.regexes().iter().map(|r| SensitiveEntry {
                                    name: r.name().to_owned(),
                                    action: non_empty(r.action().as_str()),
                                    output_action: r.output_action().map(|a| a.as_str().to_owned()),
                                    output_enabled: r.output_enabled(),
                                }))
                                .collect(),
                        }),
                        grounding_filters: g.contextual_grounding_policy().map(|c| {
                            c.filters()
                                .iter()
                                .map(|f| GroundingFilter {
                                    kind: f.r#type().as_str().to_owned(),
                                    threshold: Some(f.threshold()),
                                    action: f.action().map(|a| a.as_str().to_owned()),
                                    enabled: f.enabled(),
                                })
                                .collect()
                        }),
                        denied_topics: g.topic_policy().map(|t| t.topics().len()),
                        word_filters: g
                            .word_policy()
                            .map(|w| w.words().len() + w.managed_word_lists().len()),
                        content_tier: g
                            .content_policy()
                            .and_then(|c| c.tier())
                            .map(|t| t.tier_name().as_str().to_owned()),
                        automated_reasoning: g
                            .automated_reasoning_policy()
                            .map(|a| a.policies().len()),
                    });
                GuardrailVersion { version: v, detail }
            }
        }));
        let (tags, latest_version, versions) = tokio::join!(tags, latest, details);
        Guardrail {
            id,
            arn,
            name,
            tags,
            latest_version,
            versions,
        }
    }

    async fn custom_models(&self) -> Read<Vec<CustomModel>> {
        let mut summaries = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.bedrock
                    .list_custom_models()
                    .is_owned(true)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("bedrock:ListCustomModels", e))?
            };
            for m in page.model_summaries() {
                summaries.push((m.model_arn().to_owned(), m.model_name().to_owned()));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(
            join_all(summaries.into_iter().map(|(arn, name)| async move {
                let _p = self.permit().await;
                let kms_key_arn = self
                    .bedrock
                    .get_custom_model()
                    .model_identifier(&arn)
                    .send()
                    .await
                    .map(|m| m.model_kms_key_arn().map(str::to_owned))
                    .map_err(|e| failed("bedrock:GetCustomModel", e));
                CustomModel {
                    arn,
                    name,
                    kms_key_arn,
                }
            }))
            .await,
        )
    }

    // -- bedrock-agent -------------------------------------------------------------------------

    async fn agents(&self) -> Read<Vec<Agent>> {
        let mut summaries = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.agent
                    .list_agents()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("bedrock-agent:ListAgents", e))?
            };
            for a in page.agent_summaries() {
                summaries.push((a.agent_id().to_owned(), a.agent_name().to_owned()));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(join_all(summaries.into_iter().map(|(id, name)| async move {
            let permit = self.permit().await;
            let detail = self
                .agent
                .get_agent()
                .agent_id(&id)
                .send()
                .await
                .map_err(|e| failed("bedrock-agent:GetAgent", e))
                .and_then(|o| {
                    let a = o
                        .agent()
                        .ok_or_else(|| Missing::Failed("GetAgent returned no agent".into()))?;
                    Ok(AgentDetail {
                        arn: a.agent_arn().to_owned(),
                        role_arn: non_empty(a.agent_resource_role_arn()),
                        customer_key_arn: a.customer_encryption_key_arn().map(str::to_owned),
                        guardrail: a.guardrail_configuration().and_then(|g| {
                            g.guardrail_identifier()
                                .filter(|i| !i.is_empty())
                                .map(|i| (i.to_owned(), g.guardrail_version().map(str::to_owned)))
                        }),
                        // The SDK fills a missing required integer with 0; the API's minimum is 60.
                        idle_session_ttl: Some(a.idle_session_ttl_in_seconds()).filter(|t| *t > 0),
                    })
                });
            drop(permit); // the extras below take permits of their own
            let extras = self.agent_extras(&id).await;
            Agent {
                id,
                name,
                detail,
                extras,
            }
        }))
        .await)
    }

    async fn knowledge_bases(&self) -> Read<Vec<KnowledgeBase>> {
        let mut summaries = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.agent
                    .list_knowledge_bases()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("bedrock-agent:ListKnowledgeBases", e))?
            };
            for kb in page.knowledge_base_summaries() {
                summaries.push((kb.knowledge_base_id().to_owned(), kb.name().to_owned()));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(join_all(summaries.into_iter().map(|(id, name)| async move {
            let (data_sources, detail) = tokio::join!(self.data_sources(&id), self.kb_detail(&id));
            KnowledgeBase {
                id,
                name,
                data_sources,
                detail,
            }
        }))
        .await)
    }

    async fn data_sources(&self, kb: &str) -> Read<Vec<DataSource>> {
        let mut summaries = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.agent
                    .list_data_sources()
                    .knowledge_base_id(kb)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| failed("bedrock-agent:ListDataSources", e))?
            };
            for ds in page.data_source_summaries() {
                summaries.push((ds.data_source_id().to_owned(), ds.name().to_owned()));
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(join_all(summaries.into_iter().map(|(id, name)| async move {
            let got = {
                let _p = self.permit().await;
                self.agent
                    .get_data_source()
                    .knowledge_base_id(kb)
                    .data_source_id(&id)
                    .send()
                    .await
                    .map_err(|e| failed("bedrock-agent:GetDataSource", e))
                    .and_then(|o| {
                        o.data_source().cloned().ok_or_else(|| {
                            Missing::Failed("GetDataSource returned no dataSource".into())
                        })
                    })
            };
            let kms_key_arn = got.as_ref().map_err(Clone::clone).map(|ds| {
                ds.server_side_encryption_configuration()
                    .and_then(|s| s.kms_key_arn())
                    .map(str::to_owned)
            });
            let detail = match &got {
                Err(m) => Err(m.clone()),
                Ok(ds) => Ok(DataSourceDetail {
                    status: Some(ds.status().as_str().to_owned()),
                    deletion_policy: ds.data_deletion_policy().map(|p| p.as_str().to_owned()),
                    failure_reasons: ds.failure_reasons().to_vec(),
                    bucket_arn: ds
                        .data_source_configuration()
                        .and_then(|c| c.s3_configuration())
                        .and_then(|c| non_empty(c.bucket_arn())),
                    ingestion_jobs: self.ingestion_jobs(kb, &id).await,
                }),
            };
            DataSource {
                id,
                name,
                kms_key_arn,
                detail,
            }
        }))
        .await)
    }

    // -- kms, logs -----------------------------------------------------------------------------

    async fn key(&self, reference: &str) -> Read<Key> {
        let meta = {
            let _p = self.permit().await;
            self.kms
                .describe_key()
                .key_id(reference)
                .send()
                .await
                .map_err(|e| failed("kms:DescribeKey", e))?
        };
        let m = meta
            .key_metadata()
            .ok_or_else(|| Missing::Failed("DescribeKey returned no KeyMetadata".into()))?;
        let manager = m.key_manager().map(|k| k.as_str().to_owned());
        let rotation = if manager.as_deref() == Some("CUSTOMER") {
            let _p = self.permit().await;
            self.kms
                .get_key_rotation_status()
                .key_id(m.key_id())
                .send()
                .await
                .map(|r| Some(r.key_rotation_enabled()))
                .map_err(|e| failed("kms:GetKeyRotationStatus", e))
        } else {
            Ok(None)
        };
        Ok(Key {
            arn: m.arn().map_or_else(|| reference.to_owned(), str::to_owned),
            manager,
            state: m.key_state().map(|s| s.as_str().to_owned()),
            spec: m.key_spec().map(|s| s.as_str().to_owned()),
            multi_region: m.multi_region(),
            rotation,
        })
    }

    async fn log_group(&self, name: &str) -> Read<Option<LogGroup>> {
        let _p = self.permit().await;
        let out = self
            .logs
            .describe_log_groups()
            .log_group_name_prefix(name)
            .send()
            .await
            .map_err(|e| failed("logs:DescribeLogGroups", e))?;
        Ok(out
            .log_groups()
            .iter()
            .find(|g| g.log_group_name() == Some(name))
            .map(|g| LogGroup {
                name: name.to_owned(),
                arn: g.arn().map(str::to_owned),
                kms_key_id: g.kms_key_id().map(str::to_owned),
                retention_days: g.retention_in_days(),
            }))
    }

    // -- sns, ec2 ------------------------------------------------------------------------------

    async fn topics(&self) -> Read<Vec<Topic>> {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.sns
                    .list_topics()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("sns:ListTopics", e))?
            };
            arns.extend(
                page.topics()
                    .iter()
                    .filter_map(|t| t.topic_arn().map(str::to_owned)),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(join_all(arns.into_iter().map(|arn| async move {
            let _p = self.permit().await;
            match self.sns.get_topic_attributes().topic_arn(&arn).send().await {
                Err(e) => {
                    let m = failed("sns:GetTopicAttributes", e);
                    Topic {
                        arn,
                        kms_key: None,
                        policy: Err(m),
                    }
                }
                Ok(o) => {
                    let attrs = o.attributes();
                    let get = |k: &str| {
                        attrs
                            .and_then(|a| a.get(k))
                            .filter(|v| !v.is_empty())
                            .cloned()
                    };
                    let policy = match get("Policy") {
                        None => Ok(None),
                        Some(text) => PolicyDocument::parse(&text).map(Some).map_err(|e| {
                            Missing::Failed(format!("topic policy did not parse: {e}"))
                        }),
                    };
                    Topic {
                        kms_key: get("KmsMasterKeyId"),
                        policy,
                        arn,
                    }
                }
            }
        }))
        .await)
    }

    async fn endpoints(&self) -> Read<Vec<VpcEndpoint>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.ec2
                    .describe_vpc_endpoints()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("ec2:DescribeVpcEndpoints", e))?
            };
            for e in page.vpc_endpoints() {
                let service = e.service_name().unwrap_or_default();
                out.push(VpcEndpoint {
                    id: e.vpc_endpoint_id().unwrap_or_default().to_owned(),
                    service_name: service.to_owned(),
                    vpc_id: e.vpc_id().unwrap_or_default().to_owned(),
                    kind: e
                        .vpc_endpoint_type()
                        .map(|t| t.as_str().to_owned())
                        .unwrap_or_default(),
                    state: e
                        .state()
                        .map(|t| t.as_str().to_ascii_lowercase())
                        .unwrap_or_default(),
                    subnet_ids: e.subnet_ids().to_vec(),
                    tags: e
                        .tags()
                        .iter()
                        .filter_map(|t| {
                            Some((
                                t.key()?.to_owned(),
                                t.value().unwrap_or_default().to_owned(),
                            ))
                        })
                        .collect(),
                    policy: match e.policy_document().filter(|p| !p.is_empty()) {
                        None => Ok(None),
                        Some(text) => PolicyDocument::parse(text)
                            .map(Some)
                            .map_err(|e| e.to_string()),
                    },
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        Ok(out)
    }

    // -- iam -----------------------------------------------------------------------------------

    async fn roles(&self) -> Read<Vec<(Role, (String, RoleDetail))>> {
        let mut roles = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.iam
                    .list_roles()
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("iam:ListRoles", e))?
            };
            for r in page.roles() {
                let trust = match r.assume_role_policy_document() {
                    None | Some("") => Ok(None),
                    Some(text) => PolicyDocument::parse(text)
                        .map(Some)
                        .map_err(|e| e.to_string()),
                };
                roles.push((
                    r.role_name().to_owned(),
                    r.arn().to_owned(),
                    r.path().to_owned(),
                    trust,
                ));
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        Ok(join_all(
            roles
                .into_iter()
                .map(|(name, arn, path, trust)| async move {
                    let (attached, inline) = tokio::join!(
                        self.attached(AttachedTo::Role(&name)),
                        self.role_inline(&name)
                    );
                    let detail = RoleDetail {
                        trust,
                        inline,
                        boundary: None,
                    };
                    (
                        Role {
                            name: name.clone(),
                            arn,
                            path,
                            attached,
                        },
                        (name, detail),
                    )
                }),
        )
        .await)
    }

    async fn attached(&self, to: AttachedTo<'_>) -> Read<Vec<String>> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let _p = self.permit().await;
            let (arns, truncated, next) = match to {
                AttachedTo::Role(n) => {
                    let o = self
                        .iam
                        .list_attached_role_policies()
                        .role_name(n)
                        .set_marker(marker.clone())
                        .send()
                        .await
                        .map_err(|e| failed("iam:ListAttachedRolePolicies", e))?;
                    (
                        o.attached_policies()
                            .iter()
                            .filter_map(|p| p.policy_arn().map(str::to_owned))
                            .collect::<Vec<_>>(),
                        o.is_truncated(),
                        o.marker().map(str::to_owned),
                    )
                }
                AttachedTo::User(n) => {
                    let o = self
                        .iam
                        .list_attached_user_policies()
                        .user_name(n)
                        .set_marker(marker.clone())
                        .send()
                        .await
                        .map_err(|e| failed("iam:ListAttachedUserPolicies", e))?;
                    (
                        o.attached_policies()
                            .iter()
                            .filter_map(|p| p.policy_arn().map(str::to_owned))
                            .collect::<Vec<_>>(),
                        o.is_truncated(),
                        o.marker().map(str::to_owned),
                    )
                }
            };
            out.extend(arns);
            match (truncated, next) {
                (true, Some(m)) => marker = Some(m),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn users(&self) -> Read<Vec<User>> {
        let mut users = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = {
                let _p = self.permit().await;
                self.iam
                    .list_users()
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(|e| list_missing("iam:ListUsers", e))?
            };
            for u in page.users() {
                users.push((u.user_name().to_owned(), u.arn().to_owned()));
            }
            match (page.is_truncated(), page.marker()) {
                (true, Some(m)) => marker = Some(m.to_owned()),
                _ => break,
            }
        }
        Ok(join_all(users.into_iter().map(|(name, arn)| async move {
            let policies = self.user_policies(&name).await;
            User {
                name,
                arn,
                policies,
            }
        }))
        .await)
    }

    /// The documents of a user's inline policies and the default versions of its attached ones.
    async fn user_policies(&self, user: &str) -> Read<Vec<(String, PolicyDocument)>> {
        let names = {
            let _p = self.permit().await;
            self.iam
                .list_user_policies()
                .user_name(user)
                .send()
                .await
                .map_err(|e| failed("iam:ListUserPolicies", e))?
                .policy_names()
                .to_vec()
        };
        let mut docs = Vec::new();
        for name in names {
            let text = {
                let _p = self.permit().await;
                self.iam
                    .get_user_policy()
                    .user_name(user)
                    .policy_name(&name)
                    .send()
                    .await
                    .map_err(|e| failed("iam:GetUserPolicy", e))?
                    .policy_document()
                    .to_owned()
            };
            let doc = PolicyDocument::parse(&text)
                .map_err(|e| Missing::Failed(format!("inline policy {name} did not parse: {e}")))?;
            docs.push((name, doc));
        }
        for arn in self.attached(AttachedTo::User(user)).await? {
            docs.push((arn.clone(), self.managed_policy(&arn).await?));
        }
        Ok(docs)
    }

    async fn managed_policy(&self, arn: &str) -> Read<PolicyDocument> {
        let _p = self.permit().await;
        let policy = self
            .iam
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| failed("iam:GetPolicy", e))?;
        let version = policy
            .policy()
            .and_then(|p| p.default_version_id())
            .ok_or_else(|| Missing::Failed(format!("{arn}: no default version")))?
            .to_owned();
        let v = self
            .iam
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| failed("iam:GetPolicyVersion", e))?;
        let text = v
            .policy_version()
            .and_then(|p| p.document())
            .ok_or_else(|| Missing::Failed(format!("{arn}: no document")))?;
        PolicyDocument::parse(text)
            .map_err(|e| Missing::Failed(format!("{arn} did not parse: {e}")))
    }
}

#[derive(Clone, Copy)]
enum AttachedTo<'a> {
    Role(&'a str),
    User(&'a str),
}

/// Awaits one read, then tells `progress` it is done, so the progress line moves as reads finish.
async fn reported<T>(
    progress: &dyn ReadProgress,
    what: &str,
    read: impl std::future::Future<Output = T>,
) -> T {
    let value = read.await;
    progress.read(what);
    value
}

/// The reads of phase 2 that depend on phase 1's lists.
struct MoreReads {
    buckets: BTreeMap<String, Read<Bucket>>,
    listed_metrics: BTreeMap<String, Read<BTreeSet<String>>>,
    api_keys: BTreeMap<String, Read<Vec<ApiKey>>>,
    boundaries: Vec<(String, Read<Option<String>>)>,
    subscriptions: BTreeMap<String, Read<Vec<Subscription>>>,
    tags: BTreeMap<String, Read<Tags>>,
}

impl Reader {
    /// Buckets the S3 rules judge, metrics the alarms watch, users' API keys, agent roles'
    /// boundaries, topics' subscriptions, KB and prompt tags: all side by side.
    #[allow(clippy::too_many_arguments)]
    async fn more_reads(
        &self,
        stack: Option<&StackScope>,
        logging: &Read<Option<LoggingConfig>>,
        agents: &Read<Vec<Agent>>,
        knowledge_bases: &Read<Vec<KnowledgeBase>>,
        users: &Read<Vec<User>>,
        topics: &Read<Vec<Topic>>,
        alarms: &Read<Vec<Alarm>>,
        prompts: &Read<Vec<Prompt>>,
        evaluation_jobs: &Read<Vec<EvaluationJob>>,
    ) -> MoreReads {
        let mut bucket_names: BTreeSet<String> = BTreeSet::new();
        if let Ok(Some(c)) = logging {
            bucket_names.extend(c.bucket.clone());
            bucket_names.extend(c.large_data_bucket.clone());
        }
        if let Some(b) = stack.and_then(|s| s.log_bucket.clone()) {
            bucket_names.insert(b);
        }
        for kb in knowledge_bases.iter().flatten() {
            for ds in kb.data_sources.iter().flatten() {
                if let Ok(DataSourceDetail {
                    bucket_arn: Some(arn),
                    ..
                }) = &ds.detail
                {
                    bucket_names.insert(arn.trim_start_matches("arn:aws:s3:::").to_owned());
                }
            }
        }
        for j in evaluation_jobs.iter().flatten() {
            if let Ok(Some(b)) = &j.output_bucket {
                bucket_names.insert(b.clone());
            }
        }
        let buckets = join_all(bucket_names.into_iter().map(|b| async move {
            let v = self.bucket(&b).await;
            (b, Ok(v))
        }));

        let namespaces: BTreeSet<String> = alarms
            .iter()
            .flatten()
            .flat_map(|a| a.metrics.iter().map(|(ns, _)| ns.clone()))
            .collect();
        let listed = join_all(namespaces.into_iter().map(|ns| async move {
            let v = self.listed_metrics(&ns).await;
            (ns, v)
        }));

        let user_names: Vec<String> = users.iter().flatten().map(|u| u.name.clone()).collect();
        let api_keys = join_all(user_names.into_iter().map(|u| async move {
            let v = self.api_keys(&u).await;
            (u, v)
        }));

        let mut agent_roles: BTreeSet<String> = BTreeSet::new();
        for a in agents.iter().flatten() {
            if let Ok(AgentDetail {
                role_arn: Some(r), ..
            }) = &a.detail
            {
                agent_roles.insert(r.rsplit('/').next().unwrap_or(r).to_owned());
            }
            for v in a.extras.versions.iter().flatten() {
                if let Some(r) = &v.role_arn {
                    agent_roles.insert(r.rsplit('/').next().unwrap_or(r).to_owned());
                }
            }
        }
        let boundaries = join_all(agent_roles.into_iter().map(|r| async move {
            let v = self.role_boundary(&r).await;
            (r, v)
        }));

        let topic_arns: Vec<String> = topics.iter().flatten().map(|t| t.arn.clone()).collect();
        let subscriptions = join_all(topic_arns.into_iter().map(|t| async move {
            let v = self.subscriptions(&t).await;
            (t, v)
        }));

        let mut tagged: Vec<String> = Vec::new();
        for kb in knowledge_bases.iter().flatten() {
            if let Ok(d) = &kb.detail {
                tagged.push(d.arn.clone());
            }
        }
        tagged.extend(prompts.iter().flatten().map(|p| p.arn.clone()));
        let tags = join_all(tagged.into_iter().map(|arn| async move {
            let v = self.agent_tags(&arn).await;
            (arn, v)
        }));

        let (buckets, listed, api_keys, boundaries, subscriptions, tags) =
            tokio::join!(buckets, listed, api_keys, boundaries, subscriptions, tags);
        MoreReads {
            buckets: buckets.into_iter().collect(),
            listed_metrics: listed.into_iter().collect(),
            api_keys: api_keys.into_iter().collect(),
            boundaries,
            subscriptions: subscriptions.into_iter().collect(),
            tags: tags.into_iter().collect(),
        }
    }
}
