-- Owners and assignees are members (issue 19): see the SQLite migration
-- of the same name.

ALTER TABLE leads ADD COLUMN owner TEXT COLLATE "C";
ALTER TABLE opportunities ADD COLUMN owner TEXT COLLATE "C";

CREATE TABLE owner_upgrades (
    workspace_id TEXT COLLATE "C" PRIMARY KEY NOT NULL
);
INSERT INTO owner_upgrades (workspace_id) SELECT id FROM workspaces;

ALTER TABLE customers ADD COLUMN changed_by TEXT COLLATE "C";
ALTER TABLE contacts ADD COLUMN changed_by TEXT COLLATE "C";
ALTER TABLE leads ADD COLUMN changed_by TEXT COLLATE "C";
ALTER TABLE opportunities ADD COLUMN changed_by TEXT COLLATE "C";
ALTER TABLE activities ADD COLUMN changed_by TEXT COLLATE "C";
