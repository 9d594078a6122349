//! Leptos components and pages. They read reactive views of the local store
//! through [`Crm`] and write by enqueueing mutations; never the server.

mod account;
mod activities;
mod clock;
mod conflicts;
mod contacts;
mod customers;
mod form;
mod layout;
mod leads;
mod opportunities;
mod state;

pub use account::{AccountPage, JoinPage, LoginPage, SignupPage};
pub use activities::TasksPage;
pub use customers::{CustomerListPage, CustomerPage, NewCustomerPage};
#[cfg(feature = "hydrate")]
pub(crate) use layout::preload_fix_form;
pub use layout::{Layout, NotFound, PageCodeMissing, ShellPage};
pub use leads::{LeadListPage, LeadPage, NewLeadPage};
pub use opportunities::{OpportunityPage, PipelinePage};
pub use state::{user_message, AccountState, Crm, SaveError, SyncStatus};
