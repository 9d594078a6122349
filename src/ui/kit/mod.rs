//! The page kit: what every page is built from, so a new page is mostly
//! declarations. Read "How the UI is built" in the README before adding one.
//!
//! - [`ListPage`]: search, status filter bar with counts, virtualized rows,
//!   and with a [`Transfer`] CSV export of what it shows and a link to import;
//!   with a [`BulkSpec`], checkboxes and bulk actions over the selected rows.
//! - [`NewRecordPage`]: the form adding one record.
//! - [`RecordPage`] with [`RecordHeader`], [`EditButton`] and [`Details`]:
//!   loading, not found, editing and viewing one record.
//! - [`RecordSection`]: a titled, counted list on a record page with a form
//!   to add one more (contacts, opportunities, the timeline).
//! - [`EditInPlace`] and [`ItemEditButton`]: an item of such a list that
//!   becomes its edit form.
//! - [`ConfirmButton`] and [`DeleteButton`]: an action that asks first.
//! - [`MergedHere`]: the records merged into this one, with "Unmerge".
//! - [`HistorySection`]: a record's History view, with "Restore" per old value.
//! - [`BarChart`]: grouped bars as SVG with a table of the same figures.
//! - [`UndoNotice`]: what was just done, with "Undo" (and Ctrl+Z).
//! - [`WhenCanEdit`]: what only a role that may change records sees; the
//!   kit's own edit, add and delete buttons are inside it already.
//!
//! Every part moves focus for keyboard users: into a form or dialog when it
//! opens, back to the button that opened it when it closes, and Escape
//! closes it.

mod bulk;
mod chart;
mod confirm;
mod history;
mod list;
mod merged_here;
mod record_page;
mod role;
mod section;
mod undo_notice;

pub use bulk::BulkSpec;
pub use chart::{BarChart, BarGroup};
pub use confirm::{ConfirmButton, DeleteButton};
pub use history::HistorySection;
pub use list::{slug, Column, ListPage, ListSpec, OtherMemberOptions, Transfer};
pub use merged_here::MergedHere;
pub use record_page::{
    Detail, Details, EditButton, NewRecordPage, RecordHeader, RecordPage, RecordPageSpec,
    RecordView,
};
pub use role::WhenCanEdit;
pub use section::{edit_button_id, EditInPlace, ItemEditButton, RecordSection};
pub use undo_notice::UndoNotice;
