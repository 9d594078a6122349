//! Restoring a deleted record (issue 21) through the real engine and the
//! real server code: a customer comes back with exactly what its delete
//! took along, its default contact included, at once on the device that
//! restores it (offline too) and on every device after sync.
#![cfg(feature = "ssr")]

mod common;

use chrono::{Duration, Utc};
use clientele::domain::{
    BatchChange, Entity, MergeRequest, Record, RecordKey, Role, DELETED_WITH_FIELD, TRASH_DAYS,
};
use clientele::server::repository::trash::{purge_deleted_before, purged_through};
use clientele::server::repository::Db;
use clientele::server::{push, DEFAULT_WORKSPACE};
use clientele::sync::{Mutation, MutationStatus, Op};
use common::records::{
    add, add_contact, add_customer, set_network, shown_contacts, stored, stored_record, sync,
};
use common::{database, device, fields, reload, Network, TestEngine, MEMBER};
use serde_json::json;
use uuid::Uuid;

/// A customer with three contacts (the second the default), a contact
/// deleted on its own before, a deal with an activity, and a call.
struct Acme {
    customer: Uuid,
    contacts: [Uuid; 3],
    deleted_before: Uuid,
    deal: Uuid,
    deal_call: Uuid,
    call: Uuid,
}

async fn acme(engine: &TestEngine) -> Acme {
    let customer = add_customer(engine, "Acme", "Customer").await;
    let contacts = [
        add_contact(engine, customer, "Kim").await,
        add_contact(engine, customer, "Lee").await,
        add_contact(engine, customer, "Max").await,
    ];
    engine
        .upsert(
            Entity::Contact,
            contacts[1],
            &fields(json!({"is_default": true})),
        )
        .await
        .expect("Lee becomes the default");
    let deleted_before = add_contact(engine, customer, "Old").await;
    engine
        .delete(Entity::Contact, deleted_before)
        .await
        .expect("Old is deleted on its own");
    let deal = add(
        engine,
        Entity::Opportunity,
        json!({"customer_id": customer.to_string(), "title": "Renewal", "stage": "Proposal"}),
    )
    .await;
    let deal_call = add(
        engine,
        Entity::Activity,
        json!({"opportunity_id": deal.to_string(), "kind": "call", "subject": "Terms"}),
    )
    .await;
    let call = add(
        engine,
        Entity::Activity,
        json!({"customer_id": customer.to_string(), "kind": "call", "subject": "Intro"}),
    )
    .await;
    Acme {
        customer,
        contacts,
        deleted_before,
        deal,
        deal_call,
        call,
    }
}

/// Deletes a record on a device and syncs the delete.
async fn delete_and_sync(engine: &TestEngine, entity: Entity, id: Uuid) {
    engine.delete(entity, id).await.expect("deleted");
    sync(engine).await;
}

/// Whether the server keeps a record as a tombstone.
async fn deleted_on_server(pool: &Db, entity: Entity, id: Uuid) -> bool {
    stored_record(pool, entity, id).await.deleted
}

fn restore() -> serde_json::Map<String, serde_json::Value> {
    fields(json!({"deleted": false}))
}

fn shown(engine: &TestEngine, entity: Entity, id: Uuid) -> Option<Record> {
    engine.read(|replica| replica.get(RecordKey::new(entity, id)).cloned())
}

/// The names of a customer's contacts a device shows, with the default's.
fn contacts_and_default(engine: &TestEngine, customer: Uuid) -> (Vec<String>, Vec<String>) {
    let contacts = shown_contacts(engine, customer);
    // Made within one millisecond, so sorted by name rather than by age.
    let mut names: Vec<String> = contacts.iter().map(|c| c.first_name.clone()).collect();
    names.sort();
    let default = contacts
        .iter()
        .filter(|c| c.is_default)
        .map(|c| c.first_name.clone())
        .collect();
    (names, default)
}

