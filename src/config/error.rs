//! The errors of the config module: one located [`ConfigProblem`] per thing wrong in a file,
//! [`ConfigErrors`] for a whole load, [`ConfigError`] when there is no file to read at all.
//!
//! Only describes problems; finding them is `reader`/`build`/`roles`' job.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong in a config file, located at the offending value (or at the table that lacks
/// a required key). Renders as `file:line:column: key = value: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// The file the problem is in, as it was given to the loader.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Dotted path of the key (`roles[1].vms[0]`, `heartbeat.interval`); empty for syntax errors.
    pub key: String,
    /// The value as written in the file (whitespace collapsed, secrets redacted), if there is one.
    pub value: Option<String>,
    /// What is wrong, in a sentence fragment.
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            f.write_str(&self.key)?;
            if let Some(value) = &self.value {
                write!(f, " = {value}")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a config could not be loaded: no readable file, or a file with problems.
#[derive(Debug, thiserror::Error)]
pub enum ConfigErrors {
    /// There was no file to validate (not found, unreadable).
    #[error(transparent)]
    Unusable(#[from] ConfigError),
    /// The file was read; these are every problem found in it, ordered by position.
    #[error("{}", render_problems(.0))]
    Invalid(Vec<ConfigProblem>),
}

impl ConfigErrors {
    /// The located problems (empty for [`ConfigErrors::Unusable`]).
    pub fn problems(&self) -> &[ConfigProblem] {
        match self {
            ConfigErrors::Unusable(_) => &[],
            ConfigErrors::Invalid(problems) => problems,
        }
    }
}

fn render_problems(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// No config file could be used at all.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Discovery found no file; lists every place it looked, in order.
    #[error("no baton config file found; looked at:\n{}", render_looked(.looked))]
    NotFound {
        /// Each place consulted, with what was found there.
        looked: Vec<Looked>,
    },
    /// The file exists (or was named) but could not be read.
    #[error("{}: cannot read config: {source}", .path.display())]
    Read {
        /// The path that failed.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn render_looked(looked: &[Looked]) -> String {
    looked
        .iter()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One place discovery consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Looked {
    /// Where the candidate came from (`--config`, `$BATON_CONFIG`, …).
    pub origin: &'static str,
    /// The candidate path, when the origin yielded one.
    pub path: Option<PathBuf>,
    /// What was found (`not given`, `not set`, `not found`, `not a file`).
    pub outcome: &'static str,
}

impl fmt::Display for Looked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(path) => write!(f, "{} = {}: {}", self.origin, path.display(), self.outcome),
            None => write!(f, "{}: {}", self.origin, self.outcome),
        }
    }
}
