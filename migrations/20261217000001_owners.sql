-- Owners and assignees are members (issue 19). Leads and opportunities get
-- an owner like customers; an activity's `owner` is its assignee. The
-- owner of every record is a user id from now on: records of the
-- workspaces that exist now are given one once, at the server's next
-- start (`server::owners::adopt_owners`), which reads and clears this
-- list. The same change for PostgreSQL is in migrations/postgres.

ALTER TABLE leads ADD COLUMN owner TEXT;
ALTER TABLE opportunities ADD COLUMN owner TEXT;

CREATE TABLE owner_upgrades (
    workspace_id TEXT PRIMARY KEY NOT NULL
);
INSERT INTO owner_upgrades (workspace_id) SELECT id FROM workspaces;

-- Who made each record's last change (`changed_by`, written by the server
-- on every push): "what the team changed recently" on the home page.
ALTER TABLE customers ADD COLUMN changed_by TEXT;
ALTER TABLE contacts ADD COLUMN changed_by TEXT;
ALTER TABLE leads ADD COLUMN changed_by TEXT;
ALTER TABLE opportunities ADD COLUMN changed_by TEXT;
ALTER TABLE activities ADD COLUMN changed_by TEXT;
