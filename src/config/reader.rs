//! A span-aware walk over a parsed TOML document that records every problem instead of stopping
//! at the first: [`Ctx`] collects located problems, [`Section`] is a table (standard or inline)
//! at a dotted path, [`Field`] one present key with its position and text as written.
//!
//! Knows TOML shapes and positions only; what the keys mean is `build`'s and `roles`' business.

use super::duration::parse_duration;
use super::error::ConfigProblem;
use std::path::Path;
use std::time::Duration;
use toml_edit::{ArrayOfTables, Item, Table, TableLike, Value};

/// Longest value text quoted in a problem; longer ones are cut with `…`.
const MAX_VALUE_CHARS: usize = 60;

/// Keys whose values are secrets: problems never quote them.
const SECRET_KEYS: [&str; 1] = ["azure.static_token"];

/// The problem sink and the source text positions are computed against.
pub(crate) struct Ctx<'a> {
    text: &'a str,
    file: &'a Path,
    problems: Vec<ConfigProblem>,
}

impl<'a> Ctx<'a> {
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
        let value = if SECRET_KEYS.contains(&key) {
            value.map(|_| "\"<redacted>\"".to_string())
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
    pub path: String,
    pub at: usize,
    table: &'a dyn TableLike,
}

impl<'a> Section<'a> {
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
            let raw = Node::of(item).and_then(|n| ctx.quote(n.value_span()));
            let message = match closest(key, allowed) {
                Some(best) => format!("unknown key; did you mean `{best}`?"),
                None => format!("unknown key; expected one of: {}", allowed.join(", ")),
            };
            ctx.report(at, &self.child_path(key), raw.as_deref(), message);
        }
    }
}

