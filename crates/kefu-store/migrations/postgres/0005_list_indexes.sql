-- Newest-first lists per merchant and per assignee without sorting (measured on 1,000,000 tickets).
CREATE INDEX tickets_merchant_newest ON tickets (merchant_id, id);
CREATE INDEX tickets_assignee_newest ON tickets (assignee_id, id);
