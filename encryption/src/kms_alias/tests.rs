use super::*;
use baseline_core::Action;

fn desired(key: Option<&str>) -> AliasDesired {
    AliasDesired {
        name: "alias/demo-bedrock".into(),
        key_id: key.map(str::to_owned),
    }
}

#[test]
fn the_alias_is_created_retargeted_or_left_alone() {
    let create = KmsAlias::plan(ALIAS, &desired(None), None);
    assert_eq!(
        (create.change.action, create.ops),
        (Action::Create, vec![AliasOp::Create])
    );
    let moved = KmsAlias::plan(ALIAS, &desired(Some("k")), Some(&"other".to_owned()));
    assert_eq!(
        (moved.change.action, moved.ops),
        (Action::Update, vec![AliasOp::Retarget])
    );
    assert!(!KmsAlias::plan(ALIAS, &desired(Some("k")), Some(&"k".to_owned())).is_change());
}
