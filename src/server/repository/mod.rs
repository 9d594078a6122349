//! The only place that writes SQL: records and sync here, users,
//! workspaces and invitations in [`accounts`], members and roles in
//! [`team`]. Keeping every statement
//! behind these functions is what lets the same rules run on SQLite and
//! on PostgreSQL: each function is written once for both, and the SQL
//! that differs lives in [`backend::Dialect`].
//!
//! Every function on records takes the workspace id and every statement
//! filters on it: there is no path that reads or writes a row without its
//! workspace. Entity columns come from the domain schema, so adding a field
//! is a migration and one line in `domain::schema`, never a new query.

pub mod accounts;
pub mod backend;
pub mod history;
pub mod merges;
pub mod owners;
pub mod team;
pub mod trash;

use super::error::ServerError;
use crate::domain::{Entity, FieldKind, Record, DELETED_WITH_FIELD};
use crate::sync::{FieldConflict, MutationResult, PulledRow};
use backend::{on_db, on_tx, ReadRow};
pub use backend::{Db, Dialect, Tx};
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// A workspace's id; a newtype so it cannot be swapped with a record id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WorkspaceId(pub Uuid);

/// A record as stored, with the version at which each field last changed.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredRecord {
    pub record: Record,
    pub field_versions: HashMap<String, i64>,
}

fn table(entity: Entity) -> &'static str {
    match entity {
        Entity::Customer => "customers",
        Entity::Contact => "contacts",
        Entity::Lead => "leads",
        Entity::Opportunity => "opportunities",
        Entity::Activity => "activities",
        Entity::Conflict => "conflicts",
    }
}

fn timestamp(row: &impl ReadRow, column: &str) -> Result<DateTime<Utc>, ServerError> {
    let text = row
        .text(column)?
        .ok_or_else(|| ServerError::Corrupt(format!("{column} is null")))?;
    DateTime::parse_from_rfc3339(&text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|err| ServerError::Corrupt(format!("{column} {text:?}: {err}")))
}

/// A row as the wire and the client see it, without the per-field versions
/// that only a write merging into it needs.
fn read_record(entity: Entity, row: &impl ReadRow) -> Result<Record, ServerError> {
    let id = row
        .text("id")?
        .ok_or_else(|| ServerError::Corrupt("id is null".into()))?;
    let mut fields = Map::new();
    for spec in entity.fields() {
        let value = match spec.kind {
            FieldKind::Flag => Value::Bool(row.flag(spec.name)?.unwrap_or(false)),
            kind if kind.is_number() => row.int(spec.name)?.map_or(Value::Null, Value::from),
            _ => row.text(spec.name)?.map_or(Value::Null, Value::String),
        };
        fields.insert(spec.name.to_owned(), value);
    }
    Ok(Record {
        id: Uuid::parse_str(&id)
            .map_err(|err| ServerError::Corrupt(format!("id {id:?}: {err}")))?,
        version: row.int("version")?.unwrap_or(0),
        deleted: row.flag("deleted")?.unwrap_or(false),
        created_at: timestamp(row, "created_at")?,
        updated_at: timestamp(row, "updated_at")?,
        fields,
    })
}

/// A row with its per-field versions, for a write that merges into it.
fn read_stored(entity: Entity, row: &impl ReadRow) -> Result<StoredRecord, ServerError> {
    let field_versions = row.text("field_versions")?.unwrap_or_default();
    Ok(StoredRecord {
        record: read_record(entity, row)?,
        field_versions: serde_json::from_str(&field_versions)
            .map_err(|err| ServerError::Corrupt(format!("field_versions: {err}")))?,
    })
}

/// One record of this workspace, tombstones included.
pub async fn find(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    id: Uuid,
) -> Result<Option<StoredRecord>, ServerError> {
    let sql = format!(
        "SELECT * FROM {} WHERE workspace_id = $1 AND id = $2",
        table(entity)
    );
    on_tx!(tx, |conn| {
        let row = sqlx::query(&sql)
            .bind(workspace.0.to_string())
            .bind(id.to_string())
            .fetch_optional(conn)
            .await?;
        row.map(|row| read_stored(entity, &row)).transpose()
    })
}

