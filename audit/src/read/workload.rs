//! Workload reads (scope W): prompts, flows, imported models, the customization,
//! batch-inference and evaluation jobs, the account's enforced guardrails and bedrock-agent tags.
//! Each list is one paginated call, each detail one call, all under the reader's bound.

use super::{list_missing, non_empty, Reader};
use crate::inventory::*;

/// The ARNs whose bedrock-agent tags the tag rule judges: knowledge bases' and prompts'.
pub(super) fn tagged(
    knowledge_bases: &Read<Vec<KnowledgeBase>>,
    prompts: &Read<Vec<Prompt>>,
) -> Vec<String> {
    let kbs = knowledge_bases
        .iter()
        .flatten()
        .filter_map(|kb| Some(kb.detail.as_ref().ok()?.arn.clone()));
    kbs.chain(prompts.iter().flatten().map(|p| p.arn.clone()))
        .collect()
}

impl Reader {
    /// `bedrock-agent:ListPrompts` + `GetPrompt`.
    pub(super) async fn prompts(&self) -> Read<Vec<Prompt>> {
        let summaries = self
            .paged(
                "bedrock-agent:ListPrompts",
                list_missing,
                |t| self.agent.list_prompts().set_next_token(t).send(),
                |p| {
                    p.prompt_summaries()
                        .iter()
                        .map(|p| (p.id().to_owned(), p.arn().to_owned(), p.name().to_owned()))
                        .collect()
                },
            )
            .await;
        self.detailed(
            summaries,
            "bedrock-agent:GetPrompt",
            |(id, _, _)| self.agent.get_prompt().prompt_identifier(id).send(),
            |(id, arn, name), got| Prompt {
                id,
                arn,
                name,
                key: got.map(|o| o.customer_encryption_key_arn().map(str::to_owned)),
            },
        )
        .await
    }

    /// `bedrock-agent:ListFlows` + `GetFlow`.
    pub(super) async fn flows(&self) -> Read<Vec<Flow>> {
        let summaries = self
            .paged(
                "bedrock-agent:ListFlows",
                list_missing,
                |t| self.agent.list_flows().set_next_token(t).send(),
                |p| {
                    p.flow_summaries()
                        .iter()
                        .map(|f| (f.id().to_owned(), f.arn().to_owned(), f.name().to_owned()))
                        .collect()
                },
            )
            .await;
        self.detailed(
            summaries,
            "bedrock-agent:GetFlow",
            |(id, _, _)| self.agent.get_flow().flow_identifier(id).send(),
            |(id, arn, name), got| Flow {
                id,
                arn,
                name,
                detail: got.map(|o| flow_detail(&o)),
            },
        )
        .await
    }

    /// `bedrock:ListImportedModels` + `GetImportedModel`.
    pub(super) async fn imported_models(&self) -> Read<Vec<ImportedModel>> {
        let summaries = self
            .paged(
                "bedrock:ListImportedModels",
                list_missing,
                |t| self.bedrock.list_imported_models().set_next_token(t).send(),
                |p| {
                    p.model_summaries()
                        .iter()
                        .map(|m| (m.model_arn().to_owned(), m.model_name().to_owned()))
                        .collect()
                },
            )
            .await;
        self.detailed(
            summaries,
            "bedrock:GetImportedModel",
            |(arn, _)| {
                self.bedrock
                    .get_imported_model()
                    .model_identifier(arn)
                    .send()
            },
            |(arn, name), got| ImportedModel {
                arn,
                name,
                key: got.map(|o| o.model_kms_key_arn().map(str::to_owned)),
            },
        )
        .await
    }

