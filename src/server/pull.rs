//! Serving pulls: every row changed after the client's cursor, a page at a time.

use super::error::ServerError;
use super::repository::{self as repo, Db, WorkspaceId};
use crate::sync::{HistoryPage, PullPage, PULL_LIMIT_DEFAULT, PULL_LIMIT_MAX};

/// The most JSON one pull page carries (a single larger row goes alone):
/// without it, one member pulling rows of long notes made the server hold
/// pages of many megabytes at once. 2 MB still holds thousands of ordinary
/// rows; eight members pulling long notes together peaked at 260 MB with no
/// budget and at 154 MB with this one before `main` tuned glibc for SQLite.
pub const PULL_PAGE_MAX_BYTES: usize = 2 * 1024 * 1024;

/// One page of changes after `cursor`, ordered by version.
///
/// Versions come from one per-workspace counter taken inside each write
/// transaction, so a row with a lower version can never appear after a
/// client has moved its cursor past it.
pub async fn pull(
    db: &Db,
    workspace: WorkspaceId,
    cursor: i64,
    limit: Option<u32>,
) -> Result<PullPage, ServerError> {
    if cursor < 0 {
        return Err(ServerError::BadRequest(
            "cursor must not be negative".into(),
        ));
    }
    let limit = match limit {
        None => PULL_LIMIT_DEFAULT,
        Some(0) => return Err(ServerError::BadRequest("limit must be at least 1".into())),
        Some(limit) => limit.min(PULL_LIMIT_MAX),
    };
    let changes = repo::changed_since(db, workspace, cursor, limit, PULL_PAGE_MAX_BYTES).await?;
    // Read after the rows: a purge committed before they were read is
    // seen here, so no tombstone is missed between the two statements.
    let purged_through = repo::trash::purged_through(db, workspace).await?;
    if cursor > 0 && cursor < purged_through {
        return Ok(PullPage {
            rows: empty_rows(),
            cursor: 0,
            more: true,
            restart: true,
            purged_through,
        });
    }
    Ok(PullPage {
        rows: changes.rows,
        cursor: changes.last_version.unwrap_or(cursor),
        more: changes.more,
        restart: false,
        purged_through,
    })
}

/// The rows of a page that carries none.
fn empty_rows() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::from_string("[]".to_owned())
        .unwrap_or_else(|_| unreachable!("[] is JSON"))
}

/// History entries per page of the history pull: each is small (the
/// fields one write changed), so a page stays well under a pull page's
/// byte budget.
pub const HISTORY_PAGE: u32 = 1000;

/// One page of the workspace's history after `cursor`, oldest first.
pub async fn pull_history(
    db: &Db,
    workspace: WorkspaceId,
    cursor: i64,
) -> Result<HistoryPage, ServerError> {
    if cursor < 0 {
        return Err(ServerError::BadRequest(
            "cursor must not be negative".into(),
        ));
    }
    let entries = repo::history::after(db, workspace, cursor, HISTORY_PAGE).await?;
    Ok(HistoryPage {
        cursor: entries.last().map_or(cursor, |entry| entry.version),
        more: entries.len() == HISTORY_PAGE as usize,
        entries,
    })
}
