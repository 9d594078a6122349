//! The client engine against the real server code on a real SQLite file.
#![cfg(feature = "ssr")]

mod common;

use clientele::domain::{Customer, Entity, Record, RecordKey};
use clientele::server::repository::conflicts_of;
use clientele::server::DEFAULT_WORKSPACE;
use clientele::sync::{
    Engine, EngineError, FieldConflict, LocalStore, MemoryStore, Mutation, PullEnd, PulledRow,
    RejectedMutation, Snapshot, StoreError,
};
use common::records::{
    add_contact, add_customer, counter, set_network, shown_contacts, stored_record, sync,
};
use common::{database, device, fields, reload, Network, TestEngine};
use serde_json::json;
use std::cell::RefCell;
use uuid::Uuid;

fn customer(engine: &TestEngine, id: Uuid) -> Option<Customer> {
    engine.read(|replica| {
        replica
            .get(RecordKey::new(Entity::Customer, id))
            .map(Customer::from_record)
    })
}

fn default_name(engine: &TestEngine, customer_id: Uuid) -> Vec<String> {
    shown_contacts(engine, customer_id)
        .into_iter()
        .filter(|contact| contact.is_default)
        .map(|contact| contact.first_name)
        .collect()
}

/// Two devices that both have customer "Acme" synced.
async fn two_devices_sharing_a_customer(
    pool: &clientele::server::repository::Db,
) -> (TestEngine, TestEngine, Uuid) {
    let alice = device(pool).await;
    let bob = device(pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    sync(&alice).await;
    sync(&bob).await;
    (alice, bob, acme)
}

/// Edits some fields of a customer on one device.
async fn edit(engine: &TestEngine, id: Uuid, changes: serde_json::Value) {
    engine
        .upsert(Entity::Customer, id, &fields(changes))
        .await
        .expect("edit saved");
}

#[tokio::test]
async fn offline_edits_reach_a_second_device_after_sync() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let bob = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    add_contact(&alice, acme, "Ada").await;
    assert_eq!(alice.read(|r| r.pending_count()), 2);
    assert_eq!(
        customer(&alice, acme).map(|c| c.name),
        Some("Acme".into()),
        "visible before any sync"
    );

    sync(&alice).await;
    assert_eq!(alice.read(|r| r.pending_count()), 0);
    sync(&bob).await;
    assert_eq!(
        customer(&bob, acme).map(|c| c.status),
        Some("Prospect".into())
    );
    assert_eq!(default_name(&bob, acme), ["Ada"]);
}

#[tokio::test]
async fn a_retried_push_applies_nothing_twice() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    add_contact(&alice, acme, "Ada").await;

    // The server applies the push, but the reply is lost: the engine must retry.
    set_network(&alice, Network::LoseNextPushReply);
    assert!(matches!(
        alice.sync(|_| {}).await,
        Err(EngineError::Transport(_))
    ));
    assert_eq!(
        alice.read(|r| r.pending_count()),
        2,
        "unacknowledged mutations stay queued"
    );
    let version_after_first = counter(&pool).await;

    sync(&alice).await;
    assert_eq!(
        counter(&pool).await,
        version_after_first,
        "the retry wrote nothing new"
    );
    let bob = device(&pool).await;
    sync(&bob).await;
    assert_eq!(shown_contacts(&bob, acme).len(), 1);
}

#[tokio::test]
async fn a_reload_between_a_local_write_and_its_push_loses_nothing() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    set_network(&alice, Network::Down);
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    assert!(alice.sync(|_| {}).await.is_err());

    let alice = reload(alice, &pool).await;
    assert_eq!(
        customer(&alice, acme).map(|c| c.name),
        Some("Acme".into()),
        "shown after reload, offline"
    );
    sync(&alice).await;
    let bob = device(&pool).await;
    sync(&bob).await;
    assert!(customer(&bob, acme).is_some());
}

