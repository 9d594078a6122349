//! Merging duplicates (issue 20) through the real engine and the real
//! server code: what a merge moves, what it leaves, what later edits to a
//! merged-away record do, and that two devices merging overlapping groups
//! offline end with one survivor. A last test posts the wire shape of
//! DESIGN.md section 4 over real HTTP.
#![cfg(feature = "ssr")]

mod common;

use clientele::domain::{
    BatchChange, ConvertRequest, Entity, MergeRequest, Record, RecordKey, DELETED_WITH_FIELD,
    MERGED_INTO_FIELD,
};
use clientele::server::repository::{live_referencing, Db};
use clientele::server::{pull, DEFAULT_WORKSPACE};
use common::http::TestServer;
use common::records::{
    add, add_contact, add_customer, counter, set_network, shown_contacts, stored_record, sync,
};
use common::{database, device, fields, reload, Network, TestEngine};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Merges `merged` into `survivor` on a device, with these chosen values.
async fn merge(
    engine: &TestEngine,
    entity: Entity,
    survivor: Uuid,
    merged: &[Uuid],
    values: Value,
) {
    let request = MergeRequest {
        merged: merged.to_vec(),
        values: fields(values),
    };
    engine
        .save_batch(
            &[BatchChange::Merge {
                entity,
                survivor,
                request,
            }],
            None,
        )
        .await
        .expect("the merge is saved");
}

/// One live record as the device shows it.
fn shown(engine: &TestEngine, entity: Entity, id: Uuid) -> Option<Record> {
    engine.read(|replica| replica.get(RecordKey::new(entity, id)).cloned())
}

/// A record as the device last knew it, tombstones included.
fn last_known(engine: &TestEngine, entity: Entity, id: Uuid) -> Option<Record> {
    engine.read(|replica| replica.last_known(RecordKey::new(entity, id)).cloned())
}

/// The live records of `entity` the server keeps whose `column` names `parent`.
async fn stored_children(pool: &Db, entity: Entity, column: &str, parent: Uuid) -> Vec<Record> {
    let mut tx = pool.begin_read().await.expect("a transaction");
    live_referencing(&mut tx, DEFAULT_WORKSPACE, entity, column, &[parent])
        .await
        .expect("query")
        .into_iter()
        .map(|stored| stored.record)
        .collect()
}

fn default_of(contacts: &[clientele::domain::Contact]) -> Vec<Uuid> {
    contacts
        .iter()
        .filter(|contact| contact.is_default)
        .map(|contact| contact.id)
        .collect()
}

