//! Record history (issue 21) through the real engine and the real server
//! code: every kind of write leaves one entry per record, with the fields
//! it changed, who made it, on which device and when, written in the
//! transaction of the change, so neither ever lands without the other.
#![cfg(feature = "ssr")]

mod common;

use chrono::{Duration, Utc};
use clientele::domain::{
    BatchChange, ConvertRequest, Entity, FieldChange, HistoryEntry, HistoryKind, MergeRequest,
    Origin, Role,
};
use clientele::server::repository::Db;
use clientele::server::{pull, push, DEFAULT_WORKSPACE};
use clientele::sync::{Mutation, Op};
use common::records::{add, add_contact, add_customer, set_network, stored_record, sync};
use common::{database, device, execute, fields, on_postgres, Network, MEMBER, TEST_DEVICE};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The whole workspace history as the history pull pages it out.
async fn all_history(pool: &Db) -> Vec<HistoryEntry> {
    let mut entries = Vec::new();
    let mut cursor = 0;
    loop {
        let page = pull::pull_history(pool, DEFAULT_WORKSPACE, cursor)
            .await
            .expect("history pull");
        assert!(page.cursor >= cursor, "the cursor never goes back");
        entries.extend(page.entries);
        cursor = page.cursor;
        if !page.more {
            return entries;
        }
    }
}

/// One record's history, oldest first.
async fn history_of(pool: &Db, entity: Entity, id: Uuid) -> Vec<HistoryEntry> {
    all_history(pool)
        .await
        .into_iter()
        .filter(|entry| entry.entity == entity && entry.record_id == id)
        .collect()
}

fn kinds(entries: &[HistoryEntry]) -> Vec<HistoryKind> {
    entries.iter().map(|entry| entry.kind).collect()
}

fn change(field: &str, old: Value, new: Value) -> FieldChange {
    FieldChange {
        field: field.into(),
        old,
        new,
    }
}

#[tokio::test]
async fn an_edit_made_offline_yesterday_is_recorded_with_both_times_its_author_and_device() {
    let (pool, _dir) = database().await;
    let client = Uuid::now_v7();
    let acme = Uuid::now_v7();
    let yesterday = Utc::now() - Duration::days(1);
    let mutation = |id: u64, base_version: i64, values: Value| Mutation {
        id,
        entity: Entity::Customer,
        op: Op::Upsert,
        record_id: acme,
        base_version,
        fields: fields(values),
        made_at: Some(yesterday),
        origin: None,
    };
    let created = push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        client,
        &[mutation(
            1,
            0,
            json!({"name": "Acme", "kind": "company", "status": "Prospect", "city": "Leeds"}),
        )],
        Some("Ada's tablet"),
    )
    .await
    .expect("created");
    let version = created.results[0].version.expect("applied");
    push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        client,
        &[mutation(2, version, json!({"city": "York"}))],
        Some("Ada's tablet"),
    )
    .await
    .expect("edited");

    let history = history_of(&pool, Entity::Customer, acme).await;
    assert_eq!(
        kinds(&history),
        vec![HistoryKind::Created, HistoryKind::Edited]
    );
    let edit = &history[1];
    assert_eq!(
        edit.changes,
        vec![change("city", json!("Leeds"), json!("York"))]
    );
    assert_eq!(edit.author, Some(MEMBER));
    assert_eq!(edit.device.as_deref(), Some("Ada's tablet"));
    assert_eq!(edit.made_at, Some(yesterday));
    assert!(edit.received_at > yesterday + Duration::hours(23));
    assert!(edit.arrived_late());
    assert_eq!(
        edit.version,
        stored_record(&pool, Entity::Customer, acme).await.version
    );
    assert_eq!(
        edit.restore_patch("city").map(Value::Object),
        Some(json!({"city": "Leeds"}))
    );
}

#[tokio::test]
async fn a_device_clock_ahead_of_the_server_is_not_believed() {
    let (pool, _dir) = database().await;
    let acme = Uuid::now_v7();
    let tomorrow = Utc::now() + Duration::days(1);
    push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        Uuid::now_v7(),
        &[Mutation {
            id: 1,
            entity: Entity::Customer,
            op: Op::Upsert,
            record_id: acme,
            base_version: 0,
            fields: fields(json!({"name": "Acme", "kind": "company", "status": "Prospect"})),
            made_at: Some(tomorrow),
            origin: None,
        }],
        Some(&"a very long name ".repeat(20)),
    )
    .await
    .expect("created");
    let history = history_of(&pool, Entity::Customer, acme).await;
    assert_eq!(history[0].made_at, Some(history[0].received_at));
    assert_eq!(
        history[0].device.as_ref().map(|name| name.chars().count()),
        Some(60)
    );
}

