//! Opening the database, SQLite (WAL, foreign keys) or PostgreSQL, and
//! bringing its schema up to date.

use super::error::ServerError;
use super::repository::{self, Db};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

/// Where the data lives when `DATABASE_URL` is not set: one file, no server to start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/clientele.db";

/// The `DATABASE_URL` schemes the server runs on, named when another is given.
pub const SUPPORTED_SCHEMES: &[&str] = &["sqlite", "postgres", "postgresql"];

/// Refuses a `DATABASE_URL` whose scheme the server does not run on.
///
/// sqlx's SQLite options take anything without a `sqlite:` prefix for a
/// file path: `postgres://user@host/db` became a SQLite file in a new
/// folder `postgres:`, and the server ran on it without a word. Only the
/// scheme is named in the error, never the rest (it may hold a password).
pub fn check_scheme(url: &str) -> Result<(), ServerError> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme);
    match scheme {
        Some(scheme) if SUPPORTED_SCHEMES.contains(&scheme) => Ok(()),
        _ => {
            let given = match scheme {
                Some(scheme) if !scheme.is_empty() && !scheme.contains(['/', '@']) => {
                    format!("the scheme \"{scheme}:\"")
                }
                _ => "a value without a scheme".to_owned(),
            };
            let supported: Vec<String> = SUPPORTED_SCHEMES
                .iter()
                .map(|scheme| format!("{scheme}://"))
                .collect();
            Err(ServerError::Startup(format!(
                "DATABASE_URL has {given}, which this server does not support; supported: {} (for example {DEFAULT_DATABASE_URL})",
                supported.join(", ")
            )))
        }
    }
}

/// `url` as it may be printed: without its password, which a log or a
/// terminal must never show.
pub fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Fails only for URLs that cannot hold a password at all.
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => url.split_once("://").map_or_else(
            || "a DATABASE_URL".to_owned(),
            |(scheme, _)| format!("{scheme}://..."),
        ),
    }
}

/// Opens the database at `url` (`sqlite://` or `postgres://`) and brings
/// its schema up to date.
///
/// A SQLite file is created if missing. A PostgreSQL database must exist;
/// its tables are made by its own migrations (`migrations/postgres`).
///
/// WAL lets pulls read while a push writes. `synchronous = FULL` syncs the
/// WAL at every commit, so a push the server answered survives power loss:
/// the browser drops a mutation from its outbox once it is answered, and
/// with `NORMAL` an OS crash could roll back commits already answered.
/// One push is one commit, so the extra sync costs a push, not a mutation.
pub async fn open(url: &str) -> Result<Db, ServerError> {
    check_scheme(url)?;
    if url.starts_with("postgres") {
        open_postgres(PgConnectOptions::from_str(url)?).await
    } else {
        open_with(SqliteConnectOptions::from_str(url)?).await
    }
}

/// Connects to PostgreSQL and runs its migrations.
///
/// Several servers may start at once against one database: sqlx takes an
/// advisory lock around the migrations, so one runs them and the others
/// wait and find them applied.
pub async fn open_postgres(options: PgConnectOptions) -> Result<Db, ServerError> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/postgres")
        .run(&pool)
        .await
        .map_err(|err| ServerError::Startup(format!("migrating the database failed: {err}")))?;
    let db = Db::Postgres(pool);
    super::owners::adopt_owners(&db).await?;
    repository::render_old_rows(&db).await?;
    Ok(db)
}

/// [`open`] with connection options of the caller's: a test caps the
/// file's size with them (`max_page_count`) to see a full disk.
pub async fn open_with(options: SqliteConnectOptions) -> Result<Db, ServerError> {
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
    let db = Db::Sqlite(pool);
    super::owners::adopt_owners(&db).await?;
    repository::render_old_rows(&db).await?;
    Ok(db)
}

#[cfg(test)]
mod tests {
    use super::{check_scheme, without_password};

    #[test]
    fn a_printed_database_url_hides_its_password_and_keeps_the_rest() {
        assert_eq!(
            without_password("postgres://sales:s3cret@db.example:5432/clientele"),
            "postgres://sales:***@db.example:5432/clientele"
        );
        assert_eq!(
            without_password("postgres://sales@db.example/clientele"),
            "postgres://sales@db.example/clientele"
        );
        assert_eq!(
            without_password("sqlite://data/clientele.db"),
            "sqlite://data/clientele.db"
        );
        assert!(!without_password("postgres://a:b@[bad/x").contains('b'));
    }

    #[test]
    fn sqlite_and_postgres_urls_pass_the_scheme_check() {
        for url in [
            "sqlite://data/clientele.db",
            "sqlite::memory:",
            "sqlite:x.db",
        ] {
            assert!(check_scheme(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn other_schemes_are_refused_naming_the_supported_ones_and_not_the_password() {
        for url in [
            "mysql://user:secret@host/db",
            "postgress://user:secret@host/db",
            "data/clientele.db",
            "",
        ] {
            let message = check_scheme(url).expect_err(url).to_string();
            assert!(message.contains("sqlite://"), "{message}");
            assert!(message.contains("postgres://"), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
        let message = check_scheme("mysql://user@host/db")
            .expect_err("mysql")
            .to_string();
        assert!(message.contains("\"mysql:\""), "{message}");
    }
}