#[tokio::test]
async fn an_acknowledged_edit_stays_visible_until_the_pull_brings_it_back() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    sync(&alice).await;
    edit(&alice, acme, json!({"name": "Acme Ltd"})).await;
    // Push goes through, the reply is lost, then the device reloads offline.
    set_network(&alice, Network::LoseNextPushReply);
    let _ = alice.sync(|_| {}).await;
    let alice = reload(alice, &pool).await;
    assert_eq!(
        customer(&alice, acme).map(|c| c.name),
        Some("Acme Ltd".into())
    );
    sync(&alice).await;
    assert_eq!(
        customer(&alice, acme).map(|c| c.name),
        Some("Acme Ltd".into())
    );
    assert_eq!(alice.read(|r| r.pending_count()), 0);
}

#[tokio::test]
async fn edits_to_different_fields_of_one_customer_both_survive() {
    let (pool, _dir) = database().await;
    let (alice, bob, acme) = two_devices_sharing_a_customer(&pool).await;

    edit(&alice, acme, json!({"phone": "+44 20 7946 0000"})).await;
    edit(&bob, acme, json!({"status": "Customer"})).await;
    sync(&alice).await;
    sync(&bob).await;
    sync(&alice).await;

    for engine in [&alice, &bob] {
        let seen = customer(engine, acme).expect("still there");
        assert_eq!(seen.phone, "+44 20 7946 0000");
        assert_eq!(seen.status, "Customer");
    }
    let kept = conflicts_of(&pool, DEFAULT_WORKSPACE, Entity::Customer, acme)
        .await
        .expect("query");
    assert!(kept.is_empty(), "different fields never conflict");
}

#[tokio::test]
async fn edits_to_the_same_field_converge_and_keep_the_overwritten_value() {
    let (pool, _dir) = database().await;
    let (alice, bob, acme) = two_devices_sharing_a_customer(&pool).await;

    edit(&alice, acme, json!({"email": "alice@acme.test"})).await;
    edit(&bob, acme, json!({"email": "bob@acme.test"})).await;
    sync(&alice).await;
    let report = bob.sync(|_| {}).await.expect("bob syncs");
    assert_eq!(report.conflicts, 1);
    sync(&alice).await;

    assert_eq!(
        customer(&alice, acme).map(|c| c.email),
        Some("bob@acme.test".into())
    );
    assert_eq!(
        customer(&bob, acme).map(|c| c.email),
        Some("bob@acme.test".into())
    );
    let kept = conflicts_of(&pool, DEFAULT_WORKSPACE, Entity::Customer, acme)
        .await
        .expect("query");
    assert_eq!(
        kept,
        [FieldConflict {
            field: "email".into(),
            theirs: json!("alice@acme.test"),
            mine: json!("bob@acme.test")
        }]
    );
}

#[tokio::test]
async fn exactly_one_default_contact_locally_and_on_the_server() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    let ada = add_contact(&alice, acme, "Ada").await;
    let bea = add_contact(&alice, acme, "Bea").await;
    add_contact(&alice, acme, "Cy").await;
    assert_eq!(
        default_name(&alice, acme),
        ["Ada"],
        "the first contact is the default"
    );

    alice
        .upsert(Entity::Contact, bea, &fields(json!({"is_default": true})))
        .await
        .expect("mark default");
    assert_eq!(default_name(&alice, acme), ["Bea"], "optimistically moved");
    sync(&alice).await;
    assert_eq!(default_name(&alice, acme), ["Bea"], "and the server agrees");

    alice
        .delete(Entity::Contact, bea)
        .await
        .expect("delete default");
    sync(&alice).await;
    assert_eq!(
        default_name(&alice, acme),
        ["Ada"],
        "the oldest remaining is promoted"
    );

    let bob = device(&pool).await;
    sync(&bob).await;
    assert_eq!(default_name(&bob, acme), ["Ada"]);
    assert!(stored_record(&pool, Entity::Contact, ada)
        .await
        .flag("is_default"));
}

