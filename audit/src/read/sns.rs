//! SNS reads of the topic rules (BB-73..75): topics' attributes and subscriptions.

use super::{failed, list_missing, Reader};
use crate::inventory::{Missing, Read, Subscription, Topic};
use baseline_core::policy::PolicyDocument;

impl Reader {
    /// `sns:ListTopics` + `GetTopicAttributes` of each.
    pub(super) async fn topics(&self) -> Read<Vec<Topic>> {
        let arns = self
            .paged(
                "sns:ListTopics",
                list_missing,
                |t| self.sns.list_topics().set_next_token(t).send(),
                |p| {
                    p.topics()
                        .iter()
                        .filter_map(|t| t.topic_arn().map(str::to_owned))
                        .collect()
                },
            )
            .await;
        self.detailed(
            arns,
            "sns:GetTopicAttributes",
            |arn| self.sns.get_topic_attributes().topic_arn(arn).send(),
            topic,
        )
        .await
    }

    /// `sns:ListSubscriptionsByTopic`.
    pub(super) async fn subscriptions(&self, topic: &str) -> Read<Vec<Subscription>> {
        self.paged(
            "sns:ListSubscriptionsByTopic",
            failed,
            |t| {
                self.sns
                    .list_subscriptions_by_topic()
                    .topic_arn(topic)
                    .set_next_token(t)
                    .send()
            },
            |p| {
                p.subscriptions()
                    .iter()
                    .map(|s| Subscription {
                        arn: s.subscription_arn().unwrap_or_default().to_owned(),
                        protocol: s.protocol().unwrap_or_default().to_owned(),
                    })
                    .collect()
            },
        )
        .await
    }
}

/// A topic from its `GetTopicAttributes` answer.
fn topic(
    arn: String,
    attributes: Read<aws_sdk_sns::operation::get_topic_attributes::GetTopicAttributesOutput>,
) -> Topic {
    match attributes {
        Err(m) => Topic {
            arn,
            kms_key: None,
            policy: Err(m),
        },
        Ok(o) => {
            let attrs = o.attributes();
            let get = |k: &str| {
                attrs
                    .and_then(|a| a.get(k))
                    .filter(|v| !v.is_empty())
                    .cloned()
            };
            let policy = match get("Policy") {
                None => Ok(None),
                Some(text) => PolicyDocument::parse(&text)
                    .map(Some)
                    .map_err(|e| Missing::Failed(format!("topic policy did not parse: {e}"))),
            };
            Topic {
                kms_key: get("KmsMasterKeyId"),
                policy,
                arn,
            }
        }
    }
}
