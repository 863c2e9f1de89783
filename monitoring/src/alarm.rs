//! The two alarm resource kinds, `cloudwatch_metric_alarm` and `cloudwatch_composite_alarm`
//! (the catalog in `alarms` builds their definitions). They share one DescribeAlarms listing
//! (name prefix `<prefix>-`, both alarm types), one tag read per alarm (DescribeAlarms carries
//! no tags), one plan and apply (PutMetricAlarm / PutCompositeAlarm when the definition
//! differs, TagResource / UntagResource for the tags, since CloudWatch ignores the tags of a Put
//! on an existing alarm) and one DeleteAlarms batch, so both live here, generic over
//! [`AlarmDef`].

use crate::alarms::{CompositeAlarmDef, MetricAlarmDef};
use crate::api::MonitoringApi;
use crate::{touches, MonitoringError};
use baseline_core::aws::ApiError;
use baseline_core::resource::{Planned, ResourceKind, Step, TagDelta};
use baseline_core::write::WriteResult;
use baseline_core::{Action, Change, Progress};
use futures::future::BoxFuture;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

/// Tag reads in flight at once while observing. A stack has about 50 alarms; at 32 the reads
/// of a converged stack take two rounds. They are reads: CloudWatch's modest write rate limit
/// (which bounds the alarm writes) does not apply to them.
const TAG_READS: usize = 32;

type Tags = BTreeMap<String, String>;

/// An existing alarm with its tags.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservedAlarm<D> {
    /// Alarm ARN.
    pub arn: String,
    /// Definition.
    pub def: D,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// What the two alarm kinds do differently (owned definitions: [`Alarm`]'s desired view
/// borrows one).
pub(crate) trait AlarmDef: Serialize + Sync + 'static {
    /// Resource type in plans.
    const KIND: &'static str;
    /// How many of this kind one DeleteAlarms may name: "You can delete up to 100 alarms in
    /// one operation. However, this total can include no more than one composite alarm"
    /// (DeleteAlarms, Amazon CloudWatch API Reference).
    const DELETE_BATCH: usize;
    /// The plan address of the alarm with this key.
    fn address(key: &str) -> String;
    /// The alarm name.
    fn name(&self) -> &str;
    /// PutMetricAlarm or PutCompositeAlarm; `tags` empty on an update.
    fn put<'a, A: MonitoringApi>(
        &'a self,
        api: &'a A,
        tags: &'a Tags,
    ) -> BoxFuture<'a, Result<(), ApiError>>;
}

impl AlarmDef for MetricAlarmDef {
    const KIND: &'static str = "cloudwatch_metric_alarm";
    const DELETE_BATCH: usize = 100;

    fn address(key: &str) -> String {
        format!("monitoring.alarm[\"{key}\"]")
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn put<'a, A: MonitoringApi>(
        &'a self,
        api: &'a A,
        tags: &'a Tags,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        api.put_metric_alarm(self, tags)
    }
}

impl AlarmDef for CompositeAlarmDef {
    const KIND: &'static str = "cloudwatch_composite_alarm";
    const DELETE_BATCH: usize = 1;

    fn address(key: &str) -> String {
        format!("monitoring.composite_alarm[\"{key}\"]")
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn put<'a, A: MonitoringApi>(
        &'a self,
        api: &'a A,
        tags: &'a Tags,
    ) -> BoxFuture<'a, Result<(), ApiError>> {
        api.put_composite_alarm(self, tags)
    }
}

/// The owned alarms of one listing, by name.
pub(crate) type Owned<D> = BTreeMap<String, ObservedAlarm<D>>;

/// Every alarm named `<prefix>…` that the module may own (`owned`), with its tags. Tags are
/// read concurrently; an alarm deleted between the listing and its tag read shows without tags.
pub(crate) async fn observe<A: MonitoringApi>(
    api: &A,
    prefix: &str,
    owned: &BTreeSet<String>,
) -> Result<(Owned<MetricAlarmDef>, Owned<CompositeAlarmDef>), MonitoringError> {
    let described = api.describe_alarms(Some(prefix.to_owned())).await?;
    let metric: Vec<(String, MetricAlarmDef)> = described
        .metric
        .into_iter()
        .filter(|a| owned.contains(&a.def.name))
        .map(|a| (a.arn, a.def))
        .collect();
    let composite: Vec<(String, CompositeAlarmDef)> = described
        .composite
        .into_iter()
        .filter(|a| owned.contains(&a.def.name))
        .map(|a| (a.arn, a.def))
        .collect();
    let reads: Vec<_> = metric
        .iter()
        .map(|(arn, _)| arn)
        .chain(composite.iter().map(|(arn, _)| arn))
        .map(|arn| tags_of(api, arn.clone()))
        .collect();
    let mut tags: BTreeMap<String, Tags> = stream::iter(reads)
        .buffer_unordered(TAG_READS)
        .try_collect()
        .await?;
    Ok((
        with_tags(metric, &mut tags),
        with_tags(composite, &mut tags),
    ))
}

fn with_tags<D: AlarmDef>(listed: Vec<(String, D)>, tags: &mut BTreeMap<String, Tags>) -> Owned<D> {
    listed
        .into_iter()
        .map(|(arn, def)| {
            let tags = tags.remove(&arn).unwrap_or_default();
            (def.name().to_owned(), ObservedAlarm { arn, def, tags })
        })
        .collect()
}

