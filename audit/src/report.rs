//! Evaluating the catalog over an inventory, and the machine formats of the result: the `--json`
//! shape of the issue, SARIF 2.1.0, JUnit XML and Markdown. Pure: the CLI prints what these
//! return (the terminal table lives in `baseline-cli`).

use crate::inventory::Inventory;
use crate::model::{Finding, Framework, Severity, Status};
use crate::rules::{catalog, Rule};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Rules evaluated and their findings.
#[derive(Debug, Clone)]
pub struct Report {
    /// The rules that were evaluated (all, or those of one framework).
    pub rules: Vec<&'static Rule>,
    /// One finding per rule and resource, in rule order.
    pub findings: Vec<Finding>,
    /// `--framework`, when given.
    pub framework: Option<Framework>,
}

/// Evaluates every rule (or those supporting `framework`) over the inventory.
pub fn evaluate(inventory: &Inventory, framework: Option<Framework>) -> Report {
    let rules: Vec<&'static Rule> = catalog()
        .iter()
        .filter(|r| framework.is_none_or(|f| r.frameworks.iter().any(|c| c.framework == f)))
        .collect();
    let findings = rules.iter().flat_map(|r| r.evaluate(inventory)).collect();
    Report {
        rules,
        findings,
        framework,
    }
}

fn rule_of(id: &str) -> Option<&'static Rule> {
    crate::rules::rule(id)
}

