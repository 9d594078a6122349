-- A workspace as a team (issue 19): the same change as the SQLite
-- migration of the same name; see it for what each column means.

ALTER TABLE users ADD COLUMN role TEXT COLLATE "C" NOT NULL DEFAULT 'member';
ALTER TABLE users ADD COLUMN display_name TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN last_seen TEXT COLLATE "C";
ALTER TABLE users ADD COLUMN removed_at TEXT COLLATE "C";

UPDATE users SET role = 'admin' WHERE NOT EXISTS (
    SELECT 1 FROM users AS older
    WHERE older.workspace_id = users.workspace_id
      AND (older.created_at < users.created_at
           OR (older.created_at = users.created_at AND older.id < users.id))
);

ALTER TABLE invitations ADD COLUMN id TEXT COLLATE "C";
ALTER TABLE invitations ADD COLUMN role TEXT COLLATE "C" NOT NULL DEFAULT 'member';
ALTER TABLE invitations ADD COLUMN revoked_at TEXT COLLATE "C";
UPDATE invitations SET id = gen_random_uuid()::text;
CREATE UNIQUE INDEX invitations_by_id ON invitations (id);
CREATE INDEX invitations_by_workspace ON invitations (workspace_id);
CREATE INDEX invitations_by_inviter ON invitations (invited_by);
UPDATE invitations
SET revoked_at = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"')
WHERE used_by IS NULL
  AND invited_by IN (SELECT id FROM users WHERE role <> 'admin');
