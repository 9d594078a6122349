//! Realistic generated data for benchmarks and demos: a whole workspace from
//! a seed value, the same rows for the same seed on every machine.
//!
//! Rows are written straight through the repository in large transactions,
//! with versions taken from the workspace counter like any write, so a
//! seeded workspace pulls and syncs exactly like one filled by users.

use super::error::ServerError;
use super::repository::{self as repo, Db, StoredRecord, WorkspaceId};
use crate::domain::{changes_between, HistoryEntry, HistoryKind, Origin};
use crate::domain::{
    Entity, Record, ACTIVITY_KINDS, CUSTOMER_STATUSES, LEAD_STATUSES, OPPORTUNITY_STAGES,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};
use uuid::Uuid;

/// How many records of each kind to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedSize {
    pub customers: usize,
    pub contacts_per_customer: usize,
    pub leads: usize,
    pub opportunities: usize,
    pub activities: usize,
}

impl SeedSize {
    /// The size issue 6 measures: 50,000 customers, 150,000 contacts,
    /// 20,000 leads, 200,000 activities (and 10,000 opportunities).
    pub const FULL: SeedSize = SeedSize {
        customers: 50_000,
        contacts_per_customer: 3,
        leads: 20_000,
        opportunities: 10_000,
        activities: 200_000,
    };

    /// One fiftieth of the full size: quick enough for CI.
    pub const QUICK: SeedSize = SeedSize {
        customers: 1_000,
        contacts_per_customer: 3,
        leads: 400,
        opportunities: 200,
        activities: 4_000,
    };

    /// Rows the seed writes in all.
    pub fn rows(self) -> usize {
        self.customers * (1 + self.contacts_per_customer)
            + self.leads
            + self.opportunities
            + self.activities
    }
}

/// Rows written per transaction: large enough to be fast, small enough
/// that progress shows and readers are not starved.
const ROWS_PER_TRANSACTION: usize = 5_000;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Alan", "Amira", "Ben", "Carla", "Chen", "Dana", "David", "Elena", "Emil", "Fatima",
    "Felix", "Grace", "Hans", "Ines", "Ivan", "Jana", "Jonas", "Kai", "Keiko", "Lara", "Luca",
    "Maria", "Mateo", "Nadia", "Noah", "Olga", "Omar", "Paula", "Pieter", "Rosa", "Sami", "Sofia",
    "Tom", "Uma", "Vera", "Wei", "Yara", "Zoe", "Lena",
];
const LAST_NAMES: &[&str] = &[
    "Andersen",
    "Bauer",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fischer",
    "Garcia",
    "Hoffmann",
    "Ivanova",
    "Jansen",
    "Kowalski",
    "Lambert",
    "Müller",
    "Novak",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Urban",
    "Vogel",
    "Weber",
    "Xu",
    "Yilmaz",
    "Zimmermann",
    "Nguyen",
    "Silva",
];
const COMPANY_WORDS: &[&str] = &[
    "Alpine", "Atlas", "Blue", "Bright", "Cedar", "Crown", "Delta", "Eagle", "Falcon", "Green",
    "Harbor", "Iron", "Juniper", "Kite", "Lumen", "Maple", "Nova", "Oak", "Pioneer", "Quartz",
    "River", "Summit", "Terra", "Union", "Vertex", "West", "Zenith", "Polar", "Silver", "Orbit",
];
const COMPANY_TRADES: &[&str] = &[
    "Logistics",
    "Foods",
    "Systems",
    "Energy",
    "Textiles",
    "Media",
    "Robotics",
    "Pharma",
    "Motors",
    "Consulting",
    "Software",
    "Builders",
    "Retail",
    "Analytics",
    "Labs",
    "Printing",
];
const LEGAL_FORMS: &[&str] = &["Ltd", "GmbH", "Inc", "SA", "BV", "AB", ""];
const CITIES: &[(&str, &str)] = &[
    ("Berlin", "Germany"),
    ("Hamburg", "Germany"),
    ("London", "United Kingdom"),
    ("Manchester", "United Kingdom"),
    ("Paris", "France"),
    ("Lyon", "France"),
    ("Madrid", "Spain"),
    ("Milan", "Italy"),
    ("Amsterdam", "Netherlands"),
    ("Stockholm", "Sweden"),
    ("Warsaw", "Poland"),
    ("Vienna", "Austria"),
    ("Zurich", "Switzerland"),
    ("New York", "United States"),
    ("Toronto", "Canada"),
];
const STREETS: &[&str] = &[
    "Main Street",
    "Station Road",
    "Market Square",
    "Harbour Way",
    "Park Avenue",
    "Mill Lane",
];
const LEAD_SOURCES: &[&str] = &[
    "Website",
    "Trade fair",
    "Referral",
    "Cold call",
    "Newsletter",
];
const SUBJECTS: &[&str] = &[
    "Intro call",
    "Follow-up",
    "Sent price list",
    "Demo",
    "Contract questions",
    "Quarterly review",
    "Support issue",
    "Renewal",
    "Site visit",
    "Proposal sent",
];
const CURRENCIES: &[&str] = &["EUR", "EUR", "EUR", "USD", "GBP"];

