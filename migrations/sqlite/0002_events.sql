-- The durable event log: every change pushed to clients is written here in
-- the same transaction as the change itself. Ids are commit-ordered (SQLite has
-- one writer at a time), so "everything
-- after id N" is exact: that is what RESUME and each node's tailer read.
-- Audience: channel members, workspace members or one user.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id   BIGINT,
    workspace_id BIGINT,
    user_id      BIGINT,
    -- The user whose channel/workspace memberships this event changes.
    subject_id   BIGINT,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX events_channel ON events (channel_id, id);
CREATE INDEX events_workspace ON events (workspace_id, id);
CREATE INDEX events_user ON events (user_id, id);
CREATE INDEX events_created ON events (created_at);
