//! Newtypes for the values that flow from one module's outputs into another module's inputs, so a
//! topic ARN can never be passed where a KMS key ARN is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

string_id!(
    /// ARN of the stack's customer-managed KMS key (output of `encryption`).
    KmsKeyArn
);
string_id!(
    /// Id of a VPC interface endpoint, `vpce-...` (output of `network`).
    VpcEndpointId
);
string_id!(
    /// ARN of an SNS topic (output of `alerting`).
    TopicArn
);
string_id!(
    /// Id of a Bedrock guardrail (output of `guardrails`).
    GuardrailId
);
string_id!(
    /// ARN of a Bedrock guardrail (output of `guardrails`).
    GuardrailArn
);
string_id!(
    /// Id of a security group, `sg-...` (output of `network`).
    SecurityGroupId
);
