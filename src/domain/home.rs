//! What a member's home page shows, from the local records: their tasks
//! due today or overdue, their open pipeline by stage, their leads nobody
//! has contacted, what the team changed lately, and the figures of its two
//! charts. Pure, so every figure is tested here and the page only draws.

use super::activity::Activity;
use super::lead::Lead;
use super::opportunity::Opportunity;
use super::record::Record;
use super::schema::{Entity, CHANGED_BY_FIELD};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// Stages a deal is still open in, in pipeline order.
pub const OPEN_STAGES: &[&str] = &["Qualification", "Proposal", "Negotiation"];

/// Open tasks assigned to `me` due before `day_ends` (the end of the
/// member's today): overdue first, then by due time.
pub fn tasks_due(tasks: &[Activity], me: Uuid, day_ends: DateTime<Utc>) -> Vec<Activity> {
    let mut due: Vec<Activity> = tasks
        .iter()
        .filter(|task| task.is_open_task() && task.assignee == Some(me))
        .filter(|task| task.due_at.is_some_and(|due| due < day_ends))
        .cloned()
        .collect();
    due.sort_by_key(|task| (task.due_at, task.id));
    due
}

/// Leads of `me` that are still New and have no activity logged on them.
pub fn uncontacted_leads(leads: &[Lead], activities: &[Activity], me: Uuid) -> Vec<Lead> {
    let touched: HashSet<Uuid> = activities.iter().filter_map(|a| a.lead_id).collect();
    let mut waiting: Vec<Lead> = leads
        .iter()
        .filter(|lead| lead.owner == Some(me) && lead.status == "New")
        .filter(|lead| !touched.contains(&lead.id))
        .cloned()
        .collect();
    waiting.sort_by_key(|lead| (lead.created_at, lead.id));
    waiting
}

/// One open stage: how many deals and their value in the chart's currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageValue {
    pub stage: &'static str,
    pub count: usize,
    /// Minor units of [`PipelineValue::currency`].
    pub amount: i64,
}

/// The open pipeline by stage in one currency: the one with the most
/// value (amounts in different currencies are never added); deals in
/// other currencies are counted in `other_currencies`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PipelineValue {
    pub currency: String,
    pub stages: Vec<StageValue>,
    pub other_currencies: usize,
}

/// The open pipeline of `owner` (everyone's for `None`).
pub fn open_pipeline(opportunities: &[Opportunity], owner: Option<Uuid>) -> PipelineValue {
    let open: Vec<&Opportunity> = opportunities
        .iter()
        .filter(|o| OPEN_STAGES.contains(&o.stage.as_str()))
        .filter(|o| owner.is_none_or(|owner| o.owner == Some(owner)))
        .collect();
    let mut by_currency: BTreeMap<&str, i64> = BTreeMap::new();
    for opportunity in &open {
        let total = by_currency.entry(&opportunity.currency).or_default();
        *total = total.saturating_add(opportunity.amount.unwrap_or(0));
    }
    let currency = by_currency
        .iter()
        .max_by_key(|(currency, total)| (**total, std::cmp::Reverse(**currency)))
        .map(|(currency, _)| (*currency).to_owned())
        .unwrap_or_default();
    let stages = OPEN_STAGES
        .iter()
        .map(|stage| {
            let here = open.iter().filter(|o| o.stage == *stage);
            StageValue {
                stage,
                count: here.clone().count(),
                amount: here
                    .filter(|o| o.currency == currency)
                    .fold(0, |sum: i64, o| sum.saturating_add(o.amount.unwrap_or(0))),
            }
        })
        .collect();
    PipelineValue {
        other_currencies: open.iter().filter(|o| o.currency != currency).count(),
        currency,
        stages,
    }
}

/// Deals won and lost in one calendar month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthTally {
    /// The month's first day.
    pub month: NaiveDate,
    pub won: usize,
    pub lost: usize,
}

