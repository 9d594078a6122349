//! A `DATABASE_URL` the server cannot run on stops it at start-up, saying
//! which schemes it does run on, before anything is written to disk.
#![cfg(feature = "ssr")]

mod common;

use common::process::refused_start;

#[test]
fn an_unsupported_database_url_scheme_stops_the_server_naming_the_supported_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let said = refused_start(
        dir.path(),
        &[("DATABASE_URL", "mysql://user:secret@db.invalid/clientele")],
    );
    assert!(
        said.contains("DATABASE_URL")
            && said.contains("\"mysql:\"")
            && said.contains("sqlite://")
            && said.contains("postgres://"),
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
