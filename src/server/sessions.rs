//! The session table, written so that signing in never fails for being
//! concurrent with a push.
//!
//! `SqliteStore::create` reads, then writes, inside a deferred transaction.
//! When another connection commits in between (a colleague's push), SQLite
//! cannot upgrade the stale read and answers "database is locked" at once,
//! without waiting: the sign-in fails. Here every write is one statement,
//! which waits its turn for the write lock like any other.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion};
use tower_sessions::SessionStore;
use tower_sessions_sqlx_store::SqliteStore;

/// Sessions in the app's SQLite file; see the module docs for why this is
/// not `SqliteStore` itself.
#[derive(Clone, Debug)]
pub struct SessionTable(SqliteStore);

impl SessionTable {
    /// Wraps the store of `pool`'s session table.
    pub fn new(pool: sqlx::SqlitePool) -> Self {
        Self(SqliteStore::new(pool))
    }

    /// Creates the session table if it is missing.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        self.0.migrate().await
    }
}

#[async_trait]
impl SessionStore for SessionTable {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; the check keeps a collision from ever
        // taking over someone else's session all the same.
        while self.0.load(&record.id).await?.is_some() {
            record.id = Id::default();
        }
        self.0.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.0.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.0.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0.delete(id).await
    }
}

#[async_trait]
impl ExpiredDeletion for SessionTable {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.0.delete_expired().await
    }
}
