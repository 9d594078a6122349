//! A throwaway PostgreSQL cluster for tests: `initdb` into a temporary
//! folder, a postmaster on a random port of 127.0.0.1, a database per
//! test, and the whole cluster stopped and deleted afterwards. Nothing
//! needs a PostgreSQL that someone set up by hand, only Debian's
//! `postgresql` package (binaries found with `pg_config --bindir`, or in
//! `/usr/lib/postgresql/<version>/bin`).
//!
//! PostgreSQL refuses to run as root, so when the tests do, the cluster
//! runs as the `postgres` user through `runuser`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use tempfile::TempDir;

/// A running cluster; dropping it stops the postmaster and deletes its files.
pub struct Cluster {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
    run_as_postgres: bool,
}

impl Cluster {
    /// Starts a new cluster, or panics saying what is missing.
    pub fn start() -> Self {
        let bin = bindir();
        let dir = tempfile::Builder::new()
            .prefix("clientele-pg-")
            .tempdir()
            .expect("temp dir");
        // SAFETY: geteuid only reads the process's user id.
        let run_as_postgres = unsafe { libc::geteuid() } == 0;
        if run_as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown of the cluster folder failed");
        }
        let mut cluster = Self {
            dir,
            bin,
            port: 0,
            run_as_postgres,
        };
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data().display().to_string(),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        // A port found free may be taken before the postmaster binds it: try again.
        for attempt in 0..5 {
            cluster.port = super::process::free_port();
            let options = format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                cluster.port,
                cluster.dir.path().display()
            );
            let started = cluster.try_run(
                "pg_ctl",
                &[
                    "-D",
                    &cluster.data().display().to_string(),
                    "-l",
                    &cluster.dir.path().join("log").display().to_string(),
                    "-o",
                    &options,
                    "-w",
                    "start",
                ],
            );
            if started {
                return cluster;
            }
            assert!(
                attempt < 4,
                "the PostgreSQL cluster did not start: {}",
                std::fs::read_to_string(cluster.dir.path().join("log")).unwrap_or_default()
            );
        }
        unreachable!("the loop returns or panics")
    }

    /// The cluster shared by every test of this test binary, started on
    /// first use and stopped when the process exits.
    pub fn shared() -> &'static Self {
        static SHARED: OnceLock<Cluster> = OnceLock::new();
        SHARED.get_or_init(|| {
            extern "C" fn stop_shared() {
                if let Some(cluster) = SHARED.get() {
                    cluster.stop();
                    let _ = std::fs::remove_dir_all(cluster.dir.path());
                }
            }
            let cluster = Self::start();
            // SAFETY: registers a plain function to run at process exit.
            unsafe { libc::atexit(stop_shared) };
            cluster
        })
    }

    /// The folder holding the cluster's files, deleted with it.
    pub fn folder(&self) -> &Path {
        self.dir.path()
    }

    /// The port the postmaster listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address of `database` in this cluster, as `DATABASE_URL` takes it.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates a new empty database and returns its address.
    pub fn database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let port = self.port.to_string();
        self.run(
            "createdb",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", &name],
        );
        self.url(&name)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn stop(&self) {
        let data = self.data().display().to_string();
        let _ = self.try_run("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]);
    }

    fn command(&self, program: &str) -> Command {
        let program = self.bin.join(program);
        let mut command = if self.run_as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        command
    }

    fn try_run(&self, program: &str, args: &[&str]) -> bool {
        self.command(program)
            .args(args)
            .output()
            .is_ok_and(|output| output.status.success())
    }

    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("{program} did not run: {err}"));
        assert!(
            output.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Where PostgreSQL's programs are: `pg_config --bindir`, else the newest
/// Debian `/usr/lib/postgresql/<version>/bin` that has `initdb`.
fn bindir() -> PathBuf {
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()))
        .filter(|bin| bin.join("initdb").exists());
    if let Some(bin) = from_pg_config {
        return bin;
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin"))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort_by_key(|bin| version_of(bin));
    versions
        .pop()
        .expect("PostgreSQL is not installed: no initdb (install Debian's postgresql package)")
}

fn version_of(bin: &Path) -> u32 {
    bin.parent()
        .and_then(Path::file_name)
        .and_then(|name| name.to_str())
        .and_then(|name| name.parse().ok())
        .unwrap_or(0)
}
