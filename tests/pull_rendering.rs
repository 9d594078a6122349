//! A pull page joins the JSON each row keeps, and rows from before it was
//! kept are rendered by the database, not by serde: both must be the JSON
//! serde makes of the same records read the ordinary way, to the value and
//! to the byte count, for every entity, every kind of field, tombstones,
//! conflicts and awkward text.
#![cfg(feature = "ssr")]

mod common;

use clientele::domain::Entity;
use clientele::server::pull::pull;
use clientele::server::repository::{find, render_old_rows, Db};
use clientele::server::seed::{seed, SeedSize};
use clientele::server::DEFAULT_WORKSPACE;
use clientele::sync::PulledRow;
use common::{database, device, fields};
use serde_json::{json, Value};
use uuid::Uuid;

const SMALL: SeedSize = SeedSize {
    customers: 30,
    contacts_per_customer: 3,
    leads: 10,
    opportunities: 10,
    activities: 60,
};

/// Quotes, backslashes, control characters, non-ASCII and markup.
const AWKWARD: &str = "Ada \"Q\" O'Neil \\ tab\there\nnext line ünïcødé 😀 </script>";

#[tokio::test]
async fn a_pulled_page_is_exactly_the_records_as_serde_writes_them() {
    let (pool, _dir) = database().await;
    seed(&pool, DEFAULT_WORKSPACE, common::MEMBER, SMALL, 7, &|_| {})
        .await
        .expect("seeds");
    let alice = device(&pool).await;
    let bob = device(&pool).await;
    let awkward = Uuid::now_v7();
    alice
        .upsert(
            Entity::Customer,
            awkward,
            &fields(
                json!({"name": AWKWARD, "kind": "person", "status": "Suspect", "notes": AWKWARD}),
            ),
        )
        .await
        .expect("saved");
    let gone = Uuid::now_v7();
    alice
        .upsert(
            Entity::Customer,
            gone,
            &fields(json!({"name": "Gone", "kind": "company", "status": "Prospect"})),
        )
        .await
        .expect("saved");
    alice.sync(|_| {}).await.expect("syncs");
    bob.sync(|_| {}).await.expect("syncs");
    alice.delete(Entity::Customer, gone).await.expect("deleted");
    // The same field from two devices: the server keeps a conflict row.
    alice
        .upsert(
            Entity::Customer,
            awkward,
            &fields(json!({"city": "Zürich"})),
        )
        .await
        .expect("saved");
    bob.upsert(
        Entity::Customer,
        awkward,
        &fields(json!({"city": "Genève"})),
    )
    .await
    .expect("saved");
    alice.sync(|_| {}).await.expect("syncs");
    bob.sync(|_| {}).await.expect("syncs");

    let page = pull(&pool, DEFAULT_WORKSPACE, 0, Some(5000))
        .await
        .expect("pulls");
    assert!(!page.more);
    let rendered: Vec<Value> = serde_json::from_str(page.rows.get()).expect("an array");
    assert_eq!(
        rendered.len(),
        SMALL.rows() + 3,
        "seeded rows, two customers, one conflict"
    );
    let mut tx = pool.begin_read().await.expect("a transaction");
    let mut seen = std::collections::HashSet::new();
    let mut last_version = 0;
    for row in &rendered {
        let entity: Entity = serde_json::from_value(row["entity"].clone()).expect("an entity");
        let id: Uuid = serde_json::from_value(row["record"]["id"].clone()).expect("an id");
        let stored = find(&mut tx, DEFAULT_WORKSPACE, entity, id)
            .await
            .expect("query")
            .expect("the row exists");
        let expected = serde_json::to_value(PulledRow {
            entity,
            record: stored.record,
        })
        .expect("serializes");
        assert_eq!(row, &expected, "{entity} {id}");
        let version = row["record"]["version"].as_i64().expect("a version");
        assert!(version > last_version, "rows come in version order");
        last_version = version;
        seen.insert(entity);
    }
    assert_eq!(page.cursor, last_version);
    assert_eq!(seen.len(), Entity::ALL.len(), "every entity was compared");
    // The size kept with each row, which pages are budgeted by, is the
    // size of the JSON the page carries for it.
    drop(tx);
    assert_sizes_kept(&pool, page.rows.get()).await;
    // Rows written before their JSON was kept are rendered by the
    // database at start-up, to the same bytes.
    for table in TABLES {
        crate::on_test_db!(&pool, |pool| {
            sqlx::query(&format!(
                "UPDATE {table} SET wire_json = NULL, wire_bytes = 0"
            ))
            .execute(pool)
            .await
            .expect("JSON forgotten");
        });
    }
    render_old_rows(&pool).await.expect("rendered");
    let rendered_again = pull(&pool, DEFAULT_WORKSPACE, 0, Some(5000))
        .await
        .expect("pulls");
    let again: Vec<Value> = serde_json::from_str(rendered_again.rows.get()).expect("an array");
    assert_eq!(
        again, rendered,
        "the database renders old rows as serde does"
    );
    assert_eq!(
        rendered_again.rows.get().len(),
        page.rows.get().len(),
        "to the same number of bytes"
    );
    assert_sizes_kept(&pool, page.rows.get()).await;
    let decoded = page.decode().expect("decodes");
    assert!(decoded
        .rows
        .iter()
        .any(|row| row.record.text("name") == Some(AWKWARD)));
    assert!(decoded
        .rows
        .iter()
        .any(|row| row.record.id == gone && row.record.deleted));
}

const TABLES: [&str; 6] = [
    "customers",
    "contacts",
    "leads",
    "opportunities",
    "activities",
    "conflicts",
];

/// Each row of `page` is as long as the size its table keeps for it.
async fn assert_sizes_kept(pool: &Db, page: &str) {
    let rows: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(page).expect("an array");
    for text in rows {
        let row: Value = serde_json::from_str(text.get()).expect("a row");
        let id = row["record"]["id"].as_str().expect("an id");
        let mut kept = Vec::new();
        for table in TABLES {
            let sql = format!("SELECT wire_bytes FROM {table} WHERE id = $1");
            let size: Option<i64> = crate::on_test_db!(pool, |pool| {
                sqlx::query_scalar(&sql)
                    .bind(id)
                    .fetch_optional(pool)
                    .await
                    .expect("a size")
            });
            kept.extend(size);
        }
        assert_eq!(kept, [text.get().len() as i64], "{text}");
    }
}

#[tokio::test]
async fn an_empty_page_keeps_the_cursor() {
    let (pool, _dir) = database().await;
    let page = pull(&pool, DEFAULT_WORKSPACE, 42, None)
        .await
        .expect("pulls");
    assert_eq!(page.rows.get(), "[]");
    assert_eq!(page.cursor, 42);
    assert!(!page.more);
}
