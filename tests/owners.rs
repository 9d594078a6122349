//! Owners and assignees over real HTTP (issue 19): a record belongs to a
//! member of its workspace, by default whoever made it; it can be given
//! only to a current member; a removed member keeps their records until an
//! admin reassigns them in one step; a converted lead's customer gets the
//! status asked for; and records from before owners were members are
//! given one at the next start without losing the old text.
#![cfg(feature = "ssr")]

mod common;

use common::http::{Client, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

fn upsert(id: u64, entity: &str, record_id: Uuid, fields: Value) -> Value {
    json!({"id": id, "entity": entity, "op": "upsert", "record_id": record_id,
           "base_version": 0, "fields": fields})
}

/// Pushes `mutations` with a new client id; answers the results.
async fn push(client: &Client, mutations: Value) -> Vec<Value> {
    let (status, reply) = client
        .post(
            "/api/sync/push",
            json!({"client_id": Uuid::now_v7(), "mutations": mutations}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    reply["results"].as_array().cloned().unwrap_or_default()
}

async fn user_id(client: &Client) -> String {
    let (status, me) = client.post("/api/auth/me", json!({})).await;
    assert_eq!(status, 200, "{me}");
    me["user_id"].as_str().expect("user id").to_owned()
}

/// The pulled record with this id.
async fn pulled(client: &Client, id: Uuid) -> Value {
    client
        .pull_all()
        .await
        .into_iter()
        .map(|row| row["record"].clone())
        .find(|record| record["id"] == id.to_string())
        .expect("the record is pulled")
}

fn customer(name: &str) -> Value {
    json!({"name": name, "kind": "company", "status": "Prospect"})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_record_belongs_to_its_maker_and_can_be_given_only_to_a_member() {
    let server = TestServer::start().await;
    let ada = server.member_of_new_workspace("ada@owners.test").await;
    let bob = server.invited(&ada, "member", "bob@owners.test").await;
    let (ada_id, bob_id) = (user_id(&ada).await, user_id(&bob).await);
    let elsewhere = server.member_of_new_workspace("eve@owners.test").await;
    let eve_id = user_id(&elsewhere).await;

    let (acme, task, given, blank) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    let results = push(
        &bob,
        json!([
            upsert(1, "customer", acme, customer("Acme")),
            upsert(
                2,
                "activity",
                task,
                json!({"customer_id": acme, "kind": "task", "subject": "Call"})
            ),
            upsert(
                3,
                "lead",
                given,
                json!({"company_name": "Globex", "status": "New", "owner": ada_id})
            ),
            upsert(
                4,
                "lead",
                blank,
                json!({"company_name": "Initech", "status": "New", "owner": null})
            ),
        ]),
    )
    .await;
    assert!(
        results.iter().all(|result| result["status"] == "applied"),
        "{results:?}"
    );
    assert_eq!(pulled(&ada, acme).await["owner"], bob_id, "made by Bob");
    assert_eq!(
        pulled(&ada, task).await["owner"],
        bob_id,
        "assigned to its maker"
    );
    assert_eq!(pulled(&ada, given).await["owner"], ada_id, "given to Ada");
    assert_eq!(
        pulled(&ada, blank).await["owner"],
        bob_id,
        "a new record sent with a blank owner is its maker's"
    );

    for (id, owner) in [
        (5, json!(eve_id)),
        (6, json!(Uuid::now_v7())),
        (7, json!("Ada Lovelace")),
        (8, Value::Null),
    ] {
        let change = json!([{"id": id, "entity": "customer", "op": "upsert", "record_id": acme,
                             "base_version": 0, "fields": {"owner": owner}}]);
        let results = push(&bob, change).await;
        assert_eq!(results[0]["status"], "rejected", "owner {owner}");
        assert_eq!(results[0]["error"]["field"], "owner", "owner {owner}");
    }
    assert_eq!(pulled(&ada, acme).await["owner"], bob_id, "nothing changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_names_who_made_it_and_only_the_server_says_so() {
    let server = TestServer::start().await;
    let ada = server.member_of_new_workspace("ada@owners.test").await;
    let bob = server.invited(&ada, "member", "bob@owners.test").await;
    let (ada_id, bob_id) = (user_id(&ada).await, user_id(&bob).await);
    let acme = Uuid::now_v7();
    push(&ada, json!([upsert(1, "customer", acme, customer("Acme"))])).await;
    assert_eq!(pulled(&bob, acme).await["changed_by"], ada_id);
    let edit = json!([{"id": 1, "entity": "customer", "op": "upsert", "record_id": acme,
                       "base_version": 0, "fields": {"phone": "123"}}]);
    push(&bob, edit).await;
    let record = pulled(&ada, acme).await;
    assert_eq!(record["changed_by"], bob_id, "the last change was Bob's");
    assert_eq!(record["owner"], ada_id, "and the customer stays Ada's");

    let (status, reply) = bob
        .post(
            "/api/sync/push",
            json!({"client_id": Uuid::now_v7(), "mutations": [
                {"id": 1, "entity": "customer", "op": "upsert", "record_id": acme,
                 "base_version": 0, "fields": {"changed_by": ada_id}}]}),
        )
        .await;
    assert_eq!(status, 400, "a client cannot say who changed it: {reply}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_members_records_keep_them_until_an_admin_reassigns_them_all() {
    let server = TestServer::start().await;
    let ada = server.member_of_new_workspace("ada@owners.test").await;
    let bob = server.invited(&ada, "member", "bob@owners.test").await;
    let cy = server.invited(&ada, "member", "cy@owners.test").await;
    let (ada_id, bob_id) = (user_id(&ada).await, user_id(&bob).await);
    let (acme, lead, deal, task, adas) = (
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
        Uuid::now_v7(),
    );
    push(
        &bob,
        json!([
            upsert(1, "customer", acme, customer("Acme")),
            upsert(
                2,
                "lead",
                lead,
                json!({"person_name": "Jo", "status": "New"})
            ),
            upsert(
                3,
                "opportunity",
                deal,
                json!({"customer_id": acme, "title": "Deal", "stage": "Proposal"})
            ),
            upsert(
                4,
                "activity",
                task,
                json!({"customer_id": acme, "kind": "task", "subject": "Call"})
            ),
        ]),
    )
    .await;
    push(
        &ada,
        json!([upsert(1, "customer", adas, customer("Ada's"))]),
    )
    .await;

    let (status, reply) = ada
        .post("/api/team/remove", json!({"user_id": bob_id}))
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        pulled(&ada, acme).await["owner"],
        bob_id,
        "his records keep him"
    );
    let (_, team) = ada.post("/api/team/members", json!({})).await;
    assert_eq!(
        team["former_members"],
        json!([{"user_id": bob_id, "display_name": "bob@owners.test"}])
    );
    let give_back = json!([{"id": 2, "entity": "customer", "op": "upsert", "record_id": adas,
                            "base_version": 0, "fields": {"owner": bob_id}}]);
    assert_eq!(
        push(&ada, give_back).await[0]["error"]["field"],
        "owner",
        "nothing new goes to a former member"
    );

    let (status, _) = cy
        .post("/api/team/reassign", json!({"from": bob_id, "to": ada_id}))
        .await;
    assert_eq!(status, 403, "only an admin reassigns");
    let (status, reply) = ada
        .post("/api/team/reassign", json!({"from": ada_id, "to": bob_id}))
        .await;
    assert_eq!(status, 400, "never to a former member: {reply}");
    let before = pulled(&ada, acme).await["version"].as_i64();
    let (status, reply) = ada
        .post("/api/team/reassign", json!({"from": bob_id, "to": ada_id}))
        .await;
    assert_eq!((status, reply), (200, json!(4)), "all four of his records");
    for id in [acme, lead, deal, task] {
        let record = pulled(&ada, id).await;
        assert_eq!(record["owner"], ada_id, "{record}");
    }
    assert!(
        pulled(&ada, acme).await["version"].as_i64() > before,
        "a new version, so every device pulls it"
    );
    assert_eq!(pulled(&ada, adas).await["owner"], ada_id, "hers untouched");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_converted_leads_customer_gets_the_status_asked_for_and_the_leads_owner() {
    let server = TestServer::start().await;
    let ada = server.member_of_new_workspace("ada@owners.test").await;
    let bob = server.invited(&ada, "member", "bob@owners.test").await;
    let bob_id = user_id(&bob).await;
    let (asked, plain) = (Uuid::now_v7(), Uuid::now_v7());
    push(
        &bob,
        json!([
            upsert(
                1,
                "lead",
                asked,
                json!({"company_name": "Globex", "status": "Qualified"})
            ),
            upsert(
                2,
                "lead",
                plain,
                json!({"company_name": "Initech", "status": "Qualified"})
            ),
        ]),
    )
    .await;
    let (globex, initech) = (Uuid::now_v7(), Uuid::now_v7());
    let results = push(
        &ada,
        json!([
            {"id": 1, "entity": "lead", "op": "convert", "record_id": asked, "base_version": 0,
             "fields": {"customer_id": globex, "status": "Suspect"}},
            {"id": 2, "entity": "lead", "op": "convert", "record_id": plain, "base_version": 0,
             "fields": {"customer_id": initech}},
            {"id": 3, "entity": "lead", "op": "convert", "record_id": Uuid::now_v7(), "base_version": 0,
             "fields": {"customer_id": Uuid::now_v7(), "status": "Bought"}},
        ]),
    )
    .await;
    assert_eq!(results[0]["status"], "applied", "{results:?}");
    assert_eq!(results[1]["status"], "applied", "{results:?}");
    let globex = pulled(&ada, globex).await;
    assert_eq!(globex["status"], "Suspect");
    assert_eq!(globex["owner"], bob_id, "stays with the lead's owner");
    assert_eq!(
        pulled(&ada, initech).await["status"],
        "Customer",
        "a converted lead has bought something"
    );
    assert_eq!(results[2]["status"], "rejected");
}

#[tokio::test(flavor = "multi_thread")]
async fn records_from_before_owners_get_a_member_and_keep_their_old_owner_text() {
    let server = TestServer::start().await;
    let ada = server.member_of_new_workspace("ada@owners.test").await;
    let bob = server.invited(&ada, "member", "bob@owners.test").await;
    let (ada_id, bob_id) = (user_id(&ada).await, user_id(&bob).await);
    let (named, unknown, unowned) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    push(
        &bob,
        json!([
            upsert(1, "customer", named, customer("Named")),
            upsert(2, "customer", unknown, customer("Unknown")),
            upsert(
                3,
                "lead",
                unowned,
                json!({"person_name": "Jo", "status": "New"})
            ),
        ]),
    )
    .await;
    // The database as a server from before owners were members left it:
    // free-text owners, a lead without one, the workspace not yet adopted.
    let workspace = common::query_text(
        &server.pool,
        "SELECT workspace_id FROM users WHERE id = $1",
        std::slice::from_ref(&ada_id),
    )
    .await;
    for (sql, binds) in [
        (
            "UPDATE customers SET owner = $1 WHERE id = $2",
            vec!["BOB@owners.test".to_owned(), named.to_string()],
        ),
        (
            "UPDATE customers SET owner = $1, notes = $2 WHERE id = $3",
            vec![
                "Old Sales Team".to_owned(),
                "Key account".to_owned(),
                unknown.to_string(),
            ],
        ),
        (
            "UPDATE leads SET owner = NULL WHERE id = $1",
            vec![unowned.to_string()],
        ),
        (
            "INSERT INTO owner_upgrades (workspace_id) VALUES ($1)",
            vec![workspace],
        ),
    ] {
        common::execute(&server.pool, sql, &binds).await;
    }
    let before = pulled(&ada, named).await["version"].as_i64();

    clientele::server::owners::adopt_owners(&server.pool)
        .await
        .expect("adopts");

    let named = pulled(&ada, named).await;
    assert_eq!(named["owner"], bob_id, "the member the text named");
    assert!(
        named["version"].as_i64() > before,
        "pulled again by every device"
    );
    let unknown = pulled(&ada, unknown).await;
    assert_eq!(unknown["owner"], ada_id, "the first admin");
    assert_eq!(
        unknown["notes"],
        "Key account\n\nOwner before owners were members: Old Sales Team"
    );
    assert_eq!(pulled(&ada, unowned).await["owner"], ada_id);

    let adopted = pulled(&ada, unowned).await["version"].clone();
    clientele::server::owners::adopt_owners(&server.pool)
        .await
        .expect("runs again");
    assert_eq!(
        pulled(&ada, unowned).await["version"],
        adopted,
        "once per workspace"
    );
}
