-- Record history (issue 21): one row per write of a record, written by the
-- server in the transaction of the write, so a change never lands without
-- its history or the reverse. `entry` is the JSON of `domain::HistoryEntry`;
-- `version` is the record version the write made, which orders a record's
-- history and is the cursor of the history pull. The same table for
-- PostgreSQL is in migrations/postgres.
CREATE TABLE history (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version INTEGER NOT NULL,
    entity TEXT NOT NULL,
    record_id TEXT NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (workspace_id, version, entity, record_id)
);
CREATE INDEX history_of_record ON history (workspace_id, entity, record_id);
