#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Policy loading and validation: every problem reported at once, each with its dotted path
//! and a message naming the offending value.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use escalation_core::model::{CustomerTier, SupportTier};
use escalation_core::{Error, ErrorKind, Policy, PolicyProblem};

#[derive(Debug, Clone, Copy)]
enum Format {
    Toml,
    Json,
}

struct Case {
    name: &'static str,
    format: Format,
    doc: &'static str,
    expected: &'static [(&'static str, &'static str)],
}

const fn toml(
    name: &'static str,
    doc: &'static str,
    expected: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        format: Format::Toml,
        doc,
        expected,
    }
}

const fn json(
    name: &'static str,
    doc: &'static str,
    expected: &'static [(&'static str, &'static str)],
) -> Case {
    Case {
        name,
        format: Format::Json,
        doc,
        expected,
    }
}

/// Stands for the message on an unknown top-level key, which lists every top-level key of the
/// policy: the document grows sections (calendars, SLA, ...), so the list is taken from the
/// policy's own serialized form, and [`top_level_keys_are_listed`] pins the stable part.
const TOP_KEYS: &str = "<unknown top-level key>";

fn top_keys_message() -> String {
    let serde_json::Value::Object(map) = serde_json::to_value(Policy::default()).unwrap() else {
        panic!("a policy serializes to an object");
    };
    let mut keys: Vec<&str> = map.keys().map(String::as_str).collect();
    keys.sort_unstable();
    format!("unknown key, expected one of {}", keys.join(", "))
}