/// Won and lost deals of `owner` (everyone's for `None`) in each of the
/// twelve months up to and including `today`'s, oldest first. A deal
/// counts in the month of its last change.
pub fn won_and_lost_by_month(
    opportunities: &[Opportunity],
    owner: Option<Uuid>,
    today: NaiveDate,
) -> Vec<MonthTally> {
    let this_month = today.with_day(1).unwrap_or(today);
    let mut months: Vec<MonthTally> = (0..12)
        .rev()
        .filter_map(|back| this_month.checked_sub_months(Months::new(back)))
        .map(|month| MonthTally {
            month,
            won: 0,
            lost: 0,
        })
        .collect();
    for opportunity in opportunities {
        if owner.is_some_and(|owner| opportunity.owner != Some(owner)) {
            continue;
        }
        let day = opportunity.updated_at.date_naive();
        let month = day.with_day(1).unwrap_or(day);
        if let Some(tally) = months.iter_mut().find(|tally| tally.month == month) {
            match opportunity.stage.as_str() {
                "Won" => tally.won += 1,
                "Lost" => tally.lost += 1,
                _ => {}
            }
        }
    }
    months
}

/// A change the team made lately, as the home page lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecentChange {
    /// Who made it; `None` for a change from before that was recorded.
    pub by: Option<Uuid>,
    pub at: DateTime<Utc>,
    /// What changed: "customer Acme".
    pub what: String,
    /// The page of the record.
    pub href: String,
}

/// The entities whose changes the home page lists.
pub const CHANGES_LISTED: [Entity; 4] = [
    Entity::Customer,
    Entity::Lead,
    Entity::Opportunity,
    Entity::Activity,
];

/// The `limit` latest changes among `records`, newest first: one pass
/// that keeps only the latest few, so 400,000 records cost no sorting.
pub fn latest_changes<'a>(
    records: impl IntoIterator<Item = (Entity, &'a Record)>,
    limit: usize,
) -> Vec<RecentChange> {
    let mut latest: Vec<(Entity, &Record)> = Vec::with_capacity(limit + 1);
    for (entity, record) in records {
        let newer = latest.len() < limit
            || latest
                .last()
                .is_some_and(|(_, oldest)| record.updated_at > oldest.updated_at);
        if newer {
            let at = latest.partition_point(|(_, kept)| kept.updated_at >= record.updated_at);
            latest.insert(at, (entity, record));
            latest.truncate(limit);
        }
    }
    latest
        .into_iter()
        .map(|(entity, record)| recent_change(entity, record))
        .collect()
}