/// The records of this workspace among `ids`, tombstones included, in one
/// statement: a push reads every record it names at once instead of one
/// round trip each. Ids that name no record are simply absent.
pub async fn find_many(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    ids: &[Uuid],
) -> Result<Vec<StoredRecord>, ServerError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // One JSON array parameter: the statement text stays the same for any
    // number of ids, so it is prepared once and never nears the
    // parameter limit.
    let sql = format!(
        "SELECT * FROM {} WHERE workspace_id = $1 AND {}",
        table(entity),
        tx.dialect().in_json_text_array("id", 2)
    );
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let ids = serde_json::to_string(&ids).map_err(|err| ServerError::Corrupt(err.to_string()))?;
    on_tx!(tx, |conn| {
        let rows = sqlx::query(&sql)
            .bind(workspace.0.to_string())
            .bind(ids)
            .fetch_all(conn)
            .await?;
        rows.iter().map(|row| read_stored(entity, row)).collect()
    })
}

/// Writes whole records of one entity, creating those that are new, a few
/// hundred to a statement.
///
/// One statement for many rows is what makes a push fast on PostgreSQL,
/// where every statement is a round trip over the network; on SQLite it
/// spares the per-statement work. `records` must not name one id twice
/// (PostgreSQL refuses to update a row twice in one statement).
///
/// A record is keyed by workspace and id together, so an id in use in
/// another workspace is simply a different record there. A new row keeps
/// its first version as `created_version`, which orders records created
/// at one instant (one push stamps them all with one time).
pub async fn save_all(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    records: &[&StoredRecord],
) -> Result<(), ServerError> {
    let names: Vec<&str> = entity.fields().iter().map(|spec| spec.name).collect();
    let per_row = FIXED_COLUMNS + names.len();
    // SQLite allows 32,766 parameters a statement, PostgreSQL 65,535.
    let rows_per_statement = (30_000 / per_row).clamp(1, 500);
    let updates: Vec<String> = [
        "version",
        "deleted",
        "updated_at",
        "field_versions",
        "wire_bytes",
        "wire_json",
    ]
    .iter()
    .chain(names.iter())
    .map(|name| format!("{name} = excluded.{name}"))
    .collect();
    let dialect = tx.dialect();
    for chunk in records.chunks(rows_per_statement) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let first = row * per_row;
                let params: Vec<String> = (first + 1..=first + per_row)
                    .map(|n| dialect.placeholder(n))
                    .collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} (id, workspace_id, version, created_version, deleted, created_at, updated_at, field_versions, wire_bytes, wire_json, {columns}) \
             VALUES {rows} ON CONFLICT (workspace_id, id) DO UPDATE SET {updates}",
            table = table(entity),
            columns = names.join(", "),
            rows = rows.join(", "),
            updates = updates.join(", "),
        );
        let mut values = Vec::with_capacity(chunk.len());
        for stored in chunk {
            let field_versions = serde_json::to_string(&stored.field_versions)
                .map_err(|err| ServerError::Corrupt(err.to_string()))?;
            let json = wire_json(entity, &stored.record)?;
            let bytes = i64::try_from(json.len())
                .map_err(|_| ServerError::Corrupt("a row too large to measure".into()))?;
            values.push((&stored.record, field_versions, bytes, json));
        }
        on_tx!(&mut *tx, |conn| {
            let mut query = sqlx::query(&sql);
            for (record, field_versions, wire_bytes, wire_json) in &values {
                query = query
                    .bind(record.id.to_string())
                    .bind(workspace.0.to_string())
                    .bind(record.version)
                    // The first version is also the created version.
                    .bind(record.version)
                    .bind(record.deleted)
                    .bind(record.created_at.to_rfc3339())
                    .bind(record.updated_at.to_rfc3339())
                    .bind(field_versions.as_str())
                    .bind(*wire_bytes)
                    .bind(wire_json.as_str());
                for spec in entity.fields() {
                    // A null is bound with its column's type: PostgreSQL
                    // refuses a text NULL for a BIGINT column.
                    query = match stored_value(spec.kind, record.fields.get(spec.name)) {
                        Value::Bool(flag) => query.bind(flag),
                        Value::Number(number) => query.bind(number.as_i64()),
                        Value::String(text) => query.bind(text),
                        _ if spec.kind.is_number() => query.bind(None::<i64>),
                        _ => query.bind(None::<String>),
                    };
                }
            }
            query.execute(conn).await?;
        });
    }
    Ok(())
}

