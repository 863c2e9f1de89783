//! The state document (resource ids and module outputs of one stack) and the local store:
//! `.baseline/state/<stack>.json`, written atomically (temp file, fsync, rename, fsync of the
//! folder) and guarded by an advisory lock on `<stack>.lock` that names its holder. The lock is an
//! OS lock (`flock`), so a killed apply never leaves a stale lock behind.
//!
//! State is a cache and a record, not the source of truth: modules find their resources by name
//! and tag, so a lost state file is rebuilt by observing.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The schema version this build writes and reads.
pub const STATE_SCHEMA_VERSION: u32 = 1;

/// What state remembers of one resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRecord {
    /// Physical id or ARN.
    pub id: String,
}

/// The state of one stack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateDocument {
    /// Schema version, [`STATE_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Stack name.
    pub stack: String,
    /// Incremented on every write, so a saved plan can tell whether state moved.
    pub serial: u64,
    /// Seconds since the epoch of the last write.
    pub updated_at: u64,
    /// Resources by address.
    #[serde(default)]
    pub resources: BTreeMap<String, ResourceRecord>,
    /// Outputs by module name.
    #[serde(default)]
    pub outputs: BTreeMap<String, Value>,
}

impl StateDocument {
    /// An empty state for `stack`.
    pub fn new(stack: impl Into<String>) -> Self {
        Self {
            schema_version: STATE_SCHEMA_VERSION,
            stack: stack.into(),
            serial: 0,
            updated_at: 0,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
        }
    }
}

/// Who holds a lock, written into the lock file so another process can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Process id.
    pub pid: u32,
    /// Host name.
    pub host: String,
    /// What it is doing, e.g. `apply`.
    pub operation: String,
    /// Seconds since the epoch when it took the lock.
    pub since: u64,
}

impl LockHolder {
    /// This process, doing `operation`.
    pub fn current(operation: &str) -> Self {
        let host = fs::read_to_string("/etc/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown-host".to_owned());
        Self {
            pid: std::process::id(),
            host,
            operation: operation.to_owned(),
            since: now(),
        }
    }
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (pid {} on {}, since {}s after the epoch)",
            self.operation, self.pid, self.host, self.since
        )
    }
}

/// Errors of the state store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Another process holds the lock.
    #[error("the state of stack {stack} is locked by {holder}; wait for it to finish")]
    Locked {
        /// Stack name.
        stack: String,
        /// The holder, as it wrote itself into the lock file.
        holder: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a state document.
    #[error("{path} is not a valid state document")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// Someone else wrote the state since we read it (S3 backend: the ETag moved).
    #[error("the state at {location} was changed by another process since it was read; run again")]
    Conflict {
        /// Where the state lives.
        location: String,
    },
    /// A remote backend call failed.
    #[error("state backend {location}: {source}")]
    Remote {
        /// Where the state lives.
        location: String,
        /// The failed call.
        #[source]
        source: crate::aws::ApiError,
    },
    /// Saving without holding the lock.
    #[error("the state lock is not held")]
    NotLocked,
    /// Written by a newer version of this tool.
    #[error("{path} has schema version {found}; this build reads up to {STATE_SCHEMA_VERSION}: upgrade bedrock-baseline")]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its schema version.
        found: u32,
    },
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> StateError + 'a {
    move |source| StateError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The local state store of one stack.
#[derive(Debug, Clone)]
pub struct LocalStateStore {
    dir: PathBuf,
    stack: String,
}

/// A held state lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct StateLock {
    file: File,
}

impl Drop for StateLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

