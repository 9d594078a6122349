//! Leads, their conversion, opportunities and activities through the real
//! engine and the real server code on real SQLite files.
//!
//! What the engine refuses to send is pushed by hand, as a hostile or out of
//! date client would, to show that the server enforces the rules itself.
#![cfg(feature = "ssr")]

mod common;

use clientele::domain::{
    ConvertRequest, Customer, Entity, Lead, Record, RecordKey, DELETED_WITH_FIELD,
};
use clientele::server::repository::live_referencing;
use clientele::server::repository::Db;
use clientele::server::{pull, push, ServerError, DEFAULT_WORKSPACE};
use clientele::sync::{EngineError, Mutation, MutationResult, MutationStatus, Op, PushResponse};
use common::records::{
    add, add_contact, add_customer, counter, set_network, shown_contacts, stored, stored_record,
    sync,
};
use common::{database, device, fields, reload, Network, TestEngine, MEMBER};
use serde_json::{json, Value};
use std::cell::Cell;
use uuid::Uuid;

/// "Jane Doe of Initech", qualified: the lead most tests convert.
async fn add_jane(engine: &TestEngine) -> Uuid {
    add(
        engine,
        Entity::Lead,
        json!({"person_name": "Jane van Doe", "company_name": "Initech",
               "email": "jane@initech.test", "status": "Qualified"}),
    )
    .await
}

/// A conversion into a customer and a contact that do not exist yet.
fn fresh_conversion() -> ConvertRequest {
    ConvertRequest {
        customer_id: Uuid::now_v7(),
        contact_id: Some(Uuid::now_v7()),
        status: None,
    }
}

/// One live record as the device shows it.
fn shown(engine: &TestEngine, entity: Entity, id: Uuid) -> Option<Record> {
    engine.read(|replica| replica.get(RecordKey::new(entity, id)).cloned())
}

fn rejected_count(engine: &TestEngine) -> usize {
    engine.read(|replica| replica.rejected().len())
}

/// The live contacts the server keeps for one customer.
async fn stored_contacts(pool: &Db, customer_id: Uuid) -> Vec<Record> {
    let mut tx = pool.begin_read().await.expect("a transaction");
    live_referencing(
        &mut tx,
        DEFAULT_WORKSPACE,
        Entity::Contact,
        "customer_id",
        &[customer_id],
    )
    .await
    .expect("query")
    .into_iter()
    .map(|stored| stored.record)
    .collect()
}

async fn count(pool: &Db, sql: &str) -> i64 {
    common::query_i64(pool, sql, &[]).await
}

async fn live_customers(pool: &Db) -> i64 {
    count(pool, "SELECT COUNT(*) FROM customers WHERE NOT deleted").await
}

async fn live_contacts(pool: &Db) -> i64 {
    count(pool, "SELECT COUNT(*) FROM contacts WHERE NOT deleted").await
}

/// Of these records, the ones the server has not tombstoned.
async fn not_tombstoned(pool: &Db, records: &[(Entity, Uuid)]) -> Vec<(Entity, Uuid)> {
    let mut live = Vec::new();
    for &(entity, id) in records {
        if !stored_record(pool, entity, id).await.deleted {
            live.push((entity, id));
        }
    }
    live
}

/// A client speaking the push protocol by hand, for what the engine refuses to send.
struct RawClient<'a> {
    pool: &'a Db,
    client_id: Uuid,
    next_id: Cell<u64>,
}

impl<'a> RawClient<'a> {
    fn new(pool: &'a Db) -> Self {
        Self {
            pool,
            client_id: Uuid::now_v7(),
            next_id: Cell::new(1),
        }
    }

    /// A mutation under this client's next id, against no known version.
    fn mutation(&self, entity: Entity, op: Op, record_id: Uuid, values: Value) -> Mutation {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        Mutation {
            id,
            entity,
            op,
            record_id,
            base_version: 0,
            fields: fields(values),
            made_at: None,
            origin: None,
        }
    }

    async fn push(&self, mutations: &[Mutation]) -> Result<PushResponse, ServerError> {
        push::push(
            self.pool,
            DEFAULT_WORKSPACE,
            MEMBER,
            clientele::domain::Role::Member,
            self.client_id,
            mutations,
            None,
        )
        .await
    }

    /// Pushes one mutation and returns the server's answer to it.
    async fn send(&self, entity: Entity, op: Op, record_id: Uuid, values: Value) -> MutationResult {
        let mutation = self.mutation(entity, op, record_id, values);
        let response = self
            .push(&[mutation])
            .await
            .expect("the push is well-formed");
        response
            .results
            .into_iter()
            .next()
            .expect("one answer per mutation")
    }

    /// Pushes one mutation that must be applied, returning the new version.
    async fn apply(&self, entity: Entity, op: Op, record_id: Uuid, values: Value) -> i64 {
        let result = self.send(entity, op, record_id, values).await;
        assert_eq!(result.status, MutationStatus::Applied, "{result:?}");
        result.version.expect("an applied mutation has a version")
    }
}

/// The field a refused mutation was refused at, `None` when it was not refused.
fn refused_at(result: &MutationResult) -> Option<&str> {
    match (&result.status, &result.error) {
        (MutationStatus::Rejected, Some(error)) => Some(error.field.as_str()),
        (MutationStatus::Rejected, None) => Some(""),
        _ => None,
    }
}

fn is_bad_request(result: &Result<PushResponse, ServerError>) -> bool {
    matches!(result, Err(ServerError::BadRequest(_)))
}

