use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{CustomerId, CustomerProfile, TenantId};
use crate::ports::ProfileSource;

/// A [`ProfileSource`] backed by a table in memory.
#[derive(Debug, Default)]
pub struct MemoryProfiles {
    profiles: RwLock<HashMap<TenantId, HashMap<CustomerId, Arc<CustomerProfile>>>>,
}

impl MemoryProfiles {
    /// An empty table: every customer is unknown.
    pub fn new() -> MemoryProfiles {
        MemoryProfiles::default()
    }

    /// Adds or replaces `profile` in `tenant`.
    pub fn insert(&self, tenant: &TenantId, profile: CustomerProfile) {
        let mut map = self.profiles.write().unwrap_or_else(|e| e.into_inner());
        map.entry(tenant.clone())
            .or_default()
            .insert(profile.customer.clone(), Arc::new(profile));
    }
}

#[async_trait]
impl ProfileSource for MemoryProfiles {
    async fn profile(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Option<Arc<CustomerProfile>>> {
        let map = self.profiles.read().unwrap_or_else(|e| e.into_inner());
        Ok(map.get(tenant).and_then(|m| m.get(customer)).cloned())
    }
}
