//! The values under keys: [`Field`] is one present key or array element with its position and
//! text as written, and converts itself to the typed value a builder asks for, reporting a
//! located problem when it cannot.

use super::{Ctx, Section};
use crate::config::bounds::DurationBound;
use crate::config::duration::parse_duration;
use std::time::Duration;
use toml_edit::{ArrayOfTables, Item, Table, TableLike, Value};

/// What sits under a key.
#[derive(Clone, Copy)]
pub(super) enum Node<'a> {
    Value(&'a Value),
    Table(&'a Table),
    Tables(&'a ArrayOfTables),
}

impl<'a> Node<'a> {
    pub(super) fn of(item: &'a Item) -> Option<Node<'a>> {
        match item {
            Item::None => None,
            Item::Value(v) => Some(Node::Value(v)),
            Item::Table(t) => Some(Node::Table(t)),
            Item::ArrayOfTables(a) => Some(Node::Tables(a)),
        }
    }

    /// Tables are not quoted in messages, values are.
    pub(super) fn value_span(self) -> Option<std::ops::Range<usize>> {
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
    /// Dotted path (`roles[1].vms[0]`).
    pub path: String,
    /// Byte offset of the value (or of the key, for implicit tables).
    pub at: usize,
    /// The value as written, for messages; `None` for tables.
    pub raw: Option<String>,
    /// What the key holds.
    pub(super) node: Node<'a>,
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

    /// The boolean value.
    pub fn bool(&self, ctx: &mut Ctx) -> Option<bool> {
        match self.node {
            Node::Value(Value::Boolean(b)) => Some(*b.value()),
            _ => {
                self.wrong_type(ctx, "a boolean");
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
            self.report(ctx, format!("must be between {min} and {max}"));
            return None;
        }
        Some(i)
    }

    /// A duration string within `bound` (the message names the range).
    pub fn duration_in(&self, ctx: &mut Ctx, bound: &DurationBound) -> Option<Duration> {
        let text = self.str(ctx)?;
        match parse_duration(text).and_then(|d| bound.check(d)) {
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
