//! Shared test fixtures: a real database (a SQLite file, or with
//! `TEST_DATABASE=postgres` a PostgreSQL database) and an in-process server
//! transport, and (in `records`) records made and read through devices.
#![allow(dead_code)] // each test binary uses a different part of the fixtures

pub mod http;
pub mod postgres;
pub mod process;
pub mod records;

use clientele::server::repository::Db;
use clientele::server::{db, pull, push, DEFAULT_WORKSPACE};
use clientele::sync::{
    Engine, MemoryStore, PullRequest, PullResponse, PushRequest, PushResponse, Transport,
    TransportError,
};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::rc::Rc;
use tempfile::TempDir;
use uuid::Uuid;

/// The account in-process devices push as: they all share one member of
/// the default workspace, as one person's laptop and tablet would.
pub const MEMBER: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_00aa);

/// Which database the suites run on: PostgreSQL when `TEST_DATABASE` is
/// `postgres`, else SQLite. CI runs the suites once for each.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE").is_ok_and(|backend| backend == "postgres")
}

/// A fresh database, gone with the returned directory: a SQLite file in
/// it, or on PostgreSQL a new database in the suite's throwaway cluster
/// (whose address the directory keeps for [`database_url`]).
pub async fn database() -> (Db, TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    if on_postgres() {
        let url = postgres::Cluster::shared().database();
        std::fs::write(dir.path().join(POSTGRES_URL_FILE), &url).expect("keep the address");
    }
    let pool = db::open(&database_url(&dir)).await.expect("database opens");
    (pool, dir)
}

const POSTGRES_URL_FILE: &str = "postgres-url";

/// The address of the database [`database`] made in `dir`: a test that
/// restarts the server reopens the same database with it.
pub fn database_url(dir: &TempDir) -> String {
    match std::fs::read_to_string(dir.path().join(POSTGRES_URL_FILE)) {
        Ok(url) => url,
        Err(_) => format!("sqlite://{}", dir.path().join("test.db").display()),
    }
}

/// How the simulated network behaves for the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    Up,
    Down,
    /// The server applies the next push but the answer never arrives.
    LoseNextPushReply,
}

/// How every test device names itself to the server, for the history.
pub const TEST_DEVICE: &str = "Test device";

/// Calls the server's push and pull code directly, over a switchable "network".
#[derive(Clone)]
pub struct InProcess {
    pool: Db,
    pub network: Rc<Cell<Network>>,
}

impl InProcess {
    pub fn new(pool: &Db) -> Self {
        Self {
            pool: pool.clone(),
            network: Rc::new(Cell::new(Network::Up)),
        }
    }
}

impl Transport for InProcess {
    async fn push(&self, request: PushRequest) -> Result<PushResponse, TransportError> {
        match self.network.get() {
            Network::Down => Err(TransportError::Unreachable("offline".into())),
            network => {
                let response = push::push(
                    &self.pool,
                    DEFAULT_WORKSPACE,
                    MEMBER,
                    clientele::domain::Role::Member,
                    request.client_id,
                    &request.mutations,
                    Some(TEST_DEVICE),
                )
                .await
                .map_err(|err| TransportError::Refused(err.to_string()))?;
                if network == Network::LoseNextPushReply {
                    self.network.set(Network::Up);
                    return Err(TransportError::Unreachable("connection reset".into()));
                }
                Ok(response)
            }
        }
    }

    async fn pull(&self, request: PullRequest) -> Result<PullResponse, TransportError> {
        if self.network.get() == Network::Down {
            return Err(TransportError::Unreachable("offline".into()));
        }
        pull::pull(&self.pool, DEFAULT_WORKSPACE, request.cursor, request.limit)
            .await
            .map_err(|err| TransportError::Refused(err.to_string()))?
            .decode()
            .map_err(|err| TransportError::Refused(err.to_string()))
    }
}

pub type TestEngine = Engine<MemoryStore, InProcess>;

/// A client device with an empty local store.
pub async fn device(pool: &Db) -> TestEngine {
    Engine::open(MemoryStore::default(), InProcess::new(pool), Uuid::now_v7())
        .await
        .expect("engine opens")
}

/// The same device after a reload: a new engine over what the store kept.
pub async fn reload(engine: TestEngine, pool: &Db) -> TestEngine {
    let client_id = engine.client_id();
    let snapshot = engine.store().snapshot();
    Engine::open(MemoryStore::from(snapshot), InProcess::new(pool), client_id)
        .await
        .expect("engine reopens")
}

/// Builds a field map from a JSON object literal.
pub fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("a JSON object")
}

/// Runs `$body` on the pool of a `Db`, once per backend, for the few
/// tests that read the database with SQL of their own.
#[macro_export]
macro_rules! on_test_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            clientele::server::repository::Db::Sqlite($pool) => $body,
            clientele::server::repository::Db::Postgres($pool) => $body,
        }
    };
}

/// One integer from SQL of the test's own (`$1`-style text parameters).
pub async fn query_i64(db: &Db, sql: &str, binds: &[String]) -> i64 {
    on_test_db!(db, |pool| {
        let mut query = sqlx::query_scalar(sql);
        for bind in binds {
            query = query.bind(bind.as_str());
        }
        query.fetch_one(pool).await.expect(sql)
    })
}

/// One text from SQL of the test's own (`$1`-style text parameters).
pub async fn query_text(db: &Db, sql: &str, binds: &[String]) -> String {
    on_test_db!(db, |pool| {
        let mut query = sqlx::query_scalar(sql);
        for bind in binds {
            query = query.bind(bind.as_str());
        }
        query.fetch_one(pool).await.expect(sql)
    })
}

/// Runs a statement of the test's own (`$1`-style text parameters): a
/// database as an older server left it.
pub async fn execute(db: &Db, sql: &str, binds: &[String]) {
    on_test_db!(db, |pool| {
        let mut query = sqlx::query(sql);
        for bind in binds {
            query = query.bind(bind.as_str());
        }
        query.execute(pool).await.expect(sql);
    })
}
