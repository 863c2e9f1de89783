//! Deterministic names and tags. Every resource name derives from one prefix
//! (`<project>-<environment>`) so a resource can be found again after a crash without state, and
//! every taggable resource carries the user's tags plus `baseline:stack` and `baseline:module`.

use std::collections::BTreeMap;

/// Tag key naming the stack a resource belongs to.
pub const STACK_TAG: &str = "baseline:stack";
/// Tag key naming the module that owns a resource.
pub const MODULE_TAG: &str = "baseline:module";

/// Names and tags for one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    prefix: String,
    user_tags: BTreeMap<String, String>,
}

impl Naming {
    /// `prefix` is `<project>-<environment>`, already validated (lowercase, digits, hyphens).
    pub fn new(prefix: impl Into<String>, user_tags: BTreeMap<String, String>) -> Self {
        Self {
            prefix: prefix.into(),
            user_tags,
        }
    }

    /// The stack name, which is also the prefix of every resource name.
    pub fn stack(&self) -> &str {
        &self.prefix
    }

    /// `<prefix>-<suffix>`, cut to `max_len` with a stable hash suffix when too long, so two long
    /// names never collide after truncation.
    pub fn name(&self, suffix: &str, max_len: usize) -> String {
        let full = format!("{}-{}", self.prefix, suffix);
        fit(&full, max_len)
    }

    /// The user's tags plus the stack and module tags.
    pub fn tags(&self, module: &str) -> BTreeMap<String, String> {
        let mut tags = self.user_tags.clone();
        tags.insert(STACK_TAG.to_owned(), self.prefix.clone());
        tags.insert(MODULE_TAG.to_owned(), module.to_owned());
        tags
    }

    /// The KMS alias of the stack's key.
    pub fn key_alias(&self) -> String {
        format!("alias/{}-bedrock", self.prefix)
    }

    /// Id of the request-metrics configuration on the invocation-log bucket (the `FilterId`
    /// dimension of its `AWS/S3` request metrics). PutBucketMetricsConfiguration: "The ID has
    /// a 64 character limit and can only contain letters, numbers, periods, dashes, and
    /// underscores" (S3 API reference); the prefix is lowercase letters, digits and hyphens.
    pub fn request_metrics_id(&self) -> String {
        self.name("requests", 64)
    }

    /// The folder of every log group of the stack: `/aws/bedrock/<prefix>/`.
    pub fn log_group_prefix(&self) -> String {
        format!("/aws/bedrock/{}/", self.prefix)
    }

    /// A log group of the stack: `/aws/bedrock/<prefix>/<name>`.
    pub fn log_group(&self, name: &str) -> String {
        format!("{}{name}", self.log_group_prefix())
    }

    /// The log bucket name: globally unique, so it includes the account id and region
    /// (S3: 3..=63 chars, lowercase).
    pub fn log_bucket(&self, account_id: &str, region: &str) -> String {
        fit(
            &format!("{}-bedrock-logs-{}-{}", self.prefix, account_id, region),
            63,
        )
    }
}

/// Shortens `name` to `max_len`, replacing the tail with an 8-hex-digit FNV-1a hash of the whole.
pub fn fit(name: &str, max_len: usize) -> String {
    if name.len() <= max_len {
        return name.to_owned();
    }
    let hash = fnv1a(name.as_bytes());
    let keep = max_len.saturating_sub(9);
    let mut head: String = name.chars().take(keep).collect();
    while head.ends_with('-') {
        head.pop();
    }
    format!("{head}-{hash:08x}")
}

fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        let n = Naming::new("a".repeat(60), BTreeMap::new());
        let name = n.name("bedrock-logging", 64);
        assert_eq!(name.len(), 64);
        assert_eq!(name, n.name("bedrock-logging", 64));
        assert_ne!(name, n.name("bedrock-logging2", 64));
    }

    #[test]
    fn tags_carry_stack_and_module() {
        let n = Naming::new("demo-prod", BTreeMap::from([("Owner".into(), "me".into())]));
        let tags = n.tags("encryption");
        assert_eq!(tags[STACK_TAG], "demo-prod");
        assert_eq!(tags[MODULE_TAG], "encryption");
        assert_eq!(tags["Owner"], "me");
    }

    #[test]
    fn bucket_name_fits_s3_limit() {
        let n = Naming::new("bedrock-baseline-production", BTreeMap::new());
        let b = n.log_bucket("123456789012", "ap-southeast-2");
        assert!(b.len() <= 63, "{b}");
    }
}