fn text(record: &Record, field: &str) -> Option<String> {
    record.text(field).map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn merging_two_customers_moves_everything_to_the_survivor_and_keeps_its_default_contact() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let kept = add_customer(&ada, "Acme", "Customer").await;
    let kept_contact = add_contact(&ada, kept, "Kim").await;
    let gone = add(
        &ada,
        Entity::Customer,
        json!({"name": "ACME Ltd", "kind": "company", "status": "Prospect", "phone": "+44 1"}),
    )
    .await;
    let gone_contact = add_contact(&ada, gone, "Gil").await;
    let deal = add(
        &ada,
        Entity::Opportunity,
        json!({"customer_id": gone.to_string(), "title": "Renewal", "stage": "Proposal"}),
    )
    .await;
    let call = add(
        &ada,
        Entity::Activity,
        json!({"customer_id": gone.to_string(), "contact_id": gone_contact.to_string(),
               "kind": "call", "subject": "Intro"}),
    )
    .await;
    let lead = add(
        &ada,
        Entity::Lead,
        json!({"company_name": "Acme", "status": "Qualified"}),
    )
    .await;
    ada.convert(
        lead,
        ConvertRequest {
            customer_id: gone,
            contact_id: None,
            status: None,
        },
    )
    .await
    .expect("converted");
    sync(&ada).await;

    set_network(&ada, Network::Down);
    merge(
        &ada,
        Entity::Customer,
        kept,
        &[gone],
        json!({"phone": "+44 1"}),
    )
    .await;
    // Shown at once, offline.
    assert!(shown(&ada, Entity::Customer, gone).is_none());
    let tombstone = last_known(&ada, Entity::Customer, gone).expect("kept as a tombstone");
    assert_eq!(text(&tombstone, MERGED_INTO_FIELD), Some(kept.to_string()));
    let survivor = shown(&ada, Entity::Customer, kept).expect("the survivor");
    assert_eq!(text(&survivor, "phone").as_deref(), Some("+44 1"));
    let contacts = shown_contacts(&ada, kept);
    assert_eq!(contacts.len(), 2);
    assert_eq!(default_of(&contacts), vec![kept_contact]);
    let deal_shown = shown(&ada, Entity::Opportunity, deal).expect("the deal");
    assert_eq!(deal_shown.reference("customer_id"), Some(kept));

    // And on the server once synced, to a second device as well.
    set_network(&ada, Network::Up);
    sync(&ada).await;
    let stored_gone = stored_record(&pool, Entity::Customer, gone).await;
    assert!(stored_gone.deleted);
    assert_eq!(
        text(&stored_gone, MERGED_INTO_FIELD),
        Some(kept.to_string())
    );
    let stored_kept = stored_record(&pool, Entity::Customer, kept).await;
    assert_eq!(text(&stored_kept, "phone").as_deref(), Some("+44 1"));
    let stored_contacts = stored_children(&pool, Entity::Contact, "customer_id", kept).await;
    assert_eq!(stored_contacts.len(), 2);
    let defaults: Vec<Uuid> = stored_contacts
        .iter()
        .filter(|contact| contact.flag("is_default"))
        .map(|contact| contact.id)
        .collect();
    assert_eq!(defaults, vec![kept_contact]);
    for (entity, id) in [(Entity::Opportunity, deal), (Entity::Activity, call)] {
        let record = stored_record(&pool, entity, id).await;
        assert!(!record.deleted, "{entity} {id} survives the merge");
        assert_eq!(record.reference("customer_id"), Some(kept));
    }
    assert_eq!(
        stored_record(&pool, Entity::Lead, lead)
            .await
            .reference("customer_id"),
        Some(kept),
        "the lead converted into the merged customer follows it"
    );
    for column in ["customer_id"] {
        for entity in [Entity::Contact, Entity::Opportunity, Entity::Activity] {
            let left = stored_children(&pool, entity, column, gone).await;
            assert!(left.is_empty(), "nothing stays attached to the tombstone");
        }
    }
    let bea = device(&pool).await;
    sync(&bea).await;
    assert!(shown(&bea, Entity::Customer, gone).is_none());
    assert_eq!(default_of(&shown_contacts(&bea, kept)), vec![kept_contact]);
    assert_eq!(shown_contacts(&bea, kept).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_and_contacts_made_offline_on_a_merged_away_customer_land_on_the_survivor() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let bea = device(&pool).await;
    let kept = add_customer(&ada, "Globex", "Customer").await;
    let gone = add_customer(&ada, "Globex Corp", "Prospect").await;
    sync(&ada).await;
    sync(&bea).await;

    set_network(&bea, Network::Down);
    bea.upsert(Entity::Customer, gone, &fields(json!({"city": "Lyon"})))
        .await
        .expect("edited offline");
    let newcomer = add_contact(&bea, gone, "Noa").await;

    merge(&ada, Entity::Customer, kept, &[gone], json!({})).await;
    sync(&ada).await;

    set_network(&bea, Network::Up);
    sync(&bea).await;
    sync(&ada).await;
    let survivor = stored_record(&pool, Entity::Customer, kept).await;
    assert_eq!(text(&survivor, "city").as_deref(), Some("Lyon"));
    let contact = stored_record(&pool, Entity::Contact, newcomer).await;
    assert!(!contact.deleted);
    assert_eq!(contact.reference("customer_id"), Some(kept));
    assert!(
        contact.flag("is_default"),
        "the survivor's only contact is its default"
    );
    assert!(stored_children(&pool, Entity::Contact, "customer_id", gone)
        .await
        .is_empty());
    for engine in [&ada, &bea] {
        assert_eq!(
            shown_contacts(engine, kept)
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>(),
            vec![newcomer]
        );
        assert_eq!(
            shown(engine, Entity::Customer, kept).and_then(|c| text(&c, "city")),
            Some("Lyon".to_owned())
        );
        assert!(shown(engine, Entity::Customer, gone).is_none());
        assert!(engine.read(|replica| replica.rejected().is_empty()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_merge_done_already_changes_nothing_when_another_device_sends_it_again() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let bea = device(&pool).await;
    let kept = add_customer(&ada, "Initech", "Customer").await;
    let gone = add_customer(&ada, "Initech Inc", "Customer").await;
    sync(&ada).await;
    sync(&bea).await;

    set_network(&bea, Network::Down);
    merge(&ada, Entity::Customer, kept, &[gone], json!({})).await;
    merge(&bea, Entity::Customer, kept, &[gone], json!({})).await;
    sync(&ada).await;
    let after_first = counter(&pool).await;
    set_network(&bea, Network::Up);
    sync(&bea).await;
    assert_eq!(
        counter(&pool).await,
        after_first,
        "the second merge wrote nothing"
    );
    assert!(bea.read(|replica| replica.rejected().is_empty()));

    // A retried push whose reply was lost is answered as the first time.
    let cy = device(&pool).await;
    sync(&cy).await;
    let third = add_customer(&cy, "Initech GmbH", "Customer").await;
    sync(&cy).await;
    merge(&cy, Entity::Customer, kept, &[third], json!({})).await;
    set_network(&cy, Network::LoseNextPushReply);
    assert!(cy.sync(|_| {}).await.is_err());
    let after_lost_reply = counter(&pool).await;
    sync(&cy).await;
    assert_eq!(counter(&pool).await, after_lost_reply);
    assert!(stored_record(&pool, Entity::Customer, third).await.deleted);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_devices_merging_overlapping_groups_offline_converge_to_one_survivor() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let bea = device(&pool).await;
    let first = add_customer(&ada, "Umbrella", "Customer").await;
    let second = add_customer(&ada, "Umbrella Corp", "Customer").await;
    let third = add_customer(&ada, "The Umbrella Company", "Customer").await;
    let contacts = [
        add_contact(&ada, first, "Ann").await,
        add_contact(&ada, second, "Ben").await,
        add_contact(&ada, third, "Cat").await,
    ];
    sync(&ada).await;
    sync(&bea).await;

    set_network(&ada, Network::Down);
    set_network(&bea, Network::Down);
    merge(&ada, Entity::Customer, first, &[second], json!({})).await;
    merge(&bea, Entity::Customer, second, &[first, third], json!({})).await;
    set_network(&ada, Network::Up);
    set_network(&bea, Network::Up);
    sync(&ada).await;
    sync(&bea).await;
    sync(&ada).await;

    for engine in [&ada, &bea] {
        let live: Vec<Uuid> = [first, second, third]
            .into_iter()
            .filter(|id| shown(engine, Entity::Customer, *id).is_some())
            .collect();
        assert_eq!(live, vec![first], "one survivor, the same on both devices");
        let mut held: Vec<Uuid> = shown_contacts(engine, first).iter().map(|c| c.id).collect();
        held.sort_unstable();
        let mut expected = contacts.to_vec();
        expected.sort_unstable();
        assert_eq!(held, expected, "every contact is on the survivor");
        assert_eq!(default_of(&shown_contacts(engine, first)).len(), 1);
        assert!(engine.read(|replica| replica.rejected().is_empty()));
    }
    for gone in [second, third] {
        let tombstone = stored_record(&pool, Entity::Customer, gone).await;
        assert!(tombstone.deleted);
        assert_eq!(text(&tombstone, MERGED_INTO_FIELD), Some(first.to_string()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn merging_contacts_hands_the_default_mark_to_the_one_that_stays_and_moves_activities() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let customer = add_customer(&ada, "Hooli", "Customer").await;
    let original = add_contact(&ada, customer, "Gavin").await;
    let copy = add_contact(&ada, customer, "Gavin").await;
    let note = add(
        &ada,
        Entity::Activity,
        json!({"contact_id": original.to_string(), "kind": "note", "subject": "Met"}),
    )
    .await;
    sync(&ada).await;
    assert_eq!(default_of(&shown_contacts(&ada, customer)), vec![original]);

    merge(
        &ada,
        Entity::Contact,
        copy,
        &[original],
        json!({"job_title": "CEO"}),
    )
    .await;
    assert_eq!(default_of(&shown_contacts(&ada, customer)), vec![copy]);
    sync(&ada).await;
    let kept = stored_record(&pool, Entity::Contact, copy).await;
    assert!(kept.flag("is_default"));
    assert_eq!(text(&kept, "job_title").as_deref(), Some("CEO"));
    assert_eq!(
        stored_record(&pool, Entity::Activity, note)
            .await
            .reference("contact_id"),
        Some(copy)
    );
    let reloaded = reload(ada, &pool).await;
    assert_eq!(default_of(&shown_contacts(&reloaded, customer)), vec![copy]);
}

#[tokio::test(flavor = "multi_thread")]
async fn merging_leads_moves_their_deals_and_a_converted_lead_cannot_be_merged_away() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let kept = add(
        &ada,
        Entity::Lead,
        json!({"person_name": "Jo Bloggs", "status": "New"}),
    )
    .await;
    let gone = add(
        &ada,
        Entity::Lead,
        json!({"person_name": "Jo Bloggs", "email": "jo@bloggs.test", "status": "Contacted"}),
    )
    .await;
    let deal = add(
        &ada,
        Entity::Opportunity,
        json!({"lead_id": gone.to_string(), "title": "Pilot", "stage": "Qualification"}),
    )
    .await;
    sync(&ada).await;
    merge(
        &ada,
        Entity::Lead,
        kept,
        &[gone],
        json!({"email": "jo@bloggs.test"}),
    )
    .await;
    sync(&ada).await;
    let survivor = stored_record(&pool, Entity::Lead, kept).await;
    assert_eq!(text(&survivor, "email").as_deref(), Some("jo@bloggs.test"));
    assert_eq!(
        stored_record(&pool, Entity::Opportunity, deal)
            .await
            .reference("lead_id"),
        Some(kept)
    );

    let converted = add(
        &ada,
        Entity::Lead,
        json!({"person_name": "Jo Bloggs", "status": "Qualified"}),
    )
    .await;
    ada.convert(
        converted,
        ConvertRequest {
            customer_id: Uuid::now_v7(),
            contact_id: None,
            status: None,
        },
    )
    .await
    .expect("converted");
    let refused = ada
        .save_batch(
            &[BatchChange::Merge {
                entity: Entity::Lead,
                survivor: kept,
                request: MergeRequest {
                    merged: vec![converted],
                    values: Map::new(),
                },
            }],
            None,
        )
        .await;
    assert!(
        refused.is_err(),
        "the device refuses it as the server would"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_merge_op_of_the_wire_contract_is_answered_and_pulled_as_designed() {
    let server = TestServer::start().await;
    let ada = server.member_of_new_workspace("ada@merge.test").await;
    let (kept, gone, contact) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let client_id = Uuid::now_v7();
    let upsert = |id: u64, entity: &str, record: Uuid, fields: Value| {
        json!({"id": id, "entity": entity, "op": "upsert", "record_id": record,
               "base_version": 0, "fields": fields})
    };
    let (status, reply) = ada
        .post(
            "/api/sync/push",
            json!({"client_id": client_id, "mutations": [
                upsert(1, "customer", kept, json!({"name": "Acme", "kind": "company", "status": "Customer"})),
                upsert(2, "customer", gone, json!({"name": "Acme Ltd", "kind": "company", "status": "Prospect", "phone": "+44 2"})),
                upsert(3, "contact", contact, json!({"customer_id": gone, "first_name": "Gil"})),
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let merge = json!({"id": 4, "entity": "customer", "op": "merge", "record_id": kept,
        "base_version": 1, "fields": {"merged": [gone], "values": {"phone": "+44 2"}}});
    let body = json!({"client_id": client_id, "mutations": [merge]});
    let (status, first) = ada.post("/api/sync/push", body.clone()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["results"][0]["status"], "applied", "{first}");
    assert!(first["results"][0]["version"].is_i64());
    let (status, again) = ada.post("/api/sync/push", body).await;
    assert_eq!(status, 200);
    assert_eq!(
        again["results"], first["results"],
        "a retry is answered as the first time"
    );

    let rows = ada.pull_all().await;
    let record = |id: Uuid| {
        rows.iter()
            .map(|row| &row["record"])
            .find(|record| record["id"] == id.to_string())
            .cloned()
            .expect("pulled")
    };
    assert_eq!(record(gone)["deleted"], true);
    assert_eq!(record(gone)["merged_into"], kept.to_string());
    assert_eq!(record(kept)["phone"], "+44 2");
    assert_eq!(record(contact)["customer_id"], kept.to_string());

    // A client may not write `merged_into` itself, nor merge what cannot be.
    let (status, refused) = ada
        .post(
            "/api/sync/push",
            json!({"client_id": client_id, "mutations": [
                upsert(5, "customer", kept, json!({"merged_into": gone})),
            ]}),
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    let (status, refused) = ada
        .post(
            "/api/sync/push",
            json!({"client_id": client_id, "mutations": [
                {"id": 5, "entity": "activity", "op": "merge", "record_id": kept,
                 "base_version": 0, "fields": {"merged": [gone]}},
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{refused}");
    assert_eq!(refused["results"][0]["status"], "rejected");
    assert_eq!(refused["results"][0]["error"]["field"], "entity");

    // The unmerge op: no fields, answered with the restored record's version.
    let unmerge = |id: u64, fields: Value| {
        json!({"client_id": client_id, "mutations": [
            {"id": id, "entity": "customer", "op": "unmerge", "record_id": gone,
             "base_version": 0, "fields": fields}]})
    };
    let (status, refused) = ada
        .post("/api/sync/push", unmerge(6, json!({"phone": "+44 3"})))
        .await;
    assert_eq!(status, 400, "{refused}");
    let (status, answered) = ada.post("/api/sync/push", unmerge(6, json!({}))).await;
    assert_eq!(status, 200, "{answered}");
    assert_eq!(answered["results"][0]["status"], "applied", "{answered}");
    let rows = ada.pull_all().await;
    let record = |id: Uuid| {
        rows.iter()
            .map(|row| &row["record"])
            .rfind(|record| record["id"] == id.to_string())
            .cloned()
            .expect("pulled")
    };
    assert_eq!(record(gone)["deleted"], false);
    assert_eq!(record(gone)["merged_into"], Value::Null);
    assert_eq!(record(gone)["version"], answered["results"][0]["version"]);
    assert_eq!(record(contact)["customer_id"], gone.to_string());
    assert_eq!(record(kept)["phone"], Value::Null);
}

/// Takes back the merge of `merged` on a device.
async fn unmerge(engine: &TestEngine, entity: Entity, merged: Uuid) {
    engine
        .unmerge(entity, merged)
        .await
        .expect("the unmerge is saved");
}

#[tokio::test(flavor = "multi_thread")]
async fn unmerging_a_customer_brings_it_back_with_what_moved_except_what_changed_since() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let bea = device(&pool).await;
    let kept = add_customer(&ada, "Initech", "Customer").await;
    let kept_contact = add_contact(&ada, kept, "Kim").await;
    let gone = add(
        &ada,
        Entity::Customer,
        json!({"name": "Initech Ltd", "kind": "company", "status": "Prospect",
               "phone": "+44 2", "city": "Bath"}),
    )
    .await;
    let gone_default = add_contact(&ada, gone, "Gil").await;
    let gone_other = add_contact(&ada, gone, "Lou").await;
    let elsewhere = add_customer(&ada, "Umbrella", "Customer").await;
    let deal = add(
        &ada,
        Entity::Opportunity,
        json!({"customer_id": gone.to_string(), "title": "Renewal", "stage": "Proposal"}),
    )
    .await;
    let call = add(
        &ada,
        Entity::Activity,
        json!({"customer_id": gone.to_string(), "kind": "call", "subject": "Intro"}),
    )
    .await;
    let lead = add(
        &ada,
        Entity::Lead,
        json!({"company_name": "Initech", "status": "Qualified"}),
    )
    .await;
    ada.convert(
        lead,
        ConvertRequest {
            customer_id: gone,
            contact_id: None,
            status: None,
        },
    )
    .await
    .expect("converted");
    sync(&ada).await;
    merge(
        &ada,
        Entity::Customer,
        kept,
        &[gone],
        json!({"phone": "+44 2", "city": "Bath"}),
    )
    .await;
    sync(&ada).await;
    sync(&bea).await;
    assert_eq!(
        stored_record(&pool, Entity::Lead, lead)
            .await
            .reference("customer_id"),
        Some(kept)
    );

    // After the merge, someone moves the deal on and edits the city.
    bea.upsert(
        Entity::Opportunity,
        deal,
        &fields(json!({"customer_id": elsewhere.to_string()})),
    )
    .await
    .expect("moved on");
    bea.upsert(Entity::Customer, kept, &fields(json!({"city": "Leeds"})))
        .await
        .expect("edited");
    sync(&bea).await;
    sync(&ada).await;

    set_network(&ada, Network::Down);
    unmerge(&ada, Entity::Customer, gone).await;
    let back = shown(&ada, Entity::Customer, gone).expect("shown again at once, offline");
    assert_eq!(back.text(MERGED_INTO_FIELD), None);
    set_network(&ada, Network::Up);
    sync(&ada).await;
    sync(&bea).await;

    let restored = stored_record(&pool, Entity::Customer, gone).await;
    assert!(!restored.deleted);
    assert_eq!(text(&restored, "phone").as_deref(), Some("+44 2"));
    let survivor = stored_record(&pool, Entity::Customer, kept).await;
    assert_eq!(
        text(&survivor, "phone"),
        None,
        "the phone it took from the merged one goes"
    );
    assert_eq!(
        text(&survivor, "city").as_deref(),
        Some("Leeds"),
        "an edit since stays"
    );
    assert_eq!(
        stored_record(&pool, Entity::Opportunity, deal)
            .await
            .reference("customer_id"),
        Some(elsewhere)
    );
    assert_eq!(
        stored_record(&pool, Entity::Activity, call)
            .await
            .reference("customer_id"),
        Some(gone)
    );
    assert_eq!(
        stored_record(&pool, Entity::Lead, lead)
            .await
            .reference("customer_id"),
        Some(gone)
    );
    for engine in [&ada, &bea] {
        let back: Vec<Uuid> = shown_contacts(engine, gone).iter().map(|c| c.id).collect();
        assert_eq!(back.len(), 2);
        assert!(back.contains(&gone_default) && back.contains(&gone_other));
        assert_eq!(
            default_of(&shown_contacts(engine, gone)),
            vec![gone_default]
        );
        assert_eq!(
            default_of(&shown_contacts(engine, kept)),
            vec![kept_contact]
        );
        assert!(shown(engine, Entity::Customer, gone).is_some());
        assert!(engine.read(|replica| replica.rejected().is_empty()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unmerge_sent_twice_changes_nothing_more_and_a_forgotten_merge_is_refused() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let bea = device(&pool).await;
    let kept = add_customer(&ada, "Hooli", "Customer").await;
    let gone = add_customer(&ada, "Hooli Inc", "Prospect").await;
    let third = add_customer(&ada, "Hooli Corp", "Prospect").await;
    sync(&ada).await;
    merge(&ada, Entity::Customer, kept, &[gone, third], json!({})).await;
    sync(&ada).await;
    sync(&bea).await;

    // Both devices unmerge the same record, offline of each other.
    unmerge(&ada, Entity::Customer, gone).await;
    unmerge(&bea, Entity::Customer, gone).await;
    sync(&ada).await;
    let head = counter(&pool).await;
    sync(&bea).await;
    assert_eq!(
        counter(&pool).await,
        head,
        "the second unmerge wrote nothing"
    );
    assert!(bea.read(|replica| replica.rejected().is_empty()));
    assert!(!stored_record(&pool, Entity::Customer, gone).await.deleted);

    // What the server kept of the other merge is gone (as after 30 days).
    crate::on_test_db!(&pool, |pool| {
        sqlx::query("DELETE FROM merge_undo")
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
            .expect("forget the merge")
    });
    sync(&ada).await;
    unmerge(&ada, Entity::Customer, third).await;
    sync(&ada).await;
    let refused = ada.read(|replica| replica.rejected().to_vec());
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].error.field, MERGED_INTO_FIELD);
    assert!(
        refused[0].error.message.contains("30 days"),
        "{}",
        refused[0].error.message
    );
    assert!(stored_record(&pool, Entity::Customer, third).await.deleted);
}

#[tokio::test(flavor = "multi_thread")]
async fn unmerging_a_contact_gives_the_default_mark_back_to_it() {
    let (pool, _dir) = database().await;
    let ada = device(&pool).await;
    let customer = add_customer(&ada, "Vandelay", "Customer").await;
    let first = add_contact(&ada, customer, "Art").await;
    let second = add_contact(&ada, customer, "Arthur").await;
    sync(&ada).await;
    merge(&ada, Entity::Contact, second, &[first], json!({})).await;
    sync(&ada).await;
    assert_eq!(default_of(&shown_contacts(&ada, customer)), vec![second]);

    unmerge(&ada, Entity::Contact, first).await;
    sync(&ada).await;
    assert!(stored_record(&pool, Entity::Contact, first)
        .await
        .flag("is_default"));
    assert!(!stored_record(&pool, Entity::Contact, second)
        .await
        .flag("is_default"));
    assert_eq!(default_of(&shown_contacts(&ada, customer)), vec![first]);
}

/// A step count and seed for the search below: `MERGE_SEED` replays one.
fn search_seed() -> u64 {
    std::env::var("MERGE_SEED")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or_else(rand::random)
}

/// Every record the server keeps, tombstones included, by entity and id.
async fn server_rows(pool: &Db) -> BTreeMap<(Entity, Uuid), Record> {
    let mut rows = BTreeMap::new();
    let mut cursor = 0;
    loop {
        let page = pull::pull(pool, DEFAULT_WORKSPACE, cursor, Some(5000))
            .await
            .expect("pull")
            .decode()
            .expect("a pulled page decodes");
        for row in page.rows {
            rows.insert((row.entity, row.record.id), row.record);
        }
        cursor = page.cursor;
        if !page.more {
            return rows;
        }
    }
}

/// Every record a device knows, tombstones included.
fn device_rows(
    engine: &TestEngine,
    keys: impl Iterator<Item = (Entity, Uuid)>,
) -> Vec<Option<Record>> {
    engine.read(|replica| {
        keys.map(|(entity, id)| replica.last_known(RecordKey::new(entity, id)).cloned())
            .collect()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn random_merges_unmerges_and_edits_on_two_devices_converge_with_nothing_left_on_a_tombstone()
{
    let seed = search_seed();
    println!("MERGE_SEED={seed}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ctx = format!("MERGE_SEED={seed}:");
    let (pool, _dir) = database().await;
    let devices = [device(&pool).await, device(&pool).await];
    let mut offline = [false, false];
    let (mut merges, mut unmerges, mut deletes, mut restores) = (0, 0, 0, 0);
    for step in 0..400 {
        let at = rng.random_range(0..2);
        let engine = &devices[at];
        let live: Vec<Uuid> = engine.read(|r| r.records(Entity::Customer).map(|c| c.id).collect());
        let merged_away: Vec<Uuid> = engine.read(|r| {
            live.iter()
                .flat_map(|kept| r.merged_here(Entity::Customer, *kept, chrono::Utc::now()))
                .map(|record| record.id)
                .collect()
        });
        let in_trash: Vec<Uuid> = engine.read(|r| {
            r.tombstones(Entity::Customer)
                .filter(|c| c.reference(MERGED_INTO_FIELD).is_none())
                .map(|c| c.id)
                .collect()
        });
        let pick = |rng: &mut ChaCha8Rng, from: &[Uuid]| from[rng.random_range(0..from.len())];
        match rng.random_range(0..12) {
            0 | 1 if live.len() < 12 => {
                add_customer(engine, &format!("Firm {step}"), "Prospect").await;
            }
            2 if !live.is_empty() => {
                let customer = pick(&mut rng, &live);
                let _ = engine
                    .upsert(
                        Entity::Contact,
                        Uuid::now_v7(),
                        &fields(json!({
                        "customer_id": customer.to_string(), "first_name": format!("P{step}")})),
                    )
                    .await;
            }
            3 if !live.is_empty() => {
                let customer = pick(&mut rng, &live);
                let _ = engine
                    .upsert(
                        Entity::Activity,
                        Uuid::now_v7(),
                        &fields(json!({
                        "customer_id": customer.to_string(), "kind": "call",
                        "subject": format!("Call {step}")})),
                    )
                    .await;
            }
            4 if !live.is_empty() => {
                let customer = pick(&mut rng, &live);
                let city = ["Leeds", "York", "Bath"][rng.random_range(0..3)];
                let _ = engine
                    .upsert(Entity::Customer, customer, &fields(json!({"city": city})))
                    .await;
            }
            5 | 6 if live.len() >= 2 => {
                let kept = pick(&mut rng, &live);
                let other = pick(&mut rng, &live);
                if other != kept {
                    let values = if rng.random_bool(0.5) {
                        json!({"phone": format!("+44 {step}")})
                    } else {
                        json!({})
                    };
                    let request = MergeRequest {
                        merged: vec![other],
                        values: fields(values),
                    };
                    let saved = engine
                        .save_batch(
                            &[BatchChange::Merge {
                                entity: Entity::Customer,
                                survivor: kept,
                                request,
                            }],
                            None,
                        )
                        .await;
                    merges += usize::from(saved.is_ok());
                }
            }
            7 if !merged_away.is_empty() => {
                let saved = engine
                    .unmerge(Entity::Customer, pick(&mut rng, &merged_away))
                    .await;
                unmerges += usize::from(saved.is_ok());
            }
            9 if !live.is_empty() => {
                let saved = engine.delete(Entity::Customer, pick(&mut rng, &live)).await;
                deletes += usize::from(saved.is_ok());
            }
            10 if !in_trash.is_empty() => {
                let saved = engine
                    .upsert(
                        Entity::Customer,
                        pick(&mut rng, &in_trash),
                        &fields(json!({"deleted": false})),
                    )
                    .await;
                restores += usize::from(saved.is_ok());
            }
            8 => {
                offline[at] = !offline[at];
                set_network(
                    engine,
                    if offline[at] {
                        Network::Down
                    } else {
                        Network::Up
                    },
                );
            }
            _ => {
                let _ = engine.sync(|_| {}).await;
            }
        }
    }
    for (at, engine) in devices.iter().enumerate() {
        offline[at] = false;
        set_network(engine, Network::Up);
    }
    for _ in 0..3 {
        for engine in &devices {
            sync(engine).await;
        }
    }

    let rows = server_rows(&pool).await;
    println!(
        "{ctx} {merges} merges, {unmerges} unmerges, {deletes} deletes and {restores} restores \
         saved, {} rows",
        rows.len()
    );
    for (n, engine) in devices.iter().enumerate() {
        let shown = device_rows(engine, rows.keys().copied());
        for (((entity, id), row), shown) in rows.iter().zip(shown) {
            assert_eq!(
                shown.as_ref(),
                Some(row),
                "{ctx} device {n} shows {entity} {id} otherwise"
            );
        }
        assert!(
            engine.read(|r| r.pending_count()) == 0,
            "{ctx} device {n} has changes left"
        );
    }
    let customer = |id: Option<Uuid>| id.and_then(|id| rows.get(&(Entity::Customer, id)));
    for ((entity, id), row) in &rows {
        if row.deleted || *entity == Entity::Customer || *entity == Entity::Conflict {
            continue;
        }
        let parent = customer(row.reference("customer_id"));
        assert!(
            parent.is_some_and(|parent| !parent.deleted),
            "{ctx} live {entity} {id} hangs off a tombstone or nothing: {parent:?}"
        );
    }
    // A restore brings back what went with the record: nothing deleted
    // with a record stays deleted once that record is back.
    for ((entity, id), row) in &rows {
        let Some(parent) = row.reference(DELETED_WITH_FIELD).filter(|_| row.deleted) else {
            continue;
        };
        let parent_live = rows
            .iter()
            .any(|((_, parent_id), parent_row)| *parent_id == parent && !parent_row.deleted);
        assert!(
            !parent_live,
            "{ctx} {entity} {id} stays deleted with {parent}, which is back"
        );
    }
    for ((entity, id), row) in &rows {
        if *entity != Entity::Customer || row.deleted {
            continue;
        }
        let defaults = rows
            .values()
            .filter(|c| !c.deleted && c.reference("customer_id") == Some(*id))
            .filter(|c| c.flag("is_default"))
            .count();
        let contacts = rows
            .iter()
            .filter(|((e, _), c)| {
                *e == Entity::Contact && !c.deleted && c.reference("customer_id") == Some(*id)
            })
            .count();
        assert_eq!(
            defaults,
            usize::from(contacts > 0),
            "{ctx} customer {id} has {defaults} default contacts of {contacts}"
        );
        if let Some(survivor) = row.reference(MERGED_INTO_FIELD) {
            panic!("{ctx} live customer {id} still names {survivor} as its survivor");
        }
    }
}
