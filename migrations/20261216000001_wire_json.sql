-- Each row keeps the JSON a pull sends for it, written with the row by the
-- server (serde, the same text `wire_bytes` measures), so a pull joins
-- stored text instead of rendering every column of every row. Rows from
-- before are rendered once at start-up (`repository::render_old_rows`).
ALTER TABLE customers ADD COLUMN wire_json TEXT;
ALTER TABLE contacts ADD COLUMN wire_json TEXT;
ALTER TABLE leads ADD COLUMN wire_json TEXT;
ALTER TABLE opportunities ADD COLUMN wire_json TEXT;
ALTER TABLE activities ADD COLUMN wire_json TEXT;
ALTER TABLE conflicts ADD COLUMN wire_json TEXT;
