-- Notification keywords (sqlite dialect; keep in step with the other folder).
-- Read on every send to find members who asked to hear of a word, so it is
-- its own small table (empty for most servers) rather than a column read
-- for every member of a channel.
CREATE TABLE notify_keywords (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    keyword TEXT NOT NULL,
    PRIMARY KEY (user_id, keyword)
);