/// The parameters of a row before its fields: id, workspace, version,
/// created version, deleted, created and updated times, field versions,
/// and its pull JSON and that JSON's length.
const FIXED_COLUMNS: usize = 10;

/// A field's value as its column keeps it, and as a pull sends it back: a
/// flag is never null, a number is an integer or null, anything else is
/// text or null.
fn stored_value(kind: FieldKind, value: Option<&Value>) -> Value {
    match (kind, value) {
        (FieldKind::Flag, value) => Value::Bool(value.and_then(Value::as_bool).unwrap_or(false)),
        (kind, Some(value)) if kind.is_number() => value.as_i64().map_or(Value::Null, Value::from),
        (kind, _) if kind.is_number() => Value::Null,
        (_, Some(Value::String(text))) => Value::String(text.clone()),
        (_, _) => Value::Null,
    }
}

/// The row as a pull sends it: the JSON of its [`PulledRow`] as
/// [`read_record`] would read it back. Kept with the row, with its length,
/// so a pull cuts a page at a byte budget and joins the rows' JSON without
/// rendering any of it.
fn wire_json(entity: Entity, record: &Record) -> Result<String, ServerError> {
    let fields = entity
        .fields()
        .iter()
        .map(|spec| {
            let value = stored_value(spec.kind, record.fields.get(spec.name));
            (spec.name.to_owned(), value)
        })
        .collect();
    let row = PulledRow {
        entity,
        record: Record {
            id: record.id,
            version: record.version,
            deleted: record.deleted,
            created_at: record.created_at,
            updated_at: record.updated_at,
            fields,
        },
    };
    serde_json::to_string(&row).map_err(|err| ServerError::Corrupt(err.to_string()))
}

