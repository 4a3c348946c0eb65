//! A span-aware walk over a parsed TOML document that records every problem instead of stopping
//! at the first: [`Ctx`] collects located problems, [`Section`] is a table (standard or inline)
//! at a dotted path, [`Field`] one present key with its position and text as written.
//!
//! Knows TOML shapes and positions only; what the keys mean is `build`'s and `roles`' business.

mod field;

pub(crate) use field::Field;

use super::error::ConfigProblem;
use field::Node;
use std::path::Path;
use toml_edit::{Table, TableLike};

/// Longest value text quoted in a problem; longer ones are cut with `…`.
const MAX_VALUE_CHARS: usize = 60;

/// Keys whose values are secrets: problems never quote them.
const SECRET_KEYS: [&str; 1] = ["azure.static_token"];

/// What problems show instead of a secret value.
const REDACTED: &str = "\"<redacted>\"";

/// True for a secret key, or an unknown key that looks like one (a typo of `static_token` must
/// not print the token either).
fn is_secret(key: &str) -> bool {
    let leaf = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    SECRET_KEYS.contains(&key)
        || ["token", "secret", "password"]
            .iter()
            .any(|word| leaf.contains(word))
}

/// The problem sink and the source text positions are computed against.
pub(crate) struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
    problems: Vec<ConfigProblem>,
}

impl<'a> Ctx<'a> {
    /// A sink for problems in `text`, read from `file`.
    pub fn new(text: &'a str, file: &'a Path) -> Self {
        Ctx {
            text,
            file,
            problems: Vec::new(),
        }
    }

    /// Records a problem at a byte offset of the source.
    pub fn report(
        &mut self,
        at: usize,
        key: &str,
        value: Option<&str>,
        message: impl Into<String>,
    ) {
        let (line, column) = line_column(self.text, at);
        let value = if is_secret(key) {
            value.map(|_| REDACTED.to_string())
        } else {
            value.map(str::to_string)
        };
        self.problems.push(ConfigProblem {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.to_string(),
            value,
            message: message.into(),
        });
    }

    /// Every problem so far, sorted by position (stable, so same-spot problems keep their order).
    pub fn finish(mut self) -> Vec<ConfigProblem> {
        self.problems.sort_by_key(|p| (p.line, p.column));
        self.problems
    }

    /// True once anything was reported.
    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    /// The source text of a span, whitespace collapsed and shortened for one-line messages.
    fn quote(&self, span: Option<std::ops::Range<usize>>) -> Option<String> {
        let raw = self.text.get(span?)?;
        let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.chars().count() > MAX_VALUE_CHARS {
            let cut: String = collapsed.chars().take(MAX_VALUE_CHARS).collect();
            Some(format!("{cut}…"))
        } else {
            Some(collapsed)
        }
    }
}

/// 1-based line and character column of a byte offset.
pub(crate) fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// A table being read: its dotted path and the best position to blame for a missing key.
pub(crate) struct Section<'a> {
    /// Dotted path (`roles[0].endpoint`); empty for the document root.
    pub path: String,
    /// Byte offset of the table's header (or of its key), where missing keys are reported.
    pub at: usize,
    /// The table itself, standard or inline.
    table: &'a dyn TableLike,
}

impl<'a> Section<'a> {
    /// The document's top level.
    pub fn root(table: &'a Table) -> Self {
        Section {
            path: String::new(),
            at: 0,
            table,
        }
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The key, if present.
    pub fn get(&self, ctx: &Ctx, key: &str) -> Option<Field<'a>> {
        let (k, item) = self.table.get_key_value(key)?;
        let node = Node::of(item)?;
        let at = item
            .span()
            .or_else(|| k.span())
            .map_or(self.at, |s| s.start);
        Some(Field {
            path: self.child_path(key),
            at,
            raw: ctx.quote(node.value_span()),
            node,
        })
    }

    /// Every present key with its field, in file order.
    pub fn fields(&self, ctx: &Ctx) -> Vec<(String, Field<'a>)> {
        let table: &'a dyn TableLike = self.table;
        table
            .iter()
            .filter_map(|(key, _)| Some((key.to_string(), self.get(ctx, key)?)))
            .collect()
    }

