//! The CRM's entities, their validation and their invariants, as pure code.
//!
//! Nothing here does I/O: the browser and the server both compile this module,
//! so a rule written once holds on both sides of the wire.

mod conflict;
mod contacts;
mod customer;
mod record;
mod schema;

pub use conflict::{display_value, Conflict};
pub use contacts::{choose_default_contact, DefaultCandidate};
pub use customer::{Contact, Customer, CustomerFilter, StatusCount};
pub use record::{Record, RecordKey};
pub use schema::{
    check_required, normalize_patch, unknown_field, Entity, FieldError, FieldKind, FieldSpec,
    CUSTOMER_KINDS, CUSTOMER_STATUSES,
};
