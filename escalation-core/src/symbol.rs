//! Interned names: categories and skills compare as integers, not strings.
//!
//! Skill matching runs on every intake, so categories and skills are interned once
//! into a process-wide table and compared as `u32`s afterwards. The table only grows;
//! a helpdesk has at most a few thousand distinct categories and skills.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An interned name (a ticket category or an agent skill).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

#[derive(Default)]
struct Interner {
    ids: HashMap<Arc<str>, u32>,
    names: Vec<Arc<str>>,
}

fn interner() -> &'static RwLock<Interner> {
    static INTERNER: OnceLock<RwLock<Interner>> = OnceLock::new();
    INTERNER.get_or_init(|| RwLock::new(Interner::default()))
}

impl Symbol {
    /// Interns `name` (case-sensitive, trimmed of surrounding whitespace) and returns its symbol.
    pub fn intern(name: &str) -> Symbol {
        let name = name.trim();
        {
            let table = interner().read().unwrap_or_else(|e| e.into_inner());
            if let Some(&id) = table.ids.get(name) {
                return Symbol(id);
            }
        }
        let mut table = interner().write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = table.ids.get(name) {
            return Symbol(id);
        }
        let id = u32::try_from(table.names.len()).unwrap_or(u32::MAX);
        let shared: Arc<str> = Arc::from(name);
        table.names.push(shared.clone());
        table.ids.insert(shared, id);
        Symbol(id)
    }

    /// The interned text.
    pub fn as_str(self) -> Arc<str> {
        let table = interner().read().unwrap_or_else(|e| e.into_inner());
        table
            .names
            .get(self.0 as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", &*self.as_str())
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_str())
    }
}

impl From<&str> for Symbol {
    fn from(s: &str) -> Symbol {
        Symbol::intern(s)
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.as_str())
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Symbol, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Symbol::intern(&s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable_and_trimmed() {
        let a = Symbol::intern("billing");
        let b = Symbol::intern(" billing ");
        let c = Symbol::intern("network");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(&*a.as_str(), "billing");
    }
}