#[tokio::test]
async fn a_contact_moved_to_another_customer_leaves_each_with_one_default() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    let globex = add_customer(&alice, "Globex", "Prospect").await;
    let ada = add_contact(&alice, acme, "Ada").await;
    add_contact(&alice, acme, "Bea").await;
    add_contact(&alice, globex, "Cy").await;

    alice
        .upsert(
            Entity::Contact,
            ada,
            &fields(json!({"customer_id": globex.to_string()})),
        )
        .await
        .expect("move Ada");
    assert_eq!(
        default_name(&alice, acme),
        ["Bea"],
        "Acme's next contact is promoted"
    );
    assert_eq!(
        default_name(&alice, globex),
        ["Cy"],
        "Globex keeps its default"
    );
    sync(&alice).await;
    let bob = device(&pool).await;
    sync(&bob).await;
    for device in [&alice, &bob] {
        assert_eq!(default_name(device, acme), ["Bea"]);
        assert_eq!(default_name(device, globex), ["Cy"]);
        assert_eq!(
            shown_contacts(device, globex).len(),
            2,
            "Ada is listed under Globex"
        );
    }
}

/// Every record of every entity a device shows, in a comparable order.
fn whole_view(engine: &TestEngine) -> Vec<(Entity, Record)> {
    let mut all: Vec<(Entity, Record)> = engine.read(|replica| {
        Entity::ALL
            .into_iter()
            .flat_map(|entity| replica.records(entity).map(move |r| (entity, r.clone())))
            .collect()
    });
    all.sort_by_key(|(entity, record)| (*entity, record.id));
    all
}

#[tokio::test]
async fn a_device_opened_customers_first_shows_them_then_everything_as_a_full_open() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    let ada = add_contact(&alice, acme, "Ada").await;
    sync(&alice).await;
    // Changes still pending on top of stored rows.
    let bea = add_contact(&alice, acme, "Bea").await;
    alice
        .upsert(Entity::Contact, bea, &fields(json!({"is_default": true})))
        .await
        .expect("mark default");
    alice
        .upsert(Entity::Contact, ada, &fields(json!({"job_title": "CEO"})))
        .await
        .expect("edit");
    let client_id = alice.client_id();
    let snapshot = alice.store().snapshot();
    let full = reload(alice, &pool).await;

    let staged = Engine::open_with(
        MemoryStore::from(snapshot),
        common::InProcess::new(&pool),
        client_id,
        &[Entity::Customer],
    )
    .await
    .expect("opens");
    assert_eq!(
        customer(&staged, acme).map(|c| c.name),
        Some("Acme".into()),
        "the customers show at once"
    );
    staged.load_rest().await.expect("reads the rest");
    assert_eq!(whole_view(&staged), whole_view(&full));
    assert_eq!(default_name(&staged, acme), ["Bea"]);
    assert_eq!(shown_contacts(&staged, acme).len(), 2);
}

#[tokio::test]
async fn a_store_keeping_superseded_copies_opens_to_the_newest() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    add_contact(&alice, acme, "Ada").await;
    sync(&alice).await;
    let older = alice.store().snapshot().rows;
    edit(&alice, acme, json!({"name": "Acme Corp"})).await;
    add_contact(&alice, acme, "Bea").await;
    sync(&alice).await;
    let client_id = alice.client_id();
    let mut kept = alice.store().snapshot();
    let full = reload(alice, &pool).await;

    // Stored pages hold older copies, read after the newer ones.
    kept.rows.extend(older);
    let open = |snapshot: Snapshot, first: &'static [Entity]| {
        Engine::open_with(
            MemoryStore::from(snapshot),
            common::InProcess::new(&pool),
            client_id,
            first,
        )
    };
    let whole = open(kept.clone(), &Entity::ALL).await.expect("opens");
    assert_eq!(whole_view(&whole), whole_view(&full));
    assert_eq!(
        customer(&whole, acme).map(|c| c.name),
        Some("Acme Corp".into())
    );
    let staged = open(kept, &[Entity::Customer]).await.expect("opens");
    staged.load_rest().await.expect("reads the rest");
    assert_eq!(whole_view(&staged), whole_view(&full));
}

