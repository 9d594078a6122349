-- A client id belongs to the account that first pushed with it: another
-- account naming it is refused, so a colleague cannot jam or hijack a
-- device's queue. Rows from before are claimed by their next push.
ALTER TABLE sync_clients ADD COLUMN user_id TEXT;
CREATE INDEX sync_clients_by_client ON sync_clients (client_id);

-- Conflict rows are pulled by every member: they name the person whose
-- edit overwrote a value, never the device (its client id).
ALTER TABLE conflicts RENAME COLUMN client_id TO changed_by;
UPDATE conflicts SET changed_by = NULL;

-- The version at which each record was created: contacts made in one push
-- share a timestamp, and the oldest is the one promoted to default.
ALTER TABLE customers ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activities ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conflicts ADD COLUMN created_version INTEGER NOT NULL DEFAULT 0;
-- Before this, the oldest field version is the best estimate there is.
UPDATE contacts SET created_version =
    COALESCE((SELECT min(value) FROM json_each(field_versions)), version);

-- The size of each row's pull JSON, written with the row: a pull page is
-- cut at a byte budget without rendering rows it will not send. Rows from
-- before are measured once at start-up (`repository::measure_rows`).
ALTER TABLE customers ADD COLUMN wire_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE contacts ADD COLUMN wire_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN wire_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE opportunities ADD COLUMN wire_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE activities ADD COLUMN wire_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE conflicts ADD COLUMN wire_bytes INTEGER NOT NULL DEFAULT 0;

-- Answers the client has shown it holds are deleted; this remembers how
-- far, so a retried mutation below it is answered "applied", not "skipped".
ALTER TABLE sync_clients ADD COLUMN answers_pruned_through INTEGER NOT NULL DEFAULT 0;