impl LocalStateStore {
    /// The store for `stack` under `dir` (default `.baseline/state`).
    pub fn new(dir: impl Into<PathBuf>, stack: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            stack: stack.into(),
        }
    }

    /// The state file.
    pub fn path(&self) -> PathBuf {
        self.dir.join(format!("{}.json", self.stack))
    }

    fn lock_path(&self) -> PathBuf {
        self.dir.join(format!("{}.lock", self.stack))
    }

    /// Takes the lock, or fails at once naming the holder.
    pub fn lock(&self, holder: &LockHolder) -> Result<StateLock, StateError> {
        fs::create_dir_all(&self.dir).map_err(io("creating", &self.dir))?;
        let path = self.lock_path();
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io("opening", &path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.read_to_string(&mut text);
                let holder = serde_json::from_str::<LockHolder>(&text)
                    .map(|h| h.to_string())
                    .unwrap_or_else(|_| "another process".to_owned());
                return Err(StateError::Locked {
                    stack: self.stack.clone(),
                    holder,
                });
            }
            Err(fs::TryLockError::Error(e)) => return Err(io("locking", &path)(e)),
        }
        let body = serde_json::to_vec(holder).expect("lock holder serialises");
        file.set_len(0).map_err(io("writing", &path))?;
        file.seek(SeekFrom::Start(0))
            .map_err(io("writing", &path))?;
        file.write_all(&body).map_err(io("writing", &path))?;
        file.sync_data().map_err(io("writing", &path))?;
        Ok(StateLock { file })
    }

    /// Reads the state; `None` when there is none yet.
    pub fn load(&self) -> Result<Option<StateDocument>, StateError> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("reading", &path)(e)),
        };
        let raw: Value = serde_json::from_slice(&bytes).map_err(|source| StateError::Corrupt {
            path: path.clone(),
            source,
        })?;
        let found = raw
            .get("schema_version")
            .and_then(Value::as_u64)
            .unwrap_or(0) as u32;
        if found > STATE_SCHEMA_VERSION {
            return Err(StateError::TooNew { path, found });
        }
        serde_json::from_value(raw)
            .map(Some)
            .map_err(|source| StateError::Corrupt { path, source })
    }

    /// Writes the state atomically, bumping its serial. The caller must hold the lock.
    pub fn save(&self, _lock: &StateLock, doc: &mut StateDocument) -> Result<(), StateError> {
        doc.serial += 1;
        doc.updated_at = now();
        doc.schema_version = STATE_SCHEMA_VERSION;
        let path = self.path();
        fs::create_dir_all(&self.dir).map_err(io("creating", &self.dir))?;
        let tmp = self
            .dir
            .join(format!(".{}.json.tmp-{}", self.stack, std::process::id()));
        let body = serde_json::to_vec_pretty(doc).expect("state serialises");
        {
            let mut f = File::create(&tmp).map_err(io("writing", &tmp))?;
            f.write_all(&body).map_err(io("writing", &tmp))?;
            f.sync_all().map_err(io("syncing", &tmp))?;
        }
        fs::rename(&tmp, &path).map_err(io("replacing", &path))?;
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

/// Where state lives: the local file or an S3 object. The lock is held by the backend value
/// between [`StateBackend::lock`] and [`StateBackend::unlock`] (or drop).
#[async_trait::async_trait]
pub trait StateBackend: Send + Sync {
    /// Human description, e.g. `.baseline/state/demo.json` or `s3://bucket/key`.
    fn location(&self) -> String;
    /// Reads the state; `None` when there is none yet.
    async fn load(&self) -> Result<Option<StateDocument>, StateError>;
    /// Takes the lock or fails at once naming the holder.
    async fn lock(&self, holder: &LockHolder) -> Result<(), StateError>;
    /// Writes the state (bumping its serial); the lock must be held.
    async fn save(&self, doc: &mut StateDocument) -> Result<(), StateError>;
    /// Releases the lock.
    async fn unlock(&self) -> Result<(), StateError>;
    /// Removes a lock left behind by a process that died; returns who held it.
    async fn force_unlock(&self) -> Result<Option<String>, StateError>;
}

/// [`StateBackend`] over [`LocalStateStore`].
#[derive(Debug)]
pub struct LocalBackend {
    store: LocalStateStore,
    lock: std::sync::Mutex<Option<StateLock>>,
}

impl LocalBackend {
    /// The local backend for `stack` under `dir`.
    pub fn new(store: LocalStateStore) -> Self {
        Self {
            store,
            lock: std::sync::Mutex::new(None),
        }
    }
}

#[async_trait::async_trait]
impl StateBackend for LocalBackend {
    fn location(&self) -> String {
        self.store.path().display().to_string()
    }

    async fn load(&self) -> Result<Option<StateDocument>, StateError> {
        self.store.load()
    }

    async fn lock(&self, holder: &LockHolder) -> Result<(), StateError> {
        let lock = self.store.lock(holder)?;
        *self.lock.lock().expect("lock slot") = Some(lock);
        Ok(())
    }

    async fn save(&self, doc: &mut StateDocument) -> Result<(), StateError> {
        let guard = self.lock.lock().expect("lock slot");
        let lock = guard.as_ref().ok_or(StateError::NotLocked)?;
        self.store.save(lock, doc)
    }

    async fn unlock(&self) -> Result<(), StateError> {
        self.lock.lock().expect("lock slot").take();
        Ok(())
    }

    async fn force_unlock(&self) -> Result<Option<String>, StateError> {
        // The local lock is an OS lock: it dies with its process, there is nothing to remove.
        Ok(None)
    }
}

/// What a failed apply or destroy left in place, as the state records it afterwards: the
/// resources it made, and those it was to delete that still exist. Each is found again by its
/// name or the stack tag, so the next `apply` (or `destroy`) picks up from there. The CLI names
/// it after the failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftBehind {
    /// Made by the failed run (in state now, not before it).
    pub made: Vec<String>,
    /// Planned for deletion but still in state.
    pub remaining: Vec<String>,
}

impl LeftBehind {
    /// Compares state before and after a run; `doomed` are the addresses it was to delete.
    pub fn between(before: &StateDocument, after: &StateDocument, doomed: &[String]) -> Self {
        Self {
            made: after
                .resources
                .keys()
                .filter(|a| !before.resources.contains_key(*a))
                .cloned()
                .collect(),
            remaining: doomed
                .iter()
                .filter(|a| after.resources.contains_key(*a))
                .cloned()
                .collect(),
        }
    }

