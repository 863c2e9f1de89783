//! The model-access managed policy document: pure, built from the allowed models, the guardrail
//! (ARN and version in force) and, when the network module ran, the runtime VPC endpoint.
//!
//! Application roles that get this policy may invoke only the allowed models, only when the
//! request names this guardrail at the version in force, and (with an endpoint) only through the
//! runtime endpoint. The user attaches it to their roles; the tool never does.

use baseline_core::policy::{PolicyDocument, Statement};
use baseline_core::Config;

/// Sid of the invoke statement.
pub const INVOKE_SID: &str = "InvokeAllowedModelsWithGuardrail";
/// Sid of the ApplyGuardrail statement.
pub const APPLY_SID: &str = "ApplyStackGuardrail";
/// Sid of the guardrail-key statement.
pub const DECRYPT_SID: &str = "DecryptGuardrailKey";

/// What the policy allows, apart from the guardrail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelAccess {
    /// Model (or inference-profile) ARNs the roles may invoke.
    pub model_arns: Vec<String>,
    /// The `bedrock-runtime` interface endpoint, when the network module ran.
    pub source_vpce: Option<String>,
    /// The key that encrypts the guardrail and the stack's region (for `kms:ViaService`).
    pub guardrail_key: Option<(String, String)>,
}

impl ModelAccess {
    /// `foundation_models`, or every foundation model in each of `allowed_model_regions` when
    /// that list is empty.
    pub fn from_config(config: &Config, partition: &str, source_vpce: Option<String>) -> Self {
        let model_arns = if config.foundation_models.is_empty() {
            config
                .allowed_model_regions
                .iter()
                .map(|r| format!("arn:{partition}:bedrock:{r}::foundation-model/*"))
                .collect()
        } else {
            config.foundation_models.clone()
        };
        Self {
            model_arns,
            source_vpce,
            guardrail_key: None,
        }
    }

    /// Adds the destination-region model ARNs of the inference profiles (read with
    /// `GetInferenceProfile`).
    pub fn with_profile_models(&self, models: &[String]) -> Self {
        let mut out = self.clone();
        for m in models {
            if !out.model_arns.contains(m) {
                out.model_arns.push(m.clone());
            }
        }
        out
    }

    /// Adds the guardrail's key (`encryption.kms_key_arn`) for the decrypt grant.
    pub fn with_guardrail_key(mut self, key_arn: Option<String>, region: &str) -> Self {
        self.guardrail_key = key_arn.map(|k| (k, region.to_owned()));
        self
    }
}

/// The value of `bedrock:GuardrailIdentifier` that pins a version: `<guardrail arn>:<version>`.
pub fn guardrail_identifier(guardrail_arn: &str, version: &str) -> String {
    format!("{guardrail_arn}:{version}")
}

