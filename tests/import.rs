//! Importing a CSV file on a device: planned by the domain's rules, saved
//! as one batch, synced to the real server and to a second device, and
//! imported again as nothing. Files are generated from a seed with known
//! duplicates, repeats and mistakes, so the preview's counts are checked
//! exactly; a failure prints the seed that made it.
#![cfg(feature = "ssr")]

mod common;

use chrono::Utc;
use clientele::domain::{
    read_table, BatchChange, Counts, Decisions, Entity, ImportChange, ImportKind, ImportReceipt,
    Planner, RecordKey,
};
use clientele::server::DEFAULT_WORKSPACE;
use common::records::sync;
use common::{database, device, execute, fields, reload, TestEngine, MEMBER};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

/// Makes the in-process devices' member a member of the default
/// workspace, so the owner an import names is one the server accepts.
async fn member_exists(pool: &clientele::server::repository::Db) {
    execute(
        pool,
        "INSERT INTO users (id, workspace_id, email, password_hash, created_at, display_name) \
         VALUES ($1, $2, 'ada@import.test', 'x', '2026-12-01T00:00:00Z', 'Ada')",
        &[MEMBER.to_string(), DEFAULT_WORKSPACE.0.to_string()],
    )
    .await;
}

/// A customer file with its expected preview counts: fresh rows, rows
/// whose e-mail the workspace has, rows repeating an earlier row's e-mail,
/// and rows with a mistake.
fn generated_file(rng: &mut ChaCha8Rng, case: usize, held_emails: &[String]) -> (String, Counts) {
    let mut counts = Counts::default();
    let mut file = String::from("Company;First name;Last name;E-mail;Status\r\n");
    let mut fresh: Vec<String> = Vec::new();
    for row in 0..rng.random_range(20..120) {
        let pick = rng.random_range(0..10);
        let line = if pick < 6 || fresh.is_empty() && pick < 8 {
            let email = format!("p{case}x{row}@fresh.test");
            fresh.push(email.clone());
            counts.new += 1;
            format!("Firm {case} {row};Jo;Row{row};{email};prospect")
        } else if pick < 7 && !held_emails.is_empty() {
            counts.duplicates += 1;
            let email = &held_emails[rng.random_range(0..held_emails.len())];
            format!(
                "Other {case} {row};Al;Dup;{};Customer",
                email.to_uppercase()
            )
        } else if pick < 8 {
            counts.repeats += 1;
            let email = &fresh[rng.random_range(0..fresh.len())];
            format!("Again {case} {row};Bo;Rep;{email};")
        } else {
            counts.invalid += 1;
            match rng.random_range(0..3) {
                0 => format!("Bad {case} {row};Cy;Mail;not-an-email;"),
                1 => format!("Bad {case} {row};Di;Status;d{case}x{row}@bad.test;Hot"),
                _ => format!(
                    "Bad {case} {row};Ed;{};e{case}x{row}@bad.test;",
                    "x".repeat(201)
                ),
            }
        };
        file.push_str(&line);
        file.push_str("\r\n");
    }
    (file, counts)
}

/// Plans `file` against what the device holds, as the import page does.
fn plan(engine: &TestEngine, file: &str) -> (Counts, Vec<ImportChange>) {
    let table = read_table(file.as_bytes(), |bytes| {
        Some(encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned())
    })
    .expect("the file reads");
    let mapping = clientele::domain::guess_mapping(ImportKind::Customers, &table.headers);
    engine.read(|replica| {
        let mut planner = Planner::new(
            ImportKind::Customers,
            &table.headers,
            &mapping,
            replica
                .records(Entity::Customer)
                .map(|record| (record.id, &record.fields)),
            replica
                .records(Entity::Contact)
                .map(|record| (record.id, &record.fields)),
            vec![(MEMBER, "Ada".to_owned())],
            MEMBER,
        );
        for rows in table.rows.chunks(7) {
            planner.add(rows);
        }
        let changes = planner.changes(
            Decisions::default(),
            |id| {
                replica
                    .get(RecordKey::new(Entity::Customer, id))
                    .map(|record| &record.fields)
            },
            |id| replica.default_contact(id).is_some(),
        );
        (planner.counts(), changes)
    })
}

