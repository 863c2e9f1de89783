//! Workload reads (scope W): knowledge-base and data-source details, agents' alias-routed
//! versions and action groups, prompts, flows, imported models and the customization,
//! batch-inference and evaluation jobs. Each list is one paginated call, each detail one call,
//! all under the reader's bound.

use super::{failed, list_missing, non_empty, Reader};
use crate::inventory::*;
use futures::future::join_all;

/// Pages a list call: `$call` is a builder expression taking `.set_next_token`, `$items` maps a
/// page to an iterator of values, `$missing` turns the error into a [`Missing`].
macro_rules! paged {
    ($self:ident, $call:expr, $op:literal, $missing:ident, |$page:ident| $items:expr) => {{
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let $page = {
                let _p = $self.permit().await;
                $call
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| $missing($op, e))?
            };
            out.extend($items);
            match $page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        out
    }};
}

impl Reader {
    /// `bedrock-agent:GetKnowledgeBase`.
    pub(super) async fn kb_detail(&self, id: &str) -> Read<KbDetail> {
        let _p = self.permit().await;
        let out = self
            .agent
            .get_knowledge_base()
            .knowledge_base_id(id)
            .send()
            .await
            .map_err(|e| failed("bedrock-agent:GetKnowledgeBase", e))?;
        let kb = out
            .knowledge_base()
            .ok_or_else(|| Missing::Failed("GetKnowledgeBase returned no knowledgeBase".into()))?;
        let storage = kb.storage_configuration();
        let credentials_secret = storage.and_then(|s| {
            s.pinecone_configuration()
                .map(|c| c.credentials_secret_arn().to_owned())
                .or_else(|| {
                    s.redis_enterprise_cloud_configuration()
                        .map(|c| c.credentials_secret_arn().to_owned())
                })
                .or_else(|| {
                    s.mongo_db_atlas_configuration()
                        .map(|c| c.credentials_secret_arn().to_owned())
                })
                .or_else(|| {
                    s.rds_configuration()
                        .map(|c| c.credentials_secret_arn().to_owned())
                })
        });
        Ok(KbDetail {
            arn: kb.knowledge_base_arn().to_owned(),
            status: Some(kb.status().as_str().to_owned()),
            kind: kb
                .knowledge_base_configuration()
                .map(|c| c.r#type().as_str().to_owned()),
            storage: storage.map(|s| s.r#type().as_str().to_owned()),
            credentials_secret: credentials_secret.filter(|s| !s.is_empty()),
            role_arn: non_empty(kb.role_arn()),
        })
    }

    /// `bedrock-agent:ListIngestionJobs` of one data source: (status, updatedAt).
    pub(super) async fn ingestion_jobs(&self, kb: &str, ds: &str) -> Read<Vec<(String, i64)>> {
        Ok(paged!(
            self,
            self.agent
                .list_ingestion_jobs()
                .knowledge_base_id(kb)
                .data_source_id(ds),
            "bedrock-agent:ListIngestionJobs",
            failed,
            |page| page
                .ingestion_job_summaries()
                .iter()
                .map(|j| (j.status().as_str().to_owned(), j.updated_at().secs()))
                .collect::<Vec<_>>()
        ))
    }

    /// Versions an active alias routes to, and the DRAFT's action groups. An alias routes
    /// traffic when `agentAliasStatus == PREPARED` and it does not `REJECT_INVOCATIONS`
    /// (AgentAliasSummary, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_AgentAliasSummary.html).
    pub(super) async fn agent_extras(&self, agent_id: &str) -> AgentExtras {
        let versions = async {
            let aliases = paged!(
                self,
                self.agent.list_agent_aliases().agent_id(agent_id),
                "bedrock-agent:ListAgentAliases",
                failed,
                |page| page
                    .agent_alias_summaries()
                    .iter()
                    .filter(|a| a.agent_alias_status().as_str() == "PREPARED")
                    .filter(|a| {
                        a.alias_invocation_state()
                            .is_none_or(|s| s.as_str() != "REJECT_INVOCATIONS")
                    })
                    .flat_map(|a| {
                        a.routing_configuration()
                            .iter()
                            .filter_map(|r| r.agent_version().map(str::to_owned))
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            );
            let mut numbers: Vec<String> = aliases.into_iter().filter(|v| v != "DRAFT").collect();
            numbers.sort();
            numbers.dedup();
            let read = join_all(numbers.into_iter().map(|v| async move {
                let _p = self.permit().await;
                let out = self
                    .agent
                    .get_agent_version()
                    .agent_id(agent_id)
                    .agent_version(&v)
                    .send()
                    .await
                    .map_err(|e| failed("bedrock-agent:GetAgentVersion", e))?;
                let a = out.agent_version().ok_or_else(|| {
                    Missing::Failed("GetAgentVersion returned no agentVersion".into())
                })?;
                Ok(AgentVersion {
                    version: v,
                    guardrail: a.guardrail_configuration().and_then(|g| {
                        g.guardrail_identifier()
                            .filter(|i| !i.is_empty())
                            .map(|i| (i.to_owned(), g.guardrail_version().map(str::to_owned)))
                    }),
                    role_arn: non_empty(a.agent_resource_role_arn()),
                })
            }))
            .await;
            read.into_iter().collect::<Read<Vec<_>>>()
        };
        let action_groups = async {
            let ids = paged!(
                self,
                self.agent
                    .list_agent_action_groups()
                    .agent_id(agent_id)
                    .agent_version("DRAFT"),
                "bedrock-agent:ListAgentActionGroups",
                failed,
                |page| page
                    .action_group_summaries()
                    .iter()
                    .map(|g| g.action_group_id().to_owned())
                    .collect::<Vec<_>>()
            );
            join_all(ids.into_iter().map(|id| async move {
                let _p = self.permit().await;
                let out = self
                    .agent
                    .get_agent_action_group()
                    .agent_id(agent_id)
                    .agent_version("DRAFT")
                    .action_group_id(&id)
                    .send()
                    .await
                    .map_err(|e| failed("bedrock-agent:GetAgentActionGroup", e))?;
                let g = out.agent_action_group().ok_or_else(|| {
                    Missing::Failed("GetAgentActionGroup returned no agentActionGroup".into())
                })?;
                Ok(ActionGroup {
                    name: g.action_group_name().to_owned(),
                    lambda: g
                        .action_group_executor()
                        .and_then(|e| e.as_lambda().ok())
                        .cloned(),
                })
            }))
            .await
            .into_iter()
            .collect::<Read<Vec<_>>>()
        };
        let (versions, action_groups) = tokio::join!(versions, action_groups);
        AgentExtras {
            versions,
            action_groups,
        }
    }

    /// `bedrock-agent:ListPrompts` + `GetPrompt`.
    pub(super) async fn prompts(&self) -> Read<Vec<Prompt>> {
        let summaries = paged!(
            self,
            self.agent.list_prompts(),
            "bedrock-agent:ListPrompts",
            list_missing,
            |page| page
                .prompt_summaries()
                .iter()
                .map(|p| (p.id().to_owned(), p.arn().to_owned(), p.name().to_owned()))
                .collect::<Vec<_>>()
        );
        Ok(
            join_all(summaries.into_iter().map(|(id, arn, name)| async move {
                let _p = self.permit().await;
                let key = self
                    .agent
                    .get_prompt()
                    .prompt_identifier(&id)
                    .send()
                    .await
                    .map(|o| o.customer_encryption_key_arn().map(str::to_owned))
                    .map_err(|e| failed("bedrock-agent:GetPrompt", e));
                Prompt { id, arn, name, key }
            }))
            .await,
        )
    }

    /// `bedrock-agent:ListFlows` + `GetFlow`.
    pub(super) async fn flows(&self) -> Read<Vec<Flow>> {
        use aws_sdk_bedrockagent::types::FlowNodeConfiguration as C;
        let summaries = paged!(
            self,
            self.agent.list_flows(),
            "bedrock-agent:ListFlows",
            list_missing,
            |page| page
                .flow_summaries()
                .iter()
                .map(|f| (f.id().to_owned(), f.arn().to_owned(), f.name().to_owned()))
                .collect::<Vec<_>>()
        );
        Ok(
            join_all(summaries.into_iter().map(|(id, arn, name)| async move {
                let _p = self.permit().await;
                let detail = self
                    .agent
                    .get_flow()
                    .flow_identifier(&id)
                    .send()
                    .await
                    .map_err(|e| failed("bedrock-agent:GetFlow", e))
                    .map(|o| FlowDetail {
                        key: o.customer_encryption_key_arn().map(str::to_owned),
                        description: o.description().map(str::to_owned).filter(|d| !d.is_empty()),
                        role_arn: non_empty(o.execution_role_arn()),
                        status: Some(o.status().as_str().to_owned()),
                        // Prompt nodes generate; KnowledgeBase nodes generate when they name a model
                        // (RetrieveAndGenerate), else they only retrieve
                        // (https://docs.aws.amazon.com/bedrock/latest/userguide/flows-nodes.html).
                        generating_nodes: o
                            .definition()
                            .map(|d| d.nodes())
                            .unwrap_or_default()
                            .iter()
                            .filter_map(|n| match n.configuration() {
                                Some(C::Prompt(p)) => Some((
                                    n.name().to_owned(),
                                    p.guardrail_configuration()
                                        .and_then(|g| g.guardrail_identifier())
                                        .is_some_and(|i| !i.is_empty()),
                                )),
                                Some(C::KnowledgeBase(k)) if k.model_id().is_some() => Some((
                                    n.name().to_owned(),
                                    k.guardrail_configuration()
                                        .and_then(|g| g.guardrail_identifier())
                                        .is_some_and(|i| !i.is_empty()),
                                )),
                                _ => None,
                            })
                            .collect(),
                        validation_errors: o
                            .validations()
                            .iter()
                            .filter(|v| v.severity().as_str() == "Error")
                            .map(|v| v.message().to_owned())
                            .collect(),
                    });
                Flow {
                    id,
                    arn,
                    name,
                    detail,
                }
            }))
            .await,
        )
    }

    /// `bedrock:ListImportedModels` + `GetImportedModel`.
    pub(super) async fn imported_models(&self) -> Read<Vec<ImportedModel>> {
        let summaries = paged!(
            self,
            self.bedrock.list_imported_models(),
            "bedrock:ListImportedModels",
            list_missing,
            |page| page
                .model_summaries()
                .iter()
                .map(|m| (m.model_arn().to_owned(), m.model_name().to_owned()))
                .collect::<Vec<_>>()
        );
        Ok(
            join_all(summaries.into_iter().map(|(arn, name)| async move {
                let _p = self.permit().await;
                let key = self
                    .bedrock
                    .get_imported_model()
                    .model_identifier(&arn)
                    .send()
                    .await
                    .map(|o| o.model_kms_key_arn().map(str::to_owned))
                    .map_err(|e| failed("bedrock:GetImportedModel", e));
                ImportedModel { arn, name, key }
            }))
            .await,
        )
    }

    /// `bedrock:ListModelCustomizationJobs` + `GetModelCustomizationJob`.
    pub(super) async fn customization_jobs(&self) -> Read<Vec<CustomizationJob>> {
        let summaries = paged!(
            self,
            self.bedrock.list_model_customization_jobs(),
            "bedrock:ListModelCustomizationJobs",
            list_missing,
            |page| page
                .model_customization_job_summaries()
                .iter()
                .map(|j| (j.job_arn().to_owned(), j.job_name().to_owned()))
                .collect::<Vec<_>>()
        );
        Ok(
            join_all(summaries.into_iter().map(|(arn, name)| async move {
                let _p = self.permit().await;
                let out = self
                    .bedrock
                    .get_model_customization_job()
                    // jobIdentifier takes the name or the ARN (API_GetModelCustomizationJob);
                    // the name needs no percent-encoding in the path.
                    .job_identifier(&name)
                    .send()
                    .await
                    .map_err(|e| failed("bedrock:GetModelCustomizationJob", e));
                CustomizationJob {
                    subnets: out
                        .as_ref()
                        .map(|o| o.vpc_config().map(|v| v.subnet_ids().to_vec()))
                        .map_err(Clone::clone),
                    role_arn: out.as_ref().ok().and_then(|o| non_empty(o.role_arn())),
                    arn,
                    name,
                }
            }))
            .await,
        )
    }

    /// `bedrock:ListModelInvocationJobs` (the summary carries the output configuration).
    pub(super) async fn invocation_jobs(&self) -> Read<Vec<InvocationJob>> {
        Ok(paged!(
            self,
            self.bedrock.list_model_invocation_jobs(),
            "bedrock:ListModelInvocationJobs",
            list_missing,
            |page| page
                .invocation_job_summaries()
                .iter()
                .map(|j| InvocationJob {
                    arn: j.job_arn().to_owned(),
                    name: j.job_name().to_owned(),
                    output_key: j
                        .output_data_config()
                        .ok_or_else(|| Missing::Failed("no outputDataConfig reported".into()))
                        .and_then(|c| {
                            c.as_s3_output_data_config()
                                .map(|s| s.s3_encryption_key_id().map(str::to_owned))
                                .map_err(|_| Missing::Failed("outputDataConfig is not S3".into()))
                        }),
                    role_arn: non_empty(j.role_arn()),
                })
                .collect::<Vec<_>>()
        ))
    }

    /// `bedrock:ListEvaluationJobs` + `GetEvaluationJob`.
    pub(super) async fn evaluation_jobs(&self) -> Read<Vec<EvaluationJob>> {
        let summaries = paged!(
            self,
            self.bedrock.list_evaluation_jobs(),
            "bedrock:ListEvaluationJobs",
            list_missing,
            |page| page
                .job_summaries()
                .iter()
                .map(|j| (j.job_arn().to_owned(), j.job_name().to_owned()))
                .collect::<Vec<_>>()
        );
        Ok(
            join_all(summaries.into_iter().map(|(arn, name)| async move {
                let _p = self.permit().await;
                let output_bucket = self
                    .bedrock
                    .get_evaluation_job()
                    .job_identifier(&arn)
                    .send()
                    .await
                    .map_err(|e| failed("bedrock:GetEvaluationJob", e))
                    .map(|o| {
                        o.output_data_config()
                            .map(|c| c.s3_uri())
                            .and_then(|u| u.strip_prefix("s3://"))
                            .and_then(|u| u.split('/').next())
                            .map(str::to_owned)
                    });
                EvaluationJob {
                    arn,
                    name,
                    output_bucket,
                }
            }))
            .await,
        )
    }

    /// `bedrock:ListEnforcedGuardrailsConfiguration`: account-enforced guardrail config ids.
    pub(super) async fn enforced_guardrails(&self) -> Read<Vec<String>> {
        Ok(paged!(
            self,
            self.bedrock.list_enforced_guardrails_configuration(),
            "bedrock:ListEnforcedGuardrailsConfiguration",
            list_missing,
            |page| page
                .guardrails_config()
                .iter()
                .map(|c| {
                    c.config_id()
                        .or(c.guardrail_arn())
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        ))
    }

    /// `bedrock-agent:ListTagsForResource`.
    pub(super) async fn agent_tags(&self, arn: &str) -> Read<Tags> {
        let _p = self.permit().await;
        self.agent
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map(|o| o.tags().cloned().unwrap_or_default().into_iter().collect())
            .map_err(|e| failed("bedrock-agent:ListTagsForResource", e))
    }
}