    /// True when the run left nothing of its own behind.
    pub fn is_empty(&self) -> bool {
        self.made.is_empty() && self.remaining.is_empty()
    }
}

impl std::fmt::Display for LeftBehind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A long list is cut: the state file has all of them.
        fn list(addresses: &[String]) -> String {
            const SHOWN: usize = 10;
            let mut text = addresses
                .iter()
                .take(SHOWN)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if addresses.len() > SHOWN {
                text.push_str(&format!(" and {} more", addresses.len() - SHOWN));
            }
            text
        }
        let mut parts = Vec::new();
        if !self.made.is_empty() {
            parts.push(format!(
                "made before the failure and kept ({}): {}",
                self.made.len(),
                list(&self.made)
            ));
        }
        if !self.remaining.is_empty() {
            parts.push(format!(
                "still to delete ({}): {}",
                self.remaining.len(),
                list(&self.remaining)
            ));
        }
        write!(
            f,
            "Stopped with resources in place, recorded in state (the next run finds them by name or tag): {}",
            parts.join("; ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStateStore::new(dir.path(), "demo");
        let held = store.lock(&LockHolder::current("apply")).unwrap();
        let err = store.lock(&LockHolder::current("plan")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("locked by apply (pid"), "{msg}");
        drop(held);
        store
            .lock(&LockHolder::current("plan"))
            .expect("free again after release");
    }

    #[test]
    fn save_then_load_round_trips_and_bumps_serial() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStateStore::new(dir.path().join("nested"), "demo");
        assert!(store.load().unwrap().is_none());
        let lock = store.lock(&LockHolder::current("apply")).unwrap();
        let mut doc = StateDocument::new("demo");
        doc.resources.insert(
            "encryption.kms_key".into(),
            ResourceRecord { id: "k-1".into() },
        );
        store.save(&lock, &mut doc).unwrap();
        store.save(&lock, &mut doc).unwrap();
        let back = store.load().unwrap().unwrap();
        assert_eq!(back.serial, 2);
        assert_eq!(back, doc);
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStateStore::new(dir.path(), "demo");
        fs::write(
            store.path(),
            r#"{"schema_version": 99, "stack": "demo", "serial": 1, "updated_at": 0}"#,
        )
        .unwrap();
        assert!(matches!(
            store.load(),
            Err(StateError::TooNew { found: 99, .. })
        ));
    }

    /// A child process writes state in a loop and is SIGKILLed; the file left behind must parse.
    #[test]
    fn killed_writer_never_leaves_a_torn_file() {
        if let Ok(dir) = std::env::var("BASELINE_TORN_WRITER_DIR") {
            let store = LocalStateStore::new(&dir, "demo");
            let lock = store.lock(&LockHolder::current("writer")).unwrap();
            let mut doc = StateDocument::new("demo");
            for i in 0..10_000 {
                doc.resources.insert(
                    format!("m.r{i}"),
                    ResourceRecord {
                        id: "x".repeat(200),
                    },
                );
            }
            loop {
                store.save(&lock, &mut doc).unwrap();
            }
        }
        let dir = tempfile::tempdir().unwrap();
        for delay_ms in [30_u64, 90, 170] {
            let mut child = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "state::tests::killed_writer_never_leaves_a_torn_file",
                    "--nocapture",
                ])
                .env("BASELINE_TORN_WRITER_DIR", dir.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            child.kill().unwrap();
            child.wait().unwrap();
            let store = LocalStateStore::new(dir.path(), "demo");
            if let Some(doc) = store.load().expect("state must never be torn") {
                assert_eq!(doc.resources.len(), 10_000);
            }
            store
                .lock(&LockHolder::current("check"))
                .expect("a killed holder releases the lock");
        }
    }

    #[test]
    fn left_behind_names_what_a_failed_run_made_and_what_it_did_not_delete() {
        let mut before = StateDocument::new("s");
        for a in ["m.kept", "m.doomed", "m.deleted"] {
            before
                .resources
                .insert(a.into(), ResourceRecord { id: "id".into() });
        }
        let mut after = before.clone();
        after.resources.remove("m.deleted");
        after
            .resources
            .insert("m.new".into(), ResourceRecord { id: "id".into() });
        let left = LeftBehind::between(
            &before,
            &after,
            &["m.doomed".to_owned(), "m.deleted".to_owned()],
        );
        assert_eq!(left.made, vec!["m.new".to_owned()]);
        assert_eq!(left.remaining, vec!["m.doomed".to_owned()]);
        let text = left.to_string();
        assert!(
            text.contains("made before the failure and kept (1): m.new"),
            "{text}"
        );
        assert!(text.contains("still to delete (1): m.doomed"), "{text}");
        assert!(LeftBehind::between(&before, &before, &[]).is_empty());
    }
}
