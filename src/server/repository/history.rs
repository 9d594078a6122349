//! Record history rows (issue 21): appended in the transaction of the
//! writes they describe, read back a page at a time by the history pull.

use super::backend::{on_db, on_tx};
use super::{Db, Tx, WorkspaceId};
use crate::domain::HistoryEntry;
use crate::server::error::ServerError;

/// Rows per insert statement: five parameters each, well under either
/// database's limit.
const ROWS_PER_STATEMENT: usize = 400;

/// Appends `entries` in `tx`, the transaction of the writes they describe.
pub async fn append(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entries: &[HistoryEntry],
) -> Result<(), ServerError> {
    let dialect = tx.dialect();
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let params: Vec<String> = (row * 5 + 1..=row * 5 + 5)
                    .map(|n| dialect.placeholder(n))
                    .collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO history (workspace_id, version, entity, record_id, entry) VALUES {}",
            rows.join(", ")
        );
        let texts = chunk
            .iter()
            .map(|entry| {
                serde_json::to_string(entry).map_err(|err| ServerError::Corrupt(err.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        on_tx!(&mut *tx, |conn| {
            let mut query = sqlx::query(&sql);
            for (entry, text) in chunk.iter().zip(&texts) {
                query = query
                    .bind(workspace.0.to_string())
                    .bind(entry.version)
                    .bind(entry.entity.as_str())
                    .bind(entry.record_id.to_string())
                    .bind(text.as_str());
            }
            query.execute(conn).await?;
        });
    }
    Ok(())
}

/// Up to `limit` entries written after version `cursor`, oldest first.
pub async fn after(
    db: &Db,
    workspace: WorkspaceId,
    cursor: i64,
    limit: u32,
) -> Result<Vec<HistoryEntry>, ServerError> {
    let texts: Vec<String> = on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT entry FROM history WHERE workspace_id = $1 AND version > $2 \
             ORDER BY version, entity, record_id LIMIT $3",
        )
        .bind(workspace.0.to_string())
        .bind(cursor)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
    });
    texts
        .iter()
        .map(|text| {
            serde_json::from_str(text)
                .map_err(|err| ServerError::Corrupt(format!("a history entry: {err}")))
        })
        .collect()
}