/// Checks that a device shows Jane's lead converted into Initech, with Jane as
/// its default contact.
fn assert_jane_converted_in_view(engine: &TestEngine, lead: Uuid, request: ConvertRequest) {
    let contact_id = request.contact_id.expect("a contact is requested");
    let customer = shown(engine, Entity::Customer, request.customer_id)
        .map(|record| Customer::from_record(&record))
        .expect("the new customer is shown");
    assert_eq!(customer.name, "Initech");
    assert_eq!(customer.kind, "company");
    assert_eq!(customer.status, "Customer", "a converted lead has bought");
    let contacts = shown_contacts(engine, request.customer_id);
    assert_eq!(contacts.len(), 1, "one contact: {contacts:?}");
    assert_eq!(contacts[0].id, contact_id);
    assert_eq!(contacts[0].first_name, "Jane");
    assert_eq!(contacts[0].last_name, "van Doe");
    assert_eq!(contacts[0].email, "jane@initech.test");
    assert!(contacts[0].is_default, "the only contact is the default");
    let lead = shown(engine, Entity::Lead, lead)
        .map(|record| Lead::from_record(&record))
        .expect("the lead is still shown");
    assert_eq!(lead.status, "Converted");
    assert_eq!(lead.customer_id, Some(request.customer_id));
}

/// Checks that the server holds Jane's lead converted into Initech, and
/// nothing else: one customer, one contact.
async fn assert_jane_converted_on_server(pool: &Db, lead: Uuid, request: ConvertRequest) {
    let contact_id = request.contact_id.expect("a contact is requested");
    assert_eq!(live_customers(pool).await, 1, "exactly one customer");
    assert_eq!(live_contacts(pool).await, 1, "exactly one contact");
    let customer = stored_record(pool, Entity::Customer, request.customer_id).await;
    assert!(!customer.deleted);
    assert_eq!(customer.text("name"), Some("Initech"));
    assert_eq!(customer.text("kind"), Some("company"));
    assert_eq!(customer.text("status"), Some("Customer"));
    let contact = stored_record(pool, Entity::Contact, contact_id).await;
    assert!(!contact.deleted);
    assert_eq!(contact.reference("customer_id"), Some(request.customer_id));
    assert_eq!(contact.text("first_name"), Some("Jane"));
    assert_eq!(contact.text("last_name"), Some("van Doe"));
    assert_eq!(contact.text("email"), Some("jane@initech.test"));
    assert!(
        contact.flag("is_default"),
        "the only contact is the default"
    );
    let lead = stored_record(pool, Entity::Lead, lead).await;
    assert_eq!(lead.text("status"), Some("Converted"));
    assert_eq!(lead.reference("customer_id"), Some(request.customer_id));
}

#[tokio::test]
async fn converting_a_lead_online_makes_one_customer_with_its_person_as_default_contact() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let lead = add_jane(&alice).await;
    sync(&alice).await;

    let request = fresh_conversion();
    alice.convert(lead, request.clone()).await.expect("convert");
    sync(&alice).await;

    assert_jane_converted_on_server(&pool, lead, request.clone()).await;
    assert_jane_converted_in_view(&alice, lead, request.clone());
    assert_eq!(alice.read(|r| r.pending_count()), 0);
    assert_eq!(rejected_count(&alice), 0);

    // A second device sees the same once it syncs.
    let bob = device(&pool).await;
    sync(&bob).await;
    assert_jane_converted_in_view(&bob, lead, request.clone());

    // The lead converts once: the engine refuses to queue a second conversion.
    let again = alice
        .convert(lead, fresh_conversion())
        .await
        .expect_err("converted already");
    assert!(matches!(again, EngineError::Invalid(ref field) if field.field == "status"));
    assert_eq!(alice.read(|r| r.pending_count()), 0);
}

#[tokio::test]
async fn a_conversion_shows_at_once_offline_and_survives_a_reload() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    set_network(&alice, Network::Down);
    // Met at a fair with no signal: the lead is written down and converted offline.
    let lead = add_jane(&alice).await;
    let request = fresh_conversion();
    alice
        .convert(lead, request.clone())
        .await
        .expect("convert offline");
    assert_jane_converted_in_view(&alice, lead, request.clone());
    assert!(alice.sync(|_| {}).await.is_err(), "offline");

    let alice = reload(alice, &pool).await;
    set_network(&alice, Network::Down);
    assert_jane_converted_in_view(&alice, lead, request.clone());
    assert!(alice.sync(|_| {}).await.is_err(), "still offline");
    assert_eq!(live_customers(&pool).await, 0, "nothing reached the server");

    set_network(&alice, Network::Up);
    sync(&alice).await;
    assert_jane_converted_on_server(&pool, lead, request.clone()).await;
    assert_jane_converted_in_view(&alice, lead, request.clone());
    assert_eq!(alice.read(|r| r.pending_count()), 0);
    assert_eq!(rejected_count(&alice), 0);
}

#[tokio::test]
async fn a_conversion_retried_after_a_lost_reply_makes_one_customer() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let lead = add_jane(&alice).await;
    sync(&alice).await;

    let request = fresh_conversion();
    alice.convert(lead, request.clone()).await.expect("convert");
    set_network(&alice, Network::LoseNextPushReply);
    assert!(matches!(
        alice.sync(|_| {}).await,
        Err(EngineError::Transport(_))
    ));
    assert_eq!(alice.read(|r| r.pending_count()), 1, "still queued");
    let after_first = counter(&pool).await;

    sync(&alice).await;
    assert_eq!(counter(&pool).await, after_first, "the retry wrote nothing");
    assert_jane_converted_on_server(&pool, lead, request.clone()).await;
    assert_jane_converted_in_view(&alice, lead, request.clone());
    assert_eq!(rejected_count(&alice), 0);
}

#[tokio::test]
async fn two_devices_converting_one_lead_offline_make_one_customer() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let bob = device(&pool).await;
    let lead = add_jane(&alice).await;
    sync(&alice).await;
    sync(&bob).await;

    set_network(&alice, Network::Down);
    set_network(&bob, Network::Down);
    let first = fresh_conversion();
    let second = fresh_conversion();
    alice
        .convert(lead, first.clone())
        .await
        .expect("alice converts");
    bob.convert(lead, second.clone())
        .await
        .expect("bob converts");
    assert_jane_converted_in_view(&alice, lead, first.clone());
    assert_jane_converted_in_view(&bob, lead, second.clone());

    set_network(&alice, Network::Up);
    set_network(&bob, Network::Up);
    sync(&alice).await;
    sync(&bob).await;
    sync(&alice).await;

    assert_jane_converted_on_server(&pool, lead, first.clone()).await;
    assert!(
        stored(&pool, Entity::Customer, second.customer_id)
            .await
            .is_none(),
        "the second conversion created no customer"
    );
    let second_contact = second.contact_id.expect("a contact was requested");
    assert!(stored(&pool, Entity::Contact, second_contact)
        .await
        .is_none());
    for engine in [&alice, &bob] {
        assert_jane_converted_in_view(engine, lead, first.clone());
        assert_eq!(engine.read(|r| r.records(Entity::Customer).count()), 1);
        assert_eq!(rejected_count(engine), 0, "nothing was refused");
        assert_eq!(engine.read(|r| r.pending_count()), 0);
    }
    assert!(
        shown(&bob, Entity::Customer, second.customer_id).is_none(),
        "bob's optimistic customer is gone"
    );
    assert!(shown(&bob, Entity::Contact, second_contact).is_none());
}