#[tokio::test]
async fn delete_restore_merge_unmerge_conversion_its_undo_and_import_each_say_what_they_were() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let acme = add_customer(&ada, "Acme", "Customer").await;
    let kim = add_contact(&ada, acme, "Kim").await;
    let twin = add_customer(&ada, "Acme Ltd", "Prospect").await;
    let lead = add(
        &ada,
        Entity::Lead,
        json!({"person_name": "Lou Reed", "company_name": "Velvet", "status": "New"}),
    )
    .await;
    sync(&ada).await;

    ada.delete(Entity::Customer, acme).await.expect("deleted");
    sync(&ada).await;
    ada.upsert(Entity::Customer, acme, &fields(json!({"deleted": false})))
        .await
        .expect("restored");
    sync(&ada).await;
    ada.save_batch(
        &[BatchChange::Merge {
            entity: Entity::Customer,
            survivor: acme,
            request: MergeRequest {
                merged: vec![twin],
                values: fields(json!({"status": "Prospect"})),
            },
        }],
        None,
    )
    .await
    .expect("merged");
    sync(&ada).await;
    ada.unmerge(Entity::Customer, twin).await.expect("unmerged");
    sync(&ada).await;
    let velvet = Uuid::now_v7();
    let lou = Uuid::now_v7();
    ada.convert(
        lead,
        ConvertRequest {
            customer_id: velvet,
            contact_id: Some(lou),
            status: None,
        },
    )
    .await
    .expect("converted");
    let imported = Uuid::now_v7();
    ada.save_batch(
        &[BatchChange::Upsert {
            entity: Entity::Customer,
            id: imported,
            fields: fields(json!({"name": "Imported", "kind": "company", "status": "Suspect"})),
        }],
        Some(Origin::Import),
    )
    .await
    .expect("imported");
    sync(&ada).await;
    ada.unconvert(lead, "New").await.expect("unconverted");
    sync(&ada).await;

    use HistoryKind::*;
    let acme_history = history_of(&pool, Entity::Customer, acme).await;
    assert_eq!(
        kinds(&acme_history),
        vec![Created, Deleted, Restored, Merged, Unmerged]
    );
    assert_eq!(
        acme_history[3].changes,
        vec![change("status", json!("Customer"), json!("Prospect"))]
    );
    // The contact went with its customer and came back with it.
    assert_eq!(
        kinds(&history_of(&pool, Entity::Contact, kim).await),
        vec![Created, Deleted, Restored]
    );
    assert_eq!(
        kinds(&history_of(&pool, Entity::Customer, twin).await),
        vec![Created, Merged, Unmerged]
    );
    let lead_history = history_of(&pool, Entity::Lead, lead).await;
    assert_eq!(kinds(&lead_history), vec![Created, Converted, Unconverted]);
    assert!(lead_history[1]
        .changes
        .iter()
        .any(|change| change.field == "status" && change.new == json!("Converted")));
    assert!(lead_history[2]
        .changes
        .contains(&change("status", json!("Converted"), json!("New"))));
    assert_eq!(
        kinds(&history_of(&pool, Entity::Customer, velvet).await),
        vec![Converted]
    );
    assert_eq!(
        kinds(&history_of(&pool, Entity::Contact, lou).await),
        vec![Converted]
    );
    let import = history_of(&pool, Entity::Customer, imported).await;
    assert_eq!(kinds(&import), vec![Created]);
    assert_eq!(import[0].origin, Some(Origin::Import));
    assert!(import
        .iter()
        .chain(&acme_history)
        .all(|entry| entry.device.as_deref() == Some(TEST_DEVICE)));
}

/// Makes every insert into `table` fail, as a disk that fills up at that
/// moment would.
async fn break_inserts_into(pool: &Db, table: &str) {
    if on_postgres() {
        execute(
            pool,
            "CREATE FUNCTION refuse_insert() RETURNS trigger AS $$ \
             BEGIN RAISE EXCEPTION 'disk full'; END $$ LANGUAGE plpgsql",
            &[],
        )
        .await;
        execute(
            pool,
            &format!(
                "CREATE TRIGGER refuse BEFORE INSERT ON {table} \
                 FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
            ),
            &[],
        )
        .await;
    } else {
        execute(
            pool,
            &format!(
                "CREATE TRIGGER refuse BEFORE INSERT ON {table} \
                 BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            ),
            &[],
        )
        .await;
    }
}

#[tokio::test]
async fn a_change_whose_history_cannot_be_written_is_not_kept_and_the_device_tries_again() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let acme = add_customer(&ada, "Acme", "Customer").await;
    sync(&ada).await;
    break_inserts_into(&pool, "history").await;
    ada.upsert(Entity::Customer, acme, &fields(json!({"city": "York"})))
        .await
        .expect("saved on the device");
    assert!(ada.sync(|_| {}).await.is_err(), "the push fails whole");
    assert_eq!(
        stored_record(&pool, Entity::Customer, acme)
            .await
            .text("city"),
        None,
        "the change did not land without its history"
    );
    assert_eq!(ada.read(|replica| replica.pending_count()), 1);
    let mend = if on_postgres() {
        "DROP TRIGGER refuse ON history"
    } else {
        "DROP TRIGGER refuse"
    };
    execute(&pool, mend, &[]).await;
    sync(&ada).await;
    let history = history_of(&pool, Entity::Customer, acme).await;
    assert_eq!(
        kinds(&history),
        vec![HistoryKind::Created, HistoryKind::Edited]
    );
}

