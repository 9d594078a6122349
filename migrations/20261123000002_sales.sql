-- Leads, opportunities and activities: the sales workflow of DESIGN.md section 2.
-- Same bookkeeping columns as customers; field_versions drives the per-field merge.

CREATE TABLE leads (
    id TEXT PRIMARY KEY NOT NULL,
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
    notes TEXT
);
CREATE UNIQUE INDEX leads_by_version ON leads (workspace_id, version);
CREATE INDEX leads_by_customer ON leads (workspace_id, customer_id);

CREATE TABLE opportunities (
    id TEXT PRIMARY KEY NOT NULL,
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
    notes TEXT
);
CREATE UNIQUE INDEX opportunities_by_version ON opportunities (workspace_id, version);
CREATE INDEX opportunities_by_customer ON opportunities (workspace_id, customer_id);
CREATE INDEX opportunities_by_lead ON opportunities (workspace_id, lead_id);

CREATE TABLE activities (
    id TEXT PRIMARY KEY NOT NULL,
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
    owner TEXT
);
CREATE UNIQUE INDEX activities_by_version ON activities (workspace_id, version);
CREATE INDEX activities_by_customer ON activities (workspace_id, customer_id);
CREATE INDEX activities_by_contact ON activities (workspace_id, contact_id);
CREATE INDEX activities_by_lead ON activities (workspace_id, lead_id);
CREATE INDEX activities_by_opportunity ON activities (workspace_id, opportunity_id);