#[tokio::test]
async fn a_lead_attached_to_an_existing_customer_becomes_one_more_contact() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme Ltd", "Customer").await;
    let ada = add_contact(&alice, acme, "Ada").await;
    let lead = add(
        &alice,
        Entity::Lead,
        json!({"person_name": "Jane Doe", "company_name": "Acme",
               "email": "jane@acme.test", "status": "Interested"}),
    )
    .await;
    sync(&alice).await;

    let jane = Uuid::now_v7();
    let request = ConvertRequest {
        customer_id: acme,
        contact_id: Some(jane),
        status: None,
    };
    alice.convert(lead, request.clone()).await.expect("attach");
    let expect_two_contacts = |engine: &TestEngine, when: &str| {
        let contacts = shown_contacts(engine, acme);
        let names: Vec<(&str, bool)> = contacts
            .iter()
            .map(|contact| (contact.first_name.as_str(), contact.is_default))
            .collect();
        assert_eq!(names, [("Ada", true), ("Jane", false)], "{when}");
    };
    expect_two_contacts(&alice, "shown at once");
    sync(&alice).await;
    expect_two_contacts(&alice, "and confirmed by the server");

    assert_eq!(live_customers(&pool).await, 1, "no new customer");
    assert_eq!(stored_contacts(&pool, acme).await.len(), 2);
    let customer = stored_record(&pool, Entity::Customer, acme).await;
    assert_eq!(customer.text("name"), Some("Acme Ltd"), "left as it was");
    assert_eq!(customer.text("status"), Some("Customer"), "left as it was");
    let contact = stored_record(&pool, Entity::Contact, jane).await;
    assert_eq!(contact.reference("customer_id"), Some(acme));
    assert_eq!(contact.text("first_name"), Some("Jane"));
    assert_eq!(contact.text("last_name"), Some("Doe"));
    assert_eq!(contact.text("email"), Some("jane@acme.test"));
    assert!(!contact.flag("is_default"), "Acme has its default already");
    assert!(stored_record(&pool, Entity::Contact, ada)
        .await
        .flag("is_default"));
    let converted = stored_record(&pool, Entity::Lead, lead).await;
    assert_eq!(converted.text("status"), Some("Converted"));
    assert_eq!(converted.reference("customer_id"), Some(acme));
    assert_eq!(rejected_count(&alice), 0);
}

#[tokio::test]
async fn a_lead_attached_to_an_existing_contact_creates_nothing() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme Ltd", "Customer").await;
    let ada = add_contact(&alice, acme, "Ada").await;
    let lead = add(
        &alice,
        Entity::Lead,
        json!({"person_name": "Ada Lovelace", "company_name": "Acme",
               "email": "ada@elsewhere.test", "status": "New"}),
    )
    .await;
    sync(&alice).await;
    let before = counter(&pool).await;
    let ada_before = stored_record(&pool, Entity::Contact, ada).await;

    let request = ConvertRequest {
        customer_id: acme,
        contact_id: Some(ada),
        status: None,
    };
    alice.convert(lead, request.clone()).await.expect("attach");
    sync(&alice).await;

    assert_eq!(
        counter(&pool).await,
        before + 1,
        "one write: the lead, and nothing else"
    );
    assert_eq!(live_customers(&pool).await, 1);
    assert_eq!(live_contacts(&pool).await, 1);
    assert_eq!(stored_contacts(&pool, acme).await.len(), 1);
    assert_eq!(
        stored_record(&pool, Entity::Contact, ada).await,
        ada_before,
        "the contact is left as it was"
    );
    let converted = stored_record(&pool, Entity::Lead, lead).await;
    assert_eq!(converted.text("status"), Some("Converted"));
    assert_eq!(converted.reference("customer_id"), Some(acme));
    let contacts = shown_contacts(&alice, acme);
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].first_name, "Ada");
    assert_eq!(contacts[0].email, "");
    assert_eq!(rejected_count(&alice), 0);
}

#[tokio::test]
async fn only_conversion_makes_a_lead_converted() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let lead = Uuid::now_v7();
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            lead,
            json!({"company_name": "Initech", "status": "New"}),
        )
        .await;

    let edit = client
        .send(
            Entity::Lead,
            Op::Upsert,
            lead,
            json!({"status": "Converted"}),
        )
        .await;
    assert_eq!(refused_at(&edit), Some("status"), "{edit:?}");
    let born_converted = client
        .send(
            Entity::Lead,
            Op::Upsert,
            Uuid::now_v7(),
            json!({"company_name": "Hooli", "status": "Converted"}),
        )
        .await;
    assert_eq!(
        refused_at(&born_converted),
        Some("status"),
        "{born_converted:?}"
    );
    assert_eq!(
        stored_record(&pool, Entity::Lead, lead)
            .await
            .text("status"),
        Some("New")
    );
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM leads").await, 1);

    // The engine refuses it before it is ever queued.
    let alice = device(&pool).await;
    sync(&alice).await;
    let error = alice
        .upsert(Entity::Lead, lead, &fields(json!({"status": "Converted"})))
        .await
        .expect_err("refused locally");
    assert!(matches!(error, EngineError::Invalid(ref field) if field.field == "status"));
    assert_eq!(alice.read(|r| r.pending_count()), 0);
}

