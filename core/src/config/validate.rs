//! Validation of a [`Config`]: every rule that can be checked without calling AWS.
//!
//! [`validate`] never stops at the first problem: it returns every [`ConfigIssue`] found, each
//! with the key path of the offending value (`subnet_ids[0]`,
//! `content_filters.prompt_attack.output_strength`, `tags.Owner`) and, where useful, a hint.
//!
//! Input: a [`Config`] (loaded or built in code). Output: the list of issues (empty = valid).

mod alerting;
mod budgets;
mod extensions;
mod guardrails;
mod logging;
mod models;
mod monitoring;
mod names;
mod network;
mod tags;

use super::{Config, ConfigIssue};

/// User tags allowed: AWS allows 50 per resource, the tool adds its own `baseline:*` tags.
pub(crate) const MAX_USER_TAGS: usize = 48;

/// Check `config` against every rule; an empty list means it is valid.
pub fn validate(config: &Config) -> Vec<ConfigIssue> {
    let mut v = Issues::default();
    v.names(config);
    v.network(config);
    v.logging(config);
    v.models(config);
    v.guardrails(config);
    v.alerting(config);
    v.tags(config);
    v.monitoring(config);
    v.budgets(config);
    v.extensions(config);
    v.0
}

#[derive(Default)]
struct Issues(Vec<ConfigIssue>);

impl Issues {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigIssue::new(path, message));
    }

    fn hint(
        &mut self,
        path: impl Into<String>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) {
        self.0.push(ConfigIssue::new(path, message).with_hint(hint));
    }
}

// ----- format predicates ----------------------------------------------------------------------

/// `<prefix>` followed by 8 or 17 lowercase hex digits.
fn is_aws_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|hex| {
        (hex.len() == 8 || hex.len() == 17)
            && hex
                .chars()
                .all(|ch| ch.is_ascii_digit() || ('a'..='f').contains(&ch))
    })
}

/// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `eu-central-2`.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    if !(3..=4).contains(&parts.len()) {
        return false;
    }
    let lower = |s: &str| !s.is_empty() && s.chars().all(|ch| ch.is_ascii_lowercase());
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    first.len() == 2
        && lower(first)
        && parts[1..parts.len() - 1].iter().all(|p| lower(p))
        && !last.is_empty()
        && last.chars().all(|ch| ch.is_ascii_digit())
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.chars().all(|ch| ch.is_ascii_digit())
}

/// The parts of an ARN `arn:<partition>:<service>:<region>:<account>:<resource>`.
struct Arn<'a> {
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

impl Arn<'_> {
    fn account_ok(&self) -> bool {
        is_account_id(self.account)
    }
}

fn arn_parts<'a>(arn: &'a str, service: &str) -> Option<Arn<'a>> {
    let mut it = arn.splitn(6, ':');
    let (scheme, partition, svc) = (it.next()?, it.next()?, it.next()?);
    let (region, account, resource) = (it.next()?, it.next()?, it.next()?);
    let partition_ok = matches!(
        partition,
        "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b"
    );
    (scheme == "arn" && partition_ok && svc == service).then_some(Arn {
        region,
        account,
        resource,
    })
}

/// `arn:aws:iam::<account>:policy/<path/name>` (an AWS managed policy, account `aws`, too).
fn is_iam_policy_arn(arn: &str) -> bool {
    arn_parts(arn, "iam").is_some_and(|a| {
        a.region.is_empty()
            && (a.account_ok() || a.account == "aws")
            && a.resource
                .strip_prefix("policy/")
                .is_some_and(|n| !n.is_empty() && !n.ends_with('/'))
    })
}

/// The region of a foundation-model or inference-profile ARN.
fn model_arn_region(arn: &str) -> Option<&str> {
    let a = arn_parts(arn, "bedrock")?;
    if !is_region(a.region) {
        return None;
    }
    let ok = if let Some(id) = a.resource.strip_prefix("foundation-model/") {
        a.account.is_empty() && !id.is_empty()
    } else if let Some(id) = a
        .resource
        .strip_prefix("inference-profile/")
        .or_else(|| a.resource.strip_prefix("application-inference-profile/"))
    {
        a.account_ok() && !id.is_empty()
    } else {
        false
    };
    ok.then_some(a.region)
}

/// A 12-digit account id or `arn:aws:iam::<account>:root|role/...|user/...`.
fn is_account_principal(p: &str) -> bool {
    if is_account_id(p) {
        return true;
    }
    arn_parts(p, "iam").is_some_and(|a| {
        a.region.is_empty()
            && a.account_ok()
            && (a.resource == "root"
                || a.resource
                    .strip_prefix("role/")
                    .is_some_and(|r| !r.is_empty())
                || a.resource
                    .strip_prefix("user/")
                    .is_some_and(|u| !u.is_empty()))
    })
}

/// A plausible e-mail address: `local@domain.tld`, no spaces.
fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(|ch| ch.is_whitespace() || ch.is_control())
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|ch| ch.is_alphanumeric() || ch == '-')
        })
}

/// E.164: `+` then 8 to 15 digits.
fn is_e164(s: &str) -> bool {
    s.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.chars().all(|ch| ch.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

/// `<scheme>host...` with a non-empty host and no whitespace.
fn is_url(s: &str, scheme: &str) -> bool {
    s.strip_prefix(scheme).is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !s.chars().any(char::is_whitespace)
    })
}

fn tag_char(ch: char) -> bool {
    ch.is_alphanumeric() || ch.is_whitespace() || "_.:/=+-@".contains(ch)
}

fn is_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '.' || ch == '-')
        && b.starts_with(|ch: char| ch.is_ascii_alphanumeric())
        && b.ends_with(|ch: char| ch.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests;
