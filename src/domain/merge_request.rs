//! Merging duplicates: the fields of a `merge` mutation and who follows whom.
//!
//! A merge names the record that stays (the mutation's record) and the
//! records merged into it. Those become tombstones whose `merged_into`
//! names the survivor; anything that later names one of them (an edit made
//! offline, a contact added on another device) is applied to the survivor
//! instead. The browser and the server both read the request with these
//! rules, so both refuse the same mistakes with the same words.

use super::schema::{normalize_patch, Entity, FieldError};
use serde_json::{Map, Value};
use std::collections::HashSet;
use uuid::Uuid;

/// The only fields a `merge` mutation may carry.
pub const MERGE_FIELDS: &[&str] = &["merged", "values"];

/// The most records one merge may take in: a page of choices, not a bulk
/// operation (duplicate groups are capped at the same size).
pub const MERGE_MAX: usize = 50;

/// The entities that can be merged: the ones people create twice.
pub const MERGEABLE: &[Entity] = &[Entity::Customer, Entity::Contact, Entity::Lead];

/// What points at a record of `entity`, by entity and column: what a merge
/// moves to the survivor. The server moves all of them; a device moves at
/// once those a client may write (`Entity::client_writable`), and the
/// rest (a lead's customer, a conflict's record) follow with the server's
/// answer.
pub fn merge_attachments(entity: Entity) -> &'static [(Entity, &'static str)] {
    match entity {
        Entity::Customer => &[
            (Entity::Contact, "customer_id"),
            (Entity::Opportunity, "customer_id"),
            (Entity::Activity, "customer_id"),
            (Entity::Lead, "customer_id"),
            (Entity::Conflict, "record_id"),
        ],
        Entity::Contact => &[
            (Entity::Activity, "contact_id"),
            (Entity::Conflict, "record_id"),
        ],
        Entity::Lead => &[
            (Entity::Opportunity, "lead_id"),
            (Entity::Activity, "lead_id"),
            (Entity::Conflict, "record_id"),
        ],
        Entity::Opportunity | Entity::Activity | Entity::Conflict => &[],
    }
}

/// What a `merge` mutation asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeRequest {
    /// The records merged away, never the survivor itself, each once.
    pub merged: Vec<Uuid>,
    /// The values the user chose from the merged records, normalized by
    /// the entity's schema: applied to the survivor as an ordinary edit.
    pub values: Map<String, Value>,
}

impl MergeRequest {
    /// Reads a merge of `entity` into `survivor`, naming what is wrong.
    pub fn from_fields(
        entity: Entity,
        survivor: Uuid,
        fields: &Map<String, Value>,
    ) -> Result<Self, FieldError> {
        if !MERGEABLE.contains(&entity) {
            return Err(FieldError::new(
                "entity",
                format!("a {entity} cannot be merged"),
            ));
        }
        let not_ids = || FieldError::new("merged", "merged must be a list of record ids");
        let listed = fields
            .get("merged")
            .and_then(Value::as_array)
            .ok_or_else(not_ids)?;
        let mut merged: Vec<Uuid> = Vec::with_capacity(listed.len());
        for id in listed {
            let id = id
                .as_str()
                .and_then(|text| Uuid::parse_str(text).ok())
                .ok_or_else(not_ids)?;
            if id != survivor && !merged.contains(&id) {
                merged.push(id);
            }
        }
        if merged.is_empty() {
            return Err(FieldError::new(
                "merged",
                "Choose at least one other record to merge",
            ));
        }
        if merged.len() > MERGE_MAX {
            return Err(FieldError::new(
                "merged",
                format!("At most {MERGE_MAX} records can be merged at once"),
            ));
        }
        let values = match fields.get("values") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(values)) => normalize_patch(entity, values)?,
            Some(_) => {
                return Err(FieldError::new(
                    "values",
                    "values must be an object of fields",
                ))
            }
        };
        if values.contains_key("deleted") {
            return Err(FieldError::new(
                "deleted",
                "`deleted` cannot be chosen in a merge",
            ));
        }
        Ok(Self { merged, values })
    }

    /// The mutation fields carrying this request.
    pub fn to_fields(&self) -> Map<String, Value> {
        let mut fields = Map::new();
        fields.insert(
            "merged".into(),
            Value::Array(
                self.merged
                    .iter()
                    .map(|id| Value::String(id.to_string()))
                    .collect(),
            ),
        );
        fields.insert("values".into(), Value::Object(self.values.clone()));
        fields
    }
}