#[tokio::test]
async fn a_push_setting_the_customer_of_a_lead_fails_as_a_whole() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let acme = Uuid::now_v7();
    client
        .apply(
            Entity::Customer,
            Op::Upsert,
            acme,
            json!({"name": "Acme", "kind": "company", "status": "Customer"}),
        )
        .await;

    let harmless = Uuid::now_v7();
    let linked = Uuid::now_v7();
    let batch = [
        client.mutation(
            Entity::Lead,
            Op::Upsert,
            harmless,
            json!({"company_name": "Globex", "status": "New"}),
        ),
        client.mutation(
            Entity::Lead,
            Op::Upsert,
            linked,
            json!({"company_name": "Initech", "status": "New", "customer_id": acme.to_string()}),
        ),
    ];
    let result = client.push(&batch).await;
    assert!(is_bad_request(&result), "{result:?}");
    assert!(
        stored(&pool, Entity::Lead, harmless).await.is_none(),
        "nothing of the push was applied"
    );
    assert!(stored(&pool, Entity::Lead, linked).await.is_none());

    // The engine refuses it too.
    let alice = device(&pool).await;
    sync(&alice).await;
    let error = alice
        .upsert(
            Entity::Lead,
            Uuid::now_v7(),
            &fields(
                json!({"company_name": "Initech", "status": "New", "customer_id": acme.to_string()}),
            ),
        )
        .await
        .expect_err("refused locally");
    assert!(matches!(error, EngineError::Invalid(ref field) if field.field == "customer_id"));
}

#[tokio::test]
async fn a_malformed_convert_mutation_fails_the_whole_push() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let acme = Uuid::now_v7();
    let lead = Uuid::now_v7();
    client
        .apply(
            Entity::Customer,
            Op::Upsert,
            acme,
            json!({"name": "Acme", "kind": "company", "status": "Customer"}),
        )
        .await;
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            lead,
            json!({"person_name": "Jane Doe", "status": "New"}),
        )
        .await;
    let before = counter(&pool).await;

    let on_a_customer = client.mutation(
        Entity::Customer,
        Op::Convert,
        acme,
        json!({"customer_id": Uuid::now_v7().to_string()}),
    );
    let result = client.push(&[on_a_customer]).await;
    assert!(is_bad_request(&result), "{result:?}");

    let with_notes = client.mutation(
        Entity::Lead,
        Op::Convert,
        lead,
        json!({"customer_id": Uuid::now_v7().to_string(), "notes": "not a conversion field"}),
    );
    let result = client.push(&[with_notes]).await;
    assert!(is_bad_request(&result), "{result:?}");

    assert_eq!(counter(&pool).await, before, "nothing was written");
    assert_eq!(
        stored_record(&pool, Entity::Lead, lead)
            .await
            .text("status"),
        Some("New")
    );
    assert_eq!(live_customers(&pool).await, 1);
}

#[tokio::test]
async fn a_lead_cannot_be_converted_into_a_deleted_customer() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let gone = Uuid::now_v7();
    let lead = Uuid::now_v7();
    client
        .apply(
            Entity::Customer,
            Op::Upsert,
            gone,
            json!({"name": "Gone Inc", "kind": "company", "status": "Inactive"}),
        )
        .await;
    client
        .apply(Entity::Customer, Op::Delete, gone, json!({}))
        .await;
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            lead,
            json!({"person_name": "Jane Doe", "company_name": "Gone", "status": "New"}),
        )
        .await;
    let before = counter(&pool).await;

    let contact = Uuid::now_v7();
    let result = client
        .send(
            Entity::Lead,
            Op::Convert,
            lead,
            json!({"customer_id": gone.to_string(), "contact_id": contact.to_string()}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("customer_id"), "{result:?}");
    assert_eq!(counter(&pool).await, before, "nothing was written");
    assert!(stored_record(&pool, Entity::Customer, gone).await.deleted);
    assert!(stored(&pool, Entity::Contact, contact).await.is_none());
    let lead = stored_record(&pool, Entity::Lead, lead).await;
    assert_eq!(lead.text("status"), Some("New"));
    assert_eq!(lead.reference("customer_id"), None);
}

#[tokio::test]
async fn a_conversion_the_server_refuses_writes_nothing() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let acme = Uuid::now_v7();
    let ada = Uuid::now_v7();
    let jane = Uuid::now_v7();
    let globex = Uuid::now_v7();
    client
        .apply(
            Entity::Customer,
            Op::Upsert,
            acme,
            json!({"name": "Acme", "kind": "company", "status": "Customer"}),
        )
        .await;
    client
        .apply(
            Entity::Contact,
            Op::Upsert,
            ada,
            json!({"customer_id": acme.to_string(), "first_name": "Ada"}),
        )
        .await;
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            jane,
            json!({"person_name": "Jane Doe", "company_name": "Initech", "status": "New"}),
        )
        .await;
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            globex,
            json!({"company_name": "Globex", "status": "New"}),
        )
        .await;
    let before = counter(&pool).await;

    // A new customer, but a contact of another customer.
    let new_customer = Uuid::now_v7();
    let result = client
        .send(
            Entity::Lead,
            Op::Convert,
            jane,
            json!({"customer_id": new_customer.to_string(), "contact_id": ada.to_string()}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("contact_id"), "{result:?}");
    // A new customer and a new contact, from a lead that names no person.
    let other_customer = Uuid::now_v7();
    let result = client
        .send(
            Entity::Lead,
            Op::Convert,
            globex,
            json!({"customer_id": other_customer.to_string(),
                   "contact_id": Uuid::now_v7().to_string()}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("contact_id"), "{result:?}");

    assert_eq!(
        live_customers(&pool).await,
        1,
        "a refused conversion leaves no customer behind"
    );
    assert!(stored(&pool, Entity::Customer, new_customer)
        .await
        .is_none());
    assert!(stored(&pool, Entity::Customer, other_customer)
        .await
        .is_none());
    assert_eq!(counter(&pool).await, before, "nothing was written");
    for lead in [jane, globex] {
        assert_eq!(
            stored_record(&pool, Entity::Lead, lead)
                .await
                .text("status"),
            Some("New")
        );
    }
}

#[tokio::test]
async fn a_conversion_overtaken_by_a_concurrent_edit_leaves_no_orphan_customer() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let bob = device(&pool).await;
    let lead = add_jane(&alice).await;
    sync(&alice).await;
    sync(&bob).await;

    // Alice converts offline while Bob learns the person has left Initech.
    set_network(&alice, Network::Down);
    let request = fresh_conversion();
    alice
        .convert(lead, request.clone())
        .await
        .expect("convert offline");
    bob.upsert(Entity::Lead, lead, &fields(json!({"person_name": ""})))
        .await
        .expect("person cleared");
    sync(&bob).await;
    set_network(&alice, Network::Up);
    let report = alice.sync(|_| {}).await.expect("sync");

    // Either the conversion went through (a customer, and the lead converted
    // into it) or it was refused and wrote nothing: never a customer no lead
    // was converted into.
    let stored_lead = stored_record(&pool, Entity::Lead, lead).await;
    let converted = stored_lead.reference("customer_id") == Some(request.customer_id);
    let customer_live = stored(&pool, Entity::Customer, request.customer_id)
        .await
        .is_some_and(|customer| !customer.record.deleted);
    assert_eq!(
        customer_live, converted,
        "customer live: {customer_live}, lead converted into it: {converted}, refused: {}",
        report.rejected
    );
    assert_eq!(live_customers(&pool).await, i64::from(converted));
    assert_eq!(report.rejected, usize::from(!converted));
    assert_eq!(
        shown(&alice, Entity::Customer, request.customer_id).is_some(),
        customer_live,
        "the device agrees with the server"
    );
}

