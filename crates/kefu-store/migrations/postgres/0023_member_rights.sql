-- A merchant's member rights (会员权益设置): per tier, priority service, free return shipping and the days
-- added to the no-reason return window (JSON, `kefu_core::member::MemberRights`); none: the platform's.
CREATE TABLE member_rights (
    merchant_id BIGINT PRIMARY KEY REFERENCES merchants(id),
    rights      TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