/// Live records whose reference `column` names one of `parents`, oldest
/// first (in creation order where they were created at one instant): what
/// a delete cascades to, and the order contacts are promoted to default in.
pub async fn live_referencing(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    column: &str,
    parents: &[Uuid],
) -> Result<Vec<StoredRecord>, ServerError> {
    // A conflict names its record by `record_id`, which a merge follows.
    let is_reference = entity
        .field(column)
        .is_some_and(|spec| matches!(spec.kind, FieldKind::Reference(_)))
        || (entity == Entity::Conflict && column == "record_id");
    if parents.is_empty() || !is_reference {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    // SQLite allows 32,766 parameters; stay far below it.
    for chunk in parents.chunks(500) {
        let sql = format!(
            "SELECT * FROM {} WHERE workspace_id = $1 AND NOT deleted AND {column} IN ({}) \
             ORDER BY created_at, created_version, id",
            table(entity),
            (2..2 + chunk.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        on_tx!(&mut *tx, |conn| {
            let mut query = sqlx::query(&sql).bind(workspace.0.to_string());
            for parent in chunk {
                query = query.bind(parent.to_string());
            }
            for row in query.fetch_all(conn).await? {
                found.push(read_stored(entity, &row)?);
            }
        });
    }
    Ok(found)
}

/// Tombstones of `entity` deleted because the record `parent` was (their
/// `deleted_with` names it), oldest first.
pub async fn deleted_with(
    tx: &mut Tx,
    workspace: WorkspaceId,
    entity: Entity,
    parent: Uuid,
) -> Result<Vec<StoredRecord>, ServerError> {
    if entity.field(DELETED_WITH_FIELD).is_none() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT * FROM {} WHERE workspace_id = $1 AND deleted AND {DELETED_WITH_FIELD} = $2 \
         ORDER BY created_at, created_version, id",
        table(entity),
    );
    on_tx!(&mut *tx, |conn| {
        sqlx::query(&sql)
            .bind(workspace.0.to_string())
            .bind(parent.to_string())
            .fetch_all(conn)
            .await?
            .iter()
            .map(|row| read_stored(entity, row))
            .collect()
    })
}

/// Change numbers for one write transaction, handed out without a
/// statement each. The transaction holds SQLite's write lock from its first
/// statement (`BEGIN IMMEDIATE`), or on PostgreSQL the workspace's row lock
/// from [`Versions::read`], so no other writer can take numbers until it
/// ends; [`Versions::store`] writes the counter back before the commit,
/// and a rollback discards both the numbers and the writes that used them.
pub struct Versions {
    workspace: WorkspaceId,
    read: i64,
    last: i64,
}

impl Versions {
    /// Reads the workspace's counter inside the write transaction, and on
    /// PostgreSQL locks the workspace until the transaction ends (see
    /// [`Dialect::read_counter_for_update`]).
    pub async fn read(tx: &mut Tx, workspace: WorkspaceId) -> Result<Self, ServerError> {
        let sql = tx.dialect().read_counter_for_update();
        let last: i64 = on_tx!(tx, |conn| {
            sqlx::query_scalar(sql)
                .bind(workspace.0.to_string())
                .fetch_one(conn)
                .await?
        });
        Ok(Self {
            workspace,
            read: last,
            last,
        })
    }

    /// Takes the next change number.
    pub fn take(&mut self) -> i64 {
        self.last += 1;
        self.last
    }

    /// Where the numbers stand, to go back to when a savepoint rolls back.
    pub fn mark(&self) -> i64 {
        self.last
    }

    /// Gives back the numbers taken since `mark`, whose writes were rolled back.
    pub fn rewind(&mut self, mark: i64) {
        self.last = mark;
    }

    /// Writes the counter back; must run before the transaction commits.
    pub async fn store(self, tx: &mut Tx) -> Result<(), ServerError> {
        if self.last != self.read {
            on_tx!(tx, |conn| {
                sqlx::query("UPDATE workspaces SET change_counter = $1 WHERE id = $2")
                    .bind(self.last)
                    .bind(self.workspace.0.to_string())
                    .execute(conn)
                    .await?;
            });
        }
        Ok(())
    }
}

/// Opens a savepoint inside a push's write transaction, so one mutation's
/// writes can be undone without the rest of the push. One at a time:
/// [`release_savepoint`] closes it before the next is opened.
pub async fn begin_savepoint(tx: &mut Tx) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query("SAVEPOINT mutation").execute(conn).await?;
    });
    Ok(())
}

/// Undoes every write since [`begin_savepoint`]; the savepoint stays open
/// until [`release_savepoint`].
pub async fn roll_back_to_savepoint(tx: &mut Tx) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query("ROLLBACK TO mutation").execute(conn).await?;
    });
    Ok(())
}

/// Closes the savepoint, keeping what was written since it (nothing, after
/// a rollback to it) as part of the enclosing transaction.
pub async fn release_savepoint(tx: &mut Tx) -> Result<(), ServerError> {
    on_tx!(tx, |conn| {
        sqlx::query("RELEASE mutation").execute(conn).await?;
    });
    Ok(())
}

/// The workspace's latest change number, which every row's version is at
/// most.
pub async fn head_version(db: &Db, workspace: WorkspaceId) -> Result<i64, ServerError> {
    let head: Option<i64> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT change_counter FROM workspaces WHERE id = $1")
            .bind(workspace.0.to_string())
            .fetch_optional(pool)
            .await?
    });
    Ok(head.unwrap_or(0))
}

