-- Chats offered to an agent and not yet accepted (派发待接入), and the agents passed over for a ticket:
-- projections of the ticket's offered / offer_lapsed events, read by the router.
ALTER TABLE tickets ADD COLUMN offer_agent_id INTEGER;
ALTER TABLE tickets ADD COLUMN offer_expires_at INTEGER;
ALTER TABLE tickets ADD COLUMN passed_over TEXT;
CREATE INDEX tickets_offer ON tickets (offer_agent_id) WHERE offer_agent_id IS NOT NULL;
