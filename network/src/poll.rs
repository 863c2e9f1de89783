//! The back-off between the reads (or retried deletes) of something AWS finishes
//! asynchronously: endpoints becoming available or gone, groups whose interfaces detach.

use baseline_core::{Progress, ProgressEvent};
use std::time::{Duration, Instant};

const FIRST_POLL: Duration = Duration::from_millis(500);
const MAX_POLL: Duration = Duration::from_secs(15);

/// Doubling pauses from 0.5 s up to 15 s, until `timeout`.
pub(crate) struct Poll {
    start: Instant,
    delay: Duration,
    timeout: Duration,
    /// Shorten the last pause to end at the timeout (the endpoint waits do; the group deletes
    /// have always slept the whole pause).
    cap_at_timeout: bool,
}

impl Poll {
    /// Pauses that never run past `timeout`.
    pub(crate) fn until(timeout: Duration) -> Self {
        Self {
            start: Instant::now(),
            delay: FIRST_POLL,
            timeout,
            cap_at_timeout: true,
        }
    }

    /// Whole pauses; the last may end after `timeout`.
    pub(crate) fn whole_pauses(timeout: Duration) -> Self {
        Self {
            cap_at_timeout: false,
            ..Self::until(timeout)
        }
    }

    /// `Err(elapsed)` once the timeout has passed; otherwise reports `Waiting` with `status`
    /// and sleeps the next pause.
    pub(crate) async fn wait(
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
        self.delay = (self.delay * 2).min(MAX_POLL);
        Ok(())
    }
}
