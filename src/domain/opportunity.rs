//! Typed view of an opportunity, the pipeline's columns and money as text.

use super::customer::text;
use super::record::Record;
use super::schema::{AMOUNT_MAX, OPPORTUNITY_STAGES};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use uuid::Uuid;

/// An opportunity as the UI shows it, read from a [`Record`].
#[derive(Clone, Debug, PartialEq)]
pub struct Opportunity {
    pub id: Uuid,
    pub customer_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
    pub title: String,
    pub stage: String,
    /// Minor units (cents).
    pub amount: Option<i64>,
    pub currency: String,
    pub expected_close: String,
    pub probability: Option<i64>,
    pub notes: String,
    /// The member who owns it; `None` only for a record from before owners.
    pub owner: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    /// The last change: when a won or lost deal was closed, near enough.
    pub updated_at: DateTime<Utc>,
}

impl Opportunity {
    pub fn from_record(record: &Record) -> Self {
        let number = |field: &str| record.fields.get(field).and_then(serde_json::Value::as_i64);
        Self {
            id: record.id,
            customer_id: record.reference("customer_id"),
            lead_id: record.reference("lead_id"),
            title: text(record, "title"),
            stage: text(record, "stage"),
            amount: number("amount"),
            currency: text(record, "currency"),
            expected_close: text(record, "expected_close"),
            probability: number("probability"),
            notes: text(record, "notes"),
            owner: record.reference("owner"),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }

    /// The amount with its currency, empty when there is none.
    pub fn amount_text(&self) -> String {
        self.amount
            .map(|amount| format_money(amount, &self.currency))
            .unwrap_or_default()
    }
}

/// One pipeline column: the opportunities in a stage and their totals.
#[derive(Clone, Debug, PartialEq)]
pub struct StageColumn {
    pub stage: &'static str,
    pub opportunities: Vec<Opportunity>,
    /// The sum of amounts per currency, alphabetical: amounts in different
    /// currencies are never added together.
    pub totals: Vec<(String, i64)>,
}

/// Opportunities grouped by stage in pipeline order, each column sorted by
/// expected close (undated last), then title.
pub fn pipeline(opportunities: impl IntoIterator<Item = Opportunity>) -> Vec<StageColumn> {
    let mut columns: Vec<StageColumn> = OPPORTUNITY_STAGES
        .iter()
        .map(|stage| StageColumn {
            stage,
            opportunities: Vec::new(),
            totals: Vec::new(),
        })
        .collect();
    for opportunity in opportunities {
        if let Some(column) = columns.iter_mut().find(|c| c.stage == opportunity.stage) {
            column.opportunities.push(opportunity);
        }
    }
    for column in &mut columns {
        column.opportunities.sort_by(|a, b| {
            (
                a.expected_close.is_empty(),
                &a.expected_close,
                a.title.to_lowercase(),
            )
                .cmp(&(
                    b.expected_close.is_empty(),
                    &b.expected_close,
                    b.title.to_lowercase(),
                ))
        });
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for opportunity in &column.opportunities {
            if let Some(amount) = opportunity.amount {
                let total = totals.entry(opportunity.currency.clone()).or_default();
                *total = total.saturating_add(amount);
            }
        }
        column.totals = totals.into_iter().collect();
    }
    columns
}

/// "EUR 1,250.00" from 125000 minor units. Every currency is shown with two
/// decimals; currencies without minor units are rare in B2B sales.
pub fn format_money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let whole = (minor / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (index, digit) in whole.chars().enumerate() {
        if index > 0 && (whole.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    let amount = format!("{sign}{grouped}.{:02}", minor % 100);
    if currency.is_empty() {
        amount
    } else {
        format!("{currency} {amount}")
    }
}

/// Reads an amount typed by a user ("1,250.5", "1250", "0.99") into minor
/// units; `None` when it is not a non-negative amount with at most two decimals.
pub fn parse_money(input: &str) -> Option<i64> {
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '_' | '\''))
        .collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty())
        || !all_digits(whole)
        || !all_digits(fraction)
        || fraction.len() > 2
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    let minor = whole.checked_mul(100)?.checked_add(cents)?;
    (minor <= AMOUNT_MAX).then_some(minor)
}

/// Minor units back to what the amount input shows: "1250.50".
pub fn money_input_text(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opportunity(
        title: &str,
        stage: &str,
        amount: i64,
        currency: &str,
        close: &str,
    ) -> Opportunity {
        let mut record = Record::new_local(Uuid::now_v7(), Utc::now());
        record.apply_patch(
            json!({"title": title, "stage": stage, "amount": amount, "currency": currency,
                   "expected_close": close})
            .as_object()
            .expect("object"),
        );
        Opportunity::from_record(&record)
    }

    #[test]
    fn money_is_parsed_and_formatted_in_minor_units() {
        assert_eq!(parse_money("1,250.5"), Some(125_050));
        assert_eq!(parse_money("1250"), Some(125_000));
        assert_eq!(parse_money(".99"), Some(99));
        for bad in ["", "-5", "1.234", "12a", "1e3", "."] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
        assert_eq!(format_money(123_456_789, "EUR"), "EUR 1,234,567.89");
        assert_eq!(format_money(5, ""), "0.05");
        assert_eq!(money_input_text(125_050), "1250.50");
    }

    #[test]
    fn the_pipeline_groups_by_stage_and_totals_per_currency() {
        let columns = pipeline([
            opportunity("B", "Proposal", 10_000, "EUR", ""),
            opportunity("A", "Proposal", 5_000, "EUR", "2026-12-01"),
            opportunity("C", "Proposal", 7_000, "USD", "2026-11-30"),
            opportunity("D", "Won", 1, "EUR", ""),
        ]);
        let proposal = &columns[1];
        assert_eq!(proposal.stage, "Proposal");
        let titles: Vec<&str> = proposal
            .opportunities
            .iter()
            .map(|o| o.title.as_str())
            .collect();
        assert_eq!(titles, ["C", "A", "B"]);
        assert_eq!(
            proposal.totals,
            [("EUR".to_owned(), 15_000), ("USD".to_owned(), 7_000)]
        );
        assert!(columns[0].opportunities.is_empty());
        assert_eq!(columns.len(), 5);
    }
}
