use super::*;
use std::collections::BTreeMap;

fn m(ns: &str, name: &str, dims: &[(&str, &str)]) -> MetricRef {
    MetricRef {
        namespace: ns.into(),
        metric_name: name.into(),
        dimensions: dims
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
    }
}

#[test]
fn catalog_has_no_duplicates_and_every_entry_names_its_page() {
    for (i, d) in CATALOG.iter().enumerate() {
        assert!(d.page.starts_with("https://docs.aws.amazon.com/"));
        assert!(d.namespace.starts_with("AWS/") || d.namespace == STACK_NAMESPACE);
        assert!(!d.dimension_sets.is_empty());
        assert!(
            !CATALOG[..i]
                .iter()
                .any(|o| o.namespace == d.namespace && o.metric == d.metric),
            "{}/{} twice",
            d.namespace,
            d.metric
        );
    }
}

#[test]
fn the_three_guardrail_dimensions_together_are_not_a_documented_set() {
    let bad = m(
        "AWS/Bedrock/Guardrails",
        "InvocationsIntervened",
        &[
            ("GuardrailArn", "arn"),
            ("GuardrailVersion", "1"),
            ("GuardrailContentSource", "Input"),
        ],
    );
    assert!(undocumented(&bad).is_some());
    let good = m(
        "AWS/Bedrock/Guardrails",
        "InvocationsIntervened",
        &[("GuardrailArn", "arn"), ("GuardrailVersion", "1")],
    );
    assert_eq!(undocumented(&good), None);
    let value = m(
        "AWS/Bedrock/Guardrails",
        "InvocationsIntervened",
        &[("GuardrailPolicyType", "PiiPolicy")],
    );
    assert!(undocumented(&value).is_some());
}

#[test]
fn usage_call_count_is_not_documented_for_bedrock() {
    let usage = m(
        "AWS/Usage",
        "CallCount",
        &[("Service", "Bedrock"), ("Resource", "InvokeModel")],
    );
    assert!(undocumented(&usage)
        .unwrap()
        .contains("not a dimension set"));
    let kms = m(
        "AWS/Usage",
        "CallCount",
        &[
            ("Class", "None"),
            ("Resource", "GenerateDataKey"),
            ("Service", "KMS"),
            ("Type", "API"),
        ],
    );
    assert_eq!(undocumented(&kms), None);
}

#[test]
fn stack_published_metrics_are_found_in_any_stack_namespace() {
    let ours = m(&stack_namespace("demo-prod"), "InvocationErrors", &[]);
    assert_eq!(undocumented(&ours), None);
    assert!(undocumented(&m("AWS/Bedrock", "InvocationErrors", &[])).is_some());
    for name in STACK_METRICS {
        assert!(lookup(STACK_NAMESPACE, name).is_some(), "{name}");
    }
}