/// A [`MemoryStore`] that remembers what each pull's end told it.
#[derive(Default)]
struct HearsPullEnds {
    store: MemoryStore,
    ends: RefCell<Vec<PullEnd>>,
}

impl LocalStore for HearsPullEnds {
    async fn load(&self, entities: &[Entity]) -> Result<Snapshot, StoreError> {
        self.store.load(entities).await
    }

    async fn enqueue(&self, mutations: &[Mutation]) -> Result<u64, StoreError> {
        self.store.enqueue(mutations).await
    }

    async fn settle(
        &self,
        acknowledged: &[u64],
        rejected: &[RejectedMutation],
    ) -> Result<(), StoreError> {
        self.store.settle(acknowledged, rejected).await
    }

    async fn apply_pulled(
        &self,
        rows: &[PulledRow],
        cursor: i64,
        end: Option<&PullEnd>,
    ) -> Result<(), StoreError> {
        self.ends.borrow_mut().extend(end.cloned());
        self.store.apply_pulled(rows, cursor, end).await
    }

    async fn discard_rejected(&self, mutation_id: u64) -> Result<(), StoreError> {
        self.store.discard_rejected(mutation_id).await
    }

    async fn forget_pulled(&self) -> Result<(), StoreError> {
        self.store.forget_pulled().await
    }
}

#[tokio::test]
async fn a_pull_ends_by_telling_the_store_how_many_records_it_holds() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    add_contact(&alice, acme, "Ada").await;
    add_contact(&alice, acme, "Bea").await;
    add_customer(&alice, "Globex", "Prospect").await;
    sync(&alice).await;
    edit(&alice, acme, json!({"name": "Acme Corp"})).await;
    sync(&alice).await;

    let bob = Engine::open(
        HearsPullEnds::default(),
        common::InProcess::new(&pool),
        Uuid::now_v7(),
    )
    .await
    .expect("opens");
    bob.sync(|_| {}).await.expect("first sync");
    let counts = |end: &PullEnd| -> Vec<(Entity, usize)> {
        end.records
            .iter()
            .copied()
            .filter(|(_, n)| *n > 0)
            .collect()
    };
    let ends = bob.store().ends.borrow().clone();
    assert_eq!(ends.len(), 1, "one pull, one end");
    assert_eq!(
        counts(&ends[0]),
        [(Entity::Customer, 2), (Entity::Contact, 2)],
        "each record counted once"
    );
    assert_eq!(ends[0].records.len(), Entity::ALL.len());

    // Bob's own new customer is counted once it comes back.
    let bob_side = Uuid::now_v7();
    bob.upsert(
        Entity::Customer,
        bob_side,
        &fields(json!({"name": "Initech", "kind": "company", "status": "Prospect"})),
    )
    .await
    .expect("add");
    bob.sync(|_| {}).await.expect("second sync");
    let ends = bob.store().ends.borrow().clone();
    assert_eq!(
        counts(&ends[1]),
        [(Entity::Customer, 3), (Entity::Contact, 2)]
    );
    assert!(
        ends[1].forget_through.is_some(),
        "its mutation is forgotten"
    );
}

#[tokio::test]
async fn deleting_a_customer_tombstones_its_contacts_everywhere() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let bob = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Prospect").await;
    add_contact(&alice, acme, "Ada").await;
    sync(&alice).await;
    sync(&bob).await;
    assert_eq!(shown_contacts(&bob, acme).len(), 1);

    alice.delete(Entity::Customer, acme).await.expect("delete");
    sync(&alice).await;
    sync(&bob).await;
    assert!(customer(&bob, acme).is_none());
    assert!(shown_contacts(&bob, acme).is_empty());
}

