//! A list as a CSV file: the columns an import reads back, so a file
//! exported from one workspace imports into another as the same records.

use super::import::ImportKind;
use super::schema::{Entity, FieldKind};
use super::tabular::write_csv;
use serde_json::{Map, Value};
use uuid::Uuid;

/// The file of these records, each with its default contact's fields when
/// it has one (customers). Members are written by name, which an import
/// matches back to the member; choices by value, which it also reads.
pub fn export_csv<'a>(
    kind: ImportKind,
    rows: impl IntoIterator<Item = (&'a Map<String, Value>, Option<&'a Map<String, Value>>)>,
    name_of: impl Fn(Uuid) -> String,
) -> Vec<u8> {
    let targets = kind.exported();
    let labels: Vec<String> = targets.iter().map(|target| target.label()).collect();
    let headers: Vec<&str> = labels.iter().map(String::as_str).collect();
    let cell = |fields: Option<&Map<String, Value>>, entity: Entity, field: &str| -> String {
        match fields.and_then(|fields| fields.get(field)) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => match entity.field(field).map(|spec| spec.kind) {
                Some(FieldKind::Member) => {
                    Uuid::parse_str(text).map_or_else(|_| text.clone(), &name_of)
                }
                _ => text.clone(),
            },
            Some(other) => other.to_string(),
        }
    };
    let records = rows.into_iter().map(|(record, contact)| {
        targets
            .iter()
            .map(|target| match target.entity {
                Entity::Contact => cell(contact, Entity::Contact, target.field),
                entity => cell(Some(record), entity, target.field),
            })
            .collect::<Vec<String>>()
    });
    write_csv(&headers, records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::import::{guess_mapping, Decisions, Planner};
    use crate::domain::tabular::read_table;
    use crate::domain::tabular::windows_1252;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn an_exported_list_imports_into_an_empty_workspace_as_the_same_records() {
        let me = Uuid::now_v7();
        let acme = fields(
            json!({"name": "Acme, Inc.", "kind": "company", "status": "Customer",
            "email": "info@acme.test", "phone": "+44 20 7946 0000", "city": "Zürich",
            "notes": "=1+1\nsecond line", "owner": me.to_string()}),
        );
        let jane = fields(
            json!({"first_name": "Jane", "last_name": "van Doe", "email": "jane@acme.test",
            "job_title": "Buyer", "is_default": true}),
        );
        let solo = fields(
            json!({"name": "Max Muster", "kind": "person", "status": "Prospect", "owner": me.to_string()}),
        );
        let file = export_csv(
            ImportKind::Customers,
            [(&acme, Some(&jane)), (&solo, None)],
            |id| if id == me { "Ada".into() } else { "?".into() },
        );
        let table = read_table(&file, windows_1252).expect("reads back");
        let mapping = guess_mapping(ImportKind::Customers, &table.headers);
        assert!(
            mapping.iter().all(Option::is_some),
            "every column maps back: {:?}",
            table.headers
        );
        let mut planner = Planner::new(
            ImportKind::Customers,
            &table.headers,
            &mapping,
            std::iter::empty(),
            std::iter::empty(),
            vec![(me, "Ada".into())],
            me,
        );
        planner.add(&table.rows);
        let changes = planner.changes(Decisions::default(), |_| None, |_| false);
        assert_eq!(changes.len(), 3, "{changes:?}");
        assert_eq!(changes[0].fields, acme);
        let mut contact = changes[1].fields.clone();
        assert_eq!(
            contact.remove("customer_id"),
            Some(changes[0].id.to_string().into())
        );
        assert_eq!(contact, jane);
        assert_eq!(changes[2].fields, solo);
    }
}
