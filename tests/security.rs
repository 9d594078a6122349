//! Accounts and workspace isolation over real HTTP (issue 5, DESIGN.md
//! section 6): what an attacker with a browser, curl or a stolen cookie can
//! and cannot do.
#![cfg(feature = "ssr")]

mod common;

use clientele::server::auth::{quota, AttemptLimits};
use clientele::server::security::TrustedProxies;
use common::http::{read, Client, TestServer, PASSWORD};
use common::process::refused_start;
use serde_json::{json, Value};

use std::time::{Duration, Instant};
use uuid::Uuid;

fn customer(id: u64, record_id: Uuid, base_version: i64, fields: Value) -> Value {
    json!({"id": id, "entity": "customer", "op": "upsert", "record_id": record_id,
           "base_version": base_version, "fields": fields})
}

async fn push(client: &Client, mutations: Value) -> (u16, Value) {
    client
        .post(
            "/api/sync/push",
            json!({"client_id": Uuid::now_v7(), "mutations": mutations}),
        )
        .await
}

/// The session cookie's `Set-Cookie` line from a response.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("clientele_session="))
        .map(str::to_owned)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_data_endpoint_refuses_a_caller_without_a_session() {
    let server = TestServer::start().await;
    let stranger = server.client();
    for (path, body) in [
        (
            "/api/sync/push",
            json!({"client_id": Uuid::now_v7(), "mutations": []}),
        ),
        (
            "/api/sync/pull",
            json!({"client_id": Uuid::now_v7(), "cursor": 0}),
        ),
        ("/api/auth/me", json!({})),
        ("/api/auth/invite", json!({})),
        (
            "/api/auth/password",
            json!({"current_password": PASSWORD, "new_password": "another long one"}),
        ),
    ] {
        let (status, reply) = stranger.post(path, body).await;
        assert_eq!(status, 401, "{path}: {reply}");
        assert_eq!(reply, json!("NotSignedIn"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_http_only_lax_and_rotated_at_sign_in() {
    let server = TestServer::start().await;
    let browser = server.client();
    let response = browser
        .http
        .post(format!("{}/api/auth/signup", server.base))
        .json(&json!({"email": "Ada@Example.test ", "password": PASSWORD, "workspace_name": "Analytical"}))
        .send()
        .await
        .expect("sign-up");
    let first = session_cookie(&response).expect("sign-up sets the session cookie");
    let (status, account) = read(response).await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["email"], "ada@example.test");
    assert_eq!(account["workspace_name"], "Analytical");
    assert!(first.contains("HttpOnly"), "{first}");
    assert!(first.contains("SameSite=Lax"), "{first}");
    assert!(
        !first.contains("Secure"),
        "plain HTTP here; Secure only with SERVED_OVER_TLS"
    );

    let response = browser
        .http
        .post(format!("{}/api/auth/login", server.base))
        .json(&json!({"email": "ada@example.test", "password": PASSWORD}))
        .send()
        .await
        .expect("sign-in");
    let second = session_cookie(&response).expect("sign-in sets a new session id");
    assert_ne!(cookie_value(&first), cookie_value(&second));

    // The id from before sign-in is worthless now (no session fixation).
    let replayed = reqwest::Client::new()
        .post(format!("{}/api/auth/me", server.base))
        .header(reqwest::header::COOKIE, cookie_value(&first))
        .json(&json!({}))
        .send()
        .await
        .expect("replay");
    assert!(
        session_cookie(&replayed).is_none(),
        "a request sent before the sign-in answered must not remove the new cookie"
    );
    assert_eq!(replayed.status().as_u16(), 401);

    let (status, me) = browser.post("/api/auth/me", json!({})).await;
    assert_eq!((status, &me["email"]), (200, &json!("ada@example.test")));
    let (status, _) = browser.post("/api/auth/logout", json!({})).await;
    assert_eq!(status, 200);
    let (status, _) = browser.post("/api/auth/me", json!({})).await;
    assert_eq!(status, 401, "signed out");
    let after_logout = reqwest::Client::new()
        .post(format!("{}/api/auth/me", server.base))
        .header(reqwest::header::COOKIE, cookie_value(&second))
        .json(&json!({}))
        .send()
        .await
        .expect("replay");
    assert_eq!(
        after_logout.status().as_u16(),
        401,
        "a copied cookie dies with sign-out"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_refuses_bad_input_naming_the_field() {
    let server = TestServer::start().await;
    server.member_of_new_workspace("taken@example.test").await;
    let browser = server.client();
    for (body, field) in [
        (
            json!({"email": "not-an-address", "password": PASSWORD, "workspace_name": "W"}),
            "email",
        ),
        (
            json!({"email": "new@example.test", "password": "short", "workspace_name": "W"}),
            "password",
        ),
        (
            json!({"email": "new@example.test", "password": PASSWORD, "workspace_name": "  "}),
            "workspace_name",
        ),
        (
            json!({"email": "TAKEN@example.test", "password": PASSWORD, "workspace_name": "W"}),
            "email",
        ),
    ] {
        let (status, reply) = browser.post("/api/auth/signup", body).await;
        assert_eq!(status, 400, "{reply}");
        assert_eq!(reply["Field"]["field"], field, "{reply}");
    }
    let (status, _) = browser.post("/api/auth/me", json!({})).await;
    assert_eq!(status, 401, "a refused sign-up signs nobody in");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_cannot_read_change_or_detect_another_workspaces_records() {
    let server = TestServer::start().await;
    let alice = server.member_of_new_workspace("alice@a.test").await;
    let mallory = server.member_of_new_workspace("mallory@m.test").await;
    let secret = Uuid::now_v7();
    let lead = Uuid::now_v7();
    let (status, reply) = push(
        &alice,
        json!([
            customer(1, secret, 0, json!({"name": "Secret Ltd", "kind": "company", "status": "Customer"})),
            {"id": 2, "entity": "contact", "op": "upsert", "record_id": Uuid::now_v7(), "base_version": 0,
             "fields": {"customer_id": secret, "first_name": "Sam"}},
            {"id": 3, "entity": "lead", "op": "upsert", "record_id": lead, "base_version": 0,
             "fields": {"person_name": "Lee", "status": "New"}},
        ]),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let secret_version = reply["results"][0]["version"].clone();

    // By pull: nothing of Alice's.
    assert!(mallory.pull_all().await.is_empty());

    // By id: every answer about Alice's ids is the answer for an id nobody uses.
    let unused = Uuid::now_v7();
    let probes = |target: Uuid, lead: Uuid| {
        json!([
            customer(1, target, 1, json!({"name": "Owned"})),
            {"id": 2, "entity": "customer", "op": "delete", "record_id": target, "base_version": 1},
            {"id": 3, "entity": "contact", "op": "upsert", "record_id": Uuid::nil(), "base_version": 0,
             "fields": {"customer_id": target, "first_name": "Spy"}},
            {"id": 4, "entity": "lead", "op": "convert", "record_id": lead, "base_version": 1,
             "fields": {"customer_id": Uuid::nil(), "contact_id": null}},
        ])
    };
    let (status, on_alices) = push(&mallory, probes(secret, lead)).await;
    assert_eq!(status, 200, "{on_alices}");
    let (status, on_unused) = push(&mallory, probes(unused, unused)).await;
    assert_eq!(status, 200, "{on_unused}");
    let statuses = |reply: &Value| -> Vec<(Value, Value)> {
        reply["results"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|result| (result["status"].clone(), result["error"].clone()))
            .collect()
    };
    assert_eq!(statuses(&on_alices), statuses(&on_unused));

    // Alice's records are untouched, and she sees none of Mallory's.
    let rows = alice.pull_all().await;
    let alices = rows
        .iter()
        .find(|row| row["record"]["id"] == json!(secret))
        .expect("her customer");
    assert_eq!(alices["record"]["name"], "Secret Ltd");
    assert_eq!(alices["record"]["version"], secret_version);
    assert_eq!(alices["record"]["deleted"], false);
    assert_eq!(rows.len(), 3, "only her own rows: {rows:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invited_colleague_joins_the_same_workspace_once() {
    let server = TestServer::start().await;
    let alice = server.member_of_new_workspace("alice@a.test").await;
    let acme = Uuid::now_v7();
    push(
        &alice,
        json!([customer(
            1,
            acme,
            0,
            json!({"name": "Acme", "kind": "company", "status": "Prospect"})
        )]),
    )
    .await;
    let (status, invitation) = alice.post("/api/auth/invite", json!({})).await;
    assert_eq!(status, 200, "{invitation}");
    let token = invitation["token"].as_str().expect("token").to_owned();
    assert!(token.len() >= 43, "256 random bits");

    let bob = server.client();
    let (status, name) = bob
        .post("/api/auth/invitation", json!({"token": token}))
        .await;
    assert_eq!((status, name), (200, json!("alice@a.test's team")));
    let (status, account) = bob
        .post(
            "/api/auth/join",
            json!({"token": token, "email": "bob@a.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{account}");
    let rows = bob.pull_all().await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["record"]["name"], "Acme");

    // Bob's edits reach Alice: one team, one workspace.
    let (_, reply) = push(
        &bob,
        json!([customer(1, acme, 1, json!({"status": "Customer"}))]),
    )
    .await;
    assert_eq!(reply["results"][0]["status"], "applied", "{reply}");
    assert_eq!(alice.pull_all().await[0]["record"]["status"], "Customer");

    let eve = server.client();
    let (status, reply) = eve
        .post(
            "/api/auth/join",
            json!({"token": token, "email": "eve@e.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 400, "an invitation works once: {reply}");
    assert_eq!(reply["Field"]["field"], "token");
    let (status, _) = eve
        .post("/api/auth/invitation", json!({"token": "guessed"}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_ends_the_other_sessions() {
    // Six sign-in-like attempts on one account: more than the default allows at once.
    let generous = quota(Duration::from_millis(10), 100);
    let server = TestServer::start_with(AttemptLimits {
        per_account: generous,
        per_address: generous,
    })
    .await;
    let laptop = server.member_of_new_workspace("ada@example.test").await;
    let tablet = server.client();
    let (status, _) = tablet
        .post(
            "/api/auth/login",
            json!({"email": "ada@example.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);

    let (status, reply) = laptop
        .post(
            "/api/auth/password",
            json!({"current_password": "wrong guess!", "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(reply["Field"]["field"], "current_password");
    let (status, reply) = laptop
        .post(
            "/api/auth/password",
            json!({"current_password": PASSWORD, "new_password": "short"}),
        )
        .await;
    assert_eq!(
        (status, &reply["Field"]["field"]),
        (400, &json!("new_password"))
    );

    let (status, _) = laptop
        .post(
            "/api/auth/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(laptop.post("/api/auth/me", json!({})).await.0, 200);
    assert_eq!(
        tablet.post("/api/auth/me", json!({})).await.0,
        401,
        "the other device must sign in again"
    );
    let fresh = server.client();
    let (status, _) = fresh
        .post(
            "/api/auth/login",
            json!({"email": "ada@example.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 401, "the old password is gone");
    let (status, _) = fresh
        .post(
            "/api/auth/login",
            json!({"email": "ada@example.test", "password": "a brand new passphrase"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_is_rate_limited_per_account_and_per_address() {
    let hour = Duration::from_secs(3600);
    let server = TestServer::start_with(AttemptLimits {
        per_account: quota(hour, 3),
        per_address: quota(hour, 6),
    })
    .await;
    server.member_of_new_workspace("ada@example.test").await;
    let attacker = server.client();
    let attempt = |email: &'static str, password: &'static str| {
        let attacker = &attacker;
        async move {
            attacker
                .http
                .post(format!("{}/api/auth/login", attacker.base))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .expect("request")
        }
    };
    for _ in 0..3 {
        assert_eq!(
            attempt("ada@example.test", "guess guess guess")
                .await
                .status()
                .as_u16(),
            401
        );
    }
    let limited = attempt("ada@example.test", PASSWORD).await;
    assert_eq!(
        limited.status().as_u16(),
        429,
        "even the right password waits"
    );
    assert!(limited.headers().contains_key(reqwest::header::RETRY_AFTER));

    // Other accounts from the same address: the address budget of 6 runs
    // out (sign-up took one, the four attempts above four).
    let mut statuses = Vec::new();
    for email in ["b@x.test", "c@x.test", "d@x.test"] {
        statuses.push(attempt(email, "guess guess guess").await.status().as_u16());
    }
    assert_eq!(statuses, vec![401, 429, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_email_fails_as_slowly_as_a_wrong_password() {
    let server = TestServer::start().await;
    server.member_of_new_workspace("ada@example.test").await;
    let browser = server.client();
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..4 {
        for (email, times) in [
            ("ada@example.test", &mut known),
            ("nobody@example.test", &mut unknown),
        ] {
            let started = Instant::now();
            let (status, _) = browser
                .post(
                    "/api/auth/login",
                    json!({"email": email, "password": "wrong password"}),
                )
                .await;
            times.push(started.elapsed());
            assert_eq!(status, 401);
        }
    }
    known.sort();
    unknown.sort();
    // Both verify a real argon2id hash; without the stand-in hash an unknown
    // email would answer in well under a tenth of the time. The fastest of
    // each is compared: it is the cost of the work itself, where a busy
    // machine only ever adds time to the others.
    assert!(
        unknown[0] * 2 >= known[0],
        "unknown {unknown:?} vs known {known:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_from_another_origin_are_refused() {
    let server = TestServer::start().await;
    let member = server.member_of_new_workspace("ada@example.test").await;
    let login = |origin: Option<&str>, fetch_site: Option<&str>| {
        let mut request = member
            .http
            .post(format!("{}/api/sync/pull", server.base))
            .json(&json!({"client_id": Uuid::now_v7(), "cursor": 0}));
        if let Some(origin) = origin {
            request = request.header(reqwest::header::ORIGIN, origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    let evil = login(Some("https://evil.example"), Some("cross-site"))
        .await
        .expect("request");
    assert_eq!(evil.status().as_u16(), 403);
    let blind = login(None, Some("cross-site")).await.expect("request");
    assert_eq!(blind.status().as_u16(), 403);
    let own = login(Some(&server.base), Some("same-origin"))
        .await
        .expect("request");
    assert_eq!(own.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_carry_a_nonce_policy_and_no_framing() {
    let server = TestServer::start().await;
    let page = server.client().get("/").await;
    let headers = page.headers().clone();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let policy = header("content-security-policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in script-src")
        .to_owned();
    let html = page.text().await.expect("html");
    let inline_scripts: Vec<&str> = html
        .match_indices("<script")
        .map(|(at, _)| &html[at..html[at..].find('>').map_or(html.len(), |end| at + end)])
        .filter(|tag| !tag.contains("src="))
        .collect();
    assert!(!inline_scripts.is_empty());
    for tag in inline_scripts {
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "{tag} lacks the nonce"
        );
    }
    let next = server.client().get("/").await;
    assert_ne!(
        next.headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok()),
        Some(policy.as_str()),
        "a fresh nonce per response"
    );

    let (status, _) = server
        .client()
        .post(
            "/api/sync/pull",
            json!({"client_id": Uuid::now_v7(), "cursor": 0}),
        )
        .await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_while_colleagues_push_never_fails() {
    let hour = Duration::from_secs(3600);
    let server = TestServer::start_with(AttemptLimits {
        per_account: quota(hour, 100),
        per_address: quota(hour, 100),
    })
    .await;
    let colleague = server.member_of_new_workspace("ada@example.test").await;
    let pushing = tokio::spawn(async move {
        let client_id = Uuid::now_v7();
        for batch in 0..40_u64 {
            let mutations: Vec<Value> = (1..=25)
                .map(|n| {
                    customer(
                        batch * 25 + n,
                        Uuid::now_v7(),
                        0,
                        json!({"name": format!("Busy {batch}-{n}")}),
                    )
                })
                .collect();
            let (status, reply) = colleague
                .post(
                    "/api/sync/push",
                    json!({"client_id": client_id, "mutations": mutations}),
                )
                .await;
            assert_eq!(status, 200, "{reply}");
        }
    });
    let mut sign_ins = Vec::new();
    for _ in 0..16 {
        let browser = server.client();
        sign_ins.push(tokio::spawn(async move {
            browser
                .post(
                    "/api/auth/login",
                    json!({"email": "ada@example.test", "password": PASSWORD}),
                )
                .await
        }));
    }
    for sign_in in sign_ins {
        let (status, reply) = sign_in.await.expect("sign-in task");
        assert_eq!(status, 200, "a sign-in beside a push: {reply}");
    }
    pushing.await.expect("pushes");
}

/// Limits tight enough to see where attempts are counted: three from an
/// address, plenty on an account.
fn three_per_address() -> AttemptLimits {
    let hour = Duration::from_secs(3600);
    AttemptLimits {
        per_account: quota(hour, 100),
        per_address: quota(hour, 3),
    }
}

/// A sign-in with a wrong password for `email`, as if forwarded for
/// `forwarded_for`; answers the status.
async fn sign_in_attempt(client: &Client, email: &str, forwarded_for: Option<&str>) -> u16 {
    let mut request = client
        .http
        .post(format!("{}/api/auth/login", client.base))
        .json(&json!({"email": email, "password": "guess guess guess"}));
    if let Some(forwarded_for) = forwarded_for {
        request = request.header("x-forwarded-for", forwarded_for);
    }
    request.send().await.expect("request").status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_account_texts_are_refused_naming_the_field_before_they_are_counted() {
    let server = TestServer::start_with(three_per_address()).await;
    // The sign-up is the first of the address's three attempts.
    let member = server.member_of_new_workspace("ada@example.test").await;
    let stranger = server.client();
    // A megabyte: bodies over 8 MB are refused (413) before any server
    // function runs; below that, each text is checked before any work.
    let huge = "a".repeat(1_000_000);
    // 600 characters but 1,200 bytes: over the 1,024-byte cap.
    let accented = "é".repeat(600);
    let unknown_token = "a".repeat(43);
    for (client, path, body, field) in [
        (
            &stranger,
            "/api/auth/login",
            json!({"email": huge, "password": PASSWORD}),
            "email",
        ),
        (
            &stranger,
            "/api/auth/login",
            json!({"email": "ada@example.test", "password": accented}),
            "password",
        ),
        (
            &stranger,
            "/api/auth/signup",
            json!({"email": huge, "password": PASSWORD, "workspace_name": "W"}),
            "email",
        ),
        (
            &stranger,
            "/api/auth/signup",
            json!({"email": "new@example.test", "password": accented, "workspace_name": "W"}),
            "password",
        ),
        (
            &stranger,
            "/api/auth/signup",
            json!({"email": "new@example.test", "password": PASSWORD, "workspace_name": huge}),
            "workspace_name",
        ),
        (
            &stranger,
            "/api/auth/invitation",
            json!({"token": huge}),
            "token",
        ),
        (
            &stranger,
            "/api/auth/join",
            json!({"token": huge, "email": "new@example.test", "password": PASSWORD}),
            "token",
        ),
        (
            &stranger,
            "/api/auth/join",
            json!({"token": unknown_token, "email": huge, "password": PASSWORD}),
            "email",
        ),
        (
            &stranger,
            "/api/auth/join",
            json!({"token": unknown_token, "email": "new@example.test", "password": accented}),
            "password",
        ),
        (
            &member,
            "/api/auth/password",
            json!({"current_password": accented, "new_password": "a brand new passphrase"}),
            "current_password",
        ),
        (
            &member,
            "/api/auth/password",
            json!({"current_password": PASSWORD, "new_password": accented}),
            "new_password",
        ),
    ] {
        let (status, reply) = client.post(path, body).await;
        assert_eq!(status, 400, "{path} {field}: {reply:.200}");
        assert_eq!(reply["Field"]["field"], field, "{path}: {reply:.200}");
    }
    let (status, reply) = stranger
        .post(
            "/api/auth/login",
            json!({"email": "a".repeat(8_000_000), "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 400, "an 8 MB email: {reply:.200}");

    // None of them was counted: the address still has its other two attempts.
    let attempts = [
        sign_in_attempt(&stranger, "ada@example.test", None).await,
        sign_in_attempt(&stranger, "ada@example.test", None).await,
        sign_in_attempt(&stranger, "ada@example.test", None).await,
    ];
    assert_eq!(attempts, [401, 401, 429]);
    assert_eq!(stranger.post("/api/auth/me", json!({})).await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_x_forwarded_for_from_an_untrusted_peer_does_not_escape_the_address_limit() {
    let server = TestServer::start_with(three_per_address()).await;
    let attacker = server.client();
    let mut statuses = Vec::new();
    for n in 1..=5 {
        let email = format!("user{n}@example.test");
        let forged = format!("203.0.113.{n}");
        statuses.push(sign_in_attempt(&attacker, &email, Some(&forged)).await);
    }
    assert_eq!(statuses, [401, 401, 401, 429, 429]);
}

#[tokio::test(flavor = "multi_thread")]
async fn behind_a_trusted_proxy_the_forwarded_client_is_what_attempts_count_against() {
    let proxy: TrustedProxies = "127.0.0.1".parse().expect("proxy list");
    let server = TestServer::start_behind(proxy, three_per_address()).await;
    let browser = server.client();
    let attempt = |forwarded_for: &'static str| {
        sign_in_attempt(&browser, "ada@example.test", Some(forwarded_for))
    };
    for _ in 0..3 {
        assert_eq!(attempt("203.0.113.7").await, 401);
    }
    assert_eq!(attempt("203.0.113.7").await, 429);
    // The client wrote the left part; the proxy appended the right-most.
    assert_eq!(attempt("198.51.100.1, 203.0.113.7").await, 429);
    // Another client behind the same proxy has a budget of its own.
    assert_eq!(attempt("203.0.113.8").await, 401);

    // IPv6 clients are counted per /64: a new address in it is no new budget.
    for forwarded_for in ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"] {
        assert_eq!(attempt(forwarded_for).await, 401, "{forwarded_for}");
    }
    assert_eq!(attempt("2001:db8:1:2:abcd::9").await, 429);
    assert_eq!(attempt("2001:db8:1:3::1").await, 401);
}

#[test]
fn a_bad_trusted_proxies_value_stops_the_server_at_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}/never.db", dir.path().display());
    let said = refused_start(
        dir.path(),
        &[
            ("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
            ("DATABASE_URL", &database_url),
        ],
    );
    assert!(
        said.contains("TRUSTED_PROXIES") && said.contains("\"proxy.internal\""),
        "{said}"
    );
    assert!(
        !dir.path().join("never.db").exists(),
        "stopped before opening the database"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_asks_the_browser_to_clear_the_sites_storage() {
    let server = TestServer::start().await;
    let member = server.member_of_new_workspace("ada@example.test").await;
    let response = member
        .http
        .post(format!("{}/api/auth/logout", server.base))
        .json(&json!({}))
        .send()
        .await
        .expect("sign-out");
    assert_eq!(response.status().as_u16(), 200);
    let cleared = response
        .headers()
        .get("clear-site-data")
        .and_then(|value| value.to_str().ok());
    assert_eq!(cleared, Some("\"storage\""));
}