async fn tags_of<A: MonitoringApi>(api: &A, arn: String) -> Result<(String, Tags), ApiError> {
    let tags = match api.alarm_tags(&arn).await {
        Ok(tags) => tags,
        // Deleted between the listing and this call: it shows as an alarm without tags.
        Err(e) if e.is_not_found() => BTreeMap::new(),
        Err(e) => return Err(e),
    };
    Ok((arn, tags))
}

/// One write on an alarm, in the order apply sends them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum AlarmOp {
    /// PutMetricAlarm / PutCompositeAlarm with the stack tags.
    Create,
    /// The same Put without tags: the definition changed.
    Put,
    /// UntagResource then TagResource.
    Tag(TagDelta),
}

/// The alarm as the plan shows it: its definition and its tags.
pub(crate) fn view<D: Serialize>(def: &D, tags: &Tags) -> Value {
    let mut v = serde_json::to_value(def).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        map.insert("tags".into(), json!(tags));
    }
    v
}

/// An alarm as the spec wants it, with the stack's tags.
pub(crate) struct WantedAlarm<'a, D> {
    /// Its definition.
    pub def: &'a D,
    /// The stack's tags.
    pub tags: &'a Tags,
}

/// The resource kind of the stack's alarms, metric or composite (one plan and one apply for
/// both, so they cannot converge differently).
pub(crate) struct Alarm<D>(PhantomData<D>);

impl<D: AlarmDef> ResourceKind for Alarm<D> {
    const KIND: &'static str = D::KIND;
    type Desired<'a> = WantedAlarm<'a, D>;
    type Current = ObservedAlarm<D>;
    type Op = AlarmOp;

    /// The writes are read off the change's attributes, so apply writes exactly what the plan
    /// shows.
    fn plan(
        address: &str,
        want: &WantedAlarm<'_, D>,
        found: Option<&ObservedAlarm<D>>,
    ) -> Planned<AlarmOp> {
        let after = view(want.def, want.tags);
        let Some(o) = found else {
            return Planned::new(
                Change::create(address, Self::KIND, &after),
                vec![AlarmOp::Create],
            );
        };
        let before = view(&o.def, &o.tags);
        let change = Change::compare(address, Self::KIND, &before, &after, &[]);
        let mut ops = Vec::new();
        if change.attributes.iter().any(|a| !touches(a, &["tags"])) {
            ops.push(AlarmOp::Put);
        }
        if change.attributes.iter().any(|a| touches(a, &["tags"])) {
            ops.push(AlarmOp::Tag(TagDelta::between(&o.tags, want.tags)));
        }
        Planned::new(change, ops)
    }
}

/// The change of one wanted alarm and the writes that make it (see [`Alarm`]).
pub(crate) fn plan<D: AlarmDef>(
    key: &str,
    def: &D,
    tags: &Tags,
    found: Option<&ObservedAlarm<D>>,
) -> Planned<AlarmOp> {
    Alarm::<D>::plan(&D::address(key), &WantedAlarm { def, tags }, found)
}

/// Deleting an existing alarm the spec no longer wants (or destroy).
pub(crate) fn plan_delete<D: AlarmDef>(key: &str, o: &ObservedAlarm<D>) -> Change {
    Change::delete(D::address(key), D::KIND, &view(&o.def, &o.tags))
}

/// Runs the planned writes of one alarm. `arn` is the alarm's (observed, or the deterministic
/// one for a create).
pub(crate) async fn execute<D: AlarmDef, A: MonitoringApi>(
    api: &A,
    want: &D,
    tags: &Tags,
    arn: &str,
    planned: &Planned<AlarmOp>,
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    if !planned.is_change() {
        return Ok(());
    }
    let untagged = Tags::new();
    let step = Step::start(progress, &planned.change.address, planned.change.action);
    for op in &planned.ops {
        match op {
            AlarmOp::Create => {
                want.put(api, tags).await?;
                step.exists(arn);
            }
            AlarmOp::Put => want.put(api, &untagged).await?,
            AlarmOp::Tag(delta) => {
                if !delta.remove.is_empty() {
                    api.untag_alarm(arn, &delta.remove).await?;
                }
                if !delta.set.is_empty() {
                    api.tag_alarm(arn, &delta.set).await?;
                }
            }
        }
    }
    step.done();
    Ok(())
}

/// Deletes alarms of kind `D` given as (name, address), [`AlarmDef::DELETE_BATCH`] per
/// DeleteAlarms; names already gone count as deleted.
pub(crate) async fn delete<D: AlarmDef, A: MonitoringApi>(
    api: &A,
    alarms: &[(String, String)],
    progress: &dyn Progress,
) -> Result<(), MonitoringError> {
    for batch in alarms.chunks(D::DELETE_BATCH) {
        let steps: Vec<Step<'_>> = batch
            .iter()
            .map(|(_, address)| Step::start(progress, address, Action::Delete))
            .collect();
        let names: Vec<String> = batch.iter().map(|(name, _)| name.clone()).collect();
        api.delete_alarms(&names).await.or_gone()?;
        steps.into_iter().for_each(Step::done);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
