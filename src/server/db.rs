//! Opening the SQLite database: WAL, foreign keys, migrations.

use super::error::ServerError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Where the data lives when `DATABASE_URL` is not set: one file, no server to start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/clientele.db";

/// Opens (creating if needed) the database at `url` and brings its schema up to date.
///
/// WAL lets pulls read while a push writes. `synchronous = FULL` syncs the
/// WAL at every commit, so a push the server answered survives power loss:
/// the browser drops a mutation from its outbox once it is answered, and
/// with `NORMAL` an OS crash could roll back commits already answered.
/// One push is one commit, so the extra sync costs a push, not a mutation.
pub async fn open(url: &str) -> Result<SqlitePool, ServerError> {
    open_with(SqliteConnectOptions::from_str(url)?).await
}

/// [`open`] with connection options of the caller's: a test caps the
/// file's size with them (`max_page_count`) to see a full disk.
pub async fn open_with(options: SqliteConnectOptions) -> Result<SqlitePool, ServerError> {
    let options = options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    if let Some(parent) = Path::new(options.get_filename()).parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(|err| {
                ServerError::Startup(format!("cannot create {}: {err}", parent.display()))
            })?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    sqlx::migrate!()
        .run(&pool)
        .await
        .map_err(|err| ServerError::Startup(format!("migrating the database failed: {err}")))?;
    super::repository::measure_rows(&pool).await?;
    Ok(pool)
}