/// Takes `count` change numbers at once for a bulk write; returns the last
/// of them, so the block is `last - count + 1 ..= last`.
pub async fn reserve_versions(
    tx: &mut Tx,
    workspace: WorkspaceId,
    count: i64,
) -> Result<i64, ServerError> {
    let last: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "UPDATE workspaces SET change_counter = change_counter + $1 WHERE id = $2 RETURNING change_counter",
        )
        .bind(count)
        .bind(workspace.0.to_string())
        .fetch_one(conn)
        .await?
    });
    Ok(last)
}

/// The account a sync client id belongs to: the first that pushed with it.
/// `None` while no account has (a new device, or one from before owners
/// were kept).
pub async fn client_owner(tx: &mut Tx, client_id: Uuid) -> Result<Option<Uuid>, ServerError> {
    let owner: Option<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar(CLIENT_OWNER)
            .bind(client_id.to_string())
            .fetch_optional(conn)
            .await?
    });
    parse_owner(owner)
}

/// [`client_owner`] outside a transaction, before a pull.
pub async fn client_owner_now(db: &Db, client_id: Uuid) -> Result<Option<Uuid>, ServerError> {
    let owner: Option<String> = on_db!(db, |pool| {
        sqlx::query_scalar(CLIENT_OWNER)
            .bind(client_id.to_string())
            .fetch_optional(pool)
            .await?
    });
    parse_owner(owner)
}

const CLIENT_OWNER: &str =
    "SELECT user_id FROM sync_clients WHERE client_id = $1 AND user_id IS NOT NULL LIMIT 1";

fn parse_owner(owner: Option<String>) -> Result<Option<Uuid>, ServerError> {
    owner
        .map(|owner| {
            Uuid::parse_str(&owner)
                .map_err(|err| ServerError::Corrupt(format!("client owner {owner:?}: {err}")))
        })
        .transpose()
}

/// Where a client's pushes stand on the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientProgress {
    /// The last mutation id processed, 0 for a new client.
    pub last_mutation_id: u64,
    /// Answers up to this mutation id were deleted: the client had shown it
    /// held them, or it stayed away longer than answers are kept.
    pub answers_pruned_through: u64,
}

/// Where a client's pushes stand, read inside the push's transaction.
pub async fn client_progress(
    tx: &mut Tx,
    workspace: WorkspaceId,
    client_id: Uuid,
) -> Result<ClientProgress, ServerError> {
    let row: Option<(i64, i64)> = on_tx!(tx, |conn| {
        sqlx::query_as(
            "SELECT last_mutation_id, answers_pruned_through FROM sync_clients \
             WHERE workspace_id = $1 AND client_id = $2",
        )
        .bind(workspace.0.to_string())
        .bind(client_id.to_string())
        .fetch_optional(conn)
        .await?
    });
    let count = |id: i64| u64::try_from(id).unwrap_or(0);
    Ok(
        row.map_or_else(ClientProgress::default, |(last, pruned)| ClientProgress {
            last_mutation_id: count(last),
            answers_pruned_through: count(pruned),
        }),
    )
}

