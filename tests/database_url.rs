//! A `DATABASE_URL` the server cannot run on stops it at start-up, saying
//! which schemes it does run on, before anything is written to disk.
#![cfg(feature = "ssr")]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn an_unsupported_database_url_scheme_stops_the_server_naming_the_supported_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_clientele"))
        .current_dir(dir.path())
        .env(
            "DATABASE_URL",
            "postgres://user:secret@db.invalid/clientele",
        )
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
            panic!("the server started on a DATABASE_URL it does not support");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = server.wait_with_output().expect("server output");
    assert!(!output.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        said.contains("DATABASE_URL")
            && said.contains("\"postgres:\"")
            && said.contains("sqlite://"),
        "{said}"
    );
    assert!(
        !said.contains("secret"),
        "the password stays out of the log: {said}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("working directory")
        .collect();
    assert!(left.is_empty(), "nothing written to disk: {left:?}");
}
