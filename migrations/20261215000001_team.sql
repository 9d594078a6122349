-- A workspace as a team (issue 19): members hold a role, can be removed
-- (their row stays, so records keep pointing at them), name themselves and
-- are seen; invitations grant a role, have an id to be revoked by, and can
-- be revoked. The same change for PostgreSQL is in migrations/postgres.

-- 'admin', 'member' or 'viewer' (domain::Role).
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
-- What the member calls themself; NULL until they set it.
ALTER TABLE users ADD COLUMN display_name TEXT;
-- When a session of theirs was last used, to the minute.
ALTER TABLE users ADD COLUMN last_seen TEXT;
-- Set when an admin removes them: their sessions and sign-in stop working.
ALTER TABLE users ADD COLUMN removed_at TEXT;

-- Each workspace's earliest account is its admin.
UPDATE users SET role = 'admin' WHERE NOT EXISTS (
    SELECT 1 FROM users AS older
    WHERE older.workspace_id = users.workspace_id
      AND (older.created_at < users.created_at
           OR (older.created_at = users.created_at AND older.id < users.id))
);

ALTER TABLE invitations ADD COLUMN id TEXT;
ALTER TABLE invitations ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
ALTER TABLE invitations ADD COLUMN revoked_at TEXT;
-- A random UUID (version 4 layout) for each invitation made before.
UPDATE invitations SET id =
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
    || substr(lower(hex(randomblob(2))), 2) || '-8'
    || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX invitations_by_id ON invitations (id);
CREATE INDEX invitations_by_workspace ON invitations (workspace_id);
CREATE INDEX invitations_by_inviter ON invitations (invited_by);
-- Only admins invite now: what members invited before and nobody used is void.
UPDATE invitations SET revoked_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')
WHERE used_by IS NULL
  AND invited_by IN (SELECT id FROM users WHERE role <> 'admin');
