//! Leptos components and pages. They read reactive views of the local store
//! through [`Crm`](crate::crm::Crm) and write by enqueueing mutations; never the server.

mod account;
mod activities;
mod clock;
mod conflicts;
mod contacts;
mod customers;
mod duplicates;
mod form;
mod home;
mod import;
mod kit;
mod layout;
mod leads;
mod opportunities;
mod parent;
mod platform;
mod trash;

pub use account::{AccountPage, JoinPage, LoginPage, SignupPage};
pub use activities::TasksPage;
pub use customers::{CustomerListPage, CustomerPage, NewCustomerPage};
pub use duplicates::DuplicatesPage;
pub use home::HomePage;
pub use import::{ContactImportPage, CustomerImportPage, LeadImportPage};
#[cfg(feature = "hydrate")]
pub(crate) use layout::preload_fix_form;
pub use layout::{Layout, NotFound, PageCodeMissing, ShellPage};
pub use leads::{LeadListPage, LeadPage, NewLeadPage};
pub use opportunities::{OpportunityPage, PipelinePage};
pub use trash::TrashPage;
