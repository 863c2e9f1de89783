//! Network: CIDR lists (no host bits), extra endpoint services and policies, the endpoint wait.

use std::collections::BTreeSet;

use ipnet::IpNet;

use super::Issues;
use crate::config::{did_you_mean, Config, EndpointService, ENDPOINT_POLICY_NAMES};

impl Issues {
    pub(super) fn network(&mut self, c: &Config) {
        for (key, list) in [
            ("management_allowed_cidrs", &c.management_allowed_cidrs),
            ("runtime_allowed_cidrs", &c.runtime_allowed_cidrs),
        ] {
            for (i, net) in list.iter().enumerate() {
                let path = format!("{key}[{i}]");
                if net.prefix_len() == 0 {
                    self.hint(
                        path,
                        format!("`{net}` allows ingress from the whole internet"),
                        "list only the networks that need to reach the endpoints, e.g. `10.20.0.0/16`",
                    );
                } else {
                    self.host_bits(path, net);
                }
            }
        }
        self.host_bits("vpc_cidr".to_owned(), &c.vpc_cidr);

        for (name, policy) in &c.custom_endpoint_policies {
            let path = format!("custom_endpoint_policies.{name}");
            if !ENDPOINT_POLICY_NAMES.contains(&name.as_str()) {
                let hint = match did_you_mean(name, ENDPOINT_POLICY_NAMES.iter().copied()) {
                    Some(m) => format!("did you mean `{m}`?"),
                    None => format!("expected one of: {}", ENDPOINT_POLICY_NAMES.join(", ")),
                };
                self.hint(
                    path.clone(),
                    format!("`{name}` is not a Bedrock endpoint"),
                    hint,
                );
            }
            match serde_json::from_str::<serde_json::Value>(policy) {
                Ok(serde_json::Value::Object(_)) => match crate::policy::PolicyDocument::parse(policy) {
                    Ok(doc) if doc.has_wildcard_allow() => self.hint(
                        path,
                        "allows `*` or `service:*` actions",
                        "list the actions the endpoint must admit explicitly",
                    ),
                    Ok(_) => {}
                    Err(e) => self.hint(
                        path,
                        format!(
                            "is not a policy document: {}",
                            std::error::Error::source(&e)
                                .map(|s| s.to_string())
                                .unwrap_or_else(|| e.to_string())
                        ),
                        "give a JSON policy with Version and Statement",
                    ),
                },
                Ok(_) => self.hint(
                    path,
                    "is not a JSON object",
                    "an endpoint policy is a JSON document `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`",
                ),
                Err(e) => self.hint(
                    path,
                    format!("is not valid JSON: {e}"),
                    "an endpoint policy is a JSON document `{\"Version\": \"2012-10-17\", \"Statement\": [...]}`",
                ),
            }
        }

        let mut seen = BTreeSet::new();
        for (i, service) in c.extra_endpoint_services.iter().enumerate() {
            if !seen.insert(*service) {
                self.hint(
                    format!("extra_endpoint_services[{i}]"),
                    format!("`{}` is listed twice", service.as_str()),
                    "list each service once",
                );
            }
        }
        if c.extra_endpoint_services.contains(&EndpointService::S3) && c.route_table_ids.is_empty()
        {
            self.hint(
                "route_table_ids",
                "an S3 Gateway endpoint (extra_endpoint_services contains `s3`) needs route tables",
                "list the route tables of the endpoint subnets (`rtb-...`), or remove `s3`",
            );
        }
        if c.endpoint_wait_timeout_seconds == 0 {
            self.err("endpoint_wait_timeout_seconds", "must be greater than 0");
        }
    }

    pub(super) fn host_bits(&mut self, path: String, net: &IpNet) {
        let canonical = net.trunc();
        if canonical != *net {
            self.hint(
                path,
                format!("`{net}` has host bits set"),
                format!("did you mean `{canonical}`?"),
            );
        }
    }
}
