//! The real HTTP app on 127.0.0.1 and browser-like clients with their own
//! cookie jars, for tests that speak the wire contract.

use clientele::server::auth::AttemptLimits;
use clientele::server::repository::Db;
use clientele::server::security::TrustedProxies;
use clientele::server::{router, serve, AppState};
use leptos::prelude::LeptosOptions;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::oneshot;
use uuid::Uuid;

/// A server on a free port with its own database.
pub struct TestServer {
    pub base: String,
    pub pool: Db,
    /// Serving until the test server is dropped.
    _running: oneshot::Sender<()>,
    _dir: TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(AttemptLimits::default()).await
    }

    pub async fn start_with(limits: AttemptLimits) -> Self {
        Self::start_behind(TrustedProxies::default(), limits).await
    }

    /// A server that believes `X-Forwarded-For` from `proxies`.
    pub async fn start_behind(proxies: TrustedProxies, limits: AttemptLimits) -> Self {
        let (pool, dir) = super::database().await;
        let (base, running) = serve_on(pool.clone(), proxies, limits).await;
        Self {
            base,
            pool,
            _running: running,
            _dir: dir,
        }
    }

    /// A client with an empty cookie jar: a new browser.
    pub fn client(&self) -> Client {
        Client {
            base: self.base.clone(),
            http: reqwest::Client::builder()
                .cookie_store(true)
                .build()
                .expect("client"),
        }
    }

    /// A new browser signed up as `email`, owner of a new workspace.
    pub async fn member_of_new_workspace(&self, email: &str) -> Client {
        let client = self.client();
        let (status, reply) = client
            .post(
                "/api/auth/signup",
                json!({"email": email, "password": PASSWORD, "workspace_name": format!("{email}'s team")}),
            )
            .await;
        assert_eq!(status, 200, "sign-up: {reply}");
        client
    }

    /// A new browser that joined through an invitation `admin` made for
    /// `role` (`"admin"`, `"member"` or `"viewer"`), signed in as `email`.
    pub async fn invited(&self, admin: &Client, role: &str, email: &str) -> Client {
        let token = admin.invitation(role).await;
        let client = self.client();
        let (status, reply) = client.join(&token, email).await;
        assert_eq!(status, 200, "joining as {role}: {reply}");
        client
    }
}

/// Serves the whole app over `pool` on a free port of 127.0.0.1; returns
/// its base address and a handle that stops it when dropped.
pub async fn serve_on(
    pool: Db,
    proxies: TrustedProxies,
    limits: AttemptLimits,
) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let options = LeptosOptions::builder()
        .output_name("clientele")
        .site_addr(address)
        .build();
    let state = AppState::new(pool, limits, false)
        .await
        .expect("state")
        .with_trusted_proxies(proxies);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(
        listener,
        router(options, state, clientele::app::App, clientele::app::shell),
        async {
            let _ = stopped.await;
        },
    ));
    (format!("http://{address}"), stop)
}

/// The password every test account gets.
pub const PASSWORD: &str = "correct horse battery";

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    /// POSTs JSON and returns the status and the body (JSON when it parses).
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("request");
        read(response).await
    }

    /// Every row of the caller's workspace, pulled from the start by a new
    /// client id, in one page.
    pub async fn pull_all(&self) -> Vec<Value> {
        let (status, page) = self
            .post(
                "/api/sync/pull",
                json!({"client_id": Uuid::now_v7(), "cursor": 0, "limit": 5000}),
            )
            .await;
        assert_eq!(status, 200, "{page}");
        page["rows"].as_array().cloned().unwrap_or_default()
    }

    /// The token of a new invitation granting `role`; the caller must be
    /// allowed to invite.
    pub async fn invitation(&self, role: &str) -> String {
        let (status, reply) = self.post("/api/auth/invite", json!({"role": role})).await;
        assert_eq!(status, 200, "inviting a {role}: {reply}");
        reply["token"].as_str().expect("a token").to_owned()
    }

    /// Joins with an invitation `token` as `email` (password [`PASSWORD`]).
    pub async fn join(&self, token: &str, email: &str) -> (u16, Value) {
        self.post(
            "/api/auth/join",
            json!({"token": token, "email": email, "password": PASSWORD}),
        )
        .await
    }

    /// Signs in as `email` with [`PASSWORD`].
    pub async fn login(&self, email: &str) -> (u16, Value) {
        self.post(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await
    }

    /// GETs a page and returns the status, headers and text.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }
}

/// Status and body of a response, the body as JSON when it parses.
pub async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
