//! Typed policy documents (IAM identity and trust policies, KMS key policies, S3 bucket policies,
//! SNS topic policies, VPC endpoint policies). Policies are built as values, never as string
//! templates, and compared after normalisation, because AWS hands them back re-ordered, with
//! one-element lists collapsed to strings and (IAM) URL-encoded.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

pub mod eval;

/// The policy language version every document uses.
pub const POLICY_VERSION: &str = "2012-10-17";

/// A policy document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    /// Always [`POLICY_VERSION`] for documents built here.
    #[serde(default = "default_version")]
    pub version: String,
    /// Optional document id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The statements, in order.
    #[serde(deserialize_with = "one_or_many_statements")]
    pub statement: Vec<Statement>,
}

fn default_version() -> String {
    POLICY_VERSION.to_owned()
}

fn one_or_many_statements<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Statement>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrVec {
        One(Box<Statement>),
        Many(Vec<Statement>),
    }
    Ok(match OneOrVec::deserialize(d)? {
        OneOrVec::One(s) => vec![*s],
        OneOrVec::Many(v) => v,
    })
}

/// Allow or Deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    /// Grants.
    Allow,
    /// Denies, overriding any allow.
    Deny,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    /// Statement id, used to find a statement in tests and audits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Allow or Deny.
    pub effect: Effect,
    /// Who (resource policies only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<Principal>,
    /// The actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<StringList>,
    /// Actions excluded (used only by deny-all-but statements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_action: Option<StringList>,
    /// The resources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<StringList>,
    /// Resources excluded (read back from policies; the evaluator honours it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_resource: Option<StringList>,
    /// Conditions: operator -> key -> values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<BTreeMap<String, BTreeMap<String, StringList>>>,
}

/// A principal: `"*"` or a map such as `{"Service": "logs.amazonaws.com"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Principal {
    /// `"*"`: anyone. Only ever used here together with a Deny.
    Any(AnyPrincipal),
    /// `{"AWS": [...]}`, `{"Service": [...]}`, ...
    Map(BTreeMap<String, StringList>),
}

/// The literal `"*"` principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyPrincipal;

impl Serialize for AnyPrincipal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("*")
    }
}

impl<'de> Deserialize<'de> for AnyPrincipal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == "*" {
            Ok(AnyPrincipal)
        } else {
            Err(serde::de::Error::custom("expected \"*\""))
        }
    }
}

/// A list of strings that AWS writes as a bare string when it has one element. Booleans and
/// numbers in condition values are read as their string form (`"false"`), as IAM evaluates them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StringList(pub Vec<String>);

impl StringList {
    /// True when any element equals `value`.
    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }
}

impl<S: Into<String>> FromIterator<S> for StringList {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self(iter.into_iter().map(Into::into).collect())
    }
}

impl Serialize for StringList {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.len() == 1 {
            s.serialize_str(&self.0[0])
        } else {
            self.0.serialize(s)
        }
    }
}

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        fn scalar(v: serde_json::Value) -> Result<String, String> {
            match v {
                serde_json::Value::String(s) => Ok(s),
                serde_json::Value::Bool(b) => Ok(b.to_string()),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                other => Err(format!("expected a string, got {other}")),
            }
        }
        let v = serde_json::Value::deserialize(d)?;
        let items = match v {
            serde_json::Value::Array(items) => items,
            other => vec![other],
        };
        items
            .into_iter()
            .map(scalar)
            .collect::<Result<Vec<_>, _>>()
            .map(StringList)
            .map_err(serde::de::Error::custom)
    }
}

/// A policy text that could not be read as a policy document.
#[derive(Debug, thiserror::Error)]
#[error("not a policy document")]
pub struct PolicyParseError(#[source] serde_json::Error);

impl PolicyDocument {
    /// A document with the given statements.
    pub fn new(statement: Vec<Statement>) -> Self {
        Self {
            version: POLICY_VERSION.to_owned(),
            id: None,
            statement,
        }
    }

    /// Parses a policy as AWS returns it: JSON, or URL-encoded JSON (IAM).
    pub fn parse(text: &str) -> Result<Self, PolicyParseError> {
        match serde_json::from_str(text) {
            Ok(doc) => Ok(doc),
            Err(first) => {
                let decoded = percent_decode(text);
                if decoded == text {
                    return Err(PolicyParseError(first));
                }
                serde_json::from_str(&decoded).map_err(PolicyParseError)
            }
        }
    }

    /// The document as compact JSON, as sent to AWS.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy document always serialises")
    }

    /// The document as a JSON value (for plans and state).
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("a policy document always serialises")
    }

    /// A canonical form: lists sorted and deduplicated, so two documents that grant the same
    /// thing compare equal whatever order AWS returned them in.
    pub fn normalized(&self) -> Self {
        let mut doc = self.clone();
        for st in &mut doc.statement {
            for list in [
                &mut st.action,
                &mut st.not_action,
                &mut st.resource,
                &mut st.not_resource,
            ]
            .into_iter()
            .flatten()
            {
                normalize_list(list);
            }
            if let Some(Principal::Map(map)) = &mut st.principal {
                map.values_mut().for_each(normalize_list);
            }
            if let Some(cond) = &mut st.condition {
                cond.values_mut()
                    .flat_map(|m| m.values_mut())
                    .for_each(normalize_list);
            }
        }
        doc
    }

    /// True when both documents grant and deny the same (after [`Self::normalized`]).
    pub fn equivalent(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }

    /// The statement with this Sid.
    pub fn statement(&self, sid: &str) -> Option<&Statement> {
        self.statement
            .iter()
            .find(|s| s.sid.as_deref() == Some(sid))
    }

    /// True when an Allow statement grants `*` or `service:*` actions — never allowed here.
    pub fn has_wildcard_allow(&self) -> bool {
        self.statement
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .any(|s| {
                s.action
                    .as_ref()
                    .is_some_and(|a| a.0.iter().any(|x| x == "*" || x.ends_with(":*")))
            })
    }
}