/// The member of a seeded workspace, for benchmarks and demos. Seeded
/// databases are throwaway, so a fixed, published password is fine.
pub const SEED_EMAIL: &str = "seed@clientele.example";
/// See [`SEED_EMAIL`].
pub const SEED_PASSWORD: &str = "seeded workspace";

/// The deterministic source of one seeded workspace.
struct Generator {
    rng: ChaCha8Rng,
    /// Fixed "now", so the same seed gives the same timestamps.
    epoch: DateTime<Utc>,
}

impl Generator {
    fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            epoch: Utc
                .with_ymd_and_hms(2026, 11, 1, 9, 0, 0)
                .single()
                .unwrap_or_else(Utc::now),
        }
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from.choose(&mut self.rng).copied().unwrap_or_default()
    }

    /// A UUID v7 from the generator, so ids repeat with the seed.
    fn id(&mut self, at: DateTime<Utc>) -> Uuid {
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        let random: u128 = self.rng.random();
        let bits = (u128::from(millis) << 80) | (random & ((1u128 << 80) - 1));
        uuid::Builder::from_u128(bits)
            .with_version(uuid::Version::SortRand)
            .with_variant(uuid::Variant::RFC4122)
            .into_uuid()
    }

    /// A moment within the last two years before the epoch.
    fn past(&mut self) -> DateTime<Utc> {
        self.epoch - Duration::minutes(self.rng.random_range(0..2 * 365 * 24 * 60))
    }

    fn phone(&mut self) -> String {
        format!(
            "+{} {} {:07}",
            self.rng.random_range(1..50),
            self.rng.random_range(10..99),
            self.rng.random_range(0..10_000_000)
        )
    }

    fn person(&mut self) -> (String, String) {
        (
            self.pick(FIRST_NAMES).to_owned(),
            self.pick(LAST_NAMES).to_owned(),
        )
    }

    fn company(&mut self, serial: usize) -> String {
        let form = self.pick(LEGAL_FORMS);
        let name = format!(
            "{} {} {serial}",
            self.pick(COMPANY_WORDS),
            self.pick(COMPANY_TRADES)
        );
        if form.is_empty() {
            name
        } else {
            format!("{name} {form}")
        }
    }
}

fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase()
}

fn record(id: Uuid, at: DateTime<Utc>, fields: Map<String, Value>) -> Record {
    let mut record = Record::new_local(id, at);
    record.fields = fields;
    record
}

/// Writes rows in version order, a transaction every few thousand.
struct Writer<'a> {
    db: &'a Db,
    workspace: WorkspaceId,
    pending: Vec<(Entity, Record)>,
    written: usize,
    on_progress: &'a dyn Fn(usize),
}

