//! A policy evaluator: decides allow / explicit deny / implicit deny for one request over the
//! policies AWS combines for it, and names the statement that decided.
//!
//! Written here rather than taken from a crate: `iam-rs` parses and evaluates single documents
//! but has no KMS key-policy delegation rule, no VPC endpoint policies and no permissions
//! boundaries, which are the combinations this stack depends on.
//!
//! The combination rules follow "Policy evaluation logic"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html>),
//! "Cross-account policy evaluation logic"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>),
//! KMS "Key policies" — IAM policies count only when the key policy allows the account
//! (<https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam>)
//! and "Control access to VPC endpoints using endpoint policies"
//! (<https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html>).
//! Condition semantics follow "IAM JSON policy elements: Condition operators"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>)
//! and "Single-valued vs. multivalued context keys"
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html>).
//!
//! Not modelled (the stack uses none of them): SCPs/RCPs, session policies, `NotPrincipal`,
//! date and IP-address operators, `ForAllValues` over more than string keys.

use super::{Effect, PolicyDocument, Principal, Statement, StringList};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Who makes the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RequestPrincipal {
    /// An IAM role (or user) of some account, by ARN (`arn:aws:iam::<acct>:role/<path><name>`).
    Iam {
        /// The principal's ARN (`aws:PrincipalArn`).
        arn: String,
    },
    /// An AWS service principal such as `logs.us-east-1.amazonaws.com`.
    Service {
        /// The service principal name.
        name: String,
    },
}

impl RequestPrincipal {
    /// The 12-digit account of an IAM principal.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::Iam { arn } => arn.split(':').nth(4),
            Self::Service { .. } => None,
        }
    }
}

/// One request: principal, action, resource and the request context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// Who asks.
    pub principal: RequestPrincipal,
    /// `service:Action`.
    pub action: String,
    /// The resource ARN.
    pub resource: String,
    /// Context keys (case-insensitive names) and their values; multivalued keys have several.
    pub context: BTreeMap<String, Vec<String>>,
}

impl Request {
    fn key(&self, name: &str) -> Option<&Vec<String>> {
        self.context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// A policy document with the name reports use for it (`key policy`, `endpoint bedrock-runtime`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedPolicy {
    /// Where the policy comes from.
    pub name: String,
    /// The document.
    pub document: PolicyDocument,
}

/// The resource-side policy of the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "policy", rename_all = "snake_case")]
pub enum ResourcePolicy {
    /// An ordinary resource policy (bucket, topic, log group, role trust).
    Resource(NamedPolicy),
    /// A KMS key policy: the only grant to a key, unless it delegates to the account.
    KeyPolicy(NamedPolicy),
}

/// Everything AWS combines for one request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PolicySet {
    /// The principal's identity policies (inline and attached).
    pub identity: Vec<NamedPolicy>,
    /// The principal's permissions boundary.
    pub boundary: Option<NamedPolicy>,
    /// The resource's policy.
    pub resource: Option<ResourcePolicy>,
    /// The VPC endpoint policy, when the request travels through an endpoint.
    pub endpoint: Option<NamedPolicy>,
}

/// The outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Allowed.
    Allow,
    /// A Deny statement matched.
    ExplicitDeny,
    /// Nothing allowed it (or a required policy did not).
    ImplicitDeny,
}

impl Outcome {
    /// True for [`Outcome::Allow`].
    pub fn allowed(self) -> bool {
        self == Self::Allow
    }
}

/// A statement that took part in the decision: policy name and Sid (or index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementRef {
    /// [`NamedPolicy::name`].
    pub policy: String,
    /// The Sid, or `#<index>` for a statement without one.
    pub statement: String,
}

impl std::fmt::Display for StatementRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.policy, self.statement)
    }
}

/// A decision and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The outcome.
    pub outcome: Outcome,
    /// Allow: every statement the allow rests on (one per policy that had to allow).
    /// Explicit deny: the deny statement. Implicit deny: empty.
    pub statements: Vec<StatementRef>,
    /// One line: which rule decided.
    pub reason: String,
}

