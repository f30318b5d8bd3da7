//! Python objects to the JSON form the core reads (`serde_json::Value`), and back.
//!
//! Dicts, lists, tuples, strings, numbers, booleans and `None` map one to one. A few Python
//! types are written the way the JSON form spells them, so a caller can pass them directly:
//! `date` as `"YYYY-MM-DD"`, `time` as `"HH:MM"` (`"HH:MM:SS"` when it has seconds, which the
//! core then rejects with the field's path), `datetime` in ISO 8601 and `timedelta` as a span
//! (`"5400s"`). Anything else is refused with the path of the offending value.

use escalation_core::error::{Error, PolicyProblem};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyDate, PyDateTime, PyDelta, PyDict, PyFloat, PyInt, PyList, PyMapping, PySequence,
    PyString, PyTime, PyTuple,
};
use serde_json::{Map, Number, Value};

use crate::datetime::{to_delta, type_name};

/// A value that has no JSON form: where it is and why.
pub(crate) struct Unsupported {
    pub(crate) path: String,
    pub(crate) message: String,
}

impl Unsupported {
    /// As an `InvalidInput` error (for calendars).
    pub(crate) fn into_invalid(self, value: &str) -> Error {
        Error::invalid(self.path, value, self.message)
    }

    /// As a `PolicyInvalid` error with one problem (for policies).
    pub(crate) fn into_policy(self) -> Error {
        Error::PolicyInvalid {
            problems: vec![PolicyProblem {
                path: self.path,
                message: self.message,
            }],
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Converts `obj` (at `path`, `""` for the document) to its JSON form.
pub(crate) fn to_json(obj: &Bound<'_, PyAny>, path: &str) -> Result<Value, Unsupported> {
    let fail = |message: String| Unsupported {
        path: if path.is_empty() {
            "(document)".to_owned()
        } else {
            path.to_owned()
        },
        message,
    };
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(fail(format!("the integer {obj} does not fit 64 bits")));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| fail(format!("must be a finite number, got {v}")));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(
            s.to_cow().map_err(|e| fail(e.to_string()))?.into_owned(),
        ));
    }
    if obj.is_instance_of::<PyDateTime>() || obj.is_instance_of::<PyDate>() {
        return text_of(obj, "isoformat").map_err(fail);
    }
    if obj.is_instance_of::<PyTime>() {
        let format = if obj
            .getattr("second")
            .and_then(|s| s.extract::<u8>())
            .unwrap_or(0)
            == 0
            && obj
                .getattr("microsecond")
                .and_then(|s| s.extract::<u32>())
                .unwrap_or(0)
                == 0
        {
            "%H:%M"
        } else {
            "%H:%M:%S"
        };
        return obj
            .call_method1("strftime", (format,))
            .and_then(|s| s.extract::<String>())
            .map(Value::String)
            .map_err(|e| fail(e.to_string()));
    }
    if obj.is_instance_of::<PyDelta>() {
        let d = to_delta(&path, obj).map_err(|e| fail(e.to_string()))?;
        let text = if d.subsec_nanos() == 0 {
            format!("{}s", d.num_seconds())
        } else {
            format!("{}us", d.num_microseconds().unwrap_or(i64::MAX))
        };
        return Ok(Value::String(text));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let key = key_text(&key).map_err(&fail)?;
            let value = to_json(&item, &join(path, &key))?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return list(obj, path);
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let mut map = Map::new();
        let items = mapping.items().map_err(|e| fail(e.to_string()))?;
        for pair in items.iter() {
            let (key, item): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
                pair.extract().map_err(|e: PyErr| fail(e.to_string()))?;
            let key = key_text(&key).map_err(&fail)?;
            let value = to_json(&item, &join(path, &key))?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if obj.cast::<PySequence>().is_ok() && !obj.is_instance_of::<pyo3::types::PyBytes>() {
        return list(obj, path);
    }
    Err(fail(format!(
        "a {} has no JSON form; use a dict, list, str, number, bool, None, date or time",
        type_name(obj)
    )))
}

fn list(obj: &Bound<'_, PyAny>, path: &str) -> Result<Value, Unsupported> {
    let mut items = Vec::new();
    let iter = obj.try_iter().map_err(|e| Unsupported {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    for (i, item) in iter.enumerate() {
        let item = item.map_err(|e| Unsupported {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        items.push(to_json(&item, &format!("{path}[{i}]"))?);
    }
    Ok(Value::Array(items))
}

fn text_of(obj: &Bound<'_, PyAny>, method: &str) -> Result<Value, String> {
    obj.call_method0(method)
        .and_then(|s| s.extract::<String>())
        .map(Value::String)
        .map_err(|e| e.to_string())
}

/// A mapping key: a string, or a date written `"YYYY-MM-DD"` (override dates).
fn key_text(key: &Bound<'_, PyAny>) -> Result<String, String> {
    if let Ok(s) = key.cast::<PyString>() {
        return Ok(s.to_string());
    }
    if key.is_instance_of::<PyDate>() && !key.is_instance_of::<PyDateTime>() {
        return key
            .call_method0("isoformat")
            .and_then(|s| s.extract::<String>())
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "keys must be strings (or dates), got the {} {}",
        type_name(key),
        crate::datetime::repr(key)
    ))
}

/// Converts a JSON value to Python: objects to dicts, arrays to lists.
pub(crate) fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}