impl Writer<'_> {
    async fn add(&mut self, entity: Entity, record: Record) -> Result<(), ServerError> {
        self.pending.push((entity, record));
        if self.pending.len() >= ROWS_PER_TRANSACTION {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ServerError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin_write().await?;
        let count = i64::try_from(self.pending.len())
            .map_err(|_| ServerError::BadRequest("too many rows".into()))?;
        let last = repo::reserve_versions(&mut tx, self.workspace, count).await?;
        let mut version = last - count;
        let mut by_entity: Vec<(Entity, Vec<StoredRecord>)> = Vec::new();
        for (entity, mut record) in self.pending.drain(..) {
            version += 1;
            record.version = version;
            let field_versions = record
                .fields
                .keys()
                .map(|field| (field.clone(), version))
                .collect();
            let stored = StoredRecord {
                record,
                field_versions,
            };
            match by_entity.iter_mut().find(|(known, _)| *known == entity) {
                Some((_, records)) => records.push(stored),
                None => by_entity.push((entity, vec![stored])),
            }
            self.written += 1;
        }
        let now = Utc::now();
        for (entity, records) in &by_entity {
            // Each record's creation, as a push would have recorded it: the
            // history a real workspace of this size has at the least.
            let history: Vec<HistoryEntry> = records
                .iter()
                .map(|stored| HistoryEntry {
                    version: stored.record.version,
                    entity: *entity,
                    record_id: stored.record.id,
                    kind: HistoryKind::Created,
                    origin: Some(Origin::Import),
                    changes: changes_between(*entity, None, &stored.record),
                    author: None,
                    device: None,
                    made_at: None,
                    received_at: now,
                })
                .collect();
            let records: Vec<&StoredRecord> = records.iter().collect();
            repo::save_all(&mut tx, self.workspace, *entity, &records).await?;
            repo::history::append(&mut tx, self.workspace, &history).await?;
        }
        tx.commit().await?;
        (self.on_progress)(self.written);
        Ok(())
    }
}

macro_rules! fields {
    ($($name:literal => $value:expr),* $(,)?) => {{
        let mut map = Map::new();
        $(map.insert($name.to_owned(), Value::from($value));)*
        map
    }};
}