#[tokio::test]
async fn a_converted_lead_cannot_be_deleted() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let lead = add_jane(&alice).await;
    sync(&alice).await;
    let request = fresh_conversion();
    alice.convert(lead, request.clone()).await.expect("convert");
    sync(&alice).await;

    alice.delete(Entity::Lead, lead).await.expect("queued");
    let report = alice.sync(|_| {}).await.expect("sync");
    assert_eq!(report.rejected, 1);
    let refused = alice.read(|r| r.rejected().to_vec());
    assert_eq!(refused[0].mutation.record_id, lead);
    assert_eq!(refused[0].error.field, "status");
    assert!(!stored_record(&pool, Entity::Lead, lead).await.deleted);
    assert!(
        shown(&alice, Entity::Lead, lead).is_some(),
        "the view reverts"
    );

    // Pushed by hand, the server says the same.
    let client = RawClient::new(&pool);
    let result = client.send(Entity::Lead, Op::Delete, lead, json!({})).await;
    assert_eq!(refused_at(&result), Some("status"), "{result:?}");
    assert!(!stored_record(&pool, Entity::Lead, lead).await.deleted);
}

#[tokio::test]
async fn a_conversion_undone_offline_makes_the_lead_a_lead_again_and_takes_away_what_it_made() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let bob = device(&pool).await;
    let lead = add_jane(&alice).await;
    let request = fresh_conversion();
    let contact = request.contact_id.expect("a contact is requested");
    alice.convert(lead, request.clone()).await.expect("convert");
    sync(&alice).await;

    // The undo, offline: the lead first, then the customer the conversion
    // made, which takes its contact along.
    set_network(&alice, Network::Down);
    alice.unconvert(lead, "Qualified").await.expect("unconvert");
    alice
        .delete(Entity::Customer, request.customer_id)
        .await
        .expect("customer deleted");
    let shown_lead = |engine: &TestEngine| {
        shown(engine, Entity::Lead, lead).map(|record| Lead::from_record(&record))
    };
    let back = shown_lead(&alice).expect("the lead is shown");
    assert_eq!(back.status, "Qualified", "at once, offline");
    assert_eq!(back.customer_id, None);
    assert!(shown(&alice, Entity::Customer, request.customer_id).is_none());
    let alice = reload(alice, &pool).await;
    assert_eq!(
        shown_lead(&alice).map(|l| l.status),
        Some("Qualified".into())
    );

    set_network(&alice, Network::Up);
    sync(&alice).await;
    assert_eq!(rejected_count(&alice), 0);
    let stored_lead = stored_record(&pool, Entity::Lead, lead).await;
    assert!(!stored_lead.deleted, "the lead stays, as a lead");
    assert_eq!(stored_lead.text("status"), Some("Qualified"));
    assert_eq!(stored_lead.reference("customer_id"), None);
    assert_eq!(live_customers(&pool).await, 0);
    assert_eq!(live_contacts(&pool).await, 0);
    assert_eq!(
        stored_record(&pool, Entity::Contact, contact)
            .await
            .reference(DELETED_WITH_FIELD),
        Some(request.customer_id),
        "the contact went with its customer, to come back with it"
    );
    sync(&bob).await;
    assert_eq!(shown_lead(&bob).map(|l| l.status), Some("Qualified".into()));

    // A lead again: it converts anew.
    let again = fresh_conversion();
    bob.convert(lead, again.clone())
        .await
        .expect("converts again");
    sync(&bob).await;
    assert_jane_converted_on_server(&pool, lead, again).await;
}

