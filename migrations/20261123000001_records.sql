-- Workspaces own every row; the change counter orders all writes of one workspace.
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    change_counter INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Until accounts land every request acts in this workspace.
INSERT INTO workspaces (id, name, change_counter, created_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'Default workspace', 0, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- Per client, the last mutation id processed: what makes pushes idempotent.
CREATE TABLE sync_clients (
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    client_id TEXT NOT NULL,
    last_mutation_id INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (workspace_id, client_id)
) WITHOUT ROWID;

-- The answer given to each mutation, replayed when a push is retried.
CREATE TABLE mutation_results (
    workspace_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    mutation_id INTEGER NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (workspace_id, client_id, mutation_id)
) WITHOUT ROWID;

-- field_versions maps each field to the version of its last change (per-field merge).
CREATE TABLE customers (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    field_versions TEXT NOT NULL DEFAULT '{}',
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    email TEXT,
    phone TEXT,
    website TEXT,
    street TEXT,
    city TEXT,
    postcode TEXT,
    country TEXT,
    notes TEXT,
    owner TEXT
);
CREATE UNIQUE INDEX customers_by_version ON customers (workspace_id, version);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    field_versions TEXT NOT NULL DEFAULT '{}',
    customer_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    last_name TEXT,
    job_title TEXT,
    email TEXT,
    phone TEXT,
    mobile TEXT,
    is_default INTEGER NOT NULL DEFAULT 0,
    notes TEXT
);
CREATE UNIQUE INDEX contacts_by_version ON contacts (workspace_id, version);
CREATE INDEX contacts_by_customer ON contacts (workspace_id, customer_id);

-- Values overwritten by a concurrent edit, kept so nobody's work is lost.
-- Synced like any record, so every device can show and restore them.
CREATE TABLE conflicts (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    field_versions TEXT NOT NULL DEFAULT '{}',
    record_entity TEXT NOT NULL,
    record_id TEXT NOT NULL,
    field TEXT NOT NULL,
    theirs TEXT,
    mine TEXT,
    client_id TEXT,
    resolved INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX conflicts_by_version ON conflicts (workspace_id, version);
CREATE INDEX conflicts_by_record ON conflicts (workspace_id, record_entity, record_id);
