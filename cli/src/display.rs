//! What the user sees while apply and destroy run: a live display (one spinner per resource)
//! on a terminal, plain timestamped lines otherwise. Everything goes to stderr, so stdout stays
//! clean for `--json`.

use baseline_core::{Action, Progress, ProgressEvent};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

fn doing(action: Action) -> &'static str {
    match action {
        Action::Create => "creating",
        Action::Update => "updating",
        Action::Replace => "replacing",
        Action::Delete => "destroying",
        Action::NoOp => "checking",
    }
}

fn done(action: Action) -> &'static str {
    match action {
        Action::Create => "created",
        Action::Update => "updated",
        Action::Replace => "replaced",
        Action::Delete => "destroyed",
        Action::NoOp => "checked",
    }
}

/// Progress shown to the user.
pub struct Display {
    live: Option<MultiProgress>,
    state: Mutex<DisplayState>,
}

#[derive(Default)]
struct DisplayState {
    started: HashMap<String, (Instant, Action)>,
    bars: HashMap<String, ProgressBar>,
    last_wait_line: HashMap<String, Instant>,
}

impl Display {
    /// A live display when stderr is a terminal, else plain lines.
    pub fn new(quiet: bool) -> Self {
        let live = (!quiet && std::io::stderr().is_terminal()).then(MultiProgress::new);
        Self {
            live,
            state: Mutex::new(DisplayState::default()),
        }
    }

    fn line(&self, text: String) {
        match &self.live {
            Some(multi) => {
                let _ = multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }
}

impl Progress for Display {
    fn event(&self, event: ProgressEvent) {
        let mut st = self.state.lock().expect("display lock");
        match event {
            ProgressEvent::Started { address, action } => {
                st.started.insert(address.clone(), (Instant::now(), action));
                match &self.live {
                    Some(multi) => {
                        let bar = multi.add(ProgressBar::new_spinner());
                        bar.set_style(
                            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                                .expect("valid template"),
                        );
                        bar.set_message(format!("{address}: {}", doing(action)));
                        bar.enable_steady_tick(Duration::from_millis(120));
                        st.bars.insert(address, bar);
                    }
                    None => eprintln!("{address}: {}...", doing(action)),
                }
            }
            ProgressEvent::Waiting {
                address,
                status,
                elapsed,
            } => {
                if let Some(bar) = st.bars.get(&address) {
                    bar.set_message(format!("{address}: waiting, {status}"));
                } else {
                    // Plain output: one line every 10 seconds per resource is enough.
                    let due = st
                        .last_wait_line
                        .get(&address)
                        .is_none_or(|t| t.elapsed() >= Duration::from_secs(10));
                    if due {
                        st.last_wait_line.insert(address.clone(), Instant::now());
                        eprintln!("{address}: still {status} ({}s elapsed)", elapsed.as_secs());
                    }
                }
            }
            ProgressEvent::Finished { address, action } => {
                let secs = st
                    .started
                    .remove(&address)
                    .map(|(t, _)| t.elapsed().as_secs_f32())
                    .unwrap_or(0.0);
                let text = format!("{address}: {} after {secs:.1}s", done(action));
                if let Some(bar) = st.bars.remove(&address) {
                    bar.finish_and_clear();
                }
                drop(st);
                self.line(text);
            }
            ProgressEvent::Gone { address } => {
                let secs = st
                    .started
                    .remove(&address)
                    .map(|(t, _)| t.elapsed().as_secs_f32())
                    .unwrap_or(0.0);
                if let Some(bar) = st.bars.remove(&address) {
                    bar.finish_and_clear();
                }
                drop(st);
                self.line(format!("{address}: destroyed after {secs:.1}s"));
            }
            ProgressEvent::Exists { .. } => {}
            ProgressEvent::Warning { message } => {
                drop(st);
                self.line(format!("warning: {message}"));
            }
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Ok(st) = self.state.lock() {
            for bar in st.bars.values() {
                bar.finish_and_clear();
            }
        }
    }
}
