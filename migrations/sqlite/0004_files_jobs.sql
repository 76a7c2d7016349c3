-- Files and the job outbox (sqlite dialect; keep in step with the other folder).

-- An upload belongs to its uploader until it is attached to one message
-- (then whoever may read that message's channel may read the file) or
-- becomes someone's avatar. content_type is sniffed from the bytes.
CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    uploader_id  BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    width        BIGINT,
    height       BIGINT,
    storage_key  TEXT NOT NULL,
    thumb_key    TEXT,
    message_id   BIGINT REFERENCES messages(id) ON DELETE SET NULL,
    channel_id   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX files_message ON files (message_id);
CREATE INDEX files_uploader ON files (uploader_id, created_at);

ALTER TABLE users ADD COLUMN avatar_file_id BIGINT;

-- The outbox: follow-up work (thumbnails, search indexing, push delivery)
-- written in the same transaction as the change that causes it. A relay
-- hands rows to the queue and deletes them once the queue has confirmed
-- them; the in-process queue runs them straight from here, with retries
-- (attempts, run_after) and a dead letter mark after the last attempt.
CREATE TABLE jobs (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    attempts   BIGINT NOT NULL DEFAULT 0,
    run_after  BIGINT NOT NULL,
    last_error TEXT,
    dead_at    BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (dead_at, run_after);
