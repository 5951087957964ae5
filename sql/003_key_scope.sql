-- 003_key_scope.sql - storage accounted per key, execution ids scoped
-- by key.
-- What a key has stored is summed on every execution that keeps a
-- figure or file: an index holding both columns answers it.
CREATE INDEX images_key_size ON images (key_id, size);

-- Client-chosen execution ids are unique per key (issue 16, finding 4):
-- the stored id is "<key id>/<id>" (key ids have no '/'), so another
-- key's id neither collides (409) nor shows.
UPDATE images SET execution_id = key_id || '/' || execution_id;
UPDATE executions SET id = key_id || '/' || id;
