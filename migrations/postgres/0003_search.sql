-- Message search (PostgreSQL dialect): a trigram GIN index, so ILIKE
-- '%word%' finds any substring — Korean and Japanese words and partial
-- words included, which word-based tsvector search cannot do.
-- pg_trgm is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX messages_content_trgm ON messages USING gin (content gin_trgm_ops);
