//! Fills a new workspace with generated data for benchmarks and demos:
//! `seed [--quick] [--seed N]`, into the database of `DATABASE_URL`. The
//! workspace's member signs in as `SEED_EMAIL` with `SEED_PASSWORD`.

use clientele::domain::check_sign_up;
use clientele::server::auth::create_account;
use clientele::server::db;
use clientele::server::seed::{seed, SeedSize, SEED_EMAIL, SEED_PASSWORD};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: seed [--quick] [--seed N]   (writes into DATABASE_URL)";

#[tokio::main]
async fn main() -> ExitCode {
    let mut size = SeedSize::FULL;
    let mut seed_value = 42_u64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => size = SeedSize::QUICK,
            "--seed" => match args.next().and_then(|value| value.parse().ok()) {
                Some(value) => seed_value = value,
                None => {
                    eprintln!("--seed needs a whole number\n{USAGE}");
                    return ExitCode::FAILURE;
                }
            },
            _ => {
                eprintln!("unknown argument {arg:?}\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| db::DEFAULT_DATABASE_URL.to_owned());
    let pool = match db::open(&url).await {
        Ok(pool) => pool,
        Err(error) => {
            eprintln!("cannot open {}: {error}", db::without_password(&url));
            return ExitCode::FAILURE;
        }
    };
    let account = match check_sign_up(SEED_EMAIL, SEED_PASSWORD, "Seeded workspace") {
        Ok(account) => account,
        Err(error) => {
            eprintln!("the seed account is not valid: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (member, workspace) = match create_account(&pool, &account).await {
        Ok(created) => created,
        Err(error) => {
            eprintln!("cannot create the account {SEED_EMAIL}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let total = size.rows();
    let started = Instant::now();
    let shown = db::without_password(&url);
    let progress = |written: usize| {
        eprint!("\rseeding {shown}: {written} of {total} rows");
        let _ = std::io::stderr().flush();
    };
    match seed(&pool, workspace, member, size, seed_value, &progress).await {
        Ok(written) => {
            eprintln!();
            println!(
                "seeded {written} rows (seed {seed_value}) in {:.1} s; sign in as {SEED_EMAIL} / {SEED_PASSWORD}",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("\nseeding failed: {error}");
            ExitCode::FAILURE
        }
    }
}
