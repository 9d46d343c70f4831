-- A merchant's return rules (退换货规则): the eligibility engine's windows for all goods and per product
-- category (JSON, `kefu_core::aftersales::rules::ReturnRules`); none: the platform's.
CREATE TABLE return_rules (
    merchant_id INTEGER PRIMARY KEY REFERENCES merchants(id),
    rules       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);
