//! One member pulling the costliest rows there are cannot take the
//! server's memory: pages are cut at a byte budget.
#![cfg(feature = "ssr")]

mod common;

use clientele::server::pull::PULL_PAGE_MAX_BYTES;
use clientele::server::repository::WorkspaceId;
use clientele::server::{db, push};
use clientele::sync::{Mutation, Op};
use common::fields;
use common::process::{free_port, start, wait_until_up};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

const CUSTOMERS: u64 = 5_000;
const PULLERS: usize = 8;

/// The server's resident memory, now and at its peak, in MB.
fn memory_mb(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let kib = |key: &str| -> u64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|number| number.parse().ok())
            .expect("a memory figure")
    };
    (kib("VmRSS:") / 1024, kib("VmHWM:") / 1024)
}

/// Pulls from cursor 0 to the end; returns the rows received.
async fn pull_everything(http: reqwest::Client, base: String, client_id: Uuid) -> u64 {
    let mut cursor = 0;
    let mut rows = 0;
    loop {
        let body = http
            .post(format!("{base}/api/sync/pull"))
            .json(&json!({"client_id": client_id, "cursor": cursor, "limit": 5000}))
            .send()
            .await
            .expect("pull")
            .bytes()
            .await
            .expect("page");
        assert!(
            body.len() <= PULL_PAGE_MAX_BYTES + 100,
            "a page of {} bytes",
            body.len()
        );
        // Each row is two objects (the row and its record); nothing else in
        // these rows has a brace, so counting them counts rows without
        // parsing megabytes of escapes.
        let tail_start = body.len().saturating_sub(200);
        rows += memchr::memchr_iter(b'{', &body).count() as u64 / 2;
        let tail = String::from_utf8_lossy(&body[tail_start..]);
        let more = tail.contains("\"more\":true");
        let cursor_text = tail
            .rsplit("\"cursor\":")
            .next()
            .and_then(|rest| rest.split([',', '}']).next())
            .expect("a cursor");
        cursor = cursor_text.trim().parse::<i64>().expect("a numeric cursor");
        if !more {
            return rows;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_members_pulling_rows_of_escaped_notes_keep_the_server_small() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("hostile.db").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(&database_url, port);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .cookie_store(true)
        .build()
        .expect("client");
    wait_until_up(&http, &base).await;
    let account: Value = http
        .post(format!("{base}/api/auth/signup"))
        .json(&json!({"email": "ada@example.test", "password": "correct horse battery", "workspace_name": "Hostile"}))
        .send()
        .await
        .expect("sign-up")
        .json()
        .await
        .expect("an account");
    let workspace = WorkspaceId(
        account["workspace_id"]
            .as_str()
            .and_then(|id| Uuid::parse_str(id).ok())
            .expect("a workspace id"),
    );
    let user = account["user_id"]
        .as_str()
        .and_then(|id| Uuid::parse_str(id).ok())
        .expect("a user id");

    // Written beside the server, so its memory holds only the pulls.
    let pool = db::open(&database_url).await.expect("the same file");
    let notes = "\u{1}".repeat(20_000);
    let writer = Uuid::now_v7();
    for first in (1..=CUSTOMERS).step_by(250) {
        let mutations: Vec<Mutation> = (first..first + 250)
            .map(|id| Mutation {
                id,
                entity: clientele::domain::Entity::Customer,
                op: Op::Upsert,
                record_id: Uuid::now_v7(),
                base_version: 0,
                fields: fields(json!({"name": format!("Customer {id}"), "kind": "company",
                                      "status": "Prospect", "notes": notes})),
                made_at: None,
                origin: None,
            })
            .collect();
        push::push(
            &pool,
            workspace,
            user,
            clientele::domain::Role::Admin,
            writer,
            &mutations,
            None,
        )
        .await
        .expect("seeding push");
    }
    pool.close().await;
    let (resident_before, _) = memory_mb(server.id());

    let pullers: Vec<_> = (0..PULLERS)
        .map(|_| tokio::spawn(pull_everything(http.clone(), base.clone(), Uuid::now_v7())))
        .collect();
    for puller in pullers {
        assert_eq!(
            puller.await.expect("puller"),
            CUSTOMERS,
            "every row arrives"
        );
    }
    let (resident, peak) = memory_mb(server.id());
    server.kill().expect("stop");
    server.wait().expect("reaped");
    eprintln!(
        "hostile pull: {PULLERS} pullers x {CUSTOMERS} rows of 120 KB JSON; server {resident_before} MB before, {resident} MB after, {peak} MB at peak"
    );
    assert!(peak < 150, "the server peaked at {peak} MB");
}
