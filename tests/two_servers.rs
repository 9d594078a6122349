//! Two server processes on one PostgreSQL: pushes for one workspace go to
//! either at the same moment, one server is killed mid-way, and still
//! every acknowledged mutation is applied exactly once, the change counter
//! hands out no number twice and both servers serve the same rows.
//!
//! PostgreSQL only, whatever `TEST_DATABASE` says: two servers cannot
//! share a SQLite file.
#![cfg(feature = "ssr")]

mod common;

use common::postgres::Cluster;
use common::process::{free_port, start, wait_until_up};
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};
use std::collections::HashSet;
use std::process::Child;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const CLIENTS: usize = 3;
const BATCHES: u64 = 30;
const BATCH: u64 = 20;

fn batch(client: Uuid, first: u64) -> (Value, Vec<Uuid>) {
    let ids: Vec<Uuid> = (0..BATCH).map(|_| Uuid::now_v7()).collect();
    let mutations: Vec<Value> = ids
        .iter()
        .zip(first..)
        .map(|(record, id)| {
            json!({"id": id, "entity": "customer", "op": "upsert", "record_id": record, "base_version": 0,
                   "fields": {"name": format!("Customer {client} {id}"), "kind": "company", "status": "Prospect"}})
        })
        .collect();
    (json!({"client_id": client, "mutations": mutations}), ids)
}

/// A server process, killed when the test ends however it ends.
struct Server(Child);

