//! The real server binary as a child process, for tests that kill it or
//! measure its memory from the outside.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Starts the server binary on `database_url`, listening on `port`.
pub fn start(database_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_clientele"))
        .env("DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts")
}

/// Waits for a server-rendered page: static files only exist once
/// cargo-leptos has built the site, which a fresh checkout has not.
pub async fn wait_until_up(http: &reqwest::Client, base: &str) {
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

/// Runs the server binary in `dir` with `env` set, expecting it to stop at
/// start-up; returns what it printed. Fails the test if it keeps running.
pub fn refused_start(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut server = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server binary");
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.try_wait().expect("server status").is_none() {
        if Instant::now() > deadline {
            let _ = server.kill();
            panic!("the server started with a configuration it should refuse: {env:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = server.wait_with_output().expect("server output");
    assert!(
        !output.status.success(),
        "a refused start exits with failure"
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
