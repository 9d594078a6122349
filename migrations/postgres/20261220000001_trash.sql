-- Trash (issue 21): see the SQLite migration of the same name.
ALTER TABLE contacts ADD COLUMN deleted_with TEXT COLLATE "C";
ALTER TABLE opportunities ADD COLUMN deleted_with TEXT COLLATE "C";
ALTER TABLE activities ADD COLUMN deleted_with TEXT COLLATE "C";
CREATE INDEX contacts_by_deleted_with ON contacts (workspace_id, deleted_with)
    WHERE deleted_with IS NOT NULL;
CREATE INDEX opportunities_by_deleted_with ON opportunities (workspace_id, deleted_with)
    WHERE deleted_with IS NOT NULL;
CREATE INDEX activities_by_deleted_with ON activities (workspace_id, deleted_with)
    WHERE deleted_with IS NOT NULL;