const CASES: &[Case] = &[
    // --- weights -------------------------------------------------------------------------
    toml(
        "weight tier above 1",
        "[scoring.weights]\ntier = 1.7\n",
        &[("scoring.weights.tier", "must be between 0 and 1, got 1.7")],
    ),
    toml(
        "weight impact negative",
        "[scoring.weights]\nimpact = -0.1\n",
        &[(
            "scoring.weights.impact",
            "must be between 0 and 1, got -0.1",
        )],
    ),
    toml(
        "weight age given as an integer above 1",
        "[scoring.weights]\nage = 2\n",
        &[("scoring.weights.age", "must be between 0 and 1, got 2")],
    ),
    json(
        "weight lifetime_value above 1",
        r#"{"scoring": {"weights": {"lifetime_value": 1.01}}}"#,
        &[(
            "scoring.weights.lifetime_value",
            "must be between 0 and 1, got 1.01",
        )],
    ),
    toml(
        "all weights zero",
        "[scoring.weights]\ntier = 0\nimpact = 0.0\nage = 0\nlifetime_value = 0\n",
        &[("scoring.weights", "must not all be 0")],
    ),
    json(
        "all weights negative",
        r#"{"scoring": {"weights": {"tier": -1, "impact": -0.5, "age": -0.25, "lifetime_value": -2}}}"#,
        &[
            ("scoring.weights.age", "must be between 0 and 1, got -0.25"),
            (
                "scoring.weights.impact",
                "must be between 0 and 1, got -0.5",
            ),
            (
                "scoring.weights.lifetime_value",
                "must be between 0 and 1, got -2",
            ),
            ("scoring.weights.tier", "must be between 0 and 1, got -1"),
        ],
    ),
    // --- factor tables -------------------------------------------------------------------
    toml(
        "tier_values decrease",
        "[scoring.tier_values]\nstandard = 0.6\npremium = 0.5\n",
        &[(
            "scoring.tier_values.premium",
            "must not be below scoring.tier_values.standard (0.6), got 0.5",
        )],
    ),
    toml(
        "tier_values out of range at both ends",
        "[scoring.tier_values]\nfree = -0.5\nvip = 1.5\n",
        &[
            (
                "scoring.tier_values.free",
                "must be between 0 and 1, got -0.5",
            ),
            (
                "scoring.tier_values.vip",
                "must be between 0 and 1, got 1.5",
            ),
        ],
    ),
    toml(
        "impact_values outage above 1",
        "[scoring.impact_values]\noutage = 1.5\n",
        &[(
            "scoring.impact_values.outage",
            "must be between 0 and 1, got 1.5",
        )],
    ),
    json(
        "impact_values decrease",
        r#"{"scoring": {"impact_values": {"feature_request": 0.3, "question": 0.1}}}"#,
        &[(
            "scoring.impact_values.question",
            "must not be below scoring.impact_values.feature_request (0.3), got 0.1",
        )],
    ),
    // --- bands ---------------------------------------------------------------------------
    toml(
        "band high above critical",
        "[scoring.bands]\nhigh = 80\n",
        &[(
            "scoring.bands.high",
            "must be below scoring.bands.critical (70), got 80",
        )],
    ),
    toml(
        "band high equal to critical",
        "[scoring.bands]\ncritical = 60\nhigh = 60\n",
        &[(
            "scoring.bands.high",
            "must be below scoring.bands.critical (60), got 60",
        )],
    ),
    toml(
        "band normal above high",
        "[scoring.bands]\nnormal = 60\n",
        &[(
            "scoring.bands.normal",
            "must be below scoring.bands.high (50), got 60",
        )],
    ),
    toml(
        "band critical above 100",
        "[scoring.bands]\ncritical = 120\n",
        &[(
            "scoring.bands.critical",
            "must be greater than 0 and at most 100, got 120",
        )],
    ),
    toml(
        "band normal zero",
        "[scoring.bands]\nnormal = 0\n",
        &[(
            "scoring.bands.normal",
            "must be greater than 0 and at most 100, got 0",
        )],
    ),
    // --- other scoring values ------------------------------------------------------------
    toml(
        "age_saturation_hours zero",
        "[scoring]\nage_saturation_hours = 0\n",
        &[(
            "scoring.age_saturation_hours",
            "must be greater than 0 and at most 8760, got 0",
        )],
    ),
    toml(
        "age_saturation_hours above a year",
        "[scoring]\nage_saturation_hours = 9000.5\n",
        &[(
            "scoring.age_saturation_hours",
            "must be greater than 0 and at most 8760, got 9000.5",
        )],
    ),
    toml(
        "lifetime_value_cap zero",
        "[scoring]\nlifetime_value_cap = 0\n",
        &[("scoring.lifetime_value_cap", "must be at least 1, got 0")],
    ),
    // --- routing and intake --------------------------------------------------------------
    toml(
        "retry_after_seconds zero",
        "[routing]\nretry_after_seconds = 0\n",
        &[(
            "routing.retry_after_seconds",
            "must be between 1 and 86400, got 0",
        )],
    ),
    json(
        "retry_after_seconds above a day",
        r#"{"routing": {"retry_after_seconds": 86401}}"#,
        &[(
            "routing.retry_after_seconds",
            "must be between 1 and 86400, got 86401",
        )],
    ),
    toml(
        "profile_timeout_ms zero",
        "[intake]\nprofile_timeout_ms = 0\n",
        &[(
            "intake.profile_timeout_ms",
            "must be between 1 and 60000, got 0",
        )],
    ),
    toml(
        "profile_timeout_ms too large",
        "[intake]\nprofile_timeout_ms = 60001\n",
        &[(
            "intake.profile_timeout_ms",
            "must be between 1 and 60000, got 60001",
        )],
    ),
    toml(
        "profile_retry_seconds zero",
        "[intake]\nprofile_retry_seconds = 0\n",
        &[(
            "intake.profile_retry_seconds",
            "must be between 1 and 86400, got 0",
        )],
    ),
    toml(
        "profile_max_attempts zero",
        "[intake]\nprofile_max_attempts = 0\n",
        &[("intake.profile_max_attempts", "must be at least 1, got 0")],
    ),
    // --- version -------------------------------------------------------------------------
    toml(
        "empty version",
        "version = \"\"\n",
        &[("version", "must not be empty")],
    ),
    json(
        "blank version",
        r#"{"version": "   "}"#,
        &[("version", "must not be empty")],
    ),
    // --- unknown keys --------------------------------------------------------------------
    toml(
        "unknown top-level key",
        "version = \"2\"\ncolour = \"blue\"\n",
        &[("colour", TOP_KEYS)],
    ),
    toml(
        "unknown key in scoring.weights",
        "[scoring.weights]\nurgency = 0.5\n",
        &[(
            "scoring.weights.urgency",
            "unknown key, expected one of age, impact, lifetime_value, tier",
        )],
    ),
    json(
        "unknown key in scoring (typo of a section)",
        r#"{"scoring": {"band": {"critical": 80}}}"#,
        &[(
            "scoring.band",
            "unknown key, expected one of age_saturation_hours, bands, default_tier, \
             impact_values, lifetime_value_cap, tier_values, weights",
        )],
    ),
    toml(
        "unknown key in intake",
        "[intake]\nprofile_timeout = 100\n",
        &[(
            "intake.profile_timeout",
            "unknown key, expected one of profile_max_attempts, profile_retry_seconds, \
             profile_timeout_ms",
        )],
    ),
    // --- wrong types ---------------------------------------------------------------------
    toml(
        "string where an integer is expected",
        "[routing]\nretry_after_seconds = \"soon\"\n",
        &[(
            "routing.retry_after_seconds",
            "invalid type: string \"soon\", expected u64",
        )],
    ),
    json(
        "string where a float is expected",
        r#"{"scoring": {"weights": {"tier": "high"}}}"#,
        &[(
            "scoring.weights.tier",
            "invalid type: string \"high\", expected f64",
        )],
    ),
    toml(
        "negative integer where an unsigned one is expected",
        "[intake]\nprofile_timeout_ms = -1\n",
        &[(
            "intake.profile_timeout_ms",
            "invalid value: integer `-1`, expected u64",
        )],
    ),
    toml(
        "float where an integer is expected",
        "[routing]\nretry_after_seconds = 1.5\n",
        &[(
            "routing.retry_after_seconds",
            "invalid type: floating point `1.5`, expected u64",
        )],
    ),
    toml(
        "integer too large for u32",
        "[intake]\nprofile_max_attempts = 5000000000\n",
        &[(
            "intake.profile_max_attempts",
            "invalid value: integer `5000000000`, expected u32",
        )],
    ),
    toml(
        "integer where the version string is expected",
        "version = 2\n",
        &[("version", "invalid type: integer `2`, expected a string")],
    ),
    json(
        "number where a section is expected",
        r#"{"scoring": 5}"#,
        &[(
            "scoring",
            "invalid type: integer `5`, expected struct ScoringPolicy",
        )],
    ),
    // --- enums ---------------------------------------------------------------------------
    toml(
        "unknown default_tier",
        "[scoring]\ndefault_tier = \"gold\"\n",
        &[(
            "scoring.default_tier",
            "unknown variant `gold`, expected one of `free`, `standard`, `premium`, \
             `enterprise`, `vip`",
        )],
    ),
    json(
        "unknown intake_tier",
        r#"{"routing": {"intake_tier": "tier4"}}"#,
        &[(
            "routing.intake_tier",
            "unknown variant `tier4`, expected one of `tier1`, `tier2`, `tier3`",
        )],
    ),
    // --- syntax and shape of the document ------------------------------------------------
    toml(
        "TOML syntax error: unclosed table header",
        "[scoring\nage_saturation_hours = 10\n",
        &[(
            "(document)",
            "invalid TOML at line 1, column 9: unclosed table, expected `]`",
        )],
    ),
    toml(
        "TOML syntax error: duplicate key",
        "version = \"1\"\nversion = \"2\"\n",
        &[(
            "(document)",
            "invalid TOML at line 2, column 1: duplicate key",
        )],
    ),
    json(
        "JSON syntax error",
        r#"{"version": }"#,
        &[(
            "(document)",
            "invalid JSON: expected value at line 1 column 13",
        )],
    ),
    json(
        "JSON number out of range",
        r#"{"scoring": {"weights": {"tier": 1e400}}}"#,
        &[(
            "(document)",
            "invalid JSON: number out of range at line 1 column 38",
        )],
    ),
    json(
        "JSON empty document",
        "",
        &[(
            "(document)",
            "invalid JSON: EOF while parsing a value at line 1 column 0",
        )],
    ),
    json(
        "JSON array document",
        "[1, 2]",
        &[("(document)", "must be a table/object, got an array")],
    ),
    json(
        "JSON number document",
        "42",
        &[("(document)", "must be a table/object, got 42")],
    ),
    json(
        "JSON string document",
        r#""policy""#,
        &[("(document)", "must be a table/object, got \"policy\"")],
    ),
    json(
        "JSON null document",
        "null",
        &[("(document)", "must be a table/object, got null")],
    ),
];

