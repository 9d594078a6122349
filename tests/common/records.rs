//! Records made through a device's engine, read back from its view and
//! from the server's tables: the vocabulary of the engine-level tests, so
//! each test file says what it checks rather than how to reach it.

use super::{fields, Network, TestEngine};
use clientele::domain::{Contact, Entity, Record};
use clientele::server::repository::Db;
use clientele::server::repository::{find, head_version, StoredRecord};
use clientele::server::DEFAULT_WORKSPACE;
use serde_json::{json, Value};
use uuid::Uuid;

/// Syncs a device on a network that works.
pub async fn sync(engine: &TestEngine) {
    engine.sync(|_| {}).await.expect("sync succeeds");
}

/// Switches the simulated network under one device.
pub fn set_network(engine: &TestEngine, network: Network) {
    engine.transport().network.set(network);
}

/// Creates a record of any entity on a device and returns its id.
pub async fn add(engine: &TestEngine, entity: Entity, values: Value) -> Uuid {
    let id = Uuid::now_v7();
    engine
        .upsert(entity, id, &fields(values))
        .await
        .expect("record saved");
    id
}

/// Creates a company customer with this status on a device.
pub async fn add_customer(engine: &TestEngine, name: &str, status: &str) -> Uuid {
    add(
        engine,
        Entity::Customer,
        json!({"name": name, "kind": "company", "status": status}),
    )
    .await
}

/// Creates a contact of `customer_id` on a device.
pub async fn add_contact(engine: &TestEngine, customer_id: Uuid, first_name: &str) -> Uuid {
    add(
        engine,
        Entity::Contact,
        json!({"customer_id": customer_id.to_string(), "first_name": first_name}),
    )
    .await
}

/// The contacts of one customer a device shows, oldest first.
pub fn shown_contacts(engine: &TestEngine, customer_id: Uuid) -> Vec<Contact> {
    let mut contacts: Vec<Contact> = engine.read(|replica| {
        replica
            .records(Entity::Contact)
            .map(Contact::from_record)
            .filter(|contact| contact.customer_id == Some(customer_id))
            .collect()
    });
    contacts.sort_by_key(|contact| contact.created_at);
    contacts
}

/// One record as the server stores it, tombstones included.
pub async fn stored(pool: &Db, entity: Entity, id: Uuid) -> Option<StoredRecord> {
    let mut tx = pool.begin_read().await.expect("a transaction");
    find(&mut tx, DEFAULT_WORKSPACE, entity, id)
        .await
        .expect("query")
}

/// One record the server must have, tombstones included.
pub async fn stored_record(pool: &Db, entity: Entity, id: Uuid) -> Record {
    stored(pool, entity, id)
        .await
        .unwrap_or_else(|| panic!("the server has {entity} {id}"))
        .record
}

/// The workspace's change counter: it moves with every write the server
/// makes, so an unchanged counter shows that nothing was written.
pub async fn counter(pool: &Db) -> i64 {
    head_version(pool, DEFAULT_WORKSPACE)
        .await
        .expect("counter")
}
