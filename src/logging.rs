//! Logs go to a daily file in the state directory, never to the terminal (the cockpit owns
//! it). `BATON_LOG` sets the filter (default `info`).
//!
//! Secrets stay out: azure_core's transport and header policies are always filtered out (at
//! debug level they print whole requests, and azure_core 0.21's header redaction hides every
//! header except `Authorization`), and every line passes [`redact`] on its way to the file in
//! case another crate prints a bearer token. The directory is created `0700` and the files
//! `0600` (see `file.rs`).

mod file;
mod redact;

use std::path::PathBuf;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::filter::Directive;
use tracing_subscriber::EnvFilter;

/// Targets whose events may hold a request with its `Authorization` header: off whatever
/// `BATON_LOG` says.
const SECRET_TARGETS: [&str; 2] = [
    "azure_core::policies::transport",
    "azure_core::policies::custom_headers_policy",
];

/// `$XDG_STATE_HOME/baton`, else `~/.local/state/baton`.
pub fn state_dir() -> Option<PathBuf> {
    let from_xdg = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let base = from_xdg.or_else(|| {
        std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local").join("state"))
    })?;
    Some(base.join("baton"))
}

/// Starts file logging; the guard flushes on drop. `None` when no log directory is usable.
pub fn init() -> Option<WorkerGuard> {
    let dir = state_dir()?.join("logs");
    let daily = file::DailyFile::open(dir, "baton.log").ok()?;
    let (writer, guard) = tracing_appender::non_blocking(redact::Redacting::new(daily));
    tracing_subscriber::fmt()
        .with_env_filter(filter(std::env::var("BATON_LOG").ok().as_deref()))
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(guard)
}

/// The filter for a `BATON_LOG` value (default `info`, also when it does not parse), with the
/// secret-bearing targets turned off last so no directive of the operator can turn them on.
fn filter(spec: Option<&str>) -> EnvFilter {
    let mut filter = spec
        .and_then(|s| EnvFilter::try_new(s).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    for target in SECRET_TARGETS {
        if let Ok(off) = format!("{target}=off").parse::<Directive>() {
            filter = filter.add_directive(off);
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::filter;
    use tracing_subscriber::fmt::MakeWriter;

    /// Collects what a subscriber writes.
    #[derive(Clone, Default)]
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Sink {
        type Writer = Sink;
        fn make_writer(&'a self) -> Sink {
            self.clone()
        }
    }

    fn logged_at(spec: &str) -> String {
        let sink = Sink::default();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(Some(spec)))
            .with_writer(sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(target: "azure_core::policies::transport", "request with Bearer t0k");
            tracing::trace!(target: "azure_core::policies::custom_headers_policy", "header");
            tracing::debug!(target: "azure_core::http_client", "kept");
            tracing::debug!(target: "baton::engine", "mine");
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn transport_logging_is_off_at_every_level_the_operator_may_ask() {
        for spec in [
            "trace",
            "debug",
            "azure_core=trace",
            "azure_core::policies::transport=trace",
        ] {
            let text = logged_at(spec);
            assert!(!text.contains("Bearer"), "{spec}: {text}");
            assert!(!text.contains("header"), "{spec}: {text}");
        }
        let all = logged_at("trace");
        assert!(all.contains("kept") && all.contains("mine"), "{all}");
    }

    #[test]
    fn an_unparsable_filter_falls_back_to_info() {
        assert!(!logged_at("=== nonsense").contains("mine"));
    }
}
