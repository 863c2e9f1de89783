use super::*;

fn spec(enabled: bool) -> RequestMetricsSpec {
    RequestMetricsSpec {
        bucket: "b".into(),
        id: "demo-prod-requests".into(),
        enabled,
    }
}

#[test]
fn converged_plans_nothing_and_filtered_is_replaced() {
    assert!(!diff(&spec(true), Some(false)).unwrap().is_change());
    assert_eq!(diff(&spec(true), None).unwrap().action, Action::Create);
    assert_eq!(
        diff(&spec(true), Some(true)).unwrap().action,
        Action::Update
    );
    assert_eq!(
        diff(&spec(false), Some(false)).unwrap().action,
        Action::Delete
    );
    assert!(diff(&spec(false), None).is_none());
}