    /// The key; reports it missing (at this table) when absent.
    pub fn require(&self, ctx: &mut Ctx, key: &str) -> Option<Field<'a>> {
        let field = self.get(ctx, key);
        if field.is_none() {
            self.missing(ctx, key, "missing required key");
        }
        field
    }

    /// Reports a key of this table as missing, with a custom message.
    pub fn missing(&self, ctx: &mut Ctx, key: &str, message: &str) {
        ctx.report(self.at, &self.child_path(key), None, message);
    }

    /// Reports every key not in `allowed`, suggesting the closest allowed one.
    pub fn deny_unknown(&self, ctx: &mut Ctx, allowed: &[&str]) {
        for (key, item) in self.table.iter() {
            if allowed.contains(&key) {
                continue;
            }
            let at = self
                .table
                .key(key)
                .and_then(|k| k.span())
                .or_else(|| item.span())
                .map_or(self.at, |s| s.start);
            let mut raw = Node::of(item).and_then(|n| ctx.quote(n.value_span()));
            let best = closest(key, allowed);
            if best.is_some_and(|b| is_secret(&self.child_path(b))) {
                raw = raw.map(|_| REDACTED.to_string());
            }
            let message = match best {
                Some(best) => format!("unknown key; did you mean `{best}`?"),
                None => format!("unknown key; expected one of: {}", allowed.join(", ")),
            };
            ctx.report(at, &self.child_path(key), raw.as_deref(), message);
        }
    }
}

/// The closest allowed word when the difference looks like a typo (case, `-` for `_`, a couple
/// of letters), a shortening (`rto` → `rto_target`) or a variant sharing most of its prefix
/// (`isolation` → `isolate`).
pub(crate) fn closest<'w>(word: &str, allowed: &[&'w str]) -> Option<&'w str> {
    let normal = word.to_ascii_lowercase().replace('-', "_");
    allowed
        .iter()
        .map(|a| {
            let b = a.replace('-', "_");
            let edits = strsim::levenshtein(&normal, &b);
            // Two edits turn most short words into each other; only one counts as a typo there.
            let typo = edits <= if b.len() <= 4 { 1 } else { 2 }
                || (normal.len() >= 3 && b.starts_with(&normal));
            (edits, strsim::jaro_winkler(&normal, &b), *a, typo)
        })
        .filter(|(_, jw, _, typo)| *typo || *jw >= 0.9)
        .min_by(|x, y| x.0.cmp(&y.0).then(y.1.total_cmp(&x.1)))
        .map(|(_, _, a, _)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters_from_one() {
        let text = "ab\nçd = 1\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        assert_eq!(line_column(text, 5), (2, 2));
        assert_eq!(line_column(text, 4), (2, 1));
        assert_eq!(line_column(text, 999), (3, 1));
    }

    #[test]
    fn secrets_and_lookalikes_are_never_quoted() {
        let text = "x = 1\n";
        let mut ctx = Ctx::new(text, Path::new("c.toml"));
        ctx.report(4, "azure.static_token", Some("\"t0k\""), "m");
        ctx.report(4, "azure.my_token", Some("\"t0k\""), "m");
        ctx.report(4, "azure.client_secret", Some("\"t0k\""), "m");
        ctx.report(4, "azure.endpoint", Some("\"u\""), "m");
        let values: Vec<_> = ctx.finish().into_iter().map(|p| p.value).collect();
        let redacted = Some("\"<redacted>\"".to_string());
        assert_eq!(
            values,
            [
                redacted.clone(),
                redacted.clone(),
                redacted,
                Some("\"u\"".into())
            ]
        );
    }

    #[test]
    fn closest_catches_typos_only() {
        let allowed = ["interval", "timeout", "fail_after", "recover_after"];
        assert_eq!(closest("intervall", &allowed), Some("interval"));
        assert_eq!(closest("fail-after", &allowed), Some("fail_after"));
        assert_eq!(closest("Timeout", &allowed), Some("timeout"));
        assert_eq!(closest("colour", &allowed), None);
        assert_eq!(closest("isolation", &["isolate", "fence"]), Some("isolate"));
        assert_eq!(
            closest("resource", &["name", "resource_group"]),
            Some("resource_group")
        );
        assert_eq!(closest("size", &["name", "lun"]), None);
        assert_eq!(closest("nmae", &["name", "vms"]), Some("name"));
        assert_eq!(closest("id", &["vm", "service"]), None);
        assert_eq!(
            closest("rto", &["rto_target", "timeouts"]),
            Some("rto_target")
        );
        assert_eq!(closest("vm_probe", &["vm", "service"]), None);
    }
}