/// The policy document.
pub fn model_access_policy(
    access: &ModelAccess,
    guardrail_arn: &str,
    guardrail_version: &str,
) -> PolicyDocument {
    // bedrock:InvokeModel also authorizes Converse, and bedrock:InvokeModelWithResponseStream
    // authorizes ConverseStream: IAM has no separate Converse actions.
    let mut invoke = Statement::allow(INVOKE_SID)
        .actions([
            "bedrock:InvokeModel",
            "bedrock:InvokeModelWithResponseStream",
        ])
        .resources(access.model_arns.iter().cloned())
        .condition(
            "StringEquals",
            "bedrock:GuardrailIdentifier",
            [guardrail_identifier(guardrail_arn, guardrail_version)],
        );
    if let Some(vpce) = &access.source_vpce {
        invoke = invoke.condition("StringEquals", "aws:SourceVpce", [vpce.as_str()]);
    }
    // Bedrock checks ApplyGuardrail on the guardrail for every invocation that names it, and the
    // standalone ApplyGuardrail call only evaluates text against it, so it is granted on this
    // guardrail alone without the endpoint condition.
    let apply = Statement::allow(APPLY_SID)
        .actions(["bedrock:ApplyGuardrail"])
        .resources([guardrail_arn]);
    let mut statements = vec![invoke, apply];
    // A role that invokes with a guardrail encrypted by a customer managed key needs
    // kms:Decrypt on that key ("guardrails-permissions-kms":
    // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html);
    // kms:ViaService keeps the grant to Bedrock's use of the key on the role's behalf
    // (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service).
    if let Some((key, region)) = &access.guardrail_key {
        statements.push(
            Statement::allow(DECRYPT_SID)
                .actions(["kms:Decrypt"])
                .resources([key.as_str()])
                .condition(
                    "StringEquals",
                    "kms:ViaService",
                    [format!("bedrock.{region}.amazonaws.com")],
                ),
        );
    }
    PolicyDocument::new(statements)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GR: &str = "arn:aws:bedrock:us-east-1:123456789012:guardrail/abc123";

    fn config(models: &[&str]) -> Config {
        Config {
            environment: "prod".into(),
            foundation_models: models.iter().map(|s| (*s).to_owned()).collect(),
            allowed_model_regions: vec!["us-east-1".into(), "us-west-2".into()],
            ..Config::default()
        }
    }

    #[test]
    fn no_wildcard_action_and_only_the_allowed_models() {
        let models = [
            "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0",
        ];
        let doc = model_access_policy(
            &ModelAccess::from_config(&config(&models), "aws", None),
            GR,
            "3",
        );
        assert!(!doc.has_wildcard_allow());
        for st in &doc.statement {
            assert!(
                st.action
                    .as_ref()
                    .unwrap()
                    .0
                    .iter()
                    .all(|a| !a.contains('*')),
                "{st:?}"
            );
        }
        let invoke = doc.statement(INVOKE_SID).unwrap();
        assert_eq!(invoke.resource.as_ref().unwrap().0, models);
        assert_eq!(
            doc.statement(APPLY_SID)
                .unwrap()
                .resource
                .as_ref()
                .unwrap()
                .0,
            vec![GR]
        );
    }

    #[test]
    fn without_foundation_models_every_allowed_region_is_named() {
        let doc = model_access_policy(
            &ModelAccess::from_config(&config(&[]), "aws", None),
            GR,
            "1",
        );
        assert_eq!(
            doc.statement(INVOKE_SID)
                .unwrap()
                .resource
                .as_ref()
                .unwrap()
                .0,
            vec![
                "arn:aws:bedrock:us-east-1::foundation-model/*",
                "arn:aws:bedrock:us-west-2::foundation-model/*"
            ]
        );
    }

    #[test]
    fn invoke_requires_this_guardrail_at_the_version_in_force() {
        let doc = model_access_policy(
            &ModelAccess::from_config(&config(&[]), "aws", None),
            GR,
            "2",
        );
        let invoke = doc.statement(INVOKE_SID).unwrap();
        assert_eq!(
            invoke
                .condition_values("StringEquals", "bedrock:GuardrailIdentifier")
                .unwrap()
                .0,
            vec![format!("{GR}:2")]
        );
        assert!(invoke
            .condition_values("StringEquals", "aws:SourceVpce")
            .is_none());
    }

    #[test]
    fn runtime_endpoint_adds_the_source_vpce_condition() {
        let access =
            ModelAccess::from_config(&config(&[]), "aws", Some("vpce-0123456789abcdef0".into()));
        let doc = model_access_policy(&access, GR, "1");
        let invoke = doc.statement(INVOKE_SID).unwrap();
        assert_eq!(
            invoke
                .condition_values("StringEquals", "aws:SourceVpce")
                .unwrap()
                .0,
            vec!["vpce-0123456789abcdef0"]
        );
    }

    #[test]
    fn guardrail_key_is_decryptable_only_through_bedrock() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/k";
        let access = ModelAccess::from_config(&config(&[]), "aws", None)
            .with_guardrail_key(Some(key.into()), "us-east-1");
        let doc = model_access_policy(&access, GR, "1");
        let st = doc.statement(DECRYPT_SID).unwrap();
        assert_eq!(st.action.as_ref().unwrap().0, vec!["kms:Decrypt"]);
        assert_eq!(st.resource.as_ref().unwrap().0, vec![key]);
        assert_eq!(
            st.condition_values("StringEquals", "kms:ViaService")
                .unwrap()
                .0,
            vec!["bedrock.us-east-1.amazonaws.com"]
        );
        let without = model_access_policy(
            &ModelAccess::from_config(&config(&[]), "aws", None),
            GR,
            "1",
        );
        assert!(without.statement(DECRYPT_SID).is_none());
    }

    #[test]
    fn round_trips_through_iam_url_encoding() {
        let doc = model_access_policy(
            &ModelAccess::from_config(&config(&[]), "aws", None),
            GR,
            "1",
        );
        let encoded: String = doc
            .to_json()
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert!(PolicyDocument::parse(&encoded).unwrap().equivalent(&doc));
    }
}