#[tokio::test]
async fn an_unconversion_is_a_no_op_on_a_lead_not_converted_and_names_a_bad_status() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let lead = add_jane(&alice).await;
    sync(&alice).await;
    let refused = alice
        .unconvert(lead, "Qualified")
        .await
        .expect_err("the engine refuses a lead not converted");
    assert!(matches!(refused, EngineError::Invalid(ref error) if error.field == "status"));

    let client = RawClient::new(&pool);
    let before = counter(&pool).await;
    let result = client
        .send(Entity::Lead, Op::Unconvert, lead, json!({"status": "New"}))
        .await;
    assert_eq!(result.status, MutationStatus::Applied, "{result:?}");
    assert_eq!(counter(&pool).await, before, "nothing written");

    let request = fresh_conversion();
    alice.convert(lead, request.clone()).await.expect("convert");
    sync(&alice).await;
    for status in ["Converted", "Bought"] {
        let result = client
            .send(
                Entity::Lead,
                Op::Unconvert,
                lead,
                json!({ "status": status }),
            )
            .await;
        assert_eq!(refused_at(&result), Some("status"), "{status}: {result:?}");
    }
    let stored_lead = stored_record(&pool, Entity::Lead, lead).await;
    assert_eq!(stored_lead.text("status"), Some("Converted"), "unchanged");
    // Only a lead, and only with a status.
    let wrong_entity = client
        .push(&[client.mutation(
            Entity::Customer,
            Op::Unconvert,
            request.customer_id,
            json!({"status": "New"}),
        )])
        .await;
    assert!(is_bad_request(&wrong_entity), "{wrong_entity:?}");
    let wrong_field = client
        .push(&[client.mutation(
            Entity::Lead,
            Op::Unconvert,
            lead,
            json!({"customer_id": request.customer_id.to_string()}),
        )])
        .await;
    assert!(is_bad_request(&wrong_field), "{wrong_field:?}");
}

#[tokio::test]
async fn an_opportunity_belongs_to_an_existing_customer_or_lead() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let nobody = Uuid::now_v7();
    let result = client
        .send(
            Entity::Opportunity,
            Op::Upsert,
            Uuid::now_v7(),
            json!({"customer_id": nobody.to_string(), "title": "Big deal", "stage": "Proposal"}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("customer_id"), "{result:?}");

    let result = client
        .send(
            Entity::Opportunity,
            Op::Upsert,
            Uuid::now_v7(),
            json!({"title": "Deal with nobody", "stage": "Qualification"}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("customer_id"), "{result:?}");

    let result = client
        .send(
            Entity::Opportunity,
            Op::Upsert,
            Uuid::now_v7(),
            json!({"lead_id": Uuid::now_v7().to_string(), "title": "Ghost lead", "stage": "Proposal"}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("lead_id"), "{result:?}");

    let lead = Uuid::now_v7();
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            lead,
            json!({"company_name": "Initech", "status": "New"}),
        )
        .await;
    client
        .apply(
            Entity::Opportunity,
            Op::Upsert,
            Uuid::now_v7(),
            json!({"lead_id": lead.to_string(), "title": "Pilot", "stage": "Qualification"}),
        )
        .await;
    assert_eq!(
        count(&pool, "SELECT COUNT(*) FROM opportunities").await,
        1,
        "only the valid one was stored"
    );
}

#[tokio::test]
async fn an_activity_must_be_linked_to_a_record() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let result = client
        .send(
            Entity::Activity,
            Op::Upsert,
            Uuid::now_v7(),
            json!({"kind": "call", "subject": "Cold call"}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("customer_id"), "{result:?}");
    let result = client
        .send(
            Entity::Activity,
            Op::Upsert,
            Uuid::now_v7(),
            json!({"kind": "call", "subject": "Call a ghost",
                   "contact_id": Uuid::now_v7().to_string()}),
        )
        .await;
    assert_eq!(refused_at(&result), Some("contact_id"), "{result:?}");
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM activities").await, 0);

    // The engine refuses an unlinked activity before it is queued.
    let alice = device(&pool).await;
    let error = alice
        .upsert(
            Entity::Activity,
            Uuid::now_v7(),
            &fields(json!({"kind": "note", "subject": "Floating thought"})),
        )
        .await
        .expect_err("refused locally");
    assert!(matches!(error, EngineError::Invalid(ref field) if field.field == "customer_id"));
}

fn activity(link: &str, parent: Uuid, subject: &str) -> Value {
    json!({link: parent.to_string(), "kind": "note", "subject": subject})
}

fn opportunity(link: &str, parent: Uuid, title: &str) -> Value {
    json!({link: parent.to_string(), "title": title, "stage": "Proposal"})
}

/// Adds a note linked to `parent` through the reference `link`.
async fn add_activity(engine: &TestEngine, link: &str, parent: Uuid, subject: &str) -> Uuid {
    add(engine, Entity::Activity, activity(link, parent, subject)).await
}

/// Adds a deal linked to `parent` through the reference `link`.
async fn add_opportunity(engine: &TestEngine, link: &str, parent: Uuid, title: &str) -> Uuid {
    add(
        engine,
        Entity::Opportunity,
        opportunity(link, parent, title),
    )
    .await
}

/// A new lead of Hooli, converted into nothing.
async fn add_hooli(engine: &TestEngine) -> Uuid {
    let values = json!({"company_name": "Hooli", "status": "New"});
    add(engine, Entity::Lead, values).await
}

/// Gives `lead` a deal, a note and a note on the deal: what deleting the
/// lead, or the customer it was converted into, must tombstone with it.
async fn add_deal_and_notes(engine: &TestEngine, lead: Uuid) -> [(Entity, Uuid); 3] {
    let deal = add_opportunity(engine, "lead_id", lead, "Pilot").await;
    [
        (Entity::Opportunity, deal),
        (
            Entity::Activity,
            add_activity(engine, "lead_id", lead, "Met at fair").await,
        ),
        (
            Entity::Activity,
            add_activity(engine, "opportunity_id", deal, "Pilot scope").await,
        ),
    ]
}

/// Deletes `deleted` on `engine` and syncs, then checks that the server
/// tombstoned every `doomed` record and no `bystander`, that neither this
/// device nor one that syncs afterwards shows a doomed record, and that
/// nothing was refused.
async fn assert_deleting_cascades(
    pool: &Db,
    engine: &TestEngine,
    deleted: (Entity, Uuid),
    doomed: &[(Entity, Uuid)],
    bystanders: &[(Entity, Uuid)],
) {
    let (entity, id) = deleted;
    engine.delete(entity, id).await.expect("delete");
    sync(engine).await;

    let live = not_tombstoned(pool, doomed).await;
    assert!(live.is_empty(), "not tombstoned: {live:?}");
    assert_eq!(
        not_tombstoned(pool, bystanders).await,
        bystanders,
        "unrelated records stay"
    );
    for &(entity, id) in doomed {
        assert!(
            shown(engine, entity, id).is_none(),
            "{entity} {id} still shown"
        );
    }
    let bob = device(pool).await;
    sync(&bob).await;
    for &(entity, id) in doomed {
        assert!(
            shown(&bob, entity, id).is_none(),
            "{entity} {id} pulled live"
        );
    }
    assert_eq!(rejected_count(engine), 0);
}

#[tokio::test]
async fn deleting_a_customer_tombstones_everything_that_hangs_off_it() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Customer").await;
    let ada = add_contact(&alice, acme, "Ada").await;
    let deal = add_opportunity(&alice, "customer_id", acme, "Renewal").await;
    let mut doomed = vec![
        (Entity::Customer, acme),
        (Entity::Contact, ada),
        (Entity::Opportunity, deal),
        (
            Entity::Activity,
            add_activity(&alice, "customer_id", acme, "Visit").await,
        ),
        (
            Entity::Activity,
            add_activity(&alice, "contact_id", ada, "Call Ada").await,
        ),
        (
            Entity::Activity,
            add_activity(&alice, "opportunity_id", deal, "Quote").await,
        ),
    ];
    // A lead with its own deal and notes, converted into Acme.
    let lead = add_jane(&alice).await;
    doomed.extend(add_deal_and_notes(&alice, lead).await);
    // Bystanders: another customer and an unconverted lead.
    let globex = add_customer(&alice, "Globex", "Customer").await;
    let hooli = add_hooli(&alice).await;
    let bystanders = [
        (Entity::Customer, globex),
        (
            Entity::Opportunity,
            add_opportunity(&alice, "customer_id", globex, "Other").await,
        ),
        (
            Entity::Activity,
            add_activity(&alice, "customer_id", globex, "Other").await,
        ),
        (Entity::Lead, hooli),
        (
            Entity::Opportunity,
            add_opportunity(&alice, "lead_id", hooli, "Hooli").await,
        ),
    ];
    sync(&alice).await;
    alice
        .convert(
            lead,
            ConvertRequest {
                customer_id: acme,
                contact_id: None,
                status: None,
            },
        )
        .await
        .expect("attach to Acme");
    sync(&alice).await;
    assert_eq!(
        stored_record(&pool, Entity::Lead, lead)
            .await
            .reference("customer_id"),
        Some(acme)
    );

    assert_deleting_cascades(
        &pool,
        &alice,
        (Entity::Customer, acme),
        &doomed,
        &bystanders,
    )
    .await;
}

