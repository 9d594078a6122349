//! A full disk: a push fails whole with a 5xx the client retries, pulls
//! go on, and once there is room again the queued edits land.
#![cfg(feature = "ssr")]

mod common;

use clientele::server::auth::AttemptLimits;
use clientele::server::db;
use clientele::server::repository::Db;
use clientele::server::security::TrustedProxies;
use common::http::{serve_on, Client, PASSWORD};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::SqlitePool;
use std::str::FromStr;
use tokio::sync::oneshot;
use uuid::Uuid;

/// A server on a free port over `pool`, stopped by dropping the sender.
async fn start(pool: Db) -> (String, oneshot::Sender<()>) {
    serve_on(pool, TrustedProxies::default(), AttemptLimits::default()).await
}

/// The file under `db`: this suite caps a SQLite file's size, which has no
/// PostgreSQL counterpart (a full volume there is the database's own
/// affair), so it runs on SQLite only.
fn file(db: &Db) -> &SqlitePool {
    match db {
        Db::Sqlite(pool) => pool,
        Db::Postgres(_) => unreachable!("the disk-full test opens SQLite files only"),
    }
}

async fn count(pool: &Db, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(file(pool))
        .await
        .expect("a count")
}

/// What a half-applied push would change.
async fn footprint(pool: &Db) -> [i64; 3] {
    [
        count(pool, "SELECT count(*) FROM customers").await,
        count(pool, "SELECT max(change_counter) FROM workspaces").await,
        count(
            pool,
            "SELECT coalesce(max(last_mutation_id), 0) FROM sync_clients",
        )
        .await,
    ]
}

fn customers(first: u64, count: u64, notes: &str) -> Vec<Value> {
    (first..first + count)
        .map(|id| {
            json!({"id": id, "entity": "customer", "op": "upsert", "record_id": Uuid::now_v7(),
                   "base_version": 0, "fields": {"name": format!("Customer {id}"), "kind": "company",
                   "status": "Prospect", "notes": notes}})
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_fails_a_push_whole_keeps_pulls_going_and_the_retry_lands_later() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("full.db").display());
    let device = Uuid::now_v7();

    // A member signs up and syncs a first customer while there is room.
    let roomy = db::open(&url).await.expect("database");
    let (base, stop) = start(roomy.clone()).await;
    let member = Client {
        base,
        http: reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client"),
    };
    let (status, reply) = member
        .post(
            "/api/auth/signup",
            json!({"email": "ada@example.test", "password": PASSWORD, "workspace_name": "Full"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = member
        .post(
            "/api/sync/push",
            json!({"client_id": device, "mutations": customers(1, 1, "first")}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let pages = count(&roomy, "PRAGMA page_count").await;
    drop(stop);
    roomy.close().await;

    // The disk fills up: the file may grow by a few pages only.
    let capped = db::open_with(
        SqliteConnectOptions::from_str(&url)
            .expect("url")
            .pragma("max_page_count", (pages + 8).to_string()),
    )
    .await
    .expect("capped database");
    let before = footprint(&capped).await;
    let (base, stop) = start(capped.clone()).await;
    let member = Client { base, ..member };
    let queued = json!({"client_id": device, "mutations": customers(2, 40, &"n".repeat(19_000))});
    let (status, reply) = member.post("/api/sync/push", queued.clone()).await;
    assert!(
        status >= 500,
        "a full disk answers 5xx, got {status}: {reply}"
    );
    assert!(
        !reply.to_string().contains("full"),
        "the cause stays in the server's log: {reply}"
    );
    assert_eq!(footprint(&capped).await, before, "nothing half applied");
    let (status, page) = member
        .post("/api/sync/pull", json!({"client_id": device, "cursor": 0}))
        .await;
    assert_eq!(status, 200, "pulls go on: {page}");
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(1));
    drop(stop);
    capped.close().await;

    // Room again: the client's retry of the same push lands, once.
    let roomy = db::open(&url).await.expect("database");
    let (base, _stop) = start(roomy.clone()).await;
    let member = Client { base, ..member };
    let (status, reply) = member.post("/api/sync/push", queued).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["last_mutation_id"], 41);
    assert_eq!(footprint(&roomy).await, [41, 41, 41]);
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(file(&roomy))
        .await
        .expect("integrity");
    assert_eq!(integrity, "ok");
}
