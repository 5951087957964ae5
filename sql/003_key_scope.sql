-- 003_key_scope.sql - storage accounted per key.
-- What a key has stored is summed on every execution that keeps a
-- figure or file: an index holding both columns answers it.
CREATE INDEX images_key_size ON images (key_id, size);