/// Follows `merged_into` links from `id` to the record that stands for it
/// now: itself when it was never merged. `merged_into_of` answers the
/// direct link of one record. A chain that loops (two devices merging
/// each into the other is resolved by the server, so it cannot happen
/// there, but a device must not hang on bad data) stops where it repeats.
pub fn survivor_of(id: Uuid, merged_into_of: impl Fn(Uuid) -> Option<Uuid>) -> Uuid {
    let mut current = id;
    let mut seen: HashSet<Uuid> = HashSet::new();
    while let Some(next) = merged_into_of(current) {
        if !seen.insert(current) || next == current {
            break;
        }
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn fields(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn a_request_round_trips_through_its_fields() {
        let survivor = Uuid::now_v7();
        let request = MergeRequest {
            merged: vec![Uuid::now_v7(), Uuid::now_v7()],
            values: fields(json!({"phone": "+44 1"})),
        };
        let read = MergeRequest::from_fields(Entity::Customer, survivor, &request.to_fields());
        assert_eq!(read, Ok(request));
    }

    #[test]
    fn the_survivor_and_repeats_are_dropped_from_the_merged_list() {
        let survivor = Uuid::now_v7();
        let other = Uuid::now_v7();
        let list = json!({"merged": [survivor.to_string(), other.to_string(), other.to_string()]});
        let read = MergeRequest::from_fields(Entity::Lead, survivor, &fields(list));
        assert_eq!(read.map(|request| request.merged), Ok(vec![other]));
    }

    #[test]
    fn a_merge_of_nothing_or_of_a_non_mergeable_entity_is_refused_by_field() {
        let survivor = Uuid::now_v7();
        let only_itself = fields(json!({"merged": [survivor.to_string()]}));
        let error = MergeRequest::from_fields(Entity::Customer, survivor, &only_itself);
        assert_eq!(error.map_err(|e| e.field), Err("merged".to_owned()));
        let error = MergeRequest::from_fields(Entity::Activity, survivor, &only_itself);
        assert_eq!(error.map_err(|e| e.field), Err("entity".to_owned()));
        let not_ids = fields(json!({"merged": ["nope"]}));
        let error = MergeRequest::from_fields(Entity::Customer, survivor, &not_ids);
        assert_eq!(error.map_err(|e| e.field), Err("merged".to_owned()));
    }

    #[test]
    fn chosen_values_are_checked_by_the_schema_and_may_not_be_server_fields() {
        let survivor = Uuid::now_v7();
        let other = Uuid::now_v7().to_string();
        let bad_email = fields(json!({"merged": [other], "values": {"email": "not an address"}}));
        let error = MergeRequest::from_fields(Entity::Customer, survivor, &bad_email);
        assert_eq!(error.map_err(|e| e.field), Err("email".to_owned()));
        let server_field =
            fields(json!({"merged": [other], "values": {"merged_into": survivor.to_string()}}));
        assert!(MergeRequest::from_fields(Entity::Customer, survivor, &server_field).is_err());
    }

    #[test]
    fn a_chain_of_merges_leads_to_the_last_survivor_and_a_loop_stops() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let links: HashMap<Uuid, Uuid> = [(a, b), (b, c)].into_iter().collect();
        assert_eq!(survivor_of(a, |id| links.get(&id).copied()), c);
        assert_eq!(survivor_of(c, |id| links.get(&id).copied()), c);
        let looping: HashMap<Uuid, Uuid> = [(a, b), (b, a)].into_iter().collect();
        let end = survivor_of(a, |id| looping.get(&id).copied());
        assert!(end == a || end == b);
    }
}