/// How the home page names one changed record, and where it links.
fn recent_change(entity: Entity, record: &Record) -> RecentChange {
    let text = |field: &str| record.text(field).unwrap_or_default().to_owned();
    let (what, href) = match entity {
        Entity::Lead => (
            format!("lead {}", Lead::from_record(record).display_name()),
            format!("/leads/{}", record.id),
        ),
        Entity::Opportunity => (
            format!("opportunity {}", text("title")),
            format!("/opportunities/{}", record.id),
        ),
        Entity::Activity => {
            let parent = [
                ("opportunity_id", "/opportunities"),
                ("customer_id", "/customers"),
                ("lead_id", "/leads"),
            ]
            .into_iter()
            .find_map(|(field, path)| record.reference(field).map(|id| format!("{path}/{id}")));
            (
                format!("{} {}", text("kind"), text("subject")),
                parent.unwrap_or_else(|| "/".to_owned()),
            )
        }
        _ => (
            format!("customer {}", text("name")),
            format!("/customers/{}", record.id),
        ),
    };
    RecentChange {
        by: record.reference(CHANGED_BY_FIELD),
        at: record.updated_at,
        what,
        href,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Record;
    use chrono::TimeZone;
    use serde_json::{json, Value};

    fn record(fields: Value, at: DateTime<Utc>) -> Record {
        let mut record = Record::new_local(Uuid::now_v7(), at);
        record.apply_patch(fields.as_object().expect("object"));
        record
    }

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
            .single()
            .expect("a time")
    }

    #[test]
    fn my_tasks_due_today_and_overdue_come_oldest_first_and_nobody_elses() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let task = |subject: &str, owner: Uuid, due: DateTime<Utc>| {
            Activity::from_record(&record(
                json!({"kind": "task", "subject": subject, "owner": owner.to_string(),
                       "due_at": due.to_rfc3339()}),
                at(1, 0),
            ))
        };
        let tasks = [
            task("today", me, at(2, 15)),
            task("overdue", me, at(1, 9)),
            task("tomorrow", me, at(3, 9)),
            task("theirs", other, at(1, 9)),
        ];
        let due: Vec<String> = tasks_due(&tasks, me, at(3, 0))
            .into_iter()
            .map(|task| task.subject)
            .collect();
        assert_eq!(due, ["overdue", "today"]);
    }

    #[test]
    fn a_new_lead_of_mine_with_no_activity_waits_for_contact() {
        let me = Uuid::now_v7();
        let lead = |name: &str, status: &str, owner: Uuid| {
            Lead::from_record(&record(
                json!({"person_name": name, "status": status, "owner": owner.to_string()}),
                at(1, 0),
            ))
        };
        let leads = [
            lead("waiting", "New", me),
            lead("called", "New", me),
            lead("contacted", "Contacted", me),
            lead("theirs", "New", Uuid::now_v7()),
        ];
        let call = Activity::from_record(&record(
            json!({"kind": "call", "subject": "hi", "lead_id": leads[1].id.to_string()}),
            at(1, 0),
        ));
        let waiting: Vec<String> = uncontacted_leads(&leads, &[call], me)
            .into_iter()
            .map(|lead| lead.person_name)
            .collect();
        assert_eq!(waiting, ["waiting"]);
    }

    fn deal(
        stage: &str,
        amount: i64,
        currency: &str,
        owner: Uuid,
        day: DateTime<Utc>,
    ) -> Opportunity {
        Opportunity::from_record(&record(
            json!({"title": "deal", "stage": stage, "amount": amount, "currency": currency,
                   "owner": owner.to_string()}),
            day,
        ))
    }

    #[test]
    fn the_open_pipeline_adds_one_currency_per_stage_and_counts_the_rest() {
        let (me, other) = (Uuid::now_v7(), Uuid::now_v7());
        let deals = [
            deal("Proposal", 1000, "EUR", me, at(1, 0)),
            deal("Proposal", 500, "EUR", other, at(1, 0)),
            deal("Negotiation", 200, "USD", me, at(1, 0)),
            deal("Won", 9999, "EUR", me, at(1, 0)),
        ];
        let team = open_pipeline(&deals, None);
        assert_eq!(team.currency, "EUR");
        assert_eq!(
            team.stages,
            [
                StageValue {
                    stage: "Qualification",
                    count: 0,
                    amount: 0
                },
                StageValue {
                    stage: "Proposal",
                    count: 2,
                    amount: 1500
                },
                StageValue {
                    stage: "Negotiation",
                    count: 1,
                    amount: 0
                },
            ]
        );
        assert_eq!(team.other_currencies, 1, "the USD deal is not added to EUR");
        let mine = open_pipeline(&deals, Some(me));
        assert_eq!(mine.stages[1].amount, 1000);
    }

    #[test]
    fn the_latest_changes_are_kept_newest_first_with_who_made_them() {
        let ada = Uuid::now_v7();
        let records: Vec<Record> = (1..=5)
            .map(|day| {
                record(
                    json!({"name": format!("Customer {day}"), "changed_by": ada.to_string()}),
                    at(day, 0),
                )
            })
            .collect();
        let changes = latest_changes(records.iter().map(|r| (Entity::Customer, r)), 3);
        let names: Vec<&str> = changes.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(
            names,
            [
                "customer Customer 5",
                "customer Customer 4",
                "customer Customer 3"
            ]
        );
        assert_eq!(changes[0].by, Some(ada));
        assert_eq!(changes[0].href, format!("/customers/{}", records[4].id));
    }

    #[test]
    fn won_and_lost_deals_are_tallied_in_the_twelve_months_up_to_today() {
        let me = Uuid::now_v7();
        let old = Utc
            .with_ymd_and_hms(2025, 11, 20, 0, 0, 0)
            .single()
            .expect("a time");
        let deals = [
            deal("Won", 1, "EUR", me, at(1, 0)),
            deal("Won", 1, "EUR", me, at(2, 0)),
            deal("Lost", 1, "EUR", me, at(2, 0)),
            deal("Won", 1, "EUR", me, old),
            deal("Proposal", 1, "EUR", me, at(2, 0)),
        ];
        let today = NaiveDate::from_ymd_opt(2026, 12, 15).expect("a day");
        let months = won_and_lost_by_month(&deals, Some(me), today);
        assert_eq!(months.len(), 12);
        assert_eq!(
            months[0].month,
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("a day")
        );
        let december = &months[11];
        assert_eq!((december.won, december.lost), (2, 1));
        assert_eq!(
            months.iter().map(|m| m.won).sum::<usize>(),
            2,
            "November 2025 is more than a year ago"
        );
        assert!(won_and_lost_by_month(&deals, Some(Uuid::now_v7()), today)
            .iter()
            .all(|m| m.won == 0 && m.lost == 0));
    }
}
