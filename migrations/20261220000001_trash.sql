-- Trash (issue 21): a contact, deal or activity deleted because the record
-- it hangs off was names that record in `deleted_with`, so restoring the
-- record restores exactly what went with it. Written by the server only.
-- The same change for PostgreSQL is in migrations/postgres.
ALTER TABLE contacts ADD COLUMN deleted_with TEXT;
ALTER TABLE opportunities ADD COLUMN deleted_with TEXT;
ALTER TABLE activities ADD COLUMN deleted_with TEXT;
CREATE INDEX contacts_by_deleted_with ON contacts (workspace_id, deleted_with)
    WHERE deleted_with IS NOT NULL;
CREATE INDEX opportunities_by_deleted_with ON opportunities (workspace_id, deleted_with)
    WHERE deleted_with IS NOT NULL;
CREATE INDEX activities_by_deleted_with ON activities (workspace_id, deleted_with)
    WHERE deleted_with IS NOT NULL;
