-- Trash purge (issue 21): records deleted more than 30 days ago are deleted
-- for good. `purged_through` is the highest version of a row purged so far:
-- a device whose pull cursor is below it may hold records whose tombstone it
-- never received, so it pulls again from scratch. The same change for
-- PostgreSQL is in migrations/postgres.
ALTER TABLE workspaces ADD COLUMN purged_through INTEGER NOT NULL DEFAULT 0;
