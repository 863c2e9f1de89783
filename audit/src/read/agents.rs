//! Bedrock agent reads: each agent's detail, the versions its active aliases route to and its
//! DRAFT's action groups.

use super::{failed, list_missing, non_empty, Reader};
use crate::inventory::*;
use futures::future::join_all;
use std::collections::BTreeSet;

/// `(identifier, version)` of a guardrail configuration that names one.
fn guardrail_of(
    g: Option<&aws_sdk_bedrockagent::types::GuardrailConfiguration>,
) -> Option<(String, Option<String>)> {
    g.and_then(|g| {
        g.guardrail_identifier()
            .filter(|i| !i.is_empty())
            .map(|i| (i.to_owned(), g.guardrail_version().map(str::to_owned)))
    })
}

/// The role names agents (DRAFT and routed versions) run as, for their boundaries.
pub(super) fn roles_of(agents: &Read<Vec<Agent>>) -> BTreeSet<String> {
    let mut roles = BTreeSet::new();
    for a in agents.iter().flatten() {
        let draft = a.detail.as_ref().ok().and_then(|d| d.role_arn.as_ref());
        let routed = a
            .extras
            .versions
            .iter()
            .flatten()
            .map(|v| v.role_arn.as_ref());
        for r in std::iter::once(draft).chain(routed).flatten() {
            roles.insert(r.rsplit('/').next().unwrap_or(r).to_owned());
        }
    }
    roles
}

impl Reader {
    /// `bedrock-agent:ListAgents` + `GetAgent` + the extras of each agent.
    pub(super) async fn agents(&self) -> Read<Vec<Agent>> {
        let summaries = self
            .paged(
                "bedrock-agent:ListAgents",
                list_missing,
                |t| self.agent.list_agents().set_next_token(t).send(),
                |p| {
                    p.agent_summaries()
                        .iter()
                        .map(|a| (a.agent_id().to_owned(), a.agent_name().to_owned()))
                        .collect()
                },
            )
            .await?;
        Ok(join_all(summaries.into_iter().map(|(id, name)| async move {
            let detail = self
                .call(
                    "bedrock-agent:GetAgent",
                    self.agent.get_agent().agent_id(&id).send(),
                )
                .await
                .and_then(|o| {
                    let a = o
                        .agent()
                        .ok_or_else(|| Missing::Failed("GetAgent returned no agent".into()))?;
                    Ok(AgentDetail {
                        arn: a.agent_arn().to_owned(),
                        role_arn: non_empty(a.agent_resource_role_arn()),
                        customer_key_arn: a.customer_encryption_key_arn().map(str::to_owned),
                        guardrail: guardrail_of(a.guardrail_configuration()),
                        // The SDK fills a missing required integer with 0; the API's minimum is 60.
                        idle_session_ttl: Some(a.idle_session_ttl_in_seconds()).filter(|t| *t > 0),
                    })
                });
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

    /// Versions an active alias routes to, and the DRAFT's action groups. An alias routes
    /// traffic when `agentAliasStatus == PREPARED` and it does not `REJECT_INVOCATIONS`
    /// (AgentAliasSummary, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_AgentAliasSummary.html).
    async fn agent_extras(&self, agent_id: &str) -> AgentExtras {
        let (versions, action_groups) =
            tokio::join!(self.routed_versions(agent_id), self.action_groups(agent_id));
        AgentExtras {
            versions,
            action_groups,
        }
    }

    /// `bedrock-agent:ListAgentAliases` + `GetAgentVersion` of each routed version but DRAFT.
    async fn routed_versions(&self, agent_id: &str) -> Read<Vec<AgentVersion>> {
        let routed = self
            .paged(
                "bedrock-agent:ListAgentAliases",
                failed,
                |t| {
                    self.agent
                        .list_agent_aliases()
                        .agent_id(agent_id)
                        .set_next_token(t)
                        .send()
                },
                |p| {
                    p.agent_alias_summaries()
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
                        })
                        .collect()
                },
            )
            .await?;
        let numbers: BTreeSet<String> = routed.into_iter().filter(|v| v != "DRAFT").collect();
        join_all(numbers.into_iter().map(|v| async move {
            let out = self
                .call(
                    "bedrock-agent:GetAgentVersion",
                    self.agent
                        .get_agent_version()
                        .agent_id(agent_id)
                        .agent_version(&v)
                        .send(),
                )
                .await?;
            let a = out.agent_version().ok_or_else(|| {
                Missing::Failed("GetAgentVersion returned no agentVersion".into())
            })?;
            Ok(AgentVersion {
                version: v,
                guardrail: guardrail_of(a.guardrail_configuration()),
                role_arn: non_empty(a.agent_resource_role_arn()),
            })
        }))
        .await
        .into_iter()
        .collect()
    }

    /// `bedrock-agent:ListAgentActionGroups` + `GetAgentActionGroup` of the DRAFT.
    async fn action_groups(&self, agent_id: &str) -> Read<Vec<ActionGroup>> {
        let ids = self
            .paged(
                "bedrock-agent:ListAgentActionGroups",
                failed,
                |t| {
                    self.agent
                        .list_agent_action_groups()
                        .agent_id(agent_id)
                        .agent_version("DRAFT")
                        .set_next_token(t)
                        .send()
                },
                |p| {
                    p.action_group_summaries()
                        .iter()
                        .map(|g| g.action_group_id().to_owned())
                        .collect()
                },
            )
            .await?;
        join_all(ids.into_iter().map(|id| async move {
            let out = self
                .call(
                    "bedrock-agent:GetAgentActionGroup",
                    self.agent
                        .get_agent_action_group()
                        .agent_id(agent_id)
                        .agent_version("DRAFT")
                        .action_group_id(&id)
                        .send(),
                )
                .await?;
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
        .collect()
    }
}