/// Everything a device must show of Acme once it is back.
fn assert_all_back(engine: &TestEngine, acme: &Acme, who: &str) {
    assert_eq!(
        contacts_and_default(engine, acme.customer),
        (
            vec!["Kim".to_owned(), "Lee".to_owned(), "Max".to_owned()],
            vec!["Lee".to_owned()]
        ),
        "{who}: the three contacts are back with Lee the default, Old stays deleted"
    );
    for (entity, id) in [
        (Entity::Customer, acme.customer),
        (Entity::Opportunity, acme.deal),
        (Entity::Activity, acme.deal_call),
        (Entity::Activity, acme.call),
    ] {
        assert!(
            shown(engine, entity, id).is_some(),
            "{who}: {entity} {id} is back"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_customer_names_it_on_everything_that_went_with_it() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let acme = acme(&ada).await;
    sync(&ada).await;
    delete_and_sync(&ada, Entity::Customer, acme.customer).await;
    for (entity, id) in [
        (Entity::Contact, acme.contacts[0]),
        (Entity::Contact, acme.contacts[1]),
        (Entity::Contact, acme.contacts[2]),
        (Entity::Opportunity, acme.deal),
        (Entity::Activity, acme.deal_call),
        (Entity::Activity, acme.call),
    ] {
        let record = stored_record(&pool, entity, id).await;
        assert!(record.deleted, "{entity} {id} went with the customer");
        assert_eq!(
            record.reference(DELETED_WITH_FIELD),
            Some(acme.customer),
            "{entity} {id} names what it went with"
        );
    }
    let old = stored_record(&pool, Entity::Contact, acme.deleted_before).await;
    assert!(old.deleted);
    assert_eq!(
        old.reference(DELETED_WITH_FIELD),
        None,
        "Old was deleted on its own"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn restoring_a_deleted_customer_offline_brings_back_what_went_with_it_at_once_and_everywhere()
{
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let bea = device(&pool).await;
    let acme = acme(&ada).await;
    sync(&ada).await;
    delete_and_sync(&ada, Entity::Customer, acme.customer).await;
    sync(&bea).await;
    assert!(
        shown_contacts(&bea, acme.customer).is_empty(),
        "Bea saw the delete"
    );

    set_network(&ada, Network::Down);
    ada.upsert(Entity::Customer, acme.customer, &restore())
        .await
        .expect("restored offline");
    assert_all_back(&ada, &acme, "Ada offline");
    let ada = reload(ada, &pool).await;
    set_network(&ada, Network::Down);
    assert_all_back(&ada, &acme, "Ada after an offline reload");

    set_network(&ada, Network::Up);
    sync(&ada).await;
    sync(&bea).await;
    assert_all_back(&ada, &acme, "Ada after sync");
    assert_all_back(&bea, &acme, "Bea after sync");
    for (entity, id) in [
        (Entity::Contact, acme.contacts[1]),
        (Entity::Opportunity, acme.deal),
        (Entity::Activity, acme.deal_call),
    ] {
        let record = stored_record(&pool, entity, id).await;
        assert!(!record.deleted, "the server restored {entity} {id}");
        assert_eq!(record.reference(DELETED_WITH_FIELD), None);
    }
    assert!(deleted_on_server(&pool, Entity::Contact, acme.deleted_before).await);
    assert!(stored_record(&pool, Entity::Contact, acme.contacts[1])
        .await
        .flag("is_default"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_customer_deleted_and_restored_before_any_sync_keeps_everything() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let acme = acme(&ada).await;
    sync(&ada).await;
    set_network(&ada, Network::Down);
    ada.delete(Entity::Customer, acme.customer)
        .await
        .expect("deleted");
    ada.upsert(Entity::Customer, acme.customer, &restore())
        .await
        .expect("restored");
    set_network(&ada, Network::Up);
    sync(&ada).await;
    let bea = device(&pool).await;
    sync(&bea).await;
    assert_all_back(&ada, &acme, "Ada");
    assert_all_back(&bea, &acme, "Bea");
}

#[tokio::test(flavor = "multi_thread")]
async fn restoring_a_deleted_deal_brings_back_its_activities_only() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let acme = acme(&ada).await;
    delete_and_sync(&ada, Entity::Opportunity, acme.deal).await;
    assert_eq!(
        stored_record(&pool, Entity::Activity, acme.deal_call)
            .await
            .reference(DELETED_WITH_FIELD),
        Some(acme.deal)
    );
    ada.upsert(Entity::Opportunity, acme.deal, &restore())
        .await
        .expect("restored");
    sync(&ada).await;
    assert!(!deleted_on_server(&pool, Entity::Activity, acme.deal_call).await);
    assert!(!deleted_on_server(&pool, Entity::Activity, acme.call).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_contact_whose_customer_is_deleted_too_cannot_be_restored_alone() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let acme = acme(&ada).await;
    delete_and_sync(&ada, Entity::Customer, acme.customer).await;
    let refused = ada
        .upsert(Entity::Contact, acme.deleted_before, &restore())
        .await
        .expect_err("the device refuses");
    assert!(
        refused.to_string().contains("Customer does not exist"),
        "{refused}"
    );
    let old = stored_record(&pool, Entity::Contact, acme.deleted_before).await;
    let answer = push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        Uuid::now_v7(),
        &[Mutation {
            id: 1,
            entity: Entity::Contact,
            op: Op::Upsert,
            record_id: acme.deleted_before,
            base_version: old.version,
            fields: restore(),
            made_at: None,
            origin: None,
        }],
        None,
    )
    .await
    .expect("answered");
    assert_eq!(answer.results[0].status, MutationStatus::Rejected);
    assert_eq!(
        answer.results[0]
            .error
            .as_ref()
            .map(|error| error.field.as_str()),
        Some("customer_id")
    );
    assert!(deleted_on_server(&pool, Entity::Contact, acme.deleted_before).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn records_deleted_thirty_days_ago_are_purged_and_a_device_away_longer_pulls_again_keeping_its_edits(
) {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let bea = device(&pool).await;
    let acme = acme(&ada).await;
    let kept = add_customer(&ada, "Birch", "Prospect").await;
    let twin = add_customer(&ada, "Birch Ltd", "Prospect").await;
    sync(&ada).await;
    sync(&bea).await;
    // Bea goes away with an edit queued; Ada deletes Acme and merges the twin.
    set_network(&bea, Network::Down);
    bea.upsert(Entity::Customer, kept, &fields(json!({"city": "Leeds"})))
        .await
        .expect("edited offline");
    ada.delete(Entity::Customer, acme.customer)
        .await
        .expect("deleted");
    ada.save_batch(
        &[BatchChange::Merge {
            entity: Entity::Customer,
            survivor: kept,
            request: MergeRequest {
                merged: vec![twin],
                values: fields(json!({})),
            },
        }],
        None,
    )
    .await
    .expect("merged");
    sync(&ada).await;

    let now = Utc::now();
    assert_eq!(
        purge_deleted_before(&pool, now - Duration::days(TRASH_DAYS) + Duration::days(29))
            .await
            .expect("purge"),
        0,
        "29 days on, everything is still in the Trash"
    );
    let purged = purge_deleted_before(&pool, now + Duration::days(1))
        .await
        .expect("purge");
    assert_eq!(
        purged, 8,
        "Acme, its 3 contacts, Old, the deal and 2 activities"
    );
    for (entity, id) in [
        (Entity::Customer, acme.customer),
        (Entity::Contact, acme.contacts[0]),
        (Entity::Contact, acme.deleted_before),
        (Entity::Activity, acme.deal_call),
    ] {
        assert!(
            stored(&pool, entity, id).await.is_none(),
            "{entity} {id} purged"
        );
    }
    assert!(
        deleted_on_server(&pool, Entity::Customer, twin).await,
        "a record merged away stays, for edits that name it"
    );
    assert!(
        purged_through(&pool, DEFAULT_WORKSPACE)
            .await
            .expect("read")
            > 0
    );

    // Ada pulled every tombstone before the purge: she syncs as usual,
    // and drops the tombstones the server purged, also from her store.
    let report = ada.sync(|_| {}).await.expect("sync");
    assert!(!report.pulled_again);
    let held = |engine: &TestEngine, entity: Entity, id: Uuid| {
        engine.read(|replica| replica.last_known(RecordKey::new(entity, id)).is_some())
    };
    assert!(!held(&ada, Entity::Customer, acme.customer), "at once");
    let ada = reload(ada, &pool).await;
    for (entity, id) in [
        (Entity::Customer, acme.customer),
        (Entity::Contact, acme.contacts[1]),
        (Entity::Contact, acme.deleted_before),
        (Entity::Opportunity, acme.deal),
        (Entity::Activity, acme.call),
    ] {
        assert!(!held(&ada, entity, id), "Ada dropped {entity} {id}");
    }
    assert!(
        held(&ada, Entity::Customer, twin),
        "a record merged away stays on the device too"
    );
    assert!(held(&ada, Entity::Customer, kept));
    // Bea never saw the delete: she pulls again from scratch, keeping her edit.
    set_network(&bea, Network::Up);
    let report = bea.sync(|_| {}).await.expect("sync");
    assert!(report.pulled_again, "Bea pulled everything again");
    assert!(shown(&bea, Entity::Customer, acme.customer).is_none());
    assert!(shown_contacts(&bea, acme.customer).is_empty());
    assert_eq!(
        stored_record(&pool, Entity::Customer, kept)
            .await
            .text("city"),
        Some("Leeds"),
        "her queued edit reached the server"
    );
    assert_eq!(
        shown(&bea, Entity::Customer, kept).and_then(|c| c.text("city").map(str::to_owned)),
        Some("Leeds".to_owned())
    );
    let bea = reload(bea, &pool).await;
    assert!(
        shown(&bea, Entity::Customer, acme.customer).is_none(),
        "also after a reload"
    );
    let report = bea.sync(|_| {}).await.expect("sync");
    assert!(!report.pulled_again, "once is enough");
}
