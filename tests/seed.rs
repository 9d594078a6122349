//! The benchmark seed: deterministic, and a workspace like any other.
#![cfg(feature = "ssr")]

mod common;

use clientele::server::pull::pull;
use clientele::server::seed::{seed, SeedSize};
use clientele::server::DEFAULT_WORKSPACE;
use clientele::sync::PulledRow;
use std::collections::HashMap;

const TINY: SeedSize = SeedSize {
    customers: 60,
    contacts_per_customer: 3,
    leads: 20,
    opportunities: 15,
    activities: 200,
};

async fn seeded_rows(seed_value: u64) -> Vec<PulledRow> {
    let (pool, _dir) = common::database().await;
    let written = seed(
        &pool,
        DEFAULT_WORKSPACE,
        common::MEMBER,
        TINY,
        seed_value,
        &|_| {},
    )
    .await
    .expect("seeds");
    assert_eq!(written, TINY.rows());
    let page = pull(&pool, DEFAULT_WORKSPACE, 0, Some(5000))
        .await
        .expect("pulls")
        .decode()
        .expect("decodes");
    assert!(!page.more);
    page.rows
}

/// Timestamps the database adds are not part of the generated data.
fn comparable(rows: &[PulledRow]) -> Vec<String> {
    rows.iter()
        .map(|row| {
            format!(
                "{} {} {} {}",
                row.entity,
                row.record.id,
                row.record.version,
                serde_json::to_string(&row.record.fields).expect("serializes")
            )
        })
        .collect()
}

#[tokio::test]
async fn the_same_seed_gives_the_same_workspace_and_another_seed_another() {
    let first = seeded_rows(7).await;
    assert_eq!(first.len(), TINY.rows());
    assert_eq!(comparable(&first), comparable(&seeded_rows(7).await));
    assert_ne!(comparable(&first), comparable(&seeded_rows(8).await));
}

#[tokio::test]
async fn seeded_data_keeps_the_invariants_users_rely_on() {
    let rows = seeded_rows(1).await;
    let mut defaults: HashMap<String, usize> = HashMap::new();
    for row in rows.iter().filter(|row| row.entity.as_str() == "contact") {
        let customer = row
            .record
            .text("customer_id")
            .expect("contact has a customer");
        *defaults.entry(customer.to_owned()).or_default() +=
            usize::from(row.record.flag("is_default"));
    }
    assert_eq!(defaults.len(), TINY.customers);
    assert!(
        defaults.values().all(|count| *count == 1),
        "one default contact each"
    );
    for row in &rows {
        let fields = &row.record.fields;
        clientele::domain::check_required(row.entity, fields).expect("required fields present");
        let writable: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .filter(|(name, _)| row.entity.client_writable(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        clientele::domain::normalize_patch(row.entity, &writable).expect("every value valid");
    }
}
