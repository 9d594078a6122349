//! Killing the real server binary mid-push, again and again at random
//! moments, loses and duplicates nothing.
#![cfg(feature = "ssr")]

mod common;

use common::process::{free_port, start, wait_until_up};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use std::str::FromStr;
use std::time::Duration;
use uuid::Uuid;

/// Kills in one run; each lands at a random moment of a push.
const KILLS: usize = 50;
const BATCH: u64 = 100;

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

fn batch(client: Uuid, first: u64) -> Value {
    let mutations: Vec<Value> = (first..first + BATCH)
        .map(|id| {
            json!({"id": id, "entity": "customer", "op": "upsert", "record_id": Uuid::now_v7(), "base_version": 0,
                   "fields": {"name": format!("Customer {id}"), "kind": "company", "status": "Prospect"}})
        })
        .collect();
    json!({"client_id": client, "mutations": mutations})
}

/// What the database file says after a restart, read beside the server.
struct Inspection {
    integrity: String,
    customers: i64,
    counter: i64,
    last_mutation_id: i64,
}

async fn inspect(database_url: &str) -> Inspection {
    if database_url.starts_with("postgres") {
        return inspect_postgres(database_url).await;
    }
    let mut conn: SqliteConnection = SqliteConnectOptions::from_str(database_url)
        .expect("url")
        .read_only(true)
        .connect()
        .await
        .expect("a read-only connection");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity");
    let customers: i64 = sqlx::query_scalar("SELECT count(*) FROM customers")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    let counter: i64 = sqlx::query_scalar(
        "SELECT change_counter FROM workspaces WHERE id = (SELECT workspace_id FROM users)",
    )
    .fetch_one(&mut conn)
    .await
    .expect("counter");
    let last_mutation_id: i64 =
        sqlx::query_scalar("SELECT coalesce(max(last_mutation_id), 0) FROM sync_clients")
            .fetch_one(&mut conn)
            .await
            .expect("last mutation id");
    Inspection {
        integrity,
        customers,
        counter,
        last_mutation_id,
    }
}

/// [`inspect`] on PostgreSQL, which checks its own pages (there is no
/// `integrity_check` to ask): the counts are what the test compares.
async fn inspect_postgres(database_url: &str) -> Inspection {
    let mut conn: sqlx::PgConnection = sqlx::postgres::PgConnectOptions::from_str(database_url)
        .expect("url")
        .connect()
        .await
        .expect("a connection");
    let mut count = async |sql: &str| -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&mut conn)
            .await
            .expect(sql)
    };
    let customers = count("SELECT count(*) FROM customers").await;
    let counter =
        count("SELECT change_counter FROM workspaces WHERE id = (SELECT workspace_id FROM users)")
            .await;
    let last_mutation_id =
        count("SELECT coalesce(max(last_mutation_id), 0) FROM sync_clients").await;
    Inspection {
        integrity: "ok".to_owned(),
        customers,
        counter,
        last_mutation_id,
    }
}

/// The seed of this run: `CRASH_SEED` replays a failure, else the clock.
fn seed() -> u64 {
    std::env::var("CRASH_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs())
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_moments_of_pushes_loses_and_duplicates_nothing() {
    let seed = seed();
    eprintln!("crash test seed {seed} (replay with CRASH_SEED={seed})");
    let mut random = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = if common::on_postgres() {
        common::postgres::Cluster::shared().database()
    } else {
        format!("sqlite://{}", dir.path().join("crash.db").display())
    };
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
    // The session lives in the database, so it outlives the crashes as well.
    let signed_up = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"email": "ada@example.test", "password": "correct horse battery", "workspace_name": "Crash"}))
        .send()
        .await
        .expect("sign-up");
    assert!(signed_up.status().is_success());

    // How long a push takes here: kills land anywhere from its start to
    // a little past its end.
    let started = std::time::Instant::now();
    let reply = push(&http, &base, &batch(client, 1))
        .await
        .expect("a first push");
    let push_time = started.elapsed();
    assert_eq!(reply["last_mutation_id"], BATCH);
    let mut acknowledged = BATCH;
    let mut committed_before_kill = 0;
    for kill in 0..KILLS {
        let body = batch(client, acknowledged + 1);
        let in_flight = {
            let (http, base, body) = (http.clone(), base.clone(), body.clone());
            tokio::spawn(async move { push(&http, &base, &body).await })
        };
        let offset = push_time.mul_f64(random.random_range(0.0..1.3));
        tokio::time::sleep(offset).await;
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");
        let answered = in_flight.await.expect("push task").is_some();
        server = start(&database_url, port);
        wait_until_up(&http, &base).await;

        let after = inspect(&database_url).await;
        let context = format!("seed {seed}, kill {kill} at {offset:?} of a {push_time:?} push");
        assert_eq!(after.integrity, "ok", "{context}");
        let last = i64::try_from(acknowledged).expect("small");
        assert!(
            after.last_mutation_id >= last,
            "last_mutation_id went back: {context}"
        );
        let applied_now = after.last_mutation_id > last;
        if answered {
            assert!(applied_now, "an answered push was lost: {context}");
        }
        // A batch is applied whole or not at all, once.
        assert!(
            after.last_mutation_id == last || after.last_mutation_id == last + BATCH as i64,
            "half a batch: {context}"
        );
        assert_eq!(after.customers, after.last_mutation_id, "{context}");
        assert_eq!(
            after.counter, after.customers,
            "a mutation applied twice: {context}"
        );
        committed_before_kill += usize::from(applied_now);

        // The client never knew: it sends the batch again.
        let reply = push(&http, &base, &body)
            .await
            .expect("the retry is answered");
        acknowledged += BATCH;
        assert_eq!(
            reply["last_mutation_id"], acknowledged,
            "{context}: {reply}"
        );
        assert!(
            reply["results"]
                .as_array()
                .expect("results")
                .iter()
                .all(|result| result["status"] == "applied"),
            "{context}: {reply}"
        );
    }
    server.kill().expect("stop");
    server.wait().expect("reaped");

    let end = inspect(&database_url).await;
    assert_eq!(end.integrity, "ok");
    assert_eq!(end.customers, acknowledged as i64, "every mutation applied");
    assert_eq!(end.counter, acknowledged as i64, "and none applied twice");
    eprintln!(
        "{KILLS} kills survived ({committed_before_kill} after the push committed, {} before); push took {push_time:?}",
        KILLS - committed_before_kill
    );
}
