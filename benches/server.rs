//! Server throughput over real HTTP: push (mutations applied per second, in
//! batches of 1,000) and pull (rows streamed per second from cursor 0).
//!
//! `cargo bench --features ssr --bench server -- --url http://127.0.0.1:PORT [--quick]`
//! measures a running server (`benches/run` starts the release binary on a
//! seeded database). Figures are printed, never asserted: this is a
//! measurement, not a test.

use clientele::server::seed::{SEED_EMAIL, SEED_PASSWORD};
use serde_json::{json, Value};
use std::time::Instant;
use uuid::Uuid;

const USAGE: &str =
    "usage: server --url http://127.0.0.1:PORT [--second-url http://127.0.0.1:PORT2] [--quick]";
const PUSH_BATCH: usize = 1_000;

struct Options {
    url: String,
    /// Another server on the same database: pushes then also go to both at once.
    second_url: Option<String>,
    push_batches: usize,
    runs: usize,
}

fn options() -> Result<Options, String> {
    let mut url = None;
    let mut second_url = None;
    let mut quick = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--url" => url = args.next(),
            "--second-url" => second_url = args.next(),
            "--quick" => quick = true,
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(Options {
        url: url.ok_or_else(|| USAGE.to_owned())?,
        second_url,
        push_batches: if quick { 3 } else { 20 },
        runs: if quick { 1 } else { 3 },
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

async fn post(http: &reqwest::Client, url: &str, body: Value) -> Result<Value, String> {
    let response = http
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|err| err.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|err| err.to_string())?;
    if !status.is_success() {
        return Err(format!("{url} answered {status}: {text}"));
    }
    serde_json::from_str(&text).map_err(|err| err.to_string())
}

/// One batch of new customers from a new device, timed.
async fn push_batch(http: &reqwest::Client, base: &str, serial: usize) -> Result<f64, String> {
    let mutations: Vec<Value> = (1..=PUSH_BATCH)
        .map(|id| {
            json!({"id": id, "entity": "customer", "op": "upsert", "record_id": Uuid::now_v7(),
                   "base_version": 0, "fields": {"name": format!("Bench {serial}-{id}"),
                   "kind": "company", "status": "Prospect", "email": format!("bench{serial}-{id}@bench.example")}})
        })
        .collect();
    let body = json!({"client_id": Uuid::now_v7(), "mutations": mutations});
    let started = Instant::now();
    let reply = post(http, &format!("{base}/api/sync/push"), body).await?;
    let seconds = started.elapsed().as_secs_f64();
    if reply["last_mutation_id"] != json!(PUSH_BATCH) {
        return Err(format!("the push was not fully applied: {reply}"));
    }
    Ok(PUSH_BATCH as f64 / seconds)
}

/// A pull reply, read as far as paging needs: the rows are counted and
/// skipped, not built into values, so the figure is the server's and the
/// wire's rather than this client's.
#[derive(serde::Deserialize)]
struct PulledPage {
    rows: Vec<serde::de::IgnoredAny>,
    cursor: i64,
    more: bool,
}

/// Streams the whole workspace in pages of 5,000; returns (rows, seconds).
async fn pull_all(http: &reqwest::Client, base: &str) -> Result<(usize, f64), String> {
    let client = Uuid::now_v7();
    let mut cursor = 0;
    let mut rows = 0;
    let started = Instant::now();
    loop {
        let response = http
            .post(format!("{base}/api/sync/pull"))
            .json(&json!({"client_id": client, "cursor": cursor, "limit": 5000}))
            .send()
            .await
            .map_err(|err| err.to_string())?;
        if !response.status().is_success() {
            return Err(format!("pull answered {}", response.status()));
        }
        let body = response.bytes().await.map_err(|err| err.to_string())?;
        let page: PulledPage = serde_json::from_slice(&body).map_err(|err| err.to_string())?;
        rows += page.rows.len();
        cursor = page.cursor;
        if !page.more {
            return Ok((rows, started.elapsed().as_secs_f64()));
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .map_err(|err| err.to_string())?;
    let base = options.url.trim_end_matches('/');
    // The account the seed command made; the session cookie stays in `http`.
    post(
        &http,
        &format!("{base}/api/auth/login"),
        json!({"email": SEED_EMAIL, "password": SEED_PASSWORD}),
    )
    .await?;
    let mut pulls = Vec::new();
    let mut rows = 0;
    for _ in 0..options.runs {
        let (count, seconds) = pull_all(&http, base).await?;
        rows = count;
        pulls.push(seconds);
    }
    let pull_seconds = median(pulls);
    println!(
        "pull: {rows} rows in {pull_seconds:.2} s (median of {}) = {:.0} rows/s",
        options.runs,
        rows as f64 / pull_seconds
    );
    let mut rates = Vec::new();
    for serial in 0..options.push_batches {
        rates.push(push_batch(&http, base, serial).await?);
    }
    println!(
        "push: {:.0} mutations/s (median of {} batches of {PUSH_BATCH})",
        median(rates),
        options.push_batches
    );
    if let Some(second) = &options.second_url {
        let second = second.trim_end_matches('/');
        // The session made on the first server is valid on the second.
        let mut rates = Vec::new();
        for serial in 0..options.push_batches {
            let started = Instant::now();
            let (one, other) = futures::join!(
                push_batch(&http, base, 1_000_000 + 2 * serial),
                push_batch(&http, second, 1_000_001 + 2 * serial)
            );
            one?;
            other?;
            rates.push((2 * PUSH_BATCH) as f64 / started.elapsed().as_secs_f64());
        }
        println!(
            "push, two servers at once: {:.0} mutations/s (median of {} pairs of batches of {PUSH_BATCH}, one to each)",
            median(rates),
            options.push_batches
        );
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let result = match options() {
        Ok(options) => run(options).await,
        Err(message) => Err(message),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            std::process::ExitCode::FAILURE
        }
    }
}
