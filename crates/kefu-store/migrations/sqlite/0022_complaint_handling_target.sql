-- Complaints are handled within 24 h of receipt (处理时限): until the first remedy is proposed, the
-- deadline running in a complaint's stage is the earlier of that target and (for 12315) the mediation
-- deadline already stored. Complaints past acknowledgement and before a proposal get it now.
UPDATE complaints
SET due_at = CASE
    WHEN due_at IS NULL OR due_at > received_at + 86400000 THEN received_at + 86400000
    ELSE due_at
END
WHERE stage IN ('acknowledged', 'claim_recorded', 'investigating', 'investigated');
