use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;
use crate::model::{CustomerId, CustomerProfile, TenantId};

/// Customer profiles by customer id: a CRM, a database, a fixed table.
#[async_trait]
pub trait ProfileSource: Send + Sync + 'static {
    /// The profile of `customer` in `tenant`, or `None` if the source does not know them.
    ///
    /// # Errors
    /// Any error; the engine treats it as "unavailable for now", scores the ticket at the
    /// policy's default tier and fetches again later.
    async fn profile(
        &self,
        tenant: &TenantId,
        customer: &CustomerId,
    ) -> Result<Option<Arc<CustomerProfile>>>;
}
