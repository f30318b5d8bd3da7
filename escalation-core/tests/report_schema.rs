#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `docs/report.schema.json` describes `WeeklyReport::to_json` exactly: the sample reports
//! validate, and any field added, renamed or removed on either side fails.
//!
//! The schema is strict on purpose: every object has `additionalProperties: false` and lists
//! every property as required (serde always writes every field; absent values are `null`).

mod report_fixture;

use std::collections::{BTreeMap, BTreeSet};

use escalation_core::report::{Dimension, REPORT_SCHEMA_VERSION, WeeklyReport};
use jsonschema::Validator;
use serde_json::{Value, json};

use report_fixture::{empty_report, sample_report};

const SCHEMA_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/report.schema.json");

fn schema() -> Value {
    let text = std::fs::read_to_string(SCHEMA_PATH).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn validator() -> Validator {
    // Building also checks the schema against the draft 2020-12 meta-schema.
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema())
        .expect("docs/report.schema.json is a valid draft 2020-12 schema")
}

fn errors(validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn to_value(report: &WeeklyReport) -> Value {
    serde_json::from_str(&report.to_json()).unwrap()
}

#[test]
fn sample_reports_validate() {
    let validator = validator();
    for report in [sample_report(), empty_report()] {
        let instance = to_value(&report);
        let errors = errors(&validator, &instance);
        assert!(
            errors.is_empty(),
            "{report:?}\nfails the schema:\n{}",
            errors.join("\n")
        );
    }
}

/// Applies `change` to the sample's JSON and expects the schema to reject it.
fn rejects(what: &str, change: impl FnOnce(&mut Value)) {
    let mut instance = to_value(&sample_report());
    change(&mut instance);
    assert!(
        !validator().is_valid(&instance),
        "the schema accepts a report with {what}"
    );
}

#[test]
fn schema_rejects_drift() {
    rejects("an unknown top-level field", |v| v["extra"] = json!(1));
    rejects("an unknown field in totals", |v| {
        v["totals"]["extra"] = json!(1)
    });
    rejects("an unknown field deep in the ART groups", |v| {
        v["art"]["groups"][0]["art"]["all"]["business"]["p95"] = json!(1);
    });
    rejects("a missing field", |v| {
        v["totals"].as_object_mut().unwrap().remove("breach_rate");
    });
    rejects("a renamed field", |v| {
        let slow = v["slowest"][0].as_object_mut().unwrap();
        let seconds = slow.remove("business_seconds").unwrap();
        slow.insert("business_secs".into(), seconds);
    });
    rejects("an unknown pattern kind", |v| {
        v["patterns"][0]["kind"]["kind"] = json!("shrinking")
    });
    rejects("a pattern kind with the other kind's field", |v| {
        v["patterns"][0]["kind"] = json!({"kind": "growing", "change": 0.5});
    });
    rejects("an unknown dimension", |v| {
        v["art"]["groups"][0]["dimension"] = json!("region")
    });
    rejects("a null that is not optional", |v| {
        v["totals"]["created"] = Value::Null
    });
    rejects("a ticket id as a string", |v| {
        v["slowest"][0]["id"] = json!("48210")
    });
    rejects("a tenant as an object", |v| {
        v["tenant"] = json!({"id": "acme-eu"})
    });
    rejects("a date that is not RFC 3339", |v| {
        v["from"] = json!("23/11/2026")
    });
    rejects("week 54", |v| v["week"]["week"] = json!(54));
    rejects("another schema version", |v| v["schema_version"] = json!(2));
}

/// Every object schema in `value` (recursively), with its JSON pointer.
fn object_schemas<'a>(value: &'a Value, pointer: String, out: &mut Vec<(String, &'a Value)>) {
    match value {
        Value::Object(map) => {
            if map.contains_key("properties") {
                out.push((pointer.clone(), value));
            }
            for (key, child) in map {
                object_schemas(child, format!("{pointer}/{key}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                object_schemas(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_object_is_closed_and_every_property_required_and_described() {
    let schema = schema();
    let mut objects = Vec::new();
    object_schemas(&schema, String::new(), &mut objects);
    // The 15 structs of the report and the 2 variants of PatternKind.
    assert_eq!(objects.len(), 17, "object schemas in the schema");
    for (pointer, object) in objects {
        assert_eq!(
            object["additionalProperties"],
            json!(false),
            "{pointer} must be closed (additionalProperties: false)"
        );
        let properties: BTreeSet<&str> = object["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let required: BTreeSet<&str> = object["required"]
            .as_array()
            .unwrap_or_else(|| panic!("{pointer} has no required list"))
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(properties, required, "{pointer}: serde writes every field");
        assert!(
            object["description"].is_string(),
            "{pointer} has no description"
        );
        for (name, property) in object["properties"].as_object().unwrap() {
            assert!(
                property["description"]
                    .as_str()
                    .is_some_and(|d| !d.is_empty()),
                "{pointer}/properties/{name} has no description"
            );
        }
    }
}

#[test]
fn enumerations_match_the_rust_types() {
    let schema = schema();
    let dimensions: Vec<&str> = Dimension::ALL.iter().map(|d| d.as_str()).collect();
    assert_eq!(schema["$defs"]["Dimension"]["enum"], json!(dimensions));
    assert_eq!(
        schema["properties"]["schema_version"]["const"],
        json!(REPORT_SCHEMA_VERSION)
    );
    let kinds: Vec<&Value> = schema["$defs"]["PatternKind"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|variant| &variant["properties"]["kind"]["const"])
        .collect();
    assert_eq!(kinds, [&json!("growing"), &json!("jump")]);
}

/// For every key in `value` (recursively): whether it was seen null, and seen with a value.
fn seen(value: &Value, out: &mut BTreeMap<String, (bool, bool)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let entry = out.entry(key.clone()).or_default();
                if child.is_null() {
                    entry.0 = true;
                } else {
                    entry.1 = true;
                }
                seen(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|child| seen(child, out)),
        _ => {}
    }
}

/// Names of the properties whose schema admits `null`.
fn nullable(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                for (name, property) in properties {
                    let by_type = property["type"]
                        .as_array()
                        .is_some_and(|types| types.contains(&json!("null")));
                    let by_any_of = property["anyOf"]
                        .as_array()
                        .is_some_and(|options| options.contains(&json!({"type": "null"})));
                    if by_type || by_any_of {
                        out.insert(name.clone());
                    }
                }
            }
            map.values().for_each(|child| nullable(child, out));
        }
        Value::Array(items) => items.iter().for_each(|child| nullable(child, out)),
        _ => {}
    }
}

#[test]
fn the_sample_exercises_every_optional_field_both_ways() {
    let mut optional = BTreeSet::new();
    nullable(&schema(), &mut optional);
    assert!(optional.len() >= 5, "{optional:?}");
    let mut values = BTreeMap::new();
    seen(&to_value(&sample_report()), &mut values);
    for name in &optional {
        let (null, some) = values.get(name).copied().unwrap_or_default();
        assert!(
            null && some,
            "the sample must have {name} both null and set"
        );
    }
    let kinds = to_value(&sample_report())["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"]["kind"].as_str().unwrap().to_owned())
        .collect::<BTreeSet<_>>();
    assert_eq!(kinds.len(), 2, "the sample has both pattern kinds");
}
