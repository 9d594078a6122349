//! The CRM's entities, their validation and their invariants, as pure code.
//!
//! Nothing here does I/O: the browser and the server both compile this module,
//! so a rule written once holds on both sides of the wire.

mod account;
mod activity;
mod bulk;
mod conflict;
mod contacts;
mod conversion;
mod customer;
mod duplicates;
mod export;
mod history;
mod home;
mod import;
mod lead;
mod listing;
mod merge_request;
mod opportunity;
mod record;
mod schema;
mod search;
mod storage;
mod tabular;
mod team;
mod trash;
mod undo;
mod unmerge;

pub use account::{
    check_email, check_invitation_token, check_new_password, check_password_length,
    check_sign_in_email, check_sign_up, check_workspace_name, Account, Invitation, NewAccount,
    PASSWORD_MAX_BYTES, PASSWORD_MIN,
};
pub use activity::{open_tasks, stamp_logged, Activity, TimelineScope};
pub use bulk::{bulk_label, plan_bulk, BulkAction, BulkPlan};
pub use conflict::{display_value, is_blank, Conflict};
pub use contacts::{choose_default_contact, DefaultCandidate};
pub use conversion::{
    contact_from_lead, converted_lead, customer_from_lead, find_duplicates, is_converted,
    unconverted_lead, ConvertRequest, Duplicate, MatchReason, CONVERTED_CUSTOMER_STATUS,
    CONVERT_FIELDS, UNCONVERT_FIELDS,
};
pub use customer::{Contact, Customer};
pub use duplicates::{
    default_merge_values, duplicate_groups, merge_fields, DuplicateGroup, DuplicateReason,
};
pub use export::export_csv;
pub use history::{
    changes_between, device_label, history_lines, newest_first, FieldChange, HistoryEntry,
    HistoryKind, HistoryLine, Origin, OverwrittenValue, QueuedChange,
};
pub use home::{
    latest_changes, open_pipeline, tasks_due, uncontacted_leads, won_and_lost_by_month, MonthTally,
    PipelineValue, RecentChange, StageValue, CHANGES_LISTED, OPEN_STAGES,
};
pub use import::{
    guess_mapping, mapping_memory_key, BatchChange, Counts, Decisions, DuplicateChoice,
    ImportChange, ImportKind, ImportReceipt, MatchReason as ImportMatch, Outcome, PlannedRow,
    Planner, Problem, Target, UndoPlan,
};
pub use lead::Lead;
pub use listing::{ListFilter, Listed, StatusCount};
pub use merge_request::{
    merge_attachments, survivor_of, MergeRequest, MERGEABLE, MERGE_FIELDS, MERGE_MAX,
};
pub use opportunity::{
    format_money, money_input_text, parse_money, pipeline, Opportunity, StageColumn,
};
pub use record::{Record, RecordKey};
pub use schema::{
    check_change, check_required, normalize_patch, unknown_field, Entity, FieldError, FieldKind,
    FieldSpec, ACTIVITY_KINDS, CHANGED_BY_FIELD, CUSTOMER_KINDS, CUSTOMER_STATUSES,
    DELETED_WITH_FIELD, LEAD_CONVERTED, LEAD_STATUSES, MERGED_INTO_FIELD, OPPORTUNITY_STAGES,
    OWNER_FIELD,
};
pub use storage::StorageUse;
pub use tabular::{
    read_table, write_csv, FileError, SourceEncoding, Table, TableRow, FILE_MAX_BYTES,
};
pub use team::{
    adopted_owner, check_display_name, keeps_an_admin, FormerMember, PendingInvitation, People,
    Role, Team, TeamChange, TeamMember, DISPLAY_NAME_MAX,
};
pub use trash::{
    purged_by_server, record_title, restore_blocker, still_in_trash, trashed, Trashed,
    TRASHED_ENTITIES, TRASH_DAYS,
};
pub use undo::{Notice, ShownNotice, UndoAction, UndoChange, UndoStep};
pub use unmerge::{can_unmerge, too_late_to_unmerge, MergeUndo, MovedRecord, UNMERGE_DAYS};