/// The closest allowed word when the difference looks like a typo (case, `-` for `_`, a few
/// letters).
pub(crate) fn closest<'w>(word: &str, allowed: &[&'w str]) -> Option<&'w str> {
    let normal = word.to_ascii_lowercase().replace('-', "_");
    allowed
        .iter()
        .map(|a| (strsim::levenshtein(&normal, &a.replace('-', "_")), *a))
        .filter(|(d, a)| *d <= if a.len() >= 10 { 3 } else { 2 })
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// What sits under a key.
#[derive(Clone, Copy)]
enum Node<'a> {
    Value(&'a Value),
    Table(&'a Table),
    Tables(&'a ArrayOfTables),
}

impl<'a> Node<'a> {
    fn of(item: &'a Item) -> Option<Node<'a>> {
        match item {
            Item::None => None,
            Item::Value(v) => Some(Node::Value(v)),
            Item::Table(t) => Some(Node::Table(t)),
            Item::ArrayOfTables(a) => Some(Node::Tables(a)),
        }
    }

    /// Tables are not quoted in messages, values are.
    fn value_span(self) -> Option<std::ops::Range<usize>> {
        match self {
            Node::Value(v) => v.span(),
            Node::Table(_) | Node::Tables(_) => None,
        }
    }

    fn type_name(self) -> &'static str {
        match self {
            Node::Value(Value::String(_)) => "a string",
            Node::Value(Value::Integer(_)) => "an integer",
            Node::Value(Value::Float(_)) => "a float",
            Node::Value(Value::Boolean(_)) => "a boolean",
            Node::Value(Value::Datetime(_)) => "a datetime",
            Node::Value(Value::Array(_)) => "an array",
            Node::Value(Value::InlineTable(_)) => "an inline table",
            Node::Table(_) => "a table",
            Node::Tables(_) => "an array of tables",
        }
    }
}

/// One present key (or array element): where it is and how it was written.
pub(crate) struct Field<'a> {
    pub path: String,
    pub at: usize,
    pub raw: Option<String>,
    node: Node<'a>,
}

impl<'a> Field<'a> {
    /// Reports a problem about this field's value.
    pub fn report(&self, ctx: &mut Ctx, message: impl Into<String>) {
        ctx.report(self.at, &self.path, self.raw.as_deref(), message);
    }

    fn wrong_type(&self, ctx: &mut Ctx, expected: &str) {
        let message = format!("expected {expected}, found {}", self.node.type_name());
        self.report(ctx, message);
    }

    /// The string value.
    pub fn str(&self, ctx: &mut Ctx) -> Option<&'a str> {
        match self.node {
            Node::Value(Value::String(s)) => Some(s.value().as_str()),
            _ => {
                self.wrong_type(ctx, "a string");
                None
            }
        }
    }

    /// A string that must contain more than whitespace.
    pub fn non_empty_str(&self, ctx: &mut Ctx) -> Option<&'a str> {
        let s = self.str(ctx)?;
        if s.trim().is_empty() {
            self.report(ctx, "must not be empty");
            return None;
        }
        Some(s)
    }

    /// The integer value, within `min..=max`.
    pub fn int_in(&self, ctx: &mut Ctx, min: i64, max: i64) -> Option<i64> {
        let Node::Value(Value::Integer(i)) = self.node else {
            self.wrong_type(ctx, "an integer");
            return None;
        };
        let i = *i.value();
        if i < min || i > max {
            let message = if i < min && min == 1 {
                "must be at least 1".to_string()
            } else {
                format!("must be between {min} and {max}")
            };
            self.report(ctx, message);
            return None;
        }
        Some(i)
    }

    /// A positive duration string.
    pub fn duration(&self, ctx: &mut Ctx) -> Option<Duration> {
        let text = self.str(ctx)?;
        match parse_duration(text) {
            Ok(d) if d.is_zero() => {
                self.report(ctx, "must be longer than zero");
                None
            }
            Ok(d) => Some(d),
            Err(reason) => {
                self.report(ctx, reason);
                None
            }
        }
    }

    /// The value as a table (standard `[x]` or inline `{ }`).
    pub fn section(&self, ctx: &mut Ctx) -> Option<Section<'a>> {
        let section = self.peek_section();
        if section.is_none() {
            self.wrong_type(ctx, "a table");
        }
        section
    }

    /// Like [`Field::section`] but silent, for looking at a value another check reports on.
    pub fn peek_section(&self) -> Option<Section<'a>> {
        let table: &'a dyn TableLike = match self.node {
            Node::Table(t) => t,
            Node::Value(Value::InlineTable(t)) => t,
            _ => return None,
        };
        Some(Section {
            path: self.path.clone(),
            at: self.at,
            table,
        })
    }

    /// The string value, silently.
    pub fn peek_str(&self) -> Option<&'a str> {
        match self.node {
            Node::Value(Value::String(s)) => Some(s.value().as_str()),
            _ => None,
        }
    }

    /// The value as an array of tables (`[[x]]` or `x = [{ }, { }]`), elements at `path[i]`.
    pub fn sections(&self, ctx: &mut Ctx) -> Option<Vec<Section<'a>>> {
        match self.node {
            Node::Tables(a) => Some(
                a.iter()
                    .enumerate()
                    .map(|(i, t)| Section {
                        path: format!("{}[{i}]", self.path),
                        at: t.span().map_or(self.at, |s| s.start),
                        table: t,
                    })
                    .collect(),
            ),
            Node::Value(Value::Array(_)) => {
                let elements = self.elements(ctx)?;
                let sections: Vec<_> = elements.iter().filter_map(|e| e.section(ctx)).collect();
                (sections.len() == elements.len()).then_some(sections)
            }
            _ => {
                self.wrong_type(ctx, "an array of tables");
                None
            }
        }
    }

    /// The value as an array, elements at `path[i]`.
    pub fn elements(&self, ctx: &mut Ctx) -> Option<Vec<Field<'a>>> {
        let Node::Value(Value::Array(array)) = self.node else {
            self.wrong_type(ctx, "an array");
            return None;
        };
        let fields = array
            .iter()
            .enumerate()
            .map(|(i, v)| Field {
                path: format!("{}[{i}]", self.path),
                at: v.span().map_or(self.at, |s| s.start),
                raw: ctx.quote(v.span()),
                node: Node::Value(v),
            })
            .collect();
        Some(fields)
    }
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
    fn closest_catches_typos_only() {
        let allowed = ["interval", "timeout", "fail_after", "recover_after"];
        assert_eq!(closest("intervall", &allowed), Some("interval"));
        assert_eq!(closest("fail-after", &allowed), Some("fail_after"));
        assert_eq!(closest("Timeout", &allowed), Some("timeout"));
        assert_eq!(closest("colour", &allowed), None);
    }
}