impl Server {
    fn start(database_url: &str, port: u16) -> Self {
        Self(start(database_url, port))
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Why a push got no answer to keep.
#[derive(Debug)]
enum Unanswered {
    /// No server there, or it died before answering.
    Unreachable,
    /// A server answered with an error: two pushes got in each other's way.
    Refused(String),
}

/// Sends one push.
async fn push(http: &reqwest::Client, base: &str, body: &Value) -> Result<Value, Unanswered> {
    let response = http
        .post(format!("{base}/api/sync/push"))
        .json(body)
        .send()
        .await
        .map_err(|_| Unanswered::Unreachable)?;
    let status = response.status();
    let text = response.text().await.map_err(|_| Unanswered::Unreachable)?;
    if !status.is_success() {
        return Err(Unanswered::Refused(format!("{status}: {text}")));
    }
    serde_json::from_str(&text).map_err(|_| Unanswered::Unreachable)
}

/// Every row a server sends from cursor 0, page after page.
async fn pull_all(http: &reqwest::Client, base: &str, client: Uuid) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut cursor = 0;
    loop {
        let page: Value = http
            .post(format!("{base}/api/sync/pull"))
            .json(&json!({"client_id": client, "cursor": cursor}))
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("a page");
        rows.extend(page["rows"].as_array().expect("rows").iter().cloned());
        cursor = page["cursor"].as_i64().expect("cursor");
        if page["more"] != true {
            return rows;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_on_one_postgres_apply_every_acknowledged_push_once_even_when_one_is_killed() {
    let cluster = Cluster::start();
    let database_url = cluster.database();
    let ports = [free_port(), free_port()];
    let bases: Vec<String> = ports
        .iter()
        .map(|port| format!("http://127.0.0.1:{port}"))
        .collect();
    // Cookies belong to the host, not the port: one sign-in, made on the
    // first server, is what every request to either server carries.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .cookie_store(true)
        .build()
        .expect("client");
    let mut first = Server::start(&database_url, ports[0]);
    wait_until_up(&http, &bases[0]).await;
    let second = Server::start(&database_url, ports[1]);
    wait_until_up(&http, &bases[1]).await;
    let signed_up = http
        .post(format!("{}/api/auth/signup", bases[0]))
        .json(&json!({"email": "ada@example.test", "password": "correct horse battery", "workspace_name": "Two"}))
        .send()
        .await
        .expect("sign-up");
    assert!(signed_up.status().is_success());
    let me: Value = http
        .post(format!("{}/api/auth/me", bases[1]))
        .json(&json!({}))
        .send()
        .await
        .expect("who am I")
        .json()
        .await
        .expect("an account");
    assert_eq!(
        me["email"], "ada@example.test",
        "signed in on the second server too: {me}"
    );

    let first_down = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicU64::new(0));
    let clients: Vec<Uuid> = (0..CLIENTS).map(|_| Uuid::now_v7()).collect();
    let mut devices = Vec::new();
    for (n, &client) in clients.iter().enumerate() {
        let (http, bases, first_down, answered) = (
            http.clone(),
            bases.clone(),
            Arc::clone(&first_down),
            Arc::clone(&answered),
        );
        devices.push(tokio::spawn(async move {
            let mut created = Vec::new();
            for round in 0..BATCHES {
                let (body, ids) = batch(client, round * BATCH + 1);
                // Each device alternates servers; a push without an answer
                // is sent again, to either, until one answers.
                let mut target = (n + round as usize) % 2;
                let mut tries = 0;
                let reply = loop {
                    if target == 0 && first_down.load(Ordering::SeqCst) {
                        target = 1;
                    }
                    match push(&http, &bases[target], &body).await {
                        Ok(reply) => break reply,
                        // Pushes to one workspace take turns: however they
                        // meet on the two servers, none fails for it.
                        Err(Unanswered::Refused(error)) => {
                            panic!("a push of device {n} was refused: {error}")
                        }
                        Err(Unanswered::Unreachable) => {}
                    }
                    tries += 1;
                    assert!(tries < 100, "a push of device {n} was never answered");
                    target = 1 - target;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                };
                assert_eq!(reply["last_mutation_id"], (round + 1) * BATCH, "{reply}");
                assert!(
                    reply["results"]
                        .as_array()
                        .expect("results")
                        .iter()
                        .all(|result| result["status"] == "applied"),
                    "{reply}"
                );
                created.extend(ids);
                answered.fetch_add(1, Ordering::SeqCst);
            }
            created
        }));
    }
    // A third of the way, the first server dies without a chance to
    // finish anything, pushes of all three devices in flight.
    let batches = CLIENTS as u64 * BATCHES;
    while answered.load(Ordering::SeqCst) < batches / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let at_kill = answered.load(Ordering::SeqCst);
    assert!(at_kill < batches, "the kill came before the end");
    first_down.store(true, Ordering::SeqCst);

    let mut acknowledged = HashSet::new();
    for device in devices {
        acknowledged.extend(device.await.expect("a device"));
    }
    let total = CLIENTS as u64 * BATCHES * BATCH;
    assert_eq!(acknowledged.len() as u64, total);

    // The database: each record once, one version each, no number twice.
    let mut conn: PgConnection = PgConnectOptions::from_str(&database_url)
        .expect("url")
        .connect()
        .await
        .expect("a connection");
    let (customers, distinct_versions, counter): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), count(DISTINCT version), \
         (SELECT change_counter FROM workspaces WHERE name = 'Two') FROM customers",
    )
    .fetch_one(&mut conn)
    .await
    .expect("counts");
    assert_eq!(
        customers as u64, total,
        "every acknowledged mutation applied once"
    );
    assert_eq!(
        distinct_versions, customers,
        "no change number handed out twice"
    );
    assert_eq!(counter, customers, "the counter moved once per write");
    let last_ids: Vec<i64> = sqlx::query_scalar("SELECT last_mutation_id FROM sync_clients")
        .fetch_all(&mut conn)
        .await
        .expect("progress");
    assert_eq!(last_ids, vec![(BATCHES * BATCH) as i64; CLIENTS]);

    // Back up, the first server sends exactly what the second sends.
    first = Server::start(&database_url, ports[0]);
    wait_until_up(&http, &bases[0]).await;
    let from_first = pull_all(&http, &bases[0], clients[0]).await;
    let from_second = pull_all(&http, &bases[1], clients[1]).await;
    assert_eq!(from_first, from_second, "both servers serve the same rows");
    let pulled: HashSet<Uuid> = from_second
        .iter()
        .map(|row| Uuid::parse_str(row["record"]["id"].as_str().expect("an id")).expect("a uuid"))
        .collect();
    assert_eq!(
        pulled, acknowledged,
        "every device converges on the same set"
    );
    let versions: Vec<i64> = from_second
        .iter()
        .map(|row| row["record"]["version"].as_i64().expect("a version"))
        .collect();
    assert!(
        versions.windows(2).all(|pair| pair[0] < pair[1]),
        "rows come once each, in version order"
    );
    drop((first, second));
}