impl Decision {
    /// What decided, in one line: the statements an allow or explicit deny rests on, joined
    /// with ` + `, else (an implicit deny) the reason.
    pub fn decided_by(&self) -> String {
        if self.statements.is_empty() {
            return self.reason.clone();
        }
        let refs: Vec<String> = self.statements.iter().map(ToString::to_string).collect();
        refs.join(" + ")
    }

    fn implicit(reason: impl Into<String>) -> Self {
        Self {
            outcome: Outcome::ImplicitDeny,
            statements: Vec::new(),
            reason: reason.into(),
        }
    }
}

/// Where a statement sits: identity policies and boundaries have no Principal element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Identity,
    Resource,
}

fn sref(policy: &NamedPolicy, index: usize, st: &Statement) -> StatementRef {
    StatementRef {
        policy: policy.name.clone(),
        statement: st.sid.clone().unwrap_or_else(|| format!("#{index}")),
    }
}

/// Matching statements of one effect in a policy.
fn matching(
    policy: &NamedPolicy,
    effect: Effect,
    place: Place,
    req: &Request,
) -> Vec<StatementRef> {
    policy
        .document
        .statement
        .iter()
        .enumerate()
        .filter(|(_, st)| st.effect == effect && statement_applies(st, place, req))
        .map(|(i, st)| sref(policy, i, st))
        .collect()
}

/// True when the key policy grants the account itself (`arn:aws:iam::<acct>:root` or the bare
/// account id) the action: then IAM policies of that account take part.
fn key_policy_delegates(policy: &NamedPolicy, req: &Request) -> Option<StatementRef> {
    let account = req.principal.account()?;
    policy
        .document
        .statement
        .iter()
        .enumerate()
        .find(|(_, st)| {
            st.effect == Effect::Allow
                && names_account_root(st, account)
                && action_matches(st, &req.action)
                && resource_matches(st, req)
                && conditions_match(st, req)
        })
        .map(|(i, st)| sref(policy, i, st))
}

fn names_account_root(st: &Statement, account: &str) -> bool {
    match &st.principal {
        Some(Principal::Map(map)) => map.get("AWS").is_some_and(|list| {
            list.0
                .iter()
                .any(|p| p == account || p.ends_with(&format!(":{account}:root")))
        }),
        _ => false,
    }
}

