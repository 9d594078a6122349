//! What every list page shows: one status or all, narrowed by a search text,
//! in the list's own order, with a count per status for the filter bar.

use super::search::{SearchQuery, SearchText};
use std::cmp::Ordering;
use uuid::Uuid;

/// A record a list page shows. Customers and leads are lists today; any
/// later list (members, trash, duplicates) implements this and gets the
/// filter, the search and the counts for free.
pub trait Listed {
    /// The statuses the filter bar offers, in the order it shows them.
    const STATUSES: &'static [&'static str];
    /// The record's id: what an export or a selection names it by.
    fn id(&self) -> Uuid;
    /// What the row is called, for a screen reader's "Select Acme".
    fn title(&self) -> &str;
    /// The status the filter bar sorts this record under.
    fn status(&self) -> &str;
    /// The member the owner filter matches against.
    fn owner(&self) -> Option<Uuid>;
    /// What a search matches, prepared when the record was read.
    fn search_text(&self) -> &SearchText;
    /// The list's order (by name, newest first, ...).
    fn list_order(&self, other: &Self) -> Ordering;
}

/// One status or all, one owner or everyone's, narrowed by what the user typed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// `None` shows every status ("All").
    pub status: Option<String>,
    /// `None` shows everyone's records; `Some` one member's ("Mine").
    pub owner: Option<Uuid>,
    pub query: String,
}

impl ListFilter {
    /// Where the matching records sit in `rows`, in list order. A list
    /// keeps its rows sorted, so a keystroke only filters: sorting input
    /// that is already in order is one pass. Positions, not copies: a
    /// keystroke that matches 50,000 customers copies none of them.
    pub fn positions<T: Listed>(&self, rows: &[T]) -> Vec<usize> {
        let query = SearchQuery::new(&self.query);
        let mut shown: Vec<usize> = (0..rows.len())
            .filter(|&at| {
                let row = &rows[at];
                self.status
                    .as_deref()
                    .is_none_or(|status| status == row.status())
                    && self.owner.is_none_or(|owner| row.owner() == Some(owner))
                    && row.search_text().matches(&query)
            })
            .collect();
        shown.sort_unstable_by(|&a, &b| rows[a].list_order(&rows[b]));
        shown
    }
}

/// How many records have one status, for the filter bar's labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusCount {
    pub status: &'static str,
    pub count: usize,
}

impl StatusCount {
    /// Counts per status, in the order the filter bar lists them.
    pub fn tally<'a, T: Listed + 'a>(rows: impl IntoIterator<Item = &'a T>) -> Vec<StatusCount> {
        let mut counts: Vec<StatusCount> = T::STATUSES
            .iter()
            .map(|status| StatusCount { status, count: 0 })
            .collect();
        for row in rows {
            if let Some(entry) = counts.iter_mut().find(|entry| entry.status == row.status()) {
                entry.count += 1;
            }
        }
        counts
    }
}
