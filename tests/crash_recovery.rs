//! Killing the real server binary mid-push loses and duplicates nothing.
#![cfg(feature = "ssr")]

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use uuid::Uuid;

const MUTATIONS: u64 = 3_000;
const BATCH: u64 = 100;

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

fn start(database_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_clientele"))
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts")
}

async fn push(http: &reqwest::Client, base: &str, body: &Value) -> Option<Value> {
    let response = http
        .post(format!("{base}/api/sync/push"))
        .json(body)
        .send()
        .await
        .ok()?;
    if !response.status().is_success() {
        return None;
    }
    response.json().await.ok()
}

/// Waits for a server-rendered page: static files only exist once
/// cargo-leptos has built the site, which a fresh checkout has not.
async fn wait_until_up(http: &reqwest::Client, base: &str) {
    for _ in 0..300 {
        if let Ok(response) = http.get(format!("{base}/login")).send().await {
            if response.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up");
}

fn batch(client: Uuid, first: u64) -> Value {
    let mutations: Vec<Value> = (first..first + BATCH)
        .map(|id| {
            json!({"id": id, "entity": "customer", "op": "upsert", "record_id": Uuid::now_v7(), "base_version": 0,
                   "fields": {"name": format!("Customer {id}"), "kind": "company", "status": "Prospect"}})
        })
        .collect();
    json!({"client_id": client, "mutations": mutations})
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_a_stream_of_pushes_loses_and_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("crash.db");
    let database_url = format!("sqlite://{}", path.display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .cookie_store(true)
        .build()
        .expect("client");
    let client = Uuid::now_v7();

    let mut server = start(&database_url, port);
    wait_until_up(&http, &base).await;
    // The session lives in SQLite, so it outlives the crash as well.
    let signed_up = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"email": "ada@example.test", "password": "correct horse battery", "workspace_name": "Crash"}))
        .send()
        .await
        .expect("sign-up");
    assert!(signed_up.status().is_success());
    let batches: Vec<Value> = (0..MUTATIONS / BATCH)
        .map(|n| batch(client, 1 + n * BATCH))
        .collect();
    let kill_during = batches.len() / 3;
    let mut next = 0;
    let mut restarts = 0;
    while next < batches.len() {
        if next == kill_during && restarts == 0 {
            // Send the batch and kill the server while it is applying it.
            let in_flight = {
                let http = http.clone();
                let base = base.clone();
                let body = batches[next].clone();
                tokio::spawn(async move { push(&http, &base, &body).await })
            };
            tokio::time::sleep(Duration::from_millis(15)).await;
            server.kill().expect("SIGKILL");
            server.wait().expect("reaped");
            let _ = in_flight.await;
            server = start(&database_url, port);
            wait_until_up(&http, &base).await;
            restarts += 1;
            continue; // the client does not know what was applied: it retries the batch
        }
        match push(&http, &base, &batches[next]).await {
            Some(reply) => {
                let last = (next as u64 + 1) * BATCH;
                assert_eq!(reply["last_mutation_id"], last, "{reply}");
                assert!(reply["results"]
                    .as_array()
                    .expect("results")
                    .iter()
                    .all(|result| result["status"] == "applied"));
                next += 1;
            }
            None => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    server.kill().expect("stop");
    server.wait().expect("reaped");

    let pool = clientele::server::db::open(&database_url)
        .await
        .expect("reopen");
    let customers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM customers")
        .fetch_one(&pool)
        .await
        .expect("count");
    let counter: i64 = sqlx::query_scalar(
        "SELECT change_counter FROM workspaces WHERE id = (SELECT workspace_id FROM users)",
    )
    .fetch_one(&pool)
    .await
    .expect("counter");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity");
    assert_eq!(restarts, 1);
    assert_eq!(customers, MUTATIONS as i64, "every mutation applied");
    assert_eq!(counter, MUTATIONS as i64, "and none applied twice");
    assert_eq!(integrity, "ok");
}