#[tokio::test]
async fn deleting_a_lead_tombstones_its_opportunities_and_activities() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let lead = add_jane(&alice).await;
    let mut doomed = vec![(Entity::Lead, lead)];
    doomed.extend(add_deal_and_notes(&alice, lead).await);
    let hooli = add_hooli(&alice).await;
    let bystanders = [
        (Entity::Lead, hooli),
        (
            Entity::Activity,
            add_activity(&alice, "lead_id", hooli, "Hooli call").await,
        ),
    ];
    sync(&alice).await;

    assert_deleting_cascades(&pool, &alice, (Entity::Lead, lead), &doomed, &bystanders).await;
}

#[tokio::test]
async fn opportunity_amounts_and_dates_round_trip_as_json_integers() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let acme = add_customer(&alice, "Acme", "Customer").await;
    let deal = add(
        &alice,
        Entity::Opportunity,
        json!({"customer_id": acme.to_string(), "title": "Fleet renewal", "stage": "Negotiation",
               "amount": 125_000, "currency": "eur", "expected_close": "2026-12-31",
               "probability": 40}),
    )
    .await;
    sync(&alice).await;

    let expected = |record: &Record, whose: &str| {
        assert_eq!(
            record.fields.get("amount"),
            Some(&json!(125_000)),
            "{whose}"
        );
        assert_eq!(
            record.fields.get("probability"),
            Some(&json!(40)),
            "{whose}"
        );
        assert!(
            record.fields.get("amount").is_some_and(Value::is_i64),
            "{whose}: a JSON integer"
        );
        assert_eq!(record.text("currency"), Some("EUR"), "{whose}");
        assert_eq!(record.text("expected_close"), Some("2026-12-31"), "{whose}");
        assert_eq!(record.text("stage"), Some("Negotiation"), "{whose}");
    };
    expected(
        &stored_record(&pool, Entity::Opportunity, deal).await,
        "stored",
    );
    // SQLite keeps any type in any column; PostgreSQL's are BIGINT.
    if let Db::Sqlite(sqlite) = &pool {
        let kinds: (String, String) = sqlx::query_as(
            "SELECT typeof(amount), typeof(probability) FROM opportunities WHERE id = $1",
        )
        .bind(deal.to_string())
        .fetch_one(sqlite)
        .await
        .expect("column types");
        assert_eq!(kinds, ("integer".into(), "integer".into()));
    }

    // On the wire, as a pull reply's JSON.
    let page = pull::pull(&pool, DEFAULT_WORKSPACE, 0, None)
        .await
        .expect("pull");
    let wire = serde_json::to_value(&page).expect("serialises");
    let rows = wire["rows"].as_array().expect("rows");
    let row = rows
        .iter()
        .find(|row| row["entity"] == "opportunity")
        .expect("the opportunity is pulled");
    assert_eq!(row["record"]["amount"], json!(125_000));
    assert!(row["record"]["amount"].is_i64());
    assert_eq!(row["record"]["probability"], json!(40));
    assert_eq!(row["record"]["currency"], "EUR");
    assert_eq!(row["record"]["expected_close"], "2026-12-31");

    // And on another device.
    let bob = device(&pool).await;
    sync(&bob).await;
    let seen = shown(&bob, Entity::Opportunity, deal).expect("pulled");
    expected(&seen, "pulled by another device");
    let typed = clientele::domain::Opportunity::from_record(&seen);
    assert_eq!(typed.amount, Some(125_000));
    assert_eq!(typed.probability, Some(40));
    assert_eq!(typed.customer_id, Some(acme));
}

