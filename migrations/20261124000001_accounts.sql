-- Accounts (DESIGN.md section 6): users belong to one workspace and sign in
-- with an argon2id password hash; invitations let members bring colleagues in.
-- Sessions live in the table tower-sessions-sqlx-store creates for itself.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    -- Trimmed and lower-cased, so one address is one account.
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- Bumped when the password changes; sessions made before it stop working.
    auth_epoch INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX users_by_workspace ON users (workspace_id);

-- Only a SHA-256 of each invitation token is kept, so the table alone
-- cannot be used to join a workspace.
CREATE TABLE invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    invited_by TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by TEXT REFERENCES users (id)
);

-- Record ids are chosen by clients, so a record is identified by its
-- workspace and id together: an id used in one workspace neither blocks nor
-- reveals anything in another. SQLite cannot change a primary key in place,
-- so each synced table is rebuilt with the same columns.
CREATE TABLE customers_by_workspace (
    id TEXT NOT NULL,
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
    owner TEXT,
    PRIMARY KEY (workspace_id, id)
);
INSERT INTO customers_by_workspace SELECT * FROM customers;
DROP TABLE customers;
ALTER TABLE customers_by_workspace RENAME TO customers;
CREATE UNIQUE INDEX customers_by_version ON customers (workspace_id, version);

CREATE TABLE contacts_by_workspace (
    id TEXT NOT NULL,
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
    notes TEXT,
    PRIMARY KEY (workspace_id, id)
);
INSERT INTO contacts_by_workspace SELECT * FROM contacts;
DROP TABLE contacts;
ALTER TABLE contacts_by_workspace RENAME TO contacts;
CREATE UNIQUE INDEX contacts_by_version ON contacts (workspace_id, version);
CREATE INDEX contacts_by_customer ON contacts (workspace_id, customer_id);

CREATE TABLE conflicts_by_workspace (
    id TEXT NOT NULL,
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
    resolved INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, id)
);
INSERT INTO conflicts_by_workspace SELECT * FROM conflicts;
DROP TABLE conflicts;
ALTER TABLE conflicts_by_workspace RENAME TO conflicts;
CREATE UNIQUE INDEX conflicts_by_version ON conflicts (workspace_id, version);
CREATE INDEX conflicts_by_record ON conflicts (workspace_id, record_entity, record_id);

CREATE TABLE leads_by_workspace (
    id TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    field_versions TEXT NOT NULL DEFAULT '{}',
    person_name TEXT,
    company_name TEXT,
    email TEXT,
    phone TEXT,
    source TEXT,
    status TEXT NOT NULL,
    customer_id TEXT,
    notes TEXT,
    PRIMARY KEY (workspace_id, id)
);
INSERT INTO leads_by_workspace SELECT * FROM leads;
DROP TABLE leads;
ALTER TABLE leads_by_workspace RENAME TO leads;
CREATE UNIQUE INDEX leads_by_version ON leads (workspace_id, version);
CREATE INDEX leads_by_customer ON leads (workspace_id, customer_id);

CREATE TABLE opportunities_by_workspace (
    id TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    field_versions TEXT NOT NULL DEFAULT '{}',
    customer_id TEXT,
    lead_id TEXT,
    title TEXT NOT NULL,
    stage TEXT NOT NULL,
    amount INTEGER,
    currency TEXT,
    expected_close TEXT,
    probability INTEGER,
    notes TEXT,
    PRIMARY KEY (workspace_id, id)
);
INSERT INTO opportunities_by_workspace SELECT * FROM opportunities;
DROP TABLE opportunities;
ALTER TABLE opportunities_by_workspace RENAME TO opportunities;
CREATE UNIQUE INDEX opportunities_by_version ON opportunities (workspace_id, version);
CREATE INDEX opportunities_by_customer ON opportunities (workspace_id, customer_id);
CREATE INDEX opportunities_by_lead ON opportunities (workspace_id, lead_id);

CREATE TABLE activities_by_workspace (
    id TEXT NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    version INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    field_versions TEXT NOT NULL DEFAULT '{}',
    customer_id TEXT,
    contact_id TEXT,
    lead_id TEXT,
    opportunity_id TEXT,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT,
    due_at TEXT,
    done_at TEXT,
    owner TEXT,
    PRIMARY KEY (workspace_id, id)
);
INSERT INTO activities_by_workspace SELECT * FROM activities;
DROP TABLE activities;
ALTER TABLE activities_by_workspace RENAME TO activities;
CREATE UNIQUE INDEX activities_by_version ON activities (workspace_id, version);
CREATE INDEX activities_by_customer ON activities (workspace_id, customer_id);
CREATE INDEX activities_by_contact ON activities (workspace_id, contact_id);
CREATE INDEX activities_by_lead ON activities (workspace_id, lead_id);
CREATE INDEX activities_by_opportunity ON activities (workspace_id, opportunity_id);
