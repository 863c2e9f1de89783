//! Writes that survive a lost answer.
//!
//! A write whose first attempt took effect but whose answer was lost (a dropped connection, a
//! proxy's 503) is retried by the SDK's standard retry mode, and the retry meets the effect of
//! the first attempt: `AlreadyExists` / `Duplicate` for a create, an authorize or an alias,
//! `NotFound` for a revoke or a delete. The desired state is then reached; these helpers say so
//! in one place instead of each module failing the apply.
//!
//! Creates that are not idempotent (KMS `CreateKey`, Cost Explorer `CreateAnomalyMonitor`: no
//! client token, no unique name) must not be retried blindly, or a lost answer leaves a
//! duplicate. [`create_unless_found`] sends them once per attempt with SDK retries off for that
//! call, and after a failure that may have taken effect looks the resource up (by its stack tag
//! or deterministic name) before trying again.
//!
//! Batch writes (several security-group rules in one call) that meet such an error are sent again
//! item by item ([`batch_or_each`]), so that one item already there does not hide the others.

use crate::aws::{ApiError, ServiceErrorKind};
use std::future::Future;
use std::time::Duration;

/// The desired state of a write, read from its error.
pub trait WriteResult: Sized {
    /// A create, authorize or attach whose retry met `AlreadyExists` is done.
    fn or_exists(self) -> Result<(), ApiError>;
    /// A delete, revoke or detach whose retry met `NotFound` is done.
    fn or_gone(self) -> Result<(), ApiError>;
}

impl WriteResult for Result<(), ApiError> {
    fn or_exists(self) -> Result<(), ApiError> {
        match self {
            Err(e) if e.is_already_exists() => Ok(()),
            other => other,
        }
    }

    fn or_gone(self) -> Result<(), ApiError> {
        match self {
            Err(e) if e.is_not_found() => Ok(()),
            other => other,
        }
    }
}

/// Attempts of [`create_unless_found`], as the SDK's standard retry mode makes them.
pub const CREATE_ATTEMPTS: u32 = 3;

/// Runs a non-idempotent `create` (sent with SDK retries off) until it answers; after each
/// failure that may have taken effect ([`ServiceErrorKind::Transient`]) or was throttled, asks
/// `find` whether the resource exists now and returns it if so. Any other error, or the last
/// attempt's, is returned.
pub async fn create_unless_found<T, C, CF, F, FF>(mut create: C, mut find: F) -> Result<T, ApiError>
where
    C: FnMut() -> CF,
    CF: Future<Output = Result<T, ApiError>>,
    F: FnMut() -> FF,
    FF: Future<Output = Result<Option<T>, ApiError>>,
{
    let mut attempt = 1;
    loop {
        match create().await {
            Ok(created) => return Ok(created),
            Err(e)
                if matches!(
                    e.kind,
                    ServiceErrorKind::Transient | ServiceErrorKind::Throttled
                ) =>
            {
                if let Some(found) = find().await? {
                    tracing::info!(operation = e.operation, target = %e.target,
                        "the create took effect though its answer was lost; adopting the result");
                    return Ok(found);
                }
                if attempt >= CREATE_ATTEMPTS {
                    return Err(e);
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// One call for the whole batch. When it meets `settled` (a rule already there, a rule already
/// gone: a lost answer's retry meeting its first attempt, or a hand change) and held more than
/// one rule, each rule is sent again alone, so that one settled rule cannot hide the others. The
/// EC2 API reference (AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress) does not say
/// whether a refused batch applied its other rules; one rule at a time is right either way.
/// Another settled error (one rule alone) is done, any other error is returned.
pub async fn batch_or_each<'a, T, F, Fut>(
    items: &'a [T],
    settled: fn(&ApiError) -> bool,
    call: F,
) -> Result<(), ApiError>
where
    F: Fn(&'a [T]) -> Fut,
    Fut: Future<Output = Result<(), ApiError>>,
{
    match call(items).await {
        Err(e) if settled(&e) && items.len() > 1 => {
            for item in items {
                match call(std::slice::from_ref(item)).await {
                    Err(e) if settled(&e) => {}
                    other => other?,
                }
            }
            Ok(())
        }
        Err(e) if settled(&e) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn err(kind: ServiceErrorKind) -> ApiError {
        ApiError::synthetic("kms", "CreateKey", "k", kind, "x")
    }

    #[test]
    fn retries_that_meet_the_first_attempt_are_done() {
        assert!(Err(err(ServiceErrorKind::AlreadyExists))
            .or_exists()
            .is_ok());
        assert!(Err(err(ServiceErrorKind::NotFound)).or_gone().is_ok());
        assert!(Err(err(ServiceErrorKind::NotFound)).or_exists().is_err());
        assert!(Err(err(ServiceErrorKind::AccessDenied)).or_gone().is_err());
    }

    #[tokio::test]
    async fn a_lost_answer_adopts_what_the_first_attempt_made() {
        let creates = AtomicU32::new(0);
        let got = create_unless_found(
            || async {
                creates.fetch_add(1, Ordering::SeqCst);
                Err::<&str, _>(err(ServiceErrorKind::Transient))
            },
            || async { Ok(Some("made")) },
        )
        .await
        .unwrap();
        assert_eq!((got, creates.load(Ordering::SeqCst)), ("made", 1));
    }

    #[tokio::test]
    async fn nothing_found_tries_again_then_gives_up() {
        let creates = AtomicU32::new(0);
        let got = create_unless_found(
            || async {
                creates.fetch_add(1, Ordering::SeqCst);
                Err::<&str, _>(err(ServiceErrorKind::Transient))
            },
            || async { Ok(None) },
        )
        .await;
        assert!(got.is_err());
        assert_eq!(creates.load(Ordering::SeqCst), CREATE_ATTEMPTS);
        let denied = create_unless_found(
            || async { Err::<&str, _>(err(ServiceErrorKind::AccessDenied)) },
            || async { panic!("not looked up after a plain failure") },
        )
        .await;
        assert!(denied.is_err());
    }

    #[tokio::test]
    async fn a_settled_batch_is_sent_again_rule_by_rule() {
        let sent = std::sync::Mutex::new(Vec::new());
        // "b" was added by hand: the batch is refused, then "a" and "c" go alone.
        batch_or_each(
            &["a", "b", "c"],
            ApiError::is_already_exists,
            |batch: &[&str]| {
                sent.lock().unwrap().push(batch.join(","));
                let duplicate = batch.contains(&"b");
                async move {
                    if duplicate {
                        Err(err(ServiceErrorKind::AlreadyExists))
                    } else {
                        Ok(())
                    }
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(*sent.lock().unwrap(), ["a,b,c", "a", "b", "c"]);

        let denied = batch_or_each(
            &["a", "b"],
            ApiError::is_already_exists,
            |batch: &[&str]| {
                let first = batch.len() > 1;
                async move {
                    Err(err(if first {
                        ServiceErrorKind::AlreadyExists
                    } else {
                        ServiceErrorKind::AccessDenied
                    }))
                }
            },
        )
        .await;
        assert_eq!(denied.unwrap_err().kind, ServiceErrorKind::AccessDenied);
    }
}
