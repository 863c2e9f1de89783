use super::*;
use crate::test_config as config;

#[test]
fn bedrock_monthly_budget_limit_sets_the_limit() {
    let c = Config {
        bedrock_monthly_budget_limit: "250.50".into(),
        ..config()
    };
    let b = budget(&c, "n".into());
    assert_eq!(b.limit_amount, "250.5");
    assert_eq!(
        (b.budget_type.as_str(), b.time_unit.as_str()),
        ("COST", "MONTHLY")
    );
}

#[test]
fn the_budget_filters_on_bedrock_and_on_request_related_services() {
    let b = budget(&config(), "n".into());
    assert_eq!(b.cost_filters["Service"], vec!["Amazon Bedrock"]);
    let c = Config {
        include_related_ai_services: true,
        ..config()
    };
    let services = &cost_filters(&c)["Service"];
    assert_eq!(services.len(), 5);
    assert!(services.contains(&"Amazon SageMaker".to_owned()));
}

#[test]
fn budget_cost_filter_tags_become_tag_key_value_filters() {
    let c = Config {
        budget_cost_filter_tags: BTreeMap::from([(
            "CostCenter".into(),
            vec!["ai".into(), "ml".into()],
        )]),
        ..config()
    };
    assert_eq!(
        cost_filters(&c)["TagKeyValue"],
        vec!["user:CostCenter$ai", "user:CostCenter$ml"]
    );
    assert!(!cost_filters(&config()).contains_key("TagKeyValue"));
}

#[test]
fn budget_auto_adjust_type_and_historical_period() {
    assert_eq!(budget(&config(), "n".into()).auto_adjust, None);
    let c = Config {
        budget_auto_adjust_type: Some(BudgetAutoAdjustType::Historical),
        budget_historical_adjustment_period: 12,
        ..config()
    };
    assert_eq!(
        budget(&c, "n".into()).auto_adjust,
        Some(AutoAdjust {
            kind: "HISTORICAL".into(),
            historical_months: Some(12)
        })
    );
    let c = Config {
        budget_auto_adjust_type: Some(BudgetAutoAdjustType::Forecast),
        ..config()
    };
    assert_eq!(budget(&c, "n".into()).auto_adjust.unwrap().kind, "FORECAST");
}
