-- Web Push subscriptions (postgres dialect; keep in step with the other folder).
-- One row per browser (endpoint); the keys encrypt what is sent to it.
CREATE TABLE push_subscriptions (
    id         BIGINT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint   TEXT NOT NULL UNIQUE,
    p256dh     TEXT NOT NULL,
    auth       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