#[tokio::test]
async fn a_refused_change_is_kept_with_its_reason_and_the_view_reverts() {
    let (pool, _dir) = database().await;
    let (alice, bob, acme) = two_devices_sharing_a_customer(&pool).await;

    // Bob adds a contact offline while Alice deletes the customer.
    set_network(&bob, Network::Down);
    let ghost = add_contact(&bob, acme, "Ghost").await;
    alice.delete(Entity::Customer, acme).await.expect("delete");
    sync(&alice).await;
    set_network(&bob, Network::Up);
    let report = bob.sync(|_| {}).await.expect("sync");
    assert_eq!(report.rejected, 1);

    let rejected = bob.read(|r| r.rejected().to_vec());
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].mutation.record_id, ghost);
    assert_eq!(rejected[0].error.field, "customer_id");
    assert!(shown_contacts(&bob, acme).is_empty());
    bob.discard_rejected(rejected[0].mutation.id)
        .await
        .expect("discard");
    assert!(bob.read(|r| r.rejected().is_empty()));
}

#[tokio::test]
async fn an_edit_to_a_deleted_customer_loses_to_the_delete_until_restored() {
    let (pool, _dir) = database().await;
    let (alice, bob, acme) = two_devices_sharing_a_customer(&pool).await;

    alice.delete(Entity::Customer, acme).await.expect("delete");
    sync(&alice).await;
    edit(&bob, acme, json!({"phone": "123"})).await;
    let report = bob.sync(|_| {}).await.expect("sync");
    assert_eq!(
        report.rejected, 1,
        "the edit lost to the delete and needs attention"
    );
    assert!(customer(&bob, acme).is_none(), "deletes win");
    let refused = bob.read(|r| r.rejected().to_vec());
    assert_eq!(refused[0].error.field, "deleted");
    assert_eq!(
        refused[0].error.message,
        "this customer was deleted by someone else"
    );

    // Restoring is an upsert with deleted: false; the record comes back everywhere.
    edit(&bob, acme, json!({"deleted": false})).await;
    sync(&bob).await;
    sync(&alice).await;
    assert_eq!(customer(&alice, acme).map(|c| c.name), Some("Acme".into()));
    let restored = stored_record(&pool, Entity::Customer, acme).await;
    assert!(!restored.deleted);
}

#[tokio::test]
async fn invalid_local_edits_are_refused_before_they_are_queued() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let error = alice
        .upsert(
            Entity::Customer,
            Uuid::now_v7(),
            &fields(json!({"name": "", "kind": "company", "status": "Prospect"})),
        )
        .await
        .expect_err("empty name");
    assert!(matches!(error, EngineError::Invalid(ref field) if field.field == "name"));
    assert_eq!(alice.read(|r| r.pending_count()), 0);
}

#[tokio::test]
async fn tabs_sharing_one_store_never_reuse_a_mutation_id() {
    use clientele::sync::{Engine, MemoryStore};
    use std::rc::Rc;
    let (pool, _dir) = database().await;
    let store = Rc::new(MemoryStore::default());
    let client_id = Uuid::now_v7();
    let open = || Engine::open(Rc::clone(&store), common::InProcess::new(&pool), client_id);
    let first_tab = open().await.expect("tab 1");
    let second_tab = open().await.expect("tab 2");

    // Both tabs start from the same counter and edit before hearing of each other.
    let acme = Uuid::now_v7();
    let globex = Uuid::now_v7();
    for (tab, id, name) in [(&first_tab, acme, "Acme"), (&second_tab, globex, "Globex")] {
        tab.upsert(
            Entity::Customer,
            id,
            &fields(json!({"name": name, "kind": "company", "status": "Prospect"})),
        )
        .await
        .expect("saved");
    }
    let ids: Vec<u64> = store
        .snapshot()
        .outbox
        .iter()
        .map(|p| p.mutation.id)
        .collect();
    assert_eq!(ids, [1, 2]);

    // The tab holding the sync lease hears "changed", reloads and pushes both.
    first_tab.reload().await.expect("reload");
    first_tab.sync(|_| {}).await.expect("sync");
    second_tab.reload().await.expect("reload");
    for tab in [&first_tab, &second_tab] {
        assert_eq!(tab.read(|r| r.pending_count()), 0);
        let names: Vec<String> = tab.read(|r| {
            r.records(Entity::Customer)
                .filter(|record| [acme, globex].contains(&record.id))
                .map(|record| Customer::from_record(record).name)
                .collect()
        });
        assert_eq!(names.len(), 2);
    }
}

