//! The default-contact invariant: a customer with live contacts has exactly one default.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A live contact of one customer, as the invariant sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DefaultCandidate {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    /// Breaks ties between contacts created at the same instant (one push
    /// stamps all its records with one time): the server passes each
    /// contact's place in creation order, the browser 0.
    pub created_order: u64,
    pub is_default: bool,
    /// How recently this contact was marked default; the latest mark wins.
    /// The server passes the change number of the `is_default` field; the
    /// browser ranks its own pending marks above anything the server sent.
    pub marked_at: u64,
}

/// Which contact must be the default, `None` when the customer has no live contacts.
///
/// The most recently marked default wins, so "make default" un-marks the old
/// one; with no default left (the default was deleted or un-marked) the oldest
/// contact is promoted. Server and browser both call this, so the optimistic
/// view and the server's answer agree.
pub fn choose_default_contact(candidates: &[DefaultCandidate]) -> Option<Uuid> {
    candidates
        .iter()
        .filter(|candidate| candidate.is_default)
        .max_by_key(|candidate| (candidate.marked_at, candidate.id))
        .or_else(|| {
            candidates.iter().min_by_key(|candidate| {
                (candidate.created_at, candidate.created_order, candidate.id)
            })
        })
        .map(|candidate| candidate.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn candidate(n: u128, minute: u32, is_default: bool, marked_at: u64) -> DefaultCandidate {
        DefaultCandidate {
            id: Uuid::from_u128(n),
            created_at: Utc
                .with_ymd_and_hms(2026, 1, 1, 9, minute, 0)
                .single()
                .expect("valid time"),
            created_order: 0,
            is_default,
            marked_at,
        }
    }

    #[test]
    fn no_contacts_means_no_default() {
        assert_eq!(choose_default_contact(&[]), None);
    }

    #[test]
    fn the_first_contact_becomes_default_even_unmarked() {
        assert_eq!(
            choose_default_contact(&[candidate(1, 0, false, 0)]),
            Some(Uuid::from_u128(1))
        );
    }

    #[test]
    fn marking_another_default_unmarks_the_old_one() {
        let contacts = [candidate(1, 0, true, 5), candidate(2, 1, true, 9)];
        assert_eq!(choose_default_contact(&contacts), Some(Uuid::from_u128(2)));
    }

    #[test]
    fn deleting_the_default_promotes_the_oldest_remaining_contact() {
        let remaining = [
            candidate(3, 7, false, 0),
            candidate(2, 3, false, 0),
            candidate(4, 5, false, 0),
        ];
        assert_eq!(choose_default_contact(&remaining), Some(Uuid::from_u128(2)));
    }

    #[test]
    fn contacts_created_at_one_instant_are_promoted_in_creation_order_not_by_id() {
        let made_second = DefaultCandidate {
            created_order: 1,
            ..candidate(1, 0, false, 0)
        };
        let made_first = DefaultCandidate {
            created_order: 0,
            ..candidate(9, 0, false, 0)
        };
        assert_eq!(
            choose_default_contact(&[made_second, made_first]),
            Some(Uuid::from_u128(9))
        );
    }
}
