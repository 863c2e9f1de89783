//! End-to-end tests of `bedrock-baseline audit` against the emulator: the seeded non-compliant
//! account of issue #12 gives exactly the expected FAIL set, SARIF validates against the 2.1.0
//! schema, JUnit has one testcase per rule and resource, exit codes 0/2/3.

use baseline_audit::{rules::rule, Scope};
use baseline_tests::{
    cli, emulator, isolate, stack_cli, text, unique_env, workspace_root, ACCOUNT_ID as ACCOUNT,
    REGION,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

/// The UNKNOWN findings other than those of what this tool does not read.
fn unknown_but_read(findings: &[Value]) -> Vec<&Value> {
    findings
        .iter()
        .filter(|f| f["status"] == "UNKNOWN")
        .filter(|f| {
            !f["reason"]
                .as_str()
                .unwrap()
                .contains("not read by this tool")
        })
        .collect()
}

fn python() -> std::path::PathBuf {
    workspace_root().join("target/emulator-venv/bin/python")
}

/// `bedrock-baseline <args>` on `env`'s stack of the advanced example, in [`REGION`].
fn run_in_region(dir: &Path, env: &str, args: &[&str]) -> Output {
    stack_cli(dir, "advanced", env, args)
        .args(["--region", REGION])
        .output()
        .unwrap()
}

/// Seeds the account with tests/emulator/seed_audit.py; returns what it created.
fn seed(url: &str) -> Value {
    let out = Command::new(python())
        .arg(workspace_root().join("tests/emulator/seed_audit.py"))
        .arg(url)
        .output()
        .expect("run the seed script");
    assert!(out.status.success(), "seed failed: {}", text(&out));
    serde_json::from_slice(&out.stdout).expect("seed prints JSON")
}

fn audit(url: &str, args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    cli(dir.path())
        .args(["audit", "--endpoint-url", url, "--region", REGION])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn seeded_non_compliant_account_gives_exactly_the_expected_fails() {
    // A private emulator: the FAIL set is judged over the whole account.
    isolate();
    let url = emulator().url().to_owned();
    let s = seed(&url);
    let get = |k: &str| {
        s[k].as_str()
            .unwrap_or_else(|| panic!("seed output lacks {k}"))
            .to_owned()
    };

    let out = audit(&url, &["--json"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("--json prints JSON");

    // The shape: rules {id,title,severity,sources,frameworks}, findings {rule,resource,status,reason}.
    let rules = report["rules"].as_array().unwrap();
    assert_eq!(rules.len(), baseline_audit::catalog().len());
    for r in rules {
        let keys: BTreeSet<_> = r.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["frameworks", "id", "severity", "sources", "title"]
                .map(String::from)
                .into()
        );
    }
    let findings = report["findings"].as_array().unwrap();
    for f in findings {
        let keys: BTreeSet<_> = f.as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            ["reason", "resource", "rule", "status"]
                .map(String::from)
                .into()
        );
        assert!(
            ["PASS", "FAIL", "NOT_APPLICABLE", "UNKNOWN"].contains(&f["status"].as_str().unwrap())
        );
        assert!(!f["reason"].as_str().unwrap().is_empty());
    }

    let fails: BTreeSet<(String, String)> = findings
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["resource"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let bedrock = |r: &str| format!("arn:aws:bedrock:{REGION}:{ACCOUNT}:{r}");
    let guardrail_version = format!("{}:{}", get("guardrail_arn"), get("guardrail_version"));
    let expected: BTreeSet<(String, String)> = [
        // logging disabled
        ("BB-01", bedrock("model-invocation-logging")),
        // agent without guardrail
        ("BB-34", get("agent_no_guardrail")),
        // agent without CMK
        ("BB-35", get("agent_no_cmk")),
        // knowledge-base data source without CMK
        (
            "BB-41",
            bedrock(&format!(
                "knowledge-base/{}/data-source/{}",
                get("knowledge_base"),
                get("data_source")
            )),
        ),
        // custom model without CMK
        ("BB-48", get("custom_model")),
        // endpoint policy with Principal: *
        (
            "BB-61",
            format!(
                "arn:aws:ec2:{REGION}:{ACCOUNT}:vpc-endpoint/{}",
                get("endpoint")
            ),
        ),
        // role with AmazonBedrockFullAccess
        ("BB-63", get("role_full_access")),
        // IAM user with bedrock:*
        ("BB-64", get("user")),
        // topic without encryption
        ("BB-73", get("topic")),
        // What the emulator's guardrail cannot hold (no STANDARD tier without a cross-Region
        // profile, no automated-reasoning policy), on the DRAFT and the published version.
        ("BB-28", get("guardrail_arn")),
        ("BB-28", guardrail_version.clone()),
        ("BB-33", get("guardrail_arn")),
        ("BB-33", guardrail_version.clone()),
    ]
    .into_iter()
    .map(|(r, res)| (r.to_owned(), res))
    .collect();
    assert_eq!(fails, expected, "findings: {findings:#?}");

    // Nothing the emulator serves was left unread: UNKNOWN only where this tool reads nothing.
    let unknown = unknown_but_read(findings);
    assert!(unknown.is_empty(), "UNKNOWN findings: {unknown:#?}");
    // The guardrail version the agent uses was judged, not only the DRAFT.
    let version_res = format!("{}:{}", get("guardrail_arn"), get("guardrail_version"));
    assert!(
        findings.iter().any(|f| f["rule"] == "BB-20"
            && f["resource"] == version_res.as_str()
            && f["status"] == "PASS"),
        "no BB-20 finding on {version_res}"
    );
    // A key ARN alone is not enough: the agent with a key passes BB-35 because DescribeKey says CUSTOMER.
    assert!(findings.iter().any(|f| f["rule"] == "BB-35"
        && f["resource"] == get("agent_no_guardrail").as_str()
        && f["status"] == "PASS"));

    // SARIF 2.1.0, validated against the schema vendored from npm @microsoft/jest-sarif.
    let out = audit(&url, &["--format", "sarif"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let dir = tempfile::tempdir().unwrap();
    let sarif_path = dir.path().join("audit.sarif");
    std::fs::write(&sarif_path, &out.stdout).unwrap();
    let check = Command::new(python())
        .args([
            "-c",
            "import json,sys,jsonschema; s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2])); \
             jsonschema.Draft4Validator(s).validate(d); print(len(d['runs'][0]['results']))",
        ])
        .arg(workspace_root().join("tests/fixtures/sarif-2.1.0-rtm.5.json"))
        .arg(&sarif_path)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "SARIF does not validate: {}",
        text(&check)
    );
    assert_eq!(
        String::from_utf8_lossy(&check.stdout).trim(),
        findings.len().to_string()
    );
    let sarif: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sarif_fails = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "fail")
        .count();
    assert_eq!(sarif_fails, expected.len());

    // JUnit: one testcase per rule and resource, a <failure> per FAIL.
    let out = audit(&url, &["--format", "junit"]);
    assert_eq!(out.status.code(), Some(3));
    let xml = String::from_utf8(out.stdout).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), findings.len());
    assert_eq!(xml.matches("<failure ").count(), expected.len());
    let cases: BTreeSet<_> = xml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<testcase "))
        .map(str::to_owned)
        .collect();
    assert_eq!(cases.len(), findings.len(), "duplicate testcases");
    for (rule, resource) in &expected {
        assert!(
            xml.contains(&format!("classname=\"{rule}\" name=\"{resource}\"")),
            "no testcase for {rule} {resource}"
        );
    }

    // Markdown names every failing rule and resource.
    let out = audit(&url, &["--format", "markdown"]);
    let md = String::from_utf8(out.stdout).unwrap();
    for (rule, resource) in &expected {
        assert!(
            md.contains(rule) && md.contains(resource.as_str()),
            "markdown lacks {rule} {resource}"
        );
    }

    // --framework filters rules; --fail-on critical still fails on the critical BB-48.
    let out = audit(
        &url,
        &["--json", "--framework", "gdpr", "--fail-on", "critical"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let gdpr: Value = serde_json::from_slice(&out.stdout).unwrap();
    for r in gdpr["rules"].as_array().unwrap() {
        assert!(r["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c.as_str().unwrap().starts_with("gdpr:")));
    }
    // Table on a non-terminal: grouped by severity, with the fix of each FAIL.
    let out = audit(&url, &[]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("CRITICAL") && table.contains("HIGH") && table.contains("fix:"),
        "{table}"
    );
}

#[test]
fn empty_account_fails_only_on_logging_and_guardrail_presence_below_high() {
    isolate();
    let url = emulator().url().to_owned();
    // Medium FAILs only (no logging, no guardrail): the default --fail-on high exits 0 ...
    let out = audit(&url, &["--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fails: BTreeSet<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fails, ["BB-01", "BB-19"].map(String::from).into());
    // ... and --fail-on medium exits 3.
    let out = audit(&url, &["--json", "--fail-on", "medium"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

#[test]
fn bad_audit_flags_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--fail-on", "severe"][..],
        &["--framework", "pci"],
        &["--format", "xml"],
    ] {
        let out = cli(dir.path()).arg("audit").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    }
}

#[test]
fn deployed_advanced_example_fails_only_what_its_config_turns_off() {
    isolate();
    let url = emulator().url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("audit");
    let run = |args: &[&str]| run_in_region(dir.path(), &env, args);
    let out = run(&["apply", "--auto-approve", "--json"]);
    assert!(out.status.success(), "apply: {}", text(&out));
    attach_model_access(&url, &serde_json::from_slice(&out.stdout).unwrap());

    let out = run(&["audit", "--json"]);
    let report: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let findings = report["findings"].as_array().unwrap();
    let stack_fails: Vec<&Value> = findings
        .iter()
        .filter(|f| f["status"] == "FAIL")
        .filter(|f| rule(f["rule"].as_str().unwrap()).unwrap().scope == Scope::Stack)
        .collect();
    // What the advanced example's config leaves off FAILs with a remediation naming the key;
    // what this tool cannot deploy FAILs with a remediation that says so. Nothing else FAILs.
    let rules: BTreeSet<&str> = stack_fails
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    let turned_off = [
        ("BB-04", "log_retention_days"),             // 90 days < 365
        ("BB-23", "guardrail.contextual_grounding"), // not set
        ("BB-25", "guardrail.denied_topics"),        // not set
        ("BB-59", "extra_endpoint_services"),        // no logs endpoint
        ("BB-60", "extra_endpoint_services"),        // no s3 gateway endpoint
    ];
    let not_deployed = ["BB-28", "BB-32", "BB-33", "BB-54"];
    let expected: BTreeSet<&str> = turned_off
        .iter()
        .map(|(id, _)| *id)
        .chain(not_deployed)
        .collect();
    assert_eq!(rules, expected, "{stack_fails:#?}");
    for (id, key) in turned_off {
        let remediation = rule(id).unwrap().remediation;
        assert!(
            remediation.contains(&format!("`{key}")),
            "{id}: {remediation}"
        );
    }
    for id in not_deployed {
        let remediation = rule(id).unwrap().remediation;
        assert!(remediation.contains("this tool"), "{id}: {remediation}");
    }
    assert!(
        stack_fails.iter().filter(|f| f["rule"] == "BB-23").count() >= 2,
        "DRAFT and the published version: {stack_fails:#?}"
    );
    // Every stack rule found the stack's resources and judged them from data read.
    let unknown: Vec<_> = unknown_but_read(findings)
        .into_iter()
        .filter(|f| !f["reason"].as_str().unwrap().contains("manual step"))
        .collect();
    assert!(unknown.is_empty(), "{unknown:#?}");
    for id in [
        "BB-01", "BB-03", "BB-19", "BB-20", "BB-27", "BB-61", "BB-70", "BB-72", "BB-73", "BB-74",
    ] {
        assert!(
            findings
                .iter()
                .any(|f| f["rule"] == id && f["status"] == "PASS"),
            "{id} has no PASS: {:#?}",
            findings
                .iter()
                .filter(|f| f["rule"] == id)
                .collect::<Vec<_>>()
        );
    }
    // BB-23 is high, so the default --fail-on high exits 3.
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
}

/// Runs a boto3 snippet against the emulator (`c(name)` makes a client); prints what it prints.
fn boto(url: &str, code: &str) -> String {
    let script = format!(
        "import json, sys, boto3\n\
         s = boto3.session.Session(aws_access_key_id='testing', aws_secret_access_key='testing', region_name='{REGION}')\n\
         c = lambda n: s.client(n, endpoint_url=sys.argv[1])\n{code}\n"
    );
    let out = Command::new(python())
        .args(["-c", &script, url])
        .output()
        .expect("run python");
    assert!(out.status.success(), "boto3: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Attaches the stack's model-access policy to the application role, as its owner would (the
/// stack makes the policy but does not own the role): without it the app-role invoke paths are
/// rightly BB-77 FAILs.
fn attach_model_access(url: &str, applied: &Value) {
    let arn = applied["outputs"]["guardrails"]["model_access_policy_arn"]
        .as_str()
        .expect("the advanced example makes a model-access policy");
    boto(
        url,
        &format!("c('iam').attach_role_policy(RoleName='BedrockApplication', PolicyArn='{arn}')"),
    );
}

/// (resource, status) of one rule's findings.
fn findings_of(report: &Value, id: &str) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == id)
        .map(|f| {
            (
                f["resource"].as_str().unwrap().to_owned(),
                f["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn failing(report: &Value, id: &str) -> BTreeSet<String> {
    findings_of(report, id)
        .into_iter()
        .filter(|(_, s)| s == "FAIL")
        .map(|(r, _)| r)
        .collect()
}

#[test]
fn access_paths_and_fix_on_a_drifted_stack() {
    isolate();
    let url = emulator().url().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let env = unique_env("auditfix");
    let run = |args: &[&str]| run_in_region(dir.path(), &env, args);
    let audit_json = |args: &[&str]| -> Value {
        let out = run(&[&["audit", "--json"], args].concat());
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)))
    };
    let out = run(&["apply", "--auto-approve", "--json"]);
    assert!(out.status.success(), "apply: {}", text(&out));
    let applied: Value = serde_json::from_slice(&out.stdout).unwrap();
    attach_model_access(&url, &applied);
    let key = applied["outputs"]["encryption"]["kms_key_arn"]
        .as_str()
        .unwrap_or_else(|| panic!("no key in {}", text(&out)))
        .to_owned();

    // 1. Every access path of the deployed stack is one BB-77 finding, and all PASS.
    let report = audit_json(&[]);
    let paths = findings_of(&report, "BB-77");
    assert!(paths.len() > 5, "{paths:?}");
    assert!(paths.iter().all(|(_, s)| s == "PASS"), "{paths:#?}");

    // 2. Drift through the SDK: the key's rotation off, and the key-policy statement that lets
    //    CloudWatch alarms use the key removed.
    boto(
        &url,
        &format!(
            "k = c('kms'); key = '{key}'\n\
             k.disable_key_rotation(KeyId=key)\n\
             p = json.loads(k.get_key_policy(KeyId=key, PolicyName='default')['Policy'])\n\
             p['Statement'] = [x for x in p['Statement'] if x.get('Sid') != 'CloudWatchAlarmsUse']\n\
             k.put_key_policy(KeyId=key, PolicyName='default', Policy=json.dumps(p))"
        ),
    );
    let drifted = audit_json(&[]);
    // Exactly the paths that rest on that statement FAIL.
    let applying: BTreeSet<String> = paths.iter().map(|(r, _)| r.clone()).collect();
    let expected: BTreeSet<String> = baseline_core::access::PATHS
        .iter()
        .filter(|p| p.needs.contains(&"key/CloudWatchAlarmsUse"))
        .map(|p| p.name.to_owned())
        .filter(|n| applying.contains(n))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(failing(&drifted, "BB-77"), expected);
    let fail = drifted["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "BB-77" && f["status"] == "FAIL")
        .unwrap();
    let reason = fail["reason"].as_str().unwrap();
    assert!(
        reason.contains("cloudwatch.amazonaws.com") && reason.contains("kms:"),
        "{reason}"
    );
    assert_eq!(
        failing(&drifted, "BB-70").len(),
        1,
        "{:?}",
        findings_of(&drifted, "BB-70")
    );

    // 3. `audit --fix --json` shows the same changes as `plan --json`.
    let out = run(&["plan", "--json"]);
    assert!(out.status.success(), "plan: {}", text(&out));
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = run(&["audit", "--fix", "--json"]);
    assert!(out.status.success(), "audit --fix: {}", text(&out));
    let fix: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fix["plan"]["modules"], plan["modules"]);
    assert!(plan["summary"]["change"].as_u64().unwrap() > 0, "{plan:#}");
    let fixed: BTreeSet<&str> = fix["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        fixed.contains("BB-70") && fixed.contains("BB-77"),
        "{fixed:?}"
    );

    // 4. `--out FILE` then `apply FILE` converges: the re-audit has no FAIL on those rules.
    let saved = dir.path().join("fix.json");
    let out = run(&["audit", "--fix", "--out", saved.to_str().unwrap()]);
    assert!(out.status.success(), "audit --fix --out: {}", text(&out));
    let out = run(&["apply", saved.to_str().unwrap()]);
    assert!(out.status.success(), "apply FILE: {}", text(&out));
    let healed = audit_json(&[]);
    assert!(
        failing(&healed, "BB-77").is_empty(),
        "{:#?}",
        findings_of(&healed, "BB-77")
    );
    assert!(failing(&healed, "BB-70").is_empty());

    // 5. Drift again; `audit --fix --apply --auto-approve` fixes it in one command.
    boto(
        &url,
        &format!("c('kms').disable_key_rotation(KeyId='{key}')"),
    );
    assert_eq!(failing(&audit_json(&[]), "BB-70").len(), 1);
    let out = run(&["audit", "--fix", "--apply", "--auto-approve"]);
    assert!(out.status.success(), "audit --fix --apply: {}", text(&out));
    assert!(failing(&audit_json(&[]), "BB-70").is_empty());
    // Converged: the fix plan is empty.
    let out = run(&["audit", "--fix", "--json"]);
    let fix: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fix["plan"]["summary"]["change"], 0, "{fix:#}");
}

#[test]
fn fix_without_a_config_exits_2_before_any_call() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(dir.path())
        .args(["audit", "--fix", "--endpoint-url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--config"), "{}", text(&out));
    let out = cli(dir.path()).args(["audit", "--apply"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "--apply needs --fix: {}",
        text(&out)
    );
}