#[tokio::test]
async fn an_overwritten_value_reaches_every_device_and_can_be_restored() {
    let (pool, _dir) = database().await;
    let (alice, bob, acme) = two_devices_sharing_a_customer(&pool).await;
    edit(&alice, acme, json!({"email": "alice@acme.test"})).await;
    edit(&bob, acme, json!({"email": "bob@acme.test"})).await;
    sync(&alice).await;
    sync(&bob).await;
    sync(&alice).await;

    let conflict = alice.read(|r| {
        r.records(Entity::Conflict)
            .find(|record| record.text("record_id") == Some(&acme.to_string()))
            .cloned()
    });
    let conflict = conflict.expect("the conflict was pulled");
    assert_eq!(conflict.text("field"), Some("email"));
    assert_eq!(conflict.text("theirs"), Some("\"alice@acme.test\""));
    assert!(!conflict.flag("resolved"));

    // Restore: an ordinary edit, plus marking the conflict resolved.
    edit(&alice, acme, json!({"email": "alice@acme.test"})).await;
    alice
        .upsert(
            Entity::Conflict,
            conflict.id,
            &fields(json!({"resolved": true})),
        )
        .await
        .expect("resolve");
    sync(&alice).await;
    sync(&bob).await;
    assert_eq!(
        customer(&bob, acme).map(|c| c.email),
        Some("alice@acme.test".into())
    );
    let resolved = bob.read(|r| {
        r.get(RecordKey::new(Entity::Conflict, conflict.id))
            .map(|c| c.flag("resolved"))
    });
    assert_eq!(resolved, Some(true));

    // Clients cannot forge conflicts or rewrite what they say.
    let forged = alice
        .upsert(
            Entity::Conflict,
            conflict.id,
            &fields(json!({"theirs": "\"x\""})),
        )
        .await
        .expect_err("server-written field");
    assert!(matches!(forged, EngineError::Invalid(ref field) if field.field == "theirs"));
}

/// Passes calls to the in-process server and notes each push's size.
struct MeasuredPushes {
    server: common::InProcess,
    sizes: RefCell<Vec<usize>>,
}

impl clientele::sync::Transport for MeasuredPushes {
    async fn push(
        &self,
        request: clientele::sync::PushRequest,
    ) -> Result<clientele::sync::PushResponse, clientele::sync::TransportError> {
        self.sizes
            .borrow_mut()
            .push(clientele::sync::json_len(&request));
        self.server.push(request).await
    }

    async fn pull(
        &self,
        request: clientele::sync::PullRequest,
    ) -> Result<clientele::sync::PullResponse, clientele::sync::TransportError> {
        self.server.pull(request).await
    }
}

#[tokio::test]
async fn a_queue_of_long_notes_is_pushed_in_batches_the_server_accepts() {
    let (pool, _dir) = database().await;
    let transport = MeasuredPushes {
        server: common::InProcess::new(&pool),
        sizes: RefCell::new(Vec::new()),
    };
    let engine = Engine::open(MemoryStore::default(), transport, Uuid::now_v7())
        .await
        .expect("engine opens");
    // 120 KB of JSON each: 300 of them would be 36 MB in one push.
    let notes = "\u{1}".repeat(20_000);
    for n in 0..300 {
        engine
            .upsert(
                Entity::Customer,
                Uuid::now_v7(),
                &fields(json!({"name": format!("Long {n}"), "kind": "company", "status": "Prospect", "notes": notes})),
            )
            .await
            .expect("saved");
    }
    let report = engine.sync(|_| {}).await.expect("sync");
    assert_eq!(report.pushed, 300);
    let sizes = engine.transport().sizes.borrow().clone();
    assert!(sizes.len() >= 9, "pushes: {sizes:?}");
    assert!(
        sizes
            .iter()
            .all(|&size| size <= clientele::sync::PUSH_MAX_BYTES),
        "pushes: {sizes:?}"
    );
}
