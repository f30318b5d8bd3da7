//! Options objects (`new Engine({ store, notifier })`, `createTicket({ customer, ... })`) and
//! the arguments read from them and from positional parameters.
//!
//! Every field is read by name with its JavaScript type checked: a field of the wrong type is
//! a `TypeError` with code `INVALID_INPUT` naming the field (as JavaScript spells it), a
//! missing required field too; `undefined` and `null` mean "not given". Values are then checked
//! by the core, which names the field in its own errors.

use chrono::{DateTime, Utc};
use escalation_core::error::Error;
use escalation_core::model::{TenantId, TicketId};
use napi::ValueType;
use napi::bindgen_prelude::{FromNapiValue, JsObjectValue, Object, Unknown};

use crate::date::instant;
use crate::document;
use crate::error::Failure;

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The tenant of a call that names none.
pub(crate) const DEFAULT_TENANT: &str = "default";

/// An options argument: a plain object whose fields are read by name, or nothing; or the
/// same fields already taken out of the object by the package's JavaScript layer (`lib.js`),
/// which reads them far faster than a property lookup through napi.
pub(crate) struct Options<'env> {
    object: Option<Object<'env>>,
    fields: &'env [(&'static str, Unknown<'env>)],
}

/// Whether `value` stands for "not given".
pub(crate) fn is_nothing(value: &Unknown<'_>) -> Result<bool, Failure> {
    Ok(matches!(
        value.get_type()?,
        ValueType::Undefined | ValueType::Null
    ))
}

impl<'env> Options<'env> {
    /// The options in `value` (`undefined` gives none); `what` names the argument when it is
    /// not an object.
    pub(crate) fn new(what: &str, value: Option<Unknown<'env>>) -> Result<Self, Failure> {
        let Some(value) = value else {
            return Ok(Options::none());
        };
        if is_nothing(&value)? {
            return Ok(Options::none());
        }
        Options::required(what, value)
    }

    /// The options in `value`, which must be an object.
    pub(crate) fn required(what: &str, value: Unknown<'env>) -> Result<Self, Failure> {
        if value.get_type()? != ValueType::Object {
            return Err(Failure::wrong_type(&what, &value, "an object"));
        }
        Ok(Options {
            object: Some(Object::from_unknown(value)?),
            fields: &[],
        })
    }

    fn none() -> Self {
        Options {
            object: None,
            fields: &[],
        }
    }

    /// Fields passed one by one: `(name, value)` pairs.
    pub(crate) fn fields(fields: &'env [(&'static str, Unknown<'env>)]) -> Self {
        Options {
            object: None,
            fields,
        }
    }

    /// The field `name`, unless it is missing, `undefined` or `null`.
    pub(crate) fn get(&self, name: &str) -> Result<Option<Unknown<'env>>, Failure> {
        let value = match &self.object {
            Some(object) => object.get_named_property(name)?,
            None => match self.fields.iter().find(|(field, _)| *field == name) {
                Some((_, value)) => *value,
                None => return Ok(None),
            },
        };
        Ok((!is_nothing(&value)?).then_some(value))
    }

    /// The string field `name`, which must be given.
    pub(crate) fn text(&self, name: &str) -> Result<String, Failure> {
        match self.get(name)? {
            Some(value) => document::text(name, &value),
            None => Err(Failure::WrongType(Error::invalid(
                name,
                "undefined",
                "must be a string",
            ))),
        }
    }

    /// The string field `name`, if given.
    pub(crate) fn opt_text(&self, name: &str) -> Result<Option<String>, Failure> {
        self.get(name)?
            .map(|value| document::text(name, &value))
            .transpose()
    }

    /// The boolean field `name`, if given.
    pub(crate) fn opt_bool(&self, name: &str) -> Result<Option<bool>, Failure> {
        self.get(name)?
            .map(|value| boolean(name, &value))
            .transpose()
    }

    /// The number field `name`, if given.
    pub(crate) fn opt_number(&self, name: &str) -> Result<Option<f64>, Failure> {
        self.get(name)?
            .map(|value| number(name, &value))
            .transpose()
    }

    /// The field `name` as a whole number from 0 to `max`, if given.
    pub(crate) fn opt_count(&self, name: &str, max: u64) -> Result<Option<u64>, Failure> {
        self.get(name)?
            .map(|value| count(name, &value, max))
            .transpose()
    }

    /// The instant field `name` (a `Date` or epoch milliseconds), if given.
    pub(crate) fn opt_instant(&self, name: &str) -> Result<Option<DateTime<Utc>>, Failure> {
        self.get(name)?
            .map(|value| instant(&name, &value))
            .transpose()
    }

    /// The `tenant` field, `"default"` when not given.
    pub(crate) fn tenant(&self) -> Result<TenantId, Failure> {
        Ok(TenantId::from(
            self.opt_text("tenant")?
                .as_deref()
                .unwrap_or(DEFAULT_TENANT),
        ))
    }
}

/// A number argument; `field` names it.
pub(crate) fn number(field: &str, value: &Unknown<'_>) -> Result<f64, Failure> {
    if value.get_type()? != ValueType::Number {
        return Err(Failure::wrong_type(&field, value, "a number"));
    }
    Ok(f64::from_unknown(*value)?)
}

/// A boolean argument; `field` names it.
pub(crate) fn boolean(field: &str, value: &Unknown<'_>) -> Result<bool, Failure> {
    if value.get_type()? != ValueType::Boolean {
        return Err(Failure::wrong_type(&field, value, "a boolean"));
    }
    Ok(bool::from_unknown(*value)?)
}

/// A whole-number argument from 0 to `max`; `field` names it.
pub(crate) fn count(field: &str, value: &Unknown<'_>, max: u64) -> Result<u64, Failure> {
    let n = number(field, value)?;
    if n.fract() != 0.0 || n < 0.0 || n > (max as f64).min(MAX_SAFE_INTEGER) {
        return Err(
            Error::invalid(field, n, format!("must be a whole number from 0 to {max}")).into(),
        );
    }
    Ok(n as u64)
}

/// A ticket id argument; `field` names it.
pub(crate) fn ticket_id(field: &str, value: &Unknown<'_>) -> Result<TicketId, Failure> {
    let n = number(field, value)?;
    if n.fract() != 0.0 || !(0.0..=MAX_SAFE_INTEGER).contains(&n) {
        return Err(Error::invalid(field, n, "must be a ticket id (a whole number >= 0)").into());
    }
    Ok(TicketId(n as u64))
}

/// An optional tenant argument, `"default"` when not given.
pub(crate) fn tenant(value: Option<Unknown<'_>>) -> Result<TenantId, Failure> {
    match value {
        Some(value) if !is_nothing(&value)? => {
            Ok(TenantId::from(document::text("tenant", &value)?))
        }
        _ => Ok(TenantId::from(DEFAULT_TENANT)),
    }
}
