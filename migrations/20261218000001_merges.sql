-- Merging duplicates (issue 20): a customer, contact or lead merged into
-- another is a tombstone naming its survivor, so opening it goes there and
-- whatever names it later is applied to the survivor. Written by the
-- server only. The same change for PostgreSQL is in migrations/postgres.
ALTER TABLE customers ADD COLUMN merged_into TEXT;
ALTER TABLE contacts ADD COLUMN merged_into TEXT;
ALTER TABLE leads ADD COLUMN merged_into TEXT;