/// Decides the request over the policies.
pub fn evaluate(set: &PolicySet, req: &Request) -> Decision {
    let mut all: Vec<(&NamedPolicy, Place)> = Vec::new();
    all.extend(set.identity.iter().map(|p| (p, Place::Identity)));
    all.extend(set.boundary.iter().map(|p| (p, Place::Identity)));
    if let Some(ResourcePolicy::Resource(p) | ResourcePolicy::KeyPolicy(p)) = &set.resource {
        all.push((p, Place::Resource));
    }
    all.extend(set.endpoint.iter().map(|p| (p, Place::Resource)));

    // 1. An explicit deny anywhere decides.
    for (policy, place) in &all {
        if let Some(deny) = matching(policy, Effect::Deny, *place, req)
            .into_iter()
            .next()
        {
            return Decision {
                outcome: Outcome::ExplicitDeny,
                reason: format!("explicit deny in {}", deny.policy),
                statements: vec![deny],
            };
        }
    }

    let mut because = Vec::new();
    // 2. The endpoint policy must allow a request that travels through the endpoint.
    if let Some(endpoint) = &set.endpoint {
        match matching(endpoint, Effect::Allow, Place::Resource, req)
            .into_iter()
            .next()
        {
            Some(s) => because.push(s),
            None => return Decision::implicit(format!("{} allows nothing of it", endpoint.name)),
        }
    }

    let identity_allow: Option<StatementRef> = set
        .identity
        .iter()
        .flat_map(|p| matching(p, Effect::Allow, Place::Identity, req))
        .next();
    let boundary_allow: Option<Option<StatementRef>> = set.boundary.as_ref().map(|b| {
        matching(b, Effect::Allow, Place::Identity, req)
            .into_iter()
            .next()
    });
    // The boundary caps identity policies: `None` = no boundary, `Some(None)` = it does not allow.
    let identity_effective = match (&identity_allow, &boundary_allow) {
        (Some(i), None) => Some(vec![i.clone()]),
        (Some(i), Some(Some(b))) => Some(vec![i.clone(), b.clone()]),
        _ => None,
    };
    let boundary_ok = !matches!(boundary_allow, Some(None));
    let boundary_ref: Vec<StatementRef> = boundary_allow.clone().flatten().into_iter().collect();

    match &set.resource {
        // 3a. KMS: the key policy must allow, directly or by delegating to the account.
        Some(ResourcePolicy::KeyPolicy(kp)) => {
            let direct: Vec<StatementRef> = kp
                .document
                .statement
                .iter()
                .enumerate()
                .filter(|(_, st)| {
                    st.effect == Effect::Allow
                        && !req
                            .principal
                            .account()
                            .is_some_and(|a| names_account_root(st, a))
                        && statement_applies(st, Place::Resource, req)
                })
                .map(|(i, st)| sref(kp, i, st))
                .collect();
            if let Some(s) = direct.into_iter().next() {
                if matches!(req.principal, RequestPrincipal::Iam { .. }) && !boundary_ok {
                    return Decision::implicit("the permissions boundary does not allow it");
                }
                because.push(s);
                because.extend(boundary_ref);
                return allow(because, "the key policy allows the principal");
            }
            match (key_policy_delegates(kp, req), identity_effective) {
                (Some(d), Some(ids)) => {
                    because.push(d);
                    because.extend(ids);
                    allow(
                        because,
                        "the key policy delegates to the account and IAM allows",
                    )
                }
                (Some(_), None) => Decision::implicit(
                    "the key policy delegates to IAM, but no identity policy (within the boundary) allows",
                ),
                (None, _) => Decision::implicit(format!(
                    "{} neither allows the principal nor delegates to its account",
                    kp.name
                )),
            }
        }
        Some(ResourcePolicy::Resource(rp)) => {
            let resource_allow = matching(rp, Effect::Allow, Place::Resource, req)
                .into_iter()
                .next();
            let same_account = match (&req.principal, resource_owner(req)) {
                (RequestPrincipal::Iam { .. }, Some(owner)) => {
                    req.principal.account() == Some(owner.as_str())
                }
                _ => true,
            };
            if matches!(req.principal, RequestPrincipal::Service { .. }) {
                // A service principal has no identity policies: the resource policy decides.
                return match resource_allow {
                    Some(s) => {
                        because.push(s);
                        allow(because, "the resource policy allows the service")
                    }
                    None => Decision::implicit(format!("{} does not allow the service", rp.name)),
                };
            }
            if same_account {
                // Same account: either side suffices, but for a role a resource-policy grant is
                // still capped by an implicit deny in its permissions boundary.
                if let Some(ids) = identity_effective {
                    because.extend(ids);
                    return allow(because, "an identity policy allows (same account)");
                }
                match resource_allow {
                    Some(s) if boundary_ok => {
                        because.push(s);
                        because.extend(boundary_ref);
                        allow(because, "the resource policy allows (same account)")
                    }
                    Some(_) => Decision::implicit("the permissions boundary does not allow it"),
                    None => Decision::implicit("neither identity nor resource policy allows it"),
                }
            } else {
                // Cross account: both sides must allow.
                match (identity_effective, resource_allow) {
                    (Some(ids), Some(s)) => {
                        because.extend(ids);
                        because.push(s);
                        allow(
                            because,
                            "identity and resource policy allow (cross account)",
                        )
                    }
                    (_, None) => Decision::implicit(format!(
                        "{} does not allow this account's principal (cross account)",
                        rp.name
                    )),
                    (None, Some(_)) => {
                        Decision::implicit("no identity policy allows it (cross account)")
                    }
                }
            }
        }
        None => match identity_effective {
            Some(ids) => {
                because.extend(ids);
                allow(because, "an identity policy allows")
            }
            None if matches!(req.principal, RequestPrincipal::Service { .. }) => {
                Decision::implicit("a service principal needs a resource policy")
            }
            None => Decision::implicit("no identity policy (within the boundary) allows it"),
        },
    }
}

