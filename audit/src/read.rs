//! The read layer: gathers each service's data once, concurrently, with one bound on the calls in
//! flight, into an [`Inventory`]. Read calls only. Every call that fails becomes a [`Missing`] in
//! the inventory (the rules then say UNKNOWN or NOT_APPLICABLE), never an early return: one denied
//! call must not hide the rest of the audit.
//!
//! One file per service (`read/<service>.rs`) holds its calls and what the later phases need from
//! its answers; this file holds the reader, the shared call and paging helpers and the phases.

use crate::inventory::*;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use baseline_core::aws::{classify, ServiceErrorKind};
use baseline_core::AwsContext;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;

mod agents;
mod bedrock;
mod ec2;
mod iam;
mod kms;
mod knowledge_bases;
mod monitoring;
mod s3;
mod sns;
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

/// How a failed call becomes a [`Missing`]: [`list_missing`] or [`failed`].
type MissingOf<E, R> = fn(&str, SdkError<E, R>) -> Missing;

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

/// A page of a list call: the token its next page starts at, `None` on the last.
trait Page {
    fn next(&self) -> Option<&str>;
}

/// Pages with a `NextToken`: `None`, or an empty token, ends the list.
macro_rules! token_pages {
    ($($sdk:ident: $($op:ident::$out:ident),+;)+) => {$($(
        impl Page for $sdk::operation::$op::$out {
            fn next(&self) -> Option<&str> {
                self.next_token().filter(|t| !t.is_empty())
            }
        }
    )+)+};
}

/// IAM pages: the `Marker` is followed only while the page `IsTruncated`.
macro_rules! marker_pages {
    ($($op:ident::$out:ident),+) => {$(
        impl Page for aws_sdk_iam::operation::$op::$out {
            fn next(&self) -> Option<&str> {
                self.marker().filter(|_| self.is_truncated())
            }
        }
    )+};
}

token_pages! {
    aws_sdk_bedrock: list_guardrails::ListGuardrailsOutput,
        list_custom_models::ListCustomModelsOutput,
        list_imported_models::ListImportedModelsOutput,
        list_model_customization_jobs::ListModelCustomizationJobsOutput,
        list_model_invocation_jobs::ListModelInvocationJobsOutput,
        list_evaluation_jobs::ListEvaluationJobsOutput,
        list_enforced_guardrails_configuration::ListEnforcedGuardrailsConfigurationOutput;
    aws_sdk_bedrockagent: list_agents::ListAgentsOutput,
        list_agent_aliases::ListAgentAliasesOutput,
        list_agent_action_groups::ListAgentActionGroupsOutput,
        list_knowledge_bases::ListKnowledgeBasesOutput,
        list_data_sources::ListDataSourcesOutput,
        list_ingestion_jobs::ListIngestionJobsOutput,
        list_prompts::ListPromptsOutput,
        list_flows::ListFlowsOutput;
    aws_sdk_cloudwatch: describe_alarms::DescribeAlarmsOutput,
        list_metrics::ListMetricsOutput;
    aws_sdk_cloudwatchlogs: describe_metric_filters::DescribeMetricFiltersOutput,
        describe_delivery_sources::DescribeDeliverySourcesOutput,
        describe_deliveries::DescribeDeliveriesOutput,
        describe_resource_policies::DescribeResourcePoliciesOutput;
    aws_sdk_eventbridge: list_rules::ListRulesOutput;
    aws_sdk_sns: list_topics::ListTopicsOutput,
        list_subscriptions_by_topic::ListSubscriptionsByTopicOutput;
    aws_sdk_ec2: describe_vpc_endpoints::DescribeVpcEndpointsOutput;
}

marker_pages!(
    list_roles::ListRolesOutput,
    list_attached_role_policies::ListAttachedRolePoliciesOutput,
    list_attached_user_policies::ListAttachedUserPoliciesOutput,
    list_users::ListUsersOutput,
    list_role_policies::ListRolePoliciesOutput,
    list_policies::ListPoliciesOutput
);