    /// `bedrock:ListModelCustomizationJobs` + `GetModelCustomizationJob`.
    pub(super) async fn customization_jobs(&self) -> Read<Vec<CustomizationJob>> {
        let summaries = self
            .paged(
                "bedrock:ListModelCustomizationJobs",
                list_missing,
                |t| {
                    self.bedrock
                        .list_model_customization_jobs()
                        .set_next_token(t)
                        .send()
                },
                |p| {
                    p.model_customization_job_summaries()
                        .iter()
                        .map(|j| (j.job_arn().to_owned(), j.job_name().to_owned()))
                        .collect()
                },
            )
            .await;
        self.detailed(
            summaries,
            "bedrock:GetModelCustomizationJob",
            // jobIdentifier takes the name or the ARN (API_GetModelCustomizationJob); the name
            // needs no percent-encoding in the path.
            |(_, name)| {
                self.bedrock
                    .get_model_customization_job()
                    .job_identifier(name)
                    .send()
            },
            |(arn, name), got| CustomizationJob {
                subnets: got
                    .as_ref()
                    .map(|o| o.vpc_config().map(|v| v.subnet_ids().to_vec()))
                    .map_err(Clone::clone),
                role_arn: got.as_ref().ok().and_then(|o| non_empty(o.role_arn())),
                arn,
                name,
            },
        )
        .await
    }

    /// `bedrock:ListModelInvocationJobs` (the summary carries the output configuration).
    pub(super) async fn invocation_jobs(&self) -> Read<Vec<InvocationJob>> {
        self.paged(
            "bedrock:ListModelInvocationJobs",
            list_missing,
            |t| {
                self.bedrock
                    .list_model_invocation_jobs()
                    .set_next_token(t)
                    .send()
            },
            |p| {
                p.invocation_job_summaries()
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
                                    .map_err(|_| {
                                        Missing::Failed("outputDataConfig is not S3".into())
                                    })
                            }),
                        role_arn: non_empty(j.role_arn()),
                    })
                    .collect()
            },
        )
        .await
    }

    /// `bedrock:ListEvaluationJobs` + `GetEvaluationJob`.
    pub(super) async fn evaluation_jobs(&self) -> Read<Vec<EvaluationJob>> {
        let summaries = self
            .paged(
                "bedrock:ListEvaluationJobs",
                list_missing,
                |t| self.bedrock.list_evaluation_jobs().set_next_token(t).send(),
                |p| {
                    p.job_summaries()
                        .iter()
                        .map(|j| (j.job_arn().to_owned(), j.job_name().to_owned()))
                        .collect()
                },
            )
            .await;
        self.detailed(
            summaries,
            "bedrock:GetEvaluationJob",
            |(arn, _)| self.bedrock.get_evaluation_job().job_identifier(arn).send(),
            |(arn, name), got| EvaluationJob {
                arn,
                name,
                output_bucket: got.map(|o| {
                    o.output_data_config()
                        .map(|c| c.s3_uri())
                        .and_then(|u| u.strip_prefix("s3://"))
                        .and_then(|u| u.split('/').next())
                        .map(str::to_owned)
                }),
            },
        )
        .await
    }

    /// `bedrock:ListEnforcedGuardrailsConfiguration`: account-enforced guardrail config ids.
    pub(super) async fn enforced_guardrails(&self) -> Read<Vec<String>> {
        self.paged(
            "bedrock:ListEnforcedGuardrailsConfiguration",
            list_missing,
            |t| {
                self.bedrock
                    .list_enforced_guardrails_configuration()
                    .set_next_token(t)
                    .send()
            },
            |p| {
                p.guardrails_config()
                    .iter()
                    .map(|c| {
                        c.config_id()
                            .or(c.guardrail_arn())
                            .unwrap_or_default()
                            .to_owned()
                    })
                    .collect()
            },
        )
        .await
    }

    /// `bedrock-agent:ListTagsForResource`.
    pub(super) async fn agent_tags(&self, arn: &str) -> Read<Tags> {
        self.call(
            "bedrock-agent:ListTagsForResource",
            self.agent.list_tags_for_resource().resource_arn(arn).send(),
        )
        .await
        .map(|o| o.tags().cloned().unwrap_or_default().into_iter().collect())
    }
}

fn flow_detail(o: &aws_sdk_bedrockagent::operation::get_flow::GetFlowOutput) -> FlowDetail {
    use aws_sdk_bedrockagent::types::FlowNodeConfiguration as C;
    FlowDetail {
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
    }
}
