-- Unmerge (issue 20): what each merge replaced and moved, per record merged
-- away, kept for 30 days so the merge can be taken back. `undo` is the JSON
-- of `domain::MergeUndo`. Written and read by the server only.
CREATE TABLE merge_undo (
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    entity TEXT COLLATE "C" NOT NULL,
    merged_id TEXT COLLATE "C" NOT NULL,
    merged_at TEXT COLLATE "C" NOT NULL,
    undo TEXT NOT NULL,
    PRIMARY KEY (workspace_id, entity, merged_id)
);
CREATE INDEX merge_undo_by_age ON merge_undo (workspace_id, merged_at);
