//! The S3 state backend for teams: the same state document in an S3 object, locked with S3
//! conditional writes. The lock is an object `<key>.lock` created with `If-None-Match: *` (only
//! one writer can create it; its body names the holder), and every save of the state uses
//! `If-Match` on the ETag last read or written, so two writers can never interleave even if one
//! of them lost its lock. A lock left by a killed process is removed with `force-unlock`.

use crate::aws::{ApiError, AwsContext};
use crate::state::{LockHolder, StateBackend, StateDocument, StateError, STATE_SCHEMA_VERSION};
use aws_sdk_s3::primitives::ByteStream;
use std::sync::Mutex;

/// [`StateBackend`] in S3.
#[derive(Debug)]
pub struct S3Backend {
    client: aws_sdk_s3::Client,
    bucket: String,
    key: String,
    etag: Mutex<Option<String>>,
    locked: Mutex<bool>,
}

fn is_precondition_failed(err: &ApiError) -> bool {
    err.detail.starts_with("PreconditionFailed")
        || err.detail.contains("412")
        || err.detail.starts_with("ConditionalRequestConflict")
}

impl S3Backend {
    /// The backend for `s3://bucket/key` (region: `region`, else the context's).
    pub fn new(ctx: &AwsContext, bucket: &str, key: &str, region: Option<&str>) -> Self {
        let mut conf =
            aws_sdk_s3::config::Builder::from(ctx.sdk()).interceptor(ctx.call_recorder());
        if let Some(region) = region {
            conf = conf.region(aws_sdk_s3::config::Region::new(region.to_owned()));
        }
        if ctx.endpoint_overridden() {
            conf = conf.force_path_style(true);
        }
        Self {
            client: aws_sdk_s3::Client::from_conf(conf.build()),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            etag: Mutex::new(None),
            locked: Mutex::new(false),
        }
    }

    fn lock_key(&self) -> String {
        format!("{}.lock", self.key)
    }

    fn remote(&self, source: ApiError) -> StateError {
        StateError::Remote {
            location: self.location(),
            source,
        }
    }

    async fn delete_lock(&self) -> Result<(), StateError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(self.lock_key())
            .send()
            .await
            .map_err(|e| {
                self.remote(ApiError::from_sdk("s3", "DeleteObject", self.lock_key(), e))
            })?;
        Ok(())
    }

    async fn read_holder(&self) -> Option<String> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.lock_key())
            .send()
            .await
            .ok()?;
        let bytes = out.body.collect().await.ok()?.into_bytes();
        Some(
            serde_json::from_slice::<LockHolder>(&bytes)
                .map(|h| h.to_string())
                .unwrap_or_else(|_| "another process".to_owned()),
        )
    }
}

#[async_trait::async_trait]
impl StateBackend for S3Backend {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    async fn load(&self) -> Result<Option<StateDocument>, StateError> {
        let out = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let e = ApiError::from_sdk("s3", "GetObject", self.location(), e);
                if e.is_not_found() {
                    *self.etag.lock().expect("etag") = None;
                    return Ok(None);
                }
                return Err(self.remote(e));
            }
        };
        let etag = out.e_tag().map(str::to_owned);
        let bytes = out.body.collect().await.map_err(|e| {
            self.remote(ApiError::synthetic(
                "s3",
                "GetObject",
                &self.location(),
                crate::aws::ServiceErrorKind::Other,
                &e.to_string(),
            ))
        })?;
        let raw: serde_json::Value =
            serde_json::from_slice(&bytes.into_bytes()).map_err(|source| StateError::Corrupt {
                path: self.location().into(),
                source,
            })?;
        let found = raw
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as u32;
        if found > STATE_SCHEMA_VERSION {
            return Err(StateError::TooNew {
                path: self.location().into(),
                found,
            });
        }
        let doc = serde_json::from_value(raw).map_err(|source| StateError::Corrupt {
            path: self.location().into(),
            source,
        })?;
        *self.etag.lock().expect("etag") = etag;
        Ok(Some(doc))
    }

    async fn lock(&self, holder: &LockHolder) -> Result<(), StateError> {
        let body = serde_json::to_vec(holder).expect("holder serialises");
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.lock_key())
            .if_none_match("*")
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await;
        match put {
            Ok(_) => {
                *self.locked.lock().expect("locked") = true;
                Ok(())
            }
            Err(e) => {
                let e = ApiError::from_sdk(
                    "s3",
                    "PutObject",
                    format!("s3://{}/{}", self.bucket, self.lock_key()),
                    e,
                );
                if is_precondition_failed(&e) {
                    let holder = self
                        .read_holder()
                        .await
                        .unwrap_or_else(|| "another process".to_owned());
                    Err(StateError::Locked {
                        stack: self.location(),
                        holder,
                    })
                } else {
                    Err(self.remote(e))
                }
            }
        }
    }

    async fn save(&self, doc: &mut StateDocument) -> Result<(), StateError> {
        if !*self.locked.lock().expect("locked") {
            return Err(StateError::NotLocked);
        }
        doc.serial += 1;
        doc.updated_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        doc.schema_version = STATE_SCHEMA_VERSION;
        let body = serde_json::to_vec_pretty(doc).expect("state serialises");
        let etag = self.etag.lock().expect("etag").clone();
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type("application/json");
        put = match &etag {
            Some(tag) => put.if_match(tag),
            None => put.if_none_match("*"),
        };
        match put.body(ByteStream::from(body)).send().await {
            Ok(out) => {
                *self.etag.lock().expect("etag") = out.e_tag().map(str::to_owned);
                Ok(())
            }
            Err(e) => {
                let e = ApiError::from_sdk("s3", "PutObject", self.location(), e);
                if is_precondition_failed(&e) {
                    Err(StateError::Conflict {
                        location: self.location(),
                    })
                } else {
                    Err(self.remote(e))
                }
            }
        }
    }

    async fn unlock(&self) -> Result<(), StateError> {
        let was_locked = std::mem::replace(&mut *self.locked.lock().expect("locked"), false);
        if was_locked {
            self.delete_lock().await?;
        }
        Ok(())
    }

    async fn force_unlock(&self) -> Result<Option<String>, StateError> {
        let holder = self.read_holder().await;
        if holder.is_some() {
            self.delete_lock().await?;
        }
        Ok(holder)
    }
}
