//! Models and regions: model ARNs and the regions they name.

use super::{is_region, model_arn_region, Issues};
use crate::config::Config;

impl Issues {
    pub(super) fn models(&mut self, c: &Config) {
        if c.allowed_model_regions.is_empty() {
            self.hint(
                "allowed_model_regions",
                "must list at least one region",
                "e.g. `[\"us-east-1\", \"us-west-2\"]`",
            );
        }
        for (i, region) in c.allowed_model_regions.iter().enumerate() {
            if !is_region(region) {
                self.hint(
                    format!("allowed_model_regions[{i}]"),
                    format!("`{region}` is not a region name"),
                    "region names look like `us-east-1`",
                );
            }
        }
        for (i, arn) in c.foundation_models.iter().enumerate() {
            let path = format!("foundation_models[{i}]");
            match model_arn_region(arn) {
                None => self.hint(
                    path,
                    format!("`{arn}` is not a foundation-model or inference-profile ARN"),
                    "expected `arn:aws:bedrock:<region>::foundation-model/<model id>` or `arn:aws:bedrock:<region>:<account>:inference-profile/<id>`",
                ),
                Some(region) if !c.allowed_model_regions.iter().any(|r| r == region) => self.hint(
                    path,
                    format!("model region `{region}` is not in allowed_model_regions"),
                    format!(
                        "allowed_model_regions is [{}]; add `{region}` there or pick a model in one of those regions",
                        c.allowed_model_regions.join(", ")
                    ),
                ),
                Some(_) => {}
            }
        }
        if let Some(region) = &c.region {
            // The runtime endpoint policy admits only `aws:RequestedRegion` in
            // allowed_model_regions; a stack outside them could not invoke through its own
            // endpoint.
            if is_region(region) && !c.allowed_model_regions.iter().any(|r| r == region) {
                self.hint(
                    "region",
                    format!("the stack region `{region}` is not in allowed_model_regions"),
                    format!(
                        "allowed_model_regions is [{}]; add `{region}` there (the runtime endpoint policy requires aws:RequestedRegion to be one of them)",
                        c.allowed_model_regions.join(", ")
                    ),
                );
            }
            if !is_region(region) {
                self.hint(
                    "region",
                    format!("`{region}` is not a region name"),
                    "e.g. `us-east-1`",
                );
            }
        }
    }
}
