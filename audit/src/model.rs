//! The audit's vocabulary: [`Severity`], [`Status`], [`Scope`], framework [`Control`]s, a
//! [`Finding`] (one rule on one resource) and the [`Report`] that `audit` prints.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How bad a FAIL is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Hygiene or adoption signal.
    Low,
    /// Weakens defence in depth.
    Medium,
    /// Exposes data or control.
    High,
    /// Direct exposure.
    Critical,
}

impl Severity {
    /// All severities, most severe first (the order of the table and the reports).
    pub const DESCENDING: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The lowercase name (`high`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}` (expected low, medium, high or critical)"
            )),
        }
    }
}

/// The outcome of one rule on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The property holds, read from data that was actually returned.
    Pass,
    /// The property does not hold.
    Fail,
    /// Nothing to judge: the service is not offered in the region, or no such resource exists.
    NotApplicable,
    /// Could not judge: a read failed or a field the rule needs was missing. Never a PASS.
    Unknown,
}

impl Status {
    /// `PASS`, `FAIL`, `NOT_APPLICABLE`, `UNKNOWN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotApplicable => "NOT_APPLICABLE",
            Status::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which resources a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// "B": what the baseline deploys. With a stack configured, that stack's resources; otherwise
    /// whatever exists in the account (e.g. "a guardrail exists").
    Stack,
    /// "W": every workload resource found (agents, knowledge bases, models, ...).
    Workload,
}

/// A compliance framework the seed names (SOC 2, HIPAA, ISO 27001, GDPR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    /// AICPA SOC 2 Trust Services Criteria.
    Soc2,
    /// HIPAA Security Rule (45 CFR 164).
    Hipaa,
    /// ISO/IEC 27001:2022 Annex A.
    Iso27001,
    /// EU GDPR.
    Gdpr,
}

impl Framework {
    /// The flag value (`soc2`).
    pub fn as_str(self) -> &'static str {
        match self {
            Framework::Soc2 => "soc2",
            Framework::Hipaa => "hipaa",
            Framework::Iso27001 => "iso27001",
            Framework::Gdpr => "gdpr",
        }
    }

    /// Human name for reports.
    pub fn title(self) -> &'static str {
        match self {
            Framework::Soc2 => "SOC 2",
            Framework::Hipaa => "HIPAA",
            Framework::Iso27001 => "ISO 27001",
            Framework::Gdpr => "GDPR",
        }
    }
}

impl std::str::FromStr for Framework {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "soc2" => Ok(Framework::Soc2),
            "hipaa" => Ok(Framework::Hipaa),
            "iso27001" => Ok(Framework::Iso27001),
            "gdpr" => Ok(Framework::Gdpr),
            other => Err(format!(
                "unknown framework `{other}` (expected soc2, hipaa, iso27001 or gdpr)"
            )),
        }
    }
}

/// One control of a framework that a rule supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Control {
    /// The framework.
    pub framework: Framework,
    /// The control's id within it, e.g. `CC6.1`.
    pub id: &'static str,
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.framework.title(), self.id)
    }
}

/// One rule evaluated on one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Rule id.
    pub rule: String,
    /// The resource judged: an ARN, or a stable name where the resource has none
    /// (`arn:aws:bedrock:<region>:<account>:model-invocation-logging` for the account setting).
    pub resource: String,
    /// Outcome.
    pub status: Status,
    /// Why: what was read and how it compares. Always set.
    pub reason: String,
}

impl Finding {
    pub(crate) fn new(
        rule: &str,
        resource: impl Into<String>,
        status: Status,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            rule: rule.to_owned(),
            resource: resource.into(),
            status,
            reason: reason.into(),
        }
    }
}
