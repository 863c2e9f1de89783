use super::*;

#[test]
fn tag_drift_sets_missing_and_removes_foreign_keys_but_not_aws_ones() {
    let want = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
    let have = BTreeMap::from([
        ("b".to_owned(), "2".to_owned()),
        ("aws:x".to_owned(), "y".to_owned()),
    ]);
    let (set, remove) = tag_changes(&want, &have);
    assert_eq!(set, want);
    assert_eq!(remove, vec!["b"]);
}
