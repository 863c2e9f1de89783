use super::*;

#[test]
fn amounts_are_written_like_aws_writes_them() {
    assert_eq!(format_amount(1000.0), "1000");
    assert_eq!(format_amount(12.5), "12.5");
}
