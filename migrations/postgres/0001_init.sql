-- Parley schema (PostgreSQL dialect). Keep in step with ../sqlite/0001_init.sql:
-- same tables, same columns, same indexes. Ids are snowflakes, times are
-- milliseconds since the Unix epoch, booleans are 0/1.

CREATE TABLE users (
    id                BIGINT PRIMARY KEY,
    username          TEXT NOT NULL UNIQUE,
    email             TEXT NOT NULL UNIQUE,
    password_hash     TEXT NOT NULL,
    display_name      TEXT NOT NULL,
    bio               TEXT NOT NULL DEFAULT '',
    timezone          TEXT NOT NULL DEFAULT '',
    status_text       TEXT NOT NULL DEFAULT '',
    status_emoji      TEXT,
    status_expires_at BIGINT,
    theme             TEXT NOT NULL DEFAULT 'system',
    notify_level      TEXT NOT NULL DEFAULT 'all',
    mute_until        BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE refresh_tokens (
    id          BIGINT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    family_id   BIGINT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT,
    revoked_at  BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE workspaces (
    id          BIGINT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_id    BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE workspace_members (
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    joined_at    BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

CREATE TABLE workspace_invites (
    id           BIGINT PRIMARY KEY,
    workspace_id BIGINT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    code_hash    TEXT NOT NULL UNIQUE,
    created_by   BIGINT NOT NULL REFERENCES users(id),
    max_uses     BIGINT,
    uses         BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX workspace_invites_workspace ON workspace_invites (workspace_id);

CREATE TABLE channels (
    id              BIGINT PRIMARY KEY,
    workspace_id    BIGINT REFERENCES workspaces(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL,
    name            TEXT NOT NULL,
    topic           TEXT NOT NULL DEFAULT '',
    purpose         TEXT NOT NULL DEFAULT '',
    is_default      BIGINT NOT NULL DEFAULT 0,
    dm_key          TEXT UNIQUE,
    created_by      BIGINT NOT NULL REFERENCES users(id),
    last_seq        BIGINT NOT NULL DEFAULT 0,
    last_message_at BIGINT,
    archived_at     BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX channels_workspace ON channels (workspace_id);
-- Live channel names are unique within a workspace; archived ones free their name.
CREATE UNIQUE INDEX channels_workspace_name ON channels (workspace_id, name) WHERE archived_at IS NULL AND workspace_id IS NOT NULL;

CREATE TABLE channel_members (
    channel_id    BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL,
    joined_at     BIGINT NOT NULL,
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    notify_level  TEXT,
    muted_until   BIGINT,
    PRIMARY KEY (channel_id, user_id)
);
CREATE INDEX channel_members_user ON channel_members (user_id);

CREATE TABLE messages (
    id             BIGINT PRIMARY KEY,
    channel_id     BIGINT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    seq            BIGINT NOT NULL,
    author_id      BIGINT NOT NULL REFERENCES users(id),
    content        TEXT NOT NULL,
    nonce          TEXT,
    thread_root_id BIGINT REFERENCES messages(id),
    reply_count    BIGINT NOT NULL DEFAULT 0,
    last_reply_at  BIGINT,
    edited_at      BIGINT,
    deleted_at     BIGINT,
    pinned_at      BIGINT,
    pinned_by      BIGINT,
    created_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_channel_seq ON messages (channel_id, seq);
CREATE INDEX messages_channel_created ON messages (channel_id, created_at);
CREATE INDEX messages_author ON messages (author_id);
CREATE INDEX messages_thread ON messages (thread_root_id, seq);
CREATE UNIQUE INDEX messages_nonce ON messages (channel_id, author_id, nonce);
CREATE INDEX messages_pinned ON messages (channel_id, pinned_at) WHERE pinned_at IS NOT NULL;

CREATE TABLE reactions (
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
);

CREATE TABLE mentions (
    message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    channel_id BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, user_id)
);
CREATE INDEX mentions_user ON mentions (user_id, message_id);
CREATE INDEX mentions_channel_user ON mentions (channel_id, user_id, seq);