impl Report {
    /// Findings with this status.
    pub fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// FAIL findings whose rule is at least `severity` (what `--fail-on` gates on).
    pub fn failures_at_or_above(&self, severity: Severity) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| {
                f.status == Status::Fail && rule_of(&f.rule).is_some_and(|r| r.severity >= severity)
            })
            .collect()
    }

    fn frameworks_of(rule: &Rule, only: Option<Framework>) -> Vec<String> {
        rule.frameworks
            .iter()
            .filter(|c| only.is_none_or(|f| c.framework == f))
            .map(|c| format!("{}:{}", c.framework.as_str(), c.id))
            .collect()
    }

    /// `{"rules": [{"id","title","severity","sources","frameworks"}], "findings": [{"rule","resource","status","reason"}]}`.
    pub fn to_json(&self) -> Value {
        json!({
            "rules": self.rules.iter().map(|r| json!({
                "id": r.id,
                "title": r.title,
                "severity": r.severity,
                "sources": r.sources,
                "frameworks": Self::frameworks_of(r, self.framework),
            })).collect::<Vec<_>>(),
            "findings": self.findings,
        })
    }

    /// SARIF 2.1.0: one `reportingDescriptor` per rule, one result per finding (`kind` pass, fail,
    /// notApplicable, or review for UNKNOWN; `level` from the severity for FAILs).
    pub fn to_sarif(&self) -> Value {
        let index: BTreeMap<&str, usize> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id, i))
            .collect();
        let level = |s: Severity| match s {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low => "note",
        };
        // GitHub code scanning reads `security-severity` (0.0-10.0) to rank security results.
        let score = |s: Severity| match s {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
        };
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "name": r.title,
                    "shortDescription": {"text": r.title},
                    "help": {"text": r.remediation},
                    "helpUri": r.docs.first(),
                    "defaultConfiguration": {"level": level(r.severity)},
                    "properties": {
                        "tags": r.sources.iter().map(|s| s.to_string())
                            .chain(Self::frameworks_of(r, self.framework)).collect::<Vec<_>>(),
                        "security-severity": score(r.severity),
                    },
                })
            })
            .collect();
        let results: Vec<Value> = self
            .findings
            .iter()
            .map(|f| {
                let rule = rule_of(&f.rule);
                let (kind, lvl) = match f.status {
                    Status::Fail => ("fail", rule.map_or("error", |r| level(r.severity))),
                    Status::Pass => ("pass", "none"),
                    Status::NotApplicable => ("notApplicable", "none"),
                    Status::Unknown => ("review", "none"),
                };
                let mut result = json!({
                    "ruleId": f.rule,
                    "kind": kind,
                    "level": lvl,
                    "message": {"text": format!("{}: {}", f.status, f.reason)},
                    "locations": [{"logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}]}],
                    "properties": {"status": f.status, "resource": f.resource},
                });
                if let Some(i) = index.get(f.rule.as_str()) {
                    result["ruleIndex"] = json!(i);
                }
                result
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "bedrock-baseline audit",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }},
                "results": results,
            }],
        })
    }

    /// JUnit XML: one testsuite per rule, one testcase per rule and resource. FAIL is a
    /// `<failure>`, UNKNOWN an `<error>`, NOT_APPLICABLE `<skipped>`.
    pub fn to_junit(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let total = self.findings.len();
        let _ = writeln!(
            out,
            "<testsuites name=\"bedrock-baseline audit\" tests=\"{total}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            self.count(Status::Fail),
            self.count(Status::Unknown),
            self.count(Status::NotApplicable)
        );
        for rule in &self.rules {
            let mine: Vec<&Finding> = self.findings.iter().filter(|f| f.rule == rule.id).collect();
            let n = |s: Status| mine.iter().filter(|f| f.status == s).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
                xml(&format!("{} {}", rule.id, rule.title)),
                mine.len(),
                n(Status::Fail),
                n(Status::Unknown),
                n(Status::NotApplicable)
            );
            for f in mine {
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(rule.id),
                    xml(&f.resource)
                );
                match f.status {
                    Status::Pass => out.push_str("/>\n"),
                    Status::Fail => {
                        let _ = writeln!(
                            out,
                            ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                            xml(&f.reason),
                            rule.severity,
                            xml(rule.remediation)
                        );
                    }
                    Status::Unknown => {
                        let _ = writeln!(
                            out,
                            ">\n      <error message=\"{}\" type=\"UNKNOWN\"/>\n    </testcase>",
                            xml(&f.reason)
                        );
                    }
                    Status::NotApplicable => {
                        let _ = writeln!(
                            out,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            xml(&f.reason)
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }

    /// A Markdown report for a reviewer: summary, FAILs by severity with remediation, then every
    /// finding; with `--framework`, grouped by control.
    pub fn to_markdown(&self, account: &str, region: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Bedrock security audit: account {account}, region {region}\n"
        );
        let _ = writeln!(
            out,
            "{} rules, {} findings: {} PASS, {} FAIL, {} NOT_APPLICABLE, {} UNKNOWN.\n",
            self.rules.len(),
            self.findings.len(),
            self.count(Status::Pass),
            self.count(Status::Fail),
            self.count(Status::NotApplicable),
            self.count(Status::Unknown)
        );
        if let Some(fw) = self.framework {
            let _ = writeln!(out, "## {} controls\n", fw.title());
            let mut controls: BTreeMap<&str, Vec<&Rule>> = BTreeMap::new();
            for r in &self.rules {
                for c in r.frameworks.iter().filter(|c| c.framework == fw) {
                    controls.entry(c.id).or_default().push(r);
                }
            }
            for (control, rules) in controls {
                let _ = writeln!(out, "### {} {control}\n", fw.title());
                for r in rules {
                    let fails = self
                        .findings
                        .iter()
                        .filter(|f| f.rule == r.id && f.status == Status::Fail)
                        .count();
                    let _ = writeln!(
                        out,
                        "- {} {} ({}): {}",
                        r.id,
                        md(r.title),
                        r.severity,
                        if fails == 0 {
                            "no FAIL".to_string()
                        } else {
                            format!("{fails} FAIL")
                        }
                    );
                }
                out.push('\n');
            }
        }
        for sev in Severity::DESCENDING {
            let fails: Vec<&Finding> = self
                .findings
                .iter()
                .filter(|f| {
                    f.status == Status::Fail && rule_of(&f.rule).is_some_and(|r| r.severity == sev)
                })
                .collect();
            if fails.is_empty() {
                continue;
            }
            let _ = writeln!(
                out,
                "## {} ({} FAIL)\n",
                capitalise(sev.as_str()),
                fails.len()
            );
            for f in fails {
                let r = rule_of(&f.rule).expect("finding of a known rule");
                let _ = writeln!(
                    out,
                    "- **{} {}** `{}`: {}\n  - Fix: {}\n  - AWS: {}",
                    r.id,
                    md(r.title),
                    f.resource,
                    md(&f.reason),
                    md(r.remediation),
                    r.docs.join(", ")
                );
            }
            out.push('\n');
        }
        let _ = writeln!(out, "## All findings\n\n| Rule | Severity | Status | Resource | Reason |\n| --- | --- | --- | --- | --- |");
        for f in &self.findings {
            let sev = rule_of(&f.rule).map_or("", |r| r.severity.as_str());
            let _ = writeln!(
                out,
                "| {} | {sev} | {} | `{}` | {} |",
                f.rule,
                f.status,
                f.resource,
                md(&f.reason).replace('|', "\\|")
            );
        }
        out
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
}

fn md(s: &str) -> String {
    s.replace('\n', " ")
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Inventory;

    fn report() -> Report {
        // An empty account: logging off and no guardrail FAIL, the rest NOT_APPLICABLE.
        evaluate(&Inventory::empty("123456789012", "us-east-1"), None)
    }

    #[test]
    fn json_has_exactly_the_issue_shape() {
        let v = report().to_json();
        let rule = &v["rules"][0];
        let mut keys: Vec<_> = rule.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["frameworks", "id", "severity", "sources", "title"]);
        let f = &v["findings"][0];
        let mut keys: Vec<_> = f.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(keys, ["reason", "resource", "rule", "status"]);
        assert_eq!(f["status"], "FAIL");
    }

    #[test]
    fn framework_filter_keeps_only_its_rules_and_controls() {
        let r = evaluate(&Inventory::empty("1", "us-east-1"), Some(Framework::Hipaa));
        assert!(!r.rules.is_empty());
        for rule in &r.rules {
            assert!(rule
                .frameworks
                .iter()
                .any(|c| c.framework == Framework::Hipaa));
        }
        let json = r.to_json();
        for rule in json["rules"].as_array().unwrap() {
            for c in rule["frameworks"].as_array().unwrap() {
                assert!(c.as_str().unwrap().starts_with("hipaa:"), "{c}");
            }
        }
        assert!(r
            .to_markdown("1", "us-east-1")
            .contains("### HIPAA 164.312(b)"));
    }

    #[test]
    fn fail_on_gates_by_severity() {
        let r = report();
        // BB-01 and BB-19 are medium
        assert_eq!(r.failures_at_or_above(Severity::Medium).len(), 2);
        assert!(r.failures_at_or_above(Severity::High).is_empty());
    }

    #[test]
    fn junit_has_one_testcase_per_finding_and_escapes() {
        let mut r = report();
        r.findings[0].reason = "a <b> & \"c\"".into();
        let xml = r.to_junit();
        assert_eq!(xml.matches("<testcase ").count(), r.findings.len());
        assert_eq!(xml.matches("<failure ").count(), 2);
        assert!(xml.contains("a &lt;b&gt; &amp; &quot;c&quot;"));
        assert!(!xml.contains("<b>"));
    }

    #[test]
    fn sarif_results_point_at_their_rules() {
        let s = report().to_sarif();
        assert_eq!(s["version"], "2.1.0");
        let rules = s["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let results = s["runs"][0]["results"].as_array().unwrap();
        for res in results {
            let i = res["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[i]["id"], res["ruleId"]);
        }
        assert_eq!(results.iter().filter(|x| x["kind"] == "fail").count(), 2);
        for r in rules {
            let uri = r["helpUri"].as_str().unwrap();
            assert!(uri.starts_with("https://docs.aws.amazon.com/"), "{uri}");
        }
    }
}
