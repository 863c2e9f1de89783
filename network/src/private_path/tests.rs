use super::*;

fn table(id: &str, main: bool, subnets: &[&str]) -> RouteTableInfo {
    RouteTableInfo {
        route_table_id: id.into(),
        main,
        subnet_ids: subnets.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn subnets_without_an_association_use_the_main_table() {
    let tables = [
        table("rtb-main", true, &[]),
        table("rtb-a", false, &["subnet-a"]),
        table("rtb-other", false, &["subnet-z"]),
    ];
    let subnets = ["subnet-a".to_owned(), "subnet-b".to_owned()];
    assert_eq!(
        subnet_route_tables(&tables, &subnets),
        vec!["rtb-a", "rtb-main"]
    );
    assert_eq!(
        subnet_route_tables(&tables, &["subnet-a".to_owned()]),
        vec!["rtb-a"]
    );
}