fn live(engine: &TestEngine, entity: Entity) -> usize {
    engine.read(|replica| replica.records(entity).count())
}

#[tokio::test]
async fn generated_files_import_once_reach_every_device_and_import_again_as_nothing() {
    let seed: u64 = std::env::var("IMPORT_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or_else(rand::random);
    println!("IMPORT_SEED={seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for case in 0..6 {
        let (pool, _dir) = database().await;
        member_exists(&pool).await;
        let alice = device(&pool).await;
        let bob = device(&pool).await;
        let mut held = Vec::new();
        for at in 0..rng.random_range(0..5) {
            let email = format!("held{at}@before.test");
            let patch = fields(json!({"name": format!("Held {at}"), "kind": "company",
                "status": "Customer", "email": email}));
            alice
                .upsert(Entity::Customer, uuid::Uuid::now_v7(), &patch)
                .await
                .expect("held customer");
            held.push(email);
        }
        let (file, expected) = generated_file(&mut rng, case, &held);
        let (counts, changes) = plan(&alice, &file);
        assert_eq!(counts, expected, "seed {seed}, case {case}:\n{file}");
        let receipt =
            ImportReceipt::of(ImportKind::Customers, "generated.csv", Utc::now(), &changes);
        let batch: Vec<BatchChange> = changes.into_iter().map(Into::into).collect();
        alice
            .save_batch(&batch, None)
            .await
            .expect("saved as one batch");
        let customers = held.len() + expected.new;
        assert_eq!(
            live(&alice, Entity::Customer),
            customers,
            "seed {seed}, case {case}"
        );
        assert_eq!(
            live(&alice, Entity::Contact),
            expected.new,
            "one contact per new row"
        );
        let alice = reload(alice, &pool).await;
        assert_eq!(
            live(&alice, Entity::Customer),
            customers,
            "kept over a reload"
        );
        sync(&alice).await;
        assert_eq!(
            alice.read(|replica| replica.pending_count()),
            0,
            "seed {seed}: all accepted"
        );
        sync(&bob).await;
        assert_eq!(
            live(&bob, Entity::Customer),
            customers,
            "seed {seed}, case {case}"
        );
        assert_eq!(live(&bob, Entity::Contact), expected.new);
        let (again, changes) = plan(&bob, &file);
        assert_eq!(again.new, 0, "seed {seed}, case {case}");
        assert!(changes.is_empty(), "seed {seed}, case {case}: {changes:?}");

        // Bob changes one imported customer; Alice undoes the import.
        let touched = receipt.created.first().map(|(id, _)| *id);
        if let Some(id) = touched {
            let patch = fields(json!({"city": "Changed since"}));
            bob.upsert(Entity::Customer, id, &patch)
                .await
                .expect("bob edits");
            sync(&bob).await;
            sync(&alice).await;
        }
        let undo = alice.read(|replica| {
            receipt.undo(|id| {
                replica
                    .get(RecordKey::new(Entity::Customer, id))
                    .map(|record| &record.fields)
            })
        });
        assert_eq!(
            undo.changed_since,
            touched.into_iter().collect::<Vec<_>>(),
            "seed {seed}"
        );
        assert_eq!(
            undo.removed,
            expected.new.saturating_sub(1),
            "seed {seed}, case {case}"
        );
        alice
            .save_batch(&undo.changes, None)
            .await
            .expect("undo saved");
        sync(&alice).await;
        sync(&bob).await;
        let kept = held.len() + usize::from(touched.is_some());
        assert_eq!(
            live(&bob, Entity::Customer),
            kept,
            "seed {seed}, case {case}"
        );
        assert_eq!(
            live(&bob, Entity::Contact),
            usize::from(touched.is_some()),
            "contacts go too"
        );
        let owners: Vec<Option<String>> = bob.read(|replica| {
            replica
                .records(Entity::Customer)
                .map(|record| record.text("owner").map(str::to_owned))
                .collect()
        });
        assert!(owners
            .iter()
            .all(|owner| owner == &Some(MEMBER.to_string())));
    }
}
