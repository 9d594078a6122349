//! The throwaway PostgreSQL cluster the suites run on with
//! `TEST_DATABASE=postgres`: it starts from nothing, hands out databases,
//! and leaves nothing running or on disk.
#![cfg(feature = "ssr")]

mod common;

use common::postgres::Cluster;
use std::net::TcpStream;

#[test]
fn a_throwaway_cluster_starts_hands_out_databases_and_is_gone_after_drop() {
    let cluster = Cluster::start();
    let port = cluster.port();
    let first = cluster.database();
    let second = cluster.database();
    assert_ne!(first, second, "each test gets its own database");
    assert!(first.starts_with(&format!("postgres://postgres@127.0.0.1:{port}/")));
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok(), "listening");
    let folder = cluster.folder().to_owned();
    drop(cluster);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the postmaster stopped"
    );
    assert!(!folder.exists(), "its files were deleted");
}
