//! Names and ids: environment, project, the VPC, its subnets and route tables, the application role.

use std::collections::BTreeMap;

use super::{is_aws_id, Issues};
use crate::config::Config;

impl Issues {
    pub(super) fn names(&mut self, c: &Config) {
        if c.environment.is_empty() {
            self.hint(
                "environment",
                "is required",
                "set the environment name, e.g. `environment = \"production\"`",
            );
        } else {
            self.slug("environment", &c.environment);
        }
        self.slug("project", &c.project);

        if c.vpc_id.is_empty() {
            self.hint(
                "vpc_id",
                "is required",
                "set the id of the VPC for the endpoints, e.g. `vpc-0123456789abcdef0`",
            );
        } else if !is_aws_id(&c.vpc_id, "vpc-") {
            self.hint(
                "vpc_id",
                format!("`{}` is not a VPC id", c.vpc_id),
                "VPC ids are `vpc-` followed by 8 or 17 lowercase hex digits, e.g. `vpc-0123456789abcdef0`",
            );
        }

        if c.subnet_ids.is_empty() {
            self.hint(
                "subnet_ids",
                "is required: at least one subnet",
                "list the subnets for the endpoints, one per Availability Zone, e.g. `[\"subnet-0123456789abcdef0\"]`",
            );
        }
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, id) in c.subnet_ids.iter().enumerate() {
            let path = format!("subnet_ids[{i}]");
            if let Some(first) = seen.get(id.as_str()) {
                self.hint(
                    path,
                    format!("duplicate of subnet_ids[{first}]"),
                    "list each subnet once",
                );
                continue;
            }
            seen.insert(id, i);
            if !is_aws_id(id, "subnet-") {
                let hint = if id.starts_with("snet-") {
                    "AWS subnet ids start with `subnet-`".to_owned()
                } else {
                    "subnet ids are `subnet-` followed by 8 or 17 lowercase hex digits, e.g. `subnet-0123456789abcdef0`"
                        .to_owned()
                };
                self.hint(path, format!("`{id}` is not a subnet id"), hint);
            }
        }

        for (i, id) in c.route_table_ids.iter().enumerate() {
            if !is_aws_id(id, "rtb-") {
                self.hint(
                    format!("route_table_ids[{i}]"),
                    format!("`{id}` is not a route table id"),
                    "route table ids are `rtb-` followed by 8 or 17 lowercase hex digits",
                );
            }
        }

        let role = &c.bedrock_role_name;
        if role.is_empty() {
            self.hint(
                "bedrock_role_name",
                "is required",
                "name the existing IAM role your application runs as (e.g. `MyAppBedrockRole`); the endpoint policies admit only it, and there is no default",
            );
        }
        let role_ok = (1..=64).contains(&role.chars().count())
            && role
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch));
        if !role_ok && !role.is_empty() {
            self.hint(
                "bedrock_role_name",
                format!("`{role}` is not a valid IAM role name"),
                "1 to 64 characters: letters, digits and `+=,.@_-` (a name, not an ARN)",
            );
        }
    }

    /// Lowercase letters, digits and hyphens, 1..=32, starting and ending alphanumeric.
    pub(super) fn slug(&mut self, path: &str, value: &str) {
        let ok = (1..=32).contains(&value.len())
            && value
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-')
            && !value.starts_with('-')
            && !value.ends_with('-');
        if !ok {
            let suggestion: String = value
                .to_ascii_lowercase()
                .chars()
                .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
                .collect::<String>()
                .trim_matches('-')
                .chars()
                .take(32)
                .collect();
            let hint = if suggestion.is_empty() {
                "use 1 to 32 lowercase letters, digits and hyphens".to_owned()
            } else {
                format!("use 1 to 32 lowercase letters, digits and hyphens, e.g. `{suggestion}`")
            };
            self.hint(path, format!("`{value}` is not a valid name"), hint);
        }
    }
}
