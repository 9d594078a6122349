//! The two databases the repository runs on, SQLite and PostgreSQL, and the
//! few pieces of SQL that differ between them.
//!
//! Every repository function is written once. Its statements use `$1`-style
//! placeholders, which both sqlx drivers accept (those with thousands of
//! parameters take theirs from [`Dialect::placeholder`]), and run through
//! [`on_tx!`] or [`on_db!`]: the macro repeats the one body for each
//! backend's connection type, so the compiler checks it against both and
//! nothing is copied by hand. Where the SQL itself must differ, the
//! difference is a method of [`Dialect`], here and nowhere else.

use crate::domain::{Entity, FieldKind};
use crate::server::error::ServerError;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{PgPool, Postgres, Row, Sqlite, SqlitePool, Transaction};

/// The server's database: a SQLite file, or a PostgreSQL shared by any
/// number of servers. Cloning shares the pool.
#[derive(Clone, Debug)]
pub enum Db {
    /// One file, one server: the default.
    Sqlite(SqlitePool),
    /// One database, any number of servers.
    Postgres(PgPool),
}

/// A write transaction on either backend; dropped without [`Tx::commit`],
/// it rolls back.
pub enum Tx {
    /// A transaction on the SQLite file.
    Sqlite(Transaction<'static, Sqlite>),
    /// A transaction on PostgreSQL.
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` on the connection of a [`Tx`], once per backend: `$conn`
/// is a `&mut SqliteConnection` in one arm and a `&mut PgConnection` in
/// the other, so one body is checked against both drivers.
macro_rules! on_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::server::repository::backend::Tx::Sqlite(tx) => {
                let $conn: &mut sqlx::SqliteConnection = &mut *tx;
                $body
            }
            $crate::server::repository::backend::Tx::Postgres(tx) => {
                let $conn: &mut sqlx::PgConnection = &mut *tx;
                $body
            }
        }
    };
}

/// Runs `$body` on the pool of a [`Db`], once per backend (see [`on_tx!`]).
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::server::repository::backend::Db::Sqlite($pool) => $body,
            $crate::server::repository::backend::Db::Postgres($pool) => $body,
        }
    };
}

pub(crate) use {on_db, on_tx};

impl Db {
    /// Which SQL this database speaks where the two differ.
    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a write transaction.
    ///
    /// On SQLite it takes the file's write lock first (`BEGIN IMMEDIATE`),
    /// so two writers wait for each other instead of failing to upgrade a
    /// read lock. PostgreSQL has no database-wide write lock: a write that
    /// must be alone in its workspace takes the workspace's row lock (see
    /// [`Dialect::lock_workspace`]).
    pub async fn begin_write(&self) -> Result<Tx, ServerError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Starts a transaction that only reads: it takes no lock, so it never
    /// waits for a push.
    pub async fn begin_read(&self) -> Result<Tx, ServerError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Closes every connection; the server's last step.
    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

impl Tx {
    /// Which SQL this transaction's database speaks.
    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Makes every write of the transaction durable.
    pub async fn commit(self) -> Result<(), ServerError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

impl From<SqlitePool> for Db {
    fn from(pool: SqlitePool) -> Self {
        Db::Sqlite(pool)
    }
}

impl From<PgPool> for Db {
    fn from(pool: PgPool) -> Self {
        Db::Postgres(pool)
    }
}

/// The SQL that differs between the backends, all in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite 3 as bundled by sqlx.
    Sqlite,
    /// PostgreSQL 15 or newer.
    Postgres,
}

impl Dialect {
    /// What reads the workspace's change counter at the start of a push.
    ///
    /// On PostgreSQL it also locks the workspace's row until the push
    /// commits: two servers pushing to one workspace then take turns, as
    /// SQLite's file lock makes pushes on one server take turns. Row locks
    /// rather than serializable transactions because every push writes the
    /// counter row: under serializable isolation concurrent pushes to one
    /// workspace would nearly always conflict and retry, doing the work
    /// twice, where the lock makes the second simply wait.
    pub fn read_counter_for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SELECT change_counter FROM workspaces WHERE id = $1",
            Dialect::Postgres => "SELECT change_counter FROM workspaces WHERE id = $1 FOR UPDATE",
        }
    }

    /// What ends a SELECT that locks the rows it reads until the
    /// transaction ends: nothing on SQLite, whose write transactions
    /// already hold the whole file.
    pub fn for_update(self) -> &'static str {
        match self {
            Dialect::Sqlite => "",
            Dialect::Postgres => " FOR UPDATE",
        }
    }

    /// The placeholder of parameter `n` (from 1) in a statement with many
    /// parameters, each bound once, in order.
    ///
    /// SQLite gets anonymous `?`: it finds the name of a numbered or named
    /// parameter (`$7`, `?7`) by walking a list of all of them, so binding
    /// a statement of n of them takes time in n squared: a push writing a
    /// few hundred rows to a statement spent most of its time there.
    /// PostgreSQL only takes `$n`.
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => "?".to_owned(),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The condition that `column` is one of the texts of the JSON array
    /// given as parameter `$n`.
    ///
    /// On PostgreSQL the array is unpacked once, before the scan
    /// (`ARRAY(...)` is an init plan), so the lookup walks the index: as
    /// `IN (SELECT ...)` the planner guessed a hundred ids, chose to scan
    /// the workspace's rows, and took seconds on a large workspace.
    pub fn in_json_text_array(self, column: &str, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("{column} IN (SELECT value FROM json_each(${n}))"),
            Dialect::Postgres => {
                format!("{column} = ANY(ARRAY(SELECT json_array_elements_text(${n}::json)))")
            }
        }
    }

    /// The byte length of a text expression.
    pub fn byte_length(self, text: &str) -> String {
        match self {
            Dialect::Sqlite => format!("length(CAST({text} AS BLOB))"),
            Dialect::Postgres => format!("octet_length({text})"),
        }
    }

    /// Joins the text `row` of every row, in `order`, into one JSON array.
    pub fn json_array_of(self, row: &str, order: &str) -> String {
        match self {
            // SQLite runs an ordered compound as a co-routine feeding the
            // aggregate row by row, so the join keeps the order given by
            // the subquery's ORDER BY.
            Dialect::Sqlite => format!("'[' || group_concat({row}, ',') || ']'"),
            Dialect::Postgres => format!("'[' || string_agg({row}, ',' ORDER BY {order}) || ']'"),
        }
    }

    /// The SQL expression for one row of `entity` as the wire JSON of a
    /// [`crate::sync::PulledRow`]: the text `serde_json` makes of the
    /// record `read_record` reads (a test holds the two to the same output).
    ///
    /// SQLite's `json_object` writes compact JSON. PostgreSQL's
    /// `json_build_object` puts spaces around the colons, so there the
    /// object is joined from each member's JSON text (`to_json` escapes a
    /// string as `serde_json` does).
    pub fn row_json(self, entity: Entity) -> String {
        // Stored as `to_rfc3339` writes UTC ("+00:00"); serde writes "Z".
        let utc = |column: &str| {
            format!(
                "CASE WHEN {column} LIKE '%+00:00' \
                 THEN substr({column}, 1, length({column}) - 6) || 'Z' ELSE {column} END"
            )
        };
        let flag = |column: &str| format!("(CASE WHEN {column} THEN 'true' ELSE 'false' END)");
        match self {
            Dialect::Sqlite => {
                let flag = |column: &str| format!("json({})", flag(column));
                let mut members = vec![
                    "'id', id".to_owned(),
                    "'version', version".to_owned(),
                    format!("'deleted', {}", flag("deleted")),
                    format!("'created_at', {}", utc("created_at")),
                    format!("'updated_at', {}", utc("updated_at")),
                ];
                for spec in entity.fields() {
                    let name = spec.name;
                    members.push(match spec.kind {
                        FieldKind::Flag => format!("'{name}', {}", flag(name)),
                        _ => format!("'{name}', {name}"),
                    });
                }
                format!(
                    "json_object('entity', '{entity}', 'record', json_object({}))",
                    members.join(", ")
                )
            }
            Dialect::Postgres => {
                let text =
                    |expression: &str| format!("coalesce(to_json({expression})::text, 'null')");
                let mut members = vec![
                    format!("'\"id\":' || {}", text("id")),
                    "',\"version\":' || version::text".to_owned(),
                    format!("',\"deleted\":' || {}", flag("deleted")),
                    format!("',\"created_at\":' || {}", text(&utc("created_at"))),
                    format!("',\"updated_at\":' || {}", text(&utc("updated_at"))),
                ];
                for spec in entity.fields() {
                    let name = spec.name;
                    let value = match spec.kind {
                        FieldKind::Flag => flag(name),
                        kind if kind.is_number() => format!("coalesce({name}::text, 'null')"),
                        _ => text(name),
                    };
                    members.push(format!("',\"{name}\":' || {value}"));
                }
                format!(
                    "('{{\"entity\":\"{entity}\",\"record\":{{' || {} || '}}}}')",
                    members.join(" || ")
                )
            }
        }
    }
}

/// Reading a column by name from a row of either backend.
pub trait ReadRow {
    /// A text column, `None` for NULL.
    fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    /// An integer column, `None` for NULL.
    fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    /// A flag column (an integer on SQLite, a BOOLEAN on PostgreSQL).
    fn flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error>;
}

macro_rules! read_row {
    ($row:ty) => {
        impl ReadRow for $row {
            fn text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn int(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
            fn flag(&self, column: &str) -> Result<Option<bool>, sqlx::Error> {
                self.try_get(column)
            }
        }
    };
}

read_row!(SqliteRow);
read_row!(PgRow);