#[tokio::test]
async fn history_is_not_kept_for_a_change_that_could_not_be_written() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    add_customer(&ada, "Acme", "Customer").await;
    break_inserts_into(&pool, "customers").await;
    assert!(ada.sync(|_| {}).await.is_err(), "the push fails whole");
    assert!(all_history(&pool).await.is_empty());
}

/// A seed for the search below: `HISTORY_SEED` replays one.
fn search_seed() -> u64 {
    std::env::var("HISTORY_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(rand::random)
}

const CITIES: [&str; 4] = ["Leeds", "York", "Hull", "Bath"];
const STATUSES: [&str; 3] = ["Prospect", "Customer", "Inactive"];

#[tokio::test]
async fn replaying_every_history_entry_in_order_gives_each_record_as_the_server_keeps_it() {
    let seed = search_seed();
    eprintln!("history search: HISTORY_SEED={seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for case in 0..8 {
        let (pool, _dir) = database().await;
        let phones = [device(&pool).await, device(&pool).await];
        let mut customers = Vec::new();
        for at in 0..3 {
            customers.push(add_customer(&phones[0], &format!("Co {at}"), "Prospect").await);
        }
        sync(&phones[0]).await;
        sync(&phones[1]).await;
        for _ in 0..rng.random_range(10..30) {
            let phone = &phones[rng.random_range(0..2)];
            let customer = customers[rng.random_range(0..customers.len())];
            let deleted = phone.read(|replica| {
                replica
                    .last_known(clientele::domain::RecordKey::new(
                        Entity::Customer,
                        customer,
                    ))
                    .is_none_or(|record| record.deleted)
            });
            let outcome = match rng.random_range(0..8) {
                0 if !deleted => phone.delete(Entity::Customer, customer).await,
                1 if deleted => {
                    phone
                        .upsert(
                            Entity::Customer,
                            customer,
                            &fields(json!({"deleted": false})),
                        )
                        .await
                }
                2 if !deleted => {
                    let contact =
                        fields(json!({"customer_id": customer.to_string(), "first_name": "Kim"}));
                    phone
                        .upsert(Entity::Contact, Uuid::now_v7(), &contact)
                        .await
                }
                3 => {
                    set_network(phone, Network::Down);
                    Ok(())
                }
                4 => {
                    set_network(phone, Network::Up);
                    let _ = phone.sync(|_| {}).await;
                    Ok(())
                }
                _ if deleted => Ok(()),
                _ => {
                    let mut patch = Map::new();
                    patch.insert("city".into(), json!(CITIES[rng.random_range(0..4)]));
                    if rng.random_bool(0.5) {
                        patch.insert("status".into(), json!(STATUSES[rng.random_range(0..3)]));
                    }
                    phone.upsert(Entity::Customer, customer, &patch).await
                }
            };
            // A device may refuse a change its view forbids: that is fine.
            drop(outcome);
        }
        for phone in &phones {
            set_network(phone, Network::Up);
            sync(phone).await;
        }
        let mut replayed: BTreeMap<(Entity, Uuid), (Map<String, Value>, i64)> = BTreeMap::new();
        for entry in all_history(&pool).await {
            let (record, version) = replayed
                .entry((entry.entity, entry.record_id))
                .or_insert_with(|| (Map::new(), 0));
            assert!(
                entry.version > *version,
                "[HISTORY_SEED={seed} case {case}] entries come in version order"
            );
            *version = entry.version;
            for change in entry.changes {
                let held = record.get(&change.field).cloned().unwrap_or(Value::Null);
                assert_eq!(
                    held, change.old,
                    "[HISTORY_SEED={seed} case {case}] {} of {} changed from what the last entry left",
                    change.field, entry.record_id
                );
                record.insert(change.field, change.new);
            }
        }
        for ((entity, id), (record, version)) in &replayed {
            let stored = stored_record(&pool, *entity, *id).await;
            assert_eq!(
                *version, stored.version,
                "[HISTORY_SEED={seed} case {case}] the last write of {entity} {id} has its entry"
            );
            for (field, value) in record {
                assert_eq!(
                    stored.fields.get(field).unwrap_or(&Value::Null),
                    value,
                    "[HISTORY_SEED={seed} case {case}] {field} of {entity} {id}"
                );
            }
        }
        assert!(
            replayed.len() >= customers.len(),
            "[HISTORY_SEED={seed} case {case}] every record has a history"
        );
    }
}
