-- migrate:up
-- PostgreSQL twin of migrations/20261206150200_add_tags.sql: one row per tag (`key` its name in
-- NFC and lower case, `name` its first spelling), which links carry which tags in `link_tags`
-- (in their owner's order), and the column where an import stages each row's tags.
CREATE TABLE tags (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created BIGINT NOT NULL
);

CREATE TABLE link_tags (
  url_id BIGINT NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  position BIGINT NOT NULL,
  PRIMARY KEY (url_id, tag_id)
);
CREATE INDEX idx_link_tags_tag ON link_tags (tag_id, url_id);

ALTER TABLE import_rows ADD COLUMN tags TEXT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN tags;
DROP INDEX idx_link_tags_tag;
DROP TABLE link_tags;
DROP TABLE tags;