fn load(format: Format, doc: &str) -> escalation_core::Result<Policy> {
    match format {
        Format::Toml => Policy::from_toml_str(doc),
        Format::Json => Policy::from_json_str(doc),
    }
}

fn pairs(problems: &[PolicyProblem]) -> Vec<(String, String)> {
    problems
        .iter()
        .map(|p| (p.path.clone(), p.message.clone()))
        .collect()
}

fn expected_pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(p, m)| {
            let m = if *m == TOP_KEYS {
                top_keys_message()
            } else {
                (*m).to_owned()
            };
            ((*p).to_owned(), m)
        })
        .collect()
}

#[test]
fn top_level_keys_are_listed() {
    let err = Policy::from_toml_str(
        "colour = 1
",
    )
    .unwrap_err();
    let problems = err.policy_problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "colour");
    let message = &problems[0].message;
    assert_eq!(*message, top_keys_message());
    let listed: Vec<&str> = message
        .strip_prefix("unknown key, expected one of ")
        .unwrap()
        .split(", ")
        .collect();
    for key in ["intake", "routing", "scoring", "version"] {
        assert!(listed.contains(&key), "{message}");
    }
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted, "keys are listed in order");
}

#[test]
fn there_are_at_least_twenty_invalid_policies() {
    assert!(CASES.len() >= 20, "{} cases", CASES.len());
    assert!(CASES.iter().any(|c| matches!(c.format, Format::Json)));
    assert!(CASES.iter().any(|c| matches!(c.format, Format::Toml)));
}

