//! Loading a policy document so that every problem is reported at once.
//!
//! Both TOML and JSON are read into a `toml::Value` (which, unlike a JSON value, keeps NaN
//! and infinities, so they reach the range checks). The typed policy is deserialized through
//! `serde_ignored` (which reports unknown keys with their path) inside `serde_path_to_error`
//! (which gives a type error its path). On a type error the offending entry is removed, so
//! its default applies, and deserialization runs again: one bad value never hides the next.
//! Range and consistency checks then run on the typed policy.

use std::collections::BTreeSet;

use toml::Value;

use super::Policy;
use crate::error::{Error, PolicyProblem, Result};

fn problem(path: impl Into<String>, message: impl Into<String>) -> PolicyProblem {
    PolicyProblem {
        path: path.into(),
        message: message.into(),
    }
}

fn invalid(problems: Vec<PolicyProblem>) -> Error {
    Error::PolicyInvalid { problems }
}

pub(super) fn from_toml_str(text: &str) -> Result<Policy> {
    let table: toml::Table = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!(" at line {line}, column {column}")
        });
        invalid(vec![problem(
            "(document)",
            format!("invalid TOML{}: {}", at.unwrap_or_default(), e.message()),
        )])
    })?;
    load(Value::Table(table), Vec::new())
}

pub(super) fn from_json_str(text: &str) -> Result<Policy> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| invalid(vec![problem("(document)", format!("invalid JSON: {e}"))]))?;
    from_json_value(value)
}

pub(super) fn from_json_value(value: serde_json::Value) -> Result<Policy> {
    if !value.is_object() {
        return Err(invalid(vec![problem(
            "(document)",
            format!("must be a table/object, got {}", describe_json(&value)),
        )]));
    }
    let value = json_to_toml(value).unwrap_or(Value::Table(toml::Table::new()));
    load(value, Vec::new())
}

fn describe_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "null".to_owned(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) => format!("{s:?}"),
        serde_json::Value::Array(_) => "an array".to_owned(),
        serde_json::Value::Object(_) => "an object".to_owned(),
    }
}

/// Converts JSON to the TOML data model. TOML has no null: a `null` means "not set", as an
/// absent key does (so `None` from Python or `null` from JavaScript takes the default).
fn json_to_toml(v: serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => return None,
        J::Bool(b) => Value::Boolean(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => Value::String(s),
        J::Array(items) => Value::Array(items.into_iter().filter_map(json_to_toml).collect()),
        J::Object(map) => Value::Table(
            map.into_iter()
                .filter_map(|(k, item)| json_to_toml(item).map(|v| (k, v)))
                .collect(),
        ),
    })
}

fn load(mut value: Value, mut problems: Vec<PolicyProblem>) -> Result<Policy> {
    let mut seen = BTreeSet::new();
    let policy = loop {
        let mut unknown = Vec::new();
        let mut record = |path: serde_ignored::Path<'_>| unknown.push(ignored_path(&path));
        let de = serde_ignored::Deserializer::new(value.clone(), &mut record);
        let result = serde_path_to_error::deserialize::<_, Policy>(de);
        match result {
            Ok(policy) => {
                if !unknown.is_empty() {
                    // JSON keeps unset options as null, so every field name is listed.
                    let known = serde_json::to_value(&policy).unwrap_or_default();
                    for path in unknown {
                        problems.push(problem(path.clone(), unknown_key_message(&known, &path)));
                    }
                }
                break Some(policy);
            }
            Err(err) => {
                let path = err.path().to_string();
                let message = err.inner().message().trim().to_owned();
                let fresh = seen.insert(path.clone());
                problems.push(problem(path, message));
                if !fresh || !remove_path(&mut value, err.path()) {
                    break None;
                }
            }
        }
    };
    if let Some(policy) = &policy {
        // A table written as an array would deserialize by position; refuse that shape.
        match Value::try_from(policy) {
            Ok(known) => tables_given_as_arrays(&value, &known, "", &mut problems),
            Err(e) => problems.push(problem("(document)", format!("cannot re-encode: {e}"))),
        }
        policy.check(&mut problems);
    }
    match policy {
        Some(policy) if problems.is_empty() => Ok(policy),
        _ => {
            problems.sort_by(|a, b| a.path.cmp(&b.path));
            problems.dedup();
            Err(invalid(problems))
        }
    }
}

/// "unknown key, expected one of ..." listing the fields of the table that holds `path`.
fn unknown_key_message(known: &serde_json::Value, path: &str) -> String {
    let parent = match path.rfind('.') {
        Some(i) => &path[..i],
        None => "",
    };
    let mut table = Some(known);
    for part in parent.split('.').filter(|p| !p.is_empty()) {
        // `targets[0]` is key `targets`, element 0.
        let (key, index) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        table = table.and_then(|t| t.get(key));
        if let Some(i) = index {
            table = table.and_then(|t| t.get(i));
        }
    }
    match table.and_then(|t| t.as_object()) {
        Some(map) => {
            let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
            keys.sort_unstable();
            format!("unknown key, expected one of {}", keys.join(", "))
        }
        None => "unknown key".to_owned(),
    }
}

/// Formats a `serde_ignored` path as the dotted form used everywhere else
/// (`sla.targets[0].prio`).
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path as P;
    match path {
        P::Root => String::new(),
        P::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        P::Map { parent, key } => {
            let parent = ignored_path(parent);
            if parent.is_empty() {
                key.clone()
            } else {
                format!("{parent}.{key}")
            }
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            ignored_path(parent)
        }
    }
}

fn remove_path(value: &mut Value, path: &serde_path_to_error::Path) -> bool {
    use serde_path_to_error::Segment;
    let segments: Vec<&Segment> = path.iter().collect();
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut cur = value;
    for seg in parents {
        let next = match (seg, cur) {
            (Segment::Map { key }, Value::Table(map)) => map.get_mut(key.as_str()),
            (Segment::Seq { index }, Value::Array(items)) => items.get_mut(*index),
            _ => None,
        };
        match next {
            Some(v) => cur = v,
            None => return false,
        }
    }
    match (last, cur) {
        (Segment::Map { key }, Value::Table(map)) => map.remove(key.as_str()).is_some(),
        (Segment::Seq { index }, Value::Array(items)) if *index < items.len() => {
            items.remove(*index);
            true
        }
        _ => false,
    }
}

fn tables_given_as_arrays(
    input: &Value,
    known: &Value,
    prefix: &str,
    problems: &mut Vec<PolicyProblem>,
) {
    let (Value::Table(input), Value::Table(known)) = (input, known) else {
        return;
    };
    for (key, v) in input {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (v, known.get(key)) {
            (Value::Array(_), Some(Value::Table(_))) => {
                problems.push(problem(path, "invalid type: array, expected a table"));
            }
            (Value::Table(_), Some(k @ Value::Table(_))) => {
                tables_given_as_arrays(v, k, &path, problems);
            }
            _ => {}
        }
    }
}
