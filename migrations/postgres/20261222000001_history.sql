-- Record history (issue 21): one row per write of a record, written by the
-- server in the transaction of the write. `entry` is the JSON of
-- `domain::HistoryEntry`; `version` is the record version the write made.
CREATE TABLE history (
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    version BIGINT NOT NULL,
    entity TEXT COLLATE "C" NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    entry TEXT NOT NULL,
    PRIMARY KEY (workspace_id, version, entity, record_id)
);
CREATE INDEX history_of_record ON history (workspace_id, entity, record_id);