#[test]
fn each_invalid_policy_reports_exactly_its_problems() {
    let mut failures = Vec::new();
    for case in CASES {
        match load(case.format, case.doc) {
            Ok(p) => failures.push(format!("{}: loaded unexpectedly: {p:?}", case.name)),
            Err(err) => {
                let got = pairs(err.policy_problems());
                let want = expected_pairs(case.expected);
                if err.kind() != ErrorKind::PolicyInvalid {
                    failures.push(format!("{}: kind {:?}", case.name, err.kind()));
                }
                if got != want {
                    failures.push(format!(
                        "{} ({:?}):\n    got  {got:?}\n    want {want:?}",
                        case.name, case.format
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn error_kind_and_display_carry_every_problem() {
    for case in CASES {
        let err = load(case.format, case.doc).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PolicyInvalid, "{}", case.name);
        assert_eq!(err.kind().code(), "POLICY_INVALID");
        assert!(!err.is_retryable());
        assert!(matches!(err, Error::PolicyInvalid { .. }), "{}", case.name);
        let text = err.to_string();
        assert!(text.starts_with("invalid policy: "), "{text}");
        for (path, message) in expected_pairs(case.expected) {
            let line = format!("{path}: {message}");
            assert!(
                text.contains(&line),
                "{}: display {text:?} lacks {line:?}",
                case.name
            );
        }
    }
}

#[test]
fn several_problems_in_several_sections_are_reported_together() {
    let doc = r#"
version = "2024-06"
colour = "blue"

[scoring]
age_saturation_hours = 0
default_tier = "gold"

[scoring.weights]
tier = 1.7
impact = "lots"
urgency = 0.3

[scoring.bands]
critical = 40

[routing]
retry_after_seconds = "soon"

[intake]
profile_timeout_ms = 0
profile_max_attempts = 0
bogus = true
"#;
    let err = Policy::from_toml_str(doc).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PolicyInvalid);
    let got = pairs(err.policy_problems());
    let want = expected_pairs(&[
        ("colour", TOP_KEYS),
        (
            "intake.bogus",
            "unknown key, expected one of profile_max_attempts, profile_retry_seconds, \
             profile_timeout_ms",
        ),
        ("intake.profile_max_attempts", "must be at least 1, got 0"),
        (
            "intake.profile_timeout_ms",
            "must be between 1 and 60000, got 0",
        ),
        (
            "routing.retry_after_seconds",
            "invalid type: string \"soon\", expected u64",
        ),
        (
            "scoring.age_saturation_hours",
            "must be greater than 0 and at most 8760, got 0",
        ),
        (
            "scoring.bands.high",
            "must be below scoring.bands.critical (40), got 50",
        ),
        (
            "scoring.default_tier",
            "unknown variant `gold`, expected one of `free`, `standard`, `premium`, \
             `enterprise`, `vip`",
        ),
        (
            "scoring.weights.impact",
            "invalid type: string \"lots\", expected f64",
        ),
        ("scoring.weights.tier", "must be between 0 and 1, got 1.7"),
        (
            "scoring.weights.urgency",
            "unknown key, expected one of age, impact, lifetime_value, tier",
        ),
    ]);
    assert_eq!(got, want);
    let text = err.to_string();
    for (path, message) in &want {
        assert!(text.contains(&format!("{path}: {message}")), "{text}");
    }
}

#[test]
fn the_same_problems_are_reported_for_the_json_form() {
    let doc = r#"{
        "version": "",
        "scoring": {"weights": {"tier": "x", "age": 3}, "colour": 1},
        "routing": {"retry_after_seconds": 0},
        "extra": [1]
    }"#;
    let err = Policy::from_json_str(doc).unwrap_err();
    let got = pairs(err.policy_problems());
    let want = expected_pairs(&[
        ("extra", TOP_KEYS),
        (
            "routing.retry_after_seconds",
            "must be between 1 and 86400, got 0",
        ),
        (
            "scoring.colour",
            "unknown key, expected one of age_saturation_hours, bands, default_tier, \
             impact_values, lifetime_value_cap, tier_values, weights",
        ),
        ("scoring.weights.age", "must be between 0 and 1, got 3"),
        (
            "scoring.weights.tier",
            "invalid type: string \"x\", expected f64",
        ),
        ("version", "must not be empty"),
    ]);
    assert_eq!(got, want);
}

#[test]
fn from_value_accepts_the_dict_form_and_rejects_bad_ones() {
    let ok = Policy::from_value(
        serde_json::json!({"version": "7", "routing": {"intake_tier": "tier2"}}),
    )
    .unwrap();
    assert_eq!(ok.version, "7");
    assert_eq!(ok.routing.intake_tier, SupportTier::Tier2);
    let err =
        Policy::from_value(serde_json::json!({"intake": {"profile_max_attempts": 0}})).unwrap_err();
    assert_eq!(
        pairs(err.policy_problems()),
        expected_pairs(&[("intake.profile_max_attempts", "must be at least 1, got 0")])
    );
    let err = Policy::from_value(serde_json::json!(true)).unwrap_err();
    assert_eq!(
        pairs(err.policy_problems()),
        expected_pairs(&[("(document)", "must be a table/object, got true")])
    );
}

#[test]
fn valid_documents_load_with_their_values() {
    let p = Policy::from_toml_str(
        r#"
version = "2"
[scoring]
default_tier = "premium"
age_saturation_hours = 24
[scoring.weights]
tier = 1
impact = 0
age = 0
lifetime_value = 0
[routing]
retry_after_seconds = 86400
[intake]
profile_timeout_ms = 60000
profile_max_attempts = 1
"#,
    )
    .unwrap();
    assert_eq!(p.version, "2");
    assert_eq!(p.scoring.default_tier, CustomerTier::Premium);
    assert_eq!(p.scoring.age_saturation_hours, 24.0);
    assert_eq!(p.scoring.weights.tier, 1.0);
    assert_eq!(p.routing.retry_after_seconds, 86_400);
    assert_eq!(p.intake.profile_timeout_ms, 60_000);
    assert_eq!(p.intake.profile_max_attempts, 1);
    p.validate().unwrap();

    let j = Policy::from_json_str(
        r#"{"scoring": {"bands": {"critical": 100, "high": 99.5, "normal": 0.5}}}"#,
    )
    .unwrap();
    assert_eq!(j.scoring.bands.critical, 100.0);
    assert_eq!(Policy::from_json_str("{}").unwrap(), Policy::default());
    assert_eq!(Policy::from_toml_str("").unwrap(), Policy::default());
}

#[test]
fn validate_catches_non_finite_values_built_in_code() {
    let mut p = Policy::default();
    p.scoring.weights.tier = f64::NAN;
    p.scoring.age_saturation_hours = f64::INFINITY;
    p.scoring.lifetime_value_cap = f64::NAN;
    p.scoring.bands.critical = f64::INFINITY;
    let err = p.validate().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PolicyInvalid);
    let mut got = pairs(err.policy_problems());
    got.sort();
    let mut want = expected_pairs(&[
        ("scoring.weights.tier", "must be between 0 and 1, got NaN"),
        (
            "scoring.age_saturation_hours",
            "must be greater than 0 and at most 8760, got inf",
        ),
        ("scoring.lifetime_value_cap", "must be at least 1, got NaN"),
        (
            "scoring.bands.critical",
            "must be greater than 0 and at most 100, got inf",
        ),
    ]);
    want.sort();
    assert_eq!(got, want);
    // An engine refuses to start on it.
    let err = escalation_core::Engine::builder()
        .policy(p)
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PolicyInvalid);
}

/// TOML spells NaN and infinity `nan` and `inf`; they must be rejected with a message naming
/// the value (as `validate` does for in-memory policies), not as a `null` the user never wrote.
#[test]
fn toml_nan_and_inf_are_reported_as_out_of_range_values() {
    let err = Policy::from_toml_str("[scoring.weights]\ntier = nan\n").unwrap_err();
    assert_eq!(
        pairs(err.policy_problems()),
        expected_pairs(&[("scoring.weights.tier", "must be between 0 and 1, got NaN")])
    );
    let err = Policy::from_toml_str("[scoring]\nage_saturation_hours = inf\n").unwrap_err();
    assert_eq!(
        pairs(err.policy_problems()),
        expected_pairs(&[(
            "scoring.age_saturation_hours",
            "must be greater than 0 and at most 8760, got inf"
        )])
    );
}

/// A table written as an array is a wrong type; it must not load with positional meaning
/// (nor fill the missing positions with defaults).
#[test]
fn an_array_where_a_table_is_expected_is_a_type_error() {
    for doc in [
        "[scoring]\nweights = [0.1, 0.2, 0.3, 0.4]\n",
        "[scoring]\nweights = [0.5]\n",
    ] {
        let result = Policy::from_toml_str(doc);
        let err = result.expect_err(doc);
        let problems = err.policy_problems();
        assert_eq!(problems.len(), 1, "{doc}: {problems:?}");
        assert_eq!(problems[0].path, "scoring.weights", "{doc}");
        assert!(
            problems[0].message.starts_with("invalid type:"),
            "{doc}: {problems:?}"
        );
    }
    let err = Policy::from_json_str(r#"{"intake": [1000, 300, 3]}"#).expect_err("intake array");
    assert_eq!(err.policy_problems()[0].path, "intake");
}

/// JSON syntax errors say where they are; TOML syntax errors should too.
#[test]
fn toml_syntax_errors_name_their_location() {
    let err = Policy::from_toml_str("version = \"1\"\n\n[scoring\nage_saturation_hours = 10\n")
        .unwrap_err();
    let problems = err.policy_problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, "(document)");
    assert!(
        problems[0].message.contains("line 3"),
        "no location in {:?}",
        problems[0].message
    );
}

// --- the reference document --------------------------------------------------------------

const REFERENCE: &str = include_str!("../../examples/policy.toml");

#[test]
fn the_reference_policy_loads_validates_and_shows_the_defaults() {
    let p = Policy::from_toml_str(REFERENCE).unwrap();
    p.validate().unwrap();
    assert!(!p.version.trim().is_empty());
    // The document says the values it shows for scoring, routing and intake are the defaults.
    let defaults = Policy::default();
    assert_eq!(p.scoring, defaults.scoring);
    assert_eq!(p.routing, defaults.routing);
    assert_eq!(p.intake, defaults.intake);
    // Its calendars compile, under their names, next to the built-in one.
    let calendars = p.calendars().unwrap();
    for name in p.calendars.keys() {
        assert!(calendars.get(name).is_some(), "calendar {name} missing");
    }
    assert!(calendars.get("always").is_some());
    // Its JSON form loads to the same policy.
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(Policy::from_json_str(&json).unwrap(), p);
    // An engine starts on it.
    let version = p.version.clone();
    let engine = escalation_core::Engine::builder()
        .policy(p)
        .build()
        .unwrap();
    assert_eq!(engine.policy().version, version);
}

/// An unknown key is unknown whatever its value: an empty table or array is no excuse.
#[test]
fn unknown_keys_with_empty_values_are_reported() {
    let err = Policy::from_toml_str("[slas]\n").expect_err("an empty unknown section loaded");
    assert_eq!(
        pairs(err.policy_problems()),
        expected_pairs(&[("slas", TOP_KEYS)])
    );
    let err = Policy::from_toml_str("extra = []\n[scoring.weights]\nbogus = {}\n")
        .expect_err("unknown keys with empty values loaded");
    assert_eq!(
        pairs(err.policy_problems()),
        expected_pairs(&[
            ("extra", TOP_KEYS),
            (
                "scoring.weights.bogus",
                "unknown key, expected one of age, impact, lifetime_value, tier"
            ),
        ])
    );
}

/// A typo in a calendar is one problem, and its message lists every key a calendar takes.
#[test]
fn an_unknown_calendar_key_is_reported_once_listing_every_key() {
    let err = Policy::from_toml_str(
        "[calendars.support]\ntimezone = \"UTC\"\nhours = { mon = [[\"09:00\", \"17:00\"]] }\n\
         holyday = [\"2026-12-25\"]\n",
    )
    .unwrap_err();
    let problems = err.policy_problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].path, "calendars.support.holyday");
    for key in ["timezone", "hours", "holidays", "overrides", "breaks"] {
        assert!(problems[0].message.contains(key), "{problems:?}");
    }
}

