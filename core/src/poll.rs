//! The pauses between the reads (or retried deletes) of something AWS finishes
//! asynchronously — endpoints becoming available or gone, groups whose interfaces detach, a
//! guardrail version becoming READY — with a timeout and a `Waiting` event before each pause.

use crate::progress::{Progress, ProgressEvent};
use std::time::{Duration, Instant};

const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(15);

/// Pauses until `timeout`: doubling from 0.5 s up to 15 s, or all alike ([`Poll::every`]).
pub struct Poll {
    start: Instant,
    delay: Duration,
    /// Doubles after each pause (up to 15 s).
    grows: bool,
    timeout: Duration,
    /// Shorten the last pause to end at the timeout (the endpoint waits do; the group deletes
    /// have always slept the whole pause).
    cap_at_timeout: bool,
}

impl Poll {
    /// Doubling pauses that never run past `timeout`.
    pub fn until(timeout: Duration) -> Self {
        Self {
            start: Instant::now(),
            delay: FIRST_POLL,
            grows: true,
            timeout,
            cap_at_timeout: true,
        }
    }

    /// Pauses of `pause` each that never run past `timeout`.
    pub fn every(pause: Duration, timeout: Duration) -> Self {
        Self {
            delay: pause,
            grows: false,
            ..Self::until(timeout)
        }
    }

    /// Whole doubling pauses; the last may end after `timeout`.
    pub fn whole_pauses(timeout: Duration) -> Self {
        Self {
            cap_at_timeout: false,
            ..Self::until(timeout)
        }
    }

    /// `Err(elapsed)` once the timeout has passed; otherwise reports `Waiting` with `status`
    /// and sleeps the next pause.
    pub async fn wait(
        &mut self,
        progress: &dyn Progress,
        address: &str,
        status: &str,
    ) -> Result<(), Duration> {
        let elapsed = self.start.elapsed();
        if elapsed >= self.timeout {
            return Err(elapsed);
        }
        progress.event(ProgressEvent::Waiting {
            address: address.to_owned(),
            status: status.to_owned(),
            elapsed,
        });
        let pause = if self.cap_at_timeout {
            self.delay.min(self.timeout.saturating_sub(elapsed))
        } else {
            self.delay
        };
        tokio::time::sleep(pause).await;
        if self.grows {
            self.delay = (self.delay * 2).min(MAX_POLL);
        }
        Ok(())
    }
}
