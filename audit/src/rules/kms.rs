//! The customer-managed keys (BB-70..72).

use super::*;

pub(super) static RULES: &[Rule] = &[
    Rule {
        id: "BB-70",
        title: "Customer-managed KMS keys have automatic rotation enabled",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:kms_cmk_rotation_enabled", "checkov:CKV_AWS_7"],
        frameworks: ENCRYPTION,
        remediation: "Apply the stack (its key has rotation on); outside a stack kms:EnableKeyRotation.",
        docs: &["https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html"],
        check: check_key_rotation,
    },
    Rule {
        id: "BB-72",
        title: "Customer-managed KMS keys are enabled, not pending deletion, single-Region",
        severity: Severity::High,
        scope: Scope::Stack,
        sources: &["prowler:kms_cmk_not_deleted_unintentionally", "prowler:kms_cmk_are_used", "prowler:kms_cmk_not_multi_region", "checkov:CKV_AWS_227"],
        frameworks: ENCRYPTION,
        remediation: "kms:CancelKeyDeletion / kms:EnableKey; replace multi-Region keys with a single-Region key.",
        docs: &[
            "https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html",
            "https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html",
        ],
        check: check_key_state,
    },
    Rule {
        id: "BB-71",
        title: "Customer-managed KMS key policy does not grant any principal without a condition",
        severity: Severity::Critical,
        scope: Scope::Stack,
        sources: &["prowler:kms_key_not_publicly_accessible", "checkov:CKV_AWS_33"],
        frameworks: ENCRYPTION,
        remediation: "Apply the stack (its key policy names the account, its admins and conditioned \
            service principals); outside a stack kms:PutKeyPolicy without Principal \"*\" grants.",
        docs: &["https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"],
        check: check_key_policy,
    },
];

/// The customer keys scope-B key rules judge: the stack's key, or every key a Bedrock resource or
/// the stack's topics reference.
fn keys_in_scope(inv: &Inventory) -> Vec<(&String, &Read<crate::inventory::Key>)> {
    match scope_name(inv) {
        Some(stack) => inv
            .keys
            .iter()
            .filter(|(k, _)| *k == &stack.key_alias)
            .collect(),
        None => inv
            .keys
            .iter()
            .filter(|(_, v)| !matches!(v, Ok(k) if k.manager.as_deref() == Some("AWS")))
            .collect(),
    }
}

fn per_key(
    rule: &Rule,
    inv: &Inventory,
    judge: impl Fn(&crate::inventory::Key) -> (Status, String),
) -> Vec<Finding> {
    let keys = keys_in_scope(inv);
    let region = format!(
        "arn:{}:kms:{}:{}:key/*",
        inv.partition, inv.region, inv.account_id
    );
    if keys.is_empty() {
        return vec![match scope_name(inv) {
            Some(stack) => rule.finding(
                region,
                Status::Fail,
                format!("the stack's key {} was not found", stack.key_alias),
            ),
            None => rule.finding(
                region,
                Status::NotApplicable,
                "no customer-managed key is referenced by a Bedrock resource",
            ),
        }];
    }
    keys.into_iter()
        .map(|(name, read)| match read {
            Err(m) => rule.missing(name.clone(), "kms:DescribeKey", m),
            Ok(k) => {
                let (status, reason) = judge(k);
                rule.finding(&k.arn, status, reason)
            }
        })
        .collect()
}

// GetKeyRotationStatus applies to symmetric customer keys
// (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
fn check_key_rotation(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_key(rule, inv, |k| {
        if k.spec.as_deref().is_some_and(|s| s != "SYMMETRIC_DEFAULT") {
            return (
                Status::NotApplicable,
                format!(
                    "key spec {} has no automatic rotation",
                    k.spec.as_deref().unwrap_or("")
                ),
            );
        }
        match &k.rotation {
            Err(m) => (
                Status::Unknown,
                format!("kms:GetKeyRotationStatus failed: {}", m.reason()),
            ),
            Ok(Some(true)) => (Status::Pass, "automatic rotation enabled".into()),
            Ok(Some(false)) => (Status::Fail, "automatic rotation disabled".into()),
            Ok(None) => (Status::Unknown, "rotation status not reported".into()),
        }
    })
}

// KeyState and MultiRegion (https://docs.aws.amazon.com/kms/latest/APIReference/API_KeyMetadata.html).
fn check_key_state(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    per_key(rule, inv, |k| match (k.state.as_deref(), k.multi_region) {
        (None, _) | (_, None) => (
            Status::Unknown,
            "KeyState or MultiRegion not reported".into(),
        ),
        (Some("Enabled"), Some(false)) => (Status::Pass, "Enabled, single-Region".into()),
        (Some("Enabled"), Some(true)) => (Status::Fail, "multi-Region key".into()),
        (Some(s), _) => (Status::Fail, format!("KeyState {s}")),
    })
}

fn check_key_policy(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let keys = keys_in_scope(inv);
    if keys.is_empty() {
        // per_key reports the missing stack key (FAIL) or no key at all (N/A).
        return per_key(rule, inv, |_| (Status::Unknown, String::new()));
    }
    keys.into_iter()
        .map(|(reference, read)| {
            let res = match read {
                Ok(k) => k.arn.clone(),
                Err(_) => reference.clone(),
            };
            if matches!(read, Ok(k) if k.manager.as_deref() != Some("CUSTOMER")) {
                return rule.finding(res, Status::NotApplicable, "AWS managed key");
            }
            match inv.more.key_policies.get(reference) {
                None => rule.finding(res, Status::Unknown, "key policy not read"),
                Some(Err(m)) => rule.missing(res, "kms:GetKeyPolicy", m),
                Some(Ok(doc)) => rule.public_grants(res, doc),
            }
        })
        .collect()
}