// --- files ---------------------------------------------------------------------------------

struct TempFile(PathBuf);

impl TempFile {
    fn new(ext: &str, content: &str) -> TempFile {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "escalation-core-policy-test-{}-{}-{nanos}.{ext}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn from_path_with_a_missing_file_names_the_path() {
    let path = std::env::temp_dir().join(format!(
        "escalation-core-no-such-policy-{}.toml",
        std::process::id()
    ));
    let err = Policy::from_path(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    match &err {
        Error::InvalidInput {
            field,
            value,
            reason,
        } => {
            assert_eq!(field, "path");
            assert!(value.contains("escalation-core-no-such-policy"), "{value}");
            assert!(reason.starts_with("cannot read"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("invalid path"), "{err}");
}

#[test]
fn from_path_reads_json_and_toml_by_extension() {
    let j = TempFile::new(
        "json",
        r#"{"version": "json-1", "scoring": {"default_tier": "vip"}}"#,
    );
    let p = Policy::from_path(&j.0).unwrap();
    assert_eq!(p.version, "json-1");
    assert_eq!(p.scoring.default_tier, CustomerTier::Vip);

    let t = TempFile::new(
        "toml",
        "version = \"toml-1\"\n[routing]\nretry_after_seconds = 60\n",
    );
    let p = Policy::from_path(&t.0).unwrap();
    assert_eq!(p.version, "toml-1");
    assert_eq!(p.routing.retry_after_seconds, 60);

    // TOML text in a .json file is parsed as JSON, and fails as JSON.
    let wrong = TempFile::new("json", "version = \"x\"\n");
    let err = Policy::from_path(&wrong.0).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PolicyInvalid);
    assert!(
        err.policy_problems()[0].message.starts_with("invalid JSON"),
        "{err}"
    );

    // Invalid content in a file reports its problems like a string would.
    let bad = TempFile::new("toml", "[intake]\nprofile_timeout_ms = 0\nextra = 1\n");
    let err = Policy::from_path(&bad.0).unwrap_err();
    assert_eq!(
        pairs(err.policy_problems()),
        expected_pairs(&[
            (
                "intake.extra",
                "unknown key, expected one of profile_max_attempts, profile_retry_seconds, \
                 profile_timeout_ms"
            ),
            (
                "intake.profile_timeout_ms",
                "must be between 1 and 60000, got 0"
            ),
        ])
    );

    let paths = [j.0.clone(), t.0.clone(), wrong.0.clone(), bad.0.clone()];
    drop((j, t, wrong, bad));
    for p in paths {
        assert!(!p.exists(), "{} was not cleaned up", p.display());
    }
}
