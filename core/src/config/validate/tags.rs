//! Tags: AWS's key and value rules, the `baseline:` prefix kept for the tool.

use super::{tag_char, Issues, MAX_USER_TAGS};
use crate::config::Config;

impl Issues {
    pub(super) fn tags(&mut self, c: &Config) {
        if c.tags.len() > MAX_USER_TAGS {
            self.hint(
                "tags",
                format!("{} tags; at most {MAX_USER_TAGS} are allowed", c.tags.len()),
                "AWS allows 50 tags per resource and the tool adds its own `baseline:*` tags",
            );
        }
        for (key, value) in &c.tags {
            let path = format!("tags.{key}");
            let n = key.chars().count();
            if n == 0 || n > 128 {
                self.hint(
                    path.clone(),
                    "tag key length must be 1 to 128 characters",
                    "shorten the key",
                );
            }
            let lower = key.to_ascii_lowercase();
            if lower.starts_with("aws:") || lower.starts_with("baseline:") {
                self.hint(
                    path.clone(),
                    format!("tag key `{key}` uses a reserved prefix"),
                    "`aws:` belongs to AWS and `baseline:` to this tool; choose another key",
                );
            }
            if !key.chars().all(tag_char) {
                self.hint(
                    path.clone(),
                    format!("tag key `{key}` has characters AWS does not accept"),
                    "use letters, digits, spaces and `_.:/=+-@`",
                );
            }
            if value.chars().count() > 256 {
                self.hint(
                    path.clone(),
                    "tag value is longer than 256 characters",
                    "shorten the value",
                );
            }
            if !value.chars().all(tag_char) {
                self.hint(
                    path,
                    "tag value has characters AWS does not accept",
                    "use letters, digits, spaces and `_.:/=+-@`",
                );
            }
        }
    }
}
