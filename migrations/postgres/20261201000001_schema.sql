-- The PostgreSQL schema: the same tables and columns as the SQLite
-- migrations leave, in PostgreSQL's types. Ids and times stay text (UUIDs
-- and RFC 3339, as the repository binds them on either backend); flags
-- are BOOLEAN and numbers BIGINT, which read back as the same Rust types.
-- Text compares byte by byte (COLLATE "C"), as in SQLite: times and ids
-- are ordered and compared as text, which a locale's collation, skipping
-- punctuation, would order otherwise.

CREATE TABLE workspaces (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    change_counter BIGINT NOT NULL DEFAULT 0,
    created_at TEXT COLLATE "C" NOT NULL
);

INSERT INTO workspaces (id, name, change_counter, created_at)
VALUES ('00000000-0000-7000-8000-000000000001', 'Default workspace', 0,
        to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

CREATE TABLE sync_clients (
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    client_id TEXT COLLATE "C" NOT NULL,
    last_mutation_id BIGINT NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    user_id TEXT COLLATE "C",
    answers_pruned_through BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, client_id)
);
CREATE INDEX sync_clients_by_client ON sync_clients (client_id);

CREATE TABLE mutation_results (
    workspace_id TEXT COLLATE "C" NOT NULL,
    client_id TEXT COLLATE "C" NOT NULL,
    mutation_id BIGINT NOT NULL,
    result TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (workspace_id, client_id, mutation_id)
);

CREATE TABLE customers (
    id TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    version BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    field_versions TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    name TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C",
    phone TEXT COLLATE "C",
    website TEXT COLLATE "C",
    street TEXT COLLATE "C",
    city TEXT COLLATE "C",
    postcode TEXT COLLATE "C",
    country TEXT COLLATE "C",
    notes TEXT COLLATE "C",
    owner TEXT COLLATE "C",
    created_version BIGINT NOT NULL DEFAULT 0,
    wire_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX customers_by_version ON customers (workspace_id, version);

CREATE TABLE contacts (
    id TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    version BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    field_versions TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    customer_id TEXT COLLATE "C" NOT NULL,
    first_name TEXT COLLATE "C" NOT NULL,
    last_name TEXT COLLATE "C",
    job_title TEXT COLLATE "C",
    email TEXT COLLATE "C",
    phone TEXT COLLATE "C",
    mobile TEXT COLLATE "C",
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    notes TEXT COLLATE "C",
    created_version BIGINT NOT NULL DEFAULT 0,
    wire_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX contacts_by_version ON contacts (workspace_id, version);
CREATE INDEX contacts_by_customer ON contacts (workspace_id, customer_id);

CREATE TABLE conflicts (
    id TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    version BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    field_versions TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    record_entity TEXT COLLATE "C" NOT NULL,
    record_id TEXT COLLATE "C" NOT NULL,
    field TEXT COLLATE "C" NOT NULL,
    theirs TEXT COLLATE "C",
    mine TEXT COLLATE "C",
    changed_by TEXT COLLATE "C",
    resolved BOOLEAN NOT NULL DEFAULT FALSE,
    created_version BIGINT NOT NULL DEFAULT 0,
    wire_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX conflicts_by_version ON conflicts (workspace_id, version);
CREATE INDEX conflicts_by_record ON conflicts (workspace_id, record_entity, record_id);

CREATE TABLE leads (
    id TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    version BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    field_versions TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    person_name TEXT COLLATE "C",
    company_name TEXT COLLATE "C",
    email TEXT COLLATE "C",
    phone TEXT COLLATE "C",
    source TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL,
    customer_id TEXT COLLATE "C",
    notes TEXT COLLATE "C",
    created_version BIGINT NOT NULL DEFAULT 0,
    wire_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX leads_by_version ON leads (workspace_id, version);
CREATE INDEX leads_by_customer ON leads (workspace_id, customer_id);

CREATE TABLE opportunities (
    id TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    version BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    field_versions TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    customer_id TEXT COLLATE "C",
    lead_id TEXT COLLATE "C",
    title TEXT COLLATE "C" NOT NULL,
    stage TEXT COLLATE "C" NOT NULL,
    amount BIGINT,
    currency TEXT COLLATE "C",
    expected_close TEXT COLLATE "C",
    probability BIGINT,
    notes TEXT COLLATE "C",
    created_version BIGINT NOT NULL DEFAULT 0,
    wire_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX opportunities_by_version ON opportunities (workspace_id, version);
CREATE INDEX opportunities_by_customer ON opportunities (workspace_id, customer_id);
CREATE INDEX opportunities_by_lead ON opportunities (workspace_id, lead_id);

CREATE TABLE activities (
    id TEXT COLLATE "C" NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    version BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    field_versions TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    customer_id TEXT COLLATE "C",
    contact_id TEXT COLLATE "C",
    lead_id TEXT COLLATE "C",
    opportunity_id TEXT COLLATE "C",
    kind TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    body TEXT COLLATE "C",
    due_at TEXT COLLATE "C",
    done_at TEXT COLLATE "C",
    owner TEXT COLLATE "C",
    created_version BIGINT NOT NULL DEFAULT 0,
    wire_bytes BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX activities_by_version ON activities (workspace_id, version);
CREATE INDEX activities_by_customer ON activities (workspace_id, customer_id);
CREATE INDEX activities_by_contact ON activities (workspace_id, contact_id);
CREATE INDEX activities_by_lead ON activities (workspace_id, lead_id);
CREATE INDEX activities_by_opportunity ON activities (workspace_id, opportunity_id);

CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    email TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT COLLATE "C" NOT NULL,
    auth_epoch BIGINT NOT NULL DEFAULT 0,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX users_by_workspace ON users (workspace_id);

CREATE TABLE invitations (
    token_hash TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    invited_by TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    used_by TEXT COLLATE "C" REFERENCES users (id)
);
