-- Who is notified of every message in a channel is read on every send;
-- without this, that read walks all of the channel's members (10,000 rows
-- for a 10,000-member channel) to find the few who asked for "all".
CREATE INDEX channel_members_notify_all ON channel_members (channel_id) WHERE notify_level = 'all';