/// Deletes a client's answers below `first_unanswered`: a client pushes
/// from the oldest mutation it has no answer for, so it holds the answers
/// to every mutation before it and will never ask for them again.
pub async fn forget_answers_before(
    tx: &mut Tx,
    workspace: WorkspaceId,
    client_id: Uuid,
    first_unanswered: u64,
) -> Result<(), ServerError> {
    let below = to_sql_id(first_unanswered)?;
    on_tx!(tx, |conn| {
        sqlx::query(
            "DELETE FROM mutation_results WHERE workspace_id = $1 AND client_id = $2 AND mutation_id < $3",
        )
        .bind(workspace.0.to_string())
        .bind(client_id.to_string())
        .bind(below)
        .execute(&mut *conn)
        .await?;
        // A CASE rather than SQLite's two-argument max(), which
        // PostgreSQL spells greatest().
        sqlx::query(
            "UPDATE sync_clients SET answers_pruned_through = CASE \
             WHEN answers_pruned_through > $1 - 1 THEN answers_pruned_through ELSE $1 - 1 END \
             WHERE workspace_id = $2 AND client_id = $3",
        )
        .bind(below)
        .bind(workspace.0.to_string())
        .bind(client_id.to_string())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Deletes every answer kept for clients that have not pushed since
/// `idle_since`, so a device that went away for good costs no storage.
/// Returns how many answers were deleted.
pub async fn forget_answers_of_clients_idle_since(
    db: &Db,
    idle_since: DateTime<Utc>,
) -> Result<u64, ServerError> {
    let mut tx = db.begin_write().await?;
    let deleted = on_tx!(&mut tx, |conn| {
        let deleted = sqlx::query(
            "DELETE FROM mutation_results WHERE EXISTS (SELECT 1 FROM sync_clients AS client \
             WHERE client.workspace_id = mutation_results.workspace_id \
             AND client.client_id = mutation_results.client_id AND client.updated_at < $1)",
        )
        .bind(idle_since.to_rfc3339())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        sqlx::query(
            "UPDATE sync_clients SET answers_pruned_through = last_mutation_id WHERE updated_at < $1",
        )
        .bind(idle_since.to_rfc3339())
        .execute(conn)
        .await?;
        deleted
    });
    tx.commit().await?;
    Ok(deleted)
}

/// The answer first given to a mutation, for a retried push.
pub async fn stored_result(
    tx: &mut Tx,
    workspace: WorkspaceId,
    client_id: Uuid,
    mutation_id: u64,
) -> Result<Option<MutationResult>, ServerError> {
    let mutation_id = to_sql_id(mutation_id)?;
    let text: Option<String> = on_tx!(tx, |conn| {
        sqlx::query_scalar(
            "SELECT result FROM mutation_results WHERE workspace_id = $1 AND client_id = $2 AND mutation_id = $3",
        )
        .bind(workspace.0.to_string())
        .bind(client_id.to_string())
        .bind(mutation_id)
        .fetch_optional(conn)
        .await?
    });
    text.map(|text| {
        serde_json::from_str(&text)
            .map_err(|err| ServerError::Corrupt(format!("mutation result: {err}")))
    })
    .transpose()
}

/// Keeps the answers given to a push's mutations, in the same transaction
/// as their effects, so a retried push gets the same answers and a crash
/// keeps both or neither. Written a few hundred to a statement.
pub async fn record_results(
    tx: &mut Tx,
    workspace: WorkspaceId,
    client_id: Uuid,
    results: &[MutationResult],
) -> Result<(), ServerError> {
    // Four parameters a row; SQLite allows 32,766 a statement.
    for chunk in results.chunks(250) {
        let dialect = tx.dialect();
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let params: Vec<String> = (row * 4 + 1..=row * 4 + 4)
                    .map(|n| dialect.placeholder(n))
                    .collect();
                format!("({})", params.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO mutation_results (workspace_id, client_id, mutation_id, result) VALUES {}",
            rows.join(", ")
        );
        let mut values = Vec::with_capacity(chunk.len());
        for result in chunk {
            values.push((
                to_sql_id(result.id)?,
                serde_json::to_string(result)
                    .map_err(|err| ServerError::Corrupt(err.to_string()))?,
            ));
        }
        on_tx!(&mut *tx, |conn| {
            let mut query = sqlx::query(&sql);
            for (id, result) in &values {
                query = query
                    .bind(workspace.0.to_string())
                    .bind(client_id.to_string())
                    .bind(*id)
                    .bind(result.as_str());
            }
            query.execute(conn).await?;
        });
    }
    Ok(())
}

/// Moves a client's last processed mutation id forward, in the same
/// transaction as the mutations up to it; the client id becomes the
/// pusher's if no account owned it yet.
pub async fn record_last_mutation(
    tx: &mut Tx,
    workspace: WorkspaceId,
    client_id: Uuid,
    pusher: Uuid,
    mutation_id: u64,
    now: DateTime<Utc>,
) -> Result<(), ServerError> {
    let mutation_id = to_sql_id(mutation_id)?;
    on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO sync_clients (workspace_id, client_id, user_id, last_mutation_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (workspace_id, client_id) DO UPDATE SET last_mutation_id = excluded.last_mutation_id, \
             updated_at = excluded.updated_at, user_id = coalesce(sync_clients.user_id, excluded.user_id)",
        )
        .bind(workspace.0.to_string())
        .bind(client_id.to_string())
        .bind(pusher.to_string())
        .bind(mutation_id)
        .bind(now.to_rfc3339())
        .execute(conn)
        .await?;
    });
    Ok(())
}

/// Overwritten values kept for one record, oldest first, resolved or not.
pub async fn conflicts_of(
    db: &Db,
    workspace: WorkspaceId,
    entity: Entity,
    record_id: Uuid,
) -> Result<Vec<FieldConflict>, ServerError> {
    let conflicts: Vec<Record> = on_db!(db, |pool| {
        let rows = sqlx::query(
            "SELECT * FROM conflicts WHERE workspace_id = $1 AND record_entity = $2 AND record_id = $3 ORDER BY version",
        )
        .bind(workspace.0.to_string())
        .bind(entity.as_str())
        .bind(record_id.to_string())
        .fetch_all(pool)
        .await?;
        rows.iter()
            .map(|row| read_record(Entity::Conflict, row))
            .collect::<Result<_, _>>()?
    });
    conflicts
        .into_iter()
        .map(|conflict| {
            let json = |field: &str| -> Result<Value, ServerError> {
                serde_json::from_str(conflict.text(field).unwrap_or("null"))
                    .map_err(|err| ServerError::Corrupt(format!("conflict {field}: {err}")))
            };
            Ok(FieldConflict {
                field: conflict.text("field").unwrap_or_default().to_owned(),
                theirs: json("theirs")?,
                mine: json("mine")?,
            })
        })
        .collect()
}

/// Renders and measures the pull JSON of rows written before it was kept
/// (their `wire_json` is null): the database writes it with
/// [`Dialect::row_json`], the same members and values as [`wire_json`]
/// makes of rows saved since and as many bytes (the members in schema
/// order rather than serde's). Run at start-up, so a pull finds every row
/// rendered.
pub async fn render_old_rows(db: &Db) -> Result<(), ServerError> {
    let dialect = db.dialect();
    for entity in Entity::ALL {
        let json = dialect.row_json(entity);
        let sql = format!(
            "UPDATE {table} SET wire_json = {json}, wire_bytes = {length} WHERE wire_json IS NULL",
            table = table(entity),
            length = dialect.byte_length(&json),
        );
        on_db!(db, |pool| {
            sqlx::query(&sql).execute(pool).await?;
        });
    }
    Ok(())
}

/// One page of a pull: the rows as their wire JSON, the version of the
/// last of them (none on an empty page) and whether more are waiting.
pub struct Changes {
    pub rows: Box<RawValue>,
    pub last_version: Option<i64>,
    pub more: bool,
}

/// Rows of every entity changed after `cursor`, in version order, at most
/// `limit` rows and at most `max_bytes` of JSON (but always one row),
/// as the wire JSON each row keeps.
///
/// The rows of a page can sit in any of the entity tables. One statement
/// finds where the page ends from the version indexes alone; a second
/// joins exactly the page: the database merges the tables' rows in version
/// order and joins the JSON each row keeps (written with the row, see
/// [`save_all`]) into one array. A page thus crosses from the database as
/// one value, instead of thousands of rows of columns each decoded into
/// Rust values only to be encoded again. Keeping the JSON costs its bytes
/// on disk once more; rendering it per pull cost PostgreSQL most of a
/// pull's time (`to_json` of every column of every row).
pub async fn changed_since(
    db: &Db,
    workspace: WorkspaceId,
    cursor: i64,
    limit: u32,
    max_bytes: usize,
) -> Result<Changes, ServerError> {
    let (waiting, on_page, last): (i64, i64, Option<i64>) = on_db!(db, |pool| {
        sqlx::query_as(page_end_sql())
            .bind(workspace.0.to_string())
            .bind(cursor)
            .bind(i64::from(limit))
            .bind(i64::try_from(max_bytes).unwrap_or(i64::MAX))
            .fetch_one(pool)
            .await?
    });
    let Some(last) = last else {
        return Ok(Changes {
            rows: RawValue::from_string("[]".to_owned())
                .map_err(|err| ServerError::Corrupt(err.to_string()))?,
            last_version: None,
            more: false,
        });
    };
    let sql = page_sql(db.dialect());
    let page: String = on_db!(db, |pool| {
        sqlx::query_scalar(sql)
            .bind(workspace.0.to_string())
            .bind(cursor)
            .bind(last)
            .fetch_one(pool)
            .await?
    });
    Ok(Changes {
        rows: RawValue::from_string(page)
            .map_err(|err| ServerError::Corrupt(format!("a page of rows: {err}")))?,
        last_version: Some(last),
        more: waiting > on_page,
    })
}

/// How many rows wait after the cursor (counting to one past a page), how
/// many of them make the page and the version it ends at. Parameters:
/// workspace, cursor, page size in rows, page budget in bytes.
///
/// The waiting rows are found from the version indexes alone; only they
/// are then read for their size (`wire_bytes`), and the page ends at the
/// last row whose running total fits the budget. The first row always
/// goes, however large, so an oversized row travels alone. The same
/// statement on both backends (PostgreSQL wants every subquery named).
fn page_end_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let versions = every_table(|entity| {
            format!(
                "SELECT * FROM (SELECT version FROM {table} \
                 WHERE workspace_id = $1 AND version > $2 ORDER BY version LIMIT $3 + 1) AS {table}",
                table = table(entity)
            )
        });
        let sizes = every_table(|entity| {
            format!(
                "SELECT version, wire_bytes FROM {} WHERE workspace_id = $1 \
                 AND version > $2 AND version <= (SELECT max(version) FROM waiting)",
                table(entity)
            )
        });
        format!(
            "WITH waiting AS MATERIALIZED ({versions} ORDER BY version LIMIT $3 + 1), \
             running AS (SELECT version, row_number() OVER page AS n, sum(wire_bytes) OVER page AS total \
               FROM ({sizes}) AS sizes WINDOW page AS (ORDER BY version ROWS UNBOUNDED PRECEDING)) \
             SELECT (SELECT count(*) FROM waiting), count(*), max(version) FROM running \
             WHERE n <= $3 AND (total <= $4 OR n = 1)"
        )
    })
}

