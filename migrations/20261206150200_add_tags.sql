-- migrate:up
-- Tags (their twin in migrations/postgres/). A tag is one row, whichever links carry it: `key`
-- is its name in Unicode NFC and lower case, what tags are compared by; `name` is the spelling
-- it was first stored with, which every link shows. `link_tags` says which links carry which
-- tags, `position` keeping the order their owner gave. A deleted link keeps no tags, so tag
-- counts never see a tombstone. A tag no link carries any more stays, so its spelling is kept.
CREATE TABLE tags (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created INTEGER NOT NULL
);

CREATE TABLE link_tags (
  url_id INTEGER NOT NULL REFERENCES urls (id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  PRIMARY KEY (url_id, tag_id)
);
CREATE INDEX idx_link_tags_tag ON link_tags (tag_id, url_id);

-- An import stages each row's tags (a JSON array of their names) with its link.
ALTER TABLE import_rows ADD COLUMN tags TEXT;

-- migrate:down
ALTER TABLE import_rows DROP COLUMN tags;
DROP INDEX idx_link_tags_tag;
DROP TABLE link_tags;
DROP TABLE tags;
