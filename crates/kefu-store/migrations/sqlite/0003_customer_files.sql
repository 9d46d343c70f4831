-- Customer files (EC-7) with personal data encrypted at rest (SEC-4): names, phone numbers, emails and
-- addresses are stored only as AES-256-GCM ciphertext; phone and email also as keyed hashes (blind
-- indexes) for exact lookup. `display_name` keeps the masked name for lists.
ALTER TABLE customers ADD COLUMN name_enc TEXT;
ALTER TABLE customers ADD COLUMN phone_enc TEXT;
ALTER TABLE customers ADD COLUMN email_enc TEXT;
ALTER TABLE customers ADD COLUMN address_enc TEXT;
ALTER TABLE customers ADD COLUMN phone_bidx TEXT;
ALTER TABLE customers ADD COLUMN email_bidx TEXT;
ALTER TABLE customers ADD COLUMN account_id TEXT;
ALTER TABLE customers ADD COLUMN visitor_id TEXT;
ALTER TABLE customers ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE customers ADD COLUMN notes TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN merged_into BIGINT;
CREATE INDEX customers_phone ON customers (phone_bidx);
CREATE INDEX customers_email ON customers (email_bidx);
CREATE INDEX customers_account ON customers (merchant_id, account_id);
CREATE INDEX customers_visitor ON customers (merchant_id, visitor_id);