/// Runs `read(key)` for every key side by side; the answers paired with their keys, in order.
async fn keyed<K: Clone, V, F: Future<Output = V>>(
    keys: impl IntoIterator<Item = K>,
    read: impl Fn(K) -> F,
) -> Vec<(K, V)> {
    join_all(keys.into_iter().map(|k| {
        let answer = read(k.clone());
        async move { (k, answer.await) }
    }))
    .await
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

    /// One call under the bound: the permit is held while `request` is in flight only (an SDK
    /// `send()` does nothing until awaited), so callers never hold one while waiting for another.
    async fn call_as<O, E, R>(
        &self,
        op: &str,
        missing: MissingOf<E, R>,
        request: impl Future<Output = Result<O, SdkError<E, R>>>,
    ) -> Read<O> {
        let _p = self.permit().await;
        request.await.map_err(|e| missing(op, e))
    }

    /// [`call_as`](Self::call_as) whose every failure is [`failed`].
    async fn call<O, E, R>(
        &self,
        op: &str,
        request: impl Future<Output = Result<O, SdkError<E, R>>>,
    ) -> Read<O>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        self.call_as(op, failed, request).await
    }

    /// A paginated list call to its last page, one [`call_as`](Self::call_as) a page: `send`
    /// sends the request with the previous page's token, `items` is what a page lists. The
    /// first failed page fails it all.
    async fn paged<P: Page, T, E, R, F>(
        &self,
        op: &str,
        missing: MissingOf<E, R>,
        mut send: impl FnMut(Option<String>) -> F,
        mut items: impl FnMut(&P) -> Vec<T>,
    ) -> Read<Vec<T>>
    where
        F: Future<Output = Result<P, SdkError<E, R>>>,
    {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.call_as(op, missing, send(token.take())).await?;
            out.extend(items(&page));
            match page.next() {
                Some(t) => token = Some(t.to_owned()),
                None => break,
            }
        }
        Ok(out)
    }

    /// Every item of `list` with its one detail call, side by side: `request` sends the item's
    /// call ([`failed`] on error), `build` makes the value of the item and the call's answer.
    async fn detailed<S, O, T, E, R, F>(
        &self,
        list: Read<Vec<S>>,
        op: &str,
        request: impl Fn(&S) -> F,
        build: impl Fn(S, Read<O>) -> T,
    ) -> Read<Vec<T>>
    where
        F: Future<Output = Result<O, SdkError<E, R>>>,
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let build = &build;
        Ok(join_all(list?.into_iter().map(|item| {
            let answer = self.call(op, request(&item));
            async move { build(item, answer.await) }
        }))
        .await)
    }

    /// Reads everything the rules need. `stack` scopes the stack rules (see [`StackScope`]).
    pub async fn read(&self, stack: Option<StackScope>, progress: &dyn ReadProgress) -> Inventory {
        // Phase 1: the lists (each with its per-resource details) and the stack's model-access
        // policy, which depend on nothing else.
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
            model_access,
        ) = Box::pin(async {
            tokio::join!(
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
                self.model_access_policy(stack.as_ref()),
            )
        })
        .await;
        let (roles, mut role_details) = match roles {
            Ok(pairs) => {
                let (roles, details): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
                (Ok(roles), details.into_iter().collect::<BTreeMap<_, _>>())
            }
            Err(m) => (Err(m), BTreeMap::new()),
        };

        // Phase 2, side by side: the guardrail versions in use, the invocation log group, what
        // phase 1's lists point at, and the keys phase 1 already names.
        let used_versions = bedrock::versions_in_use(&agents, model_access.as_ref());
        let listed_keys = kms::listed_refs(
            stack.as_ref(),
            &agents,
            &knowledge_bases,
            &custom_models,
            &prompts,
            &flows,
            &imported_models,
            &invocation_jobs,
        );
        let (guardrails, log_groups, more_reads, (mut keys, mut key_policies)) = Box::pin(async {
            tokio::join!(
                reported(
                    progress,
                    "bedrock guardrail versions",
                    self.guardrails(guardrails, &used_versions)
                ),
                self.log_groups(&logging),
                reported(
                    progress,
                    "s3 buckets, metrics, api keys, subscriptions",
                    self.more_reads(
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
                ),
                self.keys(listed_keys, stack.as_ref()),
            )
        })
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

        // Phase 3: the keys only phase 2 names (guardrail versions', the log group's, buckets').
        let found_keys: BTreeSet<String> = kms::found_refs(&guardrails, &log_groups, &buckets)
            .into_iter()
            .filter(|k| !keys.contains_key(k))
            .collect();
        let (more_keys, more_key_policies) = self.keys(found_keys, stack.as_ref()).await;
        keys.extend(more_keys);
        key_policies.extend(more_key_policies);
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
        let bucket_names = s3::bucket_names(stack, logging, knowledge_bases, evaluation_jobs);
        let namespaces: BTreeSet<String> = alarms
            .iter()
            .flatten()
            .flat_map(|a| a.metrics.iter().map(|(ns, _)| ns.clone()))
            .collect();
        let user_names = users.iter().flatten().map(|u| u.name.clone());
        let topic_arns = topics.iter().flatten().map(|t| t.arn.clone());
        let (buckets, listed, api_keys, boundaries, subscriptions, tags) = tokio::join!(
            keyed(bucket_names, |b| async move { Ok(self.bucket(&b).await) }),
            keyed(
                namespaces,
                |ns| async move { self.listed_metrics(&ns).await }
            ),
            keyed(user_names, |u| async move { self.api_keys(&u).await }),
            keyed(agents::roles_of(agents), |r| async move {
                self.role_boundary(&r).await
            }),
            keyed(topic_arns, |t| async move { self.subscriptions(&t).await }),
            keyed(
                workload::tagged(knowledge_bases, prompts),
                |arn| async move { self.agent_tags(&arn).await }
            ),
        );
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
