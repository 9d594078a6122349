//! Leptos components and pages. They read reactive views of the local store
//! through [`Crm`] and write by enqueueing mutations; never the server.

mod conflicts;
mod contacts;
mod customers;
mod form;
mod layout;
mod state;

pub use customers::{CustomerListPage, CustomerPage, NewCustomerPage};
pub use layout::{Layout, NotFound, ShellPage};
pub use state::{user_message, Crm, SaveError, SyncStatus};
