-- Calls (postgres dialect; keep in step with the other folder).
-- A call lives in one channel or DM; at most one is in progress per
-- channel (the partial unique index). live_count is changed with a guarded
-- UPDATE, which serializes concurrent joins and leaves on the call's row: no
-- 7th participant slips in, and exactly one leave ends the call.
CREATE TABLE calls (
    id          BIGINT PRIMARY KEY,
    channel_id  BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    started_by  BIGINT NOT NULL REFERENCES users(id),
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    live_count  BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX calls_live ON calls (channel_id) WHERE ended_at IS NULL;

-- One row per connection that took part; left rows stay for the summary
-- ("who took part"). seen_at is the last time the participant's node heard
-- from it: the reaper ends participants whose node stopped refreshing.
CREATE TABLE call_participants (
    id         BIGINT PRIMARY KEY,
    call_id    BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    muted      INTEGER NOT NULL DEFAULT 0,
    video      INTEGER NOT NULL DEFAULT 0,
    screen     INTEGER NOT NULL DEFAULT 0,
    joined_at  BIGINT NOT NULL,
    left_at    BIGINT,
    seen_at    BIGINT NOT NULL
);
CREATE INDEX call_participants_live ON call_participants (call_id) WHERE left_at IS NULL;
CREATE INDEX call_participants_user ON call_participants (user_id) WHERE left_at IS NULL;
CREATE INDEX call_participants_seen ON call_participants (seen_at) WHERE left_at IS NULL;

-- What a server-posted message records (JSON of parley_shared::call::SystemEvent).
ALTER TABLE messages ADD COLUMN system TEXT;