#[tokio::test]
async fn activity_times_round_trip_in_utc() {
    let (pool, _dir) = database().await;
    let alice = device(&pool).await;
    let lead = add_jane(&alice).await;
    let task = add(
        &alice,
        Entity::Activity,
        json!({"lead_id": lead.to_string(), "kind": "task", "subject": "Send the offer",
               "due_at": "2026-12-01T10:00:00+01:00"}),
    )
    .await;
    sync(&alice).await;
    alice
        .upsert(
            Entity::Activity,
            task,
            &fields(json!({"done_at": "2026-11-30T17:45:00Z"})),
        )
        .await
        .expect("done");
    sync(&alice).await;

    let saved = stored_record(&pool, Entity::Activity, task).await;
    assert_eq!(saved.text("due_at"), Some("2026-12-01T09:00:00Z"));
    assert_eq!(saved.text("done_at"), Some("2026-11-30T17:45:00Z"));
    let bob = device(&pool).await;
    sync(&bob).await;
    let seen = shown(&bob, Entity::Activity, task).expect("pulled");
    assert_eq!(seen.text("due_at"), Some("2026-12-01T09:00:00Z"));
    assert_eq!(seen.reference("lead_id"), Some(lead));
    assert_eq!(seen.text("kind"), Some("task"));
}

/// The statuses a push answered with, in mutation order.
fn statuses(response: &PushResponse) -> Vec<MutationStatus> {
    response
        .results
        .iter()
        .map(|result| result.status)
        .collect()
}

#[tokio::test]
async fn a_push_reads_what_its_own_earlier_mutations_wrote() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let acme = Uuid::now_v7();
    let ada = Uuid::now_v7();
    let deal = Uuid::now_v7();
    let late_deal = Uuid::now_v7();
    let mutations = [
        client.mutation(
            Entity::Customer,
            Op::Upsert,
            acme,
            json!({"name": "Acme", "kind": "company", "status": "Customer"}),
        ),
        // Acme exists only in this push so far.
        client.mutation(
            Entity::Contact,
            Op::Upsert,
            ada,
            json!({"customer_id": acme.to_string(), "first_name": "Ada"}),
        ),
        client.mutation(
            Entity::Opportunity,
            Op::Upsert,
            deal,
            opportunity("customer_id", acme, "Renewal"),
        ),
        // Tombstones Ada and the deal by cascade, not by naming them.
        client.mutation(Entity::Customer, Op::Delete, acme, json!({})),
        client.mutation(
            Entity::Contact,
            Op::Upsert,
            ada,
            json!({"first_name": "Ada B."}),
        ),
        client.mutation(
            Entity::Opportunity,
            Op::Upsert,
            late_deal,
            opportunity("customer_id", acme, "Too late"),
        ),
        client.mutation(Entity::Opportunity, Op::Delete, deal, json!({})),
    ];
    let response = client.push(&mutations).await.expect("a well-formed push");

    assert_eq!(
        statuses(&response),
        [
            MutationStatus::Applied,
            MutationStatus::Applied,
            MutationStatus::Applied,
            MutationStatus::Applied,
            MutationStatus::Conflict,
            MutationStatus::Rejected,
            MutationStatus::Applied,
        ],
        "{response:?}"
    );
    assert_eq!(refused_at(&response.results[5]), Some("customer_id"));
    let tombstoned_deal = stored_record(&pool, Entity::Opportunity, deal).await;
    assert!(tombstoned_deal.deleted);
    assert_eq!(
        response.results[6].version,
        Some(tombstoned_deal.version),
        "deleting a tombstone answers with the version the cascade wrote"
    );
    let ada_record = stored_record(&pool, Entity::Contact, ada).await;
    assert!(ada_record.deleted);
    assert_eq!(ada_record.text("first_name"), Some("Ada"));
    assert!(stored(&pool, Entity::Opportunity, late_deal)
        .await
        .is_none());
}

#[tokio::test]
async fn a_refused_conversion_is_forgotten_by_the_rest_of_its_push() {
    let (pool, _dir) = database().await;
    let client = RawClient::new(&pool);
    let globex = Uuid::now_v7();
    let jane = Uuid::now_v7();
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            globex,
            json!({"company_name": "Globex", "status": "New"}),
        )
        .await;
    client
        .apply(
            Entity::Lead,
            Op::Upsert,
            jane,
            json!({"person_name": "Jane Doe", "company_name": "Initech", "status": "New"}),
        )
        .await;
    let before = counter(&pool).await;

    let customer = Uuid::now_v7();
    let contact = Uuid::now_v7();
    let deal = Uuid::now_v7();
    let conversion =
        json!({"customer_id": customer.to_string(), "contact_id": contact.to_string()});
    let mutations = [
        // Makes the customer, then finds Globex names no person: refused.
        client.mutation(Entity::Lead, Op::Convert, globex, conversion.clone()),
        client.mutation(
            Entity::Opportunity,
            Op::Upsert,
            deal,
            opportunity("customer_id", customer, "Refused"),
        ),
        // The same customer and contact, from a lead that can make them.
        client.mutation(Entity::Lead, Op::Convert, jane, conversion),
    ];
    let response = client.push(&mutations).await.expect("a well-formed push");

    assert_eq!(
        statuses(&response),
        [
            MutationStatus::Rejected,
            MutationStatus::Rejected,
            MutationStatus::Applied,
        ],
        "{response:?}"
    );
    assert_eq!(refused_at(&response.results[0]), Some("contact_id"));
    assert_eq!(refused_at(&response.results[1]), Some("customer_id"));
    assert!(stored(&pool, Entity::Opportunity, deal).await.is_none());
    assert_eq!(
        stored_record(&pool, Entity::Lead, globex)
            .await
            .text("status"),
        Some("New")
    );
    let made = stored_record(&pool, Entity::Customer, customer).await;
    assert_eq!(made.text("name"), Some("Initech"), "made from Jane's lead");
    assert_eq!(made.version, before + 1, "the refused numbers were reused");
    let contacts = stored_contacts(&pool, customer).await;
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].id, contact);
    assert!(contacts[0].flag("is_default"));
    let lead = stored_record(&pool, Entity::Lead, jane).await;
    assert_eq!(lead.text("status"), Some("Converted"));
    assert_eq!(lead.reference("customer_id"), Some(customer));
}
