use super::*;

#[test]
fn threshold_expression_reads_back() {
    let e = threshold_expression(150.0);
    assert_eq!(threshold_of(Some(&e)), Some(150.0));
    assert_eq!(threshold_of(None), None);
}