fn allow(statements: Vec<StatementRef>, reason: &str) -> Decision {
    Decision {
        outcome: Outcome::Allow,
        statements,
        reason: reason.to_owned(),
    }
}

/// The account that owns the resource: the ARN's account field, or `aws:ResourceAccount`.
fn resource_owner(req: &Request) -> Option<String> {
    if let Some(v) = req.key("aws:ResourceAccount").and_then(|v| v.first()) {
        return Some(v.clone());
    }
    req.resource
        .split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
}

fn statement_applies(st: &Statement, place: Place, req: &Request) -> bool {
    (place == Place::Identity || principal_matches(st, &req.principal))
        && action_matches(st, &req.action)
        && resource_matches(st, req)
        && conditions_match(st, req)
}

fn principal_matches(st: &Statement, who: &RequestPrincipal) -> bool {
    match &st.principal {
        None => false,
        Some(Principal::Any(_)) => true,
        Some(Principal::Map(map)) => map.iter().any(|(kind, list)| {
            list.0.iter().any(|p| match (kind.as_str(), who) {
                (_, _) if p == "*" => true,
                ("AWS", RequestPrincipal::Iam { arn }) => {
                    p == arn
                        || who.account().is_some_and(|a| {
                            p == a || *p == format!("arn:{}:iam::{a}:root", partition(arn))
                        })
                }
                ("Service", RequestPrincipal::Service { name }) => p == name,
                _ => false,
            })
        }),
    }
}

fn partition(arn: &str) -> &str {
    arn.split(':').nth(1).unwrap_or("aws")
}

fn action_matches(st: &Statement, action: &str) -> bool {
    let hit = |list: &StringList| {
        list.0
            .iter()
            .any(|p| glob(&p.to_ascii_lowercase(), &action.to_ascii_lowercase()))
    };
    match (&st.action, &st.not_action) {
        (Some(a), _) => hit(a),
        (None, Some(na)) => !hit(na),
        (None, None) => false,
    }
}

fn resource_matches(st: &Statement, req: &Request) -> bool {
    let hit = |list: &StringList| {
        list.0
            .iter()
            .any(|p| glob(&substitute(p, req), &req.resource))
    };
    match (&st.resource, &st.not_resource) {
        (Some(r), _) => hit(r),
        (None, Some(nr)) => !hit(nr),
        // Trust policies have no Resource: the statement is about the role it is attached to.
        (None, None) => true,
    }
}

