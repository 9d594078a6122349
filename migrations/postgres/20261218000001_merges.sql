-- Merging duplicates (issue 20): see the SQLite migration of the same name.
ALTER TABLE customers ADD COLUMN merged_into TEXT COLLATE "C";
ALTER TABLE contacts ADD COLUMN merged_into TEXT COLLATE "C";
ALTER TABLE leads ADD COLUMN merged_into TEXT COLLATE "C";