/// The statement that renders a page. Parameters: workspace, cursor, and
/// the version the page ends at.
fn page_sql(dialect: Dialect) -> &'static str {
    static SQLITE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static POSTGRES: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let sql = match dialect {
        Dialect::Sqlite => &SQLITE,
        Dialect::Postgres => &POSTGRES,
    };
    sql.get_or_init(|| {
        let rows = every_table(|entity| {
            format!(
                "SELECT version, wire_json AS body FROM {table} \
                 WHERE workspace_id = $1 AND version > $2 AND version <= $3",
                table = table(entity),
            )
        });
        // Each row keeps its JSON text: joining them needs no rendering
        // and no parsing.
        // The join keeps version order (see `Dialect::json_array_of`);
        // `tests/pull_rendering.rs` checks that order across interleaved
        // entities.
        format!(
            "SELECT {} FROM ({rows} ORDER BY version) AS page",
            dialect.json_array_of("body", "version")
        )
    })
}

/// One SELECT per entity table, as one compound statement.
fn every_table(select: impl Fn(Entity) -> String) -> String {
    Entity::ALL
        .into_iter()
        .map(select)
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

fn to_sql_id(mutation_id: u64) -> Result<i64, ServerError> {
    i64::try_from(mutation_id)
        .map_err(|_| ServerError::BadRequest("mutation id is too large".into()))
}