/// Replaces `${key}` policy variables with the request's single value of that key; `${*}`,
/// `${?}` and `${$}` stand for the literal characters. An unknown variable leaves the pattern
/// unmatchable, as AWS does ("Policy variables":
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).
fn substitute(pattern: &str, req: &Request) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        let (key, default) = match name.split_once(", '") {
            Some((k, d)) => (k.trim(), Some(d.trim_end_matches('\''))),
            None => (name.trim(), None),
        };
        match key {
            "*" | "?" | "$" => out.push_str(key),
            _ => match req
                .key(key)
                .and_then(|v| v.first())
                .map(String::as_str)
                .or(default)
            {
                Some(v) => out.push_str(v),
                // A character no ARN contains: the pattern then never matches.
                None => out.push('\u{0}'),
            },
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `*` matches any run of characters, `?` one; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

fn conditions_match(st: &Statement, req: &Request) -> bool {
    let Some(cond) = &st.condition else {
        return true;
    };
    cond.iter().all(|(op, keys)| {
        keys.iter()
            .all(|(key, values)| condition_matches(op, key, values, req))
    })
}

/// One `operator: {key: values}` entry.
fn condition_matches(op: &str, key: &str, values: &StringList, req: &Request) -> bool {
    let (set_op, op) = match op.split_once(':') {
        Some((q, rest)) => (Some(q), rest),
        None => (None, op),
    };
    let (op, if_exists) = match op.strip_suffix("IfExists") {
        Some(base) => (base, true),
        None => (op, false),
    };
    let wanted: Vec<String> = values.0.iter().map(|v| substitute(v, req)).collect();
    if op == "Null" {
        let absent = req.key(key).is_none_or(|v| v.is_empty());
        return wanted
            .iter()
            .any(|w| w == if absent { "true" } else { "false" });
    }
    let present = req.key(key).filter(|v| !v.is_empty());
    let negated = op.contains("Not");
    let Some(actual) = present else {
        // Missing key: IfExists and ForAllValues match; negated operators match (there is no
        // value equal to the listed ones); everything else does not.
        return if_exists || set_op == Some("ForAllValues") || (negated && set_op.is_none());
    };
    let one = |a: &str| value_matches(op, a, &wanted);
    match set_op {
        Some("ForAllValues") => actual.iter().all(|a| one(a)),
        Some("ForAnyValue") => actual.iter().any(|a| one(a)),
        // A single-valued key: its value must match (negated operators: must match none).
        _ => actual.iter().any(|a| one(a)),
    }
}

fn value_matches(op: &str, actual: &str, wanted: &[String]) -> bool {
    let any = |f: &dyn Fn(&str) -> bool| wanted.iter().any(|w| f(w));
    match op {
        "StringEquals" | "ArnEquals" => any(&|w| w == actual),
        "StringNotEquals" | "ArnNotEquals" => !any(&|w| w == actual),
        "StringEqualsIgnoreCase" => any(&|w| w.eq_ignore_ascii_case(actual)),
        "StringNotEqualsIgnoreCase" => !any(&|w| w.eq_ignore_ascii_case(actual)),
        "StringLike" | "ArnLike" => any(&|w| glob(w, actual)),
        "StringNotLike" | "ArnNotLike" => !any(&|w| glob(w, actual)),
        "Bool" => any(&|w| w.eq_ignore_ascii_case(actual)),
        "NumericEquals"
        | "NumericNotEquals"
        | "NumericLessThan"
        | "NumericLessThanEquals"
        | "NumericGreaterThan"
        | "NumericGreaterThanEquals" => {
            let Ok(a) = actual.parse::<f64>() else {
                return false;
            };
            let cmp = |w: &str| {
                w.parse::<f64>().is_ok_and(|w| match op {
                    "NumericEquals" => a == w,
                    "NumericNotEquals" => a != w,
                    "NumericLessThan" => a < w,
                    "NumericLessThanEquals" => a <= w,
                    "NumericGreaterThan" => a > w,
                    _ => a >= w,
                })
            };
            if op == "NumericNotEquals" {
                wanted.iter().all(|w| cmp(w))
            } else {
                any(&cmp)
            }
        }
        // An operator this evaluator does not know never grants (and never denies).
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCT: &str = "111122223333";
    const ROLE: &str = "arn:aws:iam::111122223333:role/app";
    const OTHER: &str = "arn:aws:iam::444455556666:role/intruder";
    const BUCKET_OBJ: &str = "arn:aws:s3:::amzn-s3-demo-bucket/data/x";

    fn doc(json: &str) -> PolicyDocument {
        PolicyDocument::parse(json).unwrap()
    }

    fn named(name: &str, json: &str) -> NamedPolicy {
        NamedPolicy {
            name: name.into(),
            document: doc(json),
        }
    }

    fn req(principal: &str, action: &str, resource: &str, ctx: &[(&str, &[&str])]) -> Request {
        Request {
            principal: RequestPrincipal::Iam {
                arn: principal.into(),
            },
            action: action.into(),
            resource: resource.into(),
            context: ctx
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.iter().map(|s| (*s).to_owned()).collect()))
                .collect(),
        }
    }

    const ALLOW_PUT: &str = r#"{"Statement":[{"Sid":"Put","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#;
    const DENY_PUT: &str =
        r#"{"Statement":[{"Sid":"NoPut","Effect":"Deny","Action":"s3:*","Resource":"*"}]}"#;
    const BUCKET_ALLOWS_ROLE: &str = r#"{"Statement":[{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#;
    const BUCKET_ALLOWS_OTHER: &str = r#"{"Statement":[{"Sid":"Other","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#;
    const EMPTY: &str = r#"{"Statement":[]}"#;

    /// The cases of "Policy evaluation logic" (explicit deny wins; same account: identity OR
    /// resource; boundary caps identity; cross account: identity AND resource).
    #[test]
    fn aws_policy_evaluation_table() {
        struct Case {
            name: &'static str,
            principal: &'static str,
            identity: Option<&'static str>,
            boundary: Option<&'static str>,
            resource: Option<&'static str>,
            expect: Outcome,
        }
        let cases = [
            Case {
                name: "nothing allows: implicit deny",
                principal: ROLE,
                identity: None,
                boundary: None,
                resource: None,
                expect: Outcome::ImplicitDeny,
            },
            Case {
                name: "identity allows",
                principal: ROLE,
                identity: Some(ALLOW_PUT),
                boundary: None,
                resource: None,
                expect: Outcome::Allow,
            },
            Case {
                name: "explicit deny in identity overrides its allow",
                principal: ROLE,
                identity: Some(DENY_PUT),
                boundary: None,
                resource: Some(BUCKET_ALLOWS_ROLE),
                expect: Outcome::ExplicitDeny,
            },
            Case {
                name: "same account: resource policy alone suffices",
                principal: ROLE,
                identity: Some(EMPTY),
                boundary: None,
                resource: Some(BUCKET_ALLOWS_ROLE),
                expect: Outcome::Allow,
            },
            Case {
                name: "same account: identity alone suffices",
                principal: ROLE,
                identity: Some(ALLOW_PUT),
                boundary: None,
                resource: Some(EMPTY),
                expect: Outcome::Allow,
            },
            Case {
                name: "boundary without the action caps identity",
                principal: ROLE,
                identity: Some(ALLOW_PUT),
                boundary: Some(EMPTY),
                resource: None,
                expect: Outcome::ImplicitDeny,
            },
            Case {
                name: "boundary with the action lets identity through",
                principal: ROLE,
                identity: Some(ALLOW_PUT),
                boundary: Some(ALLOW_PUT),
                resource: None,
                expect: Outcome::Allow,
            },
            Case {
                name: "boundary deny is an explicit deny",
                principal: ROLE,
                identity: Some(ALLOW_PUT),
                boundary: Some(DENY_PUT),
                resource: None,
                expect: Outcome::ExplicitDeny,
            },
            Case {
                name: "role ARN in resource policy still capped by boundary",
                principal: ROLE,
                identity: Some(EMPTY),
                boundary: Some(EMPTY),
                resource: Some(BUCKET_ALLOWS_ROLE),
                expect: Outcome::ImplicitDeny,
            },
            Case {
                name: "cross account: resource policy alone is not enough",
                principal: OTHER,
                identity: Some(EMPTY),
                boundary: None,
                resource: Some(BUCKET_ALLOWS_OTHER),
                expect: Outcome::ImplicitDeny,
            },
            Case {
                name: "cross account: identity alone is not enough",
                principal: OTHER,
                identity: Some(ALLOW_PUT),
                boundary: None,
                resource: Some(BUCKET_ALLOWS_ROLE),
                expect: Outcome::ImplicitDeny,
            },
            Case {
                name: "cross account: both allow",
                principal: OTHER,
                identity: Some(ALLOW_PUT),
                boundary: None,
                resource: Some(BUCKET_ALLOWS_OTHER),
                expect: Outcome::Allow,
            },
        ];
        for c in cases {
            let set = PolicySet {
                identity: c
                    .identity
                    .map(|j| named("identity", j))
                    .into_iter()
                    .collect(),
                boundary: c.boundary.map(|j| named("boundary", j)),
                resource: c
                    .resource
                    .map(|j| ResourcePolicy::Resource(named("bucket", j))),
                endpoint: None,
            };
            let mut r = req(c.principal, "s3:PutObject", BUCKET_OBJ, &[]);
            r.context
                .insert("aws:ResourceAccount".into(), vec![ACCT.into()]);
            let d = evaluate(&set, &r);
            assert_eq!(d.outcome, c.expect, "{}: {}", c.name, d.reason);
        }
    }

    #[test]
    fn kms_iam_policies_count_only_when_the_key_policy_delegates() {
        let key = "arn:aws:kms:us-east-1:111122223333:key/k";
        let root = r#"{"Statement":[{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
        let no_root = r#"{"Statement":[{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"kms:*","Resource":"*"}]}"#;
        let identity = r#"{"Statement":[{"Sid":"Dec","Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/k"}]}"#;
        let r = req(ROLE, "kms:Decrypt", key, &[]);
        let with = |kp: &str, id: &str| PolicySet {
            identity: vec![named("identity", id)],
            resource: Some(ResourcePolicy::KeyPolicy(named("key policy", kp))),
            ..PolicySet::default()
        };
        let d = evaluate(&with(root, identity), &r);
        assert_eq!(d.outcome, Outcome::Allow, "{}", d.reason);
        assert!(d.statements.iter().any(|s| s.statement == "Root"));
        assert!(d.statements.iter().any(|s| s.statement == "Dec"));
        assert_eq!(
            evaluate(&with(no_root, identity), &r).outcome,
            Outcome::ImplicitDeny
        );
        assert_eq!(
            evaluate(&with(root, EMPTY), &r).outcome,
            Outcome::ImplicitDeny
        );
        // The root statement is delegation, not a grant to every principal of the account.
        let admin = req(
            "arn:aws:iam::111122223333:role/admin",
            "kms:Decrypt",
            key,
            &[],
        );
        assert_eq!(
            evaluate(&with(no_root, EMPTY), &admin).outcome,
            Outcome::Allow
        );
    }

    #[test]
    fn endpoint_policy_must_allow_too() {
        let endpoint = r#"{"Statement":[{"Sid":"App","Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"}}}]}"#;
        let set = PolicySet {
            identity: vec![named(
                "identity",
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
            )],
            endpoint: Some(named("endpoint s3", endpoint)),
            ..PolicySet::default()
        };
        let ok = req(
            ROLE,
            "s3:PutObject",
            BUCKET_OBJ,
            &[("aws:PrincipalArn", &[ROLE])],
        );
        let d = evaluate(&set, &ok);
        assert_eq!(d.outcome, Outcome::Allow);
        assert_eq!(d.statements[0].to_string(), "endpoint s3 / App");
        assert_eq!(d.statements[1].statement, "#0");
        let other = "arn:aws:iam::111122223333:role/other";
        let no = req(
            other,
            "s3:PutObject",
            BUCKET_OBJ,
            &[("aws:PrincipalArn", &[other])],
        );
        assert_eq!(evaluate(&set, &no).outcome, Outcome::ImplicitDeny);
    }

    #[test]
    fn condition_operators() {
        let r = req(
            ROLE,
            "a:B",
            "r",
            &[
                (
                    "aws:SourceArn",
                    &["arn:aws:cloudwatch:us-east-1:111122223333:alarm:x"],
                ),
                ("aws:SecureTransport", &["true"]),
                ("s3:max-keys", &["5"]),
                ("aws:TagKeys", &["a", "b"]),
                ("aws:username", &["carlos"]),
            ],
        );
        let check = |op: &str, key: &str, vals: &[&str]| {
            let values: StringList = vals.iter().copied().collect();
            condition_matches(op, key, &values, &r)
        };
        assert!(check("StringEquals", "aws:username", &["carlos"]));
        assert!(
            check("StringEquals", "AWS:UserName", &["carlos"]),
            "key names are case-insensitive"
        );
        assert!(
            !check("StringEquals", "aws:username", &["Carlos"]),
            "values are not"
        );
        assert!(check("StringEqualsIgnoreCase", "aws:username", &["Carlos"]));
        assert!(check("StringLike", "aws:username", &["car*"]));
        assert!(check("StringNotEquals", "aws:username", &["maria"]));
        assert!(!check("StringNotLike", "aws:username", &["c?rlos"]));
        assert!(check(
            "ArnLike",
            "aws:SourceArn",
            &["arn:aws:cloudwatch:us-east-1:111122223333:alarm:*"]
        ));
        assert!(!check(
            "ArnEquals",
            "aws:SourceArn",
            &["arn:aws:cloudwatch:us-east-1:444455556666:alarm:x"]
        ));
        assert!(check("Bool", "aws:SecureTransport", &["true"]));
        assert!(!check("Bool", "aws:SecureTransport", &["false"]));
        assert!(
            !check("Bool", "aws:MultiFactorAuthPresent", &["false"]),
            "missing key: no match"
        );
        assert!(
            check("BoolIfExists", "aws:MultiFactorAuthPresent", &["false"]),
            "IfExists: missing matches"
        );
        assert!(
            check("StringNotEquals", "aws:SourceVpce", &["vpce-1"]),
            "negated: missing key matches"
        );
        assert!(check("NumericLessThan", "s3:max-keys", &["10"]));
        assert!(!check("NumericLessThan", "s3:max-keys", &["5"]));
        assert!(check("NumericLessThanEquals", "s3:max-keys", &["5"]));
        assert!(check(
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            &["b", "z"]
        ));
        assert!(!check(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["b", "z"]
        ));
        assert!(check(
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            &["a", "b", "c"]
        ));
        assert!(check("ForAllValues:StringEquals", "aws:Missing", &["a"]));
        assert!(!check("ForAnyValue:StringEquals", "aws:Missing", &["a"]));
        assert!(check("Null", "aws:Missing", &["true"]));
        assert!(check("Null", "aws:username", &["false"]));
        assert!(
            check("StringEquals", "aws:username", &["${aws:username}"]),
            "policy variables in values"
        );
    }

    #[test]
    fn not_action_not_resource_wildcards_and_variables() {
        let r = req(
            ROLE,
            "s3:GetObject",
            "arn:aws:s3:::b/home/carlos/f",
            &[("aws:username", &["carlos"])],
        );
        let st = |json: &str| serde_json::from_str::<Statement>(json).unwrap();
        let home = st(
            r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}"#,
        );
        assert!(statement_applies(&home, Place::Identity, &r));
        let other = req(
            ROLE,
            "s3:GetObject",
            "arn:aws:s3:::b/home/maria/f",
            &[("aws:username", &["carlos"])],
        );
        assert!(!statement_applies(&home, Place::Identity, &other));
        let not_action = st(r#"{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}"#);
        assert!(statement_applies(&not_action, Place::Identity, &r));
        let not_resource =
            st(r#"{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::b/home/*"}"#);
        assert!(!statement_applies(&not_resource, Place::Identity, &r));
        assert!(glob("s3:*object", "s3:getobject"));
        assert!(!glob("a?c", "abbc"));
        // Action names match case-insensitively.
        let upper = st(r#"{"Effect":"Allow","Action":"S3:GETOBJECT","Resource":"*"}"#);
        assert!(statement_applies(&upper, Place::Identity, &r));
    }

    #[test]
    fn service_principals_need_the_resource_policy_and_its_conditions() {
        let topic = "arn:aws:sns:us-east-1:111122223333:t";
        let policy = r#"{"Statement":[{"Sid":"Alarms","Effect":"Allow","Principal":{"Service":"cloudwatch.amazonaws.com"},"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111122223333:t","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}"#;
        let set = PolicySet {
            resource: Some(ResourcePolicy::Resource(named("topic", policy))),
            ..PolicySet::default()
        };
        let mut r = Request {
            principal: RequestPrincipal::Service {
                name: "cloudwatch.amazonaws.com".into(),
            },
            action: "sns:Publish".into(),
            resource: topic.into(),
            context: [("aws:SourceAccount".to_owned(), vec![ACCT.to_owned()])].into(),
        };
        assert_eq!(evaluate(&set, &r).outcome, Outcome::Allow);
        r.context
            .insert("aws:SourceAccount".into(), vec!["444455556666".into()]);
        assert_eq!(evaluate(&set, &r).outcome, Outcome::ImplicitDeny);
    }
}
