//! Who a sync client belongs to, what the server keeps of its answers, and
//! how large a pull page may grow.
#![cfg(feature = "ssr")]

mod common;

use clientele::domain::{Contact, Entity, Role};
use clientele::server::pull::PULL_PAGE_MAX_BYTES;
use clientele::server::repository::Db;
use clientele::server::repository::{changed_since, forget_answers_of_clients_idle_since};
use clientele::server::{push, DEFAULT_WORKSPACE};
use clientele::sync::{Mutation, MutationStatus, Op, PulledRow};
use common::http::{Client, TestServer, PASSWORD};
use common::{database, device, fields, Network, MEMBER};
use serde_json::{json, Value};
use uuid::Uuid;

fn upsert(id: u64, record_id: Uuid, base_version: i64, fields: Value) -> Value {
    json!({"id": id, "entity": "customer", "op": "upsert", "record_id": record_id,
           "base_version": base_version, "fields": fields})
}

/// Alice signs up; Bob joins her workspace by invitation.
async fn alice_and_bob(server: &TestServer) -> (Client, Client) {
    let alice = server.member_of_new_workspace("alice@example.test").await;
    let (status, invitation) = alice.post("/api/auth/invite", json!({})).await;
    assert_eq!(status, 200, "{invitation}");
    let bob = server.client();
    let (status, reply) = bob
        .post(
            "/api/auth/join",
            json!({"token": invitation["token"], "email": "bob@example.test", "password": PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    (alice, bob)
}

async fn last_mutation_id(server: &TestServer, client: Uuid) -> i64 {
    common::query_i64(
        &server.pool,
        "SELECT last_mutation_id FROM sync_clients WHERE client_id = $1",
        &[client.to_string()],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_colleague_naming_anothers_client_id_is_refused_and_changes_nothing() {
    let server = TestServer::start().await;
    let (alice, bob) = alice_and_bob(&server).await;
    let alices_device = Uuid::now_v7();
    let acme = Uuid::now_v7();
    let fields = json!({"name": "Acme", "kind": "company", "status": "Prospect"});
    let (status, reply) = alice
        .post(
            "/api/sync/push",
            json!({"client_id": alices_device, "mutations": [upsert(1, acme, 0, fields)]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");

    // Bob read the id somewhere and pushes "ahead" of Alice's queue with it.
    let jam = json!({"client_id": alices_device, "mutations": [
        upsert(1_000_000, Uuid::now_v7(), 0, json!({"name": "Jam", "kind": "company", "status": "Prospect"}))
    ]});
    let (status, reply) = bob.post("/api/sync/push", jam).await;
    assert_eq!(status, 403, "{reply}");
    let (status, reply) = bob
        .post(
            "/api/sync/pull",
            json!({"client_id": alices_device, "cursor": 0}),
        )
        .await;
    assert_eq!(status, 403, "{reply}");
    assert_eq!(last_mutation_id(&server, alices_device).await, 1);

    // Alice's device goes on as if nothing happened.
    let (status, reply) = alice
        .post(
            "/api/sync/push",
            json!({"client_id": alices_device, "mutations": [upsert(2, acme, 1, json!({"phone": "1"}))]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["results"][0]["status"], "applied", "{reply}");

    // Bob's own device works, and his overwrite names him, not a device.
    let bobs_device = Uuid::now_v7();
    let (status, reply) = bob
        .post(
            "/api/sync/push",
            json!({"client_id": bobs_device, "mutations": [upsert(1, acme, 1, json!({"phone": "2"}))]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["results"][0]["status"], "conflict", "{reply}");
    let (status, page) = alice
        .post(
            "/api/sync/pull",
            json!({"client_id": alices_device, "cursor": 0}),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let text = page.to_string();
    for device in [alices_device, bobs_device] {
        assert!(
            !text.contains(&device.to_string()),
            "a pulled row carries a client id: {text}"
        );
    }
    let (_, me) = bob.post("/api/auth/me", json!({})).await;
    let conflict = page["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|row| row["entity"] == "conflict")
        .expect("a conflict row");
    assert_eq!(conflict["record"]["changed_by"], me["user_id"]);
}

fn customer_mutation(id: u64, record_id: Uuid) -> Mutation {
    Mutation {
        id,
        entity: Entity::Customer,
        op: Op::Upsert,
        record_id,
        base_version: 0,
        fields: fields(
            json!({"name": format!("Customer {id}"), "kind": "company", "status": "Prospect"}),
        ),
        made_at: None,
        origin: None,
    }
}

async fn answers_kept(pool: &Db, client: Uuid) -> Vec<i64> {
    crate::on_test_db!(pool, |pool| {
        sqlx::query_scalar(
            "SELECT mutation_id FROM mutation_results WHERE client_id = $1 ORDER BY mutation_id",
        )
        .bind(client.to_string())
        .fetch_all(pool)
        .await
        .expect("answers")
    })
}

#[tokio::test]
async fn answers_a_client_has_shown_it_holds_are_pruned_and_a_late_copy_is_still_answered() {
    let (pool, _dir) = database().await;
    let client = Uuid::now_v7();
    let first: Vec<Mutation> = (1..=3)
        .map(|id| customer_mutation(id, Uuid::now_v7()))
        .collect();
    let second: Vec<Mutation> = (4..=6)
        .map(|id| customer_mutation(id, Uuid::now_v7()))
        .collect();
    push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        client,
        &first,
        None,
    )
    .await
    .expect("first push");
    assert_eq!(answers_kept(&pool, client).await, [1, 2, 3]);
    // Pushing from 4 says the client holds the answers up to 3.
    push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        client,
        &second,
        None,
    )
    .await
    .expect("second push");
    assert_eq!(answers_kept(&pool, client).await, [4, 5, 6]);

    // A copy of the first push the network held back arrives late.
    let late = push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        client,
        &first,
        None,
    )
    .await
    .expect("late copy");
    assert_eq!(late.last_mutation_id, 6);
    assert!(late
        .results
        .iter()
        .all(|result| result.status == MutationStatus::Applied));
    let customers = common::query_i64(&pool, "SELECT count(*) FROM customers", &[]).await;
    assert_eq!(customers, 6, "nothing applied twice");
}

#[tokio::test]
async fn a_device_back_after_its_answers_were_pruned_still_syncs() {
    let (pool, _dir) = database().await;
    let laptop = device(&pool).await;
    let acme = Uuid::now_v7();
    laptop
        .upsert(
            Entity::Customer,
            acme,
            &fields(json!({"name": "Acme", "kind": "company", "status": "Prospect"})),
        )
        .await
        .expect("saved");
    // The server applies the push, the answer is lost, the laptop goes away
    // for longer than answers are kept.
    laptop.transport().network.set(Network::LoseNextPushReply);
    assert!(laptop.sync(|_| {}).await.is_err());
    let pruned =
        forget_answers_of_clients_idle_since(&pool, chrono::Utc::now() + chrono::Duration::days(1))
            .await
            .expect("pruned");
    assert_eq!(pruned, 1);

    let report = laptop.sync(|_| {}).await.expect("sync after coming back");
    assert_eq!(report.pushed, 1);
    assert_eq!(report.rejected, 0);
    assert_eq!(laptop.read(|replica| replica.pending_count()), 0);
    let name = laptop.read(|replica| {
        replica
            .get(clientele::domain::RecordKey::new(Entity::Customer, acme))
            .and_then(|record| record.text("name").map(str::to_owned))
    });
    assert_eq!(name.as_deref(), Some("Acme"));
}

#[tokio::test]
async fn contacts_created_in_one_push_are_promoted_in_creation_order_not_by_id() {
    let (pool, _dir) = database().await;
    let customer = Uuid::now_v7();
    // Ids deliberately ordered against creation: the later contact has the smaller id.
    let (first, second, third) = (
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0009),
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0005),
        Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001),
    );
    let contact = |id: u64, record_id: Uuid, name: &str| Mutation {
        id,
        entity: Entity::Contact,
        op: Op::Upsert,
        record_id,
        base_version: 0,
        fields: fields(json!({"customer_id": customer, "first_name": name})),
        made_at: None,
        origin: None,
    };
    let mutations = vec![
        customer_mutation(1, customer),
        contact(2, first, "First"),
        contact(3, second, "Second"),
        contact(4, third, "Third"),
    ];
    let client = Uuid::now_v7();
    push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        client,
        &mutations,
        None,
    )
    .await
    .expect("push");
    let delete_default = Mutation {
        id: 5,
        entity: Entity::Contact,
        op: Op::Delete,
        record_id: first,
        base_version: 0,
        fields: Default::default(),
        made_at: None,
        origin: None,
    };
    push::push(
        &pool,
        DEFAULT_WORKSPACE,
        MEMBER,
        Role::Member,
        client,
        &[delete_default],
        None,
    )
    .await
    .expect("delete");
    let page = clientele::server::pull::pull(&pool, DEFAULT_WORKSPACE, 0, None)
        .await
        .expect("pull")
        .decode()
        .expect("decodes");
    let defaults: Vec<String> = page
        .rows
        .into_iter()
        .filter(|row| row.entity == Entity::Contact && !row.record.deleted)
        .map(|row| Contact::from_record(&row.record))
        .filter(|contact| contact.is_default)
        .map(|contact| contact.first_name)
        .collect();
    assert_eq!(defaults, ["Second"]);
}

/// Customers whose notes are control characters, the costliest text to
/// send: each character becomes six bytes of JSON.
async fn customers_with_hostile_notes(pool: &Db, count: u64) {
    let notes: String = "\u{1}".repeat(20_000);
    let client = Uuid::now_v7();
    for batch in (1..=count).collect::<Vec<_>>().chunks(100) {
        let mutations: Vec<Mutation> = batch
            .iter()
            .map(|&id| {
                let mut mutation = customer_mutation(id, Uuid::now_v7());
                mutation
                    .fields
                    .insert("notes".into(), Value::String(notes.clone()));
                mutation
            })
            .collect();
        push::push(
            pool,
            DEFAULT_WORKSPACE,
            MEMBER,
            Role::Member,
            client,
            &mutations,
            None,
        )
        .await
        .expect("seeding push");
    }
}

#[tokio::test]
async fn a_pull_page_stays_within_its_byte_budget_and_every_row_arrives() {
    let (pool, _dir) = database().await;
    customers_with_hostile_notes(&pool, 120).await;
    let mut cursor = 0;
    let mut rows = 0;
    let mut pages = 0;
    loop {
        let page = clientele::server::pull::pull(&pool, DEFAULT_WORKSPACE, cursor, Some(5000))
            .await
            .expect("pull");
        let bytes = page.rows.get().len();
        assert!(bytes <= PULL_PAGE_MAX_BYTES, "a page of {bytes} bytes");
        let decoded = page.decode().expect("decodes");
        rows += decoded.rows.len();
        pages += 1;
        cursor = decoded.cursor;
        if !decoded.more {
            break;
        }
    }
    assert_eq!(rows, 120);
    let least = 120 * 120_000 / PULL_PAGE_MAX_BYTES;
    assert!(
        pages >= least,
        "120 rows of 120 KB need {least} pages at least, got {pages}"
    );
}

#[tokio::test]
async fn a_row_larger_than_the_budget_travels_alone() {
    let (pool, _dir) = database().await;
    customers_with_hostile_notes(&pool, 3).await;
    let mut cursor = 0;
    for expected_more in [true, true, false] {
        let page = changed_since(&pool, DEFAULT_WORKSPACE, cursor, 1000, 1_000)
            .await
            .expect("page");
        let rows: Vec<PulledRow> = serde_json::from_str(page.rows.get()).expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(page.more, expected_more);
        cursor = page.last_version.expect("a row");
    }
}
