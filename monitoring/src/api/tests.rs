use super::*;

#[tokio::test]
async fn next_token_pages_are_followed_until_a_page_has_no_token() {
    let pages = BTreeMap::from([
        (None, (vec![1, 2], Some("a".to_owned()))),
        (Some("a".to_owned()), (vec![3], Some(String::new()))),
    ]);
    let mut asked = Vec::new();
    let got = by_next_token(|token| {
        asked.push(token.clone());
        let page = pages[&token].clone();
        async move { Ok(page) }
    })
    .await
    .unwrap();
    assert_eq!(got, vec![1, 2, 3]);
    assert_eq!(asked, vec![None, Some("a".to_owned())]);
}
