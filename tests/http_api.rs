//! The sync wire contract over real HTTP on 127.0.0.1, as an outside client sees it.
#![cfg(feature = "ssr")]

mod common;

use common::http::{Client, TestServer};
use serde_json::{json, Value};
use uuid::Uuid;

/// A running server and one signed-in member of a new workspace.
async fn signed_in() -> (TestServer, Client) {
    let server = TestServer::start().await;
    let member = server.member_of_new_workspace("ada@example.test").await;
    (server, member)
}

fn upsert(id: u64, record_id: Uuid, fields: Value) -> Value {
    json!({"id": id, "entity": "customer", "op": "upsert", "record_id": record_id, "base_version": 0, "fields": fields})
}

#[tokio::test(flavor = "multi_thread")]
async fn push_then_pull_round_trips_the_documented_shapes() {
    let (_server, member) = signed_in().await;
    let client = Uuid::now_v7();
    let acme = Uuid::now_v7();
    let contact = Uuid::now_v7();
    let body = json!({"client_id": client, "mutations": [
        upsert(1, acme, json!({"name": "Acme", "kind": "company", "status": "Prospect", "email": "sales@acme.test"})),
        {"id": 2, "entity": "contact", "op": "upsert", "record_id": contact, "base_version": 0,
         "fields": {"customer_id": acme, "first_name": "Ada"}},
        upsert(3, Uuid::now_v7(), json!({"name": "x".repeat(5000), "kind": "company", "status": "Prospect"})),
    ]});
    let (status, reply) = member.post("/api/sync/push", body.clone()).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["last_mutation_id"], 3);
    assert_eq!(reply["results"][0]["status"], "applied");
    assert_eq!(reply["results"][1]["status"], "applied");
    assert_eq!(
        reply["results"][2],
        json!({"id": 3, "status": "rejected",
               "error": {"field": "name", "message": "Name must be at most 200 characters (it has 5000)"}})
    );

    let (status, again) = member.post("/api/sync/push", body).await;
    assert_eq!(status, 200);
    assert_eq!(
        again, reply,
        "a retried push is answered exactly as the first time"
    );

    let (status, page) = member
        .post(
            "/api/sync/pull",
            json!({"client_id": client, "cursor": 0, "limit": 1}),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["more"], true);
    assert_eq!(page["rows"][0]["entity"], "customer");
    assert_eq!(page["rows"][0]["record"]["name"], "Acme");
    assert_eq!(page["rows"][0]["record"]["deleted"], false);
    let cursor = page["cursor"].clone();

    let (_, rest) = member
        .post(
            "/api/sync/pull",
            json!({"client_id": client, "cursor": cursor}),
        )
        .await;
    assert_eq!(rest["more"], false);
    let rows = rest["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["entity"], "contact");
    assert_eq!(
        rows[0]["record"]["is_default"], true,
        "the first contact is the default"
    );
    assert!(rows[0]["record"]["version"].as_i64() > cursor.as_i64());
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_values_are_rejected_naming_the_field() {
    let (_server, member) = signed_in().await;
    let client = Uuid::now_v7();
    let cases = [
        (
            json!({"name": "", "kind": "company", "status": "Prospect"}),
            "name",
        ),
        (
            json!({"name": "Acme", "kind": "company", "status": "Prospect", "email": "not-an-email"}),
            "email",
        ),
        (
            json!({"name": "Acme", "kind": "robot", "status": "Prospect"}),
            "kind",
        ),
        (json!({"name": "Acme", "kind": "company"}), "status"),
    ];
    for (id, (fields, field)) in cases.into_iter().enumerate() {
        let id = id as u64 + 1;
        let (status, reply) = member
            .post(
                "/api/sync/push",
                json!({"client_id": client, "mutations": [upsert(id, Uuid::now_v7(), fields)]}),
            )
            .await;
        assert_eq!(status, 200, "{reply}");
        assert_eq!(reply["results"][0]["status"], "rejected", "{reply}");
        assert_eq!(reply["results"][0]["error"]["field"], field);
    }
    let (_, page) = member
        .post("/api/sync/pull", json!({"client_id": client, "cursor": 0}))
        .await;
    assert_eq!(page["rows"], json!([]), "nothing was written");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_a_4xx_and_change_nothing() {
    let (_server, member) = signed_in().await;
    let client = Uuid::now_v7();
    let backwards = json!({"client_id": client, "mutations": [
        upsert(5, Uuid::now_v7(), json!({"name": "A", "kind": "company", "status": "Prospect"})),
        upsert(4, Uuid::now_v7(), json!({"name": "B", "kind": "company", "status": "Prospect"})),
    ]});
    let unknown_entity = json!({"client_id": client, "mutations": [
        {"id": 1, "entity": "spaceship", "op": "upsert", "record_id": Uuid::now_v7(), "base_version": 0, "fields": {}}
    ]});
    let wrong_types = json!({"client_id": "not-a-uuid", "mutations": "many"});
    let unknown_field = json!({"client_id": client, "mutations": [
        upsert(1, Uuid::now_v7(), json!({"name": "Acme", "kind": "company", "status": "Prospect"})),
        upsert(2, Uuid::now_v7(), json!({"name": "Acme", "kind": "company", "status": "Prospect", "shoe_size": 9})),
    ]});
    let over_limit: Vec<Value> = (1..=5_000)
        .map(|id| json!({"id": id, "entity": "customer", "op": "delete", "record_id": Uuid::nil(), "base_version": 0}))
        .collect();
    let over_limit = json!({"client_id": client, "mutations": over_limit});
    for body in [
        backwards,
        unknown_entity,
        wrong_types,
        unknown_field,
        over_limit,
    ] {
        let (status, reply) = member.post("/api/sync/push", body).await;
        assert!((400..500).contains(&status), "got {status}: {reply}");
    }
    let (status, _) = member
        .post("/api/sync/pull", json!({"client_id": client, "cursor": -1}))
        .await;
    assert_eq!(status, 400);
    let (_, page) = member
        .post("/api/sync/pull", json!({"client_id": client, "cursor": 0}))
        .await;
    assert_eq!(page["rows"], json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_render_on_the_server_and_unknown_ones_are_404() {
    let (_server, member) = signed_in().await;
    let page = member.get("/").await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.expect("html").contains("Customers"));
    let missing = member.get("/no/such/page").await;
    assert_eq!(missing.status().as_u16(), 404);
}

/// Sends only the headers of a push announcing `length` bytes and reads the
/// answer, as a client would before uploading a huge body.
async fn status_for_announced_body(server: &TestServer, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/sync/push HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = vec![0; 64];
    let read = stream.read(&mut answer).await.expect("read");
    String::from_utf8_lossy(&answer[..read])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_are_refused_with_413() {
    let server = TestServer::start().await;
    // 10 MB, and the ~11 MB that 100,000 mutations take.
    for length in [10 * 1024 * 1024, 100_000 * 112] {
        assert_eq!(
            status_for_announced_body(&server, length).await,
            "HTTP/1.1 413 Payload Too Large"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_converts_over_http_once_whoever_asks() {
    let (_server, member) = signed_in().await;
    let lead = Uuid::now_v7();
    let customer = Uuid::now_v7();
    let contact = Uuid::now_v7();
    let convert = |id: u64, customer: Uuid, contact: Uuid| {
        json!({"id": id, "entity": "lead", "op": "convert", "record_id": lead, "base_version": 1,
               "fields": {"customer_id": customer, "contact_id": contact}})
    };
    let first_device = Uuid::now_v7();
    let (status, reply) = member
        .post(
            "/api/sync/push",
            json!({"client_id": first_device, "mutations": [
                {"id": 1, "entity": "lead", "op": "upsert", "record_id": lead, "base_version": 0,
                 "fields": {"person_name": "Grace Hopper", "company_name": "Navy Labs", "status": "Qualified"}},
                convert(2, customer, contact),
            ]}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["results"][1]["status"], "applied", "{reply}");

    // A second device converting the same lead into another customer changes nothing.
    let (status, again) = member
        .post(
            "/api/sync/push",
            json!({"client_id": Uuid::now_v7(), "mutations": [convert(1, Uuid::now_v7(), Uuid::now_v7())]}),
        )
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["results"][0]["status"], "applied");
    assert_eq!(
        again["results"][0]["version"],
        reply["results"][1]["version"]
    );

    let (_, pulled) = member
        .post(
            "/api/sync/pull",
            json!({"client_id": first_device, "cursor": 0}),
        )
        .await;
    let rows = pulled["rows"].as_array().expect("rows");
    let of = |entity: &str| -> Vec<&Value> {
        rows.iter()
            .filter(|row| row["entity"] == entity)
            .map(|row| &row["record"])
            .collect()
    };
    let customers = of("customer");
    assert_eq!(customers.len(), 1);
    assert_eq!(customers[0]["id"], json!(customer));
    assert_eq!(customers[0]["name"], "Navy Labs");
    let contacts = of("contact");
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["first_name"], "Grace");
    assert_eq!(contacts[0]["is_default"], true);
    let leads = of("lead");
    assert_eq!(leads[0]["status"], "Converted");
    assert_eq!(leads[0]["customer_id"], json!(customer));
}

/// Every row once, in version order, whatever the page size: pages cut
/// across the entity tables at any point.
#[tokio::test(flavor = "multi_thread")]
async fn small_pages_across_entities_add_up_to_one_big_pull() {
    let (_server, member) = signed_in().await;
    let client = Uuid::now_v7();
    let mut mutations = Vec::new();
    for n in 0..6_u64 {
        let customer = Uuid::now_v7();
        mutations.push(upsert(
            2 * n + 1,
            customer,
            json!({"name": format!("Customer {n}"), "kind": "company", "status": "Prospect"}),
        ));
        mutations.push(json!({"id": 2 * n + 2, "entity": "contact", "op": "upsert",
            "record_id": Uuid::now_v7(), "base_version": 0,
            "fields": {"customer_id": customer, "first_name": format!("Contact {n}")}}));
    }
    let (status, reply) = member
        .post(
            "/api/sync/push",
            json!({"client_id": client, "mutations": mutations}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");

    let pull = |cursor: Value, limit: u64| {
        let member = &member;
        async move {
            let (status, page) = member
                .post(
                    "/api/sync/pull",
                    json!({"client_id": client, "cursor": cursor, "limit": limit}),
                )
                .await;
            assert_eq!(status, 200, "{page}");
            page
        }
    };
    let whole = pull(json!(0), 5000).await;
    let whole_versions: Vec<i64> = whole["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|row| row["record"]["version"].as_i64())
        .collect();
    assert_eq!(whole_versions.len(), 12);
    assert!(whole_versions.windows(2).all(|pair| pair[0] < pair[1]));

    for limit in [1, 2, 5] {
        let mut cursor = json!(0);
        let mut paged = Vec::new();
        loop {
            let page = pull(cursor, limit).await;
            let rows = page["rows"].as_array().expect("rows");
            assert!(rows.len() <= usize::try_from(limit).unwrap_or(usize::MAX));
            paged.extend(
                rows.iter()
                    .filter_map(|row| row["record"]["version"].as_i64()),
            );
            cursor = page["cursor"].clone();
            if page["more"] == json!(false) {
                break;
            }
        }
        assert_eq!(paged, whole_versions, "pages of {limit}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_push_of_long_notes_larger_than_axums_default_body_limit_is_applied() {
    let (_server, member) = signed_in().await;
    let notes = "n".repeat(20_000);
    // 200 customers of 20,000-character notes: about 4 MB, under the 8 MB limit.
    let mutations: Vec<Value> = (1..=200)
        .map(|id| {
            upsert(
                id,
                Uuid::now_v7(),
                json!({"name": format!("Customer {id}"), "kind": "company", "status": "Prospect", "notes": notes}),
            )
        })
        .collect();
    let (status, reply) = member
        .post(
            "/api/sync/push",
            json!({"client_id": Uuid::now_v7(), "mutations": mutations}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["last_mutation_id"], 200);
}