fn normalize_list(list: &mut StringList) {
    list.0.sort();
    list.0.dedup();
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

impl Statement {
    /// An Allow statement with a Sid.
    pub fn allow(sid: &str) -> Self {
        Self::with_effect(sid, Effect::Allow)
    }

    /// A Deny statement with a Sid.
    pub fn deny(sid: &str) -> Self {
        Self::with_effect(sid, Effect::Deny)
    }

    fn with_effect(sid: &str, effect: Effect) -> Self {
        Self {
            sid: Some(sid.to_owned()),
            effect,
            principal: None,
            action: None,
            not_action: None,
            resource: None,
            not_resource: None,
            condition: None,
        }
    }

    /// Sets the actions.
    pub fn actions<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.action = Some(actions.into_iter().collect());
        self
    }

    /// Sets the resources.
    pub fn resources<S: Into<String>>(mut self, resources: impl IntoIterator<Item = S>) -> Self {
        self.resource = Some(resources.into_iter().collect());
        self
    }

    /// A service principal such as `logs.us-east-1.amazonaws.com`.
    pub fn service_principal(self, service: &str) -> Self {
        self.principal_of("Service", [service])
    }

    /// AWS account or role principals.
    pub fn aws_principals<S: Into<String>>(self, arns: impl IntoIterator<Item = S>) -> Self {
        self.principal_of("AWS", arns)
    }

    fn principal_of<S: Into<String>>(
        mut self,
        kind: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        let mut map = match self.principal.take() {
            Some(Principal::Map(map)) => map,
            _ => BTreeMap::new(),
        };
        map.insert(kind.to_owned(), values.into_iter().collect());
        self.principal = Some(Principal::Map(map));
        self
    }

    /// `"Principal": "*"`.
    pub fn any_principal(mut self) -> Self {
        self.principal = Some(Principal::Any(AnyPrincipal));
        self
    }

    /// Adds a condition `operator: { key: values }`.
    pub fn condition<S: Into<String>>(
        mut self,
        operator: &str,
        key: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Self {
        self.condition
            .get_or_insert_with(BTreeMap::new)
            .entry(operator.to_owned())
            .or_default()
            .insert(key.to_owned(), values.into_iter().collect());
        self
    }

    /// The values of a condition key under an operator, if present.
    pub fn condition_values(&self, operator: &str, key: &str) -> Option<&StringList> {
        self.condition.as_ref()?.get(operator)?.get(key)
    }

    /// The confused-deputy conditions of a grant to a service principal: the
    /// `StringEquals aws:SourceAccount` values and the `ArnLike aws:SourceArn` values, each
    /// empty when absent ("The confused deputy problem", IAM User Guide:
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
    pub fn deputy_conditions(&self) -> (Vec<&str>, Vec<&str>) {
        let values = |operator, key| {
            self.condition_values(operator, key)
                .map_or_else(Vec::new, |l| l.0.iter().map(String::as_str).collect())
        };
        (
            values("StringEquals", "aws:SourceAccount"),
            values("ArnLike", "aws:SourceArn"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_shaped_policy_equals_built_one() {
        let built = PolicyDocument::new(vec![Statement::allow("Logs")
            .service_principal("logs.us-east-1.amazonaws.com")
            .actions(["kms:Encrypt", "kms:Decrypt"])
            .resources(["*"])
            .condition(
                "ArnLike",
                "kms:EncryptionContext:aws:logs:arn",
                ["arn:a", "arn:b"],
            )]);
        let from_aws = r#"{"Statement":{"Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":["arn:b","arn:a"]}},
            "Resource":"*","Action":["kms:Decrypt","kms:Encrypt"],"Principal":{"Service":"logs.us-east-1.amazonaws.com"},
            "Effect":"Allow","Sid":"Logs"},"Version":"2012-10-17"}"#;
        let parsed = PolicyDocument::parse(from_aws).unwrap();
        assert!(built.equivalent(&parsed));
        assert_ne!(built, parsed, "raw forms differ only in order");
    }

    #[test]
    fn url_encoded_iam_policy_parses() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let doc = PolicyDocument::parse(encoded).unwrap();
        assert_eq!(
            doc.statement[0].action.as_ref().unwrap().0,
            vec!["s3:GetObject"]
        );
    }

    #[test]
    fn boolean_condition_values_read_as_strings() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
            "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}]}"#;
        let doc = PolicyDocument::parse(text).unwrap();
        let st = &doc.statement[0];
        assert_eq!(
            st.condition_values("Bool", "aws:SecureTransport")
                .unwrap()
                .0,
            vec!["false"]
        );
        assert_eq!(st.principal, Some(Principal::Any(AnyPrincipal)));
        assert!(
            !doc.has_wildcard_allow(),
            "a deny with s3:* is not a wildcard grant"
        );
    }

    #[test]
    fn wildcard_allow_is_detected() {
        let doc = PolicyDocument::new(vec![Statement::allow("All")
            .actions(["*"])
            .resources(["*"])]);
        assert!(doc.has_wildcard_allow());
    }

    #[test]
    fn single_element_lists_serialise_as_strings() {
        let doc = PolicyDocument::new(vec![Statement::allow("A")
            .actions(["sns:Publish"])
            .resources(["arn:t"])]);
        assert_eq!(
            doc.to_json(),
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"sns:Publish","Resource":"arn:t"}]}"#
        );
    }
}
