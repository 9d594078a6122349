//! The session table, written so that signing in never fails for being
//! concurrent with a push.
//!
//! `SqliteStore::create` reads, then writes, inside a deferred transaction.
//! When another connection commits in between (a colleague's push), SQLite
//! cannot upgrade the stale read and answers "database is locked" at once,
//! without waiting: the sign-in fails. Here every write is one statement,
//! which waits its turn for the write lock like any other.

use super::repository::Db;
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::SessionStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// Sessions in the app's database; see the module docs for why this is
/// not `SqliteStore` itself. On PostgreSQL the sessions live in the
/// database every server shares, so a sign-in on one server is valid on
/// all of them.
#[derive(Clone, Debug)]
pub struct SessionTable(Store);

#[derive(Clone, Debug)]
enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

/// Runs the same call on whichever store the table wraps.
macro_rules! on_store {
    ($table:expr, |$store:ident| $body:expr) => {
        match &$table.0 {
            Store::Sqlite($store) => $body,
            Store::Postgres($store) => $body,
        }
    };
}

impl SessionTable {
    /// Wraps the store of the session table in `db`.
    pub fn new(db: Db) -> Self {
        Self(match db {
            Db::Sqlite(pool) => Store::Sqlite(SqliteStore::new(pool)),
            Db::Postgres(pool) => Store::Postgres(PostgresStore::new(pool)),
        })
    }

    /// Creates the session table if it is missing.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        on_store!(self, |store| store.migrate().await)
    }
}

#[async_trait]
impl SessionStore for SessionTable {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; the check keeps a collision from ever
        // taking over someone else's session all the same.
        while self.load(&record.id).await?.is_some() {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        on_store!(self, |store| store.save(record).await)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        on_store!(self, |store| store.load(id).await)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        on_store!(self, |store| store.delete(id).await)
    }
}

#[async_trait]
impl ExpiredDeletion for SessionTable {
    async fn delete_expired(&self) -> session_store::Result<()> {
        on_store!(self, |store| store.delete_expired().await)
    }
}
