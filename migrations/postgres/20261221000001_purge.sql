-- Trash purge (issue 21): see the SQLite migration of the same name.
ALTER TABLE workspaces ADD COLUMN purged_through BIGINT NOT NULL DEFAULT 0;
