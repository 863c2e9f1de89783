//! The stack's access paths (BB-77): issue item 3. Not a row of AUDIT-RULES.md (no scanner
//! evaluates who can reach what across identity, key, bucket, topic and endpoint policies
//! together), so it takes the id after the 76 merged rows.
//!
//! The paths and their expected outcomes are [`baseline_core::access::PATHS`], each naming the AWS
//! page that states its requirement; the decision is the policy evaluator's
//! ([`baseline_core::policy::eval`], after IAM's evaluation logic,
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
//! The caller (`bedrock-baseline audit`) reads the policies like `check-access` does and puts the
//! results into [`crate::inventory_more::More::access_paths`]; this check only judges them.

use super::*;
use baseline_core::access::Expect;

pub(super) static RULES: &[Rule] = &[Rule {
    id: "BB-77",
    title:
        "The stack's access paths hold on the live policies (who may, and who may not, reach what)",
    severity: Severity::High,
    scope: Scope::Stack,
    sources: &[],
    frameworks: LEAST_PRIVILEGE,
    remediation:
        "Apply the stack (`audit --fix`): it rewrites the key, bucket, topic, endpoint and \
        role policies the path rests on; `bedrock-baseline check-access` shows the whole matrix.",
    docs: &[
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html",
    ],
    check: check_access_paths,
}];

fn check_access_paths(rule: &Rule, inv: &Inventory) -> Vec<Finding> {
    let Some(read) = &inv.more.access_paths else {
        return vec![rule.finding(
            "stack",
            Status::NotApplicable,
            "no stack config: the access paths are the stack's (run audit with --config)",
        )];
    };
    let results = match read {
        Ok(results) => results,
        Err(m) => return vec![rule.missing("stack", "the stack's policies", m)],
    };
    if results.is_empty() {
        return vec![rule.finding(
            "stack",
            Status::NotApplicable,
            "no access path applies to the deployed stack (nothing deployed yet?)",
        )];
    }
    results
        .iter()
        .map(|r| {
            let expected = match r.expected {
                Expect::Allow => "allowed",
                Expect::Deny => "denied",
            };
            let decided_by = r.decision.decided_by();
            let request = format!("{} {} on {}", r.principal, r.action, r.resource);
            if r.ok {
                rule.finding(
                    &r.name,
                    Status::Pass,
                    format!("{request}: {expected} as required ({decided_by})"),
                )
            } else {
                rule.finding(
                    &r.name,
                    Status::Fail,
                    format!(
                        "{request}: must be {expected}, the evaluator decided {:?} ({decided_by}); see {}",
                        r.decision.outcome, r.doc
                    ),
                )
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use baseline_core::access::PathResult;
    use baseline_core::policy::eval::{Decision, Outcome, StatementRef};

    fn result(ok: bool, outcome: Outcome) -> PathResult {
        PathResult {
            name: "app-role-invokes-model".into(),
            expected: Expect::Allow,
            decision: Decision {
                outcome,
                statements: vec![StatementRef {
                    policy: "key".into(),
                    statement: "DenyOthers".into(),
                }],
                reason: "explicit deny".into(),
            },
            ok,
            doc: "https://docs.aws.amazon.com/x".into(),
            principal: "arn:aws:iam::111122223333:role/app".into(),
            action: "bedrock:InvokeModel".into(),
            resource: "arn:aws:bedrock:us-east-1::foundation-model/m".into(),
        }
    }

    fn run(paths: Option<Read<Vec<PathResult>>>) -> Vec<Finding> {
        let mut inv = Inventory::empty("111122223333", "us-east-1");
        inv.more.access_paths = paths;
        RULES[0].evaluate(&inv)
    }

    #[test]
    fn without_a_stack_it_is_not_applicable() {
        let f = run(None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::NotApplicable);
    }

    #[test]
    fn an_unreadable_policy_is_unknown_never_pass() {
        let f = run(Some(Err(Missing::Failed(
            "GetKeyPolicy: AccessDenied".into(),
        ))));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].status, Status::Unknown);
    }

    #[test]
    fn each_path_is_one_finding_and_a_fail_names_request_and_statement() {
        let f = run(Some(Ok(vec![
            result(true, Outcome::Allow),
            PathResult {
                name: "other".into(),
                ..result(false, Outcome::ExplicitDeny)
            },
        ])));
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].status, Status::Pass);
        assert_eq!(f[1].status, Status::Fail);
        assert_eq!(f[1].resource, "other");
        for needle in [
            "arn:aws:iam::111122223333:role/app",
            "bedrock:InvokeModel",
            "key / DenyOthers",
            "ExplicitDeny",
        ] {
            assert!(f[1].reason.contains(needle), "{needle} in {}", f[1].reason);
        }
    }
}