/// Fills a workspace with `size` generated records from `seed`, owned by
/// (and assigned to) `owner`, telling `on_progress` the rows written so
/// far; returns how many were written.
pub async fn seed(
    db: &Db,
    workspace: WorkspaceId,
    owner: Uuid,
    size: SeedSize,
    seed: u64,
    on_progress: &dyn Fn(usize),
) -> Result<usize, ServerError> {
    let mut generator = Generator::new(seed);
    let mut writer = Writer {
        db,
        workspace,
        pending: Vec::with_capacity(ROWS_PER_TRANSACTION),
        written: 0,
        on_progress,
    };
    let mut customers: Vec<Uuid> = Vec::with_capacity(size.customers);
    let mut contacts: Vec<(Uuid, Uuid)> =
        Vec::with_capacity(size.customers * size.contacts_per_customer);
    for serial in 1..=size.customers {
        let g = &mut generator;
        let at = g.past();
        let id = g.id(at);
        let is_company = g.rng.random_bool(0.8);
        let (first, last) = g.person();
        let name = if is_company {
            g.company(serial)
        } else {
            format!("{first} {last}")
        };
        let (city, country) = *CITIES.choose(&mut g.rng).unwrap_or(&("Berlin", "Germany"));
        let fields = fields! {
            "name" => name.clone(),
            "kind" => if is_company { "company" } else { "person" },
            "status" => g.pick(CUSTOMER_STATUSES),
            "email" => format!("info{serial}@{}.example", slug(&name)),
            "phone" => g.phone(),
            "website" => if is_company { Value::from(format!("https://{}.example", slug(&name))) } else { Value::Null },
            "street" => format!("{} {}", g.rng.random_range(1..200), g.pick(STREETS)),
            "city" => city,
            "postcode" => format!("{:05}", g.rng.random_range(1000..99999)),
            "country" => country,
            "owner" => owner.to_string(),
            "changed_by" => owner.to_string(),
        };
        writer.add(Entity::Customer, record(id, at, fields)).await?;
        customers.push(id);
        for index in 0..size.contacts_per_customer {
            let g = &mut generator;
            let contact_at = at + Duration::minutes(i64::try_from(index).unwrap_or(0) + 1);
            let contact_id = g.id(contact_at);
            let (first, last) = g.person();
            let fields = fields! {
                "customer_id" => id.to_string(),
                "first_name" => first.clone(),
                "last_name" => last.clone(),
                "job_title" => g.pick(&["CEO", "Buyer", "Head of IT", "Accountant", "Sales manager"]),
                "email" => format!("{}.{}{serial}@{}.example", slug(&first), slug(&last), slug(&name)),
                "phone" => g.phone(),
                "is_default" => index == 0,
            };
            writer
                .add(Entity::Contact, record(contact_id, contact_at, fields))
                .await?;
            contacts.push((contact_id, id));
        }
    }
    let mut leads: Vec<Uuid> = Vec::with_capacity(size.leads);
    for serial in 1..=size.leads {
        let g = &mut generator;
        let at = g.past();
        let id = g.id(at);
        let (first, last) = g.person();
        let company = g.company(serial);
        // Conversion is an action, not seed data: seeded leads are open.
        let status = *LEAD_STATUSES[..LEAD_STATUSES.len() - 1]
            .choose(&mut g.rng)
            .unwrap_or(&"New");
        let fields = fields! {
            "person_name" => format!("{first} {last}"),
            "company_name" => company.clone(),
            "email" => format!("{}{serial}@{}.example", slug(&first), slug(&company)),
            "phone" => g.phone(),
            "source" => g.pick(LEAD_SOURCES),
            "status" => status,
            "owner" => owner.to_string(),
            "changed_by" => owner.to_string(),
        };
        writer.add(Entity::Lead, record(id, at, fields)).await?;
        leads.push(id);
    }
    let mut opportunities: Vec<(Uuid, Uuid)> = Vec::with_capacity(size.opportunities);
    for serial in 1..=size.opportunities {
        let g = &mut generator;
        let at = g.past();
        let id = g.id(at);
        let Some(&customer) = customers.choose(&mut g.rng) else {
            break;
        };
        let close = (g.epoch + Duration::days(g.rng.random_range(-90..180))).format("%Y-%m-%d");
        let fields = fields! {
            "customer_id" => customer.to_string(),
            "title" => format!("{} deal {serial}", g.pick(COMPANY_TRADES)),
            "stage" => g.pick(OPPORTUNITY_STAGES),
            "amount" => g.rng.random_range(50_000..50_000_000i64),
            "currency" => g.pick(CURRENCIES),
            "expected_close" => close.to_string(),
            "probability" => g.rng.random_range(0..=100i64),
            "owner" => owner.to_string(),
            "changed_by" => owner.to_string(),
        };
        writer
            .add(Entity::Opportunity, record(id, at, fields))
            .await?;
        opportunities.push((id, customer));
    }
    for _ in 0..size.activities {
        let g = &mut generator;
        let at = g.past();
        let id = g.id(at);
        let kind = g.pick(ACTIVITY_KINDS);
        let mut fields = fields! {
            "kind" => kind,
            "subject" => g.pick(SUBJECTS),
            "body" => "Generated for the benchmark.",
            "owner" => owner.to_string(),
            "changed_by" => owner.to_string(),
        };
        // Most history hangs off customers and their contacts.
        match g.rng.random_range(0..10) {
            0 if !leads.is_empty() => {
                let lead = leads.choose(&mut g.rng).copied().unwrap_or_default();
                fields.insert("lead_id".into(), lead.to_string().into());
            }
            1 if !opportunities.is_empty() => {
                let (opportunity, customer) = opportunities
                    .choose(&mut g.rng)
                    .copied()
                    .unwrap_or_default();
                fields.insert("opportunity_id".into(), opportunity.to_string().into());
                fields.insert("customer_id".into(), customer.to_string().into());
            }
            _ => {
                let (contact, customer) = contacts.choose(&mut g.rng).copied().unwrap_or_default();
                fields.insert("customer_id".into(), customer.to_string().into());
                fields.insert("contact_id".into(), contact.to_string().into());
            }
        }
        let when = at.to_rfc3339();
        if kind == "task" && g.rng.random_bool(0.3) {
            let due = g.epoch + Duration::hours(g.rng.random_range(-240..720));
            fields.insert("due_at".into(), due.to_rfc3339().into());
        } else {
            fields.insert("done_at".into(), when.into());
        }
        writer.add(Entity::Activity, record(id, at, fields)).await?;
    }
    writer.flush().await?;
    Ok(writer.written)
}
